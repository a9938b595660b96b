#pragma once
/*  batch_norm: normalise each feature (features, sequences) or channel (images) over the
    batch (and the image's positions), then scale and shift (C2W3; Ioffe & Szegedy 2015).
    REQUIRES  nothing
    SHAPE     unchanged; C = the innermost dimension (features or channels)
    PARAMS    gamma (C) ones; beta (C) zeros;
              running_mean (C) zeros, running_var (C) ones: not trained, recomputed by each
              training step as ONNX's BatchNormalization does:
              running = momentum * running + (1 - momentum) * batch statistic,
              variance over the batch (population, divided by M)
    VARIANTS  batch_norm: eps 1e-5, momentum 0.9 (PyTorch's and ONNX's defaults);
              batch_norm_with<Eps, Momentum>: any other, e.g. Keras' BatchNormalization
              (eps 1e-3, momentum 0.99; keras_batch_norm) or MobileNetV2's (1e-3, 0.999)
    TRAINING  mean, var over the M = N * (positions) values of each channel (one pass,
              summed in float64 whatever the element type: codegen/ops/batch_norm.hpp);
              y = gamma (x - mean) / sqrt(var + eps) + beta
    INFERENCE the running averages replace the batch statistics; after a dense layer the
              whole normalisation folds into that layer's W and b (codegen/lower.hpp)
    GRADIENT  xhat = (x - mean) rstd;  dgamma = sum dy xhat;  dbeta = sum dy;
              dx = gamma rstd / M (M dy - dbeta - xhat dgamma)                             */
#include <string_view>
#include <type_traits>

#include "dsl/layer.hpp"

namespace kiln {

// "0.001": a decimal with up to 9 digits after the point, for layer names.
constexpr fixed_string<> decimal(double v) {
    const long long whole = static_cast<long long>(v);
    long long frac = static_cast<long long>((v - static_cast<double>(whole)) * 1e9 + 0.5);
    int digits = 9;
    while (digits > 1 && frac % 10 == 0) { frac /= 10; --digits; }
    char text[10]{};
    for (int i = digits - 1; i >= 0; --i, frac /= 10) text[i] = static_cast<char>('0' + frac % 10);
    fixed_string<> s;
    return s.append(whole).append(".").append(std::string_view{text, static_cast<std::size_t>(digits)});
}

template <double Eps = 1e-5, double Momentum = 0.9>
struct batch_norm_t {
    static_assert(Eps > 0, "batch_norm_with<Eps, Momentum>: epsilon must be positive");
    static_assert(Momentum >= 0 && Momentum < 1, "batch_norm_with<Eps, Momentum>: momentum must be in [0, 1)");
    static constexpr const char* kind = "batch_norm";
    static constexpr double epsilon = Eps;
    static constexpr double momentum = Momentum;
    static constexpr fixed_string<> name() {
        if (Eps == 1e-5 && Momentum == 0.9) return cat("batch_norm");
        return cat("batch_norm<", decimal(Eps), ", ", decimal(Momentum), ">");
    }
    static constexpr shape_rule infer(shape in) { return accept(in); }
    static constexpr std::array<param_spec, 4> params(shape in) {
        const int c = in[0];
        return {{{"gamma", 1, {c, 1, 1, 1}, param_init::ones, c, c, true},
                 {"beta", 1, {c, 1, 1, 1}, param_init::zeros, c, c, true},
                 {"running_mean", 1, {c, 1, 1, 1}, param_init::zeros, c, c, false},
                 {"running_var", 1, {c, 1, 1, 1}, param_init::ones, c, c, false}}};
    }
};

inline constexpr batch_norm_t<> batch_norm{};
template <double Eps, double Momentum>
inline constexpr batch_norm_t<Eps, Momentum> batch_norm_with{};
inline constexpr batch_norm_t<1e-3, 0.99> keras_batch_norm{};

template <class L> struct is_batch_norm : std::false_type {};
template <double E, double M> struct is_batch_norm<batch_norm_t<E, M>> : std::true_type {};

}  // namespace kiln
