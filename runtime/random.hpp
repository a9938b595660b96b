#pragma once
/*  kiln::rng: the one seeded random stream of the runtime (shuffles, splits, synthetic data).
    WHAT IT REPRESENTS  std::mt19937_64 plus distributions written here, so that a seed gives
                        the same numbers with every standard library: the standard fixes the
                        engine's output but not uniform_int_distribution, normal_distribution
                        or std::shuffle.
    GUARANTEES          below(n): unbiased integer in [0, n) (rejection sampling);
                        uniform(): double in [0, 1) with 53 random bits;
                        normal(): standard normal by Box-Muller (pairs; the second is cached);
                        shuffle(): Fisher-Yates from the last element down.              */
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>

namespace kiln {

class rng {
public:
    explicit rng(std::uint64_t seed) : engine_(seed) {}

    std::uint64_t next() { return engine_(); }
    std::uint64_t below(std::uint64_t n);  // REQUIRES n > 0
    double uniform();
    double normal();

    template <class T>
    void shuffle(std::span<T> items) {
        for (std::size_t i = items.size(); i > 1; --i) {
            const std::size_t j = static_cast<std::size_t>(below(i));
            std::swap(items[i - 1], items[j]);
        }
    }

private:
    std::mt19937_64 engine_;
    double cached_normal_ = 0.0;
    bool has_cached_normal_ = false;
};

}  // namespace kiln
