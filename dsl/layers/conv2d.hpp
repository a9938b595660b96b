#pragma once
/*  conv2d<Filters, KH, KW, Stride = 1, Padding = valid, Bias = true>: 2-D convolution (C4W1);
    Bias = false drops b, as Keras' use_bias=False (MobileNetV2, convolutions before a batch norm).
    REQUIRES  Filters, KH, KW, Stride > 0; input an image (C, W, H); with valid padding the
              image must be at least KH x KW
    SHAPE     (C, W, H) -> (Filters, W', H');  valid: W' = (W - KW) / Stride + 1;
              same: W' = ceil(W / Stride), padded as TensorFlow does (the extra column of an
              odd total padding goes after)
    PARAMS    W (Filters, C, KW, KH) weight-init, Halide order: Keras' kernel [KH, KW, C, F];
              b (Filters) zeros, when Bias
    GRADIENT  dW(f, c, kx, ky) = sum_{x, y, n} dy(f, x, y, n) xp(c, s x + kx, s y + ky, n);
              db(f) = sum dy;  dx(c, i, j, n) = sum_{f, kx, ky} W(f, c, kx, ky) dy(f, x, y, n)
              over the (x, y) with s x + kx - pad_x = i, s y + ky - pad_y = j            */
#include "dsl/layer.hpp"

namespace kiln {

enum class padding { valid, same };

template <int Filters, int KH, int KW, int Stride = 1, padding Pad = padding::valid, bool Bias = true>
struct conv2d_t {
    static_assert(Filters > 0 && KH > 0 && KW > 0, "conv2d<F, KH, KW>: filters and kernel sizes must be positive");
    static_assert(Stride > 0, "conv2d<F, KH, KW, Stride>: the stride must be positive");
    static constexpr const char* kind = "conv2d";
    static constexpr int filters = Filters, kh = KH, kw = KW, stride = Stride;
    static constexpr padding pad_mode = Pad;
    static constexpr bool bias = Bias;
    static constexpr fixed_string<> name() {
        return cat("conv2d<", Filters, ", ", KH, ", ", KW, ", ", Stride, Pad == padding::same ? ", same" : "",
                   Bias ? ">" : ", no bias>");
    }
    // Output extent and padding before, along one axis of input extent `in`.
    static constexpr int out_extent(int in, int k) {
        return Pad == padding::same ? (in + Stride - 1) / Stride : (in - k) / Stride + 1;
    }
    static constexpr int pad_before(int in, int k) {
        if (Pad == padding::valid) return 0;
        const int total = (out_extent(in, k) - 1) * Stride + k - in;
        return total > 0 ? total / 2 : 0;
    }
    static constexpr shape_rule infer(shape in) {
        if (in.kind != shape_kind::image)
            return reject(cat(name(), ": expects an image (C, W, H), got ", describe(in),
                              "; declare the input as image<H, W, C>"));
        if (Pad == padding::valid && (in[1] < KW || in[2] < KH))
            return reject(cat(name(), ": a ", KH, "x", KW, " kernel does not fit in ", describe(in),
                              " without padding; use padding::same or zero_pad2d"));
        return accept(make_image(out_extent(in[2], KH), out_extent(in[1], KW), Filters));
    }
    static constexpr std::array<param_spec, Bias ? 2 : 1> params(shape in) {
        const int fan_in = in[0] * KH * KW;
        const param_spec W{"W", 4, {Filters, in[0], KW, KH}, param_init::weight, fan_in, Filters * KH * KW};
        if constexpr (Bias) return {{W, {"b", 1, {Filters, 1, 1, 1}, param_init::zeros, fan_in, Filters}}};
        else return {{W}};
    }
};

template <int Filters, int KH, int KW, int Stride = 1, padding Pad = padding::valid, bool Bias = true>
inline constexpr conv2d_t<Filters, KH, KW, Stride, Pad, Bias> conv2d{};

}  // namespace kiln
