#include "runtime/checkpoint.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "runtime/atomic_file.hpp"
#include "runtime/error.hpp"

static_assert(std::endian::native == std::endian::little,
              "kiln checkpoints store little-endian bytes and copy them as they are");

namespace kiln {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr std::uint64_t max_header_bytes = 100'000'000;  // safetensors' own limit
constexpr std::string_view damaged_hint =
    "the file is damaged or is not a safetensors checkpoint; re-save it or restore a backup";

std::string shape_string(const std::vector<std::int64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

[[noreturn]] void fail(const fs::path& path, const std::string& what,
                       std::string_view hint = damaged_hint) {
    throw error("checkpoint '" + path.string() + "': " + what + "; " + std::string(hint));
}

bool parse_dtype(std::string_view name, dtype& out) {
    for (dtype t : {dtype::f32, dtype::f64, dtype::i32, dtype::i64, dtype::u8})
        if (dtype_name(t) == name) return out = t, true;
    return false;
}

// Element count of a shape; nullopt-like -1 when a dimension is negative or it overflows.
std::int64_t element_count(const std::vector<std::int64_t>& shape) {
    std::int64_t n = 1;
    for (std::int64_t d : shape) {
        if (d < 0) return -1;
        if (d != 0 && n > INT64_MAX / d) return -1;
        n *= d;
    }
    return n;
}

struct entry {
    std::string name;
    std::vector<std::int64_t> shape;
    dtype type;
    std::uint64_t begin, end;  // relative to the end of the header
};

struct header {
    std::vector<entry> entries;  // sorted by begin
    std::map<std::string, std::string> metadata;
    const unsigned char* data = nullptr;
};

// Read-only mapping of a whole file: load validates in place and copies out only at the end.
class mapped_file {
public:
    explicit mapped_file(const fs::path& path) {
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) {
            const int e = errno;
            if (e == ENOENT)
                fail(path, "file not found",
                     "check the path, or train first: `train` writes the checkpoint");
            fail(path, std::string("cannot open: ") + std::strerror(e),
                 "check the file's permissions");
        }
        struct stat st {};
        if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(fd_);
            fail(path, "not a regular file", "pass the path of a .safetensors file");
        }
        size_ = static_cast<std::size_t>(st.st_size);
        if (size_ > 0) {
            void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
            if (p == MAP_FAILED) {
                const int e = errno;
                ::close(fd_);
                fail(path, std::string("cannot map: ") + std::strerror(e), "check the file");
            }
            data_ = static_cast<const unsigned char*>(p);
        }
    }
    ~mapped_file() {
        if (data_) ::munmap(const_cast<unsigned char*>(data_), size_);
        ::close(fd_);
    }
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;
    const unsigned char* data() const { return data_; }
    std::size_t size() const { return size_; }

private:
    int fd_ = -1;
    const unsigned char* data_ = nullptr;
    std::size_t size_ = 0;
};

entry parse_entry(const fs::path& path, const std::string& name, const json& j) {
    const std::string where = "tensor '" + name + "'";
    if (!j.is_object()) fail(path, where + " is not a JSON object in the header");
    if (!j.contains("dtype") || !j["dtype"].is_string())
        fail(path, where + " has no \"dtype\" string");
    if (!j.contains("shape") || !j["shape"].is_array())
        fail(path, where + " has no \"shape\" array");
    if (!j.contains("data_offsets") || !j["data_offsets"].is_array() ||
        j["data_offsets"].size() != 2)
        fail(path, where + " has no \"data_offsets\" [begin, end] pair");
    entry e;
    e.name = name;
    const std::string type = j["dtype"].get<std::string>();
    if (!parse_dtype(type, e.type))
        fail(path, where + " has dtype " + type + "; kiln reads F32, F64, I32, I64 and U8",
             "convert it before saving (in PyTorch: tensor.float())");
    for (const json& d : j["shape"]) {
        if (!d.is_number_integer() || d.get<std::int64_t>() < 0)
            fail(path, where + " has a shape entry " + d.dump() + "; expected integers >= 0");
        e.shape.push_back(d.get<std::int64_t>());
    }
    for (const json& o : j["data_offsets"])
        if (!o.is_number_unsigned() && !(o.is_number_integer() && o.get<std::int64_t>() >= 0))
            fail(path, where + " has a data offset " + o.dump() + "; expected integers >= 0");
    e.begin = j["data_offsets"][0].get<std::uint64_t>();
    e.end = j["data_offsets"][1].get<std::uint64_t>();
    if (e.end < e.begin)
        fail(path, where + " has data_offsets [" + std::to_string(e.begin) + ", " +
                       std::to_string(e.end) + "]: end before begin");
    const std::int64_t count = element_count(e.shape);
    if (count < 0) fail(path, where + " has shape " + shape_string(e.shape) + ", too large");
    const std::uint64_t bytes = static_cast<std::uint64_t>(count) * dtype_size(e.type);
    if (e.end - e.begin != bytes)
        fail(path, where + " spans " + std::to_string(e.end - e.begin) + " bytes but shape " +
                       shape_string(e.shape) + " " + type + " needs " + std::to_string(bytes));
    return e;
}

header parse_header(const fs::path& path, const mapped_file& file) {
    if (file.size() < 8)
        fail(path, "file is " + std::to_string(file.size()) +
                       " bytes, shorter than the 8-byte header length (truncated?)");
    std::uint64_t n = 0;
    std::memcpy(&n, file.data(), 8);
    if (n > max_header_bytes)
        fail(path, "header length field says " + std::to_string(n) +
                       " bytes, more than the 100 MB limit");
    if (n > file.size() - 8)
        fail(path, "header length field says " + std::to_string(n) + " bytes but only " +
                       std::to_string(file.size() - 8) + " follow (truncated?)");
    json j;
    try {
        const char* text = reinterpret_cast<const char*>(file.data() + 8);
        j = json::parse(text, text + n);
    } catch (const json::exception& e) {
        fail(path, std::string("header is not valid JSON (") + e.what() + ")");
    }
    if (!j.is_object()) fail(path, "header is JSON but not an object");

    header h;
    h.data = file.data() + 8 + n;
    const std::uint64_t data_bytes = file.size() - 8 - n;
    for (const auto& [key, value] : j.items()) {
        if (key == "__metadata__") {
            if (!value.is_object()) fail(path, "\"__metadata__\" is not an object");
            for (const auto& [mk, mv] : value.items()) {
                if (!mv.is_string())
                    fail(path, "metadata \"" + mk + "\" is " + mv.dump() + "; expected a string");
                h.metadata[mk] = mv.get<std::string>();
            }
            continue;
        }
        entry e = parse_entry(path, key, value);
        if (e.end > data_bytes)
            fail(path, "tensor '" + e.name + "' ends at data byte " + std::to_string(e.end) +
                           " but the file holds only " + std::to_string(data_bytes) +
                           " data bytes (truncated)");
        h.entries.push_back(std::move(e));
    }
    std::sort(h.entries.begin(), h.entries.end(),
              [](const entry& a, const entry& b) { return a.begin < b.begin; });
    for (std::size_t i = 1; i < h.entries.size(); ++i)
        if (h.entries[i].begin < h.entries[i - 1].end && h.entries[i].begin != h.entries[i].end)
            fail(path, "tensors '" + h.entries[i - 1].name + "' and '" + h.entries[i].name +
                           "' overlap in the data section");
    return h;
}

template <class T>
void check_finite(const fs::path& path, const entry& e, const unsigned char* bytes) {
    const std::uint64_t n = (e.end - e.begin) / sizeof(T);
    for (std::uint64_t i = 0; i < n; ++i) {
        T v;
        std::memcpy(&v, bytes + i * sizeof(T), sizeof(T));  // data may be unaligned
        if (!std::isfinite(v))
            fail(path,
                 std::string("checkpoint holds ") + (std::isnan(v) ? "NaN" : "Inf") + " in " +
                     e.name + " (element " + std::to_string(i) + " of " + std::to_string(n) + ")",
                 "training diverged before this was saved; use an earlier checkpoint or a "
                 "smaller learning rate");
    }
}


}  // namespace

std::string_view dtype_name(dtype type) {
    switch (type) {
        case dtype::f32: return "F32";
        case dtype::f64: return "F64";
        case dtype::i32: return "I32";
        case dtype::i64: return "I64";
        case dtype::u8: return "U8";
    }
    return "?";
}

std::size_t dtype_size(dtype type) {
    switch (type) {
        case dtype::f32: return 4;
        case dtype::f64: return 8;
        case dtype::i32: return 4;
        case dtype::i64: return 8;
        case dtype::u8: return 1;
    }
    return 0;
}

void save_checkpoint(const fs::path& path, std::span<const tensor_ref> tensors,
                     const std::map<std::string, std::string>& metadata) {
    const std::string target = "cannot save checkpoint '" + path.string() + "': ";
    json h = json::object();
    if (!metadata.empty()) h["__metadata__"] = metadata;
    std::uint64_t offset = 0;
    std::vector<std::uint64_t> sizes;
    for (const tensor_ref& t : tensors) {
        if (t.name.empty() || t.name == "__metadata__")
            throw error(target + "tensor name '" + t.name + "' is reserved or empty");
        if (h.contains(t.name)) throw error(target + "tensor name '" + t.name + "' repeats");
        const std::int64_t count = element_count(t.shape);
        if (count < 0)
            throw error(target + "tensor '" + t.name + "' has shape " + shape_string(t.shape) +
                        "; dimensions must be >= 0");
        const std::uint64_t bytes = static_cast<std::uint64_t>(count) * dtype_size(t.type);
        if (bytes > 0 && t.data == nullptr)
            throw error(target + "tensor '" + t.name + "' has no data pointer");
        h[t.name] = {{"dtype", dtype_name(t.type)},
                     {"shape", t.shape},
                     {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
        sizes.push_back(bytes);
    }
    std::string text = h.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    const std::uint64_t n = text.size();

    std::vector<byte_range> pieces{{&n, 8}, {text.data(), text.size()}};
    for (std::size_t i = 0; i < tensors.size(); ++i) pieces.push_back({tensors[i].data, sizes[i]});
    write_file_atomically(path, pieces, target, "checkpoint");
}

std::map<std::string, std::string> load_checkpoint(const fs::path& path,
                                                   std::span<const tensor_ref> expected) {
    const mapped_file file(path);
    const header h = parse_header(path, file);

    std::map<std::string, const entry*> in_file;
    for (const entry& e : h.entries) in_file[e.name] = &e;
    std::vector<std::string> differences;
    std::set<std::string> wanted;
    for (const tensor_ref& t : expected) {
        if (!wanted.insert(t.name).second)
            throw error("load_checkpoint: the expected tensor list names '" + t.name +
                        "' twice; this is a bug in the caller");
        const auto it = in_file.find(t.name);
        if (it == in_file.end()) {
            differences.push_back("missing tensor '" + t.name + "' (expected shape " +
                                  shape_string(t.shape) + " " + std::string(dtype_name(t.type)) +
                                  ")");
            continue;
        }
        const entry& e = *it->second;
        if (e.shape != t.shape)
            differences.push_back("tensor '" + t.name + "': shape " + shape_string(e.shape) +
                                  " in the file vs " + shape_string(t.shape) + " expected");
        if (e.type != t.type)
            differences.push_back("tensor '" + t.name + "': dtype " +
                                  std::string(dtype_name(e.type)) + " in the file vs " +
                                  std::string(dtype_name(t.type)) + " expected");
    }
    for (const entry& e : h.entries)
        if (!wanted.count(e.name))
            differences.push_back("unexpected tensor '" + e.name + "' (shape " +
                                  shape_string(e.shape) + " " +
                                  std::string(dtype_name(e.type)) + ") in the file");
    if (!differences.empty()) {
        std::ostringstream msg;
        msg << "checkpoint '" << path.string() << "' does not match the model ("
            << differences.size() << " difference" << (differences.size() > 1 ? "s" : "")
            << "):";
        for (const std::string& d : differences) msg << "\n  - " << d;
        msg << "\nhint: it was saved from a different network or configuration; load it with "
               "the network that wrote it (`info` on the file lists its tensors)";
        throw error(msg.str());
    }

    for (const tensor_ref& t : expected) {
        const entry& e = *in_file.at(t.name);
        if (e.end > e.begin && t.data == nullptr)
            throw error("load_checkpoint: tensor '" + t.name + "' has no destination pointer");
        if (e.type == dtype::f32) check_finite<float>(path, e, h.data + e.begin);
        if (e.type == dtype::f64) check_finite<double>(path, e, h.data + e.begin);
    }
    for (const tensor_ref& t : expected) {
        const entry& e = *in_file.at(t.name);
        if (e.end > e.begin) std::memcpy(t.data, h.data + e.begin, e.end - e.begin);
    }
    return h.metadata;
}

std::vector<checkpoint_listing> list_checkpoint(const fs::path& path) {
    const mapped_file file(path);
    const header h = parse_header(path, file);
    std::vector<checkpoint_listing> out;
    for (const entry& e : h.entries) out.push_back({e.name, e.shape, e.type});
    return out;
}

}  // namespace kiln
