// C2W1/C2W3 inside the compiled step: the L2 term, inverted dropout and batch norm, through
// the op harness (forward against loops, backward against finite differences), plus the
// parts the harness cannot see: dropout's mask statistics, the running averages, and
// batch norm folded into the dense layer of an inference build.
#include "op_harness.hpp"

using namespace kiln;
using namespace kiln::test;

namespace {

// Per-channel batch norm of x (C innermost, `positions` values per channel and sample),
// training mode: batch statistics, population variance.
struct bn_stats {
    tensor mean, var;
};
bn_stats batch_stats(const tensor& x, int C, int n) {
    const std::size_t per = x.size() / static_cast<std::size_t>(C);
    bn_stats s{tensor(static_cast<std::size_t>(C), 0.0), tensor(static_cast<std::size_t>(C), 0.0)};
    for (std::size_t i = 0; i < x.size(); ++i) s.mean[i % static_cast<std::size_t>(C)] += x[i] / double(per);
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double d = x[i] - s.mean[i % static_cast<std::size_t>(C)];
        s.var[i % static_cast<std::size_t>(C)] += d * d / double(per);
    }
    (void)n;
    return s;
}
tensor bn_ref(const tensor& x, int C, const tensor& gamma, const tensor& beta, const bn_stats& s) {
    tensor y(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
        const std::size_t c = i % static_cast<std::size_t>(C);
        y[i] = gamma[c] * (x[i] - s.mean[c]) / std::sqrt(s.var[c] + 1e-5) + beta[c];
    }
    return y;
}

struct l2_case {
    static constexpr double l2 = 0.7;  // the course's lambda
    static constexpr auto net = input(features<3>) >> dense<4> >> relu >> dense<1> >> loss::sigmoid_cross_entropy;
    static tensor logits(const batch& b) {
        tensor h = dense_ref(b.x[0], b.param("dense1.W"), b.param("dense1.b"), b.n);
        for (double& v : h) v = std::max(v, 0.0);
        return dense_ref(h, b.param("dense2.W"), b.param("dense2.b"), b.n);
    }
};

struct dropout_case {
    static constexpr double keep_prob = 0.6;
    static constexpr auto net =
        input(features<3>) >> dense<6> >> tanh_ >> dropout >> dense<2> >> loss::softmax_cross_entropy;
    static tensor logits(const batch&) { return {}; }  // not used with keep_prob < 1
};

struct bn_dense_case {
    static constexpr auto net =
        input(features<3>) >> dense<5> >> batch_norm >> relu >> dense<2> >> loss::softmax_cross_entropy;
    static tensor logits(const batch& b) {
        const tensor z = dense_ref(b.x[0], b.param("dense1.W"), b.param("dense1.b"), b.n);
        tensor h = bn_ref(z, 5, b.param("batch_norm1.gamma"), b.param("batch_norm1.beta"), batch_stats(z, 5, b.n));
        for (double& v : h) v = std::max(v, 0.0);
        return dense_ref(h, b.param("dense2.W"), b.param("dense2.b"), b.n);
    }
    // The running averages the step leaves: 0.9 old + 0.1 batch statistic (ONNX's rule).
    static void check_state(const batch& b, const outputs& got) {
        const bn_stats s = batch_stats(dense_ref(b.x[0], b.param("dense1.W"), b.param("dense1.b"), b.n), 5, b.n);
        tensor mean(5), var(5);
        for (std::size_t c = 0; c < 5; ++c) {
            mean[c] = 0.9 * b.param("batch_norm1.running_mean")[c] + 0.1 * s.mean[c];
            var[c] = 0.9 * b.param("batch_norm1.running_var")[c] + 0.1 * s.var[c];
        }
        check_values("new running_mean", got.d_params[4], mean, 1e-12);
        check_values("new running_var", got.d_params[5], var, 1e-12);
    }
};

// Per-channel batch norm of an image (over x, y and n); its backward reaches the input
// through flatten's backward (a gradient flows because gamma and beta are upstream).
struct bn_image_case {
    static constexpr auto net = input(image<3, 2, 4>) >> batch_norm >> flatten >> dense<2> >> loss::mse;
    static tensor logits(const batch& b) {
        const tensor h = bn_ref(b.x[0], 4, b.param("batch_norm1.gamma"), b.param("batch_norm1.beta"),
                                batch_stats(b.x[0], 4, b.n));
        return dense_ref(h, b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

}  // namespace

TEMPLATE_TEST_CASE("regularisation and normalisation: forward vs loops, backward vs finite differences",
                   "[codegen][ops][course2]", l2_case, dropout_case, bn_dense_case, bn_image_case) {
    check_op<TestType>();
}
