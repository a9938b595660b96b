#pragma once
// dropout: the lowering of dsl/layers/dropout.hpp. The mask is recomputed in the backward
// pass from the same hash, so nothing is stored between the two.
#include "codegen/context.hpp"
#include "dsl/layers/dropout.hpp"

namespace kiln::codegen {

// A 32-bit integer hash with good avalanche (the "lowbias32" constants).
inline Expr mix32(Expr h) {
    h = h ^ (h >> 16);
    h = h * Expr(uint32_t{0x7feb352d});
    h = h ^ (h >> 15);
    h = h * Expr(uint32_t{0x846ca68b});
    return h ^ (h >> 16);
}

template <>
struct op<dropout_t> {
    // keep(v) / keep_prob where the element's hash falls under keep_prob, else 0.
    static Expr scale(const op_ctx& c, const std::vector<Var>& v) {
        const Halide::Type u32 = Halide::UInt(32);
        Expr index = Halide::cast(u32, v.back());
        for (int d = c.out.rank - 1; d >= 0; --d)
            index = index * Expr(static_cast<uint32_t>(c.out[d])) + Halide::cast(u32, v[static_cast<std::size_t>(d)]);
        const Expr stream = mix32(c.train->seed ^ mix32(c.train->step * Expr(uint32_t{0x9E3779B9}) +
                                                        Expr(static_cast<uint32_t>(c.node))));
        const Expr h = mix32(index ^ stream);
        const Expr keep = Halide::cast(c.type, c.train->keep_prob);
        const Expr uniform = Halide::cast(c.type, h >> 8) * c.k(1.0 / 16777216.0);  // [0, 1), 24 bits
        return Halide::select(uniform < keep, c.k(1) / keep, c.k(0));
    }

    static Func forward(const op_ctx& c, const Func& x, const std::vector<Func>&) {
        if (!c.training()) return x;  // inference: the identity, no stage at all
        std::vector<Var> v = activation_vars(c.out);
        Func y = c.func("fwd");
        y(v) = x(v) * scale(c, v);
        c.mark(y, stage_kind::pointwise, RDom(), c.out[0]);
        return y;
    }
    static grads backward(const op_ctx& c, const Func&, const Func&, const Func& dy, const std::vector<Func>&) {
        std::vector<Var> v = activation_vars(c.out);
        Func dx = c.func("d_in");
        dx(v) = dy(v) * scale(c, v);
        c.mark(dx, stage_kind::pointwise, RDom(), c.out[0]);
        return {dx, {}};
    }
};

}  // namespace kiln::codegen
