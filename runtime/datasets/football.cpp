#include "runtime/datasets/football.hpp"

#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "runtime/error.hpp"
#include "runtime/random.hpp"

namespace kiln {
namespace {

constexpr double x1_low = -0.75, x1_high = 0.45, x2_low = -0.8, x2_high = 0.8;

// Flips exactly min(count, candidates) labels among `candidates`, chosen with `random`.
void flip_some(std::vector<std::size_t> candidates, std::size_t count, rng& random,
               std::vector<float>& y) {
    random.shuffle(std::span<std::size_t>(candidates));
    for (std::size_t i = 0; i < count && i < candidates.size(); ++i)
        y[candidates[i]] = 1.0f - y[candidates[i]];
}

dataset make_field(std::size_t n, const football_options& options, rng& random) {
    dataset out;
    out.features = 2;
    out.outputs = 1;
    out.classes = {"other team", "France"};
    out.x.resize(n * 2);
    out.y.resize(n);
    std::vector<std::size_t> near, far;
    for (std::size_t i = 0; i < n; ++i) {
        const double x1 = x1_low + (x1_high - x1_low) * random.uniform();
        const double x2 = x2_low + (x2_high - x2_low) * random.uniform();
        // Store as float first, so the true label is that of the stored point.
        out.x[2 * i] = static_cast<float>(x1);
        out.x[2 * i + 1] = static_cast<float>(x2);
        const double d = double(out.x[2 * i]) - football_boundary(double(out.x[2 * i + 1]));
        out.y[i] = d > 0 ? 1.0f : 0.0f;
        if (std::abs(d) < options.band) near.push_back(i);
        if (std::abs(d) >= 2 * options.band) far.push_back(i);
    }
    const auto count = [n](double fraction) {
        return static_cast<std::size_t>(std::llround(fraction * static_cast<double>(n)));
    };
    flip_some(std::move(near), count(options.near_noise), random, out.y);
    flip_some(std::move(far), count(options.isolated_noise), random, out.y);
    return out;
}

void check_fraction(const char* name, double value) {
    if (!(value >= 0.0 && value <= 1.0))
        throw error(std::string("load_football: ") + name + " = " + std::to_string(value) +
                    "; expected a fraction of the points in [0, 1]");
}

}  // namespace

double football_boundary(double x2) {
    return -0.15 + 0.12 * std::sin(4 * x2 + 0.5) + 0.05 * std::sin(11 * x2 + 1);
}

int football_true_label(double x1, double x2) { return x1 > football_boundary(x2) ? 1 : 0; }

football_data load_football(const football_options& options) {
    check_fraction("near_noise", options.near_noise);
    check_fraction("isolated_noise", options.isolated_noise);
    if (!(options.band > 0.0) || !std::isfinite(options.band))
        throw error("load_football: band = " + std::to_string(options.band) +
                    "; expected a positive width in x1 units (default 0.1)");
    rng random(options.seed);
    football_data out;
    out.train = make_field(options.train, options, random);
    out.test = make_field(options.test, options, random);
    return out;
}

}  // namespace kiln
