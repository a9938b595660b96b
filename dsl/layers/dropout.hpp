#pragma once
/*  dropout: inverted dropout (C2W1). In training each element is kept with probability
    keep_prob and scaled by 1 / keep_prob; at inference it is the identity.
    REQUIRES  nothing; keep_prob in (0, 1] is a run-time setting of the training step
              (one for the whole network, as the course uses it), checked by the runtime
    SHAPE     unchanged
    PARAMS    none
    GRADIENT  dx = dy * mask / keep_prob, with the same mask: the mask is a hash of
              (seed, step, node, element), drawn inside the pipeline and recomputed in the
              backward pass, so a seed and step always give the same mask and none is stored */
#include "dsl/layer.hpp"

namespace kiln {

struct dropout_t {
    static constexpr const char* kind = "dropout";
    static constexpr fixed_string<> name() { return cat("dropout"); }
    static constexpr shape_rule infer(shape in) { return accept(in); }
    static constexpr std::array<param_spec, 0> params(shape) { return {}; }
};

inline constexpr dropout_t dropout{};

}  // namespace kiln
