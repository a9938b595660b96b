#pragma once
/*  The data of Course 1's image classifiers (cat / non-cat in the course), shared by the
    logistic-regression, two-layer and L-layer binaries; course_h5_data also serves C4W1's
    Happy House (train_happy.h5 / test_happy.h5).
    --data FILE   the course's HDF5 layout. The test set is, in order of preference: the
                  sibling file with "train" replaced by "test" in its name (as the course's
                  train_catvnoncat.h5 / test_catvnoncat.h5), the same file's test_set_x /
                  test_set_y, or else a stratified 25% split of the training set.
    default       the real stand-in: skimage's 100 faces + 100 non-faces (lfw_subset),
                  upsampled to 64x64x3, split 150 / 50, stratified and seeded.
    predict       any PNG/JPEG, resized to 64x64 RGB, scaled to [0, 1] as in training.   */
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "runtime/dataset.hpp"
#include "runtime/datasets/lfw_faces.hpp"
#include "runtime/error.hpp"
#include "runtime/hdf5_dataset.hpp"
#include "runtime/image.hpp"

namespace kiln::networks {

inline constexpr int course_image_side = 64;

inline dataset checked_course_images(const labelled_images& images, const std::filesystem::path& path) {
    if (images.width != course_image_side || images.height != course_image_side || images.channels != 3)
        throw error(path.string() + ": images are " + std::to_string(images.height) + "x" +
                    std::to_string(images.width) + "x" + std::to_string(images.channels) +
                    " (H x W x C); this network takes 64x64x3 as the course's image sets do");
    return from_labelled_images(images);
}

// (train, test) from a file in the course's HDF5 layout, the test set found as above.
inline std::pair<dataset, dataset> course_h5_data(const std::filesystem::path& data, std::uint64_t seed) {
    dataset train = checked_course_images(read_course_h5(data, "train"), data);
    std::string name = data.filename().string();
    if (auto at = name.find("train"); at != std::string::npos) {
        std::filesystem::path sibling = data.parent_path() / name.replace(at, 5, "test");
        if (std::filesystem::exists(sibling))
            return {train, checked_course_images(read_course_h5(sibling, "test"), sibling)};
    }
    try {
        return {train, checked_course_images(read_course_h5(data, "test"), data)};
    } catch (const error& e) {
        std::fprintf(stderr, "note: no test set beside %s (%s); holding out 25%% of the training set\n",
                     data.string().c_str(), e.what());
        return split(train, 0.25, seed);
    }
}

inline std::pair<dataset, dataset> course_image_data(const std::optional<std::filesystem::path>& data,
                                                     std::uint64_t seed) {
    if (!data) return split(load_lfw_faces(), 0.25, seed);
    return course_h5_data(*data, seed);
}

inline std::vector<float> course_image_sample(const std::string& path) {
    image_u8 img = load_image(path);
    return to_features(resize_bilinear(img, course_image_side, course_image_side));
}

}  // namespace kiln::networks
