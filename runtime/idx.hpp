#pragma once
/*  IDX files (the MNIST / Fashion-MNIST format) and the Fashion-MNIST set.
    FORMAT      big-endian: bytes 0, 0, type, rank; then rank u32 dimensions; then the
                values, row-major (last dimension fastest). Only type 0x08 (unsigned byte)
                is read - the type of every MNIST / Fashion-MNIST file.
    read_idx    reads plain or gzip-compressed files alike (zlib detects the gzip header).
                Throws kiln::error for a missing or unreadable file, a bad magic, a type other
                than 0x08, rank 0, truncated data or bytes past the end (the message gives the
                expected and the found byte counts).
    load_fashion_mnist  split "train" (60,000) or "test" (10,000) from
                dir/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz (Debian's
                dataset-fashion-mnist). x = pixel / 255 as an image (C, W, H) = (1, 28, 28):
                784 features, row-major as in the file; y one-hot over the 10 classes below,
                samples in file order.                                                       */
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

#include "runtime/dataset.hpp"

namespace kiln {

struct idx_array {
    std::vector<std::size_t> dims;
    std::vector<std::uint8_t> data;  // product(dims) values, row-major
};

idx_array read_idx(const std::filesystem::path& path);

inline constexpr std::string_view fashion_mnist_classes[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

dataset load_fashion_mnist(std::string_view split /* "train" | "test" */,
                           const std::filesystem::path& dir = "/usr/share/datasets/fashion-mnist");

}  // namespace kiln
