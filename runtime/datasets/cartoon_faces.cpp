#include "runtime/datasets/cartoon_faces.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <span>
#include <string>

#include "runtime/error.hpp"

namespace kiln {
namespace {

constexpr int side = cartoon_face_side;
constexpr double pi = std::numbers::pi;
using rgb = cartoon_face::rgb;

struct point {
    double x, y;
};

point rotate(point p, double angle) {
    const double c = std::cos(angle), s = std::sin(angle);
    return {c * p.x - s * p.y, s * p.x + c * p.y};
}

double segment_distance(point p, point a, point b) {
    const double dx = b.x - a.x, dy = b.y - a.y;
    const double len2 = dx * dx + dy * dy;
    const double t = len2 > 0 ? std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / len2, 0.0, 1.0) : 0.0;
    return std::hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

// A float RGB picture that shapes are painted onto, each by its coverage of every pixel.
class canvas {
public:
    void fill(const rgb& top, const rgb& bottom) {
        for (int y = 0; y < side; ++y) {
            const float t = (y + 0.5f) / side;
            for (int x = 0; x < side; ++x)
                at(x, y) = {top.r + t * (bottom.r - top.r), top.g + t * (bottom.g - top.g),
                            top.b + t * (bottom.b - top.b)};
        }
    }

    // Paints `colour` where the signed distance `d(pixel centre)` is negative, anti-aliased
    // over one pixel; only pixels within `reach` of `centre` are visited.
    template <class Distance>
    void paint(point centre, double reach, const rgb& colour, const Distance& d) {
        const int x0 = std::max(0, static_cast<int>(std::floor(centre.x - reach - 1)));
        const int x1 = std::min(side - 1, static_cast<int>(std::ceil(centre.x + reach + 1)));
        const int y0 = std::max(0, static_cast<int>(std::floor(centre.y - reach - 1)));
        const int y1 = std::min(side - 1, static_cast<int>(std::ceil(centre.y + reach + 1)));
        for (int y = y0; y <= y1; ++y)
            for (int x = x0; x <= x1; ++x) {
                const float a = static_cast<float>(std::clamp(0.5 - d(point{x + 0.5, y + 0.5}), 0.0, 1.0));
                if (a == 0) continue;
                rgb& c = at(x, y);
                c = {c.r + a * (colour.r - c.r), c.g + a * (colour.g - c.g), c.b + a * (colour.b - c.b)};
            }
    }

    void ellipse(point c, double a, double b, double angle, const rgb& colour) {
        paint(c, std::max(a, b), colour, [&](point p) {
            const point q = rotate({p.x - c.x, p.y - c.y}, -angle);
            // first-order distance to the edge: f / |grad f|, f = (u/a)^2 + (v/b)^2 - 1
            const double f = q.x * q.x / (a * a) + q.y * q.y / (b * b) - 1;
            const double g = 2 * std::hypot(q.x / (a * a), q.y / (b * b));
            return g > 1e-9 ? f / g : -std::min(a, b);
        });
    }

    void rectangle(point c, double w, double h, double angle, const rgb& colour) {
        paint(c, std::hypot(w, h), colour, [&](point p) {
            const point q = rotate({p.x - c.x, p.y - c.y}, -angle);
            const double dx = std::abs(q.x) - w, dy = std::abs(q.y) - h;
            return std::hypot(std::max(dx, 0.0), std::max(dy, 0.0)) + std::min(std::max(dx, dy), 0.0);
        });
    }

    // A stroke of `thickness` along the polyline `pts`.
    void stroke(std::span<const point> pts, double thickness, const rgb& colour) {
        point lo = pts[0], hi = pts[0];
        for (const point& p : pts) {
            lo = {std::min(lo.x, p.x), std::min(lo.y, p.y)};
            hi = {std::max(hi.x, p.x), std::max(hi.y, p.y)};
        }
        const point c{(lo.x + hi.x) / 2, (lo.y + hi.y) / 2};
        paint(c, std::max(hi.x - lo.x, hi.y - lo.y) / 2 + thickness, colour, [&](point p) {
            double d = 1e9;
            for (std::size_t i = 1; i < pts.size(); ++i) d = std::min(d, segment_distance(p, pts[i - 1], pts[i]));
            return d - thickness / 2;
        });
    }

    rgb& at(int x, int y) { return pixels_[static_cast<std::size_t>(y * side + x)]; }

private:
    std::array<rgb, side * side> pixels_{};
};

// v(u) = -bend (u / half_width)^2 for |u| <= half_width, in a frame centred at `middle` and
// rotated by `angle`: the mouth's curve (and the arcs of eyebrows and clutter).
std::array<point, 25> arc_points(point middle, double half_width, double bend, double angle) {
    std::array<point, 25> pts;
    for (std::size_t i = 0; i < pts.size(); ++i) {
        const double t = -1 + 2.0 * static_cast<double>(i) / (pts.size() - 1);
        const point q = rotate({t * half_width, -bend * t * t}, angle);
        pts[i] = {middle.x + q.x, middle.y + q.y};
    }
    return pts;
}

rgb scaled(const rgb& c, double k) {
    const auto f = static_cast<float>(k);
    return {c.r * f, c.g * f, c.b * f};
}

rgb random_colour(rng& random) {
    return {static_cast<float>(255 * random.uniform()), static_cast<float>(255 * random.uniform()),
            static_cast<float>(255 * random.uniform())};
}

// Cartoon skin tones, light to dark, and a smiley yellow.
constexpr std::array<rgb, 9> skin_tones{{{255, 224, 189},
                                         {255, 205, 148},
                                         {241, 194, 125},
                                         {234, 192, 134},
                                         {224, 172, 105},
                                         {198, 134, 66},
                                         {141, 85, 36},
                                         {92, 58, 40},
                                         {250, 215, 60}}};

}  // namespace

cartoon_face random_cartoon_face(rng& random, int label, const cartoon_faces_options& o) {
    if (label != 0 && label != 1)
        throw error("random_cartoon_face: label " + std::to_string(label) + "; expected 0 (not happy) or 1 (happy)");
    auto u = [&](double lo, double hi) { return lo + (hi - lo) * random.uniform(); };
    auto jitter = [&](rgb c, double amount) {
        auto j = [&](float v) { return static_cast<float>(std::clamp(v + u(-amount, amount), 0.0, 255.0)); };
        return rgb{j(c.r), j(c.g), j(c.b)};
    };
    cartoon_face f;
    f.background_top = random_colour(random);
    f.background_bottom = random_colour(random);
    const std::size_t clutter = random.below(4);
    for (std::size_t i = 0; i < clutter; ++i) {
        cartoon_face::shape s;
        s.kind = static_cast<cartoon_face::shape::kind_t>(random.below(3));
        s.x = u(0, side);
        s.y = u(0, side);
        s.angle = u(-pi, pi);
        if (s.kind == cartoon_face::shape::arc) {
            s.w = u(3, 10);
            s.h = u(-5, 5);
            s.thickness = u(1.5, 3);
        } else {
            s.w = u(3, 14);
            s.h = u(3, 14);
        }
        s.colour = random_colour(random);
        f.clutter.push_back(s);
    }

    f.cx = side / 2.0 + u(-3, 3);
    f.cy = side / 2.0 + u(-3, 3);
    f.rx = u(16, 20);
    f.ry = f.rx * u(1.05, 1.25);
    f.tilt = u(-0.12, 0.12);
    f.skin = jitter(skin_tones[random.below(skin_tones.size())], 12);
    f.has_hair = random.uniform() < 0.7;
    f.hair = jitter(rgb{60, 40, 25}, 50);
    f.eye_dx = f.rx * u(0.3, 0.45);
    f.eye_dy = -f.ry * u(0.15, 0.35);
    f.eye_r = u(1.8, 3.2);
    f.brow_rise = f.eye_r + u(2, 4);
    f.brow_half_width = f.eye_r * u(1.2, 2);
    f.brow_bend = u(-2, 2);
    f.nose_length = u(2, 5);

    f.mouth_dx = f.rx * u(-0.06, 0.06);
    f.mouth_dy = f.ry * u(0.42, 0.52);
    f.mouth_half_width = f.rx * u(0.4, 0.6);
    f.mouth_thickness = u(3, 4);
    f.mouth_bend = label == 1 ? u(o.min_smile_bend, o.max_bend) : -u(0, o.max_bend);
    // Lips: the skin darkened to 25-45%, plus up to 50 of red.
    const double dark = u(0.25, 0.45), red = u(0, 50);
    f.lips = jitter(rgb{static_cast<float>(dark * f.skin.r + red), static_cast<float>(dark * f.skin.g),
                        static_cast<float>(dark * f.skin.b)},
                    8);

    f.light = u(0.75, 1.15);
    const double gradient = u(0, 0.25), direction = u(-pi, pi);
    f.light_gx = gradient * std::cos(direction);
    f.light_gy = gradient * std::sin(direction);
    f.noise_sigma = u(2, 8);
    f.noise_seed = random.next();
    return f;
}

image_u8 render_cartoon_face(const cartoon_face& f) {
    canvas c;
    c.fill(f.background_top, f.background_bottom);
    for (const cartoon_face::shape& s : f.clutter) {
        switch (s.kind) {
            case cartoon_face::shape::ellipse: c.ellipse({s.x, s.y}, s.w, s.h, s.angle, s.colour); break;
            case cartoon_face::shape::rectangle: c.rectangle({s.x, s.y}, s.w, s.h, s.angle, s.colour); break;
            case cartoon_face::shape::arc: c.stroke(arc_points({s.x, s.y}, s.w, s.h, s.angle), s.thickness, s.colour); break;
        }
    }
    // Face parts are placed in the face's frame: (u, v) -> centre + rotate((u, v), tilt).
    const point centre{f.cx, f.cy};
    auto at = [&](double u, double v) {
        const point q = rotate({u, v}, f.tilt);
        return point{centre.x + q.x, centre.y + q.y};
    };
    if (f.has_hair) c.ellipse(at(0, -0.25 * f.ry), 1.1 * f.rx, 0.9 * f.ry, f.tilt, f.hair);
    c.ellipse(centre, f.rx, f.ry, f.tilt, f.skin);
    for (double sx : {-1.0, 1.0}) {
        c.ellipse(at(sx * f.eye_dx, f.eye_dy), 1.7 * f.eye_r, 1.2 * f.eye_r, f.tilt, {245, 245, 245});
        c.ellipse(at(sx * f.eye_dx, f.eye_dy), f.eye_r, f.eye_r, f.tilt, {25, 20, 20});
        c.stroke(arc_points(at(sx * f.eye_dx, f.eye_dy - f.brow_rise), f.brow_half_width, f.brow_bend, f.tilt), 1.3,
                 scaled(f.hair, 0.8));
    }
    const std::array<point, 2> nose{at(0, 0), at(0, f.nose_length)};
    c.stroke(nose, 1.2, scaled(f.skin, 0.75));
    c.stroke(arc_points(at(f.mouth_dx, f.mouth_dy), f.mouth_half_width, f.mouth_bend, f.tilt), f.mouth_thickness,
             f.lips);

    image_u8 out;
    out.width = out.height = side;
    out.channels = 3;
    out.pixels.resize(side * side * 3);
    rng noise(f.noise_seed);
    for (int y = 0; y < side; ++y)
        for (int x = 0; x < side; ++x) {
            const double light =
                f.light * (1 + f.light_gx * (x + 0.5 - side / 2.0) / (side / 2.0) +
                           f.light_gy * (y + 0.5 - side / 2.0) / (side / 2.0));
            const rgb& p = c.at(x, y);
            const std::size_t i = static_cast<std::size_t>(y * side + x) * 3;
            const float channels[3] = {p.r, p.g, p.b};
            for (std::size_t k = 0; k < 3; ++k) {
                const double v = channels[k] * light + f.noise_sigma * noise.normal();
                out.pixels[i + k] = static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0, 255.0)));
            }
        }
    return out;
}

namespace {

labelled_images make_set(std::size_t n, rng& random, const cartoon_faces_options& o) {
    labelled_images out;
    out.width = out.height = side;
    out.channels = 3;
    out.classes = {"not happy", "happy"};
    out.labels.resize(n);
    for (std::size_t i = 0; i < n; ++i) out.labels[i] = static_cast<int>(i % 2);
    random.shuffle(std::span<int>(out.labels));
    out.pixels.reserve(n * side * side * 3);
    for (int label : out.labels) {
        const image_u8 img = render_cartoon_face(random_cartoon_face(random, label, o));
        out.pixels.insert(out.pixels.end(), img.pixels.begin(), img.pixels.end());
    }
    return out;
}

}  // namespace

cartoon_faces_data load_cartoon_faces(const cartoon_faces_options& o) {
    if (!(o.min_smile_bend > 0 && o.min_smile_bend <= o.max_bend && std::isfinite(o.max_bend)))
        throw error("load_cartoon_faces: min_smile_bend = " + std::to_string(o.min_smile_bend) +
                    ", max_bend = " + std::to_string(o.max_bend) +
                    "; expected 0 < min_smile_bend <= max_bend (pixels; defaults 2.5 and 6)");
    rng random(o.seed);
    cartoon_faces_data out;
    out.train = make_set(o.train, random, o);
    out.test = make_set(o.test, random, o);
    return out;
}

}  // namespace kiln
