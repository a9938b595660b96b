#pragma once
/*  reverse_steps: a sequence with its steps in reverse order (the backward half of
    bidirectional).
    REQUIRES  input a sequence (F, T)
    SHAPE     (F, T) -> (F, T),  y_t = x_{T-1-t}
    PARAMS    none
    GRADIENT  dx_t = dy_{T-1-t}                                                            */
#include "dsl/layer.hpp"

namespace kiln {

struct reverse_steps_t {
    static constexpr const char* kind = "reverse_steps";
    static constexpr fixed_string<> name() { return cat("reverse_steps"); }
    static constexpr shape_rule infer(shape in) {
        if (in.kind != shape_kind::sequence)
            return reject(cat(name(), ": expects a sequence (F, T), got ", describe(in)));
        return accept(in);
    }
    static constexpr std::array<param_spec, 0> params(shape) { return {}; }
};

inline constexpr reverse_steps_t reverse_steps{};

}  // namespace kiln
