#include "tests/support/onnx_data.hpp"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include "runtime/error.hpp"

namespace kiln::test {

namespace fs = std::filesystem;

namespace {

std::string read_bytes(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw error("onnx test data: cannot open " + file.string());
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

double half_to_double(std::uint16_t h) {
    const int exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    const double sign = (h & 0x8000) ? -1.0 : 1.0;
    if (exponent == 0) return sign * std::ldexp(mantissa, -24);
    if (exponent == 31) return mantissa ? NAN : sign * INFINITY;
    return sign * std::ldexp(mantissa + 1024, exponent - 25);
}

double bfloat16_to_double(std::uint16_t b) {
    const std::uint32_t bits = std::uint32_t(b) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

// Little-endian raw_data, element type T (this project runs on little-endian hosts only).
template <class T>
void widen_raw(const std::string& raw, std::vector<double>& out) {
    const std::size_t n = raw.size() / sizeof(T);
    out.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
        T v;
        std::memcpy(&v, raw.data() + k * sizeof(T), sizeof(T));
        out[k] = static_cast<double>(v);
    }
}

onnx_tensor convert(const onnx::TensorProto& t, const std::string& where) {
    using tp = onnx::TensorProto;
    onnx_tensor out;
    out.name = t.name();
    out.data_type = t.data_type();
    out.dims.assign(t.dims().begin(), t.dims().end());
    std::vector<double>& v = out.values;
    if (t.has_raw_data()) {
        const std::string& raw = t.raw_data();
        switch (t.data_type()) {
            case tp::FLOAT: widen_raw<float>(raw, v); break;
            case tp::DOUBLE: widen_raw<double>(raw, v); break;
            case tp::INT64: widen_raw<std::int64_t>(raw, v); break;
            case tp::UINT64: widen_raw<std::uint64_t>(raw, v); break;
            case tp::INT32: widen_raw<std::int32_t>(raw, v); break;
            case tp::UINT32: widen_raw<std::uint32_t>(raw, v); break;
            case tp::INT16: widen_raw<std::int16_t>(raw, v); break;
            case tp::UINT16: widen_raw<std::uint16_t>(raw, v); break;
            case tp::INT8: widen_raw<std::int8_t>(raw, v); break;
            case tp::UINT8:
            case tp::BOOL: widen_raw<std::uint8_t>(raw, v); break;
            case tp::FLOAT16:
            case tp::BFLOAT16: {
                widen_raw<std::uint16_t>(raw, v);
                for (double& x : v)
                    x = t.data_type() == tp::FLOAT16 ? half_to_double(std::uint16_t(x))
                                                     : bfloat16_to_double(std::uint16_t(x));
                break;
            }
            default:
                throw error("onnx test data: " + where + ": tensor '" + t.name() + "' has data type " +
                            std::to_string(t.data_type()) + ", which this reader does not convert");
        }
    } else {
        switch (t.data_type()) {
            case tp::FLOAT: v.assign(t.float_data().begin(), t.float_data().end()); break;
            case tp::DOUBLE: v.assign(t.double_data().begin(), t.double_data().end()); break;
            case tp::INT64: v.assign(t.int64_data().begin(), t.int64_data().end()); break;
            case tp::UINT32:
            case tp::UINT64: v.assign(t.uint64_data().begin(), t.uint64_data().end()); break;
            case tp::INT32:
            case tp::INT16:
            case tp::INT8:
            case tp::UINT16:
            case tp::UINT8:
            case tp::BOOL: v.assign(t.int32_data().begin(), t.int32_data().end()); break;
            case tp::FLOAT16:
            case tp::BFLOAT16:
                for (std::int32_t bits : t.int32_data())
                    v.push_back(t.data_type() == tp::FLOAT16 ? half_to_double(std::uint16_t(bits))
                                                             : bfloat16_to_double(std::uint16_t(bits)));
                break;
            default:
                throw error("onnx test data: " + where + ": tensor '" + t.name() + "' has data type " +
                            std::to_string(t.data_type()) + ", which this reader does not convert");
        }
    }
    if (static_cast<std::int64_t>(v.size()) != out.element_count())
        throw error("onnx test data: " + where + ": tensor '" + t.name() + "' holds " + std::to_string(v.size()) +
                    " values, its dims say " + std::to_string(out.element_count()));
    return out;
}

onnx_attribute convert(const onnx::AttributeProto& a) {
    using ap = onnx::AttributeProto;
    onnx_attribute out;
    out.name = a.name();
    switch (a.type()) {
        case ap::FLOAT: out.type = onnx_attribute::f, out.number = a.f(); break;
        case ap::INT: out.type = onnx_attribute::i, out.number = static_cast<double>(a.i()); break;
        case ap::STRING: out.type = onnx_attribute::s, out.text = a.s(); break;
        case ap::FLOATS:
            out.type = onnx_attribute::floats;
            out.numbers.assign(a.floats().begin(), a.floats().end());
            break;
        case ap::INTS:
            out.type = onnx_attribute::ints;
            out.numbers.assign(a.ints().begin(), a.ints().end());
            break;
        case ap::STRINGS:
            out.type = onnx_attribute::strings;
            out.texts.assign(a.strings().begin(), a.strings().end());
            break;
        default: out.type = onnx_attribute::other; break;
    }
    return out;
}

// The files matching <prefix><k>.pb in dir, by k.
std::vector<fs::path> numbered(const fs::path& dir, const std::string& prefix) {
    std::vector<std::pair<int, fs::path>> found;
    const std::regex pattern(prefix + "([0-9]+)\\.pb");
    for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
        std::smatch m;
        const std::string file = e.path().filename().string();
        if (std::regex_match(file, m, pattern)) found.emplace_back(std::stoi(m[1]), e.path());
    }
    std::sort(found.begin(), found.end());
    std::vector<fs::path> files;
    for (auto& [k, p] : found) files.push_back(p);
    return files;
}

const onnx_tensor& by_name(const std::vector<onnx_tensor>& tensors, const std::string& name, const char* what) {
    for (const onnx_tensor& t : tensors)
        if (t.name == name) return t;
    std::string names;
    for (const onnx_tensor& t : tensors) names += (names.empty() ? "" : ", ") + t.name;
    throw error(std::string("onnx test data: no ") + what + " named '" + name + "'; the data set has " + names);
}

}  // namespace

std::int64_t onnx_tensor::element_count() const {
    std::int64_t n = 1;
    for (std::int64_t d : dims) n *= d;
    return n;
}

std::vector<float> onnx_tensor::as_floats() const { return {values.begin(), values.end()}; }

const onnx_tensor& onnx_data_set::input(const std::string& name) const { return by_name(inputs, name, "input"); }
const onnx_tensor& onnx_data_set::output(const std::string& name) const { return by_name(outputs, name, "output"); }

double onnx_case::number(const std::string& attribute, double fallback) const {
    const auto it = attributes.find(attribute);
    return it == attributes.end() ? fallback : it->second.number;
}

std::string onnx_case::text(const std::string& attribute, const std::string& fallback) const {
    const auto it = attributes.find(attribute);
    return it == attributes.end() ? fallback : it->second.text;
}

const onnx_tensor& onnx_case::value(const onnx_data_set& set, const std::string& name) const {
    for (const onnx_tensor& t : set.inputs)
        if (t.name == name) return t;
    return by_name(initializers, name, "input or initializer");
}

onnx_tensor load_onnx_tensor(const fs::path& pb_file) {
    onnx::TensorProto t;
    if (!t.ParseFromString(read_bytes(pb_file)))
        throw error("onnx test data: " + pb_file.string() + " is not a serialized onnx.TensorProto");
    return convert(t, pb_file.string());
}

onnx_case load_onnx_case(const fs::path& dir) {
    const fs::path model_file = dir / "model.onnx";
    onnx::ModelProto model;
    if (!model.ParseFromString(read_bytes(model_file)))
        throw error("onnx test data: " + model_file.string() + " is not a serialized onnx.ModelProto");
    const onnx::GraphProto& graph = model.graph();
    if (graph.node_size() != 1)
        throw error("onnx test data: " + model_file.string() + " has " + std::to_string(graph.node_size()) +
                    " nodes; load_onnx_case reads single-node cases (data/node/...)");
    const onnx::NodeProto& node = graph.node(0);
    onnx_case c;
    c.name = dir.filename().string();
    c.op_type = node.op_type();
    c.domain = node.domain();
    c.node_inputs.assign(node.input().begin(), node.input().end());
    c.node_outputs.assign(node.output().begin(), node.output().end());
    for (const onnx::AttributeProto& a : node.attribute()) c.attributes[a.name()] = convert(a);
    for (const onnx::TensorProto& t : graph.initializer()) c.initializers.push_back(convert(t, model_file.string()));

    for (int k = 0;; ++k) {
        const fs::path set_dir = dir / ("test_data_set_" + std::to_string(k));
        if (!fs::is_directory(set_dir)) break;
        onnx_data_set set;
        const auto inputs = numbered(set_dir, "input_"), outputs = numbered(set_dir, "output_");
        // A tensor without a name takes the graph's name at its position.
        auto load = [&](const std::vector<fs::path>& files, const auto& graph_values, std::vector<onnx_tensor>& into) {
            for (std::size_t i = 0; i < files.size(); ++i) {
                onnx_tensor t = load_onnx_tensor(files[i]);
                if (t.name.empty() && static_cast<int>(i) < graph_values.size()) t.name = graph_values[i].name();
                into.push_back(std::move(t));
            }
        };
        load(inputs, graph.input(), set.inputs);
        load(outputs, graph.output(), set.outputs);
        c.data_sets.push_back(std::move(set));
    }
    if (c.data_sets.empty())
        throw error("onnx test data: " + dir.string() + " has no test_data_set_0/; expected input_<i>.pb files there");
    return c;
}

fs::path onnx_testdata_root() {
    if (const char* env = std::getenv("KILN_ONNX_TESTDATA"); env && *env)
        return fs::is_directory(env) ? fs::path(env) : fs::path();
    const fs::path debian = "/usr/share/libonnx-testdata/data/node";
    return fs::is_directory(debian) ? debian : fs::path();
}

std::vector<std::string> onnx_node_types(const fs::path& dir) {
    const fs::path model_file = dir / "model.onnx";
    onnx::ModelProto model;
    if (!model.ParseFromString(read_bytes(model_file)))
        throw error("onnx test data: " + model_file.string() + " is not a serialized onnx.ModelProto");
    std::vector<std::string> types;
    for (const onnx::NodeProto& node : model.graph().node()) types.push_back(node.op_type());
    return types;
}

fs::path onnx_testdata_suite(const std::string& suite) {
    const fs::path root = onnx_testdata_root();
    if (root.empty()) return {};
    const fs::path dir = root.parent_path() / suite;
    return fs::is_directory(dir) ? dir : fs::path();
}

}  // namespace kiln::test
