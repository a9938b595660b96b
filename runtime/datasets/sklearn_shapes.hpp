#pragma once
/*  scikit-learn's make_circles and make_moons, ported to C++ (the course's C2W1 / C2W2 toys).
    WHAT IT MAKES  n points in 2-D: n_out = n / 2 (floor) of class 0, n_in = n - n_out of
                   class 1, then shuffled, then N(0, noise^2) added to every coordinate -
                   the same steps, in the same order, as scikit-learn 1.2.
      circles      class 0: (cos t, sin t),           t = linspace(0, 2 pi, n_out, no endpoint)
                   class 1: factor * (cos t, sin t),  t = linspace(0, 2 pi, n_in, no endpoint)
      moons        class 0: (cos t, sin t),           t = linspace(0, pi, n_out)  (endpoints)
                   class 1: (1 - cos t, 0.5 - sin t), t = linspace(0, pi, n_in)
                   The course calls make_circles(300, noise=.05) / (100, noise=.05) for C2W1's
                   initialisation notebook and make_moons(300, noise=.2) for C2W2.
    REPRODUCIBLE   kiln::rng: shuffle (Fisher-Yates) with the seed, then the noises in sample
                   order (x1, x2 of sample 0, then sample 1 ...). The numbers differ from
                   NumPy's for the same seed; the noise-free point sets are equal to sklearn's.
    GIVES          kiln::dataset: features = 2 (x1, x2), outputs = 1 (0/1), classes
                   {"outer", "inner"} (circles) / {"upper", "lower"} (moons).
    REQUIRES       n >= 2 (one point per class); noise >= 0; circles: 0 <= factor < 1.
                   Violations throw kiln::error.                                          */
#include <cstddef>
#include <cstdint>

#include "runtime/dataset.hpp"

namespace kiln {

struct circles_options {
    std::size_t n_samples = 100;
    double noise = 0.0;   // standard deviation of the gaussian added to each coordinate
    double factor = 0.8;  // inner radius / outer radius
    std::uint64_t seed = 1;
};

struct moons_options {
    std::size_t n_samples = 100;
    double noise = 0.0;
    std::uint64_t seed = 1;
};

dataset make_circles(const circles_options& options = {});
dataset make_moons(const moons_options& options = {});

}  // namespace kiln
