#include "runtime/hdf5_dataset.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

#include "runtime/error.hpp"

namespace kiln {
namespace fs = std::filesystem;

namespace {

// Owns one HDF5 identifier; closes it with the matching H5?close.
class handle {
public:
    handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
    ~handle() {
        if (id_ >= 0) close_(id_);
    }
    handle(handle&& other) noexcept : id_(std::exchange(other.id_, -1)), close_(other.close_) {}
    handle(const handle&) = delete;
    handle& operator=(const handle&) = delete;
    handle& operator=(handle&&) = delete;
    hid_t get() const { return id_; }
    bool valid() const { return id_ >= 0; }

private:
    hid_t id_;
    herr_t (*close_)(hid_t);
};

constexpr std::string_view layout_hint =
    "expected the course's layout: <prefix>_set_x u8 [m,H,W,C], <prefix>_set_y [m] integers, "
    "list_classes strings, as in train_catvnoncat.h5";

std::string shape_string(const std::vector<hsize_t>& dims) {
    std::string s = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
    return s + "]";
}

std::string type_string(hid_t type) {
    const H5T_class_t cls = H5Tget_class(type);
    const std::size_t bytes = H5Tget_size(type);
    switch (cls) {
        case H5T_INTEGER:
            return (H5Tget_sign(type) == H5T_SGN_NONE ? "u" : "i") + std::to_string(bytes * 8);
        case H5T_FLOAT: return "f" + std::to_string(bytes * 8);
        case H5T_STRING: return "string";
        default: return "an HDF5 type of class " + std::to_string(static_cast<int>(cls));
    }
}

struct opened_dataset {
    handle set, space, type;
    std::vector<hsize_t> dims;
};

std::unique_ptr<opened_dataset> open_dataset(const fs::path& path, hid_t file,
                                             const std::string& name, bool required) {
    if (H5Lexists(file, name.c_str(), H5P_DEFAULT) <= 0) {
        if (!required) return nullptr;
        throw error(path.string() + ": dataset '" + name + "' not found; " +
                    std::string(layout_hint));
    }
    handle set(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!set.valid())
        throw error(path.string() + ": '" + name + "' exists but is not a dataset; " +
                    std::string(layout_hint));
    handle space(H5Dget_space(set.get()), H5Sclose);
    handle type(H5Dget_type(set.get()), H5Tclose);
    if (!space.valid() || !type.valid())
        throw error(path.string() + ": cannot read the shape or type of dataset '" + name +
                    "'; the file may be damaged");
    const int rank = H5Sget_simple_extent_ndims(space.get());
    std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
    if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    return std::make_unique<opened_dataset>(
        opened_dataset{std::move(set), std::move(space), std::move(type), std::move(dims)});
}

std::vector<std::string> read_strings(const fs::path& path, const opened_dataset& d,
                                      const std::string& name) {
    std::size_t count = 1;
    for (hsize_t n : d.dims) count *= n;
    if (H5Tget_class(d.type.get()) == H5T_INTEGER) {  // the SIGNS and Happy House files: [0 1 ...]
        std::vector<long long> values(count);
        if (H5Dread(d.set.get(), H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
            throw error(path.string() + ": cannot read the integers of '" + name + "'");
        std::vector<std::string> out;
        for (long long v : values) out.push_back(std::to_string(v));
        return out;
    }
    if (H5Tget_class(d.type.get()) != H5T_STRING)
        throw error(path.string() + ": dataset '" + name + "' holds " +
                    type_string(d.type.get()) + "; expected strings (or integers)");
    std::vector<std::string> out;
    if (H5Tis_variable_str(d.type.get()) > 0) {
        handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
        H5Tset_size(mem.get(), H5T_VARIABLE);
        std::vector<char*> ptrs(count, nullptr);
        if (H5Dread(d.set.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0)
            throw error(path.string() + ": cannot read strings of '" + name + "'");
        for (char* p : ptrs) out.emplace_back(p ? p : "");
        H5Dvlen_reclaim(mem.get(), d.space.get(), H5P_DEFAULT, ptrs.data());
    } else {
        const std::size_t len = H5Tget_size(d.type.get());
        std::vector<char> buf(count * len);
        if (H5Dread(d.set.get(), d.type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
            throw error(path.string() + ": cannot read strings of '" + name + "'");
        for (std::size_t i = 0; i < count; ++i) {
            std::string s(buf.data() + i * len, len);
            s.erase(std::find(s.begin(), s.end(), '\0'), s.end());  // NUL-terminated/padded
            while (!s.empty() && s.back() == ' ') s.pop_back();     // space-padded
            out.push_back(std::move(s));
        }
    }
    return out;
}

}  // namespace

labelled_images read_course_h5(const fs::path& path, std::string_view prefix) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // we report errors ourselves
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw error(path.string() + ": file not found; check the path (the course's files are "
                                    "train_catvnoncat.h5 and test_catvnoncat.h5)");
    if (H5Fis_hdf5(path.c_str()) <= 0)
        throw error(path.string() + ": not an HDF5 file (no HDF5 signature); pass an .h5 file "
                                    "in the course's layout");
    handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!file.valid())
        throw error(path.string() + ": HDF5 cannot open the file; it may be damaged or locked "
                                    "by another writer");

    const std::string x_name = std::string(prefix) + "_set_x";
    const std::string y_name = std::string(prefix) + "_set_y";
    const auto x = open_dataset(path, file.get(), x_name, true);
    const auto y = open_dataset(path, file.get(), y_name, true);

    const hid_t xt = x->type.get();
    if (x->dims.size() != 4 || H5Tget_class(xt) != H5T_INTEGER || H5Tget_size(xt) != 1 ||
        H5Tget_sign(xt) != H5T_SGN_NONE)
        throw error(path.string() + ": dataset '" + x_name + "' has shape " +
                    shape_string(x->dims) + " (rank " + std::to_string(x->dims.size()) + ") " +
                    type_string(xt) + "; expected [m,H,W,C] u8 as in the course's "
                                      "train_catvnoncat.h5");
    const hsize_t m = x->dims[0];
    hsize_t y_count = 1;
    for (hsize_t n : y->dims) y_count *= n;
    const bool y_is_vector =
        y->dims.size() == 1 || (y->dims.size() == 2 && (y->dims[0] == 1 || y->dims[1] == 1));
    if (H5Tget_class(y->type.get()) != H5T_INTEGER || !y_is_vector || y_count != m)
        throw error(path.string() + ": dataset '" + y_name + "' has shape " +
                    shape_string(y->dims) + " " + type_string(y->type.get()) +
                    "; expected [" + std::to_string(m) + "] integers, one label per image of '" +
                    x_name + "'");

    labelled_images out;
    out.height = static_cast<int>(x->dims[1]);
    out.width = static_cast<int>(x->dims[2]);
    out.channels = static_cast<int>(x->dims[3]);
    out.pixels.resize(m * x->dims[1] * x->dims[2] * x->dims[3]);
    out.labels.resize(m);
    if (!out.pixels.empty() && H5Dread(x->set.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL,
                                       H5P_DEFAULT, out.pixels.data()) < 0)
        throw error(path.string() + ": cannot read '" + x_name + "'; the file may be damaged");
    if (m > 0 && H5Dread(y->set.get(), H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                         out.labels.data()) < 0)
        throw error(path.string() + ": cannot read '" + y_name + "' as int; the file may be "
                                    "damaged or the labels out of range");
    if (const auto classes = open_dataset(path, file.get(), "list_classes", false))
        out.classes = read_strings(path, *classes, "list_classes");
    return out;
}

}  // namespace kiln
