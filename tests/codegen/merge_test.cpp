// Per-op numerics of the merges (add, mul, concat) in small two-branch graphs. In each,
// dense1 feeds both branches, so its gradient is the sum of two contributions (lower.hpp's
// d_sum); each branch's d_in reaches a d_W that the finite differences check.
#include "op_harness.hpp"

using namespace kiln;
using kiln::test::batch;
using kiln::test::dense_ref;
using kiln::test::map_ref;
using kiln::test::tensor;

namespace {

double relu_ref(double v) { return v > 0 ? v : 0.0; }
double tanh_ref(double v) { return std::tanh(v); }

tensor elementwise(const tensor& a, const tensor& b, bool multiply) {
    REQUIRE(a.size() == b.size());
    tensor out(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) out[i] = multiply ? a[i] * b[i] : a[i] + b[i];
    return out;
}

// [a; b] along the features: a's Fa features first, then b's, per sample.
tensor concat_ref(const tensor& a, int Fa, const tensor& b, int Fb, int n) {
    tensor out;
    for (int s = 0; s < n; ++s) {
        out.insert(out.end(), a.begin() + Fa * s, a.begin() + Fa * (s + 1));
        out.insert(out.end(), b.begin() + Fb * s, b.begin() + Fb * (s + 1));
    }
    return out;
}

// add: residual(dense<4> >> relu, identity). dense1's value is used by dense2 and by the add.
struct residual_add_case {
    static constexpr auto net = input(features<3>) >> dense<4> >> residual(dense<4> >> relu, identity)
                                >> dense<2> >> loss::mse;
    static tensor logits(const batch& b) {
        const tensor h = dense_ref(b.x[0], b.param("dense1.W"), b.param("dense1.b"), b.n);
        const tensor main = map_ref(dense_ref(h, b.param("dense2.W"), b.param("dense2.b"), b.n), relu_ref);
        return dense_ref(elementwise(main, h, false), b.param("dense3.W"), b.param("dense3.b"), b.n);
    }
};

// mul: a gated product, both branches parametrised; da = dy b, db = dy a.
struct mul_case {
    static constexpr auto net = input(features<3>) >> dense<4> >> mul(dense<4> >> tanh_, dense<4>)
                                >> dense<2> >> loss::sigmoid_cross_entropy;
    static tensor logits(const batch& b) {
        const tensor h = dense_ref(b.x[0], b.param("dense1.W"), b.param("dense1.b"), b.n);
        const tensor a = map_ref(dense_ref(h, b.param("dense2.W"), b.param("dense2.b"), b.n), tanh_ref);
        const tensor c = dense_ref(h, b.param("dense3.W"), b.param("dense3.b"), b.n);
        return dense_ref(elementwise(a, c, true), b.param("dense4.W"), b.param("dense4.b"), b.n);
    }
};

// concat of branches of different widths (3 and 2): the split of dy in backward must match.
struct concat_case {
    static constexpr auto net = input(features<3>) >> dense<4> >> concat(dense<3>, dense<2>) >> tanh_
                                >> dense<2> >> loss::softmax_cross_entropy;
    static tensor logits(const batch& b) {
        const tensor h = dense_ref(b.x[0], b.param("dense1.W"), b.param("dense1.b"), b.n);
        const tensor a = dense_ref(h, b.param("dense2.W"), b.param("dense2.b"), b.n);
        const tensor c = dense_ref(h, b.param("dense3.W"), b.param("dense3.b"), b.n);
        const tensor j = map_ref(concat_ref(a, 3, c, 2, b.n), tanh_ref);
        return dense_ref(j, b.param("dense4.W"), b.param("dense4.b"), b.n);
    }
};

// concat of two network inputs, one through a dense: two inputs bound at once, and a branch
// with no parameter upstream (input1) that must receive no gradient.
inline constexpr auto two_inputs =
    concat(input<0>(features<2>) >> dense<3>, input<1>(features<4>)) >> dense<2> >> loss::mse;
struct concat_inputs_case {
    static constexpr auto net = two_inputs;
    static tensor logits(const batch& b) {
        const tensor a = dense_ref(b.x[0], b.param("dense1.W"), b.param("dense1.b"), b.n);
        return dense_ref(concat_ref(a, 3, b.x[1], 4, b.n), b.param("dense2.W"), b.param("dense2.b"), b.n);
    }
};

}  // namespace

// forward vs loops, backward vs finite differences, naive vs manual (op_harness.hpp)
TEMPLATE_TEST_CASE("merge op",
                   "[codegen][ops]", residual_add_case, mul_case, concat_case, concat_inputs_case) {
    kiln::test::check_op<TestType>();
}
