#pragma once
// depthwise_conv2d: the lowering of dsl/layers/depthwise_conv2d.hpp (contract and formulas
// there). Activations (C, W, H, N), channels innermost; W (C, KW, KH).
// Each output reads KH x KW inputs of its own channel, so forward and d_in are element-wise
// stages whose expression is the unrolled sum over the taps (stage_kind::depthwise: vector
// lanes over channels, rows in parallel); dW and db reduce over the positions (batch_sum).
#include "codegen/context.hpp"
#include "dsl/layers/depthwise_conv2d.hpp"

namespace kiln::codegen {

template <int KH, int KW, int S, padding P, bool Bias>
struct op<depthwise_conv2d_t<KH, KW, S, P, Bias>> {
    using L = depthwise_conv2d_t<KH, KW, S, P, Bias>;

    // x at input coordinates (i, j), zero outside the image.
    static Func padded(const op_ctx& c, const Func& x) {
        Var ch("c"), i("x"), j("y"), n("n");
        const int W = c.in[1], H = c.in[2];
        Func xp = c.func("padded");
        xp(ch, i, j, n) = Halide::select(i >= 0 && i < W && j >= 0 && j < H,
                                         x(ch, Halide::clamp(i, 0, W - 1), Halide::clamp(j, 0, H - 1), n), c.k(0));
        return xp;
    }

    // y(c, ox, oy, n) = b(c) + sum_{kx, ky} W(c, kx, ky) xp(c, S ox + kx - px, S oy + ky - py, n)
    // p = {W}, {W, b}, or the {W', b'} of a batch norm folded in.
    static Func forward(const op_ctx& c, const Func& x, const std::vector<Func>& p) {
        const Func& Wt = p[0];
        const int px = L::pad_before(c.in[1], KW), py = L::pad_before(c.in[2], KH);
        Func xp = padded(c, x);
        Var ch("c"), ox("x"), oy("y"), n("n");
        Expr sum = p.size() > 1 ? Expr(p[1](ch)) : c.k(0);
        for (int ky = 0; ky < KH; ++ky)
            for (int kx = 0; kx < KW; ++kx)
                sum = sum + Wt(ch, kx, ky) * xp(ch, S * ox + kx - px, S * oy + ky - py, n);
        Func y = c.func("fwd");
        y(ch, ox, oy, n) = sum;
        c.mark(y, stage_kind::depthwise, RDom(), c.out[0]);
        return y;
    }

    static grads backward(const op_ctx& c, const Func& x, const Func&, const Func& dy, const std::vector<Func>& p) {
        const Func& Wt = p[0];
        const int C = c.in[0], W = c.in[1], H = c.in[2], Wo = c.out[1], Ho = c.out[2];
        const int px = L::pad_before(W, KW), py = L::pad_before(H, KH);
        Func xp = padded(c, x);
        Var ch("c"), kx("kx"), ky("ky"), i("x"), j("y"), n("n");

        RDom ro(0, Wo, 0, Ho, 0, c.batch, c.name + "_r_out");
        Func dW = c.func("d_W");
        dW(ch, kx, ky) = c.k(0);
        dW(ch, kx, ky) += dy(ch, ro.x, ro.y, ro.z) * xp(ch, S * ro.x + kx - px, S * ro.y + ky - py, ro.z);
        c.mark(dW, stage_kind::batch_sum, ro, C, 0);
        std::vector<Func> d_params{dW};
        if constexpr (Bias) {
            Func db = c.func("d_b");
            db(ch) = c.k(0);
            db(ch) += dy(ch, ro.x, ro.y, ro.z);
            c.mark(db, stage_kind::batch_sum, ro, C, 0);
            d_params.push_back(db);
        }

        // dx(c, i, j, n) = sum_{kx, ky} W(c, kx, ky) dy(c, (i + px - kx) / S, (j + py - ky) / S, n)
        // over the taps where the division is exact and lands inside dy.
        Expr sum = c.k(0);
        for (int b = 0; b < KH; ++b)
            for (int a = 0; a < KW; ++a) {
                const Expr u = i + px - a, v = j + py - b;
                Expr hit = u >= 0 && v >= 0 && u < S * Wo && v < S * Ho;
                if (S > 1) hit = hit && u % S == 0 && v % S == 0;
                const Expr from = dy(ch, Halide::clamp(u / S, 0, Wo - 1), Halide::clamp(v / S, 0, Ho - 1), n);
                sum = sum + Halide::select(hit, Wt(ch, a, b) * from, c.k(0));
            }
        Func dx = c.func("d_in");
        dx(ch, i, j, n) = sum;
        c.mark(dx, stage_kind::depthwise, RDom(), C);
        return {dx, d_params};
    }
};

}  // namespace kiln::codegen
