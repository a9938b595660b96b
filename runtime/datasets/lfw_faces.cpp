#include "runtime/datasets/lfw_faces.hpp"

#include <algorithm>
#include <span>

#include "runtime/error.hpp"
#include "runtime/image.hpp"
#include "runtime/npy.hpp"

namespace kiln {
namespace fs = std::filesystem;

fs::path default_lfw_path() {
    return "/usr/lib/python3/dist-packages/skimage/data/lfw_subset.npy";
}

dataset load_lfw_faces(const fs::path& npy) { return load_lfw_faces_sized(64, npy); }

dataset load_lfw_faces_sized(int side, const fs::path& npy) {
    if (side <= 0)
        throw error("load_lfw_faces_sized: expected a positive image side; found " + std::to_string(side));
    std::error_code ec;
    if (!fs::exists(npy, ec))
        throw error("'" + npy.string() +
                    "' not found; install Debian's python3-skimage (scripts/setup.sh does) or "
                    "pass --data file.h5");
    const npy_array raw = read_npy(npy);
    if (raw.shape.size() != 3 || raw.shape[0] == 0 || raw.shape[0] % 2 != 0)
        throw error("'" + npy.string() + "': expected [n, H, W] greyscale images with n even "
                    "(faces first, then non-faces) as in skimage's lfw_subset.npy; found " +
                    std::to_string(raw.shape.size()) + " dimensions");
    const std::size_t n = raw.shape[0];
    const int h = static_cast<int>(raw.shape[1]), w = static_cast<int>(raw.shape[2]);
    constexpr int channels = 3;
    const std::size_t features = static_cast<std::size_t>(side) * static_cast<std::size_t>(side) * channels;

    dataset out;
    out.features = features;
    out.outputs = 1;
    out.classes = {"non-face", "face"};
    out.x.resize(n * features);
    out.y.resize(n);
    std::vector<float> grey(static_cast<std::size_t>(w) * h);
    for (std::size_t i = 0; i < n; ++i) {
        const double* src = raw.values.data() + i * grey.size();
        for (std::size_t k = 0; k < grey.size(); ++k) {
            if (!(src[k] >= 0.0 && src[k] <= 1.0))
                throw error("'" + npy.string() + "': image " + std::to_string(i) + " holds " +
                            std::to_string(src[k]) + "; expected grey values in [0, 1]");
            grey[k] = static_cast<float>(src[k]);
        }
        const std::vector<float> big = resize_bilinear(grey, w, h, 1, side, side);
        float* dst = out.x.data() + i * features;
        for (std::size_t p = 0; p < big.size(); ++p)
            std::fill_n(dst + p * channels, channels, big[p]);
        out.y[i] = i < n / 2 ? 1.0f : 0.0f;
    }
    return out;
}

dataset from_labelled_images(const labelled_images& images) {
    const std::size_t m = images.size();
    const std::size_t features =
        static_cast<std::size_t>(images.width) * images.height * images.channels;
    if (features == 0 || images.pixels.size() != m * features)
        throw error("from_labelled_images: " + std::to_string(m) + " labels and " +
                    std::to_string(images.pixels.size()) + " pixel bytes do not fit images of " +
                    std::to_string(images.height) + "x" + std::to_string(images.width) + "x" +
                    std::to_string(images.channels));
    dataset out;
    out.features = features;
    out.classes = images.classes;
    out.x.resize(images.pixels.size());
    std::transform(images.pixels.begin(), images.pixels.end(), out.x.begin(),
                   [](std::uint8_t p) { return static_cast<float>(p) / 255.0f; });
    const bool binary =
        images.classes.size() <= 2 &&
        std::all_of(images.labels.begin(), images.labels.end(), [](int l) { return l == 0 || l == 1; });
    if (binary) {
        out.outputs = 1;
        out.y.assign(images.labels.begin(), images.labels.end());
    } else {
        const int max_label =
            m ? *std::max_element(images.labels.begin(), images.labels.end()) : 0;
        out.outputs = std::max(images.classes.size(), static_cast<std::size_t>(std::max(max_label, 0)) + 1);
        out.y = one_hot(images.labels, out.outputs);
    }
    return out;
}

}  // namespace kiln
