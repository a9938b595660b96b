// IDX reader on hand-built files (plain, gzip written here with zlib's deflate, truncated,
// bad magic, wrong type) and on Debian's Fashion-MNIST, spot-checked against a raw inflate
// of the .gz done here.
#include <zlib.h>

#include <array>
#include <fstream>
#include <iterator>
#include <vector>

#include "runtime/idx.hpp"
#include "test_support.hpp"

using namespace kiln;
using kiln::test::error_of;

namespace {

using bytes = std::vector<std::uint8_t>;

void write(const std::filesystem::path& path, const bytes& data) {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
}

// gzip container (windowBits 16 + 15) around `data`, in memory.
bytes gzip(const bytes& data) {
    z_stream z{};
    REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    bytes out(deflateBound(&z, uLong(data.size())) + 32);
    z.next_in = const_cast<Bytef*>(data.data());
    z.avail_in = uInt(data.size());
    z.next_out = out.data();
    z.avail_out = uInt(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

// The whole decompressed content of a .gz file, by inflate() on the bytes read here.
bytes gunzip_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    const bytes packed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    z_stream z{};
    REQUIRE(inflateInit2(&z, 16 + MAX_WBITS) == Z_OK);
    z.next_in = const_cast<Bytef*>(packed.data());
    z.avail_in = uInt(packed.size());
    bytes out;
    std::array<std::uint8_t, 1 << 16> chunk;
    int status = Z_OK;
    while (status != Z_STREAM_END) {
        z.next_out = chunk.data();
        z.avail_out = uInt(chunk.size());
        status = inflate(&z, Z_NO_FLUSH);
        REQUIRE((status == Z_OK || status == Z_STREAM_END));
        out.insert(out.end(), chunk.data(), chunk.data() + (chunk.size() - z.avail_out));
    }
    inflateEnd(&z);
    return out;
}

// A 2 x 3 x 4 u8 array with values 0, 7, 14, ... (mod 256).
bytes small_idx() {
    bytes b = {0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4};
    for (int i = 0; i < 24; ++i) b.push_back(std::uint8_t(i * 7));
    return b;
}

}  // namespace

TEST_CASE("read_idx: plain and gzip files built here", "[runtime][idx]") {
    kiln::test::temp_dir dir("idx");
    const bytes raw = small_idx();
    write(dir / "a-ubyte", raw);
    write(dir / "a-ubyte.gz", gzip(raw));
    for (const char* name : {"a-ubyte", "a-ubyte.gz"}) {
        const idx_array a = read_idx(dir / name);
        CHECK(a.dims == std::vector<std::size_t>{2, 3, 4});
        REQUIRE(a.data.size() == 24);
        for (int i = 0; i < 24; ++i) CHECK(a.data[i] == std::uint8_t(i * 7));
    }
    // Big-endian dimensions above 255.
    bytes wide = {0, 0, 0x08, 1, 0, 0, 0x01, 0x02};
    wide.resize(8 + 258, 9);
    write(dir / "wide", wide);
    CHECK(read_idx(dir / "wide").dims == std::vector<std::size_t>{258});
}

TEST_CASE("read_idx: truncated, bad magic, wrong type, extra bytes", "[runtime][idx]") {
    kiln::test::temp_dir dir("idx_bad");
    bytes cut = small_idx();
    cut.resize(cut.size() - 5);
    write(dir / "cut", cut);
    write(dir / "cut.gz", gzip(cut));
    for (const char* name : {"cut", "cut.gz"}) {
        const std::string message = error_of([&] { read_idx(dir / name); });
        CHECK_THAT(message, Catch::Contains("truncated data"));
        CHECK_THAT(message, Catch::Contains("expected 24 bytes (2 x 3 x 4), found 19"));
    }
    // A gzip stream cut in the middle: zlib reports it, the reader says so.
    bytes packed = gzip(small_idx());
    packed.resize(packed.size() / 2);
    write(dir / "half.gz", packed);
    CHECK_THAT(error_of([&] { read_idx(dir / "half.gz"); }), Catch::Contains("half.gz"));

    write(dir / "zip", {'P', 'K', 3, 4, 0, 0, 0, 0});
    CHECK_THAT(error_of([&] { read_idx(dir / "zip"); }),
               Catch::Contains("bad magic") && Catch::Contains("found 50 4B 03 04"));
    write(dir / "empty", {});
    CHECK_THAT(error_of([&] { read_idx(dir / "empty"); }), Catch::Contains("an empty file"));

    bytes floats = small_idx();
    floats[2] = 0x0D;
    write(dir / "floats", floats);
    CHECK_THAT(error_of([&] { read_idx(dir / "floats"); }),
               Catch::Contains("0x0D (float32)") && Catch::Contains("only 0x08"));

    bytes longer = small_idx();
    longer.push_back(1);
    write(dir / "longer", longer);
    CHECK_THAT(error_of([&] { read_idx(dir / "longer"); }),
               Catch::Contains("bytes after the data"));

    write(dir / "header", {0, 0, 0x08, 3, 0, 0, 0, 2});
    CHECK_THAT(error_of([&] { read_idx(dir / "header"); }),
               Catch::Contains("expected 12 bytes of dimensions") && Catch::Contains("found 4"));
    CHECK_THAT(error_of([&] { read_idx(dir / "missing"); }), Catch::Contains("no such file"));

    // load_fashion_mnist checks the shapes: 2 x 3 x 4 "images", then 2 images but 3 labels.
    write(dir / "train-images-idx3-ubyte.gz", gzip(small_idx()));
    write(dir / "train-labels-idx1-ubyte.gz", gzip({0, 0, 0x08, 1, 0, 0, 0, 3, 1, 2, 3}));
    CHECK_THAT(error_of([&] { load_fashion_mnist("train", dir.path); }),
               Catch::Contains("expected images of shape (n x 28 x 28), found (2 x 3 x 4)"));
    bytes two_images = {0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28};
    two_images.resize(16 + 2 * 784, 0);
    write(dir / "train-images-idx3-ubyte.gz", gzip(two_images));
    CHECK_THAT(error_of([&] { load_fashion_mnist("train", dir.path); }),
               Catch::Contains("expected labels of shape (2), one per image, found (3)"));
}

TEST_CASE("load_fashion_mnist: Debian's dataset-fashion-mnist", "[runtime][idx][fashion]") {
    const std::filesystem::path dir = "/usr/share/datasets/fashion-mnist";
    if (!std::filesystem::exists(dir / "train-images-idx3-ubyte.gz")) {
        WARN("not run: " << dir << " is missing (apt-get install dataset-fashion-mnist)");
        return;
    }
    const dataset train = load_fashion_mnist("train");
    train.validate("fashion-mnist train");
    REQUIRE(train.size() == 60000);
    CHECK(train.features == 784);
    CHECK(train.outputs == 10);
    CHECK(train.classes.front() == "T-shirt/top");
    CHECK(train.classes.back() == "Ankle boot");
    std::array<std::size_t, 10> histogram{};
    for (std::size_t m = 0; m < train.size(); ++m) {
        std::size_t hot = 10, ones = 0;
        for (std::size_t c = 0; c < 10; ++c)
            if (train.y[m * 10 + c] == 1.0f) hot = c, ++ones;
        REQUIRE(ones == 1);
        ++histogram[hot];
    }
    for (const std::size_t count : histogram) CHECK(count == 6000);

    // Independent read: inflate the .gz here, skip the 16-byte image / 8-byte label header.
    const bytes images = gunzip_file(dir / "train-images-idx3-ubyte.gz");
    const bytes labels = gunzip_file(dir / "train-labels-idx1-ubyte.gz");
    REQUIRE(images.size() == 16 + 60000 * 784);
    REQUIRE(labels.size() == 8 + 60000);
    for (const std::size_t m : {std::size_t(0), std::size_t(12345), std::size_t(59999)}) {
        CHECK(train.y[m * 10 + labels[8 + m]] == 1.0f);
        for (const std::size_t p : {std::size_t(14 * 28 + 9), std::size_t(20 * 28 + 14)})
            CHECK(train.x[m * 784 + p] ==
                  Approx(images[16 + m * 784 + p] / 255.0).epsilon(0).margin(1e-7));
        double sum_here = 0, sum_raw = 0;
        for (std::size_t p = 0; p < 784; ++p) {
            sum_here += train.x[m * 784 + p];
            sum_raw += images[16 + m * 784 + p] / 255.0;
        }
        CHECK(sum_here == Approx(sum_raw).epsilon(1e-6));
        CHECK(sum_raw > 10);  // a real garment, not an empty frame
    }

    const dataset test = load_fashion_mnist("test");
    CHECK(test.size() == 10000);
    CHECK_THAT(error_of([] { load_fashion_mnist("val"); }),
               Catch::Contains("\"train\" or \"test\""));
    CHECK_THAT(error_of([] { load_fashion_mnist("test", "/nonexistent"); }),
               Catch::Contains("dataset-fashion-mnist"));
}
