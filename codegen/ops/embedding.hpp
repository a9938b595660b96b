#pragma once
// embedding<V, D>: the lowering of dsl/layers/embedding.hpp. (1, T, N) indices -> (D, T, N).
#include "codegen/context.hpp"
#include "dsl/layers/embedding.hpp"

namespace kiln::codegen {

template <int V, int D>
struct op<embedding_t<V, D>> {
    static Expr index(const Func& x, const Expr& t, const Expr& n) {
        return Halide::clamp(Halide::cast<int>(Halide::round(x(0, t, n))), 0, V - 1);
    }
    static Func forward(const op_ctx& c, const Func& x, const std::vector<Func>& p) {
        Var d("d"), t("t"), n("n");
        Func y = c.func("fwd");
        y(d, t, n) = p[0](d, index(x, t, n));
        c.mark(y, stage_kind::pointwise, RDom(), D);
        return y;
    }
    // dW(d, v) += dy(d, t, n) at v = index(t, n), over every (t, n): a scatter-add, serial in
    // (t, n), vectors over d.
    static grads backward(const op_ctx& c, const Func& x, const Func&, const Func& dy, const std::vector<Func>&) {
        Var d("d"), v("v");
        RDom r(0, c.in[1], 0, c.batch, c.name + "_r_steps");
        Func dW = c.func("d_W");
        dW(d, v) = c.k(0);
        dW(d, index(x, r.x, r.y)) += dy(d, r.x, r.y);
        c.mark(dW, stage_kind::pointwise, RDom(), D);
        return {Func(), {dW}};
    }
};

}  // namespace kiln::codegen
