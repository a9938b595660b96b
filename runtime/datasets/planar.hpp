#pragma once
/*  The course's planar "flower" set (C1W3 load_planar_dataset), ported to C++.
    WHAT IT MAKES  m points in 2-D, m/2 per class. For class j in {0, 1}, point k of N = m/2:
                     t = linspace(j*3.12, (j+1)*3.12, N)[k] + 0.2 * randn      (angle)
                     r = a * sin(4 t) + 0.2 * randn                            (a = 4, max ray)
                     x = (r sin t, r cos t),  label j
                   Same recipe as the course; the numbers differ from NumPy's (seed 1 there),
                   but a seed here gives the same set with every compiler and library
                   (kiln::rng: mt19937_64 + Box-Muller). The course draws all N angle noises
                   of a class, then all N radius noises; so does this port.
    GIVES          kiln::dataset: features = 2 (x1, x2), outputs = 1 (0/1), classes
                   {"red", "blue"} as the course's colours; samples class 0 first.          */
#include <cstddef>
#include <cstdint>

#include "runtime/dataset.hpp"

namespace kiln {

struct planar_options {
    std::size_t m = 400;     // total points; must be even
    double max_ray = 4.0;    // a
    double noise = 0.2;      // standard deviation of both noises
    std::uint64_t seed = 1;
};

dataset load_planar_dataset(const planar_options& options = {});

}  // namespace kiln
