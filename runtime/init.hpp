#pragma once
/*  Parameter initialisers, seeded. Biases (param_init::zeros) start at zero under every
    scheme; the scheme decides the weights:
      zeros     0                                (C2W1: symmetry is never broken)
      random    N(0, 1) * scale, scale 0.01 by default (C1: np.random.randn * 0.01;
                C2W1's "large random" uses scale 10)
      xavier    N(0, 1) * sqrt(1 / fan_in)       (the course's Xavier variant)
      he        N(0, 1) * sqrt(2 / fan_in)       (He et al. 2015; C2W1)
    Values are drawn parameter by parameter in table order, element by element in memory
    order, from one kiln::rng: the same seed gives the same network on every machine.    */
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "dsl/network.hpp"
#include "runtime/error.hpp"
#include "runtime/random.hpp"

namespace kiln {

enum class init_scheme { zeros, random, xavier, he };

inline init_scheme parse_init_scheme(std::string_view s) {
    if (s == "zeros") return init_scheme::zeros;
    if (s == "random") return init_scheme::random;
    if (s == "xavier") return init_scheme::xavier;
    if (s == "he") return init_scheme::he;
    throw error("unknown initialisation '" + std::string(s) + "'; expected zeros, random, xavier or he");
}

template <class Net>
void initialize(std::span<float> arena, init_scheme scheme, std::uint64_t seed, double random_scale = 0.01) {
    if (arena.size() != Net::param_size)
        throw error("initialize: arena holds " + std::to_string(arena.size()) + " values, the network has " +
                    std::to_string(Net::param_size));
    rng gen(seed);
    for (const param_entry& e : Net::params) {
        std::span<float> p = arena.subspan(e.offset, e.spec.size());
        double scale = 0;
        if (e.spec.init == param_init::weight) {
            switch (scheme) {
            case init_scheme::zeros: scale = 0; break;
            case init_scheme::random: scale = random_scale; break;
            case init_scheme::xavier: scale = std::sqrt(1.0 / e.spec.fan_in); break;
            case init_scheme::he: scale = std::sqrt(2.0 / e.spec.fan_in); break;
            }
        }
        const float fill = e.spec.init == param_init::ones ? 1.f : 0.f;
        for (float& v : p) v = scale == 0 ? fill : static_cast<float>(gen.normal() * scale);
    }
}

}  // namespace kiln
