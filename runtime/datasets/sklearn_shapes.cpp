#include "runtime/datasets/sklearn_shapes.hpp"

#include <cmath>
#include <numbers>
#include <numeric>
#include <string>
#include <vector>

#include "runtime/error.hpp"
#include "runtime/random.hpp"

namespace kiln {
namespace {

struct point {
    double x1, x2;
    float label;
};

void check_common(const char* who, std::size_t n, double noise) {
    if (n < 2)
        throw error(std::string(who) + ": n_samples = " + std::to_string(n) +
                    "; expected at least 2 (one point per class)");
    if (!(noise >= 0.0) || !std::isfinite(noise))
        throw error(std::string(who) + ": noise = " + std::to_string(noise) +
                    "; expected a finite standard deviation >= 0");
}

// numpy.linspace(start, stop, count, endpoint): start + k * step, step = span / (count - 1)
// with the endpoint, span / count without.
double linspace(double start, double stop, std::size_t count, std::size_t k, bool endpoint) {
    const std::size_t divisions = endpoint ? count - 1 : count;
    if (divisions == 0) return start;
    return start + (stop - start) * static_cast<double>(k) / static_cast<double>(divisions);
}

// Shuffle, then add the noise in sample order: the order of sklearn's steps.
dataset finish(std::vector<point> points, double noise, std::uint64_t seed,
               std::vector<std::string> classes) {
    rng random(seed);
    std::vector<std::size_t> order(points.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    random.shuffle(std::span<std::size_t>(order));
    dataset out;
    out.features = 2;
    out.outputs = 1;
    out.classes = std::move(classes);
    out.x.reserve(points.size() * 2);
    out.y.reserve(points.size());
    for (const std::size_t i : order) {
        const double x1 = points[i].x1 + (noise > 0 ? random.normal() * noise : 0.0);
        const double x2 = points[i].x2 + (noise > 0 ? random.normal() * noise : 0.0);
        out.x.push_back(static_cast<float>(x1));
        out.x.push_back(static_cast<float>(x2));
        out.y.push_back(points[i].label);
    }
    return out;
}

}  // namespace

dataset make_circles(const circles_options& options) {
    check_common("make_circles", options.n_samples, options.noise);
    if (!(options.factor >= 0.0 && options.factor < 1.0))
        throw error("make_circles: factor = " + std::to_string(options.factor) +
                    "; expected 0 <= factor < 1 (the inner circle's radius, outer = 1)");
    const std::size_t n_out = options.n_samples / 2, n_in = options.n_samples - n_out;
    const double two_pi = 2 * std::numbers::pi;
    std::vector<point> points;
    points.reserve(options.n_samples);
    for (std::size_t k = 0; k < n_out; ++k) {
        const double t = linspace(0, two_pi, n_out, k, false);
        points.push_back({std::cos(t), std::sin(t), 0.0f});
    }
    for (std::size_t k = 0; k < n_in; ++k) {
        const double t = linspace(0, two_pi, n_in, k, false);
        points.push_back({options.factor * std::cos(t), options.factor * std::sin(t), 1.0f});
    }
    return finish(std::move(points), options.noise, options.seed, {"outer", "inner"});
}

dataset make_moons(const moons_options& options) {
    check_common("make_moons", options.n_samples, options.noise);
    const std::size_t n_out = options.n_samples / 2, n_in = options.n_samples - n_out;
    std::vector<point> points;
    points.reserve(options.n_samples);
    for (std::size_t k = 0; k < n_out; ++k) {
        const double t = linspace(0, std::numbers::pi, n_out, k, true);
        points.push_back({std::cos(t), std::sin(t), 0.0f});
    }
    for (std::size_t k = 0; k < n_in; ++k) {
        const double t = linspace(0, std::numbers::pi, n_in, k, true);
        points.push_back({1 - std::cos(t), 1 - std::sin(t) - 0.5, 1.0f});
    }
    return finish(std::move(points), options.noise, options.seed, {"upper", "lower"});
}

}  // namespace kiln
