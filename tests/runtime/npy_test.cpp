// NPY: files built byte by byte here (always run) and files written by NumPy itself.
#include "runtime/npy.hpp"

#include <cstring>
#include <fstream>

#include "test_support.hpp"

using namespace kiln;
using kiln::test::error_of;
namespace fs = std::filesystem;

namespace {

// An NPY file as the format document describes it: magic, version, header length, dict
// padded with spaces and ending in '\n' so the data is 64-byte aligned.
std::string npy_bytes(int major, const std::string& dict, const std::string& data) {
    const std::size_t prefix = major == 1 ? 10 : 12;
    std::string header = dict;
    while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::string out = "\x93NUMPY";
    out += static_cast<char>(major);
    out += '\0';
    const std::uint32_t n = static_cast<std::uint32_t>(header.size());
    out.append(reinterpret_cast<const char*>(&n), major == 1 ? 2 : 4);
    return out + header + data;
}

template <class T>
std::string raw(const std::vector<T>& v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

void write(const fs::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("npy: hand-built files of each version and dtype", "[runtime][npy]") {
    kiln::test::temp_dir dir("npy_hand");
    const std::vector<double> f8{0.5, -1.25, 3.0, 4.0, 1e-300, -0.0};
    write(dir / "f8.npy",
          npy_bytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", raw(f8)));
    const npy_array a = read_npy(dir / "f8.npy");
    CHECK(a.shape == std::vector<std::size_t>{2, 3});
    CHECK(a.dtype == "<f8");
    CHECK(a.values == f8);

    const std::vector<std::uint8_t> u1{0, 1, 200, 255};
    write(dir / "u1.npy",
          npy_bytes(2, "{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }", raw(u1)));
    CHECK(read_npy(dir / "u1.npy").values == std::vector<double>{0, 1, 200, 255});

    const std::vector<std::int32_t> i4{-7, 2147483647};
    write(dir / "i4.npy",
          npy_bytes(3, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", raw(i4)));
    CHECK(read_npy(dir / "i4.npy").values == std::vector<double>{-7, 2147483647});

    write(dir / "scalar.npy",
          npy_bytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
                    raw(std::vector<float>{2.5f})));
    const npy_array s = read_npy(dir / "scalar.npy");
    CHECK(s.shape.empty());
    CHECK(s.values == std::vector<double>{2.5});
}

TEST_CASE("npy: malformed files are rejected with the reason", "[runtime][npy]") {
    kiln::test::temp_dir dir("npy_bad");
    const std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
    const std::string good = npy_bytes(1, dict, raw(std::vector<double>(6, 1.0)));

    write(dir / "truncated.npy", good.substr(0, good.size() - 8));
    CHECK_THAT(error_of([&] { read_npy(dir / "truncated.npy"); }),
               Catch::Contains("needs 48 data bytes but the file holds 40 (truncated)"));
    write(dir / "cut_header.npy", good.substr(0, 30));
    CHECK_THAT(error_of([&] { read_npy(dir / "cut_header.npy"); }), Catch::Contains("truncated"));
    write(dir / "magic.npy", "PK\x03\x04 this is a zip file, maybe an .npz");
    CHECK_THAT(error_of([&] { read_npy(dir / "magic.npy"); }), Catch::Contains("not an NPY file"));
    CHECK_THAT(error_of([&] { read_npy(dir / "absent.npy"); }), Catch::Contains("not found"));
    write(dir / "fortran.npy",
          npy_bytes(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
                    raw(std::vector<double>(6))));
    CHECK_THAT(error_of([&] { read_npy(dir / "fortran.npy"); }), Catch::Contains("Fortran"));
    write(dir / "big.npy",
          npy_bytes(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }",
                    raw(std::vector<double>(6))));
    CHECK_THAT(error_of([&] { read_npy(dir / "big.npy"); }), Catch::Contains("big-endian"));
    write(dir / "object.npy",
          npy_bytes(1, "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
                    std::string(16, '\0')));
    CHECK_THAT(error_of([&] { read_npy(dir / "object.npy"); }), Catch::Contains("object"));
    write(dir / "version.npy", npy_bytes(4, dict, raw(std::vector<double>(6))));
    CHECK_THAT(error_of([&] { read_npy(dir / "version.npy"); }), Catch::Contains("version 4.0"));
}

TEST_CASE("npy: files written by NumPy", "[runtime][npy][numpy]") {
    if (!kiln::test::python_has("numpy")) {
        WARN("not run: /usr/bin/python3 cannot import numpy (install Debian's python3-numpy)");
        return;
    }
    kiln::test::temp_dir dir("npy_numpy");
    // a = arange(24).reshape(2,3,4) * 0.5 - 3, saved as each dtype (ints/bools from a cast).
    const std::string script =
        "import numpy as np, sys\n"
        "d = sys.argv[1]\n"
        "a = np.arange(24).reshape(2, 3, 4) * 0.5 - 3\n"
        "for t in ['f8', 'f4', 'i8', 'i4']: np.save(f'{d}/{t}.npy', a.astype(t))\n"
        "np.save(f'{d}/u1.npy', (a * 10 + 100).astype(np.uint8))\n"
        "np.save(f'{d}/b1.npy', a > 0)\n"
        "np.save(f'{d}/fortran.npy', np.asfortranarray(a))\n"
        "np.save(f'{d}/big.npy', a.astype('>f8'))\n"
        "np.save(f'{d}/object.npy', np.array([1, 'x'], dtype=object), allow_pickle=True)\n"
        "with open(f'{d}/v2.npy', 'wb') as f: np.lib.format.write_array(f, a, version=(2, 0))\n"
        "with open(f'{d}/v3.npy', 'wb') as f: np.lib.format.write_array(f, a, version=(3, 0))\n";
    std::ofstream(dir / "make.py") << script;
    REQUIRE(kiln::test::run(std::string(kiln::test::system_python) + " " +
                            (dir / "make.py").string() + " " + dir.path.string()));

    auto expected = [](int i, const std::string& t) {
        const double a = i * 0.5 - 3;
        if (t == "f8" || t == "f4" || t == "v2" || t == "v3") return a;
        if (t == "u1") return static_cast<double>(static_cast<std::uint8_t>(a * 10 + 100));
        if (t == "b1") return a > 0 ? 1.0 : 0.0;
        return static_cast<double>(static_cast<long long>(a));  // astype(int) truncates
    };
    for (const std::string t : {"f8", "f4", "i8", "i4", "u1", "b1", "v2", "v3"}) {
        INFO("dtype " << t);
        const npy_array a = read_npy(dir / (t + ".npy"));
        CHECK(a.shape == std::vector<std::size_t>{2, 3, 4});
        REQUIRE(a.values.size() == 24);
        for (int i = 0; i < 24; ++i) CHECK(a.values[i] == expected(i, t));
    }
    CHECK(read_npy(dir / "b1.npy").dtype == "|b1");
    CHECK_THAT(error_of([&] { read_npy(dir / "fortran.npy"); }), Catch::Contains("Fortran"));
    CHECK_THAT(error_of([&] { read_npy(dir / "big.npy"); }), Catch::Contains("big-endian"));
    CHECK_THAT(error_of([&] { read_npy(dir / "object.npy"); }), Catch::Contains("object"));
}
