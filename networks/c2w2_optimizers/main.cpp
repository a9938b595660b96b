// kiln-optimizers: C2W2, mini-batch gradient descent, momentum and Adam on the moons. Try
//   kiln-optimizers train --optimizer sgd | momentum | adam
#include "net.hpp"
#include "networks/common/points.hpp"
#include "optimizers_kernels.hpp"
#include "runtime/cli.hpp"
#include "runtime/datasets/sklearn_shapes.hpp"

int main(int argc, char** argv) {
    using net = kiln::network_of<kiln::networks::optimizers>;
    kiln::app_spec spec;
    spec.name = "optimizers";
    spec.summary = "C2W2 optimizers, 2 -> 5 -> 2 -> 1 on make_moons";
    // The course: mini-batches of 64, learning rate 0.0007, 5000 epochs, He initialisation;
    // momentum beta 0.9; Adam beta1 0.9, beta2 0.999, epsilon 1e-8.
    spec.fit.learning_rate = 0.0007f;
    spec.fit.iterations = 0;
    spec.fit.epochs = 5000;
    spec.fit.batch_size = 64;
    spec.fit.print_every = 5000;
    spec.fit.optimizer = "adam";
    spec.init = kiln::init_scheme::he;
    // The course: make_moons(n_samples=300, noise=.2); kiln also tests on 300 fresh points.
    spec.load = kiln::networks::own_data([](std::uint64_t seed) {
        return std::pair{kiln::make_moons({.n_samples = 300, .noise = 0.2, .seed = seed}),
                         kiln::make_moons({.n_samples = 300, .noise = 0.2, .seed = seed + 1000})};
    });
    kiln::networks::points_app(spec);
    return kiln::run_app<net>(argc, argv, kiln::generated::optimizers::kernels, spec);
}
