// kiln-two-layer-nn: C1W4 two-layer network, 12288 -> 7 relu -> 1 sigmoid
#include "two_layer_nn_kernels.hpp"
#include "net.hpp"
#include "networks/common/course_images.hpp"
#include "runtime/cli.hpp"

int main(int argc, char** argv) {
    using net = kiln::network_of<kiln::networks::two_layer_nn>;
    kiln::app_spec spec;
    spec.name = "two-layer-nn";
    spec.summary = "C1W4 two-layer network, 12288 -> 7 relu -> 1 sigmoid";
    // The course: weights randn * 0.01, learning rate 0.0075, 2500 iterations of batch gradient descent.
    spec.fit.learning_rate = 0.0075f;
    spec.fit.iterations = 2500;
    spec.init = kiln::init_scheme::random;
    spec.load = kiln::networks::course_image_data;
    spec.sample_of = kiln::networks::course_image_sample;
    return kiln::run_app<net>(argc, argv, kiln::generated::two_layer_nn::kernels, spec);
}
