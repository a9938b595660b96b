#pragma once
/*  8-bit images: PNG/JPEG decoding, PNG writing, bilinear resizing, features.
    LAYOUT      pixels are HWC row-major (channel fastest, then x, then y) - the byte order of
                kiln's (C, W, H) innermost-first image sample.
    load_image  detects PNG/JPEG by magic bytes (not the extension) and always returns
                8-bit RGB: grey is replicated, palette expanded, 16-bit scaled to 8-bit
                (round(v * 255 / 65535)), alpha dropped (as PIL's convert("RGB") does).
                Unknown formats and corrupt files raise kiln::error; no decoder ever exits.
    save_png    writes 1 (grey), 3 (RGB) or 4 (RGBA) channels, 8-bit.
    resize_bilinear  half-pixel centres like OpenCV's INTER_LINEAR: source coordinate
                (dst + 0.5) * in / out - 0.5, clamped to the edge; u8 results are rounded.
    to_features pixels / 255 as floats, same HWC order.                                      */
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace kiln {

struct image_u8 {
    int width = 0, height = 0, channels = 0;
    std::vector<std::uint8_t> pixels;  // HWC row-major
};

image_u8 load_image(const std::filesystem::path& path);
void save_png(const std::filesystem::path& path, const image_u8& image);

image_u8 resize_bilinear(const image_u8& image, int width, int height);
// Same resampling on float HWC data (no rounding), e.g. for float images read from NPY.
std::vector<float> resize_bilinear(std::span<const float> hwc, int width, int height,
                                   int channels, int new_width, int new_height);

std::vector<float> to_features(const image_u8& image);

}  // namespace kiln
