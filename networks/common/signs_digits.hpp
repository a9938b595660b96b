#pragma once
// The SIGNS stand-in shared by C2W3's MLP and C4W1's CNN: OpenCV's digits 0-5 at 64x64x3
// (scripts/fetch-digits.sh), or --data PNG of the same sheet layout, with one fixed,
// stratified 20% test split so both models are measured on the same images.
#include <filesystem>
#include <optional>
#include <utility>

#include "runtime/dataset.hpp"
#include "runtime/datasets/digits.hpp"

namespace kiln::networks {

inline std::pair<dataset, dataset> signs_digits_data(const std::optional<std::filesystem::path>& data, std::uint64_t) {
    return split(data ? load_signs_digits(*data) : load_signs_digits(), 0.2, 1);
}

}  // namespace kiln::networks
