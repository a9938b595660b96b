// The football-field stand-in against its documented recipe: the boundary written out here
// again from the header, the exact number of flipped labels near and far from it, the field's
// bounds and the class ratio that the boundary implies.
#include <cmath>

#include "runtime/datasets/football.hpp"
#include "test_support.hpp"

using namespace kiln;
using kiln::test::error_of;

namespace {

// football.hpp's recipe, typed again (not calling football_boundary).
double boundary(double x2) {
    return -0.15 + 0.12 * std::sin(4 * x2 + 0.5) + 0.05 * std::sin(11 * x2 + 1);
}

struct flips {
    std::size_t near = 0, middle = 0, far = 0;
};

// Labels that disagree with the noise-free boundary, by distance |x1 - g(x2)|.
flips count_flips(const dataset& d) {
    flips out;
    for (std::size_t i = 0; i < d.size(); ++i) {
        const double dist = double(d.x[2 * i]) - boundary(double(d.x[2 * i + 1]));
        if ((dist > 0 ? 1.0f : 0.0f) == d.y[i]) continue;
        if (std::abs(dist) < 0.1) ++out.near;
        else if (std::abs(dist) < 0.2) ++out.middle;
        else ++out.far;
    }
    return out;
}

}  // namespace

TEST_CASE("football: 211 train / 200 test points on the course's field",
          "[runtime][datasets][football]") {
    const football_data f = load_football();
    f.train.validate("football train");
    f.test.validate("football test");
    REQUIRE(f.train.size() == 211);
    REQUIRE(f.test.size() == 200);
    CHECK(f.train.classes == std::vector<std::string>{"other team", "France"});
    for (const dataset* d : {&f.train, &f.test}) {
        CHECK(d->features == 2);
        CHECK(d->outputs == 1);
        double ones = 0;
        for (std::size_t i = 0; i < d->size(); ++i) {
            CHECK(d->x[2 * i] >= -0.75f);
            CHECK(d->x[2 * i] <= 0.45f);
            CHECK(d->x[2 * i + 1] >= -0.8f);
            CHECK(d->x[2 * i + 1] <= 0.8f);
            CHECK((d->y[i] == 0.0f || d->y[i] == 1.0f));
            ones += d->y[i];
        }
        // Expected 0.5 (see the large-sample case); 200 draws: sd 0.035.
        CHECK(ones / d->size() == Approx(0.5).margin(0.12));
    }
    const football_data again = load_football();
    CHECK(again.train.x == f.train.x);
    CHECK(again.train.y == f.train.y);
    CHECK(again.test.x == f.test.x);
    CHECK(load_football({.seed = 2}).train.x != f.train.x);
    CHECK(f.train.x != f.test.x);  // one stream: the test set follows the train set
}

TEST_CASE("football: exactly the recipe's flipped labels, near the boundary and isolated",
          "[runtime][datasets][football]") {
    const football_data f = load_football();
    // round(0.05 * 211) = 11 near, round(0.015 * 211) = 3 isolated (6.6%).
    const flips train = count_flips(f.train);
    CHECK(train.near == 11);
    CHECK(train.middle == 0);
    CHECK(train.far == 3);
    // round(0.05 * 200) = 10, round(0.015 * 200) = 3 (6.5%).
    const flips test = count_flips(f.test);
    CHECK(test.near == 10);
    CHECK(test.middle == 0);
    CHECK(test.far == 3);

    const football_data clean = load_football({.near_noise = 0, .isolated_noise = 0});
    const flips none = count_flips(clean.train);
    CHECK(none.near + none.middle + none.far == 0);
    CHECK(clean.train.x == f.train.x);  // the flips come after the points in the stream

    for (std::size_t i = 0; i < 50; ++i)
        CHECK(football_true_label(f.train.x[2 * i], f.train.x[2 * i + 1]) ==
              (double(f.train.x[2 * i]) > boundary(double(f.train.x[2 * i + 1])) ? 1 : 0));

    CHECK_THAT(error_of([] { load_football({.near_noise = 1.5}); }), Catch::Contains("[0, 1]"));
    CHECK_THAT(error_of([] { load_football({.band = 0}); }), Catch::Contains("positive"));
}

TEST_CASE("football: the class ratio is the share of the field right of the boundary",
          "[runtime][datasets][football]") {
    // P(x1 > g(x2)) = mean over x2 of (0.45 - g(x2)) / 1.2 (g stays inside [-0.75, 0.45]),
    // by the midpoint rule.
    double share = 0;
    const int steps = 100000;
    for (int k = 0; k < steps; ++k) {
        const double x2 = -0.8 + 1.6 * (k + 0.5) / steps;
        share += (0.45 - boundary(x2)) / 1.2 / steps;
    }
    const dataset d = load_football({.train = 40000, .test = 0, .near_noise = 0,
                                     .isolated_noise = 0, .seed = 7}).train;
    double ones = 0;
    for (const float y : d.y) ones += y;
    // 40,000 draws: sd sqrt(0.25 / 40000) = 0.0025.
    CHECK(ones / 40000 == Approx(share).margin(0.01));
    CHECK(share == Approx(0.5).margin(0.03));
}
