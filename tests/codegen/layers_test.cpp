// Per-op numerics of the layers: dense, the activations, softmax, flatten.
// Each descriptor is the op inside a tiny network and a plain-loop reference of the loss's
// input z; op_harness.hpp checks forward, cost, every gradient and both schedules.
#include "op_harness.hpp"

using namespace kiln;
using kiln::test::batch;
using kiln::test::dense_ref;
using kiln::test::map_ref;
using kiln::test::tensor;

namespace {

// dense, twice, so that dense's d_in (W^T dy) is part of dense1's d_W; dense<1> puts the
// output on the batch-vectorised path of the manual schedule.
struct dense_case {
    static constexpr auto net = input(features<5>) >> dense<4> >> dense<1> >> loss::mse;
    static tensor logits(const batch& b) {
        const tensor h = dense_ref(b.x[0], b.param("dense1.W"), b.param("dense1.b"), b.n);
        return dense_ref(h, b.param("dense2.W"), b.param("dense2.b"), b.n);
    }
};

// F = 70 >= 64: the manual schedule's rfactor path, with a tail of 70 % 8 or 70 % 16.
struct dense_wide_case {
    static constexpr auto net = input(features<70>) >> dense<3> >> loss::mse;
    static tensor logits(const batch& b) {
        return dense_ref(b.x[0], b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

// F >= 2048: the manual schedule also blocks the reduction (codegen/schedule/matmul.hpp);
// 2100 leaves a partial last block and a partial last vector.
// Positive inputs and targets far below the outputs give every d_W entry one sign and a
// size well above finite differences' rounding (a sum of 2100 terms in the cost).
struct dense_blocked_case {
    static constexpr auto net = input(features<2100>) >> dense<6> >> loss::mse;
    static void prepare(batch& b) {
        for (double& v : b.x[0]) v = 0.5 + 0.5 * std::abs(v);
        for (double& v : b.y) v = -10 - std::abs(v);
    }
    static tensor logits(const batch& b) {
        return dense_ref(b.x[0], b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

// dense >> OP >> dense >> sigmoid cross-entropy: OP's backward is inside dense1's d_W.
template <class Op, double (*Fn)(double)>
struct pointwise_case {
    static constexpr auto net =
        input(features<3>) >> dense<5> >> Op{} >> dense<2> >> loss::sigmoid_cross_entropy;
    static tensor logits(const batch& b) {
        const tensor h = map_ref(dense_ref(b.x[0], b.param("dense1.W"), b.param("dense1.b"), b.n), Fn);
        return dense_ref(h, b.param("dense2.W"), b.param("dense2.b"), b.n);
    }
};

double relu_ref(double v) { return v > 0 ? v : 0.0; }
double leaky_ref(double v) { return v > 0 ? v : 0.1 * v; }  // leaky_relu<100>: slope 0.1
double tanh_ref(double v) { return std::tanh(v); }

using relu_case = pointwise_case<relu_t, relu_ref>;
using leaky_relu_case = pointwise_case<leaky_relu_t<100>, leaky_ref>;
using sigmoid_case = pointwise_case<sigmoid_t, kiln::test::sigmoid_ref>;
using tanh_case = pointwise_case<tanh_t, tanh_ref>;

// softmax followed by mse (not the fused cross-entropy), so softmax's own backward runs.
struct softmax_case {
    static constexpr auto net = input(features<3>) >> dense<4> >> softmax >> loss::mse;
    static tensor logits(const batch& b) {
        return kiln::test::softmax_ref(dense_ref(b.x[0], b.param("dense1.W"), b.param("dense1.b"), b.n), 4, b.n);
    }
};

// flatten of a computed image (tanh of the input), i.e. op<flatten_t>'s index arithmetic.
// H=2, W=3, C=4 all differ, so any other order of (c, x, y) gives other features.
// The reference spells out the contract: feature f = c + C (x + W y), c fastest.
constexpr int H = 2, W = 3, C = 4;
tensor flatten_ref(const batch& b, bool with_tanh) {
    tensor flat(static_cast<std::size_t>(C * W * H * b.n));
    for (int s = 0; s < b.n; ++s)
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x)
                for (int c = 0; c < C; ++c) {
                    // the input sample is stored (c, x, y) innermost first (lower.hpp REQUIRES)
                    const double v = b.x[0][static_cast<std::size_t>(c + C * x + C * W * y + C * W * H * s)];
                    flat[static_cast<std::size_t>(((y * W + x) * C + c) + C * W * H * s)] = with_tanh ? std::tanh(v) : v;
                }
    return flat;
}

struct flatten_case {
    static constexpr auto net = input(image<H, W, C>) >> tanh_ >> flatten >> dense<3> >> loss::mse;
    static tensor logits(const batch& b) {
        return dense_ref(flatten_ref(b, true), b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

// flatten straight of the input: lower() reuses the flat input, moving no data.
struct flatten_input_case {
    static constexpr auto net = input(image<H, W, C>) >> flatten >> dense<3> >> loss::mse;
    static tensor logits(const batch& b) {
        return dense_ref(flatten_ref(b, false), b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

}  // namespace

// forward vs loops, backward vs finite differences, naive vs manual (op_harness.hpp)
TEMPLATE_TEST_CASE("layer op",
                   "[codegen][ops]", dense_case, dense_wide_case, dense_blocked_case, relu_case, leaky_relu_case,
                   sigmoid_case, tanh_case, softmax_case, flatten_case, flatten_input_case) {
    kiln::test::check_op<TestType>();
}
