#pragma once
/*  What the binaries that also train on Fashion-MNIST share (C2W3's MLP, C4W1's CNN): one
    binary carries two compiled networks, because the input shapes differ, and
    `--dataset NAME` picks one before run_app parses the rest of the command line.
    take_dataset_flag  removes "--dataset NAME" (or "--dataset=NAME") from argv wherever it
                       stands; name is `fallback` when absent, empty when the flag has no value.
    fashion_mnist_data 60,000 / 10,000 images of Debian's dataset-fashion-mnist, or of the
                       directory of the file given with --data (any of the four IDX files).
    fashion_mnist_sample  predict: any PNG/JPEG, resized to 28x28, grey = mean of R, G, B,
                       scaled to [0, 1] as the training images.                            */
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/dataset.hpp"
#include "runtime/idx.hpp"
#include "runtime/image.hpp"

namespace kiln::networks {

struct dataset_flag {
    std::string name;
    std::vector<char*> args;  // argv without the flag, for run_app
    int argc() const { return static_cast<int>(args.size()); }
    char** argv() { return args.data(); }
};

inline dataset_flag take_dataset_flag(int argc, char** argv, std::string fallback) {
    dataset_flag out{std::move(fallback), {}};
    constexpr std::string_view flag = "--dataset", with_value = "--dataset=";
    for (int i = 0; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == flag) out.name = i + 1 < argc ? argv[++i] : "";
        else if (a.starts_with(with_value)) out.name = a.substr(with_value.size());
        else out.args.push_back(argv[i]);
    }
    return out;
}

// The error for a name that matches no compiled network; returns the exit code (2, as a
// bad command line elsewhere).
inline int unknown_dataset(const std::string& name, const char* choices) {
    if (name.empty()) std::fprintf(stderr, "error: --dataset needs a value; choose %s\n", choices);
    else std::fprintf(stderr, "error: unknown --dataset '%s'; choose %s\n", name.c_str(), choices);
    return 2;
}

inline std::pair<dataset, dataset> fashion_mnist_data(const std::optional<std::filesystem::path>& data,
                                                      std::uint64_t) {
    const std::filesystem::path dir = data ? data->parent_path() : "/usr/share/datasets/fashion-mnist";
    return {load_fashion_mnist("train", dir), load_fashion_mnist("test", dir)};
}

inline std::vector<float> fashion_mnist_sample(const std::string& path) {
    const image_u8 img = resize_bilinear(load_image(path), 28, 28);
    std::vector<float> grey(28 * 28);
    for (std::size_t i = 0; i < grey.size(); ++i)
        grey[i] = (img.pixels[3 * i] + img.pixels[3 * i + 1] + img.pixels[3 * i + 2]) / (3 * 255.f);
    return grey;
}

}  // namespace kiln::networks
