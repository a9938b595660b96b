#include "runtime/datasets/digits.hpp"

#include <string>
#include <vector>

#include "runtime/data_dir.hpp"
#include "runtime/error.hpp"
#include "runtime/image.hpp"

#ifndef KILN_DATA_DIR
#error "KILN_DATA_DIR must name the source tree's data/ folder (runtime/CMakeLists.txt sets it)"
#endif

namespace kiln {
namespace {

constexpr int sheet_width = 2000, sheet_height = 1000, tile = 20, tiles_per_row = 100;
constexpr int rows_per_digit = 5, digits = 6;

}  // namespace

std::filesystem::path default_digits_path() {
    return kiln::data_dir(KILN_DATA_DIR) / "digits.png";
}

dataset load_signs_digits(const std::filesystem::path& png, std::size_t side) {
    if (side == 0 || side > 4096)
        throw error("load_signs_digits: side = " + std::to_string(side) +
                    "; expected an image side in 1..4096 (the course's SIGNS use 64)");
    if (!std::filesystem::exists(png))
        throw error("load_signs_digits: " + png.string() +
                    " is missing; expected OpenCV's digits.png (2000 x 1000 grey). Run "
                    "scripts/fetch-digits.sh (scripts/install-deps.sh calls it) to extract it "
                    "from Debian's opencv-doc into data/digits.png");
    const image_u8 sheet = load_image(png);  // RGB: the grey value in every channel
    if (sheet.width != sheet_width || sheet.height != sheet_height)
        throw error("load_signs_digits: " + png.string() + " is " + std::to_string(sheet.width) +
                    " x " + std::to_string(sheet.height) + "; expected OpenCV's 2000 x 1000 " +
                    "digits.png - delete it and run scripts/fetch-digits.sh again");

    const int s = static_cast<int>(side);
    dataset out;
    out.features = side * side * 3;
    out.outputs = digits;
    for (int d = 0; d < digits; ++d) out.classes.push_back(std::to_string(d));
    const std::size_t n = std::size_t(digits) * rows_per_digit * tiles_per_row;
    out.x.reserve(n * out.features);
    out.y.assign(n * digits, 0.0f);
    std::vector<float> grey(tile * tile);
    std::size_t m = 0;
    for (int d = 0; d < digits; ++d)
        for (int row = d * rows_per_digit; row < (d + 1) * rows_per_digit; ++row)
            for (int col = 0; col < tiles_per_row; ++col, ++m) {
                for (int y = 0; y < tile; ++y)
                    for (int x = 0; x < tile; ++x) {
                        const std::size_t px = std::size_t(row * tile + y) * sheet_width +
                                               std::size_t(col * tile + x);
                        grey[y * tile + x] = sheet.pixels[px * 3] / 255.0f;
                    }
                const std::vector<float> big = resize_bilinear(grey, tile, tile, 1, s, s);
                for (const float v : big) out.x.insert(out.x.end(), {v, v, v});
                out.y[m * digits + d] = 1.0f;
            }
    return out;
}

}  // namespace kiln
