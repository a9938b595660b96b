#pragma once
// flatten: the lowering of dsl/layers/flatten.hpp. (d0, d1, d2, N) -> (d0*d1*d2, N), keeping
// the innermost-first memory order, so no data moves when the producer is stored densely.
#include "codegen/context.hpp"
#include "dsl/layers/flatten.hpp"

namespace kiln::codegen {

template <>
struct op<flatten_t> {
    static Func forward(const op_ctx& c, const Func& x, const std::vector<Func>&) {
        Var f("f"), n("n");
        std::vector<Expr> at;
        Expr rest = f;
        for (int d = 0; d < c.in.rank; ++d) {
            const bool last = d + 1 == c.in.rank;
            at.push_back(last ? rest : rest % c.in[d]);
            rest = rest / c.in[d];
        }
        at.push_back(n);
        Func y = c.func("fwd");
        y(f, n) = x(at);
        c.mark(y, stage_kind::pointwise, RDom(), c.out[0]);
        return y;
    }
    static grads backward(const op_ctx& c, const Func&, const Func&, const Func& dy,
                          const std::vector<Func>&) {
        std::vector<Var> v = activation_vars(c.in);
        Expr flat = 0, stride = 1;
        for (int d = 0; d < c.in.rank; ++d) {
            flat = flat + v[static_cast<std::size_t>(d)] * stride;
            stride = stride * c.in[d];
        }
        Func dx = c.func("d_in");
        dx(v) = dy(flat, v.back());
        c.mark(dx, stage_kind::pointwise, RDom(), c.in[0]);
        return {dx, {}};
    }
};

}  // namespace kiln::codegen
