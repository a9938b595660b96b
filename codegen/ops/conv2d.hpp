#pragma once
// conv2d: the lowering of dsl/layers/conv2d.hpp (contract and formulas there).
// Activations (C, W, H, N) with channels innermost; W (F, C, KW, KH).
#include "codegen/context.hpp"
#include "dsl/layers/conv2d.hpp"

namespace kiln::codegen {

template <int F, int KH, int KW, int S, padding P>
struct op<conv2d_t<F, KH, KW, S, P>> {
    using L = conv2d_t<F, KH, KW, S, P>;

    // x read at input coordinates (i, j), zero outside the image: the padding.
    static Func padded(const op_ctx& c, const Func& x) {
        Var ch("c"), i("x"), j("y"), n("n");
        const int W = c.in[1], H = c.in[2];
        Func xp = c.func("padded");
        xp(ch, i, j, n) = Halide::select(i >= 0 && i < W && j >= 0 && j < H,
                                         x(ch, Halide::clamp(i, 0, W - 1), Halide::clamp(j, 0, H - 1), n), c.k(0));
        return xp;  // inlined into its consumers
    }

    // y(f, ox, oy, n) = b(f) + sum_{c, kx, ky} W(f, c, kx, ky) xp(c, S ox + kx - px, S oy + ky - py, n)
    static Func forward(const op_ctx& c, const Func& x, const std::vector<Func>& p) {
        const Func &Wt = p[0], &b = p[1];
        const int px = L::pad_before(c.in[1], KW), py = L::pad_before(c.in[2], KH);
        Func xp = padded(c, x);
        Var f("f"), ox("x"), oy("y"), n("n");
        RDom r(0, c.in[0], 0, KW, 0, KH, c.name + "_r_ck");
        Func y = c.func("fwd");
        y(f, ox, oy, n) = b(f);
        y(f, ox, oy, n) += Wt(f, r.x, r.y, r.z) * xp(r.x, S * ox + r.y - px, S * oy + r.z - py, n);
        c.mark(y, stage_kind::conv, r, F, c.in[0] * KW * KH);
        return y;
    }

    static grads backward(const op_ctx& c, const Func& x, const Func&, const Func& dy, const std::vector<Func>& p) {
        const Func& Wt = p[0];
        const int px = L::pad_before(c.in[1], KW), py = L::pad_before(c.in[2], KH);
        const int Wo = c.out[1], Ho = c.out[2];
        Func xp = padded(c, x);
        Var f("f"), ch("c"), kx("kx"), ky("ky"), i("x"), j("y"), n("n");
        // dW(f, c, kx, ky) = sum_{ox, oy, n} dy(f, ox, oy, n) xp(c, S ox + kx - px, S oy + ky - py, n)
        RDom ro(0, Wo, 0, Ho, 0, c.batch, c.name + "_r_out");
        Func dW = c.func("d_W");
        dW(f, ch, kx, ky) = c.k(0);
        dW(f, ch, kx, ky) += dy(f, ro.x, ro.y, ro.z) * xp(ch, S * ro.x + kx - px, S * ro.y + ky - py, ro.z);
        c.mark(dW, stage_kind::conv, ro, F, 0);
        Func db = c.func("d_b");
        db(f) = c.k(0);
        db(f) += dy(f, ro.x, ro.y, ro.z);
        c.mark(db, stage_kind::conv, ro, F, 0);
        // dx(c, i, j, n) = sum_{f, kx, ky} W(f, c, kx, ky) dy(f, ox, oy, n) where
        // S ox + kx - px = i and S oy + ky - py = j
        RDom rk(0, F, 0, KW, 0, KH, c.name + "_r_fk");
        const Expr ax = i + px - rk.y, ay = j + py - rk.z;
        const Expr hit = ax >= 0 && ay >= 0 && ax % S == 0 && ay % S == 0 && ax / S < Wo && ay / S < Ho;
        Func dx = c.func("d_in");
        dx(ch, i, j, n) = c.k(0);
        dx(ch, i, j, n) += Halide::select(
            hit, Wt(rk.x, ch, rk.y, rk.z) * dy(rk.x, Halide::clamp(ax / S, 0, Wo - 1), Halide::clamp(ay / S, 0, Ho - 1), n),
            c.k(0));
        c.mark(dx, stage_kind::conv, rk, c.in[0], F * KW * KH);
        return {dx, {dW, db}};
    }
};

}  // namespace kiln::codegen
