// A network built as three pipelines (kiln_add_network SEGMENTS 3) against the same network
// built as one: inference, and a training step's cost, every gradient and the batch norms'
// new running averages (training-mode statistics and dropout's mask cross the cuts).
#include <catch2/catch.hpp>

#include <cmath>

#include "runtime/model.hpp"
#include "runtime/random.hpp"
#include "segment_nets.hpp"
#include "segment_split_kernels.hpp"
#include "segment_whole_kernels.hpp"

using namespace kiln;

namespace {
using net = network_of<test::segment_net>;

void check_close(std::span<const float> got, std::span<const float> want, double tol, const char* what) {
    REQUIRE(got.size() == want.size());
    double worst = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double d = std::abs(double(got[i]) - want[i]) / std::max(1.0, std::abs(double(want[i])));
        worst = std::max(worst, d);
    }
    INFO(what << ": largest relative difference " << worst);
    CHECK(worst <= tol);
}
}  // namespace

TEST_CASE("a network in three pipelines computes what it computes in one", "[networks][segments]") {
    const std::vector<int> b = net::segment_bounds(3);
    REQUIRE(b.size() == 4);
    for (std::size_t k = 1; k + 1 < b.size(); ++k) CHECK(net::cut_after[static_cast<std::size_t>(b[k] - 1)]);

    model<net> whole(generated::segment_whole::kernels), split(generated::segment_split::kernels);
    whole.initialize(init_scheme::he, 7);
    split.initialize(init_scheme::he, 7);
    const std::size_t n = 5;
    rng gen(3);
    std::vector<float> x(n * model<net>::sample_size), y(n * 5, 0.f);
    for (float& v : x) v = static_cast<float>(gen.uniform());
    for (std::size_t s = 0; s < n; ++s) y[s * 5 + s % 5] = 1;

    // float32 both ways, the same maths; the cuts only change which loops are fused
    check_close(split.predict(x, n), whole.predict(x, n), 1e-5, "prediction");
    const step_settings settings{0.01f, 0.8f, 11, 4};
    const float c1 = whole.compute_gradients(x, y, n, settings), c2 = split.compute_gradients(x, y, n, settings);
    CHECK(c2 == Approx(c1).epsilon(1e-5));
    check_close(split.gradients(), whole.gradients(), 1e-4, "gradients and new running averages");
    CHECK(net::frozen_size > 0);
}
