// Course 5 week 1 networks end to end: the dinosaur-names RNN (networks/c5w1_dinosaur_names).
//   - training lowers the loss on the real names below the uniform guess's ln 27 per step;
//   - generation from the one-step network at a temperature near 0 (greedy) spells, letter
//     by letter, what the 27-step training network predicts for the same prefix: the two
//     compiled networks agree through the copied parameters;
//   - draw() follows p^(1/T) renormalised (closed form) within 5 standard deviations.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "dinosaur_names_kernels.hpp"
#include "dinosaur_names_step_kernels.hpp"
#include "networks/c5w1_dinosaur_names/net.hpp"
#include "runtime/datasets/dinosaurs.hpp"
#include "runtime/optimizer.hpp"
#include "runtime/sampling.hpp"

using namespace kiln;

namespace {
using train_net = network_of<networks::dinosaur_names>;
using step_net = network_of<networks::dinosaur_names_step>;
constexpr int V = networks::dino_vocabulary, T = networks::dino_steps;

// X = [0, name], Y = [name, '\n'] one-hot (V, T), zero-padded
void encode(const std::string& name, std::vector<float>& x, std::vector<float>& y) {
    std::fill(x.begin(), x.end(), 0.0f);
    std::fill(y.begin(), y.end(), 0.0f);
    for (std::size_t t = 0; t <= name.size(); ++t) {
        const int c = t < name.size() ? name[t] - 'a' + 1 : 0;
        y[c + V * t] = 1.0f;
        if (t < name.size()) x[c + V * (t + 1)] = 1.0f;
    }
}
}  // namespace

TEST_CASE("dinosaur names: training, and greedy generation equal to the sequence network", "[networks][course5]") {
    std::vector<std::string> names;
    try {
        names = datasets::load_dinosaur_names(true);
    } catch (const std::exception& e) {
        WARN("real dinosaur names missing (" << e.what() << "): run scripts/fetch-text.sh; using generated names");
        names = datasets::generate_dinosaur_names(200, 3);
    }
    model<train_net> m(generated::dinosaur_names::kernels);
    m.initialize(init_scheme::random, 1, 0.01);
    std::vector<float> x(V * T), y(V * T);
    auto mean_loss_per_step = [&] {
        double total = 0;
        std::size_t steps = 0;
        for (const std::string& n : names) {
            encode(n, x, y);
            total += m.compute_gradients(x, y, 1) * T;  // the sum over the name's steps
            steps += n.size() + 1;
        }
        return total / static_cast<double>(steps);
    };
    CHECK(mean_loss_per_step() == Approx(std::log(27.0)).epsilon(0.01));  // small weights: ~uniform
    sgd opt(0.01f);
    for (std::size_t j = 0; j < 6000; ++j) {
        encode(names[j % names.size()], x, y);
        m.compute_gradients(x, y, 1);
        std::span<float> g = m.gradients();
        for (float& v : g) v *= static_cast<float>(T);
        clip_by_value(g, 5.0f);
        opt.step(m.parameters(), g);
    }
    const double trained = mean_loss_per_step();
    INFO("loss per character after 6000 steps: " << trained << " (uniform guess " << std::log(27.0) << ")");
    CHECK(trained < 0.6 * std::log(27.0));

    model<step_net> step(generated::dinosaur_names_step::kernels);
    copy_parameters(m, step);
    rng random(7);
    const std::vector<std::size_t> greedy = generate(step, V, networks::dino_hidden, 0, T - 1, 1e-3, random);
    REQUIRE(!greedy.empty());
    // the sequence network on the generated prefix: the argmax at each step is the next letter
    std::string prefix;
    for (std::size_t k = 0; k < greedy.size(); ++k) {
        std::fill(x.begin(), x.end(), 0.0f);
        for (std::size_t t = 0; t < prefix.size(); ++t) x[(prefix[t] - 'a' + 1) + V * (t + 1)] = 1.0f;
        const std::vector<float> p = m.predict(x, 1);
        const std::size_t t = prefix.size();
        std::size_t best = 0;
        for (std::size_t c = 1; c < static_cast<std::size_t>(V); ++c)
            if (p[c + V * t] > p[best + V * t]) best = c;
        INFO("step " << k << ", prefix '" << prefix << "'");
        CHECK(best == greedy[k]);
        if (greedy[k] == 0) break;
        prefix += static_cast<char>('a' + greedy[k] - 1);
    }
}

TEST_CASE("draw: p^(1/T) renormalised", "[runtime][sampling]") {
    const std::vector<float> p{0.1f, 0.2f, 0.0f, 0.7f};
    for (double temperature : {1.0, 0.5, 2.0}) {
        std::vector<double> want(p.size());
        double total = 0;
        for (std::size_t i = 0; i < p.size(); ++i) total += want[i] = std::pow(p[i], 1.0 / temperature);
        rng random(11);
        constexpr int draws = 200000;
        std::vector<int> seen(p.size(), 0);
        for (int k = 0; k < draws; ++k) ++seen[draw(p, temperature, random)];
        for (std::size_t i = 0; i < p.size(); ++i) {
            const double q = want[i] / total, sd = std::sqrt(draws * q * (1 - q));
            INFO("temperature " << temperature << ", index " << i);
            CHECK(std::abs(seen[i] - draws * q) <= 5 * sd + 1e-9);
        }
    }
    rng random(1);
    CHECK_THROWS_WITH(draw(p, 0.0, random), Catch::Contains("temperature"));
    CHECK_THROWS_WITH(draw(std::vector<float>{0.0f, 0.0f}, 1.0, random), Catch::Contains("sum to 0"));
    CHECK_THROWS_WITH(draw(std::vector<float>{0.5f, -0.1f}, 1.0, random), Catch::Contains("non-negative"));
}
