// kiln-logistic-regression: C1W2 logistic regression, 64x64x3 image -> 1 sigmoid unit
#include "logistic_regression_kernels.hpp"
#include "net.hpp"
#include "networks/common/course_images.hpp"
#include "runtime/cli.hpp"

int main(int argc, char** argv) {
    using net = kiln::network_of<kiln::networks::logistic_regression>;
    kiln::app_spec spec;
    spec.name = "logistic-regression";
    spec.summary = "C1W2 logistic regression, 64x64x3 image -> 1 sigmoid unit";
    // The course: zero initialisation, learning rate 0.005, 2000 iterations of batch gradient descent.
    spec.fit.learning_rate = 0.005f;
    spec.fit.iterations = 2000;
    spec.init = kiln::init_scheme::zeros;
    spec.load = kiln::networks::course_image_data;
    spec.sample_of = kiln::networks::course_image_sample;
    return kiln::run_app<net>(argc, argv, kiln::generated::logistic_regression::kernels, spec);
}
