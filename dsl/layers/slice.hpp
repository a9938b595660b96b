#pragma once
/*  slice<Begin, Count>: features [Begin, Begin + Count) of the input, e.g. the h half of an
    lstm_cell's state [h; c].
    REQUIRES  input features (F) with 0 <= Begin, Count > 0, Begin + Count <= F
    SHAPE     (F) -> (Count)
    PARAMS    none
    GRADIENT  dx = dy in the slice, 0 elsewhere                                            */
#include "dsl/layer.hpp"

namespace kiln {

template <int Begin, int Count>
struct slice_t {
    static_assert(Begin >= 0 && Count > 0, "slice<Begin, Count>: Begin >= 0 and Count > 0");
    static constexpr const char* kind = "slice";
    static constexpr int begin = Begin, count = Count;
    static constexpr fixed_string<> name() { return cat("slice<", Begin, ", ", Count, ">"); }
    static constexpr shape_rule infer(shape in) {
        if (in.kind != shape_kind::features || Begin + Count > in[0])
            return reject(cat(name(), ": expects features with at least ", Begin + Count, ", got ", describe(in)));
        return accept(make_features(Count));
    }
    static constexpr std::array<param_spec, 0> params(shape) { return {}; }
};

template <int Begin, int Count>
inline constexpr slice_t<Begin, Count> slice{};

}  // namespace kiln
