#include "runtime/keras_import.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "runtime/error.hpp"

namespace kiln {
using json = nlohmann::json;

namespace {

// Classes without weights that a kiln network declares as its own layers (or not at all:
// Dropout at inference, InputLayer); the converter only reports their config.
constexpr const char* weightless_classes[] = {
    "InputLayer", "ZeroPadding2D", "ReLU", "Activation", "Add", "Multiply", "Concatenate",
    "AveragePooling2D", "MaxPooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Flatten",
    "Dropout", "Reshape", "Rescaling", "Softmax"};

std::string shape_string(const std::vector<std::int64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

// 2257984 -> "2,257,984"
std::string grouped(std::size_t n) {
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

// A JSON value as the report shows it: numbers shortest, lists "[0, 1]", strings bare.
std::string show(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_array()) {
        std::string s = "[";
        for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + show(v[i]);
        return s + "]";
    }
    return v.dump();
}

// One Keras layer being converted: its config, and the errors that name it.
struct layer_context {
    const tfjs_model& model;
    const tfjs_layer& layer;
    json config;
    std::set<const tfjs_weight*>& used;

    [[noreturn]] void fail(const std::string& what, std::string_view hint) const {
        throw error("TF.js model '" + model.path.string() + "': layer '" + layer.name + "' (" +
                    layer.class_name + "): " + what + "; " + std::string(hint));
    }

    bool has(const char* key) const { return config.contains(key) && !config[key].is_null(); }
    const json& at(const char* key) const {
        if (!has(key)) fail(std::string("its config has no \"") + key + "\"", "convert the model again");
        return config[key];
    }
    std::int64_t integer(const char* key, std::int64_t fallback) const {
        if (!has(key)) return fallback;
        if (!config[key].is_number_integer())
            fail(std::string("config \"") + key + "\" is " + config[key].dump() + "; expected an integer",
                 "convert the model again");
        return config[key].get<std::int64_t>();
    }
    bool flag(const char* key, bool fallback) const {
        if (!has(key)) return fallback;
        if (!config[key].is_boolean())
            fail(std::string("config \"") + key + "\" is " + config[key].dump() + "; expected true or false",
                 "convert the model again");
        return config[key].get<bool>();
    }
    std::string text(const char* key, const std::string& fallback) const {
        return has(key) && config[key].is_string() ? config[key].get<std::string>() : fallback;
    }
    double number(const char* key, double fallback) const {
        return has(key) && config[key].is_number() ? config[key].get<double>() : fallback;
    }
    // An int or a list of ints, spread to `n` entries (Keras saves kernel_size as [3, 3]).
    std::vector<std::int64_t> ints(const char* key, std::size_t n) const {
        const json& v = at(key);
        std::vector<std::int64_t> out;
        if (v.is_number_integer())
            out.assign(n, v.get<std::int64_t>());
        else if (v.is_array())
            for (const json& e : v)
                if (e.is_number_integer()) out.push_back(e.get<std::int64_t>());
        if (out.size() != n)
            fail(std::string("config \"") + key + "\" is " + v.dump() + "; expected " + std::to_string(n) +
                     " integers",
                 "convert the model again");
        return out;
    }

    // The weight "<layer>/<param>", its rank and the dimensions the config fixes (-1: free).
    const tfjs_weight& weight(const char* param, const std::vector<std::int64_t>& expected,
                              const std::string& because) const {
        const tfjs_weight* w = model.find_weight(layer.name, param);
        if (!w) {
            std::string present;
            for (const tfjs_weight& o : model.weights)
                if (tfjs_weight_layer(o.name) == layer.name)
                    present += (present.empty() ? "'" : ", '") + o.name + "'";
            fail("the manifest has no weight '" + layer.name + "/" + param + "'" +
                     (present.empty() ? " and none of this layer" : " (this layer's: " + present + ")"),
                 "the model.json and its shards do not match the topology; convert the model again");
        }
        bool ok = w->shape.size() == expected.size();
        for (std::size_t i = 0; ok && i < expected.size(); ++i)
            ok = expected[i] < 0 || expected[i] == w->shape[i];
        if (!ok) {
            std::string want = "[";
            for (std::size_t i = 0; i < expected.size(); ++i)
                want +=
                    (i ? ", " : "") + (expected[i] < 0 ? std::string("any") : std::to_string(expected[i]));
            fail("weight '" + w->name + "' has shape " + shape_string(w->shape) + "; its config (" + because +
                     ") implies " + want + "]",
                 "the weights do not belong to this topology; convert the model again");
        }
        used.insert(w);
        return *w;
    }

    void no_channels_first() const {
        if (text("data_format", "channels_last") != "channels_last")
            fail("data_format is " + text("data_format", "") + "; kiln's images are channels-last (NHWC)",
                 "re-export the Keras model with data_format=\"channels_last\"");
    }
    // A Keras activation folded into the layer ("activation": "relu") is a separate kiln layer.
    void activation_note(keras_layer_outcome& out) const {
        const std::string a = text("activation", "linear");
        if (a != "linear")
            out.notes.push_back("activation \"" + a + "\" is folded into this Keras layer: declare kiln's " +
                                a + " after " + out.node);
    }
};

// Kernel, strides and padding of a Conv2D / DepthwiseConv2D, as the report shows them.
struct conv_geometry {
    std::int64_t kh = 0, kw = 0, stride = 1;
    std::string pad, text;
};

conv_geometry geometry_of(const layer_context& c, keras_layer_outcome& out) {
    conv_geometry g;
    const std::vector<std::int64_t> k = c.ints("kernel_size", 2);
    const std::vector<std::int64_t> s =
        c.has("strides") ? c.ints("strides", 2) : std::vector<std::int64_t>{1, 1};
    const std::vector<std::int64_t> d =
        c.has("dilation_rate") ? c.ints("dilation_rate", 2) : std::vector<std::int64_t>{1, 1};
    g.kh = k[0];
    g.kw = k[1];
    g.stride = s[0];
    g.pad = c.text("padding", "valid");
    if (s[0] != s[1])
        out.notes.push_back("strides " + shape_string(s) +
                            " differ: kiln's layers take one stride for both axes");
    if (d[0] != 1 || d[1] != 1)
        out.notes.push_back("dilation_rate " + shape_string(d) + ": kiln's layers do not dilate");
    if (g.pad != "valid" && g.pad != "same")
        out.notes.push_back("padding \"" + g.pad + "\": kiln pads \"valid\" or \"same\"");
    g.text = "kernel " + std::to_string(g.kh) + "x" + std::to_string(g.kw) + ", strides " +
             (s[0] == s[1] ? std::to_string(g.stride) : shape_string(s)) + ", padding " + g.pad;
    return g;
}

void add(std::vector<kiln_tensor>& out, const std::string& name, std::vector<std::int64_t> shape,
         const tfjs_weight& w) {
    out.push_back({name, std::move(shape), w.values, w.name});
}

void convert_conv2d(const layer_context& c, keras_layer_outcome& out, std::vector<kiln_tensor>& tensors) {
    c.no_channels_first();
    if (const std::int64_t groups = c.integer("groups", 1); groups != 1)
        c.fail("groups " + std::to_string(groups) + "; kiln's conv2d is not grouped",
               "pass the layer over with --skip " + c.layer.name + " and declare it some other way");
    const std::int64_t filters = c.integer("filters", 0);
    if (filters <= 0) c.fail("config \"filters\" is missing or not positive", "convert the model again");
    const conv_geometry g = geometry_of(c, out);
    const bool bias = c.flag("use_bias", true);
    // Keras' kernel [KH, KW, Cin, F] is kiln's W as it is; Cin comes from the weight.
    const tfjs_weight& W = c.weight("kernel", {g.kh, g.kw, -1, filters},
                                    "kernel_size [" + std::to_string(g.kh) + ", " + std::to_string(g.kw) +
                                        "], filters " + std::to_string(filters));
    add(tensors, out.node + ".W", W.shape, W);
    if (bias)
        add(tensors, out.node + ".b", {filters},
            c.weight("bias", {filters}, "filters " + std::to_string(filters)));
    out.detail = g.text + (bias ? "" : ", no bias") + "; kiln: conv2d<" + std::to_string(filters) + ", " +
                 std::to_string(g.kh) + ", " + std::to_string(g.kw) + ", " + std::to_string(g.stride) +
                 ", padding::" + g.pad + (bias ? "" : ", false") + ">";
    c.activation_note(out);
}

void convert_depthwise(const layer_context& c, keras_layer_outcome& out, std::vector<kiln_tensor>& tensors) {
    c.no_channels_first();
    if (const std::int64_t m = c.integer("depth_multiplier", 1); m != 1)
        c.fail("depth_multiplier is " + std::to_string(m) +
                   "; kiln's depthwise_conv2d has one filter per channel (depth_multiplier must be 1)",
               "pass the layer over with --skip " + c.layer.name +
                   ", or convert up to the layer before it with --until");
    const conv_geometry g = geometry_of(c, out);
    const bool bias = c.flag("use_bias", true);
    // Keras' depthwise_kernel [KH, KW, C, 1]: the same bytes as kiln's W [KH, KW, C].
    const tfjs_weight& W = c.weight(
        "depthwise_kernel", {g.kh, g.kw, -1, 1},
        "kernel_size [" + std::to_string(g.kh) + ", " + std::to_string(g.kw) + "], depth_multiplier 1");
    const std::int64_t channels = W.shape[2];
    add(tensors, out.node + ".W", {g.kh, g.kw, channels}, W);
    if (bias)
        add(tensors, out.node + ".b", {channels},
            c.weight("bias", {channels}, "the depthwise_kernel's " + std::to_string(channels) + " channels"));
    out.detail = g.text + (bias ? "" : ", no bias") + "; kiln: depthwise_conv2d<" + std::to_string(g.kh) +
                 ", " + std::to_string(g.kw) + ", " + std::to_string(g.stride) + ", padding::" + g.pad +
                 (bias ? ", true" : "") + ">";
    c.activation_note(out);
}

void convert_batch_norm(const layer_context& c, keras_layer_outcome& out, std::vector<kiln_tensor>& tensors) {
    const bool center = c.flag("center", true), scale = c.flag("scale", true);
    const double epsilon = c.number("epsilon", 1e-3), momentum = c.number("momentum", 0.99);
    if (c.has("axis")) {
        // -1, or 3 of an NHWC image, is the channel axis kiln normalises; anything else may not be.
        const json& a = c.config["axis"].is_array() && c.config["axis"].size() == 1 ? c.config["axis"][0]
                                                                                    : c.config["axis"];
        const json& axis = c.config["axis"];
        if (!a.is_number_integer() || (a.get<int>() != -1 && a.get<int>() != 3))
            out.notes.push_back(
                "axis " + show(axis) +
                ": kiln normalises the innermost axis (channels, or features); check it is that one");
    }
    // Keras' moving statistics fix C; gamma and beta must agree with it.
    const tfjs_weight& mean = c.weight("moving_mean", {-1}, "a [C] vector per statistic");
    const std::int64_t C = mean.shape[0];
    const std::string because = "moving_mean [" + std::to_string(C) + "]";
    const tfjs_weight& var = c.weight("moving_variance", {C}, because);
    auto constant = [&](const char* role, float value, const char* why) {
        tensors.push_back(
            {out.node + "." + role, {C}, std::vector<float>(static_cast<std::size_t>(C), value), why});
        out.notes.push_back(std::string(role) + " written as " + (value == 0 ? "zeros" : "ones") + ": " +
                            why + " (Keras stores none)");
    };
    if (scale)
        add(tensors, out.node + ".gamma", {C}, c.weight("gamma", {C}, because));
    else
        constant("gamma", 1.0f, "scale=false");
    if (center)
        add(tensors, out.node + ".beta", {C}, c.weight("beta", {C}, because));
    else
        constant("beta", 0.0f, "center=false");
    add(tensors, out.node + ".running_mean", {C}, mean);
    add(tensors, out.node + ".running_var", {C}, var);
    const std::string eps = show(json(epsilon)), mom = show(json(momentum));
    out.detail = "epsilon " + eps + ", momentum " + mom + "; kiln: batch_norm_with<" + eps + ", " + mom + ">";
}

void convert_dense(const layer_context& c, keras_layer_outcome& out, std::vector<kiln_tensor>& tensors) {
    const std::int64_t units = c.integer("units", 0);
    if (units <= 0) c.fail("config \"units\" is missing or not positive", "convert the model again");
    const bool bias = c.flag("use_bias", true);
    const tfjs_weight& K = c.weight("kernel", {-1, units}, "units " + std::to_string(units));
    // Keras' kernel [in, units] -> kiln's W [units, in] (PyTorch's Linear layout).
    const std::int64_t in = K.shape[0];
    std::vector<float> W(K.values.size());
    for (std::int64_t i = 0; i < in; ++i)
        for (std::int64_t u = 0; u < units; ++u) W[u * in + i] = K.values[i * units + u];
    tensors.push_back({out.node + ".W", {units, in}, std::move(W), K.name + " transposed"});
    if (bias)
        add(tensors, out.node + ".b", {units}, c.weight("bias", {units}, "units " + std::to_string(units)));
    out.detail = "units " + std::to_string(units) + ", in " + std::to_string(in) + (bias ? "" : ", no bias") +
                 ", W = kernel transposed; kiln: dense<" + std::to_string(units) + ">";
    c.activation_note(out);
}

struct converted_class {
    std::string_view keras;
    const char* kind;  // kiln's node kind
    void (*convert)(const layer_context&, keras_layer_outcome&, std::vector<kiln_tensor>&);
};
constexpr converted_class converters[] = {{"Conv2D", "conv2d", convert_conv2d},
                                          {"DepthwiseConv2D", "depthwise_conv2d", convert_depthwise},
                                          {"BatchNormalization", "batch_norm", convert_batch_norm},
                                          {"Dense", "dense", convert_dense}};

// The config entries of a weightless layer that a kiln network has to match.
std::vector<const char*> shown_keys(std::string_view keras_class) {
    if (keras_class == "InputLayer") return {"batch_input_shape", "batch_shape"};
    if (keras_class == "ZeroPadding2D") return {"padding"};
    if (keras_class == "ReLU") return {"max_value", "negative_slope", "threshold"};
    if (keras_class == "Activation") return {"activation"};
    if (keras_class == "Concatenate" || keras_class == "Softmax") return {"axis"};
    if (keras_class == "AveragePooling2D" || keras_class == "MaxPooling2D")
        return {"pool_size", "strides", "padding"};
    if (keras_class == "Dropout") return {"rate"};
    if (keras_class == "Reshape") return {"target_shape"};
    if (keras_class == "Rescaling") return {"scale", "offset"};
    return {};
}

std::string supported_list() {
    std::string s = "kiln converts";
    for (const converted_class& k : converters)
        s += std::string(&k == converters ? " " : ", ") + std::string(k.keras);
    s += " and passes over the weightless";
    for (const char* c : weightless_classes) s += std::string(c == weightless_classes[0] ? " " : ", ") + c;
    return s;
}

}  // namespace

std::size_t keras_import_result::parameter_count() const {
    std::size_t n = 0;
    for (const kiln_tensor& t : tensors) n += t.data.size();
    return n;
}

std::size_t keras_import_result::node_count(std::string_view kind) const {
    return static_cast<std::size_t>(
        std::count_if(layers.begin(), layers.end(), [&](const keras_layer_outcome& l) {
            return l.status == keras_layer_status::converted && l.kind == kind;
        }));
}

std::size_t keras_import_result::count(keras_layer_status status) const {
    return static_cast<std::size_t>(std::count_if(
        layers.begin(), layers.end(), [&](const keras_layer_outcome& l) { return l.status == status; }));
}

keras_import_result import_keras_layers(const tfjs_model& model, const keras_import_options& options) {
    const std::vector<tfjs_layer>& layers = model.layers;
    auto fail = [&](const std::string& what, std::string_view hint) {
        throw error("TF.js model '" + model.path.string() + "': " + what + "; " + std::string(hint));
    };
    auto index_of = [&](const std::string& name) {
        for (std::size_t i = 0; i < layers.size(); ++i)
            if (layers[i].name == name) return i;
        return layers.size();
    };
    std::size_t last = layers.size();  // one past the last layer converted
    if (!options.until.empty()) {
        last = index_of(options.until);
        if (last == layers.size())
            fail("--until '" + options.until + "': the model has no layer of that name",
                 "list the layer names with kiln-convert --list");
        ++last;
    }
    const std::set<std::string> skip(options.skip.begin(), options.skip.end());
    for (const std::string& s : skip)
        if (index_of(s) == layers.size())
            fail("--skip '" + s + "': the model has no layer of that name",
                 "list the layer names with kiln-convert --list");

    keras_import_result result;
    std::set<const tfjs_weight*> used;
    std::set<std::string> checked;  // layers whose weights must all be accounted for
    std::map<std::string, int> ordinal;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const tfjs_layer& layer = layers[i];
        keras_layer_outcome out;
        out.layer = layer.name;
        out.class_name = layer.class_name;
        out.inbound = layer.inbound;
        if (i >= last || skip.count(layer.name)) {
            out.status = keras_layer_status::skipped;
            out.detail = i >= last ? "after --until " + options.until : "--skip";
            result.layers.push_back(std::move(out));
            continue;
        }
        checked.insert(layer.name);
        const layer_context c{model, layer, json::parse(layer.config), used};
        const auto conv = std::find_if(std::begin(converters), std::end(converters),
                                       [&](const converted_class& k) { return k.keras == layer.class_name; });
        if (conv != std::end(converters)) {
            out.status = keras_layer_status::converted;
            out.kind = conv->kind;
            out.node = out.kind + std::to_string(++ordinal[out.kind]);
            out.first_tensor = result.tensors.size();
            conv->convert(c, out, result.tensors);
            out.tensor_count = result.tensors.size() - out.first_tensor;
        } else if (std::find(std::begin(weightless_classes), std::end(weightless_classes),
                             layer.class_name) != std::end(weightless_classes)) {
            out.status = keras_layer_status::weightless;
            for (const char* key : shown_keys(layer.class_name))
                if (c.has(key))
                    out.detail +=
                        (out.detail.empty() ? "" : ", ") + std::string(key) + " " + show(c.config[key]);
        } else {
            fail("layer '" + layer.name + "' is a " + layer.class_name +
                     ", a class kiln does not know (unknown layer)",
                 supported_list() +
                     "; convert up to the layer before it (--until), or pass it over (--skip " + layer.name +
                     ") when kiln needs none of its weights");
        }
        result.layers.push_back(std::move(out));
    }

    // A weight of a converted layer that no config entry accounts for means the topology and
    // the weights disagree (e.g. a bias with use_bias false): refuse rather than drop it.
    for (const tfjs_weight& w : model.weights) {
        const std::string owner = tfjs_weight_layer(w.name);
        if (used.count(&w) || !checked.count(owner)) continue;
        fail("layer '" + owner + "' (" + layers[index_of(owner)].class_name + "): the manifest has weight '" +
                 w.name + "' " + shape_string(w.shape) + " that the layer's config does not imply",
             "the model.json and its shards disagree: convert the model again, or pass the layer over with "
             "--skip " +
                 owner);
    }
    return result;
}

std::vector<std::string> keras_import_report(const keras_import_result& result) {
    std::size_t name_width = 10, class_width = 5;
    for (const keras_layer_outcome& l : result.layers) {
        name_width = std::max(name_width, l.layer.size());
        class_width = std::max(class_width, l.class_name.size());
    }
    const int index_width = static_cast<int>(std::to_string(result.layers.size()).size());
    auto pad = [](std::string s, std::size_t width) {
        s.resize(std::max(width, s.size()), ' ');
        return s;
    };
    std::vector<std::string> lines;
    const std::string indent(static_cast<std::size_t>(index_width) + 2 + name_width + 2 + class_width + 2,
                             ' ');
    for (std::size_t i = 0; i < result.layers.size(); ++i) {
        const keras_layer_outcome& l = result.layers[i];
        std::string index = std::to_string(i + 1);
        std::string line = std::string(static_cast<std::size_t>(index_width) - index.size(), ' ') + index +
                           "  " + pad(l.layer, name_width) + "  " + pad(l.class_name, class_width) + "  ";
        switch (l.status) {
        case keras_layer_status::converted: {
            // "conv2d1.W [3, 3, 3, 32], conv2d1.b [32]"; roles of one shape share it:
            // "batch_norm1.gamma/beta/running_mean/running_var [32]".
            line += "->";
            for (std::size_t t = l.first_tensor; t < l.first_tensor + l.tensor_count;) {
                const std::vector<std::int64_t>& shape = result.tensors[t].shape;
                line += (t == l.first_tensor ? " " : ", ") + result.tensors[t].name;
                for (++t; t < l.first_tensor + l.tensor_count && result.tensors[t].shape == shape; ++t)
                    line += "/" + result.tensors[t].name.substr(l.node.size() + 1);
                line += " " + shape_string(shape);
            }
            line += "  (" + l.detail + ")";
            break;
        }
        case keras_layer_status::weightless:
            line += "   no weights";
            break;
        case keras_layer_status::skipped:
            line += "   skipped: " + l.detail;
            break;
        }
        if (l.status == keras_layer_status::weightless) {
            std::string extra = l.detail;
            // Branches and joins: name the inputs when they are not just the layer above.
            const bool chained = l.inbound.empty() || (l.inbound.size() == 1 && i > 0 &&
                                                       l.inbound[0] == result.layers[i - 1].layer);
            if (!chained) {
                extra += std::string(extra.empty() ? "" : "; ") + "from ";
                for (std::size_t k = 0; k < l.inbound.size(); ++k) extra += (k ? ", " : "") + l.inbound[k];
            }
            if (!extra.empty()) line += "  (" + extra + ")";
        }
        lines.push_back(line);
        for (const std::string& note : l.notes) lines.push_back(indent + "note: " + note);
    }
    return lines;
}

std::vector<std::string> keras_import_summary(const keras_import_result& result) {
    std::string converted = "converted " + std::to_string(result.count(keras_layer_status::converted)) +
                            " Keras layers into kiln nodes:";
    for (const converted_class& k : converters)
        converted += std::string(&k == converters ? " " : ", ") + std::to_string(result.node_count(k.kind)) +
                     " " + k.kind;
    converted += "; " + std::to_string(result.tensors.size()) + " tensors, " +
                 grouped(result.parameter_count()) + " parameters";

    std::string passed = "passed over " + std::to_string(result.count(keras_layer_status::weightless)) +
                         " weightless layers; skipped " +
                         std::to_string(result.count(keras_layer_status::skipped));
    std::vector<std::string> skipped;
    for (const keras_layer_outcome& l : result.layers)
        if (l.status == keras_layer_status::skipped) skipped.push_back(l.layer);
    if (!skipped.empty()) {
        passed += ": ";
        if (skipped.size() <= 8)
            for (std::size_t i = 0; i < skipped.size(); ++i) passed += (i ? ", " : "") + skipped[i];
        else
            passed += skipped.front() + ", " + skipped[1] + " ... " + skipped.back();
    }
    std::vector<std::string> lines{converted, passed};

    // kiln's batch_norm must be declared with each layer's epsilon and momentum: one line per
    // distinct pair, so a uniform network reads as a single declaration.
    std::vector<std::pair<std::string, std::size_t>> norms;
    for (const keras_layer_outcome& l : result.layers) {
        if (l.status != keras_layer_status::converted || l.kind != "batch_norm") continue;
        const std::string decl = l.detail.substr(l.detail.find("kiln: ") + 6);
        auto it = std::find_if(norms.begin(), norms.end(), [&](const auto& p) { return p.first == decl; });
        if (it == norms.end())
            norms.push_back({decl, 1});
        else
            ++it->second;
    }
    for (const auto& [decl, n] : norms)
        lines.push_back("batch_norm: " + std::to_string(n) + " layer" + (n == 1 ? "" : "s") +
                        " declared as " + decl);
    return lines;
}

}  // namespace kiln
