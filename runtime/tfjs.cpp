#include "runtime/tfjs.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "runtime/error.hpp"

static_assert(std::endian::native == std::endian::little,
              "TF.js shards hold little-endian values; the reader copies them as they are");

namespace kiln {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr std::string_view layers_model_hint =
    "pass the model.json of a TF.js layers model (tensorflowjs_converter "
    "--output_format tfjs_layers_model, or tfjs.converters.save_keras_model)";
constexpr std::string_view reconvert_hint =
    "download or convert the model again (model.json and every shard from the same run)";

[[noreturn]] void fail(const fs::path& path, const std::string& what, std::string_view hint) {
    throw error("TF.js model '" + path.string() + "': " + what + "; " + std::string(hint));
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

std::string read_text(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec))
        fail(path, "file not found", "check the path; " + std::string(layers_model_hint));
    if (!fs::is_regular_file(path, ec)) fail(path, "not a regular file", layers_model_hint);
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path, "cannot open the file", "check its permissions");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A string member, or "" when absent or not a string.
std::string string_of(const json& j, const char* key) {
    if (j.is_object() && j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
    return {};
}

// The names of the layers a Keras layer's inbound_nodes refer to, in first-use order.
// Keras 2: [[["name", node_index, tensor_index, kwargs], ...], ...];
// Keras 3: [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history":
//            ["name", node_index, tensor_index], ...}}, ...], "kwargs": {...}}, ...].
void collect_inbound(const json& j, std::vector<std::string>& out) {
    auto add = [&](const std::string& name) {
        for (const std::string& s : out)
            if (s == name) return;
        out.push_back(name);
    };
    if (j.is_object()) {
        if (j.contains("keras_history") && j["keras_history"].is_array() && !j["keras_history"].empty() &&
            j["keras_history"][0].is_string()) {
            add(j["keras_history"][0].get<std::string>());
            return;
        }
        for (const auto& [key, value] : j.items()) collect_inbound(value, out);
    } else if (j.is_array()) {
        if (j.size() >= 3 && j[0].is_string() && j[1].is_number_integer()) {
            add(j[0].get<std::string>());
            return;
        }
        for (const json& e : j) collect_inbound(e, out);
    }
}

// The model's {class_name, config} object in either topology spelling (READS above).
const json& model_object(const fs::path& path, const json& topology) {
    if (!topology.is_object()) fail(path, "\"modelTopology\" is not a JSON object", layers_model_hint);
    if (topology.contains("node") || topology.contains("versions"))
        fail(path, "this is a TF.js graph model (its modelTopology is a TensorFlow GraphDef)",
             "kiln-convert reads layers models: convert the Keras model with "
             "tensorflowjs_converter --output_format tfjs_layers_model");
    const json& model = topology.contains("model_config") ? topology["model_config"] : topology;
    if (!model.is_object() || !model.contains("class_name") || !model.contains("config"))
        fail(path,
             "modelTopology has neither \"model_config\": {class_name, config} nor "
             "\"class_name\" + \"config\"",
             layers_model_hint);
    return model;
}

std::vector<tfjs_layer> parse_layers(const fs::path& path, const json& model,
                                     const std::string& model_class) {
    const json& config = model["config"];
    // Old Sequential configs are the layer list itself.
    const json* list = config.is_array()                                 ? &config
                       : config.is_object() && config.contains("layers") ? &config["layers"]
                                                                         : nullptr;
    if (!list || !list->is_array())
        fail(path, "the " + model_class + "'s config has no \"layers\" array", layers_model_hint);
    std::vector<tfjs_layer> layers;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const json& l = (*list)[i];
        const std::string where = "layer " + std::to_string(i + 1) + " of modelTopology";
        if (!l.is_object() || !l.contains("class_name") || !l["class_name"].is_string())
            fail(path, where + " has no \"class_name\" string", reconvert_hint);
        tfjs_layer layer;
        layer.class_name = l["class_name"].get<std::string>();
        const json config_of = l.contains("config") ? l["config"] : json::object();
        layer.name = string_of(l, "name");
        if (layer.name.empty()) layer.name = string_of(config_of, "name");
        if (layer.name.empty()) fail(path, where + " (" + layer.class_name + ") has no name", reconvert_hint);
        layer.config = config_of.dump();
        if (l.contains("inbound_nodes"))
            collect_inbound(l["inbound_nodes"], layer.inbound);
        else if (model_class == "Sequential" && !layers.empty())
            layer.inbound.push_back(layers.back().name);
        layers.push_back(std::move(layer));
    }
    return layers;
}

// One manifest entry, before its bytes are read.
struct weight_spec {
    tfjs_weight weight;
    std::size_t count = 0;      // elements
    std::size_t bytes = 0;      // in the shard
    double min = 0, scale = 1;  // uint8 / uint16 dequantization
};

weight_spec parse_weight(const fs::path& path, const json& w, int group) {
    const std::string in_group = " in group " + std::to_string(group) + " of weightsManifest";
    if (!w.is_object() || !w.contains("name") || !w["name"].is_string())
        fail(path, "a weight" + in_group + " has no \"name\" string", reconvert_hint);
    weight_spec s;
    s.weight.name = w["name"].get<std::string>();
    s.weight.group = group;
    const std::string where = "weight '" + s.weight.name + "'" + in_group;
    if (!w.contains("shape") || !w["shape"].is_array())
        fail(path, where + " has no \"shape\" array", reconvert_hint);
    s.count = 1;
    for (const json& d : w["shape"]) {
        if (!d.is_number_integer() || d.get<std::int64_t>() < 0)
            fail(path, where + " has a shape entry " + d.dump() + "; expected integers >= 0", reconvert_hint);
        s.weight.shape.push_back(d.get<std::int64_t>());
        s.count *= static_cast<std::size_t>(d.get<std::int64_t>());
    }
    const std::string dtype = string_of(w, "dtype");
    if (dtype != "float32")
        fail(path,
             where + " has dtype '" + (dtype.empty() ? w.value("dtype", json()).dump() : dtype) +
                 "'; kiln reads float32 weights (plain, or quantized to uint8, uint16 or float16)",
             "Keras layers keep float32 weights: convert the model again without casting them");
    s.weight.stored_as = "float32";
    if (w.contains("quantization")) {
        const json& q = w["quantization"];
        const std::string qtype = string_of(q, "dtype");
        if (qtype == "uint8" || qtype == "uint16") {
            if (!q.contains("min") || !q["min"].is_number() || !q.contains("scale") ||
                !q["scale"].is_number())
                fail(path, where + " is quantized to " + qtype + " without numeric \"min\" and \"scale\"",
                     reconvert_hint);
            s.min = q["min"].get<double>();
            s.scale = q["scale"].get<double>();
        } else if (qtype != "float16") {
            fail(path,
                 where + " has quantization dtype " + (qtype.empty() ? q.dump() : "'" + qtype + "'") +
                     "; kiln reads uint8, uint16 and float16 quantization (as TF.js does)",
                 "convert the model again with --quantize_uint8, --quantize_uint16, "
                 "--quantize_float16 or no quantization");
        }
        s.weight.stored_as = qtype;
    }
    const std::size_t element_bytes = s.weight.stored_as == "float32" ? 4
                                      : s.weight.stored_as == "uint8" ? 1
                                                                      : 2;
    s.bytes = s.count * element_bytes;
    return s;
}

// IEEE 754 binary16 -> float32 (exact: every half is a float).
float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    std::uint32_t exponent = (h >> 10) & 0x1fu;
    std::uint32_t mantissa = h & 0x3ffu;
    std::uint32_t bits;
    if (exponent == 0x1f) {
        bits = sign | 0x7f800000u | (mantissa << 13);  // Inf or NaN
    } else if (exponent != 0) {
        bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;  // +-0
    } else {
        // Subnormal half: normalise the mantissa into a float exponent.
        exponent = 127 - 15 + 1;
        while ((mantissa & 0x400u) == 0) {
            mantissa <<= 1;
            --exponent;
        }
        bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
    }
    return std::bit_cast<float>(bits);
}

void decode(const weight_spec& s, const unsigned char* bytes, std::vector<float>& out) {
    out.resize(s.count);
    const std::string& t = s.weight.stored_as;
    if (t == "float32") {
        std::memcpy(out.data(), bytes, s.bytes);
    } else if (t == "uint8") {
        for (std::size_t i = 0; i < s.count; ++i)
            out[i] = static_cast<float>(s.min + s.scale * static_cast<double>(bytes[i]));
    } else {
        for (std::size_t i = 0; i < s.count; ++i) {
            std::uint16_t q;
            std::memcpy(&q, bytes + 2 * i, 2);
            out[i] = t == "uint16" ? static_cast<float>(s.min + s.scale * static_cast<double>(q))
                                   : half_to_float(q);
        }
    }
}

void check_finite(const fs::path& path, const weight_spec& s) {
    const std::vector<float>& v = s.weight.values;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (std::isfinite(v[i])) continue;
        std::string stored = "stored as " + s.weight.stored_as;
        if (s.weight.stored_as == "uint8" || s.weight.stored_as == "uint16")
            stored += " with min " + json(s.min).dump() + ", scale " + json(s.scale).dump();
        fail(path,
             "weight '" + s.weight.name + "' (group " + std::to_string(s.weight.group) + ") holds " +
                 (std::isnan(v[i]) ? "NaN" : "Inf") + " at element " + std::to_string(i) + " of " +
                 std::to_string(v.size()) + " after dequantization (" + stored + ")",
             "the weights are damaged or the model diverged in training; " + std::string(reconvert_hint));
    }
}

// Reads one manifest group: its shards concatenated, then each weight in turn.
void read_group(const fs::path& path, const fs::path& shard_dir, const json& g, int group,
                std::vector<tfjs_weight>& out) {
    const std::string name = "group " + std::to_string(group);
    if (!g.is_object() || !g.contains("paths") || !g["paths"].is_array() || !g.contains("weights") ||
        !g["weights"].is_array())
        fail(path, "weightsManifest " + name + " has no \"paths\" and \"weights\" arrays", reconvert_hint);
    std::vector<weight_spec> specs;
    std::size_t needed = 0;
    for (const json& w : g["weights"]) {
        specs.push_back(parse_weight(path, w, group));
        needed += specs.back().bytes;
    }

    std::vector<unsigned char> data;
    std::string shard_list;
    for (const json& p : g["paths"]) {
        if (!p.is_string())
            fail(path, "weightsManifest " + name + " has a shard path " + p.dump() + " that is not a string",
                 reconvert_hint);
        const std::string shard = p.get<std::string>();
        const fs::path file = shard_dir / shard;
        shard_list += (shard_list.empty() ? "'" : ", '") + shard + "'";
        std::error_code ec;
        if (!fs::is_regular_file(file, ec))
            fail(path,
                 "model.json lists shard '" + shard + "' in " + name + "; not found at " + file.string(),
                 "pass the directory that holds every shard (kiln-convert --weights-dir DIR), or put "
                 "the shards next to model.json");
        std::ifstream in(file, std::ios::binary);
        if (!in) fail(path, "cannot open shard " + file.string(), "check its permissions");
        data.insert(data.end(), std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }

    if (data.size() != needed) {
        std::string what = name + "'s shards (" + shard_list + ") hold " + std::to_string(data.size()) +
                           " bytes but its " + std::to_string(specs.size()) + " weights need " +
                           std::to_string(needed);
        if (data.size() < needed) {
            std::size_t offset = 0;
            for (const weight_spec& s : specs) {
                if (offset + s.bytes > data.size()) {
                    what += "; weight '" + s.weight.name + "' (bytes " + std::to_string(offset) + ".." +
                            std::to_string(offset + s.bytes) + ") is cut off";
                    break;
                }
                offset += s.bytes;
            }
            fail(path, what + ": a shard is truncated", reconvert_hint);
        }
        fail(path,
             what +
                 ": the shards are longer than the manifest says (they belong to another "
                 "model.json, or a weight is missing from the manifest)",
             reconvert_hint);
    }

    std::size_t offset = 0;
    for (weight_spec& s : specs) {
        decode(s, data.data() + offset, s.weight.values);
        offset += s.bytes;
        check_finite(path, s);
        out.push_back(std::move(s.weight));
    }
}

std::string strip_index(std::string_view name) {
    // "conv/kernel:0" -> "conv/kernel": TensorFlow's output index of the variable.
    const std::size_t colon = name.rfind(':');
    if (colon != std::string_view::npos && colon + 1 < name.size() &&
        name.find_first_not_of("0123456789", colon + 1) == std::string_view::npos)
        name = name.substr(0, colon);
    return std::string(name);
}

}  // namespace

std::string tfjs_weight_layer(std::string_view weight_name) {
    const std::string name = strip_index(weight_name);
    const std::size_t last = name.rfind('/');
    if (last == std::string::npos) return {};
    const std::string head = name.substr(0, last);
    const std::size_t before = head.rfind('/');
    return before == std::string::npos ? head : head.substr(before + 1);
}

const tfjs_weight* tfjs_model::find_weight(std::string_view layer, std::string_view param) const {
    const std::string wanted = std::string(layer) + "/" + std::string(param);
    const tfjs_weight* found = nullptr;
    std::string all;
    for (const tfjs_weight& w : weights) {
        const std::string name = strip_index(w.name);
        const bool match =
            name == wanted || (name.size() > wanted.size() &&
                               name.compare(name.size() - wanted.size(), wanted.size(), wanted) == 0 &&
                               name[name.size() - wanted.size() - 1] == '/');
        if (!match) continue;
        all += (all.empty() ? "'" : ", '") + w.name + "'";
        if (found)
            fail(path, "several weights match '" + wanted + "': " + all,
                 "the manifest holds more than one model's weights; convert the model alone");
        found = &w;
    }
    return found;
}

tfjs_model read_tfjs_model(const fs::path& model_json, const fs::path& shard_dir) {
    tfjs_model model;
    model.path = model_json;
    const std::string text = read_text(model_json);
    json root;
    try {
        root = json::parse(text);
    } catch (const json::parse_error& e) {
        fail(model_json, std::string("is not valid JSON (") + e.what() + ")",
             "the file is damaged or is not a model.json; " + std::string(reconvert_hint));
    }
    if (!root.is_object()) fail(model_json, "is not a JSON object", layers_model_hint);
    model.format = string_of(root, "format");
    if (model.format == "graph-model")
        fail(model_json, "this is a TF.js graph model (format \"graph-model\")",
             "kiln-convert reads layers models: convert the Keras model with "
             "tensorflowjs_converter --output_format tfjs_layers_model");
    if (!model.format.empty() && model.format != "layers-model")
        fail(model_json, "format is \"" + model.format + "\"; expected \"layers-model\"", layers_model_hint);
    if (!root.contains("modelTopology"))
        fail(model_json, "has no \"modelTopology\": not a TF.js layers model", layers_model_hint);
    if (!root.contains("weightsManifest") || !root["weightsManifest"].is_array())
        fail(model_json, "has no \"weightsManifest\" array: the model's weights are not described",
             layers_model_hint);
    model.generated_by = string_of(root, "generatedBy");
    model.converted_by = string_of(root, "convertedBy");

    const json& topology = root["modelTopology"];
    const json& m = model_object(model_json, topology);
    model.model_class = string_of(m, "class_name");
    if (model.model_class != "Model" && model.model_class != "Functional" &&
        model.model_class != "Sequential")
        fail(model_json,
             "the model's class_name is '" + model.model_class +
                 "'; expected \"Model\", \"Functional\" or \"Sequential\"",
             layers_model_hint);
    model.keras_version = string_of(topology, "keras_version");
    if (model.keras_version.empty()) model.keras_version = string_of(m, "keras_version");
    model.backend = string_of(topology, "backend");
    if (model.backend.empty()) model.backend = string_of(m, "backend");
    model.layers = parse_layers(model_json, m, model.model_class);

    const fs::path dir = shard_dir.empty() ? model_json.parent_path() : shard_dir;
    int group = 0;
    for (const json& g : root["weightsManifest"]) read_group(model_json, dir, g, ++group, model.weights);
    return model;
}

}  // namespace kiln
