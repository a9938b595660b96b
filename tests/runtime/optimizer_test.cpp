// kiln's optimizers (AOT Halide pipelines over the flat arena) against plain scalar loops of
// the course's C2W2 formulas, over several steps and arena sizes that hit the vector and
// task tails; the learning-rate schedules against their closed forms; and the errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "runtime/lr_schedule.hpp"
#include "runtime/optimizer.hpp"
#include "tests/runtime/test_support.hpp"

namespace {

using arena = std::vector<float>;

arena random_arena(std::size_t n, std::uint32_t seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    arena v(n);
    for (float& x : v) x = u(gen);
    return v;
}

// Each reference also carries, per element, the magnitude its value was computed from: the
// same formulas with every term made non-negative (|w| + lr |g| ... ). Rounding error is a
// few ulps of THAT, not of the result: w and v are sums whose terms cancel (a weight can land
// at 1e-7 after steps of 1e-3), and Halide contracts a * b + c into one fused multiply-add
// that rounds once where the scalar loop rounds twice. So: |got - want| <= 4 ulps of the
// magnitude. Measured here (5 steps, AVX-512): worst 3.3 (adam's s, 100003 floats).
void require_close(const arena& got, const arena& want, const arena& magnitude, const char* what) {
    REQUIRE(got.size() == want.size());
    double worst = 0;
    std::size_t at = 0;
    for (std::size_t k = 0; k < got.size(); ++k) {
        const double ulps = std::abs(double(got[k]) - double(want[k])) /
                            (std::numeric_limits<float>::epsilon() * double(magnitude[k]));
        if (!(ulps <= worst)) worst = ulps, at = k;  // also catches NaN
    }
    INFO(what << ": worst element " << at << " got " << got[at] << " want " << want[at] << " magnitude "
              << magnitude[at] << " (" << worst << " ulps of the magnitude)");
    CHECK(worst <= 4);
}

arena magnitudes(const arena& values) {
    arena m(values.size());
    for (std::size_t k = 0; k < m.size(); ++k) m[k] = std::abs(values[k]);
    return m;
}

constexpr std::size_t sizes[] = {1, 17, 1000, 100003};
constexpr int steps = 5;

}  // namespace

TEST_CASE("sgd matches w -= lr g", "[optimizer]") {
    for (std::size_t n : sizes) {
        INFO("arena of " << n);
        arena w = random_arena(n, 1), ref = w, wm = magnitudes(w);
        kiln::sgd opt(0.05f);
        for (int t = 0; t < steps; ++t) {
            const arena g = random_arena(n, 100 + t);
            opt.step(w, g);
            for (std::size_t k = 0; k < n; ++k) {
                ref[k] = ref[k] - 0.05f * g[k];
                wm[k] = wm[k] + 0.05f * std::abs(g[k]);
            }
        }
        require_close(w, ref, wm, "w");
    }
}

TEST_CASE("momentum matches the course's v = b v + (1 - b) g, w -= lr v", "[optimizer]") {
    const float lr = 0.05f, beta = 0.9f;
    for (std::size_t n : sizes) {
        INFO("arena of " << n);
        arena w = random_arena(n, 2), ref = w, wm = magnitudes(w), v(n, 0.0f), vm(n, 0.0f);
        kiln::momentum opt(lr, beta);
        for (int t = 0; t < steps; ++t) {
            const arena g = random_arena(n, 200 + t);
            opt.step(w, g);
            for (std::size_t k = 0; k < n; ++k) {
                v[k] = beta * v[k] + (1.0f - beta) * g[k];
                ref[k] = ref[k] - lr * v[k];
                vm[k] = beta * vm[k] + (1.0f - beta) * std::abs(g[k]);
                wm[k] = wm[k] + lr * vm[k];
            }
        }
        require_close(w, ref, wm, "w");
        require_close(arena(opt.velocity().begin(), opt.velocity().end()), v, vm, "v");
    }
}

TEST_CASE("rmsprop matches s = b2 s + (1 - b2) g^2, w -= lr g / (sqrt(s) + eps)", "[optimizer]") {
    const float lr = 0.01f, beta2 = 0.999f, eps = 1e-8f;
    for (std::size_t n : sizes) {
        INFO("arena of " << n);
        arena w = random_arena(n, 3), ref = w, wm = magnitudes(w), s(n, 0.0f);
        kiln::rmsprop opt(lr, beta2, eps);
        for (int t = 0; t < steps; ++t) {
            const arena g = random_arena(n, 300 + t);
            opt.step(w, g);
            for (std::size_t k = 0; k < n; ++k) {
                s[k] = beta2 * s[k] + (1.0f - beta2) * (g[k] * g[k]);
                ref[k] = ref[k] - lr * g[k] / (std::sqrt(s[k]) + eps);
                wm[k] = wm[k] + lr * std::abs(g[k]) / (std::sqrt(s[k]) + eps);
            }
        }
        require_close(w, ref, wm, "w");
        require_close(arena(opt.mean_square().begin(), opt.mean_square().end()), s, s, "s");
    }
}

TEST_CASE("adam matches the course's bias-corrected update", "[optimizer]") {
    const float lr = 0.01f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
    for (std::size_t n : sizes) {
        INFO("arena of " << n);
        arena w = random_arena(n, 4), ref = w, wm = magnitudes(w), v(n, 0.0f), vm(n, 0.0f), s(n, 0.0f);
        kiln::adam opt(lr, b1, b2, eps);
        for (int t = 1; t <= steps; ++t) {
            const arena g = random_arena(n, 400 + t);
            opt.step(w, g);
            const float c1 = static_cast<float>(1.0 - std::pow(double(b1), t));
            const float c2 = static_cast<float>(1.0 - std::pow(double(b2), t));
            for (std::size_t k = 0; k < n; ++k) {
                v[k] = b1 * v[k] + (1.0f - b1) * g[k];
                s[k] = b2 * s[k] + (1.0f - b2) * (g[k] * g[k]);
                const float v_hat = v[k] / c1, s_hat = s[k] / c2;
                ref[k] = ref[k] - lr * v_hat / (std::sqrt(s_hat) + eps);
                vm[k] = b1 * vm[k] + (1.0f - b1) * std::abs(g[k]);
                wm[k] = wm[k] + lr * (vm[k] / c1) / (std::sqrt(s_hat) + eps);
            }
        }
        CHECK(opt.steps() == steps);
        require_close(w, ref, wm, "w");
        require_close(arena(opt.velocity().begin(), opt.velocity().end()), v, vm, "v");
        require_close(arena(opt.mean_square().begin(), opt.mean_square().end()), s, s, "s");
    }
}

TEST_CASE("adam's first step moves every weight by about lr", "[optimizer]") {
    // With v = s = 0, v_hat = g and s_hat = g^2 after one step: w moves by lr sign(g).
    arena w(33, 0.0f), g = random_arena(33, 5);
    kiln::adam opt(0.1f);
    opt.step(w, g);
    for (std::size_t k = 0; k < w.size(); ++k) CHECK(w[k] == Approx(g[k] > 0 ? -0.1 : 0.1).epsilon(1e-5));
    opt.reset();
    CHECK(opt.steps() == 0);
    CHECK(opt.velocity().empty());
}

TEST_CASE("make_optimizer builds each rule by name and lists the choices otherwise", "[optimizer]") {
    for (const char* name : {"sgd", "momentum", "rmsprop", "adam"}) {
        const auto opt = kiln::make_optimizer(name, 0.1f);
        CHECK(opt->name() == name);
        CHECK(opt->learning_rate() == 0.1f);
        opt->set_learning_rate(0.2f);
        CHECK(opt->learning_rate() == 0.2f);
    }
    const std::string message = kiln::test::error_of([] { kiln::make_optimizer("adamw", 0.1f); });
    CHECK_THAT(message, Catch::Contains("'adamw'") && Catch::Contains("sgd, momentum, rmsprop, adam"));
}

TEST_CASE("optimizers reject bad hyper-parameters and mismatched arenas", "[optimizer]") {
    using kiln::test::error_of;
    CHECK_THAT(error_of([] { kiln::sgd(0.0f); }), Catch::Contains("positive") && Catch::Contains("got 0"));
    CHECK_THAT(error_of([] { kiln::adam(-1.0f); }), Catch::Contains("got -1"));
    CHECK_THAT(error_of([] { kiln::momentum(0.1f, 1.0f); }),
               Catch::Contains("momentum: beta must be in [0, 1), got 1"));
    CHECK_THAT(error_of([] { kiln::adam(0.1f, 0.9f, -0.5f); }), Catch::Contains("beta2 must be in [0, 1)"));
    CHECK_THAT(error_of([] { kiln::rmsprop(0.1f, 0.9f, 0.0f); }), Catch::Contains("epsilon"));
    CHECK_THAT(error_of([] { kiln::sgd(0.1f).set_learning_rate(NAN); }), Catch::Contains("positive"));

    kiln::adam opt(0.1f);
    arena w(10), g(9);
    CHECK_THAT(error_of([&] { opt.step(w, g); }), Catch::Contains("10 parameters but 9 gradients"));
    arena g10(10);
    opt.step(w, g10);
    arena w2(12), g2(12);
    CHECK_THAT(error_of([&] { opt.step(w2, g2); }), Catch::Contains("sized for an arena of 10"));
    opt.reset();
    opt.step(w2, g2);  // a fresh state fits the new arena
    CHECK(opt.velocity().size() == 12);
}

TEST_CASE("lr_schedule values match the course's closed forms", "[optimizer][lr_schedule]") {
    const kiln::lr_schedule constant = kiln::parse_lr_schedule("constant", 0.5f);
    const kiln::lr_schedule exp = kiln::parse_lr_schedule("exponential:1.0", 0.5f);
    const kiln::lr_schedule step = kiln::parse_lr_schedule("interval:0.3:1000", 0.5f);
    for (std::size_t epoch : {0, 1, 2, 10, 999, 1000, 1999, 2000, 5500}) {
        INFO("epoch " << epoch);
        CHECK(constant.at(epoch) == 0.5f);
        // update_lr: lr0 / (1 + decay_rate * epoch)
        CHECK(exp.at(epoch) == Approx(0.5 / (1.0 + 1.0 * double(epoch))).epsilon(1e-6));
        // schedule_lr_decay: lr0 / (1 + decay_rate * floor(epoch / time_interval))
        CHECK(step.at(epoch) == Approx(0.5 / (1.0 + 0.3 * std::floor(double(epoch) / 1000.0))).epsilon(1e-6));
    }
    CHECK(step.at(999) == 0.5f);
    CHECK(step.at(1000) == Approx(0.5 / 1.3));
    CHECK(kiln::parse_lr_schedule(step.to_string(), 0.5f).at(3000) == step.at(3000));
    CHECK(exp.to_string() == "exponential:1");
}

TEST_CASE("lr_schedule parse says which forms it accepts", "[optimizer][lr_schedule]") {
    using kiln::test::error_of;
    for (const char* bad : {"linear:1", "exponential", "exponential:x", "exponential:-1", "interval:1",
                            "interval:1:0", "interval:1:10:2", "constant:1", ""}) {
        INFO(bad);
        CHECK_THAT(error_of([&] { kiln::parse_lr_schedule(bad, 0.1f); }),
                   Catch::Contains("interval:<decay_rate>:<time_interval>"));
    }
    CHECK_THAT(error_of([] { kiln::parse_lr_schedule("constant", 0.0f); }), Catch::Contains("positive"));
}

TEST_CASE("gradient clipping by value and by norm", "[runtime][optimizer][clip]") {
    // C5W1A2's clip(gradients, 5): np.clip to [-5, 5] element-wise
    std::vector<float> g{-7.5f, -5.0f, -4.99f, 0.0f, 3.0f, 5.0f, 12.0f};
    CHECK(kiln::clip_by_value(g, 5.0f) == 2);
    CHECK(g == std::vector<float>{-5.0f, -5.0f, -4.99f, 0.0f, 3.0f, 5.0f, 5.0f});
    // |(3, 4, 12)| = 13: scaled to norm 6.5 by 0.5; PyTorch's clip_grad_norm_ returns the norm before
    std::vector<float> h{3.0f, -4.0f, 12.0f};
    CHECK(kiln::clip_by_norm(h, 6.5f) == Approx(13.0));
    CHECK(h[0] == Approx(1.5f));
    CHECK(h[1] == Approx(-2.0f));
    CHECK(h[2] == Approx(6.0f));
    std::vector<float> small{0.3f, 0.4f};  // norm 0.5 <= 1: unchanged
    CHECK(kiln::clip_by_norm(small, 1.0f) == Approx(0.5));
    CHECK(small == std::vector<float>{0.3f, 0.4f});
    CHECK_THROWS_WITH(kiln::clip_by_value(g, 0.0f), Catch::Contains("must be positive"));
    CHECK_THROWS_WITH(kiln::clip_by_norm(h, std::numeric_limits<float>::infinity()), Catch::Contains("finite"));
}
