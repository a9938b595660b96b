#pragma once
/*  Reader for the Deep Learning Specialization's HDF5 image sets (train_catvnoncat.h5 layout).
    FILE LAYOUT  "<prefix>_set_x"  u8 [m, H, W, C]   (the course: [209, 64, 64, 3])
                 "<prefix>_set_y"  [m] any integer type ([1, m] and [m, 1] are accepted too)
                 "list_classes"    [k] strings, fixed- or variable-length (optional: when the
                                   file lacks it, classes is empty)
                 prefix is "train" or "test" (any prefix works the same way).
    GIVES        pixels in the file's order, i.e. HWC row-major per image, which is kiln's
                 (C, W, H) innermost-first sample layout; one label per image.
    ERRORS       kiln::error naming the file, the dataset, the shape/type found and the one
                 expected: missing file, not HDF5, missing dataset, wrong rank or element
                 type, label count != m.  HDF5's own error-stack printing is switched off.   */
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

struct labelled_images {
    int width = 0, height = 0, channels = 0;
    std::vector<std::uint8_t> pixels;  // m * H * W * C
    std::vector<int> labels;           // m
    std::vector<std::string> classes;
    std::size_t size() const { return labels.size(); }
};

labelled_images read_course_h5(const std::filesystem::path& path, std::string_view prefix);

}  // namespace kiln
