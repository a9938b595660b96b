#pragma once
/*  The dense forward y(o, n) = b(o) + sum_f W(f, o) x(f, n) for a long reduction (F >= 64),
    the hot loop of every Course 1 image model. Both operands are contiguous along f, so the
    reduction is split into vector lanes: rfactor gives
        lanes(u, o, n) = sum_ro W(16 ro + u, o) x(16 ro + u, n),   y = b + sum_u lanes
    and a register tile of bo outputs x bn samples accumulates it: per ro, bo W vectors and
    bn x vectors feed bo*bn FMAs (<= 24 accumulators of the 32 AVX-512 registers).
    Tiles are computed whole even past the last sample: lower() clamps inputs along n.
    When F is long (>= 2048) the reduction is also blocked by 1024 features, and every
    sample tile of a chunk runs through one block before the next: W is then read from
    memory once per chunk of 8 tiles instead of once per tile (12288 x 20 floats = 1 MB
    for C1W4's first layer, which does not stay in L2 across tiles).                     */
#include <algorithm>

#include "codegen/context.hpp"

namespace kiln::codegen {

inline void schedule_wide_matmul(Func f, const stage& s, int natural, bool parallel) {
    const Var n = f.args().back();
    const int F = s.reduce_extent;
    Halide::RVar ro("ro"), ri("ri");
    Var u("u");
    f.update().split(s.r.x, ro, ri, natural);
    Func lanes = f.update().rfactor(ri, u);
    std::vector<Var> storage{u};
    for (const Var& a : lanes.args())
        if (a.name() != u.name()) storage.push_back(a);
    lanes.reorder_storage(storage);  // rfactor puts u outermost; we want it dense
    const Var lo = storage[1], ln = storage[2];
    int bo = 1;
    for (int b = 2; b <= 8; ++b)
        if (s.inner_extent % b == 0) bo = b;
    const int bn = std::clamp(24 / bo, 1, 4);  // 4: a batch of 1 wastes 3 rows, not 7
    Var oo("oo"), oi("oi"), no("no"), ni("ni");

    constexpr int block = 64;  // ro per block: 1024 features
    if (F < 2 * block * natural) {
        // lanes holds one register tile (bo x bn vectors): computed per tile of f, it never
        // leaves the cache (over all outputs at once it was 98 KB for text_lstm's 512)
        Var fo("fo"), fi("fi");
        f.update()
            .split(n, no, ni, bn, Halide::TailStrategy::GuardWithIf)
            .split(f.args()[0], fo, fi, bo)
            .reorder(fi, ni, fo, no);
        lanes.compute_at(f, fo).bound_extent(ln, bn).bound_extent(lo, bo).vectorize(u);
        lanes.update().reorder(u, lo, ln, ro).vectorize(u).unroll(lo).unroll(ln);
        if (parallel) f.update().parallel(no);
        return;
    }
    // Blocked: tile(u, o, n, v) = the sum over block v; lanes accumulates the blocks.
    Halide::RVar rb("rb"), rr("rr");
    Var v("v");
    lanes.update().split(ro, rb, rr, block);
    Func tile = lanes.update().rfactor(rb, v);
    std::vector<Var> tv = tile.args();  // (u, o, n, v) in lanes' storage order plus v
    // Threads take chunks of up to 8 sample tiles, each running all its blocks: a parallel
    // loop inside the block loop would fork and join once per block. The chunk shrinks
    // with the batch (a guarded split would run its full length for a batch of 1).
    Var nc("nc"), nr("nr");
    const Expr chunk = bn * Halide::min(8, (s.batch + bn - 1) / bn);
    lanes.compute_root().vectorize(u);
    lanes.update()
        .split(ln, nc, nr, chunk, Halide::TailStrategy::GuardWithIf)
        .split(nr, no, ni, bn, Halide::TailStrategy::GuardWithIf)
        .split(lo, oo, oi, bo)
        .reorder(u, oi, ni, oo, no, rb, nc)  // one block through every tile, then the next
        .vectorize(u);
    if (parallel) lanes.update().parallel(nc);
    Var tu, to, tn, tb;
    for (const Var& a : tv) {
        if (a.name() == u.name()) tu = a;
        else if (a.name() == lo.name()) to = a;
        else if (a.name() == ln.name()) tn = a;
        else tb = a;
    }
    tile.reorder_storage(tu, to, tn, tb);
    tile.compute_at(lanes, oo).bound_extent(tn, bn).vectorize(tu).unroll(to).unroll(tn);
    tile.update().reorder(tu, to, tn, rr).vectorize(tu).unroll(to).unroll(tn);
}

/*  The dense forward for a short reduction (F < 64: a time_distributed dense over a
    sequence's T N steps, a recurrent layer's input projection, Course 2's small MLPs).
    Vectors run along the outputs o, where W(f, o) is strided by F: a transposed copy of W
    (F x Out, small) makes them contiguous loads. For each vector of outputs, 4 samples
    (unrolled) run through the whole reduction together: per f, one load of W and 4
    broadcasts of x feed 4 FMAs into the same 4 accumulators. Measured on dinosaur_names'
    per-step dense (50 -> 27 over 864 steps): 0.744 -> 0.135 ms.                          */
inline void schedule_short_matmul(Func f, const stage& s, int w) {
    const std::vector<Var> v = f.args();
    const Var o = v[0], n = v.back();
    Func kernel = s.kernel;
    Func wt = kernel.in(f);
    const std::vector<Var> wv = wt.args();
    wt.compute_root().reorder_storage(wv[1], wv[0]).reorder(wv[1], wv[0]).vectorize(wv[1], w, Halide::TailStrategy::GuardWithIf);
    Var oo("oo"), oi("oi"), no("no"), ni("ni");
    f.update()
        .split(n, no, ni, 4, Halide::TailStrategy::GuardWithIf)
        .split(o, oo, oi, w, Halide::TailStrategy::GuardWithIf)
        .reorder(oi, ni, s.r.x, oo, no)
        .vectorize(oi)
        .unroll(ni);
}

}  // namespace kiln::codegen
