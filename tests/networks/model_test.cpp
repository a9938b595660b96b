// model<Net> beyond training: the SGD pipeline against a scalar loop, checkpoints through
// the parameter table, and bad data.
#include <catch2/catch.hpp>

#include "../runtime/test_support.hpp"
#include "networks/c1w3_planar_classifier/net.hpp"
#include "planar_classifier_kernels.hpp"
#include "runtime/datasets/planar.hpp"
#include "runtime/random.hpp"
#include "runtime/train.hpp"

#include <memory>

using namespace kiln;
using planar_net = network_of<networks::planar_classifier>;

TEST_CASE("the SGD pipeline matches w - lr * g element by element", "[optimizer]") {
    for (std::size_t n : {std::size_t{1}, std::size_t{17}, std::size_t{1000}, std::size_t{100003}}) {
        rng gen(n);
        std::vector<float> w(n), g(n), want(n);
        for (std::size_t i = 0; i < n; ++i) {
            w[i] = static_cast<float>(gen.normal());
            g[i] = static_cast<float>(gen.normal());
            want[i] = w[i] - 0.05f * g[i];
        }
        sgd(0.05f).step(w, g);
        for (std::size_t i = 0; i < n; ++i) REQUIRE(w[i] == Approx(want[i]).epsilon(1e-6).margin(1e-7));
    }
    CHECK_THROWS_AS(sgd(-1.f), error);
}

TEST_CASE("a checkpoint round-trips through the parameter table", "[checkpoint]") {
    kiln::test::temp_dir dir("model_ckpt");
    model<planar_net> a(generated::planar_classifier::kernels), b(generated::planar_classifier::kernels);
    a.initialize(init_scheme::he, 5);
    a.save(dir / "a.safetensors");
    b.load(dir / "a.safetensors");
    CHECK(std::equal(a.parameters().begin(), a.parameters().end(), b.parameters().begin()));
    const auto listing = list_checkpoint(dir / "a.safetensors");
    REQUIRE(listing.size() == planar_net::params.size());
    CHECK(listing[0].name == "dense1.W");
    CHECK(listing[0].shape == std::vector<std::int64_t>{4, 2});  // PyTorch's nn.Linear layout
}

TEST_CASE("the initialisers draw at the scale they promise", "[init]") {
    model<planar_net> m(generated::planar_classifier::kernels);
    auto stddev = [&](const param_entry& e) {
        double s = 0;
        for (std::size_t i = 0; i < e.spec.size(); ++i) s += double(m.parameters()[e.offset + i]) * m.parameters()[e.offset + i];
        return std::sqrt(s / double(e.spec.size()));
    };
    m.initialize(init_scheme::zeros, 1);
    CHECK(stddev(planar_net::params[0]) == 0);
    m.initialize(init_scheme::random, 1, 10.0);  // C2W1's "large" initialisation
    CHECK(stddev(planar_net::params[0]) > 3);
    m.initialize(init_scheme::he, 1);
    CHECK(stddev(planar_net::params[2]) == Approx(std::sqrt(2.0 / 4)).epsilon(0.9));  // 4 samples: loose
    CHECK(stddev(planar_net::params[1]) == 0);  // biases start at zero
}

TEST_CASE("NaN in the training data is refused with its place", "[data]") {
    model<planar_net> m(generated::planar_classifier::kernels);
    dataset d = load_planar_dataset({});
    d.x[2 * 7 + 1] = std::nanf("");
    const std::string why = kiln::test::error_of([&] { fit(m, d, {.iterations = 1, .quiet = true}); });
    CHECK_THAT(why, Catch::Contains("7"));
}

TEST_CASE("a batch of the wrong size is refused before it reaches a pipeline", "[data]") {
    model<planar_net> m(generated::planar_classifier::kernels);
    std::vector<float> x(5);
    const std::string why = kiln::test::error_of([&] { m.predict(x, 3); });
    CHECK_THAT(why, Catch::Contains("expects 3 x 2 input values, got 5"));
}

TEST_CASE("fit applies the learning-rate decay once per epoch", "[optimizer][lr_decay]") {
    const dataset d = load_planar_dataset({});
    auto trained = [&](std::size_t iterations, const std::string& decay) {
        auto m = std::make_unique<model<planar_net>>(generated::planar_classifier::kernels);
        m->initialize(init_scheme::random, 3, 0.5);
        fit(*m, d, {.learning_rate = 1.0f, .iterations = iterations, .quiet = true, .lr_decay = decay});
        return std::vector<float>(m->parameters().begin(), m->parameters().end());
    };
    // Batch GD: one epoch per iteration. lr0 / (1 + 1e9 epoch) leaves only the first step.
    const std::vector<float> one = trained(1, "constant"), decayed = trained(6, "exponential:1e9"),
                             plain = trained(6, "constant");
    double moved_decayed = 0, moved_plain = 0;
    for (std::size_t i = 0; i < one.size(); ++i) {
        moved_decayed = std::max(moved_decayed, double(std::abs(decayed[i] - one[i])));
        moved_plain = std::max(moved_plain, double(std::abs(plain[i] - one[i])));
    }
    CHECK(moved_decayed < 1e-6);
    CHECK(moved_plain > 1e-3);
}
