#pragma once
/*  max_pool2d<K, Stride = K, Padding = valid>, avg_pool2d<K, Stride = K, Padding = valid>:
    pooling over K x K windows of each channel (C4W1).
    REQUIRES  K, Stride > 0; an image (C, W, H); with valid padding at least K x K
    SHAPE     (C, W, H) -> (C, W', H'), W' as conv2d's (valid: (W - K) / S + 1; same: ceil(W / S))
    PARAMS    none
    PADDING   positions outside the image take no part: a max over the window's pixels in the
              image, an average over those pixels only (TensorFlow's "same" pooling)
    GRADIENT  max: dy goes to the first pixel (in scan order) holding the window's maximum;
              avg: each pixel of a window gets dy / (pixels of that window in the image)     */
#include "dsl/layer.hpp"
#include "dsl/layers/conv2d.hpp"

namespace kiln {

enum class pool_kind { max, average };

template <pool_kind Kind, int K, int Stride = K, padding Pad = padding::valid>
struct pool2d_t {
    static_assert(K > 0 && Stride > 0, "pool2d<K, Stride>: window and stride must be positive");
    static constexpr const char* kind = Kind == pool_kind::max ? "max_pool2d" : "avg_pool2d";
    static constexpr pool_kind which = Kind;
    static constexpr int window = K, stride = Stride;
    using geometry = conv2d_t<1, K, K, Stride, Pad>;  // the same output sizes and padding
    static constexpr fixed_string<> name() {
        return cat(kind, "<", K, ", ", Stride, Pad == padding::same ? ", same>" : ">");
    }
    static constexpr shape_rule infer(shape in) {
        if (in.kind != shape_kind::image)
            return reject(cat(name(), ": expects an image (C, W, H), got ", describe(in)));
        if (Pad == padding::valid && (in[1] < K || in[2] < K))
            return reject(cat(name(), ": a ", K, "x", K, " window does not fit in ", describe(in),
                              "; use padding::same"));
        return accept(make_image(geometry::out_extent(in[2], K), geometry::out_extent(in[1], K), in[0]));
    }
    static constexpr std::array<param_spec, 0> params(shape) { return {}; }
};

template <int K, int Stride = K, padding Pad = padding::valid>
inline constexpr pool2d_t<pool_kind::max, K, Stride, Pad> max_pool2d{};
template <int K, int Stride = K, padding Pad = padding::valid>
inline constexpr pool2d_t<pool_kind::average, K, Stride, Pad> avg_pool2d{};

}  // namespace kiln
