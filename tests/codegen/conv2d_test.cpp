// conv2d through the op harness: forward against a plain 7-deep loop, and every gradient
// (a second convolution's input gradient included, through the first one's d_W) against
// centred finite differences. Strides, valid and same padding, odd sizes.
#include "op_harness.hpp"

using namespace kiln;
using namespace kiln::test;

namespace {

// y(f, ox, oy, s) = b(f) + sum W(f, c, kx, ky) x(c, S ox + kx - px, S oy + ky - py, s),
// x zero outside the image; TensorFlow's "same" padding puts the odd pixel after.
tensor conv_ref(const tensor& x, int C, int W, int H, const tensor& Wt, const tensor& b, int F, int KH, int KW,
                int S, bool same, int n, int& Wo, int& Ho) {
    Wo = same ? (W + S - 1) / S : (W - KW) / S + 1;
    Ho = same ? (H + S - 1) / S : (H - KH) / S + 1;
    const int px = same ? std::max((Wo - 1) * S + KW - W, 0) / 2 : 0;
    const int py = same ? std::max((Ho - 1) * S + KH - H, 0) / 2 : 0;
    tensor y(static_cast<std::size_t>(F * Wo * Ho * n));
    for (int s = 0; s < n; ++s)
        for (int oy = 0; oy < Ho; ++oy)
            for (int ox = 0; ox < Wo; ++ox)
                for (int f = 0; f < F; ++f) {
                    double acc = b[static_cast<std::size_t>(f)];
                    for (int ky = 0; ky < KH; ++ky)
                        for (int kx = 0; kx < KW; ++kx)
                            for (int c = 0; c < C; ++c) {
                                const int i = S * ox + kx - px, j = S * oy + ky - py;
                                if (i < 0 || i >= W || j < 0 || j >= H) continue;
                                acc += Wt[static_cast<std::size_t>(f + F * (c + C * (kx + KW * ky)))] *
                                       x[static_cast<std::size_t>(c + C * (i + W * (j + H * s)))];
                            }
                    y[static_cast<std::size_t>(f + F * (ox + Wo * (oy + Ho * s)))] = acc;
                }
    return y;
}

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

}  // namespace

TEMPLATE_TEST_CASE("conv2d: forward vs loops, backward vs finite differences", "[codegen][ops][conv]",
                   conv_valid_case, conv_stack_case) {
    check_op<TestType>();
}
