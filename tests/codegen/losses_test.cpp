// Per-op numerics of the three losses (prediction, cost, d logits through dense's d_W),
// and the large-|z| case where the textbook cross-entropy is not finite.
#include "op_harness.hpp"

using namespace kiln;
using kiln::test::batch;
using kiln::test::dense_ref;
using kiln::test::tensor;

namespace {

template <class Loss, int O>
struct loss_case {
    static constexpr auto net = input(features<3>) >> dense<O> >> Loss{};
    static tensor logits(const batch& b) {
        return dense_ref(b.x[0], b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

using sigmoid_cross_entropy_case = loss_case<loss_t<loss_kind::sigmoid_cross_entropy>, 2>;
using softmax_cross_entropy_case = loss_case<loss_t<loss_kind::softmax_cross_entropy>, 4>;  // one-hot
using mse_case = loss_case<loss_t<loss_kind::mse>, 3>;

// |z| ~ 50: output 0 is sure and wrong (z ~ +50, y = 0), output 1 sure and wrong the other
// way (z ~ -50, y = 1), output 2 sure and right (z ~ +50, y = 1). In float64 sigmoid(50)
// rounds to 1, so the textbook -(y log p + (1-y) log(1-p)) takes log(0) on output 0.
struct sigmoid_cross_entropy_large_case : loss_case<loss_t<loss_kind::sigmoid_cross_entropy>, 3> {
    static void prepare(batch& b) {
        tensor& bias = b.param("dense1.b");
        bias = {50.0, -50.0, 50.0};
        for (int s = 0; s < b.n; ++s) {
            b.y[static_cast<std::size_t>(3 * s + 0)] = 0;
            b.y[static_cast<std::size_t>(3 * s + 1)] = 1;
            b.y[static_cast<std::size_t>(3 * s + 2)] = 1;
        }
    }
};

}  // namespace

// prediction and cost vs their definitions, d logits vs finite differences (op_harness.hpp)
TEMPLATE_TEST_CASE("loss op",
                   "[codegen][ops]", sigmoid_cross_entropy_case, softmax_cross_entropy_case, mse_case,
                   sigmoid_cross_entropy_large_case) {
    kiln::test::check_op<TestType>();
}

TEST_CASE("loss op - the large-z data defeat the textbook cross-entropy", "[codegen][ops]") {
    // Guards the case above against silently becoming easy: the data must defeat the naive
    // formula, while the reference (log1p form) stays finite and near the closed form
    // cost = sum over the two wrong outputs of |z| (+ e^-|z| terms below double precision).
    using D = sigmoid_cross_entropy_large_case;
    const batch b = kiln::test::make_batch<D>(3);
    const tensor z = D::logits(b);
    double textbook = 0, closed_form = 0;
    for (std::size_t i = 0; i < z.size(); ++i) {
        const double p = kiln::test::sigmoid_ref(z[i]);
        textbook -= b.y[i] * std::log(p) + (1 - b.y[i]) * std::log(1 - p);
        if ((z[i] > 0) != (b.y[i] > 0.5)) closed_form += std::abs(z[i]);
        CHECK(std::abs(z[i]) > 45);
    }
    CHECK_FALSE(std::isfinite(textbook));
    const double reference = kiln::test::loss_cost(loss_kind::sigmoid_cross_entropy, z, b.y, 3, b.n);
    CHECK(std::abs(reference - closed_form / b.n) <= 1e-12 * reference);
}
