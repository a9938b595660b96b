#pragma once
/*  dense<Out>: y = W x + b over the feature axis.
    REQUIRES  Out > 0; input rank 1 (features) - flatten first
    SHAPE     (F) -> (Out)
    PARAMS    W (F, Out) weight-init, Halide order: PyTorch's nn.Linear.weight [Out, F];
              b (Out) zeros
    GRADIENT  dx = W^T dy;  dW = sum_n x dy^T;  db = sum_n dy                               */
#include "dsl/layer.hpp"

namespace kiln {

template <int Out>
struct dense_t {
    static_assert(Out > 0, "dense<Out>: Out must be positive");
    static constexpr const char* kind = "dense";
    static constexpr int out_features = Out;
    static constexpr fixed_string<> name() { return cat("dense<", Out, ">"); }
    static constexpr shape_rule infer(shape in) {
        if (in.kind != shape_kind::features)
            return reject(cat(name(), ": expects features (rank 1), got ", describe(in),
                              "; add flatten first"));
        return accept(make_features(Out));
    }
    static constexpr std::array<param_spec, 2> params(shape in) {
        return {{{"W", 2, {in[0], Out, 1, 1}, param_init::weight, in[0], Out},
                 {"b", 1, {Out, 1, 1, 1}, param_init::zeros, in[0], Out}}};
    }
};

template <int Out>
inline constexpr dense_t<Out> dense{};

}  // namespace kiln
