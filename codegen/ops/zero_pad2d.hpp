#pragma once
// zero_pad2d<Top, Bottom, Left, Right>: the lowering of dsl/layers/zero_pad2d.hpp.
#include "codegen/context.hpp"
#include "dsl/layers/zero_pad2d.hpp"

namespace kiln::codegen {

template <int Top, int Bottom, int Left, int Right>
struct op<zero_pad2d_t<Top, Bottom, Left, Right>> {
    static Func forward(const op_ctx& c, const Func& x, const std::vector<Func>&) {
        const int W = c.in[1], H = c.in[2];
        Var ch("c"), i("x"), j("y"), n("n");
        Func y = c.func("fwd");
        y(ch, i, j, n) = Halide::select(i >= Left && i < W + Left && j >= Top && j < H + Top,
                                        x(ch, Halide::clamp(i - Left, 0, W - 1), Halide::clamp(j - Top, 0, H - 1), n),
                                        c.k(0));
        c.mark(y, stage_kind::pointwise, RDom(), c.in[0]);
        return y;
    }
    static grads backward(const op_ctx& c, const Func&, const Func&, const Func& dy, const std::vector<Func>&) {
        Var ch("c"), i("x"), j("y"), n("n");
        Func dx = c.func("d_in");
        dx(ch, i, j, n) = dy(ch, i + Left, j + Top, n);
        c.mark(dx, stage_kind::pointwise, RDom(), c.in[0]);
        return {dx, {}};
    }
};

}  // namespace kiln::codegen
