#include "runtime/image.hpp"

#include <png.h>
// jpeglib.h needs FILE and size_t declared first.
#include <csetjmp>
#include <cstdio>
#include <jpeglib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>

#include "runtime/error.hpp"

namespace kiln {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const fs::path& path, const std::string& what, const char* hint) {
    throw error("image '" + path.string() + "': " + what + "; " + hint);
}

constexpr const char* corrupt_hint = "the file is damaged or truncated; re-export it";

// ---- PNG (libpng's classic API; errors longjmp back into png_decode) -------------------

struct png_context {
    FILE* file = nullptr;
    png_structp png = nullptr;
    png_infop info = nullptr;
    char message[256] = {};
    png_uint_32 width = 0, height = 0;
};

void png_on_error(png_structp png, png_const_charp message) {
    auto* ctx = static_cast<png_context*>(png_get_error_ptr(png));
    std::snprintf(ctx->message, sizeof ctx->message, "%s", message);
    png_longjmp(png, 1);
}
void png_on_warning(png_structp, png_const_charp) {}

// Only trivially destructible locals live between setjmp and longjmp here.
bool png_read_header(png_context& ctx) {
    if (setjmp(png_jmpbuf(ctx.png))) return false;
    png_init_io(ctx.png, ctx.file);
    png_read_info(ctx.png, ctx.info);
    const int color = png_get_color_type(ctx.png, ctx.info);
    const int depth = png_get_bit_depth(ctx.png, ctx.info);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(ctx.png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(ctx.png);
    if (png_get_valid(ctx.png, ctx.info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(ctx.png);
    if (depth == 16) png_set_scale_16(ctx.png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(ctx.png);
    png_set_strip_alpha(ctx.png);
    png_set_interlace_handling(ctx.png);
    png_read_update_info(ctx.png, ctx.info);
    ctx.width = png_get_image_width(ctx.png, ctx.info);
    ctx.height = png_get_image_height(ctx.png, ctx.info);
    return png_get_channels(ctx.png, ctx.info) == 3 && png_get_bit_depth(ctx.png, ctx.info) == 8;
}

bool png_read_rows(png_context& ctx, png_bytep* rows) {
    if (setjmp(png_jmpbuf(ctx.png))) return false;
    png_read_image(ctx.png, rows);
    png_read_end(ctx.png, nullptr);
    return true;
}

image_u8 load_png(const fs::path& path, FILE* file) {
    png_context ctx;
    ctx.file = file;
    ctx.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, png_on_error, png_on_warning);
    if (ctx.png) ctx.info = png_create_info_struct(ctx.png);
    struct cleanup {
        png_context& c;
        ~cleanup() { png_destroy_read_struct(&c.png, c.info ? &c.info : nullptr, nullptr); }
    } guard{ctx};
    if (!ctx.info) fail(path, "libpng could not allocate its state", "free some memory");
    if (!png_read_header(ctx)) {
        if (ctx.message[0]) fail(path, std::string("PNG header: ") + ctx.message, corrupt_hint);
        fail(path, "PNG did not convert to 8-bit RGB", "re-save it as an 8-bit RGB PNG");
    }
    image_u8 out{static_cast<int>(ctx.width), static_cast<int>(ctx.height), 3, {}};
    out.pixels.resize(static_cast<std::size_t>(ctx.width) * ctx.height * 3);
    std::vector<png_bytep> rows(ctx.height);
    for (png_uint_32 y = 0; y < ctx.height; ++y)
        rows[y] = out.pixels.data() + static_cast<std::size_t>(y) * ctx.width * 3;
    if (!png_read_rows(ctx, rows.data()))
        fail(path, std::string("PNG data: ") + ctx.message, corrupt_hint);
    return out;
}

// ---- JPEG (libjpeg; error_exit longjmps back instead of calling exit) ------------------

struct jpeg_error_context {
    jpeg_error_mgr mgr;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

void jpeg_on_error(j_common_ptr cinfo) {
    auto* ctx = reinterpret_cast<jpeg_error_context*>(cinfo->err);
    cinfo->err->format_message(cinfo, ctx->message);
    std::longjmp(ctx->jump, 1);
}
void jpeg_on_message(j_common_ptr) {}  // warnings (e.g. "premature end") stay quiet

// Decodes into `pixels`, which the caller has sized after the header callback below.
struct jpeg_job {
    FILE* file;
    jpeg_decompress_struct cinfo;
    jpeg_error_context err;
};

bool jpeg_start(jpeg_job& job) {
    job.cinfo.err = jpeg_std_error(&job.err.mgr);
    job.err.mgr.error_exit = jpeg_on_error;
    job.err.mgr.output_message = jpeg_on_message;
    job.err.message[0] = '\0';
    if (setjmp(job.err.jump)) return false;
    jpeg_create_decompress(&job.cinfo);
    jpeg_stdio_src(&job.cinfo, job.file);
    jpeg_read_header(&job.cinfo, TRUE);
    job.cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&job.cinfo);
    return true;
}

bool jpeg_read_all(jpeg_job& job, std::uint8_t* pixels) {
    if (setjmp(job.err.jump)) return false;
    const std::size_t stride = static_cast<std::size_t>(job.cinfo.output_width) * 3;
    while (job.cinfo.output_scanline < job.cinfo.output_height) {
        JSAMPROW row = pixels + job.cinfo.output_scanline * stride;
        jpeg_read_scanlines(&job.cinfo, &row, 1);
    }
    jpeg_finish_decompress(&job.cinfo);
    return true;
}

image_u8 load_jpeg(const fs::path& path, FILE* file) {
    jpeg_job job{};
    job.file = file;
    struct cleanup {
        jpeg_job& j;
        ~cleanup() { jpeg_destroy_decompress(&j.cinfo); }
    } guard{job};
    if (!jpeg_start(job)) fail(path, std::string("JPEG header: ") + job.err.message, corrupt_hint);
    if (job.cinfo.output_components != 3)
        fail(path, "JPEG decoded to " + std::to_string(job.cinfo.output_components) + " channels",
             "re-save it as an RGB or greyscale JPEG");
    image_u8 out{static_cast<int>(job.cinfo.output_width),
                 static_cast<int>(job.cinfo.output_height), 3, {}};
    out.pixels.resize(static_cast<std::size_t>(out.width) * out.height * 3);
    if (!jpeg_read_all(job, out.pixels.data()))
        fail(path, std::string("JPEG data: ") + job.err.message, corrupt_hint);
    return out;
}

struct file_closer {
    void operator()(FILE* f) const { std::fclose(f); }
};

template <class T, class Round>
void resample(const T* in, int w, int h, int c, T* out, int nw, int nh, Round round) {
    // Per output column: left source column and weight (computed once, used by every row).
    auto taps = [](int out_size, int in_size, std::vector<int>& lo, std::vector<double>& frac) {
        const double scale = static_cast<double>(in_size) / out_size;
        lo.resize(out_size);
        frac.resize(out_size);
        for (int i = 0; i < out_size; ++i) {
            double s = (i + 0.5) * scale - 0.5;
            int s0 = static_cast<int>(std::floor(s));
            double f = s - s0;
            if (s0 < 0) s0 = 0, f = 0;
            if (s0 >= in_size - 1) s0 = in_size - 1, f = 0;
            lo[i] = s0;
            frac[i] = f;
        }
    };
    std::vector<int> x0, y0;
    std::vector<double> fx, fy;
    taps(nw, w, x0, fx);
    taps(nh, h, y0, fy);
    for (int y = 0; y < nh; ++y) {
        const int ya = y0[y], yb = std::min(ya + 1, h - 1);
        for (int x = 0; x < nw; ++x) {
            const int xa = x0[x], xb = std::min(xa + 1, w - 1);
            for (int k = 0; k < c; ++k) {
                auto at = [&](int yy, int xx) {
                    return static_cast<double>(in[(static_cast<std::size_t>(yy) * w + xx) * c + k]);
                };
                const double top = at(ya, xa) * (1 - fx[x]) + at(ya, xb) * fx[x];
                const double bottom = at(yb, xa) * (1 - fx[x]) + at(yb, xb) * fx[x];
                out[(static_cast<std::size_t>(y) * nw + x) * c + k] =
                    round(top * (1 - fy[y]) + bottom * fy[y]);
            }
        }
    }
}

void check_resize(int w, int h, int c, std::size_t have, int nw, int nh) {
    if (w <= 0 || h <= 0 || c <= 0 || have != static_cast<std::size_t>(w) * h * c)
        throw error("resize_bilinear: input is " + std::to_string(w) + "x" + std::to_string(h) +
                    "x" + std::to_string(c) + " but holds " + std::to_string(have) +
                    " values; expected width*height*channels > 0");
    if (nw <= 0 || nh <= 0)
        throw error("resize_bilinear: target size " + std::to_string(nw) + "x" +
                    std::to_string(nh) + " must be positive");
}

}  // namespace

image_u8 load_image(const fs::path& path) {
    std::unique_ptr<FILE, file_closer> file(std::fopen(path.c_str(), "rb"));
    if (!file) {
        std::error_code ec;
        if (!fs::exists(path, ec)) fail(path, "file not found", "check the path");
        fail(path, "cannot open the file", "check its permissions");
    }
    unsigned char magic[8] = {};
    const std::size_t got = std::fread(magic, 1, sizeof magic, file.get());
    std::rewind(file.get());
    if (got == 8 && png_sig_cmp(magic, 0, 8) == 0) return load_png(path, file.get());
    if (got >= 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF)
        return load_jpeg(path, file.get());
    fail(path, "neither PNG nor JPEG (unrecognised magic bytes)",
         "convert it to PNG or JPEG first");
}

void save_png(const fs::path& path, const image_u8& image) {
    const int c = image.channels;
    if (image.width <= 0 || image.height <= 0 || (c != 1 && c != 3 && c != 4) ||
        image.pixels.size() != static_cast<std::size_t>(image.width) * image.height * c)
        throw error("save_png '" + path.string() + "': image is " + std::to_string(image.width) +
                    "x" + std::to_string(image.height) + "x" + std::to_string(c) + " with " +
                    std::to_string(image.pixels.size()) +
                    " bytes; expected 1, 3 or 4 channels and width*height*channels bytes");
    png_image img{};
    img.version = PNG_IMAGE_VERSION;
    img.width = static_cast<png_uint_32>(image.width);
    img.height = static_cast<png_uint_32>(image.height);
    img.format = c == 1 ? PNG_FORMAT_GRAY : c == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA;
    if (!png_image_write_to_file(&img, path.c_str(), 0, image.pixels.data(), 0, nullptr)) {
        const std::string message = img.message;
        png_image_free(&img);
        throw error("save_png '" + path.string() + "': " + message +
                    "; check that the directory exists and is writable");
    }
}

image_u8 resize_bilinear(const image_u8& image, int width, int height) {
    check_resize(image.width, image.height, image.channels, image.pixels.size(), width, height);
    image_u8 out{width, height, image.channels, {}};
    out.pixels.resize(static_cast<std::size_t>(width) * height * image.channels);
    resample(image.pixels.data(), image.width, image.height, image.channels, out.pixels.data(),
             width, height, [](double v) {
                 return static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
             });
    return out;
}

std::vector<float> resize_bilinear(std::span<const float> hwc, int width, int height,
                                   int channels, int new_width, int new_height) {
    check_resize(width, height, channels, hwc.size(), new_width, new_height);
    std::vector<float> out(static_cast<std::size_t>(new_width) * new_height * channels);
    resample(hwc.data(), width, height, channels, out.data(), new_width, new_height,
             [](double v) { return static_cast<float>(v); });
    return out;
}

std::vector<float> to_features(const image_u8& image) {
    std::vector<float> out(image.pixels.size());
    std::transform(image.pixels.begin(), image.pixels.end(), out.begin(),
                   [](std::uint8_t p) { return static_cast<float>(p) / 255.0f; });
    return out;
}

}  // namespace kiln
