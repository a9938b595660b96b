#pragma once
/*  Keras layers (read from a TF.js layers model) -> kiln parameter tensors.
    NAMES       kiln names a node "<kind><ordinal>", the ordinal 1-based among the nodes of one
                kind in topological order, and a parameter "<node>.<role>": so the i-th
                converted Keras layer of a class becomes kiln node "<kind><i>". Layers passed
                over with `skip` (and those after `until`) take no ordinal: the kiln network
                declares no node for them.
    MAPPING     (shapes outermost-first, as in the checkpoint)
                Conv2D             -> conv2d<i>.W [KH, KW, Cin, F] (Keras' kernel as it is);
                                      conv2d<i>.b [F] when use_bias
                DepthwiseConv2D    -> depthwise_conv2d<i>.W [KH, KW, C] (Keras' [KH, KW, C, 1]);
                                      .b [C] when use_bias
                BatchNormalization -> batch_norm<i>.gamma, .beta, .running_mean, .running_var [C]
                                      (center=false: beta zeros; scale=false: gamma ones; noted)
                Dense              -> dense<i>.W [units, in] (Keras' kernel [in, units]
                                      transposed, as PyTorch's Linear); dense<i>.b [units]
                weightless, passed over: InputLayer ZeroPadding2D ReLU Activation Add Multiply
                Concatenate AveragePooling2D MaxPooling2D GlobalAveragePooling2D
                GlobalMaxPooling2D Flatten Dropout Reshape Rescaling Softmax
    REQUIRES    every converted layer's weights are in the manifest ("<layer>/<param>") with
                the shape its config implies (Conv2D kernel_size and filters, Cin taken from
                the kernel; DepthwiseConv2D kernel_size and depth_multiplier 1; Dense units;
                BatchNormalization four equal [C]), and no other weight of that layer is.
    ENSURES     tensors in the model's layer order; `layers` holds one outcome per Keras layer
                with what a kiln network must declare to match (kernel, strides, padding,
                epsilon and momentum, activations folded into Conv2D/Dense configs).
    ERRORS      kiln::error naming the layer, its class and what to do: an unknown layer class
                (listing the supported ones), depth_multiplier != 1, groups != 1,
                channels_first, a missing weight, a shape mismatch (expected and found), a weight
                the config does not imply, an `until` or `skip` name the model lacks.        */
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/tfjs.hpp"

namespace kiln {

struct keras_import_options {
    std::string until;              // a Keras layer name: convert up to and including it ("" = all)
    std::vector<std::string> skip;  // Keras layers to pass over: not converted, not checked
};

struct kiln_tensor {
    std::string name;                 // kiln parameter: "conv2d3.W"
    std::vector<std::int64_t> shape;  // outermost-first
    std::vector<float> data;          // row-major over shape
    std::string source;               // the Keras weight, or how it was made: "ones (scale=false)"
};

enum class keras_layer_status { converted, weightless, skipped };

struct keras_layer_outcome {
    std::string layer, class_name;  // Keras
    keras_layer_status status = keras_layer_status::weightless;
    std::string kind, node;                          // kiln "conv2d", "conv2d3" when converted
    std::vector<std::string> inbound;                // Keras layers feeding it
    std::string detail;                              // the config kiln must match, or why it was skipped
    std::size_t first_tensor = 0, tensor_count = 0;  // its tensors in keras_import_result::tensors
    std::vector<std::string> notes;                  // what the user must do or know
};

struct keras_import_result {
    std::vector<kiln_tensor> tensors;
    std::vector<keras_layer_outcome> layers;  // one per Keras layer, in the model's order

    std::size_t parameter_count() const;                  // elements over all tensors
    std::size_t node_count(std::string_view kind) const;  // converted layers of a kiln kind
    std::size_t count(keras_layer_status status) const;
};

keras_import_result import_keras_layers(const tfjs_model& model, const keras_import_options& options = {});

// The report, one line per Keras layer (and an indented line per note):
//   "<#> <keras name> <class> -> <kiln tensor> <shape>, ...  (<detail>)"   converted
//   "<#> <keras name> <class>    no weights  (<detail>)"                   weightless
//   "<#> <keras name> <class>    skipped: <reason>"                        skipped
std::vector<std::string> keras_import_report(const keras_import_result& result);
// Two lines: what was converted (nodes per kind, tensors, parameters), what was passed over.
std::vector<std::string> keras_import_summary(const keras_import_result& result);

}  // namespace kiln
