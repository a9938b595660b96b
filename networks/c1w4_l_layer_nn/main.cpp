// kiln-l-layer-nn: C1W4 L-layer network, 12288 -> 20 -> 7 -> 5 -> 1
#include "l_layer_nn_kernels.hpp"
#include "net.hpp"
#include "networks/common/course_images.hpp"
#include "runtime/cli.hpp"

int main(int argc, char** argv) {
    using net = kiln::network_of<kiln::networks::l_layer_nn>;
    kiln::app_spec spec;
    spec.name = "l-layer-nn";
    spec.summary = "C1W4 L-layer network, 12288 -> 20 -> 7 -> 5 -> 1";
    // The course: weights randn / sqrt(fan_in) (kiln's xavier), learning rate 0.0075, 2500 iterations.
    spec.fit.learning_rate = 0.0075f;
    spec.fit.iterations = 2500;
    spec.init = kiln::init_scheme::xavier;
    spec.load = kiln::networks::course_image_data;
    spec.sample_of = kiln::networks::course_image_sample;
    return kiln::run_app<net>(argc, argv, kiln::generated::l_layer_nn::kernels, spec);
}
