#pragma once
/*  ONNX's node test cases (libonnx-testdata: data/node/<case>/model.onnx + test_data_set_N/
    input_*.pb, output_*.pb) read with libonnx's protobuf classes, for golden tests of any op.
    WHAT IT REPRESENTS
      onnx_tensor     one named tensor: dims (ONNX order, outermost first) and its values
                      widened to double (float, double, int32/64, bool ... as stored, from
                      raw_data little-endian or the typed repeated fields).
      onnx_attribute  one node attribute: float, int, string, or lists of them.
      onnx_case       the graph's one node (op type, domain, attributes), the graph's input and
                      output names in order, and each data set's tensors by name; the graph's
                      initializers (weights stored in model.onnx, as the pytorch-converted
                      suite stores them) by name.
    REQUIRES  dir holds model.onnx with exactly one node, and test_data_set_<k>/ with
              input_<i>.pb / output_<i>.pb; kiln::error naming the file otherwise.
    HELPERS   onnx_testdata_root(): /usr/share/libonnx-testdata/data/node (Debian's
              libonnx-testdata), or $KILN_ONNX_TESTDATA; empty when absent.
              onnx_testdata_suite(s): the suite s beside it ("node", "pytorch-converted",
              "pytorch-operator"); empty when absent.
              onnx_node_types(dir): the op type of every node of dir/model.onnx, in graph
              order (any number of nodes: to find the cases of an op before loading them). */
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace kiln::test {

struct onnx_tensor {
    std::string name;
    int data_type = 0;                 // onnx::TensorProto::DataType (1 float, 7 int64, 11 double ...)
    std::vector<std::int64_t> dims;    // empty for a scalar
    std::vector<double> values;        // every element, row-major
    std::vector<float> as_floats() const;
    std::int64_t element_count() const;
};

struct onnx_attribute {
    std::string name;
    enum kind { undefined, f, i, s, floats, ints, strings, other } type = undefined;
    double number = 0;  // f or i
    std::string text;   // s
    std::vector<double> numbers;
    std::vector<std::string> texts;
};

struct onnx_data_set {
    std::vector<onnx_tensor> inputs, outputs;  // in the graph's order
    const onnx_tensor& input(const std::string& name) const;
    const onnx_tensor& output(const std::string& name) const;
};

struct onnx_case {
    std::string name;            // the case's directory name
    std::string op_type, domain;
    std::vector<std::string> node_inputs, node_outputs;
    std::map<std::string, onnx_attribute> attributes;
    std::vector<onnx_data_set> data_sets;
    std::vector<onnx_tensor> initializers;

    // A node input by name: the data set's tensor, or else the graph's initializer.
    const onnx_tensor& value(const onnx_data_set& set, const std::string& name) const;

    bool has(const std::string& attribute) const { return attributes.count(attribute) != 0; }
    // The attribute's number, or fallback when the node does not set it (ONNX defaults).
    double number(const std::string& attribute, double fallback) const;
    std::string text(const std::string& attribute, const std::string& fallback) const;
};

onnx_case load_onnx_case(const std::filesystem::path& dir);
onnx_tensor load_onnx_tensor(const std::filesystem::path& pb_file);
std::filesystem::path onnx_testdata_root();
std::filesystem::path onnx_testdata_suite(const std::string& suite);
std::vector<std::string> onnx_node_types(const std::filesystem::path& dir);

}  // namespace kiln::test
