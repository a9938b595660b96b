#include "runtime/augment.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <cstring>
#include <numbers>
#include <vector>

#include "runtime/error.hpp"
#include "runtime/random.hpp"

namespace kiln {
namespace {

enum class fill_mode { reflect, nearest, constant };

fill_mode parse_fill(std::string_view fill) {
    if (fill == "reflect") return fill_mode::reflect;
    if (fill == "nearest") return fill_mode::nearest;
    if (fill == "constant") return fill_mode::constant;
    throw error("augmentation: expected fill reflect, constant or nearest (Keras' fill_mode); found '" +
                std::string(fill) + "'");
}

std::string describe(const image_geometry& g) {
    return std::to_string(g.height) + "x" + std::to_string(g.width) + "x" + std::to_string(g.channels) +
           " (height x width x channels)";
}

void check_geometry(const image_geometry& g, std::string_view where) {
    if (g.width <= 0 || g.height <= 0 || g.channels <= 0)
        throw error(std::string(where) +
                    ": expected an image geometry with positive width, height "
                    "and channels; found " +
                    describe(g));
    if (g.features() + static_cast<std::size_t>(g.channels) > static_cast<std::size_t>(INT_MAX))
        throw error(std::string(where) + ": an image of " + describe(g) + " has " +
                    std::to_string(g.features()) + " values; at most " + std::to_string(INT_MAX) +
                    " are supported");
}

void check_size(std::size_t found, std::size_t n, const image_geometry& g, std::string_view where) {
    if (found != n * g.features())
        throw error(std::string(where) + ": expected " + std::to_string(n) + " images of " + describe(g) +
                    " = " + std::to_string(n * g.features()) + " floats; found " + std::to_string(found) +
                    " - give the geometry of the dataset's samples");
}

std::uint64_t splitmix64(std::uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Index of the extended image a tap at integer position i reads (reflect: period 2n mirror).
int reflect_index(int i, int n) {
    if (i >= 0 && i < n) return i;
    const int period = 2 * n;
    int m = i % period;
    if (m < 0) m += period;
    return m < n ? m : period - 1 - m;
}

void copy_or_flip(const float* in, float* out, const image_geometry& g, bool flip) {
    const int W = g.width, H = g.height, C = g.channels;
    if (!flip) {
        std::copy_n(in, g.features(), out);
        return;
    }
    for (int y = 0; y < H; ++y) {
        const float* row = in + static_cast<std::size_t>(y) * W * C;
        float* dst = out + static_cast<std::size_t>(y) * W * C;
        for (int x = 0; x < W; ++x)
            std::copy_n(row + static_cast<std::size_t>(W - 1 - x) * C, C, dst + x * C);
    }
}

// Where a tap at integer position i of an axis of length n reads, after the fill's mapping;
// -1 for "constant" outside. OneReflection: every tap lies in [-n, 2n), so reflect needs no
// modulo (true unless the image is far from square; transform() checks).
template <fill_mode Mode, bool OneReflection>
int map_tap(int i, int n) {
    if constexpr (Mode == fill_mode::nearest) {
        return std::min(std::max(i, 0), n - 1);
    } else if constexpr (Mode == fill_mode::constant) {
        return i >= 0 && i < n ? i : -1;
    } else if constexpr (OneReflection) {
        const int low = i < 0 ? -1 - i : i;
        return low >= n ? 2 * n - 1 - low : low;
    } else {
        return reflect_index(i, n);
    }
}

void flip_in_place(float* image, const image_geometry& g) {
    const std::size_t C = static_cast<std::size_t>(g.channels), W = static_cast<std::size_t>(g.width);
    for (int y = 0; y < g.height; ++y) {
        float* row = image + static_cast<std::size_t>(y) * W * C;
        for (std::size_t x = 0; x < W / 2; ++x)
            std::swap_ranges(row + x * C, row + (x + 1) * C, row + (W - 1 - x) * C);
    }
}

// The taps of one output row, per pixel x: the offsets of the four source pixels
// (top-left, top-right, bottom-left, bottom-right; `outside` for the constant fill's
// extra pixel) and the fractions of the source position past the top-left one.
struct row_taps {
    std::array<std::vector<int>, 4> offset;
    std::vector<int> ix, iy;
    std::vector<float> fx, fy;
    explicit row_taps(int w) : ix(w), iy(w), fx(w), fy(w) {
        for (auto& o : offset) o.resize(w);
    }
};

// Source position (sx0 + a x, sy0 + d x) for x in [0, n): the top-left tap and the
// fractions past it (floor by truncation: the positions are within a few image sides).
// __restrict parameters: GCC vectorises these loops on plain x86-64 only when it need not
// check the arrays for overlap.
void find_positions(float sx0, float sy0, float a, float d, int n, int* __restrict ixs, int* __restrict iys,
                    float* __restrict fx, float* __restrict fy) {
    for (int x = 0; x < n; ++x) {
        const float px = sx0 + a * static_cast<float>(x), py = sy0 + d * static_cast<float>(x);
        int ix = static_cast<int>(px), iy = static_cast<int>(py);
        ix -= px < static_cast<float>(ix);
        iy -= py < static_cast<float>(iy);
        ixs[x] = ix;
        iys[x] = iy;
        fx[x] = px - static_cast<float>(ix);
        fy[x] = py - static_cast<float>(iy);
    }
}

// The four taps' offsets after the fill's mapping (selects only).
template <fill_mode Mode, bool OneReflection>
void find_offsets(const int* __restrict ixs, const int* __restrict iys, int n, int W, int H, int C,
                  int outside, int* __restrict o00, int* __restrict o01, int* __restrict o10,
                  int* __restrict o11) {
    for (int x = 0; x < n; ++x) {
        const int x0 = map_tap<Mode, OneReflection>(ixs[x], W),
                  x1 = map_tap<Mode, OneReflection>(ixs[x] + 1, W);
        const int y0 = map_tap<Mode, OneReflection>(iys[x], H),
                  y1 = map_tap<Mode, OneReflection>(iys[x] + 1, H);
        const int r0 = y0 * W, r1 = y1 * W;
        if constexpr (Mode == fill_mode::constant) {
            o00[x] = (x0 | y0) < 0 ? outside : (r0 + x0) * C;
            o01[x] = (x1 | y0) < 0 ? outside : (r0 + x1) * C;
            o10[x] = (x0 | y1) < 0 ? outside : (r1 + x0) * C;
            o11[x] = (x1 | y1) < 0 ? outside : (r1 + x1) * C;
        } else {
            o00[x] = (r0 + x0) * C;
            o01[x] = (r0 + x1) * C;
            o10[x] = (r1 + x0) * C;
            o11[x] = (r1 + x1) * C;
        }
    }
}

template <fill_mode Mode, bool OneReflection>
void find_taps(float sx0, float sy0, float a, float d, int W, int H, int C, int outside, row_taps& t) {
    find_positions(sx0, sy0, a, d, W, t.ix.data(), t.iy.data(), t.fx.data(), t.fy.data());
    find_offsets<Mode, OneReflection>(t.ix.data(), t.iy.data(), W, W, H, C, outside, t.offset[0].data(),
                                      t.offset[1].data(), t.offset[2].data(), t.offset[3].data());
}

// out(x, c) = lerp_y(lerp_x(p00, p01), lerp_x(p10, p11)) over one row (W, C), from x = first.
template <int StaticC>
void blend_row(const float* in, float* out, int W, int dynamic_c, const row_taps& t, int first = 0) {
    const int C = StaticC > 0 ? StaticC : dynamic_c;
    const int *o00 = t.offset[0].data(), *o01 = t.offset[1].data(), *o10 = t.offset[2].data(),
              *o11 = t.offset[3].data();
    const float *fx = t.fx.data(), *fy = t.fy.data();
    for (int x = first; x < W; ++x) {
        const float *p00 = in + o00[x], *p01 = in + o01[x], *p10 = in + o10[x], *p11 = in + o11[x];
        float* dst = out + x * C;
        for (int c = 0; c < C; ++c) {
            const float top = p00[c] + fx[x] * (p01[c] - p00[c]);
            const float bottom = p10[c] + fx[x] * (p11[c] - p10[c]);
            dst[c] = top + fy[x] * (bottom - top);
        }
    }
}

// RGB: the taps are gathers, so the scalar loop does 12 loads per pixel; here one 4-wide
// load per tap (its 4th lane is the next pixel's first channel, ignored) and one 4-wide
// store whose 4th lane the next pixel overwrites - so the row's last pixel goes scalar, and
// the source carries one float of padding after the fill pixel. GCC's and Clang's vector
// extension: SSE2 on x86-64, NEON on ARM. 32 x 160x160x3 at max_rotation 0.2, reflect:
// 3.3 ms median with this loop, 4.6 ms with blend_row<3> (one AMD EPYC core of the build machine).
using float4 = float __attribute__((vector_size(16)));

float4 load4(const float* p) {
    float4 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

void blend_row_rgb(const float* in, float* out, int W, const row_taps& t) {
    const int *o00 = t.offset[0].data(), *o01 = t.offset[1].data(), *o10 = t.offset[2].data(),
              *o11 = t.offset[3].data();
    const float *fx = t.fx.data(), *fy = t.fy.data();
    for (int x = 0; x + 1 < W; ++x) {
        const float4 p00 = load4(in + o00[x]), p01 = load4(in + o01[x]), p10 = load4(in + o10[x]),
                     p11 = load4(in + o11[x]);
        const float4 top = p00 + fx[x] * (p01 - p00), bottom = p10 + fx[x] * (p11 - p10);
        const float4 v = top + fy[x] * (bottom - top);
        std::memcpy(out + 3 * x, &v, sizeof v);
    }
    blend_row<3>(in, out, W, 3, t, W - 1);
}

// in holds features + channels + 1 floats: the image, the constant fill's pixel, padding.
void transform(const float* in, float* out, const image_geometry& g, const sample_transform& t,
               fill_mode mode) {
    if (t.angle == 0) {
        copy_or_flip(in, out, g, t.flip);
        return;
    }
    const int W = g.width, H = g.height, C = g.channels;
    // out(p) = flipped(c + R (p - c)) = in(c + M (p - c)) with M = diag(s, 1) R: the flip
    // (s = -1, x mirrored about the centre) comes first, and one resampling does both.
    const double cs = std::cos(t.angle), sn = std::sin(t.angle), s = t.flip ? -1.0 : 1.0;
    const double a = s * cs, b = -s * sn, d = sn, e = cs;
    const double cx = (W - 1) / 2.0, cy = (H - 1) / 2.0;
    // Sources lie within the centre's distance to a corner (a rotation keeps distances);
    // taps one further, plus a pixel for rounding.
    const double reach = std::hypot(cx, cy) + 2;
    const bool one_reflection =
        cx - reach >= -W && cx + reach < 2.0 * W && cy - reach >= -H && cy + reach < 2.0 * H;
    const int outside = W * H * C;
    row_taps taps(W);
    for (int y = 0; y < H; ++y) {
        // Along the row, source x = sx0 + a x and source y = sy0 + d x.
        const float sx0 = static_cast<float>(cx + b * (y - cy) - a * cx);
        const float sy0 = static_cast<float>(cy + e * (y - cy) - d * cx);
        const float fa = static_cast<float>(a), fd = static_cast<float>(d);
        switch (mode) {
            case fill_mode::reflect:
                if (one_reflection)
                    find_taps<fill_mode::reflect, true>(sx0, sy0, fa, fd, W, H, C, outside, taps);
                else
                    find_taps<fill_mode::reflect, false>(sx0, sy0, fa, fd, W, H, C, outside, taps);
                break;
            case fill_mode::nearest:
                find_taps<fill_mode::nearest, true>(sx0, sy0, fa, fd, W, H, C, outside, taps);
                break;
            case fill_mode::constant:
                find_taps<fill_mode::constant, true>(sx0, sy0, fa, fd, W, H, C, outside, taps);
                break;
        }
        float* dst = out + static_cast<std::size_t>(y) * W * C;
        switch (C) {
            case 1: blend_row<1>(in, dst, W, C, taps); break;
            case 3: blend_row_rgb(in, dst, W, taps); break;
            default: blend_row<0>(in, dst, W, C, taps); break;
        }
    }
}

// A copy of one image followed by the constant fill's pixel and a float of padding, as
// transform() reads it.
void load_source(const float* image, const image_geometry& g, float fill_value, std::vector<float>& source) {
    source.resize(g.features() + static_cast<std::size_t>(g.channels) + 1);
    std::copy_n(image, g.features(), source.data());
    std::fill(source.begin() + static_cast<std::ptrdiff_t>(g.features()), source.end(), fill_value);
}

}  // namespace

void validate(const image_geometry& geometry, const augmentation& aug) {
    check_geometry(geometry, "augmentation");
    if (!(aug.max_rotation >= 0 && aug.max_rotation <= 0.5))
        throw error(
            "augmentation: expected max_rotation (Keras' RandomRotation factor, a fraction of a "
            "full turn) in [0, 0.5]; found " +
            std::to_string(aug.max_rotation));
    parse_fill(aug.fill);
    if (!std::isfinite(aug.fill_value))
        throw error("augmentation: expected a finite fill_value; found " + std::to_string(aug.fill_value));
}

sample_transform draw_transform(const augmentation& aug, std::uint64_t seed, std::size_t sample) {
    rng r(splitmix64(splitmix64(seed) + sample));
    const double u_flip = r.uniform(), u_angle = r.uniform();  // always both, in this order
    sample_transform t;
    t.flip = aug.horizontal_flip && u_flip < 0.5;
    if (aug.max_rotation > 0) t.angle = (2 * u_angle - 1) * aug.max_rotation * 2 * std::numbers::pi;
    return t;
}

void transform_image(std::span<const float> in, std::span<float> out, const image_geometry& geometry,
                     const sample_transform& t, std::string_view fill, float fill_value) {
    check_geometry(geometry, "transform_image");
    check_size(in.size(), 1, geometry, "transform_image (input)");
    check_size(out.size(), 1, geometry, "transform_image (output)");
    if (!std::isfinite(t.angle))
        throw error("transform_image: expected a finite angle in radians; found " + std::to_string(t.angle));
    const fill_mode mode = parse_fill(fill);
    std::vector<float> source;
    load_source(in.data(), geometry, fill_value, source);
    transform(source.data(), out.data(), geometry, t, mode);
}

void augment_batch(std::span<float> x, std::size_t n, const image_geometry& geometry, const augmentation& aug,
                   std::uint64_t seed) {
    validate(geometry, aug);
    check_size(x.size(), n, geometry, "augment_batch");
    const fill_mode mode = parse_fill(aug.fill);
    const std::size_t features = geometry.features();
    std::vector<float> source;
    for (std::size_t i = 0; i < n; ++i) {
        const sample_transform t = draw_transform(aug, seed, i);
        if (!t.flip && t.angle == 0) continue;
        float* sample = x.data() + i * features;
        if (t.angle == 0) {  // a flip alone: swap in place, no copy
            flip_in_place(sample, geometry);
            continue;
        }
        load_source(sample, geometry, aug.fill_value, source);
        transform(source.data(), sample, geometry, t, mode);
    }
}

augment_function augmenter(const image_geometry& geometry, const augmentation& aug) {
    validate(geometry, aug);
    return [geometry, aug](std::span<float> x, std::size_t n, std::uint64_t seed) {
        augment_batch(x, n, geometry, aug, seed);
    };
}

}  // namespace kiln
