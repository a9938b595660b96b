// Images: PNG/JPEG written here with libpng/libjpeg directly, decoded by kiln; bilinear
// resizing against values worked out by hand from the half-pixel-centre formula.
#include "runtime/image.hpp"

#include <png.h>
#include <cstdio>
#include <jpeglib.h>

#include <cmath>
#include <fstream>

#include "test_support.hpp"

using namespace kiln;
using kiln::test::error_of;
namespace fs = std::filesystem;

namespace {

// A PNG of any colour type / bit depth through libpng's classic writer. `rows` are packed
// as libpng expects (big-endian 16-bit samples).
void write_png_raw(const fs::path& path, int w, int h, int color_type, int depth,
                   const std::vector<std::uint8_t>& data, const std::vector<png_color>& palette = {}) {
    FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    png_init_io(png, f);
    png_set_IHDR(png, info, w, h, depth, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
    png_write_info(png, info);
    const std::size_t stride = data.size() / h;
    for (int y = 0; y < h; ++y) png_write_row(png, data.data() + y * stride);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
}

void write_jpeg(const fs::path& path, const image_u8& img) {
    FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f);
    jpeg_compress_struct c{};
    jpeg_error_mgr err{};
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = img.width;
    c.image_height = img.height;
    c.input_components = img.channels;
    c.in_color_space = img.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 100, TRUE);
    for (int i = 0; i < c.num_components; ++i)  // 4:4:4, no chroma subsampling
        c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
    jpeg_start_compress(&c, TRUE);
    for (int y = 0; y < img.height; ++y) {
        JSAMPROW row = const_cast<std::uint8_t*>(img.pixels.data()) + y * img.width * img.channels;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    std::fclose(f);
}

image_u8 gradient(int w, int h, int channels) {
    image_u8 img{w, h, channels, {}};
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < channels; ++c)
                img.pixels.push_back(static_cast<std::uint8_t>((x * 37 + y * 11 + c * 80) % 256));
    return img;
}

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("image: PNG round trip and conversion to 8-bit RGB", "[runtime][image]") {
    kiln::test::temp_dir dir("image_png");
    const image_u8 rgb = gradient(7, 5, 3);
    save_png(dir / "rgb.png", rgb);
    const image_u8 back = load_image(dir / "rgb.png");
    CHECK(back.width == 7);
    CHECK(back.height == 5);
    CHECK(back.channels == 3);
    CHECK(back.pixels == rgb.pixels);

    const image_u8 grey = gradient(4, 3, 1);
    save_png(dir / "grey.png", grey);
    const image_u8 grey_rgb = load_image(dir / "grey.png");
    REQUIRE(grey_rgb.channels == 3);
    for (std::size_t p = 0; p < grey.pixels.size(); ++p)
        for (int c = 0; c < 3; ++c) CHECK(grey_rgb.pixels[p * 3 + c] == grey.pixels[p]);

    const image_u8 rgba = gradient(3, 2, 4);
    save_png(dir / "rgba.png", rgba);
    const image_u8 no_alpha = load_image(dir / "rgba.png");
    for (std::size_t p = 0; p < 6; ++p)
        for (int c = 0; c < 3; ++c) CHECK(no_alpha.pixels[p * 3 + c] == rgba.pixels[p * 4 + c]);

    // 16-bit grey: 0x1234 -> round(0x1234 * 255 / 65535) = 18; 0xFFFF -> 255; 0x8080 -> 128.
    write_png_raw(dir / "grey16.png", 3, 1, PNG_COLOR_TYPE_GRAY, 16,
                  {0x12, 0x34, 0xFF, 0xFF, 0x80, 0x80});
    const image_u8 g16 = load_image(dir / "grey16.png");
    CHECK(g16.pixels == std::vector<std::uint8_t>{18, 18, 18, 255, 255, 255, 128, 128, 128});

    // 2-bit palette: indices 0..3 packed in one byte.
    write_png_raw(dir / "palette.png", 4, 1, PNG_COLOR_TYPE_PALETTE, 2, {0b00011011},
                  {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {10, 20, 30}});
    const image_u8 pal = load_image(dir / "palette.png");
    CHECK(pal.pixels ==
          std::vector<std::uint8_t>{255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30});
}

TEST_CASE("image: JPEG decoding, detected by content not extension", "[runtime][image]") {
    kiln::test::temp_dir dir("image_jpeg");
    // Flat 8x8-aligned blocks survive quality-100 JPEG almost exactly.
    image_u8 img{16, 8, 3, {}};
    for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 16; ++x)
            for (int c : {0, 1, 2}) img.pixels.push_back(x < 8 ? std::uint8_t(200 - c * 50) : std::uint8_t(30 + c * 40));
    write_jpeg(dir / "photo.png", img);  // misleading extension on purpose
    const image_u8 back = load_image(dir / "photo.png");
    REQUIRE(back.width == 16);
    REQUIRE(back.height == 8);
    REQUIRE(back.channels == 3);
    for (std::size_t i = 0; i < img.pixels.size(); ++i)
        CHECK(std::abs(int(back.pixels[i]) - int(img.pixels[i])) <= 3);

    image_u8 grey{8, 8, 1, std::vector<std::uint8_t>(64, 90)};
    write_jpeg(dir / "grey.jpg", grey);
    const image_u8 grey_back = load_image(dir / "grey.jpg");
    REQUIRE(grey_back.channels == 3);
    for (std::uint8_t v : grey_back.pixels) CHECK(std::abs(int(v) - 90) <= 1);
}

TEST_CASE("image: unknown and corrupt files raise kiln::error", "[runtime][image]") {
    kiln::test::temp_dir dir("image_bad");
    std::ofstream(dir / "notes.png") << "GIF89a not really";
    CHECK_THAT(error_of([&] { load_image(dir / "notes.png"); }), Catch::Contains("neither PNG nor JPEG"));
    CHECK_THAT(error_of([&] { load_image(dir / "absent.png"); }), Catch::Contains("not found"));

    save_png(dir / "ok.png", gradient(32, 32, 3));
    const std::string png = read_all(dir / "ok.png");
    std::ofstream(dir / "cut.png", std::ios::binary) << png.substr(0, png.size() / 2);
    CHECK_THAT(error_of([&] { load_image(dir / "cut.png"); }), Catch::Contains("PNG"));

    write_jpeg(dir / "ok.jpg", gradient(32, 32, 3));
    const std::string jpg = read_all(dir / "ok.jpg");
    std::ofstream(dir / "cut.jpg", std::ios::binary) << jpg.substr(0, 40);
    CHECK_THAT(error_of([&] { load_image(dir / "cut.jpg"); }), Catch::Contains("JPEG"));

    CHECK_THAT(error_of([&] { save_png(dir / "bad.png", image_u8{2, 2, 2, std::vector<std::uint8_t>(8)}); }),
               Catch::Contains("expected 1, 3 or 4 channels"));
}

TEST_CASE("image: bilinear resize with half-pixel centres", "[runtime][image]") {
    // 2x2 -> 4x4: source coordinate (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped, so
    // each axis blends the two source pixels with weights (1,0) (.75,.25) (.25,.75) (0,1).
    const image_u8 src{2, 2, 1, {0, 100, 200, 255}};  // a b / c d
    const double w[4][2] = {{1, 0}, {.75, .25}, {.25, .75}, {0, 1}};
    const image_u8 up = resize_bilinear(src, 4, 4);
    for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 4; ++x) {
            const double v = w[y][0] * (w[x][0] * 0 + w[x][1] * 100) + w[y][1] * (w[x][0] * 200 + w[x][1] * 255);
            INFO("x " << x << " y " << y);
            CHECK(up.pixels[y * 4 + x] == std::lround(v));
        }
    CHECK(up.pixels[1 * 4 + 1] == 72);  // 0.75*0.25*100 + 0.25*0.75*200 + 0.0625*255 = 72.19

    // 4x4 -> 2x2: source coordinates 0.5 and 2.5, so each output is its 2x2 block's mean.
    const image_u8 big = gradient(4, 4, 3);
    const image_u8 down = resize_bilinear(big, 2, 2);
    for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 2; ++x)
            for (int c = 0; c < 3; ++c) {
                double sum = 0;
                for (int dy = 0; dy < 2; ++dy)
                    for (int dx = 0; dx < 2; ++dx) sum += big.pixels[((2 * y + dy) * 4 + 2 * x + dx) * 3 + c];
                CHECK(down.pixels[(y * 2 + x) * 3 + c] == std::lround(sum / 4));
            }

    const std::vector<float> f{0.f, 1.f, 2.f, 3.f};
    const std::vector<float> same = resize_bilinear(f, 2, 2, 1, 2, 2);
    CHECK(same == f);
    const std::vector<float> fup = resize_bilinear(f, 2, 2, 1, 4, 4);
    CHECK(fup[1 * 4 + 1] == Approx(0.75 * 0.25 * 1 + 0.25 * 0.75 * 2 + 0.0625 * 3));
    CHECK_THROWS_AS(resize_bilinear(src, 0, 3), kiln::error);
}

TEST_CASE("image: features are pixels / 255 in HWC order", "[runtime][image]") {
    const image_u8 img{2, 1, 3, {0, 51, 255, 102, 204, 1}};
    const std::vector<float> f = to_features(img);
    REQUIRE(f.size() == 6);
    CHECK(f[1] == Approx(0.2f));
    CHECK(f[2] == 1.0f);
    CHECK(f[4] == Approx(0.8f));
}
