// kiln-planar-classifier: C1W3, one hidden layer of 4 tanh units on the "flower" data.
#include "net.hpp"
#include "networks/common/points.hpp"
#include "planar_classifier_kernels.hpp"
#include "runtime/cli.hpp"
#include "runtime/datasets/planar.hpp"

int main(int argc, char** argv) {
    using net = kiln::network_of<kiln::networks::planar_classifier>;
    kiln::app_spec spec;
    spec.name = "planar-classifier";
    spec.summary = "C1W3 planar data classification, 2 -> 4 tanh -> 1 sigmoid";
    // The course: weights randn * 0.01, learning rate 1.2, 10000 iterations, 400 points.
    spec.fit.learning_rate = 1.2f;
    spec.fit.iterations = 10000;
    spec.fit.print_every = 1000;
    spec.init = kiln::init_scheme::random;
    // Train on the course's 400 points; test on 400 fresh points of the same flower.
    spec.load = kiln::networks::own_data([](std::uint64_t seed) {
        return std::pair{kiln::load_planar_dataset({.seed = seed}), kiln::load_planar_dataset({.seed = seed + 1000})};
    });
    kiln::networks::points_app(spec);
    return kiln::run_app<net>(argc, argv, kiln::generated::planar_classifier::kernels, spec);
}
