#pragma once
// max_pool2d / avg_pool2d: the lowering of dsl/layers/pool2d.hpp (formulas there).
#include "codegen/context.hpp"
#include "dsl/layers/pool2d.hpp"

namespace kiln::codegen {

template <pool_kind Kind, int K, int S, padding P>
struct op<pool2d_t<Kind, K, S, P>> {
    using G = typename pool2d_t<Kind, K, S, P>::geometry;

    // Pixels of window (ox, oy) inside the image (avg's divisor).
    static Expr pixels(const op_ctx& c, const Expr& ox, const Expr& oy) {
        const int W = c.in[1], H = c.in[2], px = G::pad_before(W, K), py = G::pad_before(H, K);
        const Expr x0 = S * ox - px, y0 = S * oy - py;
        const Expr w = Halide::min(x0 + K, W) - Halide::max(x0, 0), h = Halide::min(y0 + K, H) - Halide::max(y0, 0);
        return Halide::cast(c.type, w * h);
    }

    static Func forward(const op_ctx& c, const Func& x, const std::vector<Func>&) {
        const int W = c.in[1], H = c.in[2], px = G::pad_before(W, K), py = G::pad_before(H, K);
        Var ch("c"), ox("x"), oy("y"), n("n");
        RDom r(0, K, 0, K, c.name + "_r_win");
        const Expr i = S * ox + r.x - px, j = S * oy + r.y - py;
        const Expr inside = i >= 0 && i < W && j >= 0 && j < H;
        const Expr v = x(ch, Halide::clamp(i, 0, W - 1), Halide::clamp(j, 0, H - 1), n);
        Func y = c.func("fwd");
        if constexpr (Kind == pool_kind::max) y(ch, ox, oy, n) = Halide::maximum(Halide::select(inside, v, c.type.min()));
        else y(ch, ox, oy, n) = Halide::sum(Halide::select(inside, v, c.k(0))) / pixels(c, ox, oy);
        c.mark(y, stage_kind::pointwise, RDom(), c.in[0]);
        return y;
    }

    static grads backward(const op_ctx& c, const Func& x, const Func& y, const Func& dy, const std::vector<Func>&) {
        const int W = c.in[1], H = c.in[2], Wo = c.out[1], Ho = c.out[2];
        const int px = G::pad_before(W, K), py = G::pad_before(H, K);
        Var ch("c"), i("x"), j("y"), n("n");
        // The windows that hold pixel (i, j): at most ceil(K / S) per axis, counted back from
        // the last one that starts at or before it (a = i + px = S ox + kx, 0 <= kx < K).
        constexpr int KS = (K + S - 1) / S;
        RDom r(0, KS, 0, KS, c.name + "_r_back");
        const Expr ax = i + px, ay = j + py;
        const Expr wx = ax / S - r.x, wy = ay / S - r.y;  // the window
        const Expr kx = ax - S * wx, ky = ay - S * wy;      // the pixel's place in it
        const Expr hit = wx >= 0 && wy >= 0 && wx < Wo && wy < Ho && kx < K && ky < K;
        const Expr ox = Halide::clamp(wx, 0, Wo - 1), oy = Halide::clamp(wy, 0, Ho - 1);
        Expr share;
        if constexpr (Kind == pool_kind::max) {
            // The window's first maximum (scan order) takes dy, as in PyTorch and TensorFlow:
            // with ties (a flat background) every tied pixel would otherwise take it.
            Var bx("x"), by("y");
            RDom rw(0, K, 0, K, c.name + "_r_arg");
            const Expr wi = S * bx + rw.x - px, wj = S * by + rw.y - py;
            const Expr inside = wi >= 0 && wi < W && wj >= 0 && wj < H;
            Func first = c.func("argmax");
            first(ch, bx, by, n) = Halide::argmax(
                Halide::select(inside, x(ch, Halide::clamp(wi, 0, W - 1), Halide::clamp(wj, 0, H - 1), n), c.type.min()));
            c.mark(first, stage_kind::pointwise, RDom(), c.in[0]);
            share = Halide::select(first(ch, ox, oy, n)[0] == kx && first(ch, ox, oy, n)[1] == ky,
                                   dy(ch, ox, oy, n), c.k(0));
        } else {
            share = dy(ch, ox, oy, n) / pixels(c, ox, oy);
        }
        Func dx = c.func("d_in");
        dx(ch, i, j, n) = Halide::sum(Halide::select(hit, share, c.k(0)));
        c.mark(dx, stage_kind::pointwise, RDom(), c.in[0]);
        return {dx, {}};
    }
};

}  // namespace kiln::codegen
