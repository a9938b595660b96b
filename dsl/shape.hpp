#pragma once
/*  shape: the per-sample shape of an activation; the batch N is not part of it.
    WHAT IT REPRESENTS  dims innermost-first (Halide order), fixed at compile time:
                          features  (F)        dense activations
                          image     (C, W, H)  channels innermost, vectorisable
                          sequence  (F, T)     features per step, T steps
    NOTATION            the letters N C H W T F mean the same thing everywhere in kiln.
    USE                 features<2>, image<64, 64, 3> (H, W, C as in the course's Keras code),
                        sequence<27, 40> (F, T) are values whose *type* carries the shape.  */
#include <array>
#include <cstddef>

#include "dsl/fixed_string.hpp"

namespace kiln {

enum class shape_kind { features, image, sequence };

struct shape {
    shape_kind kind = shape_kind::features;
    int rank = 1;
    std::array<int, 4> dims{1, 1, 1, 1};  // innermost-first; unused dims are 1

    constexpr int operator[](int i) const { return dims[static_cast<std::size_t>(i)]; }
    constexpr std::size_t size() const {
        std::size_t n = 1;
        for (int i = 0; i < rank; ++i) n *= static_cast<std::size_t>(dims[static_cast<std::size_t>(i)]);
        return n;
    }
    friend constexpr bool operator==(const shape&, const shape&) = default;
};

constexpr shape make_features(int f) { return {shape_kind::features, 1, {f, 1, 1, 1}}; }
constexpr shape make_image(int h, int w, int c) { return {shape_kind::image, 3, {c, w, h, 1}}; }
constexpr shape make_sequence(int f, int t) { return {shape_kind::sequence, 2, {f, t, 1, 1}}; }

// The human-readable form used in every shape error: "image(C=3, W=64, H=64)".
constexpr fixed_string<> describe(const shape& s) {
    switch (s.kind) {
    case shape_kind::features: return cat("features(F=", s[0], ")");
    case shape_kind::image: return cat("image(C=", s[0], ", W=", s[1], ", H=", s[2], ")");
    case shape_kind::sequence: return cat("sequence(F=", s[0], ", T=", s[1], ")");
    }
    return cat("shape(?)");
}

// A shape carried in a type, so that it survives being passed by value to input().
template <shape S>
struct shape_constant {
    static constexpr shape value = S;
};

template <int F>
inline constexpr shape_constant<make_features(F)> features{};
template <int H, int W, int C>
inline constexpr shape_constant<make_image(H, W, C)> image{};
template <int F, int T>
inline constexpr shape_constant<make_sequence(F, T)> sequence{};

}  // namespace kiln
