#pragma once
/*  Real small binary image sets standing in for the course's cat / non-cat data.
    load_lfw_faces   skimage's lfw_subset.npy: 200 x 25 x 25 float64 greyscale in [0, 1];
                     the first half are faces (label 1), the second half non-faces (label 0).
                     Each image is upsampled to 64 x 64 (bilinear, half-pixel centres, on the
                     float values) and replicated to 3 channels, giving 12288 features per
                     sample in (C, W, H) order - the course's 64x64x3 input. outputs = 1,
                     classes {"non-face", "face"}.
    load_lfw_faces_sized  the same 200 images at side x side x 3 (default 160: MobileNetV2's
                     input in C4W2A2), resampled the same way; values stay in [0, 1] (bilinear
                     weights are convex). MobileNetV2's preprocess_input wants [-1, 1] from
                     [0, 255] bytes: from these features that is 2 x - 1, the network's job.
                     load_lfw_faces(npy) is load_lfw_faces_sized(64, npy).
    from_labelled_images  u8 images (e.g. read_course_h5) -> features pixel / 255 in HWC order;
                     0/1 labels with at most two classes give outputs = 1, otherwise one-hot
                     over max(classes.size(), max label + 1) classes.
    ERRORS           kiln::error: a missing file names the package that provides it.         */
#include <filesystem>

#include "runtime/dataset.hpp"
#include "runtime/hdf5_dataset.hpp"

namespace kiln {

std::filesystem::path default_lfw_path();  // Debian python3-skimage's copy

dataset load_lfw_faces(const std::filesystem::path& npy = default_lfw_path());

inline constexpr int mobilenet_side = 160;
// REQUIRES side > 0 (kiln::error otherwise)
dataset load_lfw_faces_sized(int side = mobilenet_side,
                             const std::filesystem::path& npy = default_lfw_path());

dataset from_labelled_images(const labelled_images& images);

}  // namespace kiln
