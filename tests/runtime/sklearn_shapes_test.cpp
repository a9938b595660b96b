// make_circles / make_moons against their closed forms (noise 0: every point on its arc at
// its linspace angle) and, when Debian's python3-sklearn is there, against scikit-learn's
// own noise-free point sets.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>
#include <tuple>
#include <vector>

#include "runtime/datasets/sklearn_shapes.hpp"
#include "test_support.hpp"

using namespace kiln;
using kiln::test::error_of;

namespace {

using labelled_point = std::tuple<float, double, double>;  // label, x1, x2

// The angles of class `label`, sorted, mapped into [0, 2 pi).
std::vector<double> angles(const dataset& d, float label, double cx = 0, double cy = 0,
                           double y_sign = 1) {
    std::vector<double> out;
    for (std::size_t i = 0; i < d.size(); ++i)
        if (d.y[i] == label) {
            double t = std::atan2(y_sign * (d.x[2 * i + 1] - cy), y_sign * (d.x[2 * i] - cx));
            if (t < -1e-6) t += 2 * std::numbers::pi;
            out.push_back(std::max(t, 0.0));
        }
    std::sort(out.begin(), out.end());
    return out;
}

std::size_t count_label(const dataset& d, float label) {
    return static_cast<std::size_t>(std::count(d.y.begin(), d.y.end(), label));
}

}  // namespace

TEST_CASE("make_circles: without noise, both circles at their linspace angles",
          "[runtime][datasets][sklearn_shapes]") {
    const dataset d = make_circles({.n_samples = 301, .noise = 0.0, .factor = 0.8});
    d.validate("circles");
    REQUIRE(d.size() == 301);
    CHECK(d.features == 2);
    CHECK(d.outputs == 1);
    CHECK(count_label(d, 0.0f) == 150);  // n_out = n / 2, n_in = n - n_out
    CHECK(count_label(d, 1.0f) == 151);
    for (std::size_t i = 0; i < d.size(); ++i)
        CHECK(std::hypot(d.x[2 * i], d.x[2 * i + 1]) ==
              Approx(d.y[i] == 0.0f ? 1.0 : 0.8).epsilon(0).margin(1e-6));
    // linspace(0, 2 pi, n, endpoint=False): t_k = 2 pi k / n.
    const auto outer = angles(d, 0.0f), inner = angles(d, 1.0f);
    for (std::size_t k = 0; k < 150; ++k)
        CHECK(outer[k] == Approx(2 * std::numbers::pi * k / 150).epsilon(0).margin(1e-6));
    for (std::size_t k = 0; k < 151; ++k)
        CHECK(inner[k] == Approx(2 * std::numbers::pi * k / 151).epsilon(0).margin(1e-6));
    // Shuffled: not all outer points first.
    CHECK_FALSE(std::is_sorted(d.y.begin(), d.y.end()));
}

TEST_CASE("make_moons: without noise, both half circles at their linspace angles",
          "[runtime][datasets][sklearn_shapes]") {
    const dataset d = make_moons({.n_samples = 300, .noise = 0.0});
    REQUIRE(d.size() == 300);
    CHECK(count_label(d, 0.0f) == 150);
    CHECK(count_label(d, 1.0f) == 150);
    for (std::size_t i = 0; i < d.size(); ++i) {
        const double x1 = d.x[2 * i], x2 = d.x[2 * i + 1];
        if (d.y[i] == 0.0f) {  // (cos t, sin t): upper unit half circle
            CHECK(std::hypot(x1, x2) == Approx(1.0).epsilon(0).margin(1e-6));
            CHECK(x2 >= -1e-6);
        } else {  // (1 - cos t, 0.5 - sin t): unit half circle around (1, 0.5), opening up
            CHECK(std::hypot(x1 - 1, x2 - 0.5) == Approx(1.0).epsilon(0).margin(1e-6));
            CHECK(x2 <= 0.5 + 1e-6);
        }
    }
    // linspace(0, pi, 150) with endpoints: t_k = pi k / 149. The lower moon's angle, seen
    // from (1, 0.5) with both axes flipped, is the same t.
    const auto upper = angles(d, 0.0f), lower = angles(d, 1.0f, 1.0, 0.5, -1.0);
    for (std::size_t k = 0; k < 150; ++k) {
        CHECK(upper[k] == Approx(std::numbers::pi * k / 149).epsilon(0).margin(1e-6));
        CHECK(lower[k] == Approx(std::numbers::pi * k / 149).epsilon(0).margin(1e-6));
    }
}

TEST_CASE("make_circles / make_moons: seeded noise of the requested size",
          "[runtime][datasets][sklearn_shapes]") {
    // The course's calls: make_circles(300, noise=.05) and make_moons(300, noise=.2).
    const dataset c = make_circles({.n_samples = 300, .noise = 0.05});
    CHECK(c.x == make_circles({.n_samples = 300, .noise = 0.05}).x);
    CHECK(c.y == make_circles({.n_samples = 300, .noise = 0.05}).y);
    CHECK(c.x != make_circles({.n_samples = 300, .noise = 0.05, .seed = 2}).x);
    // The radial residual of 2-D noise sigma is about N(0, sigma^2) when sigma << radius:
    // its RMS over 300 points is 0.05 within a few percent.
    double sum_sq = 0;
    for (std::size_t i = 0; i < c.size(); ++i) {
        const double r = std::hypot(c.x[2 * i], c.x[2 * i + 1]);
        sum_sq += std::pow(r - (c.y[i] == 0.0f ? 1.0 : 0.8), 2);
    }
    CHECK(std::sqrt(sum_sq / 300) == Approx(0.05).epsilon(0.15));

    const dataset m = make_moons({.n_samples = 300, .noise = 0.2});
    CHECK(m.x == make_moons({.n_samples = 300, .noise = 0.2}).x);
    CHECK(count_label(m, 1.0f) == 150);
    // Same shuffle as without noise (the noise is drawn after it): labels agree.
    CHECK(m.y == make_moons({.n_samples = 300, .noise = 0.0}).y);

    CHECK_THAT(error_of([] { make_circles({.n_samples = 1}); }), Catch::Contains("at least 2"));
    CHECK_THAT(error_of([] { make_circles({.factor = 1.0}); }), Catch::Contains("factor"));
    CHECK_THAT(error_of([] { make_moons({.noise = -0.1}); }), Catch::Contains(">= 0"));
}

TEST_CASE("make_circles / make_moons: the same noise-free point sets as scikit-learn",
          "[runtime][datasets][sklearn_shapes][python]") {
    if (!kiln::test::python_has("sklearn")) {
        WARN("not run: /usr/bin/python3 cannot import sklearn (apt-get install python3-sklearn)");
        return;
    }
    kiln::test::temp_dir dir("sklearn_shapes");
    const auto script = dir / "shapes.py", out = dir / "shapes.txt";
    std::ofstream(script) << "from sklearn.datasets import make_circles, make_moons\n"
                             "with open('" << out.string() << "', 'w') as f:\n"
                             "    for X, y in (make_circles(301, noise=0, factor=0.8,"
                             " shuffle=False), make_moons(300, noise=0, shuffle=False)):\n"
                             "        for (a, b), c in zip(X, y):\n"
                             "            f.write('%d %.17g %.17g\\n' % (c, a, b))\n";
    REQUIRE(kiln::test::run(std::string(kiln::test::system_python) + " " + script.string()));
    std::ifstream in(out);
    std::vector<labelled_point> reference;
    float label;
    double a, b;
    while (in >> label >> a >> b) reference.emplace_back(label, a, b);
    REQUIRE(reference.size() == 601);

    // Equal as sets: each of sklearn's points has its own point here with the same label
    // within 1e-6 (float storage), matched greedily - the points are >= 0.02 apart.
    const auto check_set = [](const dataset& mine, const std::vector<labelled_point>& theirs) {
        REQUIRE(mine.size() == theirs.size());
        std::vector<bool> used(mine.size(), false);
        std::size_t unmatched = 0;
        for (const auto& [label, x1, x2] : theirs) {
            bool found = false;
            for (std::size_t i = 0; i < mine.size() && !found; ++i)
                if (!used[i] && mine.y[i] == label && std::abs(mine.x[2 * i] - x1) < 1e-6 &&
                    std::abs(mine.x[2 * i + 1] - x2) < 1e-6)
                    used[i] = found = true;
            unmatched += !found;
        }
        CHECK(unmatched == 0);
    };
    check_set(make_circles({.n_samples = 301, .noise = 0.0, .factor = 0.8}),
              {reference.begin(), reference.begin() + 301});
    check_set(make_moons({.n_samples = 300, .noise = 0.0}),
              {reference.begin() + 301, reference.end()});
}
