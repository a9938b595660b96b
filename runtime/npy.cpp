#include "runtime/npy.hpp"

#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>

#include "runtime/error.hpp"

static_assert(std::endian::native == std::endian::little, "the NPY reader assumes a LE host");

namespace kiln {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const fs::path& path, const std::string& what, std::string_view hint) {
    throw error("'" + path.string() + "': " + what + "; " + std::string(hint));
}

constexpr std::string_view resave_hint =
    "re-save it with numpy.save(path, numpy.ascontiguousarray(a, dtype='<f8'))";

// The value text that follows 'key': in NumPy's header dict, e.g. "'<f8', 'fortran_order'...".
std::string_view value_after(const fs::path& path, std::string_view header, std::string_view key) {
    std::string quoted(1, '\'');
    quoted.append(key).push_back('\'');
    std::size_t at = header.find(quoted);
    if (at == std::string_view::npos)
        fail(path, "NPY header has no " + quoted + " entry (header: " + std::string(header) + ")",
             resave_hint);
    at = header.find(':', at + quoted.size());
    if (at == std::string_view::npos) fail(path, "NPY header is malformed", resave_hint);
    std::string_view rest = header.substr(at + 1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    return rest;
}

struct element_kind {
    char kind;          // 'f', 'i', 'u', 'b'
    std::size_t bytes;  // 1, 4 or 8
};

element_kind parse_descr(const fs::path& path, std::string_view value) {
    if (value.empty() || value.front() != '\'')
        fail(path, "dtype is a structured or object type (" + std::string(value.substr(0, 40)) +
                       "); only plain numeric arrays are supported",
             resave_hint);
    const std::size_t close = value.find('\'', 1);
    if (close == std::string_view::npos) fail(path, "NPY header is malformed", resave_hint);
    const std::string d(value.substr(1, close - 1));
    if (d.size() >= 2 && d[0] == '>' && d != ">u1" && d != ">i1" && d != ">b1")
        fail(path, "dtype '" + d + "' is big-endian", "re-save it with a '<' dtype: a.astype('<f8')");
    if (d.find('O') != std::string::npos)
        fail(path, "dtype '" + d + "' is a Python object array", resave_hint);
    static const struct {
        const char* name;
        element_kind kind;
    } known[] = {{"<f8", {'f', 8}}, {"<f4", {'f', 4}}, {"<i8", {'i', 8}}, {"<i4", {'i', 4}},
                 {"|u1", {'u', 1}}, {"<u1", {'u', 1}}, {">u1", {'u', 1}}, {"|b1", {'b', 1}},
                 {"<b1", {'b', 1}}, {">b1", {'b', 1}}};
    for (const auto& k : known)
        if (d == k.name) return k.kind;
    fail(path, "dtype '" + d + "' is not supported (kiln reads <f8 <f4 <i8 <i4 |u1 |b1)",
         "convert it with a.astype('<f8') before numpy.save");
}

std::vector<std::size_t> parse_shape(const fs::path& path, std::string_view value) {
    if (value.empty() || value.front() != '(')
        fail(path, "NPY 'shape' is not a tuple", resave_hint);
    const std::size_t close = value.find(')');
    if (close == std::string_view::npos) fail(path, "NPY 'shape' tuple is not closed", resave_hint);
    std::vector<std::size_t> shape;
    std::string_view inner = value.substr(1, close - 1);
    while (!inner.empty()) {
        while (!inner.empty() && (inner.front() == ' ' || inner.front() == ','))
            inner.remove_prefix(1);
        if (inner.empty()) break;
        std::size_t n = 0, used = 0;
        while (used < inner.size() && inner[used] >= '0' && inner[used] <= '9') {
            n = n * 10 + static_cast<std::size_t>(inner[used] - '0');
            ++used;
        }
        if (used == 0)
            fail(path, "NPY 'shape' holds '" + std::string(inner) + "', not integers", resave_hint);
        // 'L' suffixes come from Python 2 writers.
        if (used < inner.size() && inner[used] == 'L') ++used;
        shape.push_back(n);
        inner.remove_prefix(used);
    }
    return shape;
}

}  // namespace

npy_array read_npy(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::error_code ec;
        if (!fs::exists(path, ec))
            fail(path, "file not found", "check the path");
        fail(path, "cannot open the file", "check its permissions");
    }
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    constexpr std::string_view magic = "\x93NUMPY";
    if (bytes.size() < 10 || std::string_view(bytes).substr(0, 6) != magic)
        fail(path, "not an NPY file (no \\x93NUMPY magic at the start)",
             "pass a file written by numpy.save");
    const int major = static_cast<unsigned char>(bytes[6]);
    std::size_t header_len = 0, header_start = 0;
    if (major == 1) {
        header_len = static_cast<unsigned char>(bytes[8]) |
                     (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
        header_start = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) fail(path, "NPY header is truncated", resave_hint);
        std::uint32_t n;
        std::memcpy(&n, bytes.data() + 8, 4);
        header_len = n;
        header_start = 12;
    } else {
        fail(path, "NPY format version " + std::to_string(major) + "." +
                       std::to_string(static_cast<unsigned char>(bytes[7])) +
                       " is not supported (kiln reads 1.0, 2.0 and 3.0)",
             resave_hint);
    }
    if (header_start + header_len > bytes.size())
        fail(path, "NPY header says " + std::to_string(header_len) + " bytes but the file ends "
                   "first (truncated)", "copy the file again");
    const std::string_view header = std::string_view(bytes).substr(header_start, header_len);

    npy_array out;
    const std::string_view descr = value_after(path, header, "descr");
    const element_kind kind = parse_descr(path, descr);
    out.dtype = std::string(descr.substr(1, descr.find('\'', 1) - 1));
    if (value_after(path, header, "fortran_order").starts_with("True"))
        fail(path, "array is stored in Fortran (column-major) order",
             "re-save it with numpy.save(path, numpy.ascontiguousarray(a))");
    out.shape = parse_shape(path, value_after(path, header, "shape"));

    std::size_t count = 1;
    for (std::size_t d : out.shape) count *= d;
    const std::size_t data_start = header_start + header_len;
    const std::size_t have = bytes.size() - data_start, need = count * kind.bytes;
    if (have != need) {
        std::string shape = "(";
        for (std::size_t i = 0; i < out.shape.size(); ++i)
            shape += (i ? ", " : "") + std::to_string(out.shape[i]);
        fail(path, "shape " + shape + ") of " + out.dtype + " needs " + std::to_string(need) +
                       " data bytes but the file holds " + std::to_string(have) +
                       (have < need ? " (truncated)" : " (trailing bytes)"),
             "copy or re-save the file");
    }
    out.values.resize(count);
    const char* p = bytes.data() + data_start;
    for (std::size_t i = 0; i < count; ++i, p += kind.bytes) {
        double v = 0;
        switch (kind.kind) {
            case 'f':
                if (kind.bytes == 8) {
                    std::memcpy(&v, p, 8);
                } else {
                    float f;
                    std::memcpy(&f, p, 4);
                    v = f;
                }
                break;
            case 'i':
                if (kind.bytes == 8) {
                    std::int64_t x;
                    std::memcpy(&x, p, 8);
                    v = static_cast<double>(x);
                } else {
                    std::int32_t x;
                    std::memcpy(&x, p, 4);
                    v = x;
                }
                break;
            case 'u': v = static_cast<unsigned char>(*p); break;
            case 'b': v = *p != 0 ? 1.0 : 0.0; break;
        }
        out.values[i] = v;
    }
    return out;
}

}  // namespace kiln
