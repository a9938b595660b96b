// Synthetic and real stand-in datasets: the planar flower against its closed form, and
// skimage's LFW subset against a bilinear value computed here from the raw NPY.
#include <cmath>
#include <numbers>

#include "runtime/datasets/lfw_faces.hpp"
#include "runtime/datasets/planar.hpp"
#include "runtime/npy.hpp"
#include "test_support.hpp"

using namespace kiln;
using kiln::test::error_of;

TEST_CASE("planar: 400 points, 200 per class, on the noisy rose r = 4 sin 4t",
          "[runtime][datasets]") {
    const dataset d = load_planar_dataset();
    d.validate("planar");
    REQUIRE(d.size() == 400);
    CHECK(d.features == 2);
    CHECK(d.outputs == 1);
    int ones = 0;
    double max_radius = 0;
    for (std::size_t i = 0; i < 400; ++i) {
        CHECK(d.y[i] == (i < 200 ? 0.0f : 1.0f));
        ones += d.y[i] == 1.0f;
        max_radius = std::max(max_radius, std::hypot(double(d.x[2 * i]), double(d.x[2 * i + 1])));
    }
    CHECK(ones == 200);
    // |r| <= 4 + |noise|; 400 draws of sigma 0.2 stay within 3.5 sigma with probability > 0.9.
    CHECK(max_radius <= 4.0 + 6 * 0.2);
    CHECK(max_radius > 3.5);  // the petals reach out to about a = 4

    const dataset again = load_planar_dataset();
    CHECK(again.x == d.x);
    CHECK(load_planar_dataset({.seed = 2}).x != d.x);
}

TEST_CASE("planar: without noise every point lies on the rose at its linspace angle",
          "[runtime][datasets]") {
    const dataset d = load_planar_dataset({.m = 10, .noise = 0.0});
    for (int j = 0; j < 2; ++j)
        for (int k = 0; k < 5; ++k) {
            const double t = j * 3.12 + 3.12 * k / 4.0;
            const double r = 4 * std::sin(4 * t);
            const std::size_t i = std::size_t(j * 5 + k);
            CHECK(d.x[2 * i] == Approx(r * std::sin(t)).margin(1e-6));
            CHECK(d.x[2 * i + 1] == Approx(r * std::cos(t)).margin(1e-6));
        }
    CHECK_THAT(error_of([] { load_planar_dataset({.m = 7}); }), Catch::Contains("even"));
}

TEST_CASE("lfw_faces: skimage's subset as 64x64x3 features", "[runtime][datasets][lfw]") {
    if (!std::filesystem::exists(default_lfw_path())) {
        WARN("not run: " << default_lfw_path() << " is missing (install Debian's python3-skimage)");
        return;
    }
    const dataset d = load_lfw_faces();
    REQUIRE(d.size() == 200);
    CHECK(d.features == 64 * 64 * 3);
    CHECK(d.outputs == 1);
    CHECK(d.classes == std::vector<std::string>{"non-face", "face"});
    for (std::size_t i = 0; i < 200; ++i) CHECK(d.y[i] == (i < 100 ? 1.0f : 0.0f));
    const auto [lo, hi] = std::minmax_element(d.x.begin(), d.x.end());
    CHECK(*lo >= 0.0f);
    CHECK(*hi <= 1.0f);

    // Sample 3, output pixel (x = 20, y = 41), channel 2. Half-pixel centres: source
    // coordinate (i + 0.5) * 25 / 64 - 0.5, inside the image here, so no clamping.
    const npy_array raw = read_npy(default_lfw_path());
    const double sx = (20 + 0.5) * 25 / 64 - 0.5, sy = (41 + 0.5) * 25 / 64 - 0.5;
    const int x0 = int(sx), y0 = int(sy);
    const double fx = sx - x0, fy = sy - y0;
    auto src = [&](int y, int x) { return raw.values[3 * 625 + y * 25 + x]; };
    const double expected = (1 - fy) * ((1 - fx) * src(y0, x0) + fx * src(y0, x0 + 1)) +
                            fy * ((1 - fx) * src(y0 + 1, x0) + fx * src(y0 + 1, x0 + 1));
    const float* sample = d.x.data() + 3 * d.features;
    CHECK(sample[(41 * 64 + 20) * 3 + 2] == Approx(expected).epsilon(1e-6));
    CHECK(sample[(41 * 64 + 20) * 3 + 0] == sample[(41 * 64 + 20) * 3 + 2]);  // grey -> RGB

    CHECK_THAT(error_of([] { load_lfw_faces("/nonexistent/lfw_subset.npy"); }),
               Catch::Contains("install Debian's python3-skimage"));
}
