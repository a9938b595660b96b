// MobileNet's pieces through the op harness: depthwise_conv2d (strides, same and valid
// padding, with and without bias), conv2d without bias, relu6, an inverted residual block,
// and frozen() layers. Forward against plain loops written here, every trainable gradient
// against centred finite differences (a layer's d_in through the d_W of a layer below it),
// manual against naive. Frozen parameters must have no gradient at all (the harness
// requires their d_params to be undefined).
#include "op_harness.hpp"

using namespace kiln;
using namespace kiln::test;

namespace {

// y(c, ox, oy, n) = b(c) + sum_{kx, ky} W(c, kx, ky) x(c, S ox + kx - px, S oy + ky - py, n)
tensor depthwise_ref(const tensor& x, int C, int W, int H, const tensor& Wt, const tensor* b, int KH, int KW, int S,
                     bool same, int n, int& Wo, int& Ho) {
    Wo = same ? (W + S - 1) / S : (W - KW) / S + 1;
    Ho = same ? (H + S - 1) / S : (H - KH) / S + 1;
    const int px = same ? std::max((Wo - 1) * S + KW - W, 0) / 2 : 0;
    const int py = same ? std::max((Ho - 1) * S + KH - H, 0) / 2 : 0;
    tensor y(static_cast<std::size_t>(C * Wo * Ho * n));
    for (int s = 0; s < n; ++s)
        for (int oy = 0; oy < Ho; ++oy)
            for (int ox = 0; ox < Wo; ++ox)
                for (int c = 0; c < C; ++c) {
                    double acc = b ? (*b)[static_cast<std::size_t>(c)] : 0.0;
                    for (int ky = 0; ky < KH; ++ky)
                        for (int kx = 0; kx < KW; ++kx) {
                            const int i = S * ox + kx - px, j = S * oy + ky - py;
                            if (i < 0 || i >= W || j < 0 || j >= H) continue;
                            acc += Wt[static_cast<std::size_t>(c + C * (kx + KW * ky))] *
                                   x[static_cast<std::size_t>(c + C * (i + W * (j + H * s)))];
                        }
                    y[static_cast<std::size_t>(c + C * (ox + Wo * (oy + Ho * s)))] = acc;
                }
    return y;
}

const tensor no_bias_zeros(64, 0.0);  // conv_ref wants a bias: zeros for a bias-free conv2d

// Batch norm's inference form per channel (innermost): gamma (x - mean) / sqrt(var + eps) + beta.
tensor bn_inference_ref(tensor x, int C, const batch& b, const std::string& node, double eps) {
    const tensor &g = b.param(node + ".gamma"), &be = b.param(node + ".beta"), &m = b.param(node + ".running_mean"),
                 &v = b.param(node + ".running_var");
    for (std::size_t i = 0; i < x.size(); ++i) {
        const std::size_t c = i % static_cast<std::size_t>(C);
        x[i] = g[c] * (x[i] - m[c]) / std::sqrt(v[c] + eps) + be[c];
    }
    return x;
}
// Running variances must be positive: the harness draws every parameter in [-1, 1].
void positive_variances(batch& b) {
    for (std::size_t i = 0; i < b.names.size(); ++i)
        if (b.names[i].ends_with(".running_var"))
            for (double& v : b.p[i]) v = 0.25 + std::abs(v);
}

// same padding, stride 1, 3x3, no bias (MobileNetV2's stride-1 depthwise)
struct dw_same_case {
    static constexpr auto net =
        input(image<5, 6, 3>) >> depthwise_conv2d<3, 3, 1, padding::same> >> tanh_ >> flatten >> dense<2> >> loss::mse;
    // 90 features into the dense: smaller weights keep the cost, and so the rounding of its
    // finite differences, small next to the smallest gradients
    static void prepare(batch& b) {
        for (double& v : b.param("dense1.W")) v *= 0.25;
    }
    static tensor logits(const batch& b) {
        int Wo = 0, Ho = 0;
        const tensor y = depthwise_ref(b.x[0], 3, 6, 5, b.param("depthwise_conv2d1.W"), nullptr, 3, 3, 1, true, b.n, Wo, Ho);
        return dense_ref(map_ref(y, [](double v) { return std::tanh(v); }), b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

// stride 2, same, with bias, after a 1x1 conv2d: the depthwise d_in (holes of the stride,
// edges of the padding) is checked through conv2d1's d_W
struct dw_stride_case {
    static constexpr auto net = input(image<7, 6, 2>) >> conv2d<3, 1, 1> >> tanh_ >>
                                depthwise_conv2d<3, 3, 2, padding::same, true> >> flatten >> dense<2> >> loss::mse;
    static tensor logits(const batch& b) {
        int W1 = 0, H1 = 0, Wo = 0, Ho = 0;
        tensor h = conv_ref(b.x[0], 2, 6, 7, b.param("conv2d1.W"), b.param("conv2d1.b"), 3, 1, 1, 1, false, b.n, W1, H1);
        h = map_ref(h, [](double v) { return std::tanh(v); });
        const tensor y = depthwise_ref(h, 3, W1, H1, b.param("depthwise_conv2d1.W"), &b.param("depthwise_conv2d1.b"),
                                       3, 3, 2, true, b.n, Wo, Ho);
        return dense_ref(y, b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

// valid, a non-square kernel (KH 2, KW 3), stride 2 with a remainder
struct dw_valid_case {
    static constexpr auto net = input(image<6, 7, 4>) >> conv2d<4, 2, 2> >> tanh_ >>
                                depthwise_conv2d<2, 3, 2> >> flatten >> dense<1> >> loss::mse;
    static tensor logits(const batch& b) {
        int W1 = 0, H1 = 0, Wo = 0, Ho = 0;
        tensor h = conv_ref(b.x[0], 4, 7, 6, b.param("conv2d1.W"), b.param("conv2d1.b"), 4, 2, 2, 1, false, b.n, W1, H1);
        h = map_ref(h, [](double v) { return std::tanh(v); });
        const tensor y = depthwise_ref(h, 4, W1, H1, b.param("depthwise_conv2d1.W"), nullptr, 2, 3, 2, false, b.n, Wo, Ho);
        return dense_ref(y, b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

// conv2d without a bias: one parameter, W
struct conv_no_bias_case {
    static constexpr auto net = input(image<5, 5, 2>) >> conv2d<3, 3, 3, 1, padding::same, false> >> flatten >>
                                dense<2> >> loss::mse;
    static_assert(network<std::remove_cvref_t<decltype(net)>>::params.size() == 3, "conv2d W, dense W and b");
    static tensor logits(const batch& b) {
        int Wo = 0, Ho = 0;
        const tensor y = conv_ref(b.x[0], 2, 5, 5, b.param("conv2d1.W"), no_bias_zeros, 3, 3, 3, 1, true, b.n, Wo, Ho);
        return dense_ref(y, b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

// relu6 with inputs spread over (-8, 8): both clips are exercised. No value lands within
// the finite differences' 2e-5 of a kink for this data (the check would say so).
struct relu6_case {
    static constexpr auto net = input(features<4>) >> dense<5> >> relu6 >> dense<2> >> loss::mse;
    static void prepare(batch& b) {
        for (double& v : b.x[0]) v *= 4;
        for (double& v : b.param("dense1.W")) v *= 3;
    }
    static tensor logits(const batch& b) {
        tensor h = dense_ref(b.x[0], b.param("dense1.W"), b.param("dense1.b"), b.n);
        h = map_ref(h, [](double v) { return std::min(std::max(v, 0.0), 6.0); });
        return dense_ref(h, b.param("dense2.W"), b.param("dense2.b"), b.n);
    }
};

// MobileNetV2's inverted residual with a linear bottleneck (stride 1, in = out channels):
// expand 1x1 -> depthwise 3x3 -> project 1x1 (linear), plus the input. tanh stands in for
// relu6 so that every finite difference is smooth; relu6 has its own case above.
struct inverted_residual_case {
    static constexpr auto block = residual(conv2d<8, 1, 1, 1, padding::valid, false> >> tanh_ >>
                                               depthwise_conv2d<3, 3, 1, padding::same> >> tanh_ >>
                                               conv2d<4, 1, 1, 1, padding::valid, false>,
                                           identity);
    static constexpr auto net =
        input(image<5, 5, 3>) >> conv2d<4, 1, 1> >> tanh_ >> block >> flatten >> dense<2> >> loss::mse;
    static tensor logits(const batch& b) {
        int Wa = 0, Ha = 0, Wb = 0, Hb = 0;
        auto th = [](double v) { return std::tanh(v); };
        const tensor x0 =
            map_ref(conv_ref(b.x[0], 3, 5, 5, b.param("conv2d1.W"), b.param("conv2d1.b"), 4, 1, 1, 1, false, b.n, Wa, Ha), th);
        tensor h = map_ref(conv_ref(x0, 4, 5, 5, b.param("conv2d2.W"), no_bias_zeros, 8, 1, 1, 1, false, b.n, Wa, Ha), th);
        h = map_ref(depthwise_ref(h, 8, 5, 5, b.param("depthwise_conv2d1.W"), nullptr, 3, 3, 1, true, b.n, Wb, Hb), th);
        tensor y = conv_ref(h, 8, 5, 5, b.param("conv2d3.W"), no_bias_zeros, 4, 1, 1, 1, false, b.n, Wa, Ha);
        for (std::size_t i = 0; i < y.size(); ++i) y[i] += x0[i];
        return dense_ref(y, b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

// A frozen base below a trainable head (transfer learning): the base computes its
// inference form (batch norm with its running averages, Keras' epsilon), and only the head
// has gradients. Nothing below the head is differentiated.
struct frozen_base_case {
    static constexpr auto net = input(image<5, 5, 2>) >>
                                frozen(conv2d<3, 3, 3, 1, padding::same> >> batch_norm_with<1e-3, 0.999> >> relu6) >>
                                flatten >> dense<2> >> loss::mse;
    static void prepare(batch& b) { positive_variances(b); }
    static tensor logits(const batch& b) {
        int Wo = 0, Ho = 0;
        tensor h = conv_ref(b.x[0], 2, 5, 5, b.param("conv2d1.W"), b.param("conv2d1.b"), 3, 3, 3, 1, true, b.n, Wo, Ho);
        h = bn_inference_ref(h, 3, b, "batch_norm1", 1e-3);
        h = map_ref(h, [](double v) { return std::min(std::max(v, 0.0), 6.0); });
        return dense_ref(h, b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

// Frozen layers between trainable ones: the gradient runs through the frozen conv2d (its
// batch norm folded into it, both being frozen), the frozen depthwise_conv2d + batch norm,
// and a frozen dropout (the identity), into conv2d1's d_W.
struct frozen_middle_case {
    static constexpr auto net =
        input(image<6, 5, 2>) >> conv2d<3, 2, 2> >> tanh_ >>
        frozen(conv2d<4, 3, 3, 1, padding::same, false> >> batch_norm >> dropout >>
               depthwise_conv2d<3, 3, 2, padding::same> >> batch_norm) >>
        tanh_ >> flatten >> dense<2> >> loss::mse;
    static void prepare(batch& b) { positive_variances(b); }
    static tensor logits(const batch& b) {
        int W1 = 0, H1 = 0, W2 = 0, H2 = 0, W3 = 0, H3 = 0;
        auto th = [](double v) { return std::tanh(v); };
        tensor h = map_ref(conv_ref(b.x[0], 2, 5, 6, b.param("conv2d1.W"), b.param("conv2d1.b"), 3, 2, 2, 1, false, b.n, W1, H1), th);
        h = conv_ref(h, 3, W1, H1, b.param("conv2d2.W"), no_bias_zeros, 4, 3, 3, 1, true, b.n, W2, H2);
        h = bn_inference_ref(h, 4, b, "batch_norm1", 1e-5);
        h = depthwise_ref(h, 4, W2, H2, b.param("depthwise_conv2d1.W"), nullptr, 3, 3, 2, true, b.n, W3, H3);
        h = map_ref(bn_inference_ref(h, 4, b, "batch_norm2", 1e-5), th);
        return dense_ref(h, b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

}  // namespace

TEMPLATE_TEST_CASE("depthwise_conv2d, conv2d without bias, relu6 and an inverted residual: forward, gradients, schedules",
                   "[codegen][depthwise]", dw_same_case, dw_stride_case, dw_valid_case, conv_no_bias_case,
                   relu6_case, inverted_residual_case) {
    check_op<TestType>();
}

TEMPLATE_TEST_CASE("frozen layers: inference form, no gradient, backward through them", "[codegen][frozen]",
                   frozen_base_case, frozen_middle_case) {
    using Net = network<std::remove_cvref_t<decltype(TestType::net)>>;
    // the frozen parameters lead the arena; the gradient arena is the rest
    std::size_t frozen = 0;
    for (const param_entry& e : Net::params) {
        if (e.spec.frozen) {
            CHECK(e.offset + e.spec.size() <= Net::frozen_size);
            frozen += e.spec.size();
        } else {
            CHECK(e.offset >= Net::frozen_size);
        }
    }
    CHECK(frozen == Net::frozen_size);
    CHECK(Net::grad_size == Net::param_size - Net::frozen_size);
    check_op<TestType>();
}

TEST_CASE("frozen() keeps names and shapes, marks every parameter", "[codegen][frozen]") {
    constexpr auto plain = input(image<8, 8, 3>) >> conv2d<4, 3, 3> >> batch_norm >> relu >> flatten >> dense<2> >>
                           loss::softmax_cross_entropy;
    constexpr auto half = input(image<8, 8, 3>) >> frozen(conv2d<4, 3, 3> >> batch_norm >> relu) >> flatten >>
                          dense<2> >> loss::softmax_cross_entropy;
    using A = network<std::remove_cvref_t<decltype(plain)>>;
    using B = network<std::remove_cvref_t<decltype(half)>>;
    STATIC_REQUIRE(A::param_size == B::param_size);
    STATIC_REQUIRE(B::frozen_size == 4 * 3 * 3 * 3 + 4 + 4 * 4);
    for (std::size_t i = 0; i < A::params.size(); ++i) {
        CHECK(A::params[i].name.view() == B::params[i].name.view());
        CHECK(A::params[i].spec.size() == B::params[i].spec.size());
        CHECK(B::params[i].spec.frozen == (i < 6));
    }
}
