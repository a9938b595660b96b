#pragma once
// reverse_steps: the lowering of dsl/layers/reverse_steps.hpp. (F, T, N) -> (F, T, N).
#include "codegen/context.hpp"
#include "dsl/layers/reverse_steps.hpp"

namespace kiln::codegen {

template <>
struct op<reverse_steps_t> {
    static Func forward(const op_ctx& c, const Func& x, const std::vector<Func>&) {
        Var f("f"), t("t"), n("n");
        Func y = c.func("fwd");
        y(f, t, n) = x(f, c.in[1] - 1 - t, n);
        c.mark(y, stage_kind::pointwise, RDom(), c.in[0]);
        return y;
    }
    static grads backward(const op_ctx& c, const Func&, const Func&, const Func& dy, const std::vector<Func>&) {
        Var f("f"), t("t"), n("n");
        Func dx = c.func("d_in");
        dx(f, t, n) = dy(f, c.in[1] - 1 - t, n);
        c.mark(dx, stage_kind::pointwise, RDom(), c.in[0]);
        return {dx, {}};
    }
};

}  // namespace kiln::codegen
