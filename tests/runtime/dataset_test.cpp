// Datasets: batching covers each sample exactly once, seeds decide the order, splits keep
// class ratios; the RNG's distributions match their closed-form moments.
#include "runtime/dataset.hpp"

#include <cmath>
#include <limits>
#include <set>

#include "runtime/random.hpp"
#include "test_support.hpp"

using namespace kiln;
using kiln::test::error_of;

namespace {

// m samples; sample i has features (i, -i, 0.5 i) and label (i % 4 == 0) -> 25% positives.
dataset numbered(std::size_t m) {
    dataset d;
    d.features = 3;
    d.outputs = 1;
    for (std::size_t i = 0; i < m; ++i) {
        d.x.insert(d.x.end(), {float(i), -float(i), 0.5f * float(i)});
        d.y.push_back(i % 4 == 0 ? 1.0f : 0.0f);
    }
    return d;
}

}  // namespace

TEST_CASE("mini_batches: each sample once per epoch, last batch smaller", "[runtime][dataset]") {
    const dataset d = numbered(103);
    const mini_batches batches(d, 16, 7);
    REQUIRE(batches.count() == 7);  // ceil(103 / 16)
    std::multiset<int> seen;
    for (std::size_t b = 0; b < batches.count(); ++b) {
        const batch_view v = batches[b];
        CHECK(v.size == (b + 1 < batches.count() ? 16u : 103u - 6 * 16));
        REQUIRE(v.x.size() == v.size * 3);
        REQUIRE(v.y.size() == v.size);
        for (std::size_t k = 0; k < v.size; ++k) {
            const int i = static_cast<int>(v.x[k * 3]);
            seen.insert(i);
            CHECK(v.x[k * 3 + 1] == -float(i));  // rows stay intact
            CHECK(v.x[k * 3 + 2] == 0.5f * float(i));
            CHECK(v.y[k] == (i % 4 == 0 ? 1.0f : 0.0f));
        }
    }
    REQUIRE(seen.size() == 103);
    for (int i = 0; i < 103; ++i) CHECK(seen.count(i) == 1);
    CHECK_THROWS_AS(batches[7], kiln::error);
}

TEST_CASE("mini_batches: the seed decides the order", "[runtime][dataset]") {
    const dataset d = numbered(50);
    const mini_batches a(d, 8, 1), b(d, 8, 1), c(d, 8, 2);
    CHECK(a.order() == b.order());
    CHECK(a.order() != c.order());
    std::vector<std::size_t> identity(50);
    for (std::size_t i = 0; i < 50; ++i) identity[i] = i;
    CHECK(a.order() != identity);
    CHECK_THAT(error_of([&] { mini_batches(d, 0, 1); }), Catch::Contains("batch_size is 0"));
}

TEST_CASE("split: stratified keeps the class ratio, the halves partition the data",
          "[runtime][dataset]") {
    const dataset d = numbered(200);  // 50 positives, 150 negatives
    const auto [train, test] = split(d, 0.2, 11);
    CHECK(test.size() == 40);
    CHECK(train.size() == 160);
    auto positives = [](const dataset& s) {
        int n = 0;
        for (float v : s.y) n += v == 1.0f;
        return n;
    };
    CHECK(positives(test) == 10);  // exactly 20% of each class
    CHECK(positives(train) == 40);
    std::set<float> ids;
    for (const dataset* s : {&train, &test})
        for (std::size_t i = 0; i < s->size(); ++i) ids.insert(s->x[i * 3]);
    CHECK(ids.size() == 200);
    CHECK(split(d, 0.2, 11).second.x == test.x);  // reproducible
    CHECK(split(d, 0.2, 12).second.x != test.x);

    const auto [train2, test2] = split(d, 0.25, 3, false);
    CHECK(test2.size() == 50);
    CHECK(train2.size() == 150);
    CHECK_THAT(error_of([&] { split(d, 1.0, 1); }), Catch::Contains("[0, 1)"));
}

TEST_CASE("dataset: validate names the bad sample, one_hot checks labels", "[runtime][dataset]") {
    dataset d = numbered(4);
    d.validate("train");
    d.x[2 * 3 + 1] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THAT(error_of([&] { d.validate("train"); }), Catch::Contains("sample 2, feature 1"));
    d = numbered(4);
    d.y.pop_back();
    CHECK_THAT(error_of([&] { d.validate("train"); }), Catch::Contains("y holds 3 values"));

    const std::vector<int> labels{2, 0, 1};
    CHECK(one_hot(labels, 3) == std::vector<float>{0, 0, 1, 1, 0, 0, 0, 1, 0});
    CHECK_THAT(error_of([&] { one_hot(labels, 2); }), Catch::Contains("label 2 of sample 0"));
}

TEST_CASE("rng: uniform, bounded and normal draws have the right moments", "[runtime][dataset]") {
    rng r(123);
    constexpr int n = 200000;
    double sum = 0, sum2 = 0, u_sum = 0;
    std::vector<int> counts(6);
    for (int i = 0; i < n; ++i) {
        const double z = r.normal();
        sum += z, sum2 += z * z;
        u_sum += r.uniform();
        ++counts[r.below(6)];
    }
    // Standard errors: mean 1/sqrt(n) = 0.0022, variance sqrt(2/n) = 0.0032; 5 sigma bounds.
    CHECK(std::abs(sum / n) < 0.012);
    CHECK(std::abs(sum2 / n - 1) < 0.016);
    CHECK(std::abs(u_sum / n - 0.5) < 0.0035);
    for (int c : counts) CHECK(std::abs(c - n / 6.0) < 5 * std::sqrt(n * (1 / 6.0) * (5 / 6.0)));
    // The standard fixes mt19937_64's 10000th output for seed 5489: kiln::rng is that engine.
    rng engine(5489);
    for (int i = 0; i < 9999; ++i) engine.next();
    CHECK(engine.next() == 9981545732273789042ULL);
}
