// A network built as three pipelines (kiln_add_network SEGMENTS 3) against the same network
// built as one: inference, and a training step's cost, every gradient and the batch norms'
// new running averages (training-mode statistics and dropout's mask cross the cuts).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

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

TEST_CASE("a segment's tape holds the values its backward reads, and no others", "[networks][segments]") {
    // By hand, from what each layer's gradient needs (codegen/ops/): a convolution's dW its
    // input, batch norm its input (the statistics), an activation its output; add, dropout,
    // pooling by averages need nothing. The frozen block at the start has no gradient.
    REQUIRE(net::segment_bounds(3) == std::vector<int>{0, 6, 12, static_cast<int>(net::node_count)});
    auto names = [](int begin, int end) {
        std::vector<std::string> n;
        for (int j : net::tape_nodes(begin, end)) n.emplace_back(net::node_table[static_cast<std::size_t>(j)].name.view());
        return n;
    };
    // conv2d2 reads relu1 for its dW; batch_norm2 reads conv2d2. batch_norm2, the output,
    // is read by nothing's backward.
    CHECK(names(0, 6) == std::vector<std::string>{"relu1", "conv2d2"});
    // relu2: its own backward and conv2d3's dW; conv2d3: batch_norm3; relu61 (relu6) its own;
    // batch_norm3 and add1 by nobody; relu3, the segment's output, its own.
    CHECK(names(6, 12) == std::vector<std::string>{"relu2", "conv2d3", "relu61", "relu3"});
    // The frozen block alone: no gradient flows there, so nothing is kept.
    CHECK(names(0, 4).empty());

    // The batch statistics kept with the tape: each batch norm's but the frozen one's
    // (batch_norm1 normalises by its running averages, even in training).
    auto stats = [](int begin, int end) {
        std::vector<std::string> n;
        for (int j : net::tape_stats(begin, end)) n.emplace_back(net::node_table[static_cast<std::size_t>(j)].name.view());
        return n;
    };
    CHECK(stats(0, 6) == std::vector<std::string>{"batch_norm2"});
    CHECK(stats(6, 12) == std::vector<std::string>{"batch_norm3"});
    CHECK(stats(0, 4).empty());
}

#include "bn_first_kernels.hpp"
#include "runtime/dataset.hpp"

TEST_CASE("recalibrate_batch_norm: running averages become the mean of the batches' statistics",
          "[networks][batch_norm]") {
    using bn_net = network_of<test::bn_first_net>;
    model<bn_net> m(generated::bn_first::kernels);
    m.initialize(init_scheme::xavier, 2);
    dataset d;
    d.features = 3;
    d.outputs = 2;
    rng gen(5);
    for (int s = 0; s < 64; ++s) {
        for (int f = 0; f < 3; ++f) d.x.push_back(static_cast<float>(f + 1) * static_cast<float>(gen.normal()) + f);
        d.y.push_back(s % 2 ? 1.f : 0.f);
        d.y.push_back(s % 2 ? 0.f : 1.f);
    }
    const std::size_t batch = 16, batches = 3;
    const std::size_t layers = m.recalibrate_batch_norm(d, batch, batches, 9);
    CHECK(layers == 1);
    // the same batches, their statistics by hand: mean, and variance over the batch (/ M)
    const mini_batches mb(d, batch, 9);
    std::vector<double> mean(3, 0), var(3, 0);
    for (std::size_t b = 0; b < batches; ++b) {
        const batch_view v = mb[b];
        for (int f = 0; f < 3; ++f) {
            double mu = 0, sq = 0;
            for (std::size_t s = 0; s < v.size; ++s) mu += v.x[s * 3 + f];
            mu /= double(v.size);
            for (std::size_t s = 0; s < v.size; ++s) sq += (v.x[s * 3 + f] - mu) * (v.x[s * 3 + f] - mu);
            mean[f] += mu / batches;
            var[f] += sq / double(v.size) / batches;
        }
    }
    const std::span<const float> rm = m.parameter("batch_norm1.running_mean"), rv = m.parameter("batch_norm1.running_var");
    for (int f = 0; f < 3; ++f) {
        INFO("channel " << f);
        // float32 statistics unwound through (new - m old) / (1 - m): 1 / (1 - m) = 100 scales
        // their rounding (~1e-7 relative) up to ~1e-5
        CHECK(rm[f] == Approx(mean[f]).margin(1e-4));
        CHECK(rv[f] == Approx(var[f]).epsilon(1e-4));
    }
}
