#pragma once
/*  global_avg_pool: the mean of each channel over the image (MobileNet's and ResNet's head).
    REQUIRES  an image (C, W, H)
    SHAPE     (C, W, H) -> features (C)
    PARAMS    none
    GRADIENT  dx(c, x, y) = dy(c) / (W H)                                                    */
#include "dsl/layer.hpp"

namespace kiln {

struct global_avg_pool_t {
    static constexpr const char* kind = "global_avg_pool";
    static constexpr fixed_string<> name() { return cat("global_avg_pool"); }
    static constexpr shape_rule infer(shape in) {
        if (in.kind != shape_kind::image) return reject(cat(name(), ": expects an image (C, W, H), got ", describe(in)));
        return accept(make_features(in[0]));
    }
    static constexpr std::array<param_spec, 0> params(shape) { return {}; }
};

inline constexpr global_avg_pool_t global_avg_pool{};

}  // namespace kiln
