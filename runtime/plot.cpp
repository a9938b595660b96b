#include "runtime/plot.hpp"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "runtime/error.hpp"

namespace kiln {
namespace fs = std::filesystem;

namespace {

constexpr int width = 640, height = 480;
constexpr double left = 80, right = 30, top = 50, bottom = 70;  // plot frame margins

struct rgb {
    double r, g, b;
};
constexpr rgb region_colour[2] = {{0.97, 0.78, 0.74}, {0.74, 0.83, 0.96}};
constexpr rgb point_colour[2] = {{0.84, 0.19, 0.15}, {0.17, 0.35, 0.70}};

// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `target` ticks.
double tick_step(double span, int target = 6) {
    const double raw = span / target;
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0})
        if (raw <= m * power) return m * power;
    return 10 * power;
}

std::string tick_label(double v, double step) {
    const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, std::abs(v) < step * 1e-6 ? 0.0 : v);
    return buf;
}

// One figure: a white canvas, a frame mapping data ranges to pixels, and the axes.
class figure {
public:
    figure(double x0, double x1, double y0, double y1) : x0_(x0), x1_(x1), y0_(y0), y1_(y1) {
        surface_ = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
        cr_ = cairo_create(surface_);
        cairo_set_source_rgb(cr_, 1, 1, 1);
        cairo_paint(cr_);
        cairo_select_font_face(cr_, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                               CAIRO_FONT_WEIGHT_NORMAL);
    }
    ~figure() {
        cairo_destroy(cr_);
        cairo_surface_destroy(surface_);
    }
    figure(const figure&) = delete;
    figure& operator=(const figure&) = delete;

    cairo_t* cr() const { return cr_; }
    double px(double x) const { return left + (x - x0_) / (x1_ - x0_) * (width - left - right); }
    double py(double y) const { return height - bottom - (y - y0_) / (y1_ - y0_) * (height - top - bottom); }
    double frame_width() const { return width - left - right; }
    double frame_height() const { return height - top - bottom; }

    void axes(std::string_view title, std::string_view xlabel, std::string_view ylabel) {
        cairo_set_source_rgb(cr_, 0, 0, 0);
        cairo_set_line_width(cr_, 1);
        cairo_rectangle(cr_, left + 0.5, top + 0.5, frame_width(), frame_height());
        cairo_stroke(cr_);
        cairo_set_font_size(cr_, 11);
        const double xs = tick_step(x1_ - x0_), ys = tick_step(y1_ - y0_);
        for (double v = std::ceil(x0_ / xs) * xs; v <= x1_ + xs * 1e-9; v += xs) {
            const double p = std::round(px(v)) + 0.5;
            line(p, height - bottom, p, height - bottom + 5);
            text(tick_label(v, xs), p, height - bottom + 18, 0.5);
        }
        for (double v = std::ceil(y0_ / ys) * ys; v <= y1_ + ys * 1e-9; v += ys) {
            const double p = std::round(py(v)) + 0.5;
            line(left - 5, p, left, p);
            text(tick_label(v, ys), left - 8, p + 4, 1.0);
        }
        cairo_set_font_size(cr_, 13);
        text(xlabel, left + frame_width() / 2, height - 25, 0.5);
        cairo_save(cr_);
        cairo_translate(cr_, 22, top + frame_height() / 2);
        cairo_rotate(cr_, -std::numbers::pi / 2);
        text(ylabel, 0, 0, 0.5);
        cairo_restore(cr_);
        cairo_set_font_size(cr_, 15);
        text(title, width / 2.0, top - 18, 0.5);
    }

    void save(const fs::path& path) {
        cairo_surface_flush(surface_);
        const cairo_status_t status = cairo_surface_write_to_png(surface_, path.c_str());
        if (status != CAIRO_STATUS_SUCCESS)
            throw error("cannot write plot '" + path.string() + "': " +
                        cairo_status_to_string(status) +
                        "; check that the directory exists and is writable");
    }

private:
    void line(double ax, double ay, double bx, double by) {
        cairo_move_to(cr_, ax, ay);
        cairo_line_to(cr_, bx, by);
        cairo_stroke(cr_);
    }
    // Draws s with its baseline at y; `align` 0 = left, 0.5 = centred, 1 = right of x.
    void text(std::string_view s, double x, double y, double align) {
        const std::string str(s);
        cairo_text_extents_t ext;
        cairo_text_extents(cr_, str.c_str(), &ext);
        cairo_move_to(cr_, x - align * ext.x_advance, y);
        cairo_show_text(cr_, str.c_str());
    }

    double x0_, x1_, y0_, y1_;
    cairo_surface_t* surface_;
    cairo_t* cr_;
};

}  // namespace

void plot_curve(const fs::path& path, std::span<const float> ys, double x_step,
                std::string_view title, std::string_view xlabel, std::string_view ylabel) {
    if (ys.empty()) throw error("plot_curve '" + path.string() + "': no values to plot");
    if (!(x_step > 0)) throw error("plot_curve '" + path.string() + "': x_step must be > 0");
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (float v : ys)
        if (std::isfinite(v)) lo = std::min<double>(lo, v), hi = std::max<double>(hi, v);
    if (lo > hi) lo = 0, hi = 1;  // nothing finite: still draw the (empty) axes
    if (hi - lo < 1e-12) lo -= 1, hi += 1;
    const double pad = 0.05 * (hi - lo);
    const double x_max = std::max(1.0, static_cast<double>(ys.size() - 1)) * x_step;
    figure fig(0, x_max, lo - pad, hi + pad);
    fig.axes(title, xlabel, ylabel);

    cairo_t* cr = fig.cr();
    cairo_set_source_rgb(cr, 0.12, 0.47, 0.71);
    cairo_set_line_width(cr, 2);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    bool pen_down = false;
    for (std::size_t i = 0; i < ys.size(); ++i) {
        if (!std::isfinite(ys[i])) {
            pen_down = false;
            continue;
        }
        const double x = fig.px(static_cast<double>(i) * x_step), y = fig.py(ys[i]);
        if (pen_down) cairo_line_to(cr, x, y);
        else cairo_move_to(cr, x, y);
        pen_down = true;
    }
    cairo_stroke(cr);
    if (ys.size() == 1 && std::isfinite(ys[0])) {
        cairo_arc(cr, fig.px(0), fig.py(ys[0]), 3, 0, 2 * std::numbers::pi);
        cairo_fill(cr);
    }
    fig.save(path);
}

void plot_decision_boundary(const fs::path& path, std::function<float(float, float)> prob,
                            std::span<const float> xy, std::span<const float> labels,
                            std::string_view title) {
    const std::string where = "plot_decision_boundary '" + path.string() + "': ";
    if (labels.empty() || xy.size() != 2 * labels.size())
        throw error(where + "got " + std::to_string(xy.size()) + " coordinates for " +
                    std::to_string(labels.size()) + " labels; expected 2 per point, > 0 points");
    if (!prob) throw error(where + "no probability function given");
    double x0 = xy[0], x1 = xy[0], y0 = xy[1], y1 = xy[1];
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (!std::isfinite(xy[2 * i]) || !std::isfinite(xy[2 * i + 1]))
            throw error(where + "point " + std::to_string(i) + " is not finite");
        x0 = std::min<double>(x0, xy[2 * i]), x1 = std::max<double>(x1, xy[2 * i]);
        y0 = std::min<double>(y0, xy[2 * i + 1]), y1 = std::max<double>(y1, xy[2 * i + 1]);
    }
    x0 -= 1, x1 += 1, y0 -= 1, y1 += 1;
    figure fig(x0, x1, y0, y1);
    cairo_t* cr = fig.cr();

    // Regions: paint class 0 everywhere, then every class-1 run of grid cells as one path,
    // filled once, so neighbouring cells leave no antialiasing seams.
    constexpr int grid = 300;
    const double dx = (x1 - x0) / grid, dy = (y1 - y0) / grid;
    cairo_rectangle(cr, fig.px(x0), fig.py(y1), fig.frame_width(), fig.frame_height());
    cairo_set_source_rgb(cr, region_colour[0].r, region_colour[0].g, region_colour[0].b);
    cairo_fill(cr);
    for (int j = 0; j < grid; ++j) {
        const double yc = y0 + (j + 0.5) * dy;
        int run_start = -1;
        for (int i = 0; i <= grid; ++i) {
            const bool one =
                i < grid && prob(static_cast<float>(x0 + (i + 0.5) * dx), static_cast<float>(yc)) > 0.5f;
            if (one && run_start < 0) run_start = i;
            if (!one && run_start >= 0) {
                const double ax = fig.px(x0 + run_start * dx), bx = fig.px(x0 + i * dx);
                const double ay = fig.py(y0 + (j + 1) * dy), by = fig.py(y0 + j * dy);
                cairo_rectangle(cr, ax, ay, bx - ax, by - ay);
                run_start = -1;
            }
        }
    }
    cairo_set_source_rgb(cr, region_colour[1].r, region_colour[1].g, region_colour[1].b);
    cairo_fill(cr);

    cairo_set_line_width(cr, 0.6);
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const rgb& c = point_colour[labels[i] > 0.5f ? 1 : 0];
        cairo_arc(cr, fig.px(xy[2 * i]), fig.py(xy[2 * i + 1]), 3.5, 0, 2 * std::numbers::pi);
        cairo_set_source_rgb(cr, c.r, c.g, c.b);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_stroke(cr);
    }
    fig.axes(title, "x1", "x2");
    fig.save(path);
}

}  // namespace kiln
