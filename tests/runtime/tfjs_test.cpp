// TF.js layers models and kiln-convert: a tiny Keras-style model written here (topology,
// manifest, shards; float32, uint8, uint16 and float16 weights), its kiln tensors computed here
// (dequantized by the formula TF.js documents, the Dense kernel transposed with loops) and
// compared with the converter's, through the library and through kiln-convert's checkpoint;
// every error a user can meet; the real nsfwjs MobileNetV2 when data/ holds it.
#include "runtime/tfjs.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "runtime/checkpoint.hpp"
#include "runtime/keras_import.hpp"
#include "test_support.hpp"

using namespace kiln;
using Catch::Contains;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

// One weight as the shard stores it, and the float32 values TF.js decodes from it.
struct stored_weight {
    std::string name;
    std::vector<std::int64_t> shape;
    std::string stored;  // "float32", "uint8", "uint16", "float16"
    double min = 0, scale = 0;
    std::string bytes;
    std::vector<float> expected;
};

std::size_t count_of(const std::vector<std::int64_t>& shape) {
    std::size_t n = 1;
    for (std::int64_t d : shape) n *= static_cast<std::size_t>(d);
    return n;
}

template <class T>
void append(std::string& bytes, T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    bytes.append(b, sizeof(T));
}

stored_weight f32(const std::string& name, std::vector<std::int64_t> shape, float first) {
    stored_weight w{name, std::move(shape), "float32"};
    for (std::size_t i = 0; i < count_of(w.shape); ++i) {
        const float v = first + 0.125f * static_cast<float>((i * 7) % 13) - 0.5f;
        append(w.bytes, v);
        w.expected.push_back(v);
    }
    return w;
}

// TF.js: value = min + scale * q, in double, stored as float32.
stored_weight u8(const std::string& name, std::vector<std::int64_t> shape, double min, double scale) {
    stored_weight w{name, std::move(shape), "uint8", min, scale};
    for (std::size_t i = 0; i < count_of(w.shape); ++i) {
        const auto q = static_cast<std::uint8_t>((i * 37 + 11) % 256);
        append(w.bytes, q);
        w.expected.push_back(static_cast<float>(min + scale * q));
    }
    return w;
}

stored_weight u16(const std::string& name, std::vector<std::int64_t> shape, double min, double scale) {
    stored_weight w{name, std::move(shape), "uint16", min, scale};
    for (std::size_t i = 0; i < count_of(w.shape); ++i) {
        const auto q = static_cast<std::uint16_t>((i * 4099 + 7) % 65536);
        append(w.bytes, q);
        w.expected.push_back(static_cast<float>(min + scale * q));
    }
    return w;
}

// IEEE halves with known values: 1, -2, 0.5, 1/3 rounded (0x3555), the smallest subnormal, the largest
// finite.
stored_weight f16(const std::string& name) {
    const std::pair<std::uint16_t, float> table[] = {{0x3C00, 1.0f},     {0xC000, -2.0f},
                                                     {0x3800, 0.5f},     {0x3555, 0.333251953125f},
                                                     {0x0001, 0x1p-24f}, {0x7BFF, 65504.0f}};
    stored_weight w{name, {6}, "float16"};
    for (const auto& [bits, value] : table) {
        append(w.bytes, bits);
        w.expected.push_back(value);
    }
    return w;
}

json keras_layer(const std::string& name, const std::string& cls, json config,
                 const std::vector<std::string>& inbound) {
    config["name"] = name;
    json node = json::array();
    for (const std::string& from : inbound) node.push_back({from, 0, 0, json::object()});
    return {{"name", name},
            {"class_name", cls},
            {"config", config},
            {"inbound_nodes", inbound.empty() ? json::array() : json::array({node})}};
}

// input -> pad -> conv (bias, relu) -> bn -> dw (no bias) -> relu6 -> add(bn, relu6) -> gap -> fc
struct tiny_model {
    json layers = json::array();
    std::vector<stored_weight> weights;  // manifest order (not the layers' order, as converters write)
    std::map<std::string, std::string> shard_names{{"a", "group1-shard1of2.bin"},
                                                   {"b", "group1-shard2of2.bin"}};

    tiny_model() {
        layers.push_back(keras_layer("input_1", "InputLayer",
                                     {{"batch_input_shape", {nullptr, 5, 5, 3}}, {"dtype", "float32"}}, {}));
        layers.push_back(keras_layer("pad", "ZeroPadding2D", {{"padding", {{1, 1}, {1, 1}}}}, {"input_1"}));
        layers.push_back(keras_layer("conv", "Conv2D",
                                     {{"filters", 4},
                                      {"kernel_size", {3, 3}},
                                      {"strides", {1, 1}},
                                      {"padding", "valid"},
                                      {"data_format", "channels_last"},
                                      {"dilation_rate", {1, 1}},
                                      {"activation", "relu"},
                                      {"use_bias", true}},
                                     {"pad"}));
        layers.push_back(keras_layer(
            "bn", "BatchNormalization",
            {{"axis", -1}, {"momentum", 0.99}, {"epsilon", 0.001}, {"center", true}, {"scale", true}},
            {"conv"}));
        layers.push_back(keras_layer("dw", "DepthwiseConv2D",
                                     {{"kernel_size", {3, 3}},
                                      {"strides", {1, 1}},
                                      {"padding", "same"},
                                      {"depth_multiplier", 1},
                                      {"activation", "linear"},
                                      {"use_bias", false}},
                                     {"bn"}));
        layers.push_back(keras_layer("relu6", "ReLU",
                                     {{"max_value", 6}, {"negative_slope", 0}, {"threshold", 0}}, {"dw"}));
        layers.push_back(keras_layer("add", "Add", json::object(), {"bn", "relu6"}));
        layers.push_back(
            keras_layer("gap", "GlobalAveragePooling2D", {{"data_format", "channels_last"}}, {"add"}));
        layers.push_back(keras_layer("fc", "Dense",
                                     {{"units", 6}, {"activation", "linear"}, {"use_bias", true}}, {"gap"}));
        weights = {f32("bn/beta", {4}, 0.5f),
                   u8("bn/moving_mean", {4}, -0.75, 0.0078125),
                   f32("bn/moving_variance", {4}, 1.0f),
                   u16("bn/gamma", {4}, 0.25, 1.52587890625e-05),
                   f32("conv/kernel", {3, 3, 3, 4}, 0.0f),
                   u8("conv/bias", {4}, -0.1, 0.003),
                   u8("dw/depthwise_kernel", {3, 3, 4, 1}, -1.5, 0.0117647058823),
                   f32("fc/kernel", {4, 6}, 0.25f),
                   f16("fc/bias")};
    }

    json& config(const std::string& layer) {
        for (json& l : layers)
            if (l["name"] == layer) return l["config"];
        FAIL("no layer " << layer);
        return layers[0];
    }
    stored_weight& weight(const std::string& name) {
        for (stored_weight& w : weights)
            if (w.name == name) return w;
        FAIL("no weight " << name);
        return weights[0];
    }

    std::string blob() const {
        std::string all;
        for (const stored_weight& w : weights) all += w.bytes;
        return all;
    }
    json manifest_entry(const stored_weight& w) const {
        json e = {{"name", w.name}, {"shape", w.shape}, {"dtype", "float32"}};
        if (w.stored == "uint8" || w.stored == "uint16")
            e["quantization"] = {{"dtype", w.stored}, {"min", w.min}, {"scale", w.scale}};
        else if (w.stored == "float16")
            e["quantization"] = {{"dtype", "float16"}};
        return e;
    }

    // model.json (Keras 2.2.4 spelling) and the weights split over two shards, cut in the middle
    // of a weight (byte 61 falls inside conv/kernel, which starts at byte 44).
    fs::path write(const fs::path& dir) const {
        json weights_json = json::array();
        for (const stored_weight& w : weights) weights_json.push_back(manifest_entry(w));
        const json model = {
            {"format", "layers-model"},
            {"generatedBy", "keras v2.2.4"},
            {"convertedBy", "tensorflowjs (test)"},
            {"modelTopology",
             {{"keras_version", "2.2.4"},
              {"backend", "tensorflow"},
              {"model_config",
               {{"class_name", "Model"}, {"config", {{"name", "tiny"}, {"layers", layers}}}}}}},
            {"weightsManifest", json::array({{{"paths", {shard_names.at("a"), shard_names.at("b")}},
                                              {"weights", weights_json}}})}};
        const std::string bytes = blob();
        const std::size_t cut = 61;
        REQUIRE(bytes.size() > cut);
        std::ofstream(dir / shard_names.at("a"), std::ios::binary).write(bytes.data(), cut);
        std::ofstream(dir / shard_names.at("b"), std::ios::binary)
            .write(bytes.data() + cut, static_cast<std::streamsize>(bytes.size() - cut));
        std::ofstream(dir / "model.json") << model.dump(2);
        return dir / "model.json";
    }
};

struct expected_tensor {
    std::string name;
    std::vector<std::int64_t> shape;
    std::vector<float> data;
};

// kiln's tensors for tiny_model, worked out here: names "<kind><i>.<role>", Keras' bytes as
// they are for conv and BN, depthwise [3,3,4,1] -> [3,3,4], Dense [in, units] -> [units, in].
std::vector<expected_tensor> expected_tensors(tiny_model& m) {
    std::vector<expected_tensor> out{
        {"conv2d1.W", {3, 3, 3, 4}, m.weight("conv/kernel").expected},
        {"conv2d1.b", {4}, m.weight("conv/bias").expected},
        {"batch_norm1.gamma", {4}, m.weight("bn/gamma").expected},
        {"batch_norm1.beta", {4}, m.weight("bn/beta").expected},
        {"batch_norm1.running_mean", {4}, m.weight("bn/moving_mean").expected},
        {"batch_norm1.running_var", {4}, m.weight("bn/moving_variance").expected},
        {"depthwise_conv2d1.W", {3, 3, 4}, m.weight("dw/depthwise_kernel").expected},
    };
    const std::vector<float>& k = m.weight("fc/kernel").expected;  // [in 4, units 6]
    std::vector<float> w(24);
    for (std::size_t u = 0; u < 6; ++u)
        for (std::size_t i = 0; i < 4; ++i) w[u * 4 + i] = k[i * 6 + u];
    out.push_back({"dense1.W", {6, 4}, w});
    out.push_back({"dense1.b", {6}, m.weight("fc/bias").expected});
    return out;
}

void require_same(const keras_import_result& r, const std::vector<expected_tensor>& want) {
    REQUIRE(r.tensors.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        INFO(want[i].name);
        CHECK(r.tensors[i].name == want[i].name);
        CHECK(r.tensors[i].shape == want[i].shape);
        CHECK(r.tensors[i].data == want[i].data);  // exact: the same float32 TF.js decodes
    }
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("tfjs: the reader decodes float32, uint8, uint16 and float16 weights across two shards",
          "[runtime][tfjs]") {
    kiln::test::temp_dir dir("tfjs_read");
    tiny_model m;
    const tfjs_model model = read_tfjs_model(m.write(dir.path));
    CHECK(model.format == "layers-model");
    CHECK(model.keras_version == "2.2.4");
    CHECK(model.backend == "tensorflow");
    CHECK(model.model_class == "Model");
    REQUIRE(model.layers.size() == 9);
    CHECK(model.layers[2].name == "conv");
    CHECK(model.layers[2].class_name == "Conv2D");
    CHECK(json::parse(model.layers[2].config)["filters"] == 4);
    CHECK(model.layers[6].inbound == std::vector<std::string>{"bn", "relu6"});
    REQUIRE(model.weights.size() == m.weights.size());
    for (std::size_t i = 0; i < m.weights.size(); ++i) {
        INFO(m.weights[i].name);
        CHECK(model.weights[i].name == m.weights[i].name);
        CHECK(model.weights[i].shape == m.weights[i].shape);
        CHECK(model.weights[i].stored_as == m.weights[i].stored);
        CHECK(model.weights[i].values == m.weights[i].expected);
    }
    REQUIRE(model.find_weight("fc", "bias") != nullptr);
    CHECK(model.find_weight("fc", "bias")->values[4] == 0x1p-24f);  // a subnormal half
    CHECK(model.find_weight("fc", "gamma") == nullptr);
}

TEST_CASE("tfjs: import maps Keras layers onto kiln's names, layouts and ordinals", "[runtime][tfjs]") {
    kiln::test::temp_dir dir("tfjs_import");
    tiny_model m;
    const keras_import_result r = import_keras_layers(read_tfjs_model(m.write(dir.path)));
    const std::vector<expected_tensor> want = expected_tensors(m);
    require_same(r, want);

    std::size_t params = 0;
    for (const expected_tensor& t : want) params += t.data.size();
    CHECK(r.parameter_count() == params);
    CHECK(r.node_count("conv2d") == 1);
    CHECK(r.node_count("depthwise_conv2d") == 1);
    CHECK(r.node_count("batch_norm") == 1);
    CHECK(r.node_count("dense") == 1);
    CHECK(r.count(keras_layer_status::weightless) == 5);
    CHECK(r.count(keras_layer_status::skipped) == 0);

    // The report: one line per Keras layer, the folded relu as a note, BN's epsilon.
    const std::vector<std::string> report = keras_import_report(r);
    std::string text;
    for (const std::string& line : report) text += line + "\n";
    CHECK(report.size() == 9 + 1);  // + the note on conv's relu
    CHECK_THAT(text, Contains("conv2d1.W [3, 3, 3, 4], conv2d1.b [4]"));
    CHECK_THAT(text, Contains("batch_norm1.gamma/beta/running_mean/running_var [4]"));
    CHECK_THAT(text, Contains("batch_norm_with<0.001, 0.99>"));
    CHECK_THAT(text, Contains("depthwise_conv2d1.W [3, 3, 4]"));
    CHECK_THAT(text, Contains("dense1.W [6, 4], dense1.b [6]"));
    CHECK_THAT(text, Contains("activation \"relu\" is folded"));
    CHECK_THAT(text, Contains("max_value 6"));
    CHECK_THAT(text, Contains("from bn, relu6"));
    const std::vector<std::string> summary = keras_import_summary(r);
    REQUIRE(summary.size() == 3);
    CHECK_THAT(summary[0], Contains("1 conv2d, 1 depthwise_conv2d, 1 batch_norm, 1 dense"));
    CHECK_THAT(summary[0], Contains(std::to_string(params) + " parameters"));
}

TEST_CASE("tfjs: until and skip choose what is converted, and skipped layers take no ordinal",
          "[runtime][tfjs]") {
    kiln::test::temp_dir dir("tfjs_until");
    tiny_model m;
    const tfjs_model model = read_tfjs_model(m.write(dir.path));

    SECTION("until") {
        const keras_import_result r = import_keras_layers(model, {.until = "relu6"});
        CHECK(r.node_count("dense") == 0);
        CHECK(r.node_count("depthwise_conv2d") == 1);
        REQUIRE(r.layers.size() == 9);
        for (std::size_t i = 6; i < 9; ++i) {
            CHECK(r.layers[i].status == keras_layer_status::skipped);
            CHECK(r.layers[i].detail == "after --until relu6");
        }
        std::vector<expected_tensor> want = expected_tensors(m);
        want.resize(want.size() - 2);  // no dense1.W, dense1.b
        require_same(r, want);
    }
    SECTION("skip") {
        // conv skipped: the Keras BN is still batch_norm1, and nothing is named conv2d1.
        const keras_import_result r = import_keras_layers(model, {.skip = {"conv"}});
        CHECK(r.node_count("conv2d") == 0);
        CHECK(r.layers[2].status == keras_layer_status::skipped);
        CHECK(r.tensors.front().name == "batch_norm1.gamma");
    }
    SECTION("names the model lacks") {
        REQUIRE_THROWS_WITH(import_keras_layers(model, {.until = "nope"}), Contains("--until 'nope'"));
        REQUIRE_THROWS_WITH(import_keras_layers(model, {.skip = {"nope"}}), Contains("--skip 'nope'"));
    }
}

TEST_CASE("tfjs: BatchNormalization without center or scale gets zeros and ones, and says so",
          "[runtime][tfjs]") {
    kiln::test::temp_dir dir("tfjs_bn");
    tiny_model m;
    m.config("bn")["center"] = false;
    m.config("bn")["scale"] = false;
    std::erase_if(m.weights,
                  [](const stored_weight& w) { return w.name == "bn/beta" || w.name == "bn/gamma"; });
    const keras_import_result r = import_keras_layers(read_tfjs_model(m.write(dir.path)));
    std::map<std::string, std::vector<float>> by_name;
    for (const kiln_tensor& t : r.tensors) by_name[t.name] = t.data;
    CHECK(by_name["batch_norm1.gamma"] == std::vector<float>(4, 1.0f));
    CHECK(by_name["batch_norm1.beta"] == std::vector<float>(4, 0.0f));
    CHECK(by_name["batch_norm1.running_mean"] == m.weight("bn/moving_mean").expected);
    REQUIRE(r.layers[3].notes.size() == 2);
    CHECK_THAT(r.layers[3].notes[0], Contains("scale=false"));
    CHECK_THAT(r.layers[3].notes[1], Contains("center=false"));
}

TEST_CASE(
    "tfjs: newer converters' spelling - topology without model_config, prefixed names, "
    "Keras 3 inbound nodes, two groups",
    "[runtime][tfjs]") {
    kiln::test::temp_dir dir("tfjs_newer");
    tiny_model m;
    json layers = m.layers;
    for (json& l : layers) {
        json args = json::array();
        for (const json& from : l["inbound_nodes"].empty() ? json::array() : l["inbound_nodes"][0])
            args.push_back({{"class_name", "__keras_tensor__"},
                            {"config", {{"shape", {nullptr, 5, 5, 3}}, {"keras_history", {from[0], 0, 0}}}}});
        l["inbound_nodes"] = args.empty()
                                 ? json::array()
                                 : json::array({{{"args", args.size() == 1 ? args : json::array({args})},
                                                 {"kwargs", json::object()}}});
    }
    // Group 1: the first four weights; group 2: the rest. Names "functional_1/<layer>/<param>:0".
    json groups = json::array();
    std::string bytes[2];
    json entries[2] = {json::array(), json::array()};
    for (std::size_t i = 0; i < m.weights.size(); ++i) {
        json e = m.manifest_entry(m.weights[i]);
        e["name"] = "functional_1/" + m.weights[i].name + ":0";
        entries[i < 4].push_back(e);
        bytes[i < 4] += m.weights[i].bytes;
    }
    std::ofstream(dir / "g1.bin", std::ios::binary) << bytes[1];
    std::ofstream(dir / "g2.bin", std::ios::binary) << bytes[0];
    const json model = {{"format", "layers-model"},
                        {"modelTopology",
                         {{"class_name", "Functional"},
                          {"config", {{"name", "tiny"}, {"layers", layers}}},
                          {"keras_version", "3.3.3"}}},
                        {"weightsManifest", json::array({{{"paths", {"g1.bin"}}, {"weights", entries[1]}},
                                                         {{"paths", {"g2.bin"}}, {"weights", entries[0]}}})}};
    std::ofstream(dir / "model.json") << model.dump();

    const tfjs_model read = read_tfjs_model(dir / "model.json");
    CHECK(read.keras_version == "3.3.3");
    CHECK(read.model_class == "Functional");
    CHECK(read.layers[6].inbound == std::vector<std::string>{"bn", "relu6"});
    CHECK(read.layers[1].inbound == std::vector<std::string>{"input_1"});
    CHECK(read.weights[5].group == 2);
    require_same(import_keras_layers(read), expected_tensors(m));
}

TEST_CASE("tfjs: damaged or foreign files are refused with what to do", "[runtime][tfjs]") {
    kiln::test::temp_dir dir("tfjs_errors");
    tiny_model m;

    SECTION("model.json missing, unparsable, not a layers model") {
        REQUIRE_THROWS_WITH(read_tfjs_model(dir / "model.json"), Contains("file not found"));
        std::ofstream(dir / "model.json") << "{\"modelTopology\": ";
        REQUIRE_THROWS_WITH(read_tfjs_model(dir / "model.json"), Contains("not valid JSON"));
        std::ofstream(dir / "model.json")
            << R"({"format": "graph-model", "modelTopology": {"node": []}, "weightsManifest": []})";
        REQUIRE_THROWS_WITH(read_tfjs_model(dir / "model.json"), Contains("graph model"));
        std::ofstream(dir / "model.json") << R"({"weightsManifest": []})";
        REQUIRE_THROWS_WITH(read_tfjs_model(dir / "model.json"), Contains("no \"modelTopology\""));
    }
    SECTION("a shard missing") {
        const fs::path model = m.write(dir.path);
        fs::remove(dir / "group1-shard2of2.bin");
        REQUIRE_THROWS_WITH(
            read_tfjs_model(model),
            Contains("model.json lists shard 'group1-shard2of2.bin' in group 1; not found at " +
                     (dir / "group1-shard2of2.bin").string()) &&
                Contains("pass the directory that holds every shard"));
        // ... and found where --weights-dir says.
        fs::create_directories(dir / "elsewhere");
        m.write(dir / "elsewhere");
        CHECK(read_tfjs_model(model, dir / "elsewhere").weights.size() == m.weights.size());
    }
    SECTION("a shard truncated, or longer than the manifest says") {
        const fs::path model = m.write(dir.path);
        const std::string full = read_file(dir / "group1-shard2of2.bin");
        std::ofstream(dir / "group1-shard2of2.bin", std::ios::binary) << full.substr(0, full.size() - 3);
        REQUIRE_THROWS_WITH(read_tfjs_model(model), Contains("truncated") && Contains("'fc/bias'") &&
                                                        Contains("group1-shard2of2.bin"));
        std::ofstream(dir / "group1-shard2of2.bin", std::ios::binary) << full << "xx";
        REQUIRE_THROWS_WITH(read_tfjs_model(model), Contains("longer than the manifest says"));
    }
    SECTION("an unsupported dtype or quantization") {
        m.write(dir.path);
        json j = json::parse(read_file(dir / "model.json"));
        json saved = j;
        j["weightsManifest"][0]["weights"][1]["quantization"]["dtype"] = "int8";
        std::ofstream(dir / "model.json") << j.dump();
        REQUIRE_THROWS_WITH(read_tfjs_model(dir / "model.json"), Contains("'bn/moving_mean'") &&
                                                                     Contains("'int8'") &&
                                                                     Contains("uint8, uint16 and float16"));
        saved["weightsManifest"][0]["weights"][0]["dtype"] = "int32";
        std::ofstream(dir / "model.json") << saved.dump();
        REQUIRE_THROWS_WITH(read_tfjs_model(dir / "model.json"),
                            Contains("'bn/beta'") && Contains("'int32'"));
    }
    SECTION("NaN or Inf after dequantization") {
        std::memcpy(m.weight("conv/kernel").bytes.data() + 8, "\x00\x00\xc0\x7f", 4);  // a quiet NaN
        REQUIRE_THROWS_WITH(read_tfjs_model(m.write(dir.path)),
                            Contains("'conv/kernel'") && Contains("NaN at element 2"));
        tiny_model h;
        h.weight("fc/bias").bytes[1] = static_cast<char>(0x7C);  // the first half becomes +Inf
        h.weight("fc/bias").bytes[0] = 0;
        REQUIRE_THROWS_WITH(read_tfjs_model(h.write(dir.path)), Contains("'fc/bias'") && Contains("Inf"));
    }
    SECTION("a shape the config does not imply") {
        m.config("conv")["filters"] = 8;
        REQUIRE_THROWS_WITH(import_keras_layers(read_tfjs_model(m.write(dir.path))),
                            Contains("layer 'conv' (Conv2D)") &&
                                Contains("'conv/kernel' has shape [3, 3, 3, 4]") &&
                                Contains("[3, 3, any, 8]"));
    }
    SECTION("BN statistics of different lengths") {
        m.weight("bn/moving_variance") = f32("bn/moving_variance", {5}, 1.0f);
        REQUIRE_THROWS_WITH(import_keras_layers(read_tfjs_model(m.write(dir.path))),
                            Contains("'bn/moving_variance' has shape [5]") && Contains("moving_mean [4]"));
    }
    SECTION("a weight the config does not imply") {
        m.config("conv")["use_bias"] = false;
        REQUIRE_THROWS_WITH(import_keras_layers(read_tfjs_model(m.write(dir.path))),
                            Contains("'conv/bias'") && Contains("does not imply"));
    }
    SECTION("a missing weight") {
        std::erase_if(m.weights, [](const stored_weight& w) { return w.name == "dw/depthwise_kernel"; });
        REQUIRE_THROWS_WITH(import_keras_layers(read_tfjs_model(m.write(dir.path))),
                            Contains("no weight 'dw/depthwise_kernel'"));
    }
    SECTION("an unknown layer class") {
        m.layers.insert(m.layers.begin() + 5,
                        keras_layer("scale_it", "Lambda", {{"function", "x * 2"}}, {"dw"}));
        const tfjs_model model = read_tfjs_model(m.write(dir.path));
        REQUIRE_THROWS_WITH(import_keras_layers(model),
                            Contains("layer 'scale_it' is a Lambda") && Contains("unknown layer") &&
                                Contains("Conv2D, DepthwiseConv2D, BatchNormalization, Dense") &&
                                Contains("--skip scale_it"));
        // Passed over on request, it converts (it has no weights).
        CHECK(import_keras_layers(model, {.skip = {"scale_it"}}).node_count("dense") == 1);
    }
    SECTION("depth_multiplier 2") {
        m.config("dw")["depth_multiplier"] = 2;
        REQUIRE_THROWS_WITH(import_keras_layers(read_tfjs_model(m.write(dir.path))),
                            Contains("layer 'dw' (DepthwiseConv2D)") && Contains("depth_multiplier is 2") &&
                                Contains("must be 1"));
    }
}

#ifdef KILN_CONVERT_EXE
TEST_CASE("tfjs: kiln-convert writes a checkpoint kiln loads, --list writes nothing, errors exit 1",
          "[runtime][tfjs][cli]") {
    kiln::test::temp_dir dir("tfjs_cli");
    tiny_model m;
    const fs::path model = m.write(dir.path);
    const std::string exe = KILN_CONVERT_EXE;
    const fs::path out = dir / "tiny.safetensors";
    auto run = [&](const std::string& args) {
        return std::system(
            (exe + " " + args + " >" + (dir / "stdout").string() + " 2>" + (dir / "stderr").string())
                .c_str());
    };

    REQUIRE(run(model.string() + " --list -o " + out.string()) == 0);
    CHECK_FALSE(fs::exists(out));
    const std::string listed = read_file(dir / "stdout");
    CHECK_THAT(listed, Contains("conv2d1.W [3, 3, 3, 4]"));
    CHECK_THAT(listed, Contains("--list: nothing written"));

    REQUIRE(run(model.string() + " -o " + out.string()) == 0);
    const std::vector<expected_tensor> want = expected_tensors(m);

    const std::vector<checkpoint_listing> listing = list_checkpoint(out);
    REQUIRE(listing.size() == want.size());
    std::vector<std::vector<float>> loaded(want.size());
    std::vector<tensor_ref> refs;
    for (std::size_t i = 0; i < want.size(); ++i) {
        loaded[i].resize(want[i].data.size());
        refs.push_back({want[i].name, want[i].shape, dtype::f32, loaded[i].data()});
    }
    const std::map<std::string, std::string> meta = load_checkpoint(out, refs);
    for (std::size_t i = 0; i < want.size(); ++i) {
        INFO(want[i].name);
        CHECK(loaded[i] == want[i].data);
    }
    CHECK(meta.at("kiln.source") == "tfjs-layers");
    CHECK(meta.at("kiln.keras_version") == "2.2.4");
    CHECK(meta.at("kiln.converted_from") == fs::absolute(model).lexically_normal().string());
    CHECK(meta.count("kiln.network") == 0);

    fs::remove(dir / "group1-shard1of2.bin");
    CHECK(WEXITSTATUS(run(model.string() + " -o " + (dir / "other.safetensors").string())) == 1);
    CHECK_THAT(read_file(dir / "stderr"), Contains("error: ") && Contains("group1-shard1of2.bin"));
    CHECK_FALSE(fs::exists(dir / "other.safetensors"));
}
#endif

// The real Keras MobileNetV2 (alpha 1.0) that nsfwjs ships, when scripts/fetch-nsfwjs.sh has
// fetched it (or KILN_NSFWJS_MODEL names a model.json). Keras documents MobileNetV2
// include_top=False at 2,257,984 parameters, BN moving statistics included: the backbone up
// to out_relu has 52 BatchNormalization, 35 Conv2D and 17 DepthwiseConv2D layers.
TEST_CASE("tfjs: the nsfwjs MobileNetV2 backbone converts to Keras' documented parameter count",
          "[runtime][tfjs][nsfwjs]") {
    const char* env = std::getenv("KILN_NSFWJS_MODEL");
    const fs::path path =
        env ? fs::path(env) : fs::path(KILN_SOURCE_DIR) / "data/nsfwjs/mobilenet_v2/model.json";
    if (!fs::exists(path)) {
        WARN("not run: " << path.string() << " is missing (scripts/fetch-nsfwjs.sh fetches it)");
        return;
    }
    const tfjs_model model = read_tfjs_model(path);
    const keras_import_result r = import_keras_layers(model, {.until = "out_relu"});
    CHECK(r.node_count("batch_norm") == 52);
    CHECK(r.node_count("conv2d") == 35);
    CHECK(r.node_count("depthwise_conv2d") == 17);
    CHECK(r.node_count("dense") == 0);
    CHECK(r.parameter_count() == 2'257'984);
    std::size_t not_finite = 0;
    for (const kiln_tensor& t : r.tensors)
        not_finite += static_cast<std::size_t>(
            std::count_if(t.data.begin(), t.data.end(), [](float v) { return !std::isfinite(v); }));
    CHECK(not_finite == 0);

    // The head after out_relu is reported as skipped.
    std::size_t at = 0;
    while (at < r.layers.size() && r.layers[at].layer != "out_relu") ++at;
    REQUIRE(at + 1 < r.layers.size());
    CHECK(r.layers[at + 1].layer == "average_pooling2d_1");
    CHECK(r.layers.back().layer == "dense_3");
    for (std::size_t i = at + 1; i < r.layers.size(); ++i) {
        INFO(r.layers[i].layer);
        CHECK(r.layers[i].status == keras_layer_status::skipped);
    }
    // MobileNetV2's batch norms: epsilon 1e-3, momentum 0.999.
    CHECK_THAT(keras_import_summary(r)[2], Contains("52 layers declared as batch_norm_with<0.001, 0.999>"));

    // Conv1's kernel, dequantized here from the shard's bytes by TF.js' formula.
    const json manifest = json::parse(read_file(path))["weightsManifest"];
    REQUIRE(manifest.size() == 1);
    std::string shard;
    for (const json& p : manifest[0]["paths"]) shard += read_file(path.parent_path() / p.get<std::string>());
    std::size_t offset = 0;
    for (const json& w : manifest[0]["weights"]) {
        std::size_t n = 1;
        for (const json& d : w["shape"]) n *= d.get<std::size_t>();
        const std::string q =
            w.contains("quantization") ? w["quantization"]["dtype"].get<std::string>() : "float32";
        REQUIRE((q == "uint8" || q == "float32"));
        if (w["name"] == "Conv1/kernel") {
            std::vector<float> want(n);
            for (std::size_t i = 0; i < n; ++i) {
                if (q == "uint8")
                    want[i] = static_cast<float>(w["quantization"]["min"].get<double>() +
                                                 w["quantization"]["scale"].get<double>() *
                                                     static_cast<unsigned char>(shard[offset + i]));
                else
                    std::memcpy(&want[i], shard.data() + offset + 4 * i, 4);
            }
            REQUIRE(r.tensors[0].name == "conv2d1.W");
            CHECK(r.tensors[0].data == want);
        }
        offset += n * (q == "uint8" ? 1 : 4);
    }
    CHECK(offset == shard.size());
}
