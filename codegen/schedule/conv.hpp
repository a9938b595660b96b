#pragma once
/*  Convolution schedules (manual, CPU): conv2d's forward, d_in and d_W.
    The stages are written by ops/conv2d.hpp as
      conv     out(o, x, y, n) = acc(o, x, y, n),  acc = init + sum_{i, kx, ky} K(o, i, kx, ky) in(i, ...)
      conv_dw  dW(o, i, kx, ky) = sum_{x, y, n} dy(o, x, y, n) in(i, ...)
    and both become a register tile of output channels (vector lanes) by a few positions
    (conv) or input channels (conv_dw), accumulated over the whole reduction in registers:
    per step, a few vector loads of K (or dy) and one broadcast per position feed
    (vectors x positions) FMAs. 24-28 accumulators use most of AVX-512's 32 registers.
    The zero-bordered input is staged per output row, so the inner loop has no bounds test.
    Measured on this project's machine (Zen 5, AVX-512, 1 thread, Halide 14): see
    bench/results/ and the comments at each schedule.                                      */
#include <algorithm>

#include "codegen/context.hpp"

namespace kiln::codegen {

// The widest power-of-two vector, at most `natural`, that divides `extent`.
inline int dividing_vector(int natural, int extent) {
    int w = 1;
    while (w * 2 <= natural && extent % (w * 2) == 0) w *= 2;
    return w;
}

// The tile along o: `vectors` vectors of width w (largest of 4, 2, 1 that divides O).
struct channel_tile {
    int w = 1, vectors = 1;
    int extent() const { return w * vectors; }
};
inline channel_tile choose_channel_tile(int natural, int extent) {
    channel_tile t{dividing_vector(natural, extent), 1};
    for (int k : {4, 2})
        if (extent % (t.w * k) == 0) { t.vectors = k; break; }
    return t;
}

// A 2-D tile of positions (xs, ys), xs * ys <= limit, for an X x Y output: the most useful
// positions per tile, where a tile that overhangs the edge (shifted inwards) recomputes.
struct position_tile {
    int xs = 1, ys = 1;
};
inline position_tile choose_positions(int X, int Y, int limit) {
    position_tile best;
    double best_score = 0;
    for (int ys = 1; ys <= std::min(Y, limit); ++ys)
        for (int xs = 1; xs <= std::min(X, limit / ys); ++xs) {
            const double covered = double((X + xs - 1) / xs * xs) * ((Y + ys - 1) / ys * ys);
            const double score = xs * ys * (double(X) * Y / covered) - 0.01 * ys;  // ties: rows of x
            if (score > best_score) best_score = score, best = {xs, ys};
        }
    return best;
}

/*  conv (forward, d_in). The tile is written into the stage's consumer (its activation)
    when lower() found one, so bias, folded batch norm and activation cost no extra pass.
    The register tile is acc(o: vectors x w, x: xs, y: ys), about 28 accumulators, summed
    over (i, kx, ky) with i innermost: per i, `vectors` loads of K and xs * ys broadcasts of
    the staged input feed vectors * xs * ys FMAs.
    Two loop orders, by the size of K's slice for one o tile:
      small K (it stays in L2 across rows): (y, n) fused and parallel; x tiles; o tiles.
      large K (late ResNet stages, 2.4-9.4 MB): o tiles outermost and parallel, with as few
        vectors per tile as keep its slice of K in L2 (1 MB), so K is read from L3 once.
    Measured (kiln-conv-bench, 1 thread, this VM's FMA loop 207 GFLOP/s; 3x3, same, bias +
    ReLU, batch 1): 56x56x64 -> 64 in 1.16 ms (199 GFLOP/s, 96%), 28x28x128 1.20 ms (93%),
    14x14x256 1.28 ms (88%), 7x7x512 1.71 ms (65%). PyTorch 1.13 channels-last: 1.30 ms for
    the first. Mullapudi2016: 7.5 ms; Adams2019 / Li2018: see README.                         */
inline void schedule_conv(const stage& s, int natural, int parallel_threshold) {
    using Halide::TailStrategy;
    constexpr int l2_slice = 1024 * 1024;
    const bool fused = s.consumer.defined();
    Func out = fused ? s.consumer : s.f;
    Func acc = s.partial;
    if (fused) Func(s.f).compute_inline();
    out.compute_root();
    const std::vector<Var> v = out.args();  // (o, x, y, n)
    const int O = s.inner_extent, X = s.width, Y = s.height, R = s.reduce_extent;
    // The whole image, even where the consumers read less (a valid pooling may skip the
    // last column): tiles shifted inwards must stay inside what the input provides.
    out.bound(v[0], 0, O).bound(v[1], 0, X).bound(v[2], 0, Y);
    channel_tile ct = choose_channel_tile(natural, O);
    const bool large_kernel = static_cast<long>(O) * R * 4 > l2_slice;
    if (large_kernel)
        while (ct.vectors > 1 && static_cast<long>(ct.extent()) * R * 4 > l2_slice) ct.vectors /= 2;
    // 4 vectors: 24 accumulators (with 4 K vectors and a broadcast, 28 spilled one)
    const int accumulators = ct.vectors == 4 ? 24 : 28;
    const position_tile pt = choose_positions(X, Y, accumulators / ct.vectors);
    const int xs = pt.xs, ys = pt.ys;
    Var oo("oo"), oi("oi"), ov("ov"), ol("ol"), xo("xo"), xi("xi"), yo("yo"), yi("yi"), row("row");
    out.split(v[0], oo, oi, ct.extent())
        .split(oi, ov, ol, ct.w)
        .split(v[1], xo, xi, xs, TailStrategy::ShiftInwards)
        .split(v[2], yo, yi, ys, TailStrategy::ShiftInwards)
        .unroll(ov)
        .unroll(xi)
        .unroll(yi);
    if (ct.w > 1) out.vectorize(ol);
    const bool parallel = static_cast<long>(O) * X * R >= parallel_threshold;
    if (large_kernel) {
        out.reorder(ol, ov, xi, yi, xo, yo, v[3], oo).fuse(yo, v[3], row);
        if (parallel) out.parallel(O / ct.extent() >= 2 ? Halide::VarOrRVar(oo) : Halide::VarOrRVar(row));
        // A computed K (d_in's transposed W, up to 9.4 MB) is made one slice at a time,
        // while that slice is in use: no large temporary, and the work is parallel.
        if (s.kernel_is_stage) {
            Func(s.kernel).compute_at(out, oo);
        } else if (s.kernel.defined()) {
            // K's slice packed contiguously (a strided slice of a wide K streamed slower)
            Func packed = Func(s.kernel).in(acc);
            packed.compute_at(out, oo).bound_extent(packed.args()[0], ct.extent());
            packed.vectorize(packed.args()[0], ct.w);
        }
    } else {
        out.reorder(ol, ov, xi, yi, oo, xo, yo, v[3]).fuse(yo, v[3], row);
        if (parallel) out.parallel(row);
    }

    const std::vector<Var> a = acc.args();
    Var ao("ao"), ai("ai");
    acc.compute_at(out, large_kernel ? xo : oo).bound_extent(a[0], ct.extent()).bound_extent(a[1], xs).bound_extent(a[2], ys);
    acc.split(a[0], ao, ai, ct.w).unroll(ao).unroll(a[1]).unroll(a[2]);
    std::vector<Halide::VarOrRVar> order{ai, ao, a[1], a[2]};
    for (int d = 0; d < s.r.dimensions(); ++d) order.push_back(Halide::RVar(s.r[d]));
    order.push_back(a[3]);
    acc.update().split(a[0], ao, ai, ct.w).reorder(order).unroll(ao).unroll(a[1]).unroll(a[2]);
    if (ct.w > 1) {
        acc.vectorize(ai);
        acc.update().vectorize(ai);
    }
    if (s.input.defined()) {
        Func in = s.input;
        in.compute_at(out, row);
        in.vectorize(in.args()[0], natural, TailStrategy::GuardWithIf);
    }
}

/*  conv_dw. dW is a long reduction over (x, y, n). It is cut into chunks of whole output
    rows, as many as keep the chunk's dy and input in L2: a register tile
    acc(o: vectors x w, i: span, kx: all) sums one chunk (rfactor), and dW adds the chunks
    up, so dW itself is read and written once per chunk. Where a whole image fits, a chunk
    is several whole images (small images: ResNet-50's 4x4 and 2x2 stages at 64x64). Per
    position, `vectors` loads of dy and span x KW broadcasts of the input feed
    vectors x span x KW FMAs. Loop nest: (sample chunk, row chunk) serial; the staged input
    rows; i tiles (parallel); ky; o tiles; the chunk's register tile.
    Measured with d_in (the backward pass of the forward figures above): 56x56x64 2.30 ms
    (201 GFLOP/s, 97%), 14x14x256 2.75 ms (81%), 7x7x512 4.9 ms (45%: d_in's kernel slices).  */
inline void schedule_conv_dw(const stage& s, int natural, int parallel_threshold) {
    constexpr int accumulators = 24, l2_slice = 512 * 1024;
    Func dW = s.f;
    dW.compute_root();
    const std::vector<Var> v = dW.args();  // (o, i, kx, ky)
    const int O = s.inner_extent, I = s.reduce_extent, X = s.width, Y = s.height;
    const channel_tile ct = choose_channel_tile(natural, O);
    const int KW = s.kernel_width;
    dW.bound(v[0], 0, O).bound(v[1], 0, I).bound(v[2], 0, KW);
    const bool kx_in_tile = ct.vectors * KW <= accumulators / 2;
    const int per_i = ct.vectors * (kx_in_tile ? KW : 1);
    int span = 1;  // input channels per tile: the largest divisor of I within the accumulators
    for (int d = 1; d * per_i <= accumulators; ++d)
        if (I % d == 0) span = d;
    int rows = 1;  // output rows per chunk: the largest divisor of Y whose data fit in L2
    for (int d = 1; d <= Y; ++d)
        if (Y % d == 0 && static_cast<long>(O + I) * X * d * 4 <= l2_slice) rows = d;
    // Where a whole image fits, a chunk takes as many samples as fit too (at most 16; the
    // last chunk of a batch is guarded). One sample a chunk, a 2x2 image's 512 -> 512 3x3
    // read and wrote its 9.4 MB dW once per sample for 4 positions' FMAs.
    int samples = 1;
    if (rows == Y) samples = static_cast<int>(std::clamp(l2_slice / (static_cast<long>(O + I) * X * Y * 4), 1L, 16L));
    const Halide::RVar rx(s.r.x), ry(s.r.y), rn(s.r.z);
    Halide::RVar ryo("ryo"), ryi("ryi"), rno("rno"), rni("rni");
    Var cy("cy"), cn("cn");
    dW.update().split(ry, ryo, ryi, rows);
    if (samples > 1) dW.update().split(rn, rno, rni, samples, Halide::TailStrategy::GuardWithIf);
    const Halide::RVar per_chunk = samples > 1 ? rno : rn;  // the samples' loop of dW's update
    Func chunk = dW.update().rfactor({{ryo, cy}, {per_chunk, cn}});
    if (ct.w > 1) dW.vectorize(v[0], ct.w);
    Var oo("oo"), oi("oi"), ov("ov"), ol("ol"), io("io"), ii("ii");
    dW.update()
        .split(v[0], oo, oi, ct.extent())
        .split(oi, ov, ol, ct.w)
        .split(v[1], io, ii, span)
        .unroll(ov)
        .unroll(ii);
    if (kx_in_tile) dW.update().reorder(ol, ov, ii, v[2], oo, v[3], io, ryo, per_chunk).unroll(v[2]);
    else dW.update().reorder(ol, ov, ii, oo, v[2], v[3], io, ryo, per_chunk);
    if (ct.w > 1) dW.update().vectorize(ol);
    if (static_cast<long>(O) * I * X * Y >= parallel_threshold && I / span >= 2) dW.update().parallel(io);

    const std::vector<Var> a = chunk.args();  // (o, i, kx, ky, cy, cn)
    Var ao("ao"), ai("ai");
    chunk.compute_at(dW, oo).bound_extent(a[0], ct.extent()).bound_extent(a[1], span);
    chunk.split(a[0], ao, ai, ct.w).unroll(ao).unroll(a[1]);
    chunk.update().split(a[0], ao, ai, ct.w).unroll(ao).unroll(a[1]);
    // innermost first: the tile, then the chunk's positions (a sample's rows, its samples)
    std::vector<Halide::VarOrRVar> order{ai, ao, a[1]};
    if (kx_in_tile) order.push_back(a[2]);
    order.insert(order.end(), {rx, ryi});
    if (samples > 1) order.push_back(rni);
    if (!kx_in_tile) order.push_back(a[2]);
    order.insert(order.end(), {a[3], a[4], a[5]});
    chunk.update().reorder(order);
    if (kx_in_tile) {
        chunk.bound_extent(a[2], KW).unroll(a[2]);
        chunk.update().unroll(a[2]);
    }
    if (ct.w > 1) {
        chunk.vectorize(ai);
        chunk.update().vectorize(ai);
    }
    if (s.input.defined()) {
        Func in = s.input;
        in.compute_at(dW, ryo);
        in.vectorize(in.args()[0], natural, Halide::TailStrategy::GuardWithIf);
    }
}

/*  transpose: t(a, b, ...) = g(b, a, ...) by square blocks of one vector: a block of g is
    loaded with dense vector loads along b, into registers, and written with dense vector
    stores along a (LLVM turns the block transpose into shuffles). A strided gather of g
    (stride = its first extent) was ~20x slower for a 512 x 512 x 3 x 3 kernel.          */
inline void schedule_transpose(const stage& s, int natural) {
    Func t = s.f;
    t.compute_root();
    const std::vector<Var> v = t.args();
    const int A = s.inner_extent, B = s.reduce_extent;
    const int w = std::min(dividing_vector(natural, A), dividing_vector(natural, B));
    if (w == 1) return;
    Var ao("ao"), ai("ai"), bo("bo"), bi("bi");
    t.tile(v[0], v[1], ao, bo, ai, bi, w, w).vectorize(ai).unroll(bi);
    Func block = Func(s.partial).in(t);
    block.compute_at(t, ao);
    const std::vector<Var> g = block.args();
    block.vectorize(g[0], w).unroll(g[1]);
}

}  // namespace kiln::codegen
