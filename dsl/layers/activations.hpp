#pragma once
/*  Element-wise activations: relu, relu6 (MobileNet: min(max(x, 0), 6)), leaky_relu<Slope1000>,
    sigmoid, tanh_, softmax.
    REQUIRES  nothing for the point-wise ones; softmax: features (rank 1)
    SHAPE     unchanged
    PARAMS    none
    GRADIENT  relu: dy * (y > 0);  relu6: dy * (0 < y < 6);  leaky: dy * (y > 0 ? 1 : a);  sigmoid: dy * y (1 - y);
              tanh: dy * (1 - y^2);  softmax: y * (dy - sum_f dy y)
    leaky_relu's slope is given in thousandths (leaky_relu<10> is a = 0.01): C++20 allows
    float template arguments, but an integer keeps the layer's name exact in messages.     */
#include "dsl/layer.hpp"

namespace kiln {

// The common shape rule and name of the parameter-free, shape-preserving layers.
template <class Derived>
struct pointwise_layer {
    static constexpr shape_rule infer(shape in) { return accept(in); }
    static constexpr std::array<param_spec, 0> params(shape) { return {}; }
};

struct relu_t : pointwise_layer<relu_t> {
    static constexpr const char* kind = "relu";
    static constexpr fixed_string<> name() { return cat("relu"); }
};
struct relu6_t : pointwise_layer<relu6_t> {
    static constexpr const char* kind = "relu6";
    static constexpr fixed_string<> name() { return cat("relu6"); }
};
struct sigmoid_t : pointwise_layer<sigmoid_t> {
    static constexpr const char* kind = "sigmoid";
    static constexpr fixed_string<> name() { return cat("sigmoid"); }
};
struct tanh_t : pointwise_layer<tanh_t> {
    static constexpr const char* kind = "tanh";
    static constexpr fixed_string<> name() { return cat("tanh"); }
};
template <int SlopeThousandths>
struct leaky_relu_t : pointwise_layer<leaky_relu_t<SlopeThousandths>> {
    static_assert(SlopeThousandths >= 0 && SlopeThousandths < 1000,
                  "leaky_relu<S>: slope S/1000 must be in [0, 1)");
    static constexpr const char* kind = "leaky_relu";
    static constexpr double slope = SlopeThousandths / 1000.0;
    static constexpr fixed_string<> name() { return cat("leaky_relu<", SlopeThousandths, ">"); }
};
struct softmax_t {
    static constexpr const char* kind = "softmax";
    static constexpr fixed_string<> name() { return cat("softmax"); }
    static constexpr shape_rule infer(shape in) {
        if (in.kind != shape_kind::features)
            return reject(cat(name(), ": expects features (rank 1), got ", describe(in),
                              "; add flatten first, or time_distributed for sequences"));
        return accept(in);
    }
    static constexpr std::array<param_spec, 0> params(shape) { return {}; }
};

inline constexpr relu_t relu{};
inline constexpr relu6_t relu6{};
inline constexpr sigmoid_t sigmoid{};
inline constexpr tanh_t tanh_{};  // trailing _ : std::tanh is everywhere
template <int SlopeThousandths = 10>
inline constexpr leaky_relu_t<SlopeThousandths> leaky_relu{};
inline constexpr softmax_t softmax{};

}  // namespace kiln
