// Plots: valid PNGs of the documented size, and the decision regions where they must be.
#include "runtime/plot.hpp"

#include "runtime/image.hpp"
#include "test_support.hpp"

using namespace kiln;
using kiln::test::error_of;

namespace {

struct rgb8 {
    int r, g, b;
    bool operator==(const rgb8&) const = default;
};
rgb8 at(const image_u8& img, int x, int y) {
    const std::size_t i = (static_cast<std::size_t>(y) * img.width + x) * 3;
    return {img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]};
}

}  // namespace

TEST_CASE("plot: cost curve is a 640x480 PNG with a line, axes and text", "[runtime][plot]") {
    kiln::test::temp_dir dir("plot_curve");
    std::vector<float> cost;
    for (int i = 0; i < 25; ++i) cost.push_back(0.7f * std::exp(-0.15f * i) + 0.05f);
    plot_curve(dir / "cost.png", cost, 1.0, "Learning rate = 0.0075", "iterations (per hundreds)",
               "cost");
    const image_u8 img = load_image(dir / "cost.png");
    REQUIRE(img.width == 640);
    REQUIRE(img.height == 480);
    int line = 0, dark = 0;
    for (int y = 0; y < img.height; ++y)
        for (int x = 0; x < img.width; ++x) {
            const rgb8 p = at(img, x, y);
            line += p.b > p.r + 80;  // the curve's blue
            dark += p.r < 80 && p.g < 80 && p.b < 80;
        }
    CHECK(line > 300);  // a ~500-pixel-long, 2-pixel-wide curve
    CHECK(dark > 500);  // frame, ticks, labels, title
    // The title sits above the frame: some dark pixels in the top 40 rows, centre third.
    int title = 0;
    for (int y = 0; y < 40; ++y)
        for (int x = 213; x < 426; ++x) title += at(img, x, y).r < 100;
    CHECK(title > 20);

    CHECK_THROWS_AS(plot_curve(dir / "empty.png", {}, 1.0, "", "", ""), kiln::error);
    CHECK_THAT(error_of([&] { plot_curve(dir / "no_dir" / "x.png", cost, 1.0, "", "", ""); }),
               Catch::Contains("cannot write plot"));
}

TEST_CASE("plot: decision regions are coloured by the classifier's side", "[runtime][plot]") {
    kiln::test::temp_dir dir("plot_boundary");
    // Points only in the corners, so the sampled places below show the regions alone.
    const std::vector<float> xy{-2, -2, -2, 2, 2, -2, 2, 2};
    const std::vector<float> labels{0, 0, 1, 1};
    plot_decision_boundary(dir / "right.png", [](float x, float) { return x > 0 ? 0.9f : 0.1f; }, xy,
                           labels, "x > 0");
    plot_decision_boundary(dir / "left.png", [](float x, float) { return x < 0 ? 0.9f : 0.1f; }, xy,
                           labels, "x < 0");
    const image_u8 right = load_image(dir / "right.png");
    const image_u8 left = load_image(dir / "left.png");
    REQUIRE(right.width == 640);
    REQUIRE(right.height == 480);
    // The data span [-3, 3] horizontally fills the frame; 25% and 75% of the width lie well
    // inside the left and right halves, the vertical middle is far from every point.
    const int y = 240, xl = 160, xr = 480;
    const rgb8 right_l = at(right, xl, y), right_r = at(right, xr, y);
    CHECK_FALSE(right_l == right_r);
    CHECK(at(right, xl + 20, y + 20) == right_l);  // regions are flat colour
    CHECK(at(right, xr - 20, y - 20) == right_r);
    CHECK(at(left, xl, y) == right_r);  // the mirrored classifier swaps the colours
    CHECK(at(left, xr, y) == right_l);
    CHECK(right_r.b > right_r.r);  // class 1 is blue, class 0 red, as the points
    CHECK(right_l.r > right_l.b);

    CHECK_THAT(error_of([&] {
                   plot_decision_boundary(dir / "bad.png", [](float, float) { return 0.f; },
                                          std::vector<float>{1, 2, 3}, labels, "");
               }),
               Catch::Contains("expected 2 per point"));
}
