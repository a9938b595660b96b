#pragma once
/*  flatten: any sample shape -> features, keeping the memory order (innermost-first), so
    image (C, W, H) becomes F = C*W*H with c fastest - the order of an HWC array.
    REQUIRES  nothing
    SHAPE     (d0, d1, ...) -> (d0*d1*...)
    PARAMS    none
    GRADIENT  dx = dy reshaped back                                                        */
#include "dsl/layer.hpp"

namespace kiln {

struct flatten_t {
    static constexpr const char* kind = "flatten";
    static constexpr fixed_string<> name() { return cat("flatten"); }
    static constexpr shape_rule infer(shape in) {
        return accept(make_features(static_cast<int>(in.size())));
    }
    static constexpr std::array<param_spec, 0> params(shape) { return {}; }
};

inline constexpr flatten_t flatten{};

}  // namespace kiln
