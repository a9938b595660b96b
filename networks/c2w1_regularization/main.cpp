// kiln-regularization: C2W1, L2 and dropout against over-fitting. Try
//   kiln-regularization train | train --l2 0.7 | train --keep-prob 0.86
#include "net.hpp"
#include "networks/common/points.hpp"
#include "regularization_kernels.hpp"
#include "runtime/cli.hpp"
#include "runtime/datasets/football.hpp"

int main(int argc, char** argv) {
    using net = kiln::network_of<kiln::networks::regularization>;
    kiln::app_spec spec;
    spec.name = "regularization";
    spec.summary = "C2W1 regularisation, 2 -> 20 -> 3 -> 1 with dropout, on the football-field stand-in";
    // The course: learning rate 0.3, 30000 iterations, weights randn / sqrt(fan_in).
    spec.fit.learning_rate = 0.3f;
    spec.fit.iterations = 30000;
    spec.fit.print_every = 10000;
    spec.init = kiln::init_scheme::xavier;
    spec.load = kiln::networks::own_data([](std::uint64_t seed) {
        kiln::football_data d = kiln::load_football({.seed = seed});
        return std::pair{std::move(d.train), std::move(d.test)};
    });
    kiln::networks::points_app(spec);
    return kiln::run_app<net>(argc, argv, kiln::generated::regularization::kernels, spec);
}
