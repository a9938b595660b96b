#pragma once
// The GPU schedules of the stages that tile their outputs in registers or shared memory:
// dense layers (matmul), convolutions (conv) and their weights' gradients (conv_dw). See
// codegen/schedule/gpu.hpp.
#include <algorithm>
#include <string>
#include <vector>

#include "codegen/schedule/gpu_loops.hpp"

namespace kiln::codegen::gpu_detail {

// y(o, n) = init + sum_k K(k, o) in(k, n): TO x TN outputs per block, K and in staged per
// chunk of RK in shared memory. As for a convolution, y is a tile in shared memory computed
// by the block (its initial value, then its sum), and the block's threads write the tile
// out: into the activation that is y's one reader where lower() found one (a kernel for
// dense + relu), else into a copy of y (Func::in). (y at root was two kernels, the first
// only writing the bias, and the activation a third.) Where another stage stages chunks of
// y itself (a dense layer straight after another), a copy would leave y two readers in two
// kernels: there y stays at root, its two definitions a kernel each (`tiled` false).
inline void matmul(const stage& s, int out_extent, bool tiled = true) {
    Func y = s.f;
    // TO and RK divide the weights' extents (see divisor_at_most); the samples' tile may
    // hang over N: lower() clamps every input along n.
    const int TO = divisor_at_most(out_extent, 32), TN = block_threads / TO;
    const int K = s.reduce_extent > 0 ? s.reduce_extent : 1;
    const int RK = divisor_at_most(K, 8);
    Var ob("ob"), ot("ot"), nb("nb"), nt("nt"), t("t"), at("at");
    Halide::RVar rk(s.r.x), ro("ro"), ri("ri");
    // a block per tile of TO x TN, a thread per entry
    const std::vector<Var> a = y.args();
    if (tiled) {
        Func out = s.consumer.defined() ? Func(s.consumer) : y.in();
        out.compute_root();
        const std::vector<Var> v = out.args();
        out.split(v[0], ob, ot, TO, TailStrategy::GuardWithIf)
            .split(v.back(), nb, nt, TN, TailStrategy::GuardWithIf)
            .reorder(ot, nt, ob, nb)
            .fuse(ot, nt, t)
            .gpu_threads(t)
            .gpu_blocks(ob, nb);
        // the tile's extents given (see the chunks below): constant thread loops
        y.compute_at(out, ob).bound_extent(a[0], TO).bound_extent(a[1], TN);
        y.fuse(a[0], a[1], at).gpu_threads(at);
        y.update().split(rk, ro, ri, RK).reorder(ri, a[0], a[1], ro).fuse(a[0], a[1], t).gpu_threads(t);
    } else {
        y.compute_root();
        y.split(a[0], ob, ot, TO, TailStrategy::GuardWithIf)
            .split(a[1], nb, nt, TN, TailStrategy::GuardWithIf)
            .reorder(ot, nt, ob, nb)
            .fuse(ot, nt, t)
            .gpu_threads(t)
            .gpu_blocks(ob, nb);
        y.update()
            .split(a[0], ob, ot, TO, TailStrategy::GuardWithIf)
            .split(a[1], nb, nt, TN, TailStrategy::GuardWithIf)
            .split(rk, ro, ri, RK)
            .reorder(ri, ot, nt, ro, ob, nb)
            .fuse(ot, nt, t)
            .gpu_threads(t)
            .gpu_blocks(ob, nb);
    }
    // The block loads a chunk with one thread per entry of dimension `along` (the longer
    // side of the chunk), each looping over the other. (Fusing the chunk's two dimensions into
    // one thread index gave Halide bounds far outside the weights.)
    // The chunk's extents are given (bound_extent), so that every thread loop of the kernel
    // has a constant extent: derived from guarded tiles, they were symbolic, and the block
    // size Halide took from them could exceed CUDA's 1024 threads.
    auto stage_chunk = [&](const Func& src, int along, int e0, int e1) {
        if (!src.defined()) return;
        Func staged = Func(src).in(y);
        const std::vector<Var> a = staged.args();
        staged.compute_at(y, ro).bound_extent(a[0], e0).bound_extent(a[1], e1)
            .reorder(a[static_cast<std::size_t>(1 - along)], a[static_cast<std::size_t>(along)])
            .gpu_threads(a[static_cast<std::size_t>(along)]);
    };
    // forward: W(k, o) chunk RK x TO, x(k, n) chunk RK x TN; d_in: W(f, k) chunk TO x RK,
    // dy(k, n) chunk RK x TN. (The samples' chunk may reach past N: inputs are clamped.)
    if (s.kind == stage_kind::matmul) stage_chunk(s.kernel, 1, RK, TO);
    else stage_chunk(s.kernel, 0, TO, RK);
    stage_chunk(s.input, 1, RK, TN);
}

// The loop over a warp's lanes (CUDA: gpu_lanes, whose per-lane arrays Halide keeps in
// registers) or, where the target has no lanes (OpenCL), over the block's threads.
inline void across(Halide::Stage st, const VarOrRVar& v, bool lanes) {
    if (lanes) st.gpu_lanes(v);
    else st.gpu_threads(v);
}

// A lane's register tile: its loops unrolled (an array in registers needs constant
// indices). Where the tile is in local memory (OpenCL, `lanes` false) they stay loops:
// the results are the same, and pocl, which runs those kernels in CI, compiled the unrolled
// ones slowly (Happy House's 7x7 convolution and its dW: 110 s with a cold cache).
inline void unroll_tile(Halide::Stage st, const std::vector<VarOrRVar>& loops, bool lanes) {
    if (!lanes) return;
    for (const VarOrRVar& v : loops) st.unroll(v);
}

// The register tile of a convolution's lane (see conv): R output channels (rows TO lanes
// apart) x TX x TY positions, and the input channels each unrolled step reads (`step`).
struct conv_tile {
    int TO, R, TX, TY, CK, step;
};

// Each lane's tile, from the stage's extents. A staged input serves R x taps FMAs of a lane
// and a value of K serves TX x TY, so a tile wants both; its registers (TX TY R, at most
// 64) and the unrolled step's FMAs (TX TY R x taps x step: Halide's lowering time grows with
// it) are the limits. A 3x3 keeps a tile of up to 7x7 positions and one row while its step
// would pass 512 FMAs (a 5x5 tile: 450); a 1x1, which shares no input between taps, takes
// at most 4x4 positions, up to 4 rows and 4 channels a step (256 FMAs from 16 ld.shared.v4
// and 16 loads of K, against 49 from 49 loads and 1 for a 7x7 tile of one row).
inline conv_tile conv_tile_for(const stage& s) {
    const int taps = extent_of(s.r.y) * extent_of(s.r.z), side = taps == 1 ? 4 : 7;
    conv_tile t{};
    t.TO = pow2_dividing(s.inner_extent, 32);  // Halide's lanes fill a warp of 2^k
    t.TX = divisor_at_most(s.width, side);
    t.TY = divisor_at_most(s.height, side);
    t.CK = divisor_at_most(extent_of(s.r.x), 16);
    t.step = taps == 1 && t.CK % 4 == 0 ? 4 : t.CK % 2 == 0 ? 2 : 1;
    t.R = 1;
    const int area = t.TX * t.TY;
    while (t.R < 4 && s.inner_extent % (t.TO * t.R * 2) == 0 && area * t.R * 2 <= 64 &&
           area * t.R * 2 * taps * t.step <= 512)
        t.R *= 2;
    return t;
}

// out(o, x, y, n) = init(o) + sum_{c, kx, ky} K(o, c, kx, ky) in(c, ., ., n), via acc.
// A block is one warp: a lane per output channel (TO of them), each lane holding a tile of
// R channels (TO apart) x TX x TY positions in registers (the loops over the tile, the taps
// and the step's input channels unrolled; see conv_tile_for). The input is staged in shared
// memory a slice of CK channels at a time (every lane reads the same value: a broadcast); K
// is read straight from global memory (the lanes read TO adjacent output channels: one
// coalesced load, used TX x TY times). A 3x3 convolution with a 7x7 tile does 882 FMAs for
// each pair of channels, reading the 2 x 9 x 9 inputs under the tile from shared memory
// once each (81 paired loads: the taps that share an input share the load) and 18 values
// of K. (Before: a thread per output, its accumulator in shared memory, two shared loads
// and a shared store per FMA.) This is Halide's conv_layer app's CUDA schedule
// (apps/conv_layer, about 90 % of an RTX 2060's FMA rate) with kiln's layouts; on an H200
// the same form (7x7 tile, 16-channel slices) took a 3x3 56x56x64 -> 64 convolution at
// batch 32 from 3.9 ms (a naive tiling) to 0.61 ms (12.1 TFLOP/s; cuDNN in strict FP32:
// 0.30 ms).
// CUDA only has gpu_lanes (a warp's lanes, whose per-lane arrays Halide keeps in registers);
// for OpenCL (`lanes` false) the same loops are threads and the tile lives in local memory.
// Halide puts no barrier between a slice's staging and its reads when the block is one warp
// (it takes the lanes to run in step, as its own app does); the CPU-against-CUDA cases
// (tests/gpu) are what check that on a GPU.
inline void conv(const stage& s, bool lanes) {
    const bool fused = s.consumer.defined();
    Func out = fused ? s.consumer : s.f;
    Func acc = s.partial;
    if (fused) Func(s.f).compute_inline();
    const std::vector<Var> v = out.args();  // (o, x, y, n)
    // Every tile divides its extent (see divisor_at_most): an unpadded input is read
    // directly, so a tile hanging over the edge would read past it.
    const conv_tile T = conv_tile_for(s);
    Var ob("ob"), oi("oi"), orow("orow"), ot("ot"), xb("xb"), xt("xt"), yb("yb"), yt("yt"), t("t");
    // Computed whole: with the extents known the tiles need no guards (a guard left in
    // a lane loop made Halide put a barrier after every unrolled step). Channel tiles x
    // samples can be many: they are the grid's x (2^31 - 1 blocks; y and z: 65535).
    out.compute_root()
        .bound(v[0], 0, s.inner_extent)
        .bound(v[1], 0, s.width)
        .bound(v[2], 0, s.height)
        .split(v[0], ob, oi, T.TO * T.R, TailStrategy::GuardWithIf)
        .split(oi, orow, ot, T.TO)
        .split(v[1], xb, xt, T.TX, TailStrategy::GuardWithIf)
        .split(v[2], yb, yt, T.TY, TailStrategy::GuardWithIf)
        .reorder(xt, yt, orow, ot, ob, v[3], xb, yb)
        .fuse(ob, v[3], t)
        .gpu_blocks(t, xb, yb);
    unroll_tile(out, {xt, yt, orow}, lanes);
    across(out, ot, lanes);

    // the block's tile, its extents given: a constant-sized array, constant loops
    const std::vector<Var> a = acc.args();
    Var arow("arow"), alane("alane");
    acc.compute_at(out, t)
        .bound_extent(a[0], T.TO * T.R)
        .bound_extent(a[1], T.TX)
        .bound_extent(a[2], T.TY)
        .bound_extent(a[3], 1);
    if (lanes) acc.store_in(Halide::MemoryType::Register);
    acc.split(a[0], arow, alane, T.TO);
    unroll_tile(acc, {arow, a[1], a[2]}, lanes);
    if (!lanes) acc.reorder(arow, a[1], a[2], alane);  // see the update
    across(acc, alane, lanes);
    Halide::RVar rc(s.r.x), rkx(s.r.y), rky(s.r.z), rco("rco"), rci("rci"), rcii("rcii");
    acc.update().split(a[0], arow, alane, T.TO).split(rc, rco, rci, T.CK).split(rci, rci, rcii, T.step);
    // Lanes run in step, each step a lane loop of its own; threads synchronise between
    // thread loops (the tile in local memory): there a thread loop holds the whole slice.
    if (lanes) acc.update().reorder(alane, rcii, arow, a[1], a[2], rkx, rky, rci, rco);
    else acc.update().reorder(rcii, arow, a[1], a[2], rkx, rky, rci, alane, rco);
    unroll_tile(acc.update(), {arow, a[1], a[2], rkx, rky, rcii}, lanes);
    across(acc.update(), alane, lanes);
    // The input's slice: CK channels x the tile's columns and rows ((TX - 1) S + KW of
    // them, S known to the op only). Its (channel, column) pairs are loaded TO at a time, a
    // lane each (every lane loop of a kernel must have the warp's extent, TO), each lane
    // looping over the rows.
    if (s.input.defined()) {
        Func staged = Func(s.input).in(acc);
        const std::vector<Var> sa = staged.args();
        Var cx("cx"), cxo("cxo"), cxi("cxi");
        staged.compute_at(acc, rco)
            .bound_extent(sa[0], T.CK)
            .bound_extent(sa[3], 1)
            .fuse(sa[0], sa[1], cx)
            .split(cx, cxo, cxi, T.TO, TailStrategy::GuardWithIf);
        across(staged, cxi, lanes);
    }
}

// dW(o, c, kx, ky) = sum_{x, y, n} dy(o, x, y, n) in(c, S x + kx - px, S y + ky - py, n):
// first a partial sum per group of G samples (rfactor), then the groups summed, a thread per
// weight (per_thread, in `home` where that is dW's one reader). The partial sums are a warp
// per block, as a convolution's: a lane per output channel (TO), each lane a tile in
// registers of R output channels (TO apart) x TC input channels x every tap, the positions
// of G samples looped over in the block. At each position a lane loads R values of dy (the
// lanes together: R coalesced loads) and the TC x taps inputs under its tile (the same for
// every lane: a broadcast), for R x TC x taps FMAs: a 3x3 with 4 rows is 36 FMAs from 13
// loads, a 1x1 with 8 rows and 8 channels 64 from 16. (Before: a thread per weight and
// sample, two loads an FMA.) Rows first, then channels, while the tile stays within 64
// registers. G (up to 16) gives a block at least 256 positions where the images are small:
// the partial sums are |W| x N / G values, written once and read once (ResNet-50's 2x2
// stage at batch 32, one a sample: 75 M for one 3x3 convolution).
inline void conv_dw(const stage& s, bool lanes, const home_loop& home) {
    Func f = s.f;
    const int F = s.inner_extent, C = s.reduce_extent, KW = s.kernel_width, KH = s.kernel_height;
    const int taps = KW * KH, TO = pow2_dividing(F, 32);
    int R = 1;
    while (R < 8 && F % (TO * R * 2) == 0 && R * 2 * taps <= 64) R *= 2;
    const int TC = divisor_at_most(C, std::max(1, 64 / (R * taps)));
    int G = 1;
    while (G < 16 && s.width * s.height * G < 256) G *= 2;
    Var u("u");
    Halide::RVar rn(s.r[s.r.dimensions() - 1]), rno("rno"), rni("rni");
    f.update().split(rn, rno, rni, G, TailStrategy::GuardWithIf);
    Func partial = f.update().rfactor(rno, u);
    per_thread(f, 32, home);
    // the block's kernel: a copy of the partial sums, written from the registers
    Func out = partial.in(f);
    const std::vector<Var> v = out.args();  // (o, c, kx, ky, u)
    Var ob("ob"), oi("oi"), orow("orow"), ot("ot"), cb("cb"), ct("ct"), t("t");
    out.compute_root()
        .bound(v[0], 0, F)
        .bound(v[1], 0, C)
        .bound(v[2], 0, KW)
        .bound(v[3], 0, KH)
        .split(v[0], ob, oi, TO * R, TailStrategy::GuardWithIf)
        .split(oi, orow, ot, TO)
        .split(v[1], cb, ct, TC, TailStrategy::GuardWithIf)
        .reorder(v[2], v[3], ct, orow, ot, ob, cb, v[4])
        .fuse(ob, cb, t)
        .gpu_blocks(t, v[4]);
    unroll_tile(out, {v[2], v[3], ct, orow}, lanes);
    across(out, ot, lanes);
    const std::vector<Var> a = partial.args();
    Var arow("arow"), alane("alane");
    partial.compute_at(out, t)
        .bound_extent(a[0], TO * R)
        .bound_extent(a[1], TC)
        .bound_extent(a[2], KW)
        .bound_extent(a[3], KH)
        .bound_extent(a[4], 1);
    if (lanes) partial.store_in(Halide::MemoryType::Register);
    partial.split(a[0], arow, alane, TO);
    unroll_tile(partial, {arow, a[1], a[2], a[3]}, lanes);
    if (!lanes) partial.reorder(arow, a[1], a[2], a[3], alane);
    across(partial, alane, lanes);
    Halide::RVar rx(s.r.x), ry(s.r.y);
    partial.update().split(a[0], arow, alane, TO);
    // lanes run in step: the positions loop around the lane loop; threads (the tile in
    // local memory) each run their whole loop, one barrier at the end
    if (lanes) partial.update().reorder(alane, a[1], a[2], a[3], arow, rx, ry, rni);
    else partial.update().reorder(a[1], a[2], a[3], arow, rx, ry, rni, alane);
    unroll_tile(partial.update(), {arow, a[1], a[2], a[3]}, lanes);
    across(partial.update(), alane, lanes);
}

}  // namespace kiln::codegen::gpu_detail
