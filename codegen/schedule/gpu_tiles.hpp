#pragma once
// The GPU schedules of the stages that tile their outputs and stage their inputs in shared
// memory: dense layers (matmul) and convolutions (conv). See codegen/schedule/gpu.hpp.
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

// out(o, x, y, n) = init(o) + sum_{c, kx, ky} K(o, c, kx, ky) in(c, ., ., n), via acc.
// A block is one warp: a lane per output channel (TO of them), each lane holding a TX x TY
// tile of its channel's outputs in registers (the loops over the tile, the taps and a pair
// of input channels unrolled). The input is staged in shared memory a slice of CK channels
// at a time (every lane reads the same value: a broadcast); K is read straight from global
// memory (the lanes read TO adjacent output channels: one coalesced load, used TX x TY
// times). A 3x3 convolution with a 7x7 tile does 882 FMAs for each pair of channels, reading
// the 2 x 9 x 9 inputs under the tile from shared memory once each (81 paired loads: the
// taps that share an input share the load) and 18 values of K. (Before: a thread per output, its accumulator in shared memory, two shared loads and
// a shared store per FMA.) This is Halide's conv_layer app's CUDA schedule (apps/conv_layer,
// about 90 % of an RTX 2060's FMA rate) with kiln's layouts; on an H200 the same form (7x7
// tile, 16-channel slices) took a 3x3 56x56x64 -> 64 convolution at batch 32 from 3.9 ms
// (a naive tiling) to 0.61 ms (12.1 TFLOP/s; cuDNN in strict FP32: 0.30 ms).
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
    auto across = [&](Halide::Stage st, const VarOrRVar& v) {
        if (lanes) st.gpu_lanes(v);
        else st.gpu_threads(v);
    };
    const std::vector<Var> v = out.args();  // (o, x, y, n)
    // Every tile divides its extent (see divisor_at_most): an unpadded input is read
    // directly, so a tile hanging over the edge would read past it.
    // TO a power of two: Halide's lanes fill a warp of 2^k
    const int TO = pow2_dividing(s.inner_extent, 32), TX = divisor_at_most(s.width, 7),
              TY = divisor_at_most(s.height, 7);
    Var ob("ob"), ot("ot"), xb("xb"), xt("xt"), yb("yb"), yt("yt"), t("t");
    // Computed whole: with the extents known the tiles need no guards (a guard left in
    // a lane loop made Halide put a barrier after every unrolled step). Channel tiles x
    // samples can be many: they are the grid's x (2^31 - 1 blocks; y and z: 65535).
    out.compute_root()
        .bound(v[0], 0, s.inner_extent)
        .bound(v[1], 0, s.width)
        .bound(v[2], 0, s.height)
        .split(v[0], ob, ot, TO, TailStrategy::GuardWithIf)
        .split(v[1], xb, xt, TX, TailStrategy::GuardWithIf)
        .split(v[2], yb, yt, TY, TailStrategy::GuardWithIf)
        .reorder(xt, yt, ot, ob, v[3], xb, yb)
        .fuse(ob, v[3], t)
        .unroll(xt)
        .unroll(yt)
        .gpu_blocks(t, xb, yb);
    across(out, ot);

    // the block's tile, its extents given: a constant-sized array, constant loops
    const std::vector<Var> a = acc.args();
    acc.compute_at(out, t).bound_extent(a[0], TO).bound_extent(a[1], TX).bound_extent(a[2], TY).bound_extent(a[3], 1);
    if (lanes) acc.store_in(Halide::MemoryType::Register);
    acc.unroll(a[1]).unroll(a[2]);
    if (!lanes) acc.reorder(a[1], a[2], a[0]);  // see the update
    across(acc, a[0]);
    const int C = extent_of(s.r.x), CK = divisor_at_most(C, 16), pair = CK % 2 == 0 ? 2 : 1;
    Halide::RVar rc(s.r.x), rkx(s.r.y), rky(s.r.z), rco("rco"), rci("rci"), rcii("rcii");
    acc.update().split(rc, rco, rci, CK).split(rci, rci, rcii, pair);
    // Lanes run in step, each step a lane loop of its own; threads synchronise between
    // thread loops (the tile in local memory): there a thread loop holds the whole slice.
    if (lanes) acc.update().reorder(a[0], rcii, a[1], a[2], rkx, rky, rci, rco);
    else acc.update().reorder(rcii, a[1], a[2], rkx, rky, rci, a[0], rco);
    acc.update()
        .unroll(a[1])
        .unroll(a[2])
        .unroll(rkx)
        .unroll(rky)
        .unroll(rcii);
    across(acc.update(), a[0]);
    // The input's slice: CK channels x the tile's columns and rows ((TX - 1) S + KW of
    // them, S known to the op only). Its (channel, column) pairs are loaded TO at a time, a
    // lane each (every lane loop of a kernel must have the warp's extent, TO), each lane
    // looping over the rows.
    if (s.input.defined()) {
        Func staged = Func(s.input).in(acc);
        const std::vector<Var> sa = staged.args();
        Var cx("cx"), cxo("cxo"), cxi("cxi");
        staged.compute_at(acc, rco)
            .bound_extent(sa[0], CK)
            .bound_extent(sa[3], 1)
            .fuse(sa[0], sa[1], cx)
            .split(cx, cxo, cxi, TO, TailStrategy::GuardWithIf);
        across(staged, cxi);
    }
}

}  // namespace kiln::codegen::gpu_detail
