// ONNX's own test data for its training operators (Momentum, Adam, Adagrad in
// ai.onnx.preview.training) run through kiln's optimizer pipelines: kiln::apply with the
// node's attributes mapped onto the general update forms of runtime/optimizer.hpp.
// Inputs are R (learning rate), T (update count), then X..., G..., and the state tensors;
// outputs X_new..., then each state's _new tensors, all compared at relative 1e-5.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "runtime/optimizer.hpp"
#include "tests/support/onnx_data.hpp"

namespace {

using kiln::test::onnx_case;
using kiln::test::onnx_tensor;

// Attribute fallbacks below are the schema defaults of ONNX 1.12 (Debian 12's libonnx).
// Loads data/node/<name>, or WARNs why it cannot and returns false.
bool load(const std::string& name, onnx_case& c) {
    const auto root = kiln::test::onnx_testdata_root();
    if (root.empty() || !std::filesystem::exists(root / name / "model.onnx")) {
        WARN("skipped: ONNX test data " << name << " not found (Debian's libonnx-testdata under "
             "/usr/share/libonnx-testdata/data/node, or set KILN_ONNX_TESTDATA; scripts/install-deps.sh)");
        return false;
    }
    c = kiln::test::load_onnx_case(root / name);
    return true;
}

// Expected vs kiln's result, element by element: relative 1e-5 (ONNX's reference computes
// in numpy with float32 tensors and Python-float hyper-parameters).
void require_close(const onnx_tensor& expected, const std::vector<float>& got) {
    INFO("output " << expected.name);
    REQUIRE(static_cast<std::int64_t>(got.size()) == expected.element_count());
    for (std::size_t k = 0; k < got.size(); ++k) {
        INFO("element " << k);
        REQUIRE(got[k] == Approx(expected.values[k]).epsilon(1e-5).margin(1e-30));
    }
}

// The case's inputs split as ONNX lays them out: R, T, then `groups` runs of n tensors.
struct layout {
    float r;
    double t;
    std::size_t n;  // tensors optimized jointly
    std::vector<std::vector<float>> groups;  // X_1..X_n, G_1..G_n, state...
};

layout split(const onnx_case& c, std::size_t groups) {
    const auto& in = c.data_sets.at(0).inputs;
    REQUIRE(in.size() >= 2 + groups);
    REQUIRE((in.size() - 2) % groups == 0);
    layout l{static_cast<float>(in[0].values.at(0)), in[1].values.at(0), (in.size() - 2) / groups, {}};
    for (std::size_t k = 2; k < in.size(); ++k) l.groups.push_back(in[k].as_floats());
    return l;
}

// Runs apply on every optimized tensor, then checks X_new and every state's _new output.
template <class Update>
void check_case(const onnx_case& c, std::size_t groups, const Update& update) {
    layout l = split(c, groups);
    for (std::size_t j = 0; j < l.n; ++j) {
        auto& x = l.groups[j];
        const auto& g = l.groups[l.n + j];
        if constexpr (requires { kiln::apply(update, x, g, l.groups[0]); })
            kiln::apply(update, x, g, l.groups[2 * l.n + j]);
        else
            kiln::apply(update, x, g, l.groups[2 * l.n + j], l.groups[3 * l.n + j]);
    }
    const auto& out = c.data_sets.at(0).outputs;
    REQUIRE(out.size() == l.n * (groups - 1));  // every group but the gradients comes back
    for (std::size_t k = 0; k < out.size(); ++k) {
        const std::size_t group = k / l.n, j = k % l.n;
        require_close(out[k], l.groups[(group == 0 ? 0 : group + 1) * l.n + j]);
    }
}

void check_momentum(const std::string& name, const std::string& mode) {
    onnx_case c;
    if (!load(name, c)) return;
    REQUIRE(c.op_type == "Momentum");
    REQUIRE(c.text("mode", "") == mode);
    const layout l = split(c, 3);
    const float beta = static_cast<float>(c.number("beta", 0));
    kiln::momentum_update u{l.r, static_cast<float>(c.number("alpha", 0)), l.t > 0 ? beta : 1.0f,
                            static_cast<float>(c.number("norm_coefficient", 0)), mode == "nesterov"};
    INFO(name << ": alpha " << u.alpha << " beta " << beta << " norm_coefficient " << u.norm_coefficient
              << " T " << l.t << " tensors " << l.n);
    check_case(c, 3, u);
}

void check_adam(const std::string& name) {
    onnx_case c;
    if (!load(name, c)) return;
    REQUIRE(c.op_type == "Adam");
    const layout l = split(c, 4);
    const double a = c.number("alpha", 0.9), b = c.number("beta", 0.999);
    // Defaults are ONNX 1.12's schema (Debian's libonnx): epsilon 1e-6. One known defect in
    // ONNX's data: test_adam_multiple's node omits epsilon, but its outputs were generated
    // with epsilon = 1e-2 (onnx/onnx#7749, backend/test/case/node/adam.py). With 1e-6 the
    // first X1_new element is 0.75596 against the file's 0.75914, so apply what produced it.
    const double epsilon = (name == "test_adam_multiple" && !c.has("epsilon")) ? 1e-2 : c.number("epsilon", 1e-6);
    kiln::adam_update u{l.r, static_cast<float>(a), static_cast<float>(b), static_cast<float>(epsilon)};
    // R_adjusted = R sqrt(1 - b^T) / (1 - a^T): as a divisor of v, with s uncorrected.
    if (l.t > 0) u.correction1 = static_cast<float>((1 - std::pow(a, l.t)) / std::sqrt(1 - std::pow(b, l.t)));
    u.norm_coefficient = static_cast<float>(c.number("norm_coefficient", 0));
    u.norm_coefficient_post = static_cast<float>(c.number("norm_coefficient_post", 0));
    INFO(name << ": alpha " << a << " beta " << b << " epsilon " << u.epsilon << " norm_coefficient "
              << u.norm_coefficient << " post " << u.norm_coefficient_post << " T " << l.t << " tensors " << l.n);
    check_case(c, 4, u);
}

void check_adagrad(const std::string& name) {
    onnx_case c;
    if (!load(name, c)) return;
    REQUIRE(c.op_type == "Adagrad");
    const layout l = split(c, 3);
    const double decay = c.number("decay_factor", 0);
    kiln::adagrad_update u{static_cast<float>(l.r / (1 + l.t * decay)),
                           static_cast<float>(c.number("epsilon", 1e-6)),
                           static_cast<float>(c.number("norm_coefficient", 0))};
    INFO(name << ": decay_factor " << decay << " epsilon " << u.epsilon << " norm_coefficient "
              << u.norm_coefficient << " T " << l.t << " tensors " << l.n);
    check_case(c, 3, u);
}

}  // namespace

TEST_CASE("onnx Momentum (standard) matches ONNX's test data", "[optimizer][onnx]") {
    check_momentum("test_momentum", "standard");
    check_momentum("test_momentum_multiple", "standard");
}

TEST_CASE("onnx Momentum (nesterov) matches ONNX's test data", "[optimizer][onnx]") {
    check_momentum("test_nesterov_momentum", "nesterov");
}

TEST_CASE("onnx Adam matches ONNX's test data", "[optimizer][onnx]") {
    check_adam("test_adam");
    check_adam("test_adam_multiple");
}

TEST_CASE("onnx Adagrad matches ONNX's test data", "[optimizer][onnx]") {
    check_adagrad("test_adagrad");
    check_adagrad("test_adagrad_multiple");
}

TEST_CASE("onnx test data reader gives the node, its attributes and named tensors", "[onnx]") {
    onnx_case c;
    if (!load("test_adam_multiple", c)) return;
    CHECK(c.domain == "ai.onnx.preview.training");
    CHECK(c.node_inputs.size() == 10);
    CHECK(c.node_outputs.size() == 6);
    CHECK(c.attributes.at("alpha").type == kiln::test::onnx_attribute::f);
    const auto& set = c.data_sets.at(0);
    CHECK(set.inputs.size() == 10);
    CHECK(set.inputs[0].dims.empty());  // R is a scalar
    CHECK(set.inputs[1].data_type == 7);  // T is int64
    CHECK(set.input(c.node_inputs[2]).element_count() >= 1);
}
