#include "runtime/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <type_traits>

#include "runtime/error.hpp"

namespace kiln {
namespace {

struct gz_closer {
    void operator()(gzFile file) const { gzclose(file); }
};
using gz_file = std::unique_ptr<std::remove_pointer_t<gzFile>, gz_closer>;

// Reads up to `size` bytes; fewer only at the end of the (decompressed) stream.
std::size_t read_some(gzFile file, std::uint8_t* out, std::size_t size,
                      const std::filesystem::path& path) {
    std::size_t done = 0;
    while (done < size) {
        const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(size - done, 1u << 30));
        const int got = gzread(file, out + done, chunk);
        if (got < 0) {
            int code = 0;
            const char* message = gzerror(file, &code);
            throw error("read_idx: " + path.string() + ": cannot decompress (" + message +
                        "); expected a plain or gzip-compressed IDX file - fetch it again");
        }
        if (got == 0) break;
        done += static_cast<std::size_t>(got);
    }
    return done;
}

std::string shape_of(const std::vector<std::size_t>& dims) {
    std::string shape;
    for (const std::size_t dim : dims) shape += (shape.empty() ? "" : " x ") + std::to_string(dim);
    return "(" + shape + ")";
}

std::string hex(std::uint8_t byte) {
    constexpr const char* digits = "0123456789ABCDEF";
    return {digits[byte >> 4], digits[byte & 15]};
}

std::string type_name(std::uint8_t type) {
    switch (type) {
        case 0x09: return "0x09 (signed byte)";
        case 0x0B: return "0x0B (int16)";
        case 0x0C: return "0x0C (int32)";
        case 0x0D: return "0x0D (float32)";
        case 0x0E: return "0x0E (float64)";
        default: return "0x" + hex(type) + " (not an IDX type)";
    }
}

}  // namespace

idx_array read_idx(const std::filesystem::path& path) {
    const std::string where = "read_idx: " + path.string();
    if (!std::filesystem::is_regular_file(path))
        throw error(where + ": no such file; expected an IDX file (e.g. MNIST's "
                            "*-ubyte or *-ubyte.gz)");
    gz_file file(gzopen(path.c_str(), "rb"));
    if (!file) throw error(where + ": cannot open for reading");

    std::array<std::uint8_t, 4> magic{};
    const std::size_t got_magic = read_some(file.get(), magic.data(), 4, path);
    if (got_magic < 4 || magic[0] != 0 || magic[1] != 0) {
        std::string found;
        for (std::size_t i = 0; i < got_magic; ++i) found += (i ? " " : "") + hex(magic[i]);
        throw error(where + ": bad magic; expected 00 00 <type> <rank> (an IDX file, plain " +
                    "or gzip), found " + (got_magic == 0 ? "an empty file" : found) +
                    " - is this really an IDX file?");
    }
    if (magic[2] != 0x08)
        throw error(where + ": value type " + type_name(magic[2]) +
                    "; only 0x08 (unsigned byte) is supported, as in MNIST / Fashion-MNIST");
    const std::size_t rank = magic[3];
    if (rank == 0) throw error(where + ": rank 0; expected at least one dimension");

    idx_array out;
    std::vector<std::uint8_t> header(4 * rank);
    const std::size_t got_header = read_some(file.get(), header.data(), header.size(), path);
    if (got_header < header.size())
        throw error(where + ": truncated header; expected " + std::to_string(header.size()) +
                    " bytes of dimensions (rank " + std::to_string(rank) + "), found " +
                    std::to_string(got_header));
    // Up to 255 dimensions below 2^32 each: refuse products past 2^40 before they overflow.
    constexpr std::size_t limit = std::size_t(1) << 40;
    std::size_t count = 1;
    for (std::size_t d = 0; d < rank; ++d) {
        const std::size_t dim = (std::size_t(header[4 * d]) << 24) |
                                (std::size_t(header[4 * d + 1]) << 16) |
                                (std::size_t(header[4 * d + 2]) << 8) | header[4 * d + 3];
        out.dims.push_back(dim);
        if (dim != 0 && count > limit / dim)
            throw error(where + ": dimensions give more than 2^40 values; expected an array " +
                        "that fits in memory - is the header corrupt?");
        count *= dim;
    }

    out.data.resize(count);
    const std::size_t got = read_some(file.get(), out.data.data(), count, path);
    const std::string shape = shape_of(out.dims);
    if (got < count)
        throw error(where + ": truncated data; expected " + std::to_string(count) + " bytes " +
                    shape + ", found " + std::to_string(got) + " - the file is incomplete, " +
                    "fetch it again");
    std::uint8_t extra = 0;
    if (read_some(file.get(), &extra, 1, path) != 0)
        throw error(where + ": bytes after the data; expected exactly " + std::to_string(count) +
                    " bytes " + shape + " after the header - not a single IDX array");
    return out;
}

dataset load_fashion_mnist(std::string_view split, const std::filesystem::path& dir) {
    if (split != "train" && split != "test")
        throw error("load_fashion_mnist: split \"" + std::string(split) +
                    "\"; expected \"train\" or \"test\"");
    const std::string stem = split == "train" ? "train" : "t10k";
    const auto images_path = dir / (stem + "-images-idx3-ubyte.gz");
    const auto labels_path = dir / (stem + "-labels-idx1-ubyte.gz");
    for (const auto& p : {images_path, labels_path})
        if (!std::filesystem::exists(p))
            throw error("load_fashion_mnist: " + p.string() +
                        " is missing; install Debian's dataset-fashion-mnist "
                        "(apt-get install dataset-fashion-mnist) or pass its directory");
    const idx_array images = read_idx(images_path), labels = read_idx(labels_path);
    if (images.dims.size() != 3 || images.dims[1] != 28 || images.dims[2] != 28)
        throw error("load_fashion_mnist: " + images_path.string() +
                    ": expected images of shape (n x 28 x 28), found " + shape_of(images.dims));
    const std::size_t n = images.dims[0];
    if (labels.dims != std::vector<std::size_t>{n})
        throw error("load_fashion_mnist: " + labels_path.string() + ": expected labels of " +
                    "shape (" + std::to_string(n) + "), one per image, found " +
                    shape_of(labels.dims));

    dataset out;
    out.features = 28 * 28;
    out.outputs = 10;
    for (const std::string_view name : fashion_mnist_classes) out.classes.emplace_back(name);
    out.x.resize(images.data.size());
    for (std::size_t i = 0; i < images.data.size(); ++i)
        out.x[i] = static_cast<float>(images.data[i]) / 255.0f;
    out.y.assign(n * 10, 0.0f);
    for (std::size_t m = 0; m < n; ++m) {
        if (labels.data[m] >= 10)
            throw error("load_fashion_mnist: " + labels_path.string() + ": label " +
                        std::to_string(labels.data[m]) + " at sample " + std::to_string(m) +
                        "; expected 0..9");
        out.y[m * 10 + labels.data[m]] = 1.0f;
    }
    return out;
}

}  // namespace kiln
