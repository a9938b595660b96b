// The Happy House stand-in against its documented recipe: sizes, balance, determinism and
// the draw order; and the label read back from the pixels alone - the mouth is found as
// what changes when it is painted in the skin's colour, and a parabola fitted to it must
// bend up exactly for the faces labelled happy.
#include <algorithm>
#include <cmath>
#include <span>

#include "runtime/datasets/cartoon_faces.hpp"
#include "runtime/datasets/lfw_faces.hpp"
#include "test_support.hpp"

using namespace kiln;
using kiln::test::error_of;

namespace {

constexpr std::size_t pixels_per_image = 64 * 64 * 3;

// The corners' rise (pixels, > 0 = corners up) of the stroke where images a and b differ:
// a weighted least-squares fit y = p + q x + r x^2 over the differing pixels' centres,
// weights = the summed channel difference; rise = -r * (half the stroke's x extent)^2.
double fitted_rise(const image_u8& a, const image_u8& b) {
    double s[5] = {}, t[3] = {};  // sums of w x^k (k = 0..4) and w y x^k (k = 0..2)
    double lo = 1e9, hi = -1e9, area = 0;
    for (int y = 0; y < 64; ++y)
        for (int x = 0; x < 64; ++x) {
            double w = 0;
            for (int c = 0; c < 3; ++c) {
                const std::size_t i = static_cast<std::size_t>((y * 64 + x) * 3 + c);
                w += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
            }
            if (w < 30) continue;  // anti-aliased rims and rounding: not the stroke
            area += 1;
            const double px = x + 0.5 - 32, py = y + 0.5;
            lo = std::min(lo, px);
            hi = std::max(hi, px);
            double xk = w;
            for (int k = 0; k < 5; ++k, xk *= px) {
                s[k] += xk;
                if (k < 3) t[k] += xk * py;
            }
        }
    REQUIRE(hi - lo > 6);  // a mouth was found
    // The stroke's ends are round caps half a thickness long; thickness ~ area / length.
    const double thickness = std::min(s[0] > 0 ? area / (hi - lo + 1) : 0.0, 4.0);
    // Solve the 3x3 normal equations [s0 s1 s2; s1 s2 s3; s2 s3 s4] (p q r) = t by Cramer.
    auto det = [](double a0, double a1, double a2, double b0, double b1, double b2, double c0, double c1,
                  double c2) { return a0 * (b1 * c2 - b2 * c1) - a1 * (b0 * c2 - b2 * c0) + a2 * (b0 * c1 - b1 * c0); };
    const double d = det(s[0], s[1], s[2], s[1], s[2], s[3], s[2], s[3], s[4]);
    const double r = det(s[0], s[1], t[0], s[1], s[2], t[1], s[2], s[3], t[2]) / d;
    const double half = (hi - lo + 1 - thickness) / 2;
    return -r * half * half;
}

image_u8 without_mouth(cartoon_face f) {
    f.lips = f.skin;
    return render_cartoon_face(f);
}

image_u8 image_at(const labelled_images& set, std::size_t i) {
    image_u8 img;
    img.width = img.height = 64;
    img.channels = 3;
    img.pixels.assign(set.pixels.begin() + static_cast<std::ptrdiff_t>(i * pixels_per_image),
                      set.pixels.begin() + static_cast<std::ptrdiff_t>((i + 1) * pixels_per_image));
    return img;
}

}  // namespace

TEST_CASE("cartoon faces: the course's 600 / 150 64x64x3 images, balanced, two classes",
          "[runtime][datasets][cartoon_faces]") {
    const cartoon_faces_data d = load_cartoon_faces();
    REQUIRE(d.train.size() == 600);
    REQUIRE(d.test.size() == 150);
    for (const labelled_images* set : {&d.train, &d.test}) {
        CHECK(set->width == 64);
        CHECK(set->height == 64);
        CHECK(set->channels == 3);
        CHECK(set->pixels.size() == set->size() * pixels_per_image);
        CHECK(set->classes == std::vector<std::string>{"not happy", "happy"});
        std::size_t happy = 0;
        for (int l : set->labels) {
            REQUIRE((l == 0 || l == 1));
            happy += static_cast<std::size_t>(l);
        }
        CHECK(happy == set->size() / 2);
        // Every image is a picture, not a flat or saturated field: its pixels spread widely.
        for (std::size_t i = 0; i < set->size(); ++i) {
            const auto px = std::span(set->pixels).subspan(i * pixels_per_image, pixels_per_image);
            double sum = 0, sum2 = 0;
            for (std::uint8_t v : px) {
                sum += v;
                sum2 += double(v) * v;
            }
            const double mean = sum / px.size(), sd = std::sqrt(sum2 / px.size() - mean * mean);
            INFO("image " << i << ": mean " << mean << ", sd " << sd);
            CHECK(mean > 25);
            CHECK(mean < 230);
            CHECK(sd > 15);
        }
    }
    // As a dataset: features / 255 in [0, 1], one 0/1 output.
    const dataset train = from_labelled_images(d.train);
    CHECK(train.features == pixels_per_image);
    CHECK(train.outputs == 1);
    const auto [lo, hi] = std::minmax_element(train.x.begin(), train.x.end());
    CHECK(*lo == 0.f);  // the noise reaches both ends of the range somewhere
    CHECK(*hi == 1.f);
}

TEST_CASE("cartoon faces: a seed gives the same images, another seed others",
          "[runtime][datasets][cartoon_faces]") {
    const cartoon_faces_options o{.train = 20, .test = 10, .seed = 5};
    const cartoon_faces_data a = load_cartoon_faces(o), b = load_cartoon_faces(o);
    CHECK(a.train.pixels == b.train.pixels);
    CHECK(a.train.labels == b.train.labels);
    CHECK(a.test.pixels == b.test.pixels);
    CHECK(a.test.labels == b.test.labels);
    cartoon_faces_options other = o;
    other.seed = 6;
    CHECK(load_cartoon_faces(other).train.pixels != a.train.pixels);
    // The test set is not a copy of the training set's first images.
    CHECK(!std::equal(a.test.pixels.begin(), a.test.pixels.end(), a.train.pixels.begin()));
}

TEST_CASE("cartoon faces: the images are the documented draw order's faces", "[runtime][datasets][cartoon_faces]") {
    const cartoon_faces_options o{.train = 9, .test = 6, .seed = 11};
    const cartoon_faces_data d = load_cartoon_faces(o);
    rng random(o.seed);
    for (const labelled_images* set : {&d.train, &d.test}) {
        std::vector<int> labels(set->size());
        for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int>(i % 2);
        random.shuffle(std::span<int>(labels));
        REQUIRE(labels == set->labels);
        for (std::size_t i = 0; i < set->size(); ++i)
            REQUIRE(render_cartoon_face(random_cartoon_face(random, labels[i], o)).pixels == image_at(*set, i).pixels);
    }
}

TEST_CASE("cartoon faces: the label is the mouth's bend, read back from the pixels",
          "[runtime][datasets][cartoon_faces]") {
    const cartoon_faces_options o;  // smiles rise 2.5-6 px; the rest are flat or frown
    const double threshold = o.min_smile_bend / 2;
    rng random(3);
    for (int i = 0; i < 200; ++i) {
        const int label = i % 2;
        const cartoon_face f = random_cartoon_face(random, label, o);
        const double rise = fitted_rise(render_cartoon_face(f), without_mouth(f));
        INFO("face " << i << ", label " << label << ": fitted corner rise " << rise << " px");
        if (label == 1) CHECK(rise > threshold);
        else CHECK(rise < threshold);
    }
    // A face with a known mouth, upright: the fit recovers the bend it was drawn with (within
    // 25%: the round caps and the rough thickness estimate make it read a little flat).
    for (const double bend : {-6.0, -3.0, 0.0, 2.5, 6.0}) {
        cartoon_face f = random_cartoon_face(random, 1, o);
        f.tilt = 0;
        f.mouth_bend = bend;
        INFO("bend " << bend);
        CHECK(fitted_rise(render_cartoon_face(f), without_mouth(f)) == Approx(bend).epsilon(0.25).margin(0.3));
        CHECK(cartoon_face_label(f) == (bend > 0 ? 1 : 0));
    }
}

TEST_CASE("cartoon faces: bad options and labels are refused with the range expected",
          "[runtime][datasets][cartoon_faces]") {
    CHECK_THAT(error_of([] { load_cartoon_faces({.min_smile_bend = 0}); }),
               Catch::Contains("expected 0 < min_smile_bend <= max_bend"));
    CHECK_THAT(error_of([] { load_cartoon_faces({.min_smile_bend = 6, .max_bend = 5}); }),
               Catch::Contains("min_smile_bend = 6"));
    rng random(1);
    CHECK_THAT(error_of([&] { random_cartoon_face(random, 2); }), Catch::Contains("expected 0 (not happy) or 1"));
}
