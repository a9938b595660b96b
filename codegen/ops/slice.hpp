#pragma once
// slice<Begin, Count>: the lowering of dsl/layers/slice.hpp. (F, N) -> (Count, N).
#include "codegen/context.hpp"
#include "dsl/layers/slice.hpp"

namespace kiln::codegen {

template <int Begin, int Count>
struct op<slice_t<Begin, Count>> {
    static Func forward(const op_ctx& c, const Func& x, const std::vector<Func>&) {
        Var f("f"), n("n");
        Func y = c.func("fwd");
        y(f, n) = x(f + Begin, n);
        c.mark(y, stage_kind::pointwise, RDom(), Count);
        return y;
    }
    static grads backward(const op_ctx& c, const Func&, const Func&, const Func& dy, const std::vector<Func>&) {
        Var f("f"), n("n");
        Func dx = c.func("d_in");
        dx(f, n) = Halide::select(f >= Begin && f < Begin + Count, dy(Halide::clamp(f - Begin, 0, Count - 1), n), c.k(0));
        c.mark(dx, stage_kind::pointwise, RDom(), c.in[0]);
        return {dx, {}};
    }
};

}  // namespace kiln::codegen
