#pragma once
/*  Real handwritten digits 0-5 as the 6-class stand-in for the course's SIGNS set (C2W3,
    C4W1, C4W2: 64x64x3 hand signs of 0-5 fingers).
    SOURCE      OpenCV's samples/data/digits.png: a 2000 x 1000 8-bit grey sheet of 5,000
                digits, each in a 20 x 20 tile; 50 rows x 100 columns of tiles, digit d in
                tile rows 5d .. 5d+4 (500 per digit). Only Debian's opencv-doc ships it (a
                96 MB .deb): scripts/fetch-digits.sh extracts the one file into
                data/digits.png, and scripts/install-deps.sh calls that script.
    load_signs_digits  digits 0..5: 3,000 samples, 500 per class, in sheet order (digit,
                then tile row, then tile column). Each 20 x 20 tile, as floats pixel / 255,
                is upsampled to side x side with resize_bilinear (half-pixel centres, no
                rounding) and replicated to 3 channels: features = side * side * 3 in
                (C, W, H) order, values in [0, 1]. y one-hot over 6 classes "0" .. "5".
    ERRORS      kiln::error: a missing file says to run scripts/fetch-digits.sh; a sheet of
                another size names the size it expected; side == 0.                        */
#include <cstddef>
#include <filesystem>

#include "runtime/dataset.hpp"

namespace kiln {

// <source tree>/data/digits.png, where scripts/fetch-digits.sh puts it.
std::filesystem::path default_digits_path();

dataset load_signs_digits(const std::filesystem::path& png = default_digits_path(),
                          std::size_t side = 64);

}  // namespace kiln
