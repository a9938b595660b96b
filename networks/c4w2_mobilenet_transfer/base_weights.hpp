#pragma once
// MobileNetV2's trained base for kiln's networks: nsfwjs' Keras model (scripts/fetch-nsfwjs.sh
// writes it to data/nsfwjs/mobilenet_v2/) converted in-process with kiln-convert's library,
// or a checkpoint that kiln-convert wrote.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/data_dir.hpp"
#include "runtime/error.hpp"
#include "runtime/keras_import.hpp"
#include "runtime/model.hpp"
#include "runtime/tfjs.hpp"

namespace kiln::networks::mobilenet {

#ifndef KILN_DATA_DIR
#error "KILN_DATA_DIR: the repository's data/ directory (set by networks/c4w2_mobilenet_transfer/CMakeLists.txt)"
#endif

inline std::filesystem::path default_nsfwjs_model() {
    return kiln::data_dir(KILN_DATA_DIR) / "nsfwjs" / "mobilenet_v2" / "model.json";
}

// Loads the base into `m` from a TF.js model.json (converted up to `until`: "out_relu" for the
// base alone, "" for nsfwjs' whole model) or from a .safetensors checkpoint. Returns the
// parameters the file did not hold (the new head). Says what it loaded.
template <class Net>
std::vector<std::string> load_base(model<Net>& m, const std::filesystem::path& path, const std::string& until) {
    if (!std::filesystem::exists(path))
        throw error("MobileNetV2 weights: " + path.string() +
                    " not found; run scripts/fetch-nsfwjs.sh (it writes data/nsfwjs/mobilenet_v2/ from npm's "
                    "nsfwjs), or pass --weights with a model.json or a checkpoint from kiln-convert");
    std::vector<std::string> missing;
    std::size_t values = 0;
    if (path.extension() == ".json") {
        const tfjs_model tf = read_tfjs_model(path);
        keras_import_options options;
        options.until = until;
        const keras_import_result r = import_keras_layers(tf, options);
        missing = m.assign_subset(r.tensors, path.string());
        values = r.parameter_count();
    } else {
        missing = m.load_subset(path);
        for (const checkpoint_listing& t : list_checkpoint(path)) {
            std::size_t n = 1;
            for (std::int64_t d : t.shape) n *= static_cast<std::size_t>(d);
            values += n;
        }
    }
    std::printf("weights: %zu values from %s", values, path.string().c_str());
    if (!missing.empty()) {
        std::printf("; not in the file, initialised afresh:");
        for (const std::string& name : missing) std::printf(" %s", name.c_str());
    }
    std::printf("\n");
    return missing;
}

}  // namespace kiln::networks::mobilenet
