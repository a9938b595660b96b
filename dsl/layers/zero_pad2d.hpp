#pragma once
/*  zero_pad2d<P>: P rows and columns of zeros on every side of an image (C4W1's zero_pad).
    REQUIRES  P >= 0; an image (C, W, H)
    SHAPE     (C, W, H) -> (C, W + 2P, H + 2P)
    PARAMS    none
    GRADIENT  dx(c, x, y) = dy(c, x + P, y + P)                                              */
#include "dsl/layer.hpp"

namespace kiln {

template <int P>
struct zero_pad2d_t {
    static_assert(P >= 0, "zero_pad2d<P>: the padding must be >= 0");
    static constexpr const char* kind = "zero_pad2d";
    static constexpr int pad = P;
    static constexpr fixed_string<> name() { return cat("zero_pad2d<", P, ">"); }
    static constexpr shape_rule infer(shape in) {
        if (in.kind != shape_kind::image) return reject(cat(name(), ": expects an image (C, W, H), got ", describe(in)));
        return accept(make_image(in[2] + 2 * P, in[1] + 2 * P, in[0]));
    }
    static constexpr std::array<param_spec, 0> params(shape) { return {}; }
};

template <int P>
inline constexpr zero_pad2d_t<P> zero_pad2d{};

}  // namespace kiln
