#pragma once
// conv2d: the lowering of dsl/layers/conv2d.hpp (contract and formulas there).
// Activations (C, W, H, N) with channels innermost; W (F, C, KW, KH).
//
// Every pass is written as the same shape of loop nest, so that one schedule
// (schedule/conv.hpp) serves all three:
//   out(o, x, y, n) = init(o) + sum_{i, kx, ky} K(o, i, kx, ky) in(i, S' x + D kx + a, S' y + D ky + b, n)
// with `in` a zero-bordered copy the schedule may stage per tile, so that the inner loop
// carries no bounds test:
//   forward  out = y,  K = W,               in = x padded,            S' = S, D = +1
//   d_in     out = dx, K = W transposed,    in = dy zero-stuffed,     S' = 1, D = -1
//            (a strided 1x1: on dy's grid, in = dy, then spread out to dx)
// and d_W reduces over the output positions instead (a stage of its own kind).
#include "codegen/context.hpp"
#include "dsl/layers/conv2d.hpp"

namespace kiln::codegen {

template <int F, int KH, int KW, int S, padding P, bool Bias>
struct op<conv2d_t<F, KH, KW, S, P, Bias>> {
    using L = conv2d_t<F, KH, KW, S, P, Bias>;

    static bool has_padding(const op_ctx& c) {
        const int W = c.in[1], H = c.in[2], Wo = c.out[1], Ho = c.out[2];
        return L::pad_before(W, KW) > 0 || L::pad_before(H, KH) > 0 || (Wo - 1) * S + KW > W ||
               (Ho - 1) * S + KH > H;
    }

    // x read at input coordinates (i, j), zero outside the image: the padding. Without
    // padding, x itself.
    static Func padded(const op_ctx& c, const Func& x) {
        if (!has_padding(c)) return x;
        Var ch("c"), i("x"), j("y"), n("n");
        const int W = c.in[1], H = c.in[2];
        Func xp = c.func("padded");
        xp(ch, i, j, n) = Halide::select(i >= 0 && i < W && j >= 0 && j < H,
                                         x(ch, Halide::clamp(i, 0, W - 1), Halide::clamp(j, 0, H - 1), n), c.k(0));
        return xp;
    }

    // y(f, ox, oy, n) = b(f) + sum_{c, kx, ky} W(f, c, kx, ky) xp(c, S ox + kx - px, S oy + ky - py, n)
    // p = {W} without a bias, {W, b} with one, or the {W', b'} of a batch norm folded in.
    static Func forward(const op_ctx& c, const Func& x, const std::vector<Func>& p) {
        const Func& Wt = p[0];
        const int px = L::pad_before(c.in[1], KW), py = L::pad_before(c.in[2], KH);
        Func xp = padded(c, x);
        Var f("f"), ox("x"), oy("y"), n("n");
        RDom r(0, c.in[0], 0, KW, 0, KH, c.name + "_r_ck");
        Func acc = c.func("acc"), y = c.func("fwd");
        acc(f, ox, oy, n) = p.size() > 1 ? Expr(p[1](f)) : c.k(0);
        acc(f, ox, oy, n) += Wt(f, r.x, r.y, r.z) * xp(r.x, S * ox + r.y - px, S * oy + r.z - py, n);
        y(f, ox, oy, n) = acc(f, ox, oy, n);
        c.mark_conv(stage_kind::conv, y, acc, r, xp.name() == x.name() ? Func() : xp, F, c.in[0] * KW * KH, c.out[1], c.out[2]);
        c.stages->back().kernel = Wt;
        return y;
    }

    static grads backward(const op_ctx& c, const Func& x, const Func&, const Func& dy, const std::vector<Func>& p) {
        const Func& Wt = p[0];
        const int C = c.in[0], W = c.in[1], H = c.in[2], Wo = c.out[1], Ho = c.out[2];
        const int px = L::pad_before(W, KW), py = L::pad_before(H, KH);
        Func xp = padded(c, x);
        Var f("f"), ch("c"), kx("kx"), ky("ky"), i("x"), j("y"), n("n");

        // dW(f, c, kx, ky) = sum_{ox, oy, n} dy(f, ox, oy, n) xp(c, S ox + kx - px, S oy + ky - py, n)
        RDom ro(0, Wo, 0, Ho, 0, c.batch, c.name + "_r_out");
        Func dW = c.func("d_W");
        dW(f, ch, kx, ky) = c.k(0);
        dW(f, ch, kx, ky) += dy(f, ro.x, ro.y, ro.z) * xp(ch, S * ro.x + kx - px, S * ro.y + ky - py, ro.z);
        c.mark_conv(stage_kind::conv_dw, dW, Func(), ro, xp.name() == x.name() ? Func() : xp, F, C, Wo, Ho);
        c.stages->back().kernel_width = KW;
        c.stages->back().kernel_height = KH;
        std::vector<Func> d_params{dW};
        if constexpr (Bias) {
            Func db = c.func("d_b");
            db(f) = c.k(0);
            db(f) += dy(f, ro.x, ro.y, ro.z);
            c.mark(db, stage_kind::batch_sum, ro, F, 0);
            d_params.push_back(db);
        }

        // whether input position (a, b) + the padding is S ox, S oy for an (ox, oy) of dy's grid
        auto on_grid = [&](const Expr& a, const Expr& b) {
            return a >= 0 && b >= 0 && a % S == 0 && b % S == 0 && a / S < Wo && b / S < Ho;
        };
        Func Wtr = c.func("W_t");
        Wtr(ch, f, kx, ky) = Wt(f, ch, kx, ky);
        c.mark(Wtr, stage_kind::transpose, RDom(), C, F, 1, Wt);
        RDom rk(0, F, 0, KW, 0, KH, c.name + "_r_fk");
        Func acc = c.func("d_acc"), dx = c.func("d_in");
        if constexpr (KW == 1 && KH == 1 && S > 1) {
            // A strided 1x1 reaches only the inputs at S ox - px, S oy - py: there
            // dx(c, i, j, n) = sum_f W(f, c) dy(f, ox, oy, n), elsewhere 0. So the sums run on
            // dy's grid, a stride-1 1x1 convolution, and dx spreads them out: 1/S^2 of the
            // FMAs of the zero-stuffed form below (ResNet-50's strided 1x1s, 3/4 fewer).
            Var ox("x"), oy("y");
            Func grid = c.func("d_in_grid");
            acc(ch, ox, oy, n) = c.k(0);
            acc(ch, ox, oy, n) += Wtr(ch, rk.x, rk.y, rk.z) * dy(rk.x, ox + rk.y, oy + rk.z, n);  // rk.y = rk.z = 0
            grid(ch, ox, oy, n) = acc(ch, ox, oy, n);
            c.mark_conv(stage_kind::conv, grid, acc, rk, Func(), C, F, Wo, Ho);
            c.stages->back().kernel = Wtr;
            c.stages->back().kernel_is_stage = true;
            const Expr a = i + px, bb = j + py;
            dx(ch, i, j, n) = Halide::select(
                on_grid(a, bb), grid(ch, Halide::clamp(a / S, 0, Wo - 1), Halide::clamp(bb / S, 0, Ho - 1), n), c.k(0));
            c.mark(dx, stage_kind::pointwise, RDom(), C, 0);
            return {dx, d_params};
        }
        // dx(c, i, j, n) = sum_{f, kx, ky} W(f, c, kx, ky) dy(f, ox, oy, n) over S ox + kx - px = i,
        // S oy + ky - py = j: a stride-1 convolution of dy with S - 1 zeros stuffed between
        // its entries (a = S ox), bordered by zeros, and the kernel transposed and flipped.
        Var a("x"), bb("y");
        Func stuffed = c.func("d_stuffed");
        stuffed(f, a, bb, n) = Halide::select(
            on_grid(a, bb), dy(f, Halide::clamp(a / S, 0, Wo - 1), Halide::clamp(bb / S, 0, Ho - 1), n), c.k(0));
        acc(ch, i, j, n) = c.k(0);
        acc(ch, i, j, n) += Wtr(ch, rk.x, rk.y, rk.z) * stuffed(rk.x, i + px - rk.y, j + py - rk.z, n);
        dx(ch, i, j, n) = acc(ch, i, j, n);
        c.mark_conv(stage_kind::conv, dx, acc, rk, stuffed, C, F * KW * KH, W, H);
        c.stages->back().kernel = Wtr;
        c.stages->back().kernel_is_stage = true;
        return {dx, d_params};
    }
};

}  // namespace kiln::codegen
