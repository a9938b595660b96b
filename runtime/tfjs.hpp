#pragma once
/*  TF.js "layers model" reader: a tf.keras model as tensorflowjs_converter writes it
    (--output_format tfjs_layers_model, or tfjs.converters.save_keras_model): model.json
    with "modelTopology" + "weightsManifest", and binary weight shards beside it.
    READS       modelTopology in either spelling:
                  {keras_version, backend, model_config: {class_name, config}}  (older converters)
                  {class_name, config, keras_version, backend}                  (newer converters)
                with class_name "Model", "Functional" or "Sequential"; layers
                {name, class_name, config, inbound_nodes} (Keras 2 nested lists or Keras 3
                {args, kwargs} with keras_history; Sequential: the layer before).
                weightsManifest [{paths: [shard, ...], weights: [{name, shape, dtype,
                quantization?}]}]: within a group the weights lie back to back, in manifest
                order, across the concatenation of the group's shards (paths relative to
                shard_dir). dtype "float32", stored plain (little-endian f32) or quantized:
                uint8 / uint16 -> min + scale * q (in double, stored float32, as TF.js does),
                float16 -> IEEE half.
    GIVES       the layers in the model's order (config as JSON text, inbound layer names);
                every weight dequantized to float32 with its manifest shape (outermost-first,
                as Keras: a Conv2D kernel is [KH, KW, Cin, F]), in manifest order.
    REQUIRES    shard_dir holds every shard the manifest lists (default: model.json's folder).
    ERRORS      kiln::error naming the file, what was expected and found, and what to do:
                model.json missing, unparsable or not a layers model (a graph model says so);
                a listed shard missing; a group's shards shorter (truncated) or longer than its
                weights need; a dtype other than float32 or a quantization other than
                uint8/uint16/float16; a NaN or Inf value after dequantization.               */
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

struct tfjs_layer {
    std::string name;                  // Keras layer name: "Conv1", "bn_Conv1"
    std::string class_name;            // Keras class: "Conv2D", "BatchNormalization"
    std::string config;                // the layer's "config" object, as JSON text
    std::vector<std::string> inbound;  // names of the layers feeding it, first use first
};

struct tfjs_weight {
    std::string name;                 // as in the manifest: "Conv1/kernel", "model_1/Conv1/kernel:0"
    std::vector<std::int64_t> shape;  // outermost-first, as in the manifest
    std::string stored_as;            // "float32", "uint8", "uint16" or "float16": the shard's bytes
    int group = 0;                    // 1-based manifest group
    std::vector<float> values;        // dequantized, row-major over shape
};

struct tfjs_model {
    std::filesystem::path path;  // the model.json read
    std::string format;          // "layers-model" (empty when the file does not say)
    std::string generated_by, converted_by;
    std::string keras_version, backend;  // empty when the topology does not say
    std::string model_class;             // "Model", "Functional" or "Sequential"
    std::vector<tfjs_layer> layers;      // the model's layer order
    std::vector<tfjs_weight> weights;    // manifest order

    // The weight of Keras layer `layer` named `param` ("kernel", "moving_mean"): the manifest
    // name, without a ":N" suffix, equals "<layer>/<param>" or ends with "/<layer>/<param>"
    // (a model prefix). nullptr when none; kiln::error when several match.
    const tfjs_weight* find_weight(std::string_view layer, std::string_view param) const;
};

tfjs_model read_tfjs_model(const std::filesystem::path& model_json,
                           const std::filesystem::path& shard_dir = {});

// "<layer>" of a manifest name "[prefix/]<layer>/<param>[:N]"; empty when it has no '/'.
std::string tfjs_weight_layer(std::string_view weight_name);

}  // namespace kiln
