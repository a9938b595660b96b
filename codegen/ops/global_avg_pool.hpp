#pragma once
// global_avg_pool: the lowering of dsl/layers/global_avg_pool.hpp. (C, W, H, N) -> (C, N).
#include "codegen/context.hpp"
#include "dsl/layers/global_avg_pool.hpp"

namespace kiln::codegen {

template <>
struct op<global_avg_pool_t> {
    static Func forward(const op_ctx& c, const Func& x, const std::vector<Func>&) {
        Var ch("c"), n("n");
        RDom r(0, c.in[1], 0, c.in[2], c.name + "_r_xy");
        Func y = c.func("fwd");
        y(ch, n) = Halide::sum(x(ch, r.x, r.y, n)) / c.k(c.in[1] * c.in[2]);
        c.mark(y, stage_kind::pointwise, RDom(), c.in[0]);
        return y;
    }
    static grads backward(const op_ctx& c, const Func&, const Func&, const Func& dy, const std::vector<Func>&) {
        Var ch("c"), i("x"), j("y"), n("n");
        Func dx = c.func("d_in");
        dx(ch, i, j, n) = dy(ch, n) / c.k(c.in[1] * c.in[2]);
        c.mark(dx, stage_kind::pointwise, RDom(), c.in[0]);
        return {dx, {}};
    }
};

}  // namespace kiln::codegen
