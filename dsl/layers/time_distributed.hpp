#pragma once
/*  time_distributed(layer): a features -> features layer applied to every step of a sequence
    with the same parameters (Keras' TimeDistributed).
    REQUIRES  input a sequence (F, T); the layer maps features(F) to features(O)
    SHAPE     (F, T) -> (O, T)
    PARAMS    the layer's own, for features(F); node and parameter names are the layer's
              ("dense1.W"), so a per-step network that uses the bare layer shares them
    GRADIENT  the layer's, over the T x N steps taken as one batch (its weight gradients sum
              over steps and samples)                                                      */
#include "dsl/layer.hpp"

namespace kiln {

template <class L>
struct time_distributed_t {
    using inner = L;
    static constexpr const char* kind = L::kind;
    static constexpr fixed_string<> name() { return cat("time_distributed(", L::name(), ")"); }
    static constexpr shape_rule infer(shape in) {
        if (in.kind != shape_kind::sequence)
            return reject(cat(name(), ": expects a sequence (F, T), got ", describe(in),
                              "; apply the layer directly"));
        const shape_rule step = L::infer(make_features(in[0]));
        if (!step.ok) return step;
        if (step.out.kind != shape_kind::features)
            return reject(cat(name(), ": the layer must give features per step, got ", describe(step.out)));
        return accept(make_sequence(step.out[0], in[1]));
    }
    static constexpr auto params(shape in) { return L::params(make_features(in[0])); }
};

template <class L>
constexpr time_distributed_t<L> time_distributed(L) {
    return {};
}

}  // namespace kiln
