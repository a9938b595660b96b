#include "runtime/datasets/planar.hpp"

#include <cmath>
#include <vector>

#include "runtime/error.hpp"
#include "runtime/random.hpp"

namespace kiln {

dataset load_planar_dataset(const planar_options& options) {
    if (options.m == 0 || options.m % 2 != 0)
        throw error("load_planar_dataset: m = " + std::to_string(options.m) +
                    "; expected a positive even number (m/2 points per class)");
    const std::size_t n = options.m / 2;
    rng random(options.seed);
    dataset out;
    out.features = 2;
    out.outputs = 1;
    out.classes = {"red", "blue"};
    out.x.reserve(options.m * 2);
    out.y.reserve(options.m);
    std::vector<double> t(n), r(n);
    for (int j = 0; j < 2; ++j) {
        const double start = j * 3.12, stop = (j + 1) * 3.12;
        for (std::size_t k = 0; k < n; ++k) {
            const double linspace = n == 1 ? start : start + (stop - start) * k / (n - 1);
            t[k] = linspace + random.normal() * options.noise;
        }
        for (std::size_t k = 0; k < n; ++k)
            r[k] = options.max_ray * std::sin(4 * t[k]) + random.normal() * options.noise;
        for (std::size_t k = 0; k < n; ++k) {
            out.x.push_back(static_cast<float>(r[k] * std::sin(t[k])));
            out.x.push_back(static_cast<float>(r[k] * std::cos(t[k])));
            out.y.push_back(static_cast<float>(j));
        }
    }
    return out;
}

}  // namespace kiln
