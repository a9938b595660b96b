#pragma once
/*  zero_pad2d<P>, zero_pad2d<PH, PW>, zero_pad2d<Top, Bottom, Left, Right>: rows and columns
    of zeros around an image (C4W1's zero_pad), as Keras' ZeroPadding2D(P),
    ZeroPadding2D((PH, PW)) and ZeroPadding2D(((Top, Bottom), (Left, Right))).
    REQUIRES  every padding >= 0; 1, 2 or 4 paddings; an image (C, W, H)
    SHAPE     (C, W, H) -> (C, W + Left + Right, H + Top + Bottom)
    PARAMS    none
    GRADIENT  dx(c, x, y) = dy(c, x + Left, y + Top)                                         */
#include "dsl/layer.hpp"

namespace kiln {

// Top, Bottom pad along H (y); Left, Right along W (x). zero_pad2d_t<P> pads P everywhere.
template <int Top, int Bottom = Top, int Left = Top, int Right = Left>
struct zero_pad2d_t {
    static_assert(Top >= 0 && Bottom >= 0 && Left >= 0 && Right >= 0, "zero_pad2d<P>: the padding must be >= 0");
    static constexpr const char* kind = "zero_pad2d";
    static constexpr int top = Top, bottom = Bottom, left = Left, right = Right;
    static constexpr fixed_string<> name() {
        if (Top == Bottom && Top == Left && Top == Right) return cat("zero_pad2d<", Top, ">");
        return cat("zero_pad2d<", Top, ", ", Bottom, ", ", Left, ", ", Right, ">");
    }
    static constexpr shape_rule infer(shape in) {
        if (in.kind != shape_kind::image) return reject(cat(name(), ": expects an image (C, W, H), got ", describe(in)));
        return accept(make_image(in[2] + Top + Bottom, in[1] + Left + Right, in[0]));
    }
    static constexpr std::array<param_spec, 0> params(shape) { return {}; }
};

namespace detail {
template <int... P>
struct zero_pad2d_args {
    static_assert(sizeof...(P) == 1 || sizeof...(P) == 2 || sizeof...(P) == 4,
                  "zero_pad2d<...>: give 1 padding (every side), 2 (height, width) or 4 (top, bottom, left, right)");
    using type = zero_pad2d_t<0>;
};
template <int P>
struct zero_pad2d_args<P> { using type = zero_pad2d_t<P, P, P, P>; };
template <int PH, int PW>
struct zero_pad2d_args<PH, PW> { using type = zero_pad2d_t<PH, PH, PW, PW>; };
template <int Top, int Bottom, int Left, int Right>
struct zero_pad2d_args<Top, Bottom, Left, Right> { using type = zero_pad2d_t<Top, Bottom, Left, Right>; };
}  // namespace detail

template <int... P>
inline constexpr typename detail::zero_pad2d_args<P...>::type zero_pad2d{};

}  // namespace kiln
