#include "runtime/random.hpp"

#include <cmath>
#include <numbers>

#include "runtime/error.hpp"

namespace kiln {

std::uint64_t rng::below(std::uint64_t n) {
    if (n == 0) throw error("kiln::rng::below: expected a positive bound, got 0");
    // Reject the lowest (2^64 mod n) values so every residue is equally likely.
    const std::uint64_t threshold = (0 - n) % n;
    for (;;) {
        const std::uint64_t r = engine_();
        if (r >= threshold) return r % n;
    }
}

double rng::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double rng::normal() {
    if (has_cached_normal_) {
        has_cached_normal_ = false;
        return cached_normal_;
    }
    const double u1 = 1.0 - uniform();  // (0, 1]: log stays finite
    const double u2 = uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    cached_normal_ = radius * std::sin(angle);
    has_cached_normal_ = true;
    return radius * std::cos(angle);
}

}  // namespace kiln
