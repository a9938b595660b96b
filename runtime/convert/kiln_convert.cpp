/*  kiln-convert: a Keras model saved as a TF.js layers model -> a kiln checkpoint.
      kiln-convert MODEL.json -o OUT.safetensors [--until LAYER] [--skip LAYER]...
                   [--weights-dir DIR] [--list]
    Prints one line per Keras layer (what it became in kiln, or why it was passed over) and a
    summary; writes OUT atomically with metadata {"kiln.source": "tfjs-layers",
    "kiln.keras_version", "kiln.converted_from"} and no "kiln.network": the checkpoint names
    parameters, the network that loads it is the user's declaration. --list prints the same
    report and writes nothing. Errors print "error: ..." and exit 1; a bad command line exits
    with CLI11's code and message.                                                          */
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "runtime/checkpoint.hpp"
#include "runtime/error.hpp"
#include "runtime/keras_import.hpp"
#include "runtime/tfjs.hpp"

namespace {
namespace fs = std::filesystem;

// "266 weights in 1 group (uint8 266)": how the shards stored them.
std::string describe_weights(const kiln::tfjs_model& model) {
    std::map<std::string, std::size_t> stored;
    int groups = 0;
    for (const kiln::tfjs_weight& w : model.weights) {
        ++stored[w.stored_as];
        groups = std::max(groups, w.group);
    }
    std::string s = std::to_string(model.weights.size()) + " weights in " + std::to_string(groups) +
                    (groups == 1 ? " group (" : " groups (");
    bool first = true;
    for (const auto& [type, n] : stored) {
        s += (first ? "" : ", ") + type + " " + std::to_string(n);
        first = false;
    }
    return s + ")";
}

int convert(const fs::path& model_json, const fs::path& out, const kiln::keras_import_options& options,
            const fs::path& weights_dir, bool list_only) {
    if (out.empty() && !list_only)
        throw kiln::error("no output file; pass -o OUT.safetensors, or --list to print the report only");
    const kiln::tfjs_model model = kiln::read_tfjs_model(model_json, weights_dir);
    kiln::keras_import_result result = kiln::import_keras_layers(model, options);

    std::printf("kiln-convert: %s: %s, Keras %s (%s), %s of %zu layers, %s\n", model_json.c_str(),
                model.format.empty() ? "layers model" : model.format.c_str(),
                model.keras_version.empty() ? "?" : model.keras_version.c_str(),
                model.backend.empty() ? "backend unknown" : model.backend.c_str(), model.model_class.c_str(),
                model.layers.size(), describe_weights(model).c_str());
    for (const std::string& line : kiln::keras_import_report(result)) std::printf("  %s\n", line.c_str());
    std::printf("\n");
    for (const std::string& line : kiln::keras_import_summary(result)) std::printf("%s\n", line.c_str());

    if (list_only) {
        std::printf("--list: nothing written\n");
        return 0;
    }
    std::vector<kiln::tensor_ref> refs;
    refs.reserve(result.tensors.size());
    for (kiln::kiln_tensor& t : result.tensors)
        refs.push_back({t.name, t.shape, kiln::dtype::f32, t.data.data()});
    const std::map<std::string, std::string> metadata{
        {"kiln.source", "tfjs-layers"},
        {"kiln.keras_version", model.keras_version.empty() ? "unknown" : model.keras_version},
        {"kiln.converted_from", fs::absolute(model_json).lexically_normal().string()}};
    kiln::save_checkpoint(out, refs, metadata);
    std::printf("wrote %zu tensors to %s\n", refs.size(), out.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "kiln-convert: a Keras model saved as a TF.js layers model (model.json + weight shards) "
        "-> a kiln checkpoint (safetensors) under kiln's parameter names"};
    std::string model_json, out, weights_dir;
    kiln::keras_import_options options;
    bool list_only = false;
    app.add_option("model", model_json, "the model.json of a TF.js layers model")->required();
    app.add_option("-o,--output", out, "the checkpoint to write (.safetensors; written atomically)");
    app.add_option("--until", options.until, "convert up to and including this Keras layer; skip the rest");
    // One name per --skip (or a comma list), so "--skip a MODEL.json" cannot swallow the model.
    app.add_option("--skip", options.skip,
                   "pass over this Keras layer (no kiln node, not checked); repeatable")
        ->allow_extra_args(false)
        ->delimiter(',');
    app.add_option("--weights-dir", weights_dir,
                   "the directory that holds the weight shards (default: model.json's)");
    app.add_flag("--list", list_only, "print the report only; write nothing");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        return convert(model_json, out, options, weights_dir, list_only);
    } catch (const std::exception& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
