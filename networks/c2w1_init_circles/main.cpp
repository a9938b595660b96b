// kiln-init-circles: C2W1, what initialisation does to a 3-layer network. Try
//   kiln-init-circles train --init zeros | --init random --init-scale 10 | --init he
#include "init_circles_kernels.hpp"
#include "net.hpp"
#include "networks/common/points.hpp"
#include "runtime/cli.hpp"
#include "runtime/datasets/sklearn_shapes.hpp"

int main(int argc, char** argv) {
    using net = kiln::network_of<kiln::networks::init_circles>;
    kiln::app_spec spec;
    spec.name = "init-circles";
    spec.summary = "C2W1 initialisation, 2 -> 10 -> 5 -> 1 on make_circles";
    // The course: learning rate 0.01, 15000 iterations of batch gradient descent.
    spec.fit.learning_rate = 0.01f;
    spec.fit.iterations = 15000;
    spec.fit.print_every = 1000;
    spec.init = kiln::init_scheme::he;
    spec.init_scale = 10;  // --init random: the course's "large" initialisation
    // The course: make_circles(n_samples=300, noise=.05) to train, (100, .05) to test.
    spec.load = kiln::networks::own_data([](std::uint64_t seed) {
        return std::pair{kiln::make_circles({.n_samples = 300, .noise = 0.05, .seed = seed}),
                         kiln::make_circles({.n_samples = 100, .noise = 0.05, .seed = seed + 1000})};
    });
    kiln::networks::points_app(spec);
    return kiln::run_app<net>(argc, argv, kiln::generated::init_circles::kernels, spec);
}
