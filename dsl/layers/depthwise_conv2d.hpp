#pragma once
/*  depthwise_conv2d<KH, KW, Stride = 1, Padding = valid, Bias = false>: one KH x KW filter per
    channel, no mixing across channels (MobileNet; Keras' DepthwiseConv2D with
    depth_multiplier 1, ONNX's Conv with group = C). A 1x1 conv2d after it is the
    "pointwise" half of a depthwise-separable convolution.
    REQUIRES  KH, KW, Stride > 0; input an image (C, W, H); with valid padding the image must
              be at least KH x KW
    SHAPE     (C, W, H) -> (C, W', H'), W' and H' and the padding as conv2d's (TensorFlow's
              "same": the extra row/column of an odd total padding goes after)
    PARAMS    W (C, KW, KH) weight-init with fan_in = fan_out = KH KW, Halide order: Keras'
              depthwise_kernel [KH, KW, C, 1] without its last axis; b (C) zeros, when Bias
    GRADIENT  dW(c, kx, ky) = sum_{x, y, n} dy(c, x, y, n) xp(c, S x + kx - px, S y + ky - py, n);
              db(c) = sum dy;  dx(c, i, j, n) = sum_{kx, ky} W(c, kx, ky) dy(c, x, y, n)
              over the (x, y) with S x + kx - px = i, S y + ky - py = j                   */
#include "dsl/layers/conv2d.hpp"

namespace kiln {

template <int KH, int KW, int Stride = 1, padding Pad = padding::valid, bool Bias = false>
struct depthwise_conv2d_t {
    static_assert(KH > 0 && KW > 0, "depthwise_conv2d<KH, KW>: kernel sizes must be positive");
    static_assert(Stride > 0, "depthwise_conv2d<KH, KW, Stride>: the stride must be positive");
    static constexpr const char* kind = "depthwise_conv2d";
    static constexpr int kh = KH, kw = KW, stride = Stride;
    static constexpr padding pad_mode = Pad;
    static constexpr bool bias = Bias;
    using geometry = conv2d_t<1, KH, KW, Stride, Pad>;  // the same output sizes and padding
    static constexpr fixed_string<> name() {
        return cat("depthwise_conv2d<", KH, ", ", KW, ", ", Stride, Pad == padding::same ? ", same" : "",
                   Bias ? ", bias>" : ">");
    }
    static constexpr int pad_before(int in, int k) { return geometry::pad_before(in, k); }
    static constexpr shape_rule infer(shape in) {
        if (in.kind != shape_kind::image)
            return reject(cat(name(), ": expects an image (C, W, H), got ", describe(in),
                              "; declare the input as image<H, W, C>"));
        if (Pad == padding::valid && (in[1] < KW || in[2] < KH))
            return reject(cat(name(), ": a ", KH, "x", KW, " kernel does not fit in ", describe(in),
                              " without padding; use padding::same or zero_pad2d"));
        return accept(make_image(geometry::out_extent(in[2], KH), geometry::out_extent(in[1], KW), in[0]));
    }
    static constexpr std::array<param_spec, Bias ? 2 : 1> params(shape in) {
        const int c = in[0];
        const param_spec W{"W", 3, {c, KW, KH, 1}, param_init::weight, KH * KW, KH * KW};
        if constexpr (Bias) return {{W, {"b", 1, {c, 1, 1, 1}, param_init::zeros, KH * KW, KH * KW}}};
        else return {{W}};
    }
};

template <int KH, int KW, int Stride = 1, padding Pad = padding::valid, bool Bias = false>
inline constexpr depthwise_conv2d_t<KH, KW, Stride, Pad, Bias> depthwise_conv2d{};

}  // namespace kiln
