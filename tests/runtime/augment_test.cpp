// Data augmentation against independent references: naive index loops for flips and quarter
// turns, the closed form of a rotated linear function, a blob's centroid for the direction,
// a reference resampler that builds its fill by concatenating mirrored copies (no modular
// arithmetic), SciPy's ndimage.rotate, and counts over 2,000 draws. Plus the 160x160x3 face
// set and the fit() hook's type (fit() itself needs a compiled network).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <span>
#include <string>
#include <vector>

#include "runtime/augment.hpp"
#include "runtime/datasets/lfw_faces.hpp"
#include "runtime/npy.hpp"
#include "runtime/random.hpp"
#include "runtime/train.hpp"
#include "test_support.hpp"

using namespace kiln;
using kiln::test::error_of;

namespace {

constexpr double pi = std::numbers::pi;

std::vector<float> random_images(const image_geometry& g, std::size_t n, std::uint64_t seed) {
    rng r(seed);
    std::vector<float> x(n * g.features());
    for (float& v : x) v = static_cast<float>(r.uniform());
    return x;
}

std::size_t at(const image_geometry& g, int x, int y, int c) {
    return (static_cast<std::size_t>(y) * g.width + x) * g.channels + c;
}

std::vector<float> naive_flip(std::span<const float> in, const image_geometry& g) {
    std::vector<float> out(in.size());
    for (int y = 0; y < g.height; ++y)
        for (int x = 0; x < g.width; ++x)
            for (int c = 0; c < g.channels; ++c) out[at(g, x, y, c)] = in[at(g, g.width - 1 - x, y, c)];
    return out;
}

std::vector<float> transformed(std::span<const float> in, const image_geometry& g, sample_transform t,
                               const std::string& fill = "reflect", float fill_value = 0) {
    std::vector<float> out(in.size(), -1.0f);
    transform_image(in, out, g, t, fill, fill_value);
    return out;
}

// The extended row of indices for one axis of length n, over [-copies n, (copies + 1) n):
// reflect lays copies side by side, reversed, forward, reversed ("d c b a | a b c d |
// d c b a"); nearest repeats the end pixels; constant marks the outside with -1.
constexpr int copies = 20;  // on each side

std::vector<int> extended_axis(int n, const std::string& fill) {
    std::vector<int> forward(n), reversed(n);
    for (int i = 0; i < n; ++i) forward[i] = i, reversed[i] = n - 1 - i;
    std::vector<int> ext;
    for (int copy = -copies; copy <= copies; ++copy) {
        for (int i = 0; i < n; ++i) {
            if (copy == 0)
                ext.push_back(forward[i]);
            else if (fill == "reflect")
                ext.push_back(copy % 2 == 0 ? forward[i] : reversed[i]);
            else if (fill == "nearest")
                ext.push_back(copy < 0 ? 0 : n - 1);
            else
                ext.push_back(-1);
        }
    }
    return ext;
}

// Reference: flip the image with naive_flip, then for each output pixel p sample the flipped
// image bilinearly (in double) at q = c + R(angle) (p - c), R = [cos -sin; sin cos].
std::vector<double> reference_transform(std::span<const float> in, const image_geometry& g,
                                        sample_transform t, const std::string& fill, float fill_value) {
    const std::vector<float> src = t.flip ? naive_flip(in, g) : std::vector<float>(in.begin(), in.end());
    const std::vector<int> ex = extended_axis(g.width, fill), ey = extended_axis(g.height, fill);
    auto read = [&](int x, int y, int c) -> double {
        const int ix = ex.at(static_cast<std::size_t>(x + copies * g.width));
        const int iy = ey.at(static_cast<std::size_t>(y + copies * g.height));
        if (ix < 0 || iy < 0) return fill_value;
        return src[at(g, ix, iy, c)];
    };
    const double cx = (g.width - 1) / 2.0, cy = (g.height - 1) / 2.0;
    std::vector<double> out(in.size());
    for (int y = 0; y < g.height; ++y)
        for (int x = 0; x < g.width; ++x) {
            const double qx = cx + std::cos(t.angle) * (x - cx) - std::sin(t.angle) * (y - cy);
            const double qy = cy + std::sin(t.angle) * (x - cx) + std::cos(t.angle) * (y - cy);
            const int x0 = static_cast<int>(std::floor(qx)), y0 = static_cast<int>(std::floor(qy));
            const double fx = qx - x0, fy = qy - y0;
            for (int c = 0; c < g.channels; ++c)
                out[at(g, x, y, c)] = (1 - fy) * ((1 - fx) * read(x0, y0, c) + fx * read(x0 + 1, y0, c)) +
                                      fy * ((1 - fx) * read(x0, y0 + 1, c) + fx * read(x0 + 1, y0 + 1, c));
        }
    return out;
}

}  // namespace

TEST_CASE("augment: a flip twice is the identity and equals the reversed-x loop", "[runtime][augment]") {
    const image_geometry g{7, 4, 3};
    const std::vector<float> in = random_images(g, 1, 3);
    const std::vector<float> once = transformed(in, g, {.flip = true});
    CHECK(once == naive_flip(in, g));
    CHECK(transformed(once, g, {.flip = true}) == in);

    // In a batch, each sample comes out either as it was or as the naive flip.
    const std::size_t n = 40;
    std::vector<float> x = random_images(g, n, 4);
    const std::vector<float> original = x;
    augment_batch(x, n, g, {.horizontal_flip = true}, 9);
    std::size_t flipped = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::span<const float> before(original.data() + i * g.features(), g.features());
        const std::vector<float> after(x.begin() + i * g.features(), x.begin() + (i + 1) * g.features());
        const bool is_flip = after == naive_flip(before, g);
        CHECK((is_flip || std::equal(after.begin(), after.end(), before.begin())));
        flipped += is_flip;
    }
    CHECK(flipped > 0);
    CHECK(flipped < n);
}

TEST_CASE("augment: a rotation by exactly 0 is the identity", "[runtime][augment]") {
    const image_geometry g{6, 5, 3};
    const std::vector<float> in = random_images(g, 1, 5);
    CHECK(transformed(in, g, {.angle = 0.0}) == in);
    std::vector<float> x = random_images(g, 8, 6);
    const std::vector<float> original = x;
    augment_batch(x, 8, g, {.horizontal_flip = false, .max_rotation = 0}, 1);
    CHECK(x == original);
}

TEST_CASE("augment: quarter and half turns are numpy's rot90 index permutations (counter-clockwise)",
          "[runtime][augment]") {
    const image_geometry g{7, 7, 2};
    const int n = 7;
    const std::vector<float> in = random_images(g, 1, 7);
    const std::vector<float> ccw = transformed(in, g, {.angle = pi / 2});  // np.rot90(a, 1)
    const std::vector<float> cw = transformed(in, g, {.angle = -pi / 2});  // np.rot90(a, -1)
    const std::vector<float> half = transformed(in, g, {.angle = pi});     // np.rot90(a, 2)
    for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x)
            for (int c = 0; c < 2; ++c) {
                CHECK(ccw[at(g, x, y, c)] == Approx(in[at(g, n - 1 - y, x, c)]).margin(1e-6));
                CHECK(cw[at(g, x, y, c)] == Approx(in[at(g, y, n - 1 - x, c)]).margin(1e-6));
                CHECK(half[at(g, x, y, c)] == Approx(in[at(g, n - 1 - x, n - 1 - y, c)]).margin(1e-6));
            }
    // Flip first, then rotate: a flip and a half turn is a vertical flip.
    const std::vector<float> flip_half = transformed(in, g, {.flip = true, .angle = pi});
    for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x)
            CHECK(flip_half[at(g, x, y, 1)] == Approx(in[at(g, x, n - 1 - y, 1)]).margin(1e-6));
}

TEST_CASE("augment: a positive angle turns the picture counter-clockwise on screen", "[runtime][augment]") {
    // A Gaussian blob 6 px right of the centre of a 31x31 image; after +30 degrees its
    // centroid must sit at centre + 6 (cos 30, -sin 30): up (smaller y) and still right.
    const image_geometry g{31, 31, 1};
    const double c = 15, r = 6, sigma = 1.5;
    std::vector<float> in(g.features());
    for (int y = 0; y < 31; ++y)
        for (int x = 0; x < 31; ++x)
            in[at(g, x, y, 0)] = static_cast<float>(
                std::exp(-((x - c - r) * (x - c - r) + (y - c) * (y - c)) / (2 * sigma * sigma)));
    const std::vector<float> out = transformed(in, g, {.angle = pi / 6}, "constant");
    double sum = 0, sx = 0, sy = 0;
    for (int y = 0; y < 31; ++y)
        for (int x = 0; x < 31; ++x) {
            const double v = out[at(g, x, y, 0)];
            sum += v, sx += v * x, sy += v * y;
        }
    CHECK(sx / sum == Approx(c + r * std::cos(pi / 6)).margin(0.05));
    CHECK(sy / sum == Approx(c - r * std::sin(pi / 6)).margin(0.05));
}

TEST_CASE("augment: a rotated linear function matches its closed form inside the image",
          "[runtime][augment]") {
    // f(x, y) = a x + b y + k; bilinear interpolation reproduces it exactly wherever all four
    // taps are inside, so out(p) = f(source(p)) with source(p) = c + R (p - c) (no flip) or
    // the mirror of it in x (flip first).
    const image_geometry g{33, 25, 3};
    const double a = 0.013, b = -0.021, k = 0.6;
    std::vector<float> in(g.features());
    for (int y = 0; y < g.height; ++y)
        for (int x = 0; x < g.width; ++x)
            for (int ch = 0; ch < 3; ++ch)
                in[at(g, x, y, ch)] = static_cast<float>(a * x + b * y + k + 0.1 * ch);
    const double cx = 16, cy = 12;
    for (const bool flip : {false, true})
        for (const double angle : {0.7, -1.9, 0.05}) {
            const std::vector<float> out =
                transformed(in, g, {.flip = flip, .angle = angle}, "constant", 7.0f);
            std::size_t checked = 0;
            for (int y = 0; y < g.height; ++y)
                for (int x = 0; x < g.width; ++x) {
                    const double qx = cx + std::cos(angle) * (x - cx) - std::sin(angle) * (y - cy);
                    const double qy = cy + std::sin(angle) * (x - cx) + std::cos(angle) * (y - cy);
                    const double sx = flip ? g.width - 1 - qx : qx;
                    // a margin of 1e-3 px keeps the float taps inside as well
                    if (!(sx >= 1e-3 && sx <= g.width - 1 - 1e-3 && qy >= 1e-3 && qy <= g.height - 1 - 1e-3))
                        continue;
                    ++checked;
                    for (int ch = 0; ch < 3; ++ch)
                        CHECK(out[at(g, x, y, ch)] == Approx(a * sx + b * qy + k + 0.1 * ch).margin(1e-4));
                }
            CHECK(checked > g.features() / 3 / 3);  // not vacuous: a good part of the image
        }
}

TEST_CASE("augment: fills outside the image read the mirrored, clamped or constant index",
          "[runtime][augment]") {
    // 7 wide, 3 high, a quarter turn: out(x, y) = in(col 4 - y, row x - 2); rows -2..4.
    // Keras' reflect "d c b a | a b c d | d c b a" over rows {0, 1, 2}: -2 -> 1, -1 -> 0,
    // 3 -> 2, 4 -> 1. nearest: -2, -1 -> 0; 3, 4 -> 2. constant: the fill value.
    const image_geometry g{7, 3, 2};
    const std::vector<float> in = random_images(g, 1, 11);
    const int reflect_row[7] = {1, 0, 0, 1, 2, 2, 1}, nearest_row[7] = {0, 0, 0, 1, 2, 2, 2};
    const std::vector<float> reflect = transformed(in, g, {.angle = pi / 2}, "reflect");
    const std::vector<float> nearest = transformed(in, g, {.angle = pi / 2}, "nearest");
    const std::vector<float> constant = transformed(in, g, {.angle = pi / 2}, "constant", -3.0f);
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 7; ++x)
            for (int c = 0; c < 2; ++c) {
                CHECK(reflect[at(g, x, y, c)] == Approx(in[at(g, 4 - y, reflect_row[x], c)]).margin(1e-5));
                CHECK(nearest[at(g, x, y, c)] == Approx(in[at(g, 4 - y, nearest_row[x], c)]).margin(1e-5));
                const bool outside = x < 2 || x > 4;
                CHECK(constant[at(g, x, y, c)] ==
                      Approx(outside ? -3.0 : in[at(g, 4 - y, x - 2, c)]).margin(1e-5));
            }

    // Any angle, every pixel, against the reference that concatenates mirrored copies; the
    // tall images' corners reach several image widths out (more than one reflection).
    for (const image_geometry geo :
         {image_geometry{12, 9, 3}, image_geometry{3, 40, 2}, image_geometry{37, 2, 1}}) {
        const std::vector<float> img = random_images(geo, 1, 12);
        for (const std::string fill : {"reflect", "nearest", "constant"})
            for (const sample_transform t : {sample_transform{false, 0.8}, sample_transform{true, -0.45},
                                             sample_transform{true, 2.6}, sample_transform{false, pi / 2}}) {
                const std::vector<float> out = transformed(img, geo, t, fill, 0.25f);
                const std::vector<double> ref = reference_transform(img, geo, t, fill, 0.25f);
                for (std::size_t i = 0; i < out.size(); ++i) {
                    INFO(geo.width << "x" << geo.height << " " << fill << " flip " << t.flip << " angle "
                                   << t.angle << " value " << i);
                    CHECK(out[i] == Approx(ref[i]).margin(1e-5));
                }
            }
    }
}

TEST_CASE("augment: agrees with SciPy's ndimage.rotate (order 1, reshape False)",
          "[runtime][augment][scipy]") {
    // Another tool's bilinear rotation about ((W-1)/2, (H-1)/2), positive degrees counter-
    // clockwise as displayed. SciPy names TF's constant fill "grid-constant" (the taps
    // outside read cval; its "constant" does not interpolate across the edge).
    if (!kiln::test::python_has("numpy, scipy.ndimage")) {
        WARN("not run: /usr/bin/python3 cannot import scipy.ndimage (install Debian's python3-scipy)");
        return;
    }
    kiln::test::temp_dir dir("augment_scipy");
    const std::string script =
        "import numpy as np, sys\n"
        "from scipy import ndimage\n"
        "d = sys.argv[1]\n"
        "a = np.random.RandomState(4).rand(9, 12, 3)\n"
        "np.save(f'{d}/in.npy', a)\n"
        "k = 0\n"
        "for mode in ['reflect', 'nearest', 'grid-constant']:\n"
        "    for flip in [0, 1]:\n"
        "        for deg in [30.0, -71.0, 145.0]:\n"
        "            src = a[:, ::-1] if flip else a\n"
        "            r = ndimage.rotate(src, deg, axes=(1, 0), reshape=False, order=1, mode=mode, "
        "cval=0.25)\n"
        "            np.save(f'{d}/out{k}.npy', r)\n"
        "            k += 1\n";
    std::ofstream(dir / "make.py") << script;
    REQUIRE(kiln::test::run(std::string(kiln::test::system_python) + " " + (dir / "make.py").string() + " " +
                            dir.path.string()));
    const npy_array in = read_npy(dir / "in.npy");
    REQUIRE(in.shape == std::vector<std::size_t>{9, 12, 3});
    const image_geometry g{12, 9, 3};
    const std::vector<float> img(in.values.begin(), in.values.end());
    int k = 0;
    for (const std::string fill : {"reflect", "nearest", "constant"})
        for (const bool flip : {false, true})
            for (const double degrees : {30.0, -71.0, 145.0}) {
                const npy_array expected = read_npy(dir / ("out" + std::to_string(k++) + ".npy"));
                const std::vector<float> out = transformed(img, g, {flip, degrees * pi / 180}, fill, 0.25f);
                REQUIRE(expected.values.size() == out.size());
                for (std::size_t i = 0; i < out.size(); ++i) {
                    INFO(fill << " flip " << flip << " degrees " << degrees << " value " << i);
                    CHECK(out[i] == Approx(expected.values[i]).margin(1e-5));
                }
            }
}

TEST_CASE("augment: draws are deterministic per (seed, sample) and applied as drawn", "[runtime][augment]") {
    const image_geometry g{10, 8, 3};
    const augmentation aug{.horizontal_flip = true, .max_rotation = 0.2};
    const std::vector<float> original = random_images(g, 6, 13);
    std::vector<float> a = original, b = original, c = original;
    augment_batch(a, 6, g, aug, 77);
    augment_batch(b, 6, g, aug, 77);
    augment_batch(c, 6, g, aug, 78);
    CHECK(a == b);
    CHECK(a != c);
    // Sample i's result does not depend on n.
    std::vector<float> first3(original.begin(), original.begin() + 3 * g.features());
    augment_batch(first3, 3, g, aug, 77);
    CHECK(std::equal(first3.begin(), first3.end(), a.begin()));
    // augment_batch applies draw_transform(aug, seed, i) to sample i.
    for (std::size_t i = 0; i < 6; ++i) {
        const std::span<const float> in(original.data() + i * g.features(), g.features());
        const std::vector<float> expected = transformed(in, g, draw_transform(aug, 77, i));
        CHECK(std::equal(expected.begin(), expected.end(),
                         a.begin() + static_cast<std::ptrdiff_t>(i * g.features())));
    }
    // Different samples draw differently; switching the flip off keeps the angles.
    CHECK(draw_transform(aug, 77, 0).angle != draw_transform(aug, 77, 1).angle);
    for (std::size_t i = 0; i < 20; ++i)
        CHECK(draw_transform({.max_rotation = 0.2}, 5, i).angle == draw_transform(aug, 5, i).angle);
}

TEST_CASE("augment: over 2,000 samples the flip rate is 1/2 and angles span [-f, f] * 2 pi",
          "[runtime][augment]") {
    // Flips read off the pixels of augment_batch's output (a row 0 1 2 3 reversed or not).
    const image_geometry g{4, 1, 1};
    const std::size_t n = 2000;
    std::vector<float> x;
    for (std::size_t i = 0; i < n; ++i) x.insert(x.end(), {0.f, 1.f, 2.f, 3.f});
    augment_batch(x, n, g, {.horizontal_flip = true}, 2024);
    std::size_t flips = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const bool flipped =
            x[4 * i] == 3.f && x[4 * i + 1] == 2.f && x[4 * i + 2] == 1.f && x[4 * i + 3] == 0.f;
        const bool kept =
            x[4 * i] == 0.f && x[4 * i + 1] == 1.f && x[4 * i + 2] == 2.f && x[4 * i + 3] == 3.f;
        REQUIRE((flipped || kept));
        flips += flipped;
    }
    CHECK(static_cast<double>(flips) / n == Approx(0.5).margin(0.05));

    const double f = 0.2, bound = f * 2 * pi;
    double lo = 1e9, hi = -1e9, sum = 0;
    std::size_t in_upper_half = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double angle = draw_transform({.max_rotation = f}, 2024, i).angle;
        REQUIRE(angle >= -bound);
        REQUIRE(angle <= bound);
        lo = std::min(lo, angle), hi = std::max(hi, angle), sum += angle;
        in_upper_half += angle > bound / 2;
    }
    CHECK(lo < -0.99 * bound);
    CHECK(hi > 0.99 * bound);
    CHECK(sum / n == Approx(0.0).margin(0.05 * bound));  // uniform: sd of the mean ~ 0.013 bound
    CHECK(static_cast<double>(in_upper_half) / n == Approx(0.25).margin(0.04));
}

TEST_CASE("augment: bad geometry, factors and fills are refused with what was expected",
          "[runtime][augment]") {
    const image_geometry g{160, 160, 3};
    std::vector<float> x(2 * 64 * 64 * 3);
    CHECK_THAT(error_of([&] { augment_batch(x, 2, g, {.horizontal_flip = true}, 1); }),
               Catch::Contains("expected 2 images of 160x160x3") && Catch::Contains("153600 floats") &&
                   Catch::Contains("found 24576"));
    CHECK_THAT(error_of([&] {
                   augment_batch(x, 2, {64, 64, 3}, {.max_rotation = 0.6}, 1);
               }),
               Catch::Contains("in [0, 0.5]") && Catch::Contains("found 0.6"));
    CHECK_THAT(error_of([&] {
                   augment_batch(x, 2, {64, 64, 3}, {.max_rotation = -0.1}, 1);
               }),
               Catch::Contains("in [0, 0.5]"));
    CHECK_THAT(error_of([&] {
                   augment_batch(x, 2, {64, 64, 3}, {.max_rotation = std::nan("")}, 1);
               }),
               Catch::Contains("in [0, 0.5]"));
    CHECK_THAT(error_of([&] {
                   augment_batch(x, 2, {64, 64, 3}, {.fill = "wrap"}, 1);
               }),
               Catch::Contains("reflect, constant or nearest") && Catch::Contains("found 'wrap'"));
    CHECK_THAT(error_of([&] { augment_batch(x, 2, {0, 64, 3}, {}, 1); }), Catch::Contains("positive width"));
    CHECK_THAT(error_of([&] {
                   augmenter({64, 64, 3}, {.fill = "mirror"});
               }),
               Catch::Contains("found 'mirror'"));
    std::vector<float> out(10);
    CHECK_THAT(error_of([&] {
                   transform_image(std::span<const float>(x).first(12), out, {2, 2, 3}, {});
               }),
               Catch::Contains("found 10"));
}

TEST_CASE("augment: fit_options::augment takes an augmenter", "[runtime][augment]") {
    // fit() itself needs a compiled network (tests/networks); here the hook's type and the
    // callback's behaviour: it is augment_batch with the geometry and options bound.
    const image_geometry g{5, 4, 3};
    const augmentation aug{.horizontal_flip = true, .max_rotation = 0.1, .fill = "nearest"};
    fit_options opt;
    opt.augment = augmenter(g, aug);
    std::vector<float> a = random_images(g, 3, 21), b = a;
    opt.augment(a, 3, 99);
    augment_batch(b, 3, g, aug, 99);
    CHECK(a == b);
}

TEST_CASE("lfw_faces_sized: the real face set at 160x160x3", "[runtime][datasets][lfw]") {
    if (!std::filesystem::exists(default_lfw_path())) {
        WARN("not run: " << default_lfw_path() << " is missing (install Debian's python3-skimage)");
        return;
    }
    const dataset d = load_lfw_faces_sized();
    REQUIRE(d.size() == 200);
    CHECK(d.features == 160 * 160 * 3);
    CHECK(d.outputs == 1);
    CHECK(d.classes == std::vector<std::string>{"non-face", "face"});
    for (std::size_t i = 0; i < 200; ++i) CHECK(d.y[i] == (i < 100 ? 1.0f : 0.0f));
    const auto [lo, hi] = std::minmax_element(d.x.begin(), d.x.end());
    CHECK(*lo >= 0.0f);
    CHECK(*hi <= 1.0f);

    // Sample 150 (a non-face), output pixel (x = 101, y = 37): half-pixel centres, source
    // coordinate (i + 0.5) * 25 / 160 - 0.5, bilinear on skimage's float64 values.
    const npy_array raw = read_npy(default_lfw_path());
    const double sx = (101 + 0.5) * 25 / 160 - 0.5, sy = (37 + 0.5) * 25 / 160 - 0.5;
    const int x0 = int(sx), y0 = int(sy);
    const double fx = sx - x0, fy = sy - y0;
    auto src = [&](int y, int x) { return raw.values[150 * 625 + static_cast<std::size_t>(y * 25 + x)]; };
    const double expected = (1 - fy) * ((1 - fx) * src(y0, x0) + fx * src(y0, x0 + 1)) +
                            fy * ((1 - fx) * src(y0 + 1, x0) + fx * src(y0 + 1, x0 + 1));
    const float* sample = d.x.data() + 150 * d.features;
    for (int c = 0; c < 3; ++c) CHECK(sample[(37 * 160 + 101) * 3 + c] == Approx(expected).epsilon(1e-6));

    // The 64x64 loader is the same function at side 64; other sides are refused when <= 0.
    const dataset small = load_lfw_faces(), sized = load_lfw_faces_sized(64);
    CHECK(small.x == sized.x);
    CHECK(small.y == sized.y);
    CHECK_THAT(error_of([] { load_lfw_faces_sized(0); }), Catch::Contains("positive image side"));
}
