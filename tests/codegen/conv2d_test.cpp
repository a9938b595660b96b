// conv2d through the op harness: forward against a plain 7-deep loop, and every gradient
// (a second convolution's input gradient included, through the first one's d_W) against
// centred finite differences. Strides, valid and same padding, odd sizes.
#include "op_harness.hpp"

using namespace kiln;
using namespace kiln::test;

namespace {

// valid, stride 1, a non-square kernel
struct conv_valid_case {
    static constexpr auto net = input(image<5, 6, 2>) >> conv2d<3, 3, 2> >> flatten >> dense<2> >> loss::mse;
    static tensor logits(const batch& b) {
        int Wo = 0, Ho = 0;
        const tensor y = conv_ref(b.x[0], 2, 6, 5, b.param("conv2d1.W"), b.param("conv2d1.b"), 3, 3, 2, 1, false, b.n, Wo, Ho);
        return dense_ref(y, b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

// a second convolution, stride 2 with same padding on odd sizes: its input gradient (with
// the stride's holes and the padding's edges) feeds the first convolution's d_W
struct conv_stack_case {
    static constexpr auto net = input(image<7, 5, 2>) >> conv2d<3, 2, 2> >> tanh_ >>
                                conv2d<2, 3, 3, 2, padding::same> >> flatten >> dense<1> >> loss::mse;
    static tensor logits(const batch& b) {
        int W1 = 0, H1 = 0, W2 = 0, H2 = 0;
        tensor h = conv_ref(b.x[0], 2, 5, 7, b.param("conv2d1.W"), b.param("conv2d1.b"), 3, 2, 2, 1, false, b.n, W1, H1);
        for (double& v : h) v = std::tanh(v);
        const tensor y =
            conv_ref(h, 3, W1, H1, b.param("conv2d2.W"), b.param("conv2d2.b"), 2, 3, 3, 2, true, b.n, W2, H2);
        return dense_ref(y, b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

// a strided 1x1 after a 3x3 (same): its input gradient is computed on dy's grid and spread
// out to every second pixel (odd width: the last column is hit, even height: the last row is
// not), feeding the 3x3's d_W
struct conv_strided_1x1_case {
    static constexpr auto net = input(image<6, 5, 3>) >> conv2d<4, 3, 3, 1, padding::same> >> tanh_ >>
                                conv2d<3, 1, 1, 2> >> flatten >> dense<2> >> loss::mse;
    static tensor logits(const batch& b) {
        int W1 = 0, H1 = 0, W2 = 0, H2 = 0;
        tensor h = conv_ref(b.x[0], 3, 5, 6, b.param("conv2d1.W"), b.param("conv2d1.b"), 4, 3, 3, 1, true, b.n, W1, H1);
        for (double& v : h) v = std::tanh(v);
        const tensor y = conv_ref(h, 4, W1, H1, b.param("conv2d2.W"), b.param("conv2d2.b"), 3, 1, 1, 2, false, b.n, W2, H2);
        return dense_ref(y, b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

// Pooling over K x K windows with stride S, TensorFlow's padding: pixels outside the image
// take no part (max over the inside ones; average divided by their count).
tensor pool_ref(const tensor& x, int C, int W, int H, int K, int S, bool same, bool max, int n, int& Wo, int& Ho) {
    Wo = same ? (W + S - 1) / S : (W - K) / S + 1;
    Ho = same ? (H + S - 1) / S : (H - K) / S + 1;
    const int px = same ? std::max((Wo - 1) * S + K - W, 0) / 2 : 0;
    const int py = same ? std::max((Ho - 1) * S + K - H, 0) / 2 : 0;
    tensor y(static_cast<std::size_t>(C * Wo * Ho * n));
    for (int s = 0; s < n; ++s)
        for (int oy = 0; oy < Ho; ++oy)
            for (int ox = 0; ox < Wo; ++ox)
                for (int c = 0; c < C; ++c) {
                    double best = -1e300, sum = 0;
                    int count = 0;
                    for (int ky = 0; ky < K; ++ky)
                        for (int kx = 0; kx < K; ++kx) {
                            const int i = S * ox + kx - px, j = S * oy + ky - py;
                            if (i < 0 || i >= W || j < 0 || j >= H) continue;
                            const double v = x[static_cast<std::size_t>(c + C * (i + W * (j + H * s)))];
                            best = std::max(best, v);
                            sum += v;
                            ++count;
                        }
                    y[static_cast<std::size_t>(c + C * (ox + Wo * (oy + Ho * s)))] = max ? best : sum / count;
                }
    return y;
}

// conv -> tanh (no ties for max) -> pool: the pool's backward feeds the conv's d_W
template <bool Max, bool Same>
struct pool_case {
    static constexpr auto pool = [] {
        if constexpr (Max) return max_pool2d<3, 2, Same ? padding::same : padding::valid>;
        else return avg_pool2d<3, 2, Same ? padding::same : padding::valid>;
    }();
    static constexpr auto net =
        input(image<8, 7, 2>) >> conv2d<3, 2, 2> >> tanh_ >> pool >> flatten >> dense<2> >> loss::mse;
    static tensor logits(const batch& b) {
        int W1 = 0, H1 = 0, Wo = 0, Ho = 0;
        tensor h = conv_ref(b.x[0], 2, 7, 8, b.param("conv2d1.W"), b.param("conv2d1.b"), 3, 2, 2, 1, false, b.n, W1, H1);
        for (double& v : h) v = std::tanh(v);
        const tensor p = pool_ref(h, 3, W1, H1, 3, 2, Same, Max, b.n, Wo, Ho);
        return dense_ref(p, b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

// zero padding, then a valid convolution, then the global average of each channel
struct pad_gap_case {
    static constexpr auto net =
        input(image<4, 5, 2>) >> conv2d<3, 2, 2> >> zero_pad2d<1> >> conv2d<4, 3, 3> >> global_avg_pool >>
        dense<2> >> loss::mse;
    static tensor logits(const batch& b) {
        int W1 = 0, H1 = 0, W2 = 0, H2 = 0;
        const tensor h = conv_ref(b.x[0], 2, 5, 4, b.param("conv2d1.W"), b.param("conv2d1.b"), 3, 2, 2, 1, false, b.n, W1, H1);
        const int Wp = W1 + 2, Hp = H1 + 2;
        tensor padded(static_cast<std::size_t>(3 * Wp * Hp * b.n), 0.0);
        for (int s = 0; s < b.n; ++s)
            for (int j = 0; j < H1; ++j)
                for (int i = 0; i < W1; ++i)
                    for (int c = 0; c < 3; ++c)
                        padded[static_cast<std::size_t>(c + 3 * (i + 1 + Wp * (j + 1 + Hp * s)))] =
                            h[static_cast<std::size_t>(c + 3 * (i + W1 * (j + H1 * s)))];
        const tensor y = conv_ref(padded, 3, Wp, Hp, b.param("conv2d2.W"), b.param("conv2d2.b"), 4, 3, 3, 1, false, b.n, W2, H2);
        tensor g(static_cast<std::size_t>(4 * b.n), 0.0);
        for (int s = 0; s < b.n; ++s)
            for (int p = 0; p < W2 * H2; ++p)
                for (int c = 0; c < 4; ++c)
                    g[static_cast<std::size_t>(c + 4 * s)] += y[static_cast<std::size_t>(c + 4 * (p + W2 * H2 * s))] / (W2 * H2);
        return dense_ref(g, b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

}  // namespace

TEMPLATE_TEST_CASE("pooling and padding: forward vs loops, backward vs finite differences", "[codegen][ops][conv]",
                   (pool_case<true, false>), (pool_case<true, true>), (pool_case<false, false>),
                   (pool_case<false, true>), pad_gap_case) {
    check_op<TestType>();
}

// Exact ties, as a flat image background makes them: filter 0 of the convolution is zero, so
// its channel equals its bias everywhere. Moving that bias moves every tied pixel together,
// so the cost is differentiable in it and each window must count once (the max is not
// differentiable in the zeroed weights themselves: they break the tie, so they are not
// compared).
TEST_CASE("max pooling gives a tied window's gradient to one pixel", "[codegen][ops][conv]") {
    using D = pool_case<true, false>;
    using Net = network<std::remove_cvref_t<decltype(D::net)>>;
    for (sched s : {sched::naive, sched::manual}) {
        jit_network<Net> jit(Halide::Float(64), s);
        batch b = make_batch<D>(5);
        tensor& W = b.param("conv2d1.W");  // (F=3, C=2, KW=2, KH=2): f innermost
        for (std::size_t i = 0; i < W.size(); i += 3) W[i] = 0;
        jit.bind(b);
        const outputs got = jit.run();
        const std::size_t bias = 1;  // conv2d1.b in the table
        const double v = b.p[bias][0], eps = 1e-6;
        jit.set_param(bias, 0, v + eps);
        const double up = jit.cost();
        jit.set_param(bias, 0, v - eps);
        const double down = jit.cost();
        const double fd = (up - down) / (2 * eps), g = got.d_params[bias][0];
        INFO("schedule " << sched_name(s) << ": d conv2d1.b[0] backward " << g << ", finite differences " << fd);
        CHECK(grad_rel_error(g, fd) < 1e-6);
    }
}

TEMPLATE_TEST_CASE("conv2d: forward vs loops, backward vs finite differences", "[codegen][ops][conv]",
                   conv_valid_case, conv_stack_case, conv_strided_1x1_case) {
    check_op<TestType>();
}

// Wide layers take the schedule's other paths (schedule/conv.hpp): a kernel bigger than
// its L2 budget is tiled by output channels outermost, with K's slice packed per tile
// (forward) or transposed per tile (d_in, here 512 x 576). Too many parameters for finite
// differences; the algorithm is the one checked above, so the manual schedule must give
// the naive one's numbers, and the naive forward the plain loops'.
TEST_CASE("conv2d: wide layers, manual schedule == naive schedule and loops", "[codegen][ops][conv]") {
    static constexpr auto net = input(image<5, 6, 8>) >> conv2d<512, 1, 1> >> relu >>
                                conv2d<64, 3, 3, 1, padding::same> >> relu >> flatten >> dense<2> >> loss::mse;
    using Net = network<std::remove_cvref_t<decltype(net)>>;
    const batch b = random_batch<Net>(3, 31);
    jit_network<Net> naive(Halide::Float(64), sched::naive), manual(Halide::Float(64), sched::manual);
    naive.bind(b);
    manual.bind(b);
    const outputs want = naive.run(), got = manual.run();

    int W1 = 0, H1 = 0, W2 = 0, H2 = 0;
    tensor h = conv_ref(b.x[0], 8, 6, 5, b.param("conv2d1.W"), b.param("conv2d1.b"), 512, 1, 1, 1, false, 3, W1, H1);
    for (double& v : h) v = std::max(v, 0.0);
    tensor y = conv_ref(h, 512, W1, H1, b.param("conv2d2.W"), b.param("conv2d2.b"), 64, 3, 3, 1, true, 3, W2, H2);
    for (double& v : y) v = std::max(v, 0.0);
    check_values("prediction vs loops", want.prediction, dense_ref(y, b.param("dense1.W"), b.param("dense1.b"), 3),
                 1e-12);
    // The schedules sum in different orders: d_W of conv2d2 sums 3 x 5 x 6 = 90 products per
    // entry and d_W of conv2d1 runs through 64 x 9 x 90 of them, so float64 rounding reaches
    // ~1e-12 relative; a wrong tile or index is off by O(1).
    constexpr double reordered = 1e-10;
    check_values("prediction", got.prediction, want.prediction, reordered);
    check_values("cost", {got.cost}, {want.cost}, reordered);
    for (std::size_t i = 0; i < want.d_params.size(); ++i)
        check_values("d " + b.names[i], got.d_params[i], want.d_params[i], reordered);
}
