// The SIGNS stand-in (OpenCV's digits 0-5) against the raw sheet read here with libpng and a
// naive bilinear formula (half-pixel centres, clamped at the tile's edges).
#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "runtime/datasets/digits.hpp"
#include "runtime/datasets/text.hpp"
#include "runtime/image.hpp"
#include "test_support.hpp"

using namespace kiln;
using kiln::test::error_of;

namespace {

struct grey_sheet {
    int width = 0, height = 0;
    std::vector<std::uint8_t> pixels;
};

grey_sheet read_grey(const std::filesystem::path& path) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    REQUIRE(png_image_begin_read_from_file(&image, path.c_str()) != 0);
    image.format = PNG_FORMAT_GRAY;
    grey_sheet out{int(image.width), int(image.height), {}};
    out.pixels.resize(PNG_IMAGE_SIZE(image));
    REQUIRE(png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr) != 0);
    return out;
}

}  // namespace

TEST_CASE("load_signs_digits: 3000 digits 0-5, bilinear 64x64x3 from the 20x20 tiles",
          "[runtime][datasets][digits]") {
    if (!std::filesystem::exists(default_digits_path())) {
        WARN("not run: " << default_digits_path() << " is missing (run scripts/fetch-digits.sh)");
        return;
    }
    const dataset d = load_signs_digits();
    d.validate("digits");
    REQUIRE(d.size() == 3000);
    CHECK(d.features == 64 * 64 * 3);
    CHECK(d.outputs == 6);
    CHECK(d.classes == std::vector<std::string>{"0", "1", "2", "3", "4", "5"});
    std::vector<std::size_t> per_class(6, 0);
    for (std::size_t m = 0; m < 3000; ++m)
        for (std::size_t c = 0; c < 6; ++c) per_class[c] += d.y[m * 6 + c] == 1.0f;
    CHECK(per_class == std::vector<std::size_t>(6, 500));
    const auto [lo, hi] = std::minmax_element(d.x.begin(), d.x.end());
    CHECK(*lo >= 0.0f);
    CHECK(*hi <= 1.0f);

    const grey_sheet sheet = read_grey(default_digits_path());
    REQUIRE(sheet.width == 2000);
    REQUIRE(sheet.height == 1000);
    for (const std::size_t k : {std::size_t(0), std::size_t(1234), std::size_t(2999)}) {
        const std::size_t digit = k / 500, row = 5 * digit + (k % 500) / 100, col = k % 100;
        CHECK(d.y[k * 6 + digit] == 1.0f);
        auto tile = [&](int y, int x) {
            return sheet.pixels[(row * 20 + std::size_t(y)) * 2000 + col * 20 + std::size_t(x)] /
                   255.0;
        };
        std::size_t wrong = 0;
        double ink = 0;
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 64; ++x) {
                const double sx = std::clamp((x + 0.5) * 20 / 64 - 0.5, 0.0, 19.0);
                const double sy = std::clamp((y + 0.5) * 20 / 64 - 0.5, 0.0, 19.0);
                const int x0 = int(sx), y0 = int(sy);
                const int x1 = std::min(x0 + 1, 19), y1 = std::min(y0 + 1, 19);
                const double fx = sx - x0, fy = sy - y0;
                const double expected = (1 - fy) * ((1 - fx) * tile(y0, x0) + fx * tile(y0, x1)) +
                                        fy * ((1 - fx) * tile(y1, x0) + fx * tile(y1, x1));
                for (int c = 0; c < 3; ++c)
                    wrong += std::abs(d.x[k * d.features + (y * 64 + x) * 3 + c] - expected) > 1e-6;
                ink += expected;
            }
        CHECK(wrong == 0);
        CHECK(ink > 100);  // a digit's strokes, not an empty tile
    }

    // side 20: the tiles themselves.
    const dataset same = load_signs_digits(default_digits_path(), 20);
    REQUIRE(same.size() == 3000);
    const std::size_t k = 1777, row = 5 * 3 + 277 / 100, col = 77;
    CHECK(same.y[k * 6 + 3] == 1.0f);
    std::size_t wrong = 0;
    for (std::size_t y = 0; y < 20; ++y)
        for (std::size_t x = 0; x < 20; ++x)
            wrong += same.x[k * 1200 + (y * 20 + x) * 3] * 255.0f !=
                     Approx(sheet.pixels[(row * 20 + y) * 2000 + col * 20 + x]).margin(1e-3);
    CHECK(wrong == 0);
}

TEST_CASE("load_signs_digits: errors say what to do", "[runtime][datasets][digits]") {
    CHECK_THAT(error_of([] { load_signs_digits("/nonexistent/digits.png"); }),
               Catch::Contains("scripts/fetch-digits.sh") &&
                   Catch::Contains("scripts/install-deps.sh"));
    kiln::test::temp_dir dir("digits");
    save_png(dir / "small.png", {10, 10, 1, std::vector<std::uint8_t>(100, 0)});
    CHECK_THAT(error_of([&] { load_signs_digits(dir / "small.png"); }),
               Catch::Contains("10 x 10") && Catch::Contains("2000 x 1000"));
    CHECK_THAT(error_of([&] { load_signs_digits(dir / "small.png", 0); }), Catch::Contains("side"));
}

TEST_CASE("KILN_DATA_DIR in the environment moves where the binaries find data/",
          "[runtime][datasets][digits]") {
    const std::filesystem::path built_in = default_digits_path();
    kiln::test::temp_dir dir("data_dir");
    ::setenv("KILN_DATA_DIR", dir.path.c_str(), 1);
    CHECK(default_digits_path() == dir / "digits.png");
    CHECK(kiln::datasets::default_text_data_dir() == dir.path);
    // a missing file there is reported at that path, with what to do
    CHECK_THAT(error_of([] { load_signs_digits(default_digits_path()); }),
               Catch::Contains((dir / "digits.png").string()) && Catch::Contains("scripts/fetch-digits.sh"));
    ::setenv("KILN_DATA_DIR", "", 1);  // empty: the built-in path
    CHECK(default_digits_path() == built_in);
    ::unsetenv("KILN_DATA_DIR");
    CHECK(default_digits_path() == built_in);
    CHECK(built_in.parent_path().filename() == "data");
}
