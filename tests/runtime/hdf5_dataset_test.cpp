// HDF5 course layout: files written here with the HDF5 C API, read back by kiln.
#include "runtime/hdf5_dataset.hpp"

#include <hdf5.h>

#include <fstream>

#include "runtime/datasets/lfw_faces.hpp"
#include "test_support.hpp"

using namespace kiln;
using kiln::test::error_of;
namespace fs = std::filesystem;

namespace {

void write_dataset(hid_t file, const char* name, hid_t file_type, hid_t mem_type,
                   std::vector<hsize_t> dims, const void* data) {
    const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    const hid_t set = H5Dcreate2(file, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(set >= 0);
    REQUIRE(H5Dwrite(set, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(set);
    H5Sclose(space);
}

// Pixel value of image i at (y, x, c): a formula the test can recompute.
std::uint8_t pixel(int i, int y, int x, int c) { return static_cast<std::uint8_t>(i * 50 + y * 7 + x * 3 + c); }

struct course_file_options {
    std::vector<hsize_t> x_dims{3, 4, 5, 3};  // m, H, W, C
    std::vector<hsize_t> y_dims{3};
    bool with_y = true;
    bool variable_strings = false;
    bool integer_classes = false;  // the SIGNS and Happy House files: list_classes = [0 1 ...]
};

void write_course_file(const fs::path& path, const std::string& prefix,
                       const course_file_options& o = {}) {
    const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(file >= 0);
    std::size_t count = 1;
    for (hsize_t d : o.x_dims) count *= d;
    std::vector<std::uint8_t> x(count);
    if (o.x_dims.size() == 4) {
        std::size_t k = 0;
        for (hsize_t i = 0; i < o.x_dims[0]; ++i)
            for (hsize_t y = 0; y < o.x_dims[1]; ++y)
                for (hsize_t xx = 0; xx < o.x_dims[2]; ++xx)
                    for (hsize_t c = 0; c < o.x_dims[3]; ++c)
                        x[k++] = pixel(int(i), int(y), int(xx), int(c));
    }
    write_dataset(file, (prefix + "_set_x").c_str(), H5T_STD_U8LE, H5T_NATIVE_UINT8, o.x_dims,
                  x.data());
    if (o.with_y) {
        std::vector<std::int64_t> y{1, 0, 1, 1, 0};  // the course stores int64
        y.resize(o.y_dims.empty() ? 1 : o.y_dims[0] * (o.y_dims.size() > 1 ? o.y_dims[1] : 1));
        write_dataset(file, (prefix + "_set_y").c_str(), H5T_STD_I64LE, H5T_NATIVE_INT64, o.y_dims,
                      y.data());
    }
    if (o.integer_classes) {
        const std::int64_t classes[] = {0, 1};
        write_dataset(file, "list_classes", H5T_STD_I64LE, H5T_NATIVE_INT64, {2}, classes);
    } else if (o.variable_strings) {
        const hid_t type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, H5T_VARIABLE);
        const char* names[] = {"non-cat", "cat"};
        write_dataset(file, "list_classes", type, type, {2}, names);
        H5Tclose(type);
    } else {  // as h5py writes numpy's |S7: fixed length, NUL-padded
        const hid_t type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, 7);
        H5Tset_strpad(type, H5T_STR_NULLPAD);
        const char names[14] = {'n', 'o', 'n', '-', 'c', 'a', 't', 'c', 'a', 't', 0, 0, 0, 0};
        write_dataset(file, "list_classes", type, type, {2}, names);
        H5Tclose(type);
    }
    H5Fclose(file);
}

}  // namespace

TEST_CASE("hdf5: reads the course's layout", "[runtime][hdf5]") {
    kiln::test::temp_dir dir("h5_read");
    for (const bool variable : {false, true}) {
        INFO("variable-length strings: " << variable);
        const fs::path path = dir / "train.h5";
        write_course_file(path, "train", {.variable_strings = variable});
        const labelled_images d = read_course_h5(path, "train");
        CHECK(d.size() == 3);
        CHECK(d.height == 4);
        CHECK(d.width == 5);
        CHECK(d.channels == 3);
        CHECK(d.labels == std::vector<int>{1, 0, 1});
        CHECK(d.classes == std::vector<std::string>{"non-cat", "cat"});
        REQUIRE(d.pixels.size() == 3 * 4 * 5 * 3);
        // HWC order: image 2, y = 3, x = 1, c = 2.
        CHECK(d.pixels[((2 * 4 + 3) * 5 + 1) * 3 + 2] == pixel(2, 3, 1, 2));

        const dataset ds = from_labelled_images(d);
        CHECK(ds.features == 60);
        CHECK(ds.outputs == 1);
        CHECK(ds.y == std::vector<float>{1, 0, 1});
        CHECK(ds.x[60 + 7] == d.pixels[60 + 7] / 255.0f);
    }
    write_course_file(dir / "test.h5", "test", {.y_dims = {1, 3}});  // [1, m] labels accepted
    CHECK(read_course_h5(dir / "test.h5", "test").labels == std::vector<int>{1, 0, 1});
    write_course_file(dir / "happy.h5", "train", {.integer_classes = true});
    CHECK(read_course_h5(dir / "happy.h5", "train").classes == std::vector<std::string>{"0", "1"});
}

TEST_CASE("hdf5: wrong files say what was found and what was expected", "[runtime][hdf5]") {
    kiln::test::temp_dir dir("h5_bad");
    write_course_file(dir / "rank3.h5", "train", {.x_dims = {209, 64, 3}});
    const std::string rank = error_of([&] { read_course_h5(dir / "rank3.h5", "train"); });
    CHECK_THAT(rank, Catch::Contains("rank3.h5: dataset 'train_set_x' has shape [209,64,3] (rank 3)"));
    CHECK_THAT(rank, Catch::Contains("expected [m,H,W,C] u8"));

    write_course_file(dir / "no_y.h5", "train", {.with_y = false});
    CHECK_THAT(error_of([&] { read_course_h5(dir / "no_y.h5", "train"); }),
               Catch::Contains("dataset 'train_set_y' not found"));
    write_course_file(dir / "train_only.h5", "train");
    CHECK_THAT(error_of([&] { read_course_h5(dir / "train_only.h5", "test"); }),
               Catch::Contains("dataset 'test_set_x' not found"));

    write_course_file(dir / "count.h5", "train", {.y_dims = {5}});
    CHECK_THAT(error_of([&] { read_course_h5(dir / "count.h5", "train"); }),
               Catch::Contains("has shape [5] i64; expected [3] integers"));

    std::ofstream(dir / "text.h5") << "this is not HDF5\n";
    CHECK_THAT(error_of([&] { read_course_h5(dir / "text.h5", "train"); }),
               Catch::Contains("not an HDF5 file"));
    CHECK_THAT(error_of([&] { read_course_h5(dir / "absent.h5", "train"); }),
               Catch::Contains("file not found"));
}
