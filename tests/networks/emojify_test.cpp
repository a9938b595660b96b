// Course 5 week 2 Emojify networks end to end (networks/c5w2_emojify):
//   - V1's compiled forward and cost are softmax(W avg + b) and its cross-entropy (loops);
//   - V2's gradient (frozen embedding, two LSTMs, dropout 0.5) agrees with centred finite
//     differences in float64 (the course's threshold 1e-7), and the frozen table gets none;
//   - on the real GloVe vectors (WARNs and returns without data/glove) both models learn the
//     template sentences, and V2 labels test sentences whose slot words it never saw.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "emojify_v1_kernels.hpp"
#include "emojify_v2_kernels.hpp"
#include "networks/c5w2_emojify/net.hpp"
#include "runtime/datasets/emoji.hpp"
#include "runtime/gradcheck.hpp"
#include "runtime/random.hpp"
#include "runtime/train.hpp"

using namespace kiln;

namespace {
namespace ds = kiln::datasets;
using v1_net = network_of<networks::emojify_v1>;
using v2_net = network_of<networks::emojify_v2>;
constexpr std::size_t D = networks::emojify_dim, T = networks::emojify_words, C = networks::emojify_classes;
constexpr std::size_t V = networks::emojify_vocabulary;

}  // namespace

TEST_CASE("emojify V1: the compiled network is softmax(W avg + b) and its cross-entropy", "[networks][emojify]") {
    model<v1_net> m(generated::emojify_v1::kernels);
    m.initialize(init_scheme::xavier, 3);
    rng r(5);
    for (float& b : m.parameter("dense1.b")) b = static_cast<float>(r.normal() * 0.1);
    constexpr std::size_t n = 4;
    std::vector<float> x(n * D), y(n * C, 0.0f);
    for (float& v : x) v = static_cast<float>(r.normal() * 0.5);
    for (std::size_t i = 0; i < n; ++i) y[i * C + (i * 3) % C] = 1.0f;
    const std::vector<float> p = m.predict(x, n);
    const std::span<const float> W = m.parameter("dense1.W"), b = m.parameter("dense1.b");  // W(k, j) at j * D + k
    double cost = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double z[C], zmax = -1e300, sum = 0;
        for (std::size_t j = 0; j < C; ++j) {
            z[j] = b[j];
            for (std::size_t k = 0; k < D; ++k) z[j] += static_cast<double>(W[j * D + k]) * x[i * D + k];
            zmax = std::max(zmax, z[j]);
        }
        for (std::size_t j = 0; j < C; ++j) sum += std::exp(z[j] - zmax);
        for (std::size_t j = 0; j < C; ++j) {
            const double want = std::exp(z[j] - zmax) / sum;
            CHECK(p[i * C + j] == Approx(want).margin(1e-6));
            if (y[i * C + j] == 1.0f) cost -= std::log(want);
        }
    }
    CHECK(m.compute_gradients(x, y, n) == Approx(cost / n).epsilon(1e-5));
}

TEST_CASE("emojify V2: gradients through two LSTMs and dropout against float64 centred differences",
          "[networks][emojify][gradcheck]") {
    model<v2_net> m(generated::emojify_v2::kernels);
    m.initialize(init_scheme::xavier, 2);
    rng r(9);
    for (float& w : m.parameter("embedding1.W")) w = static_cast<float>(r.normal() * 0.5);  // any table
    constexpr std::size_t n = 3;
    std::vector<float> x(n * T, 0.0f), y(n * C, 0.0f);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t t = 0; t < 4 + 2 * i; ++t) x[i * T + t] = static_cast<float>(1 + r.below(V - 1));
        y[i * C + i] = 1.0f;
    }
    const step_settings dropout{0, 0.5f, 11, 3};
    // 32 parameters, some from every tensor: each one costs two runs of the naive float64 pipeline
    const gradcheck_result g = gradcheck(m, x, y, n, 32, 1e-6, 4, 0, 0, dropout);
    INFO("checked " << g.checked << " of " << g.total << " trainable parameters");
    CHECK(g.total == v2_net::grad_size);  // the frozen table has no gradient
    CHECK(g.total == v2_net::param_size - V * D);
    CHECK(g.difference < 1e-7);
}

TEST_CASE("emojify on GloVe 6B 100-d: both models learn the templates, V2 labels unseen words",
          "[networks][emojify][glove]") {
    const std::filesystem::path file = std::filesystem::path(KILN_SOURCE_DIR) / "data/glove/glove.6B.100d.subset.txt";
    if (!std::filesystem::exists(file)) {
        WARN("not run: data/glove missing: run scripts/fetch-glove.sh (" << file.string() << ")");
        return;
    }
    const text::word_vectors vectors = text::load_glove(file, ds::emoji_words());
    const ds::emoji_vocabulary vocabulary(ds::emoji_words());
    const ds::emoji_data tr = ds::encode_emoji(ds::generate_emoji_sentences(ds::emoji_split::train, 160, 1), vectors,
                                               vocabulary, T);
    const ds::emoji_data te = ds::encode_emoji(ds::generate_emoji_sentences(ds::emoji_split::test, 60, 1), vectors,
                                               vocabulary, T);

    model<v1_net> v1(generated::emojify_v1::kernels);
    v1.initialize(init_scheme::xavier, 1);
    fit_options f1;
    f1.learning_rate = 0.01f;
    f1.batch_size = 1;
    f1.epochs = 400;
    f1.quiet = true;
    fit(v1, tr.averages, f1);
    const double v1_train = v1.evaluate(tr.averages).accuracy, v1_test = v1.evaluate(te.averages).accuracy;

    model<v2_net> v2(generated::emojify_v2::kernels);
    v2.initialize(init_scheme::xavier, 1);
    const std::vector<float> table = vocabulary.table(vectors, V);
    std::copy(table.begin(), table.end(), v2.parameter("embedding1.W").begin());
    const double chance = v2.evaluate(te.indices).accuracy;
    fit_options f2;
    f2.optimizer = "adam";
    f2.learning_rate = 0.001f;
    f2.batch_size = 32;
    f2.epochs = 50;
    f2.keep_prob = 0.5f;
    f2.quiet = true;
    fit(v2, tr.indices, f2);
    const double v2_train = v2.evaluate(tr.indices).accuracy, v2_test = v2.evaluate(te.indices).accuracy;
    INFO("V1 train " << v1_train << " test " << v1_test << "; V2 before training " << chance << ", train " << v2_train
                     << " test " << v2_test);
    CHECK(std::equal(table.begin(), table.end(), v2.parameter("embedding1.W").begin()));  // frozen
    // The course: V1 ~95% train / ~85% test, V2 ~100% / 82-90% on its own sentences.
    CHECK(v1_train >= 0.9);
    CHECK(v1_test >= 0.7);
    CHECK(v2_train >= 0.95);
    CHECK(v2_test >= 0.7);
}
