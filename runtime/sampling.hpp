#pragma once
/*  Generation step by step from a compiled one-step network (C5W1A2's sample()).
    WHAT IT REPRESENTS
      draw      an index from a probability vector p, after a temperature: p_i^(1/T)
                renormalised (T = 1: p itself; T -> 0: the argmax; T > 1: flatter), by
                inverse transform of one uniform draw of kiln::rng.
      generate  the loop: the step network reads [one-hot x_t (V); state (S)] and gives
                [new state (S); probabilities (V)] (dsl: concat(cell, cell >> dense >>
                softmax)); the first input is all zeros (the course's x = 0 "None"); each
                drawn index becomes the next input, until `stop` is drawn or max_length
                indices were drawn (the course: '\n', 50).
    REQUIRES  temperature > 0; p non-negative with a positive sum (kiln::error otherwise);
              the step network's sizes as stated (checked against model<Net>'s sizes).   */
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "runtime/error.hpp"
#include "runtime/model.hpp"
#include "runtime/random.hpp"

namespace kiln {

inline std::size_t draw(std::span<const float> p, double temperature, rng& random) {
    if (!(temperature > 0) || !std::isfinite(temperature))
        throw error("draw: the temperature must be positive and finite, got " + std::to_string(temperature));
    std::vector<double> w(p.size());
    double best = 0;
    for (float v : p) {
        if (!(v >= 0)) throw error("draw: probabilities must be non-negative numbers, got " + std::to_string(v));
        best = std::max(best, static_cast<double>(v));
    }
    if (best <= 0) throw error("draw: the probabilities sum to 0");
    double total = 0;
    for (std::size_t i = 0; i < p.size(); ++i) total += w[i] = std::pow(p[i] / best, 1.0 / temperature);
    double u = random.uniform() * total;
    for (std::size_t i = 0; i < w.size(); ++i) {
        if (u < w[i]) return i;
        u -= w[i];
    }
    for (std::size_t i = w.size(); i-- > 0;)  // rounding at the top end: the last non-zero
        if (w[i] > 0) return i;
    return 0;
}

template <class StepNet>
std::vector<std::size_t> generate(const model<StepNet>& step, std::size_t vocabulary, std::size_t state_size,
                                  std::size_t stop, std::size_t max_length, double temperature, rng& random) {
    constexpr std::size_t in = model<StepNet>::sample_size, out = model<StepNet>::output_size;
    if (in != vocabulary + state_size || out != vocabulary + state_size)
        throw error("generate: the step network reads " + std::to_string(in) + " and gives " + std::to_string(out) +
                    " values; expected vocabulary + state = " + std::to_string(vocabulary + state_size) +
                    " both ways ([x; state] in, [state; probabilities] out)");
    std::vector<float> x(in, 0.0f);
    std::vector<std::size_t> drawn;
    while (drawn.size() < max_length) {
        const std::vector<float> y = step.predict(x, 1);
        const std::size_t next = draw(std::span<const float>(y).subspan(state_size), temperature, random);
        drawn.push_back(next);
        if (next == stop) break;
        std::fill(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(vocabulary), 0.0f);
        x[next] = 1.0f;
        std::copy(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(state_size),
                  x.begin() + static_cast<std::ptrdiff_t>(vocabulary));
    }
    return drawn;
}

}  // namespace kiln
