#pragma once
// dense<Out>: the lowering of dsl/layers/dense.hpp (contract there). Shapes (F, N) -> (Out, N).
#include "codegen/context.hpp"
#include "dsl/layers/dense.hpp"

namespace kiln::codegen {

template <int Out>
struct op<dense_t<Out>> {
    // y(o, n) = b(o) + sum_f W(f, o) x(f, n)
    static Func forward(const op_ctx& c, const Func& x, const std::vector<Func>& p) {
        const Func &W = p[0], &b = p[1];
        Var o("o"), n("n");
        RDom r(0, c.in[0], c.name + "_r_f");
        Func y = c.func("fwd");
        y(o, n) = b(o);
        y(o, n) += W(r, o) * x(r, n);
        c.mark(y, stage_kind::matmul, r, Out, c.in[0]);
        c.stages->back().kernel = W;  // what a GPU schedule stages per chunk of f
        c.stages->back().input = x;
        return y;
    }

    static grads backward(const op_ctx& c, const Func& x, const Func&, const Func& dy,
                          const std::vector<Func>& p) {
        const Func& W = p[0];
        Var f("f"), o("o"), n("n");
        // dx(f, n) = sum_o W(f, o) dy(o, n)        (F, N)
        RDom ro(0, Out, c.name + "_r_o");
        Func dx = c.func("d_in");
        dx(f, n) = c.k(0);
        dx(f, n) += W(f, ro) * dy(ro, n);
        c.mark(dx, stage_kind::matmul_dx, ro, c.in[0], Out);
        c.stages->back().kernel = W;
        c.stages->back().input = dy;
        // dW(f, o) = sum_n x(f, n) dy(o, n)        (F, Out)
        RDom rn(0, c.batch, c.name + "_r_n");
        Func dW_sum = c.func("d_W_sum"), dW = c.func("d_W");
        dW_sum(f, o) = c.k(0);
        dW_sum(f, o) += x(f, rn) * dy(o, rn);
        dW(f, o) = dW_sum(f, o);
        c.mark(dW, stage_kind::matmul_dw, rn, c.in[0], 0, Out, dW_sum);
        // db(o) = sum_n dy(o, n)                    (Out)
        Func db = c.func("d_b");
        db(o) = c.k(0);
        db(o) += dy(o, rn);
        c.mark(db, stage_kind::batch_sum, rn, Out, 0);
        return {dx, {dW, db}};
    }
};

}  // namespace kiln::codegen
