#pragma once
/*  manual, for a GPU target (CUDA, or OpenCL: the same loop nests): the same stage roles as
    schedule_manual, as GPU loop nests.
    Every stage computed at root runs on the GPU (a root stage without GPU loops would run on
    the host, with copies both ways), and everything else is fused into a GPU stage:
      element-wise    inlined into their consumer, as on the CPU; a convolution computes
                      its activation in the same kernel (its tile is the activation's).
      pointwise root  one thread per element, 256 to a block: a 2-D tile of the two inner
                      dimensions, the outer ones fused into the grid's third.
      matmul          a block computes a tile of TO outputs x TN samples, one per thread,
                      into shared memory, and writes it out (through the activation
                      after it, if that is its one reader). The reduction runs in chunks of
                      RK: each chunk of W and of x is first staged in shared memory by the
                      whole block.
      conv            a block computes TO channels x TX columns of one row of one sample;
                      the accumulator tile lives in shared memory, and each chunk of CK
                      input channels of K and of the (zero-bordered) input is staged there.
      weight grads    matmul_dw: a thread per weight, the batch summed in registers.
                      conv_dw, and the sums over images (bias and batch norm): the sum is
                      first split by sample (rfactor), a thread per (weight, sample),
                      then the samples are summed, a thread per weight.
      whole sums      the cost, and each weight tensor's squares for L2: the terms taken
                      as one sequence, summed in levels of 64 terms a thread (thread u of
                      L adds every L-th term from u), down to one thread.
                      Each sum, partial or total, is one kernel: a thread sets its value
                      and adds its terms (per_thread), no kernel only to zero it.
      channel stats   batch norm's mean, variance and 1 / std: recomputed where read (a
                      division and a square root) rather than a kernel of their own.
      recurrence      a block per sample, a thread per slot: the steps and the
                      iterations of a step (the product's chunks, then each finishing phase)
                      are serial loops of the block, a barrier after each, since a phase
                      reads slots other threads finished in the one before.
    The whole sums and the recurrence's block form compile to the kernels intended (checked
    in the PTX and the launches) and pass the CPU-against-OpenCL cases on pocl (tests/gpu),
    but have not yet run on a CUDA GPU; the forms they replaced had.
    In a dense or conv kernel the compute threads are one dimension (the tile's two thread
    loops fused, constant extents) and each staged chunk loads along one dimension, so the
    stages that share the kernel agree on the block's shape. Tiles divide the weights'
    extents and staged chunks have fixed extents: both were needed on an H200 (bounds
    outside the weights; block sizes over 1024 threads from symbolic tile bounds).
    Checked against the CPU on an H200: bench/results/cuda-2026-11-26.md.            */
#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "codegen/context.hpp"
#include "codegen/schedule/call_graph.hpp"

namespace kiln::codegen {

namespace gpu_detail {

using Halide::TailStrategy;
using Halide::VarOrRVar;

constexpr int block_threads = 256;

// The pure Vars that stage `update` (0: the pure definition) of f writes at: for an update,
// the left-hand side's arguments that are plain Vars of f's own.
inline std::vector<Var> pure_vars(const Func& f, int update) {
    const std::vector<Var> args = f.args();
    if (update == 0) return args;
    std::vector<Var> out;
    for (const Expr& e : f.update_args(update - 1)) {
        const auto* v = e.as<Halide::Internal::Variable>();
        if (v == nullptr) continue;
        for (const Var& a : args)
            if (a.name() == v->name) out.push_back(a);
    }
    return out;
}

// A thread per point of `vars` (innermost first), block_threads to a block: tiles of
// T0 x (block_threads / T0) over the first two, T0 the inner extent's power of two up to
// 32; any further vars fused into the grid's third dimension. No vars: one thread.
// Returns the innermost thread loop's Var, where a Func computed once per thread goes.
// (One fused dimension split in blocks instead gave Halide bounds it could not prove
// inside the weights.)
inline Var flat(Halide::Stage st, const std::vector<Var>& vars, const std::string& tag, int inner = 32) {
    Var b0(tag + "_b0"), t0(tag + "_t0");
    if (vars.empty()) {  // gpu_single_thread, with loops named here
        st.split(Var::outermost(), Var::outermost(), t0, 1)
            .split(Var::outermost(), Var::outermost(), b0, 1)
            .gpu_blocks(b0)
            .gpu_threads(t0);
        return t0;
    }
    if (vars.size() == 1) {
        st.gpu_tile(vars[0], b0, t0, block_threads, TailStrategy::GuardWithIf);
        return t0;
    }
    int T0 = 1;
    while (T0 * 2 <= 32 && T0 * 2 <= inner) T0 *= 2;
    Var b1(tag + "_b1"), t1(tag + "_t1");
    Var rest = vars[2 % vars.size()];
    for (std::size_t i = 3; i < vars.size(); ++i) {
        Var fused(tag + "_fused" + std::to_string(i));
        st.fuse(rest, vars[i], fused);
        rest = fused;
    }
    st.gpu_tile(vars[0], vars[1], b0, b1, t0, t1, T0, block_threads / T0, TailStrategy::GuardWithIf);
    if (vars.size() > 2) st.gpu_blocks(rest);
    return t0;
}

// Root, and a thread per point in every definition: a kernel per definition.
inline void root_flat(Func f, int inner = 32) {
    f.compute_root();
    flat(f, pure_vars(f, 0), f.name() + "_s0", inner);
    for (int u = 0; u < f.num_update_definitions(); ++u)
        flat(f.update(u), pure_vars(f, u + 1), f.name() + "_s" + std::to_string(u + 1), inner);
}

// A reduction f (its initial value, then an update) in one kernel: a copy of f at root
// (Func::in, which every reader of f then reads), a thread per value, and f computed whole
// inside each thread, its initial value and its sum. (Computed at root, f's two definitions
// were two kernels, the first only writing zeros: with these kernels gone, the sums' new
// levels and batch norm's statistics recomputed where read, ResNet-50's Adam step makes
// 1,699 launches instead of 3,135.)
// Where f's one reader is a root element-wise stage that reads it point for point (a
// gradient's output copy), f is computed in that stage's threads instead (`home`, see
// schedule_cuda): no kernel of its own.
inline void per_thread(Func f, int inner = 32, const Func& home = Func()) {
    if (home.defined()) {
        f.compute_at(home, Var(home.name() + "_s0_t0"));
        return;
    }
    Func copy = f.in();
    copy.compute_root();
    f.compute_at(copy, flat(copy, pure_vars(copy, 0), copy.name() + "_s0", inner));
}

// The compile-time extent of a reduction variable (conv's channels and taps).
inline int extent_of(const Halide::RVar& r) {
    const auto* k = r.extent().as<Halide::Internal::IntImm>();
    if (k == nullptr) throw std::logic_error("schedule_cuda: a convolution's reduction extent " + r.name() + " is not a constant");
    return static_cast<int>(k->value);
}

// Largest power of two <= min(cap, extent), at least 1.
inline int pow2_at_most(int extent, int cap) {
    int w = 1;
    while (w * 2 <= cap && w * 2 <= extent) w *= 2;
    return w;
}

// Largest divisor of extent that is <= cap. A tile of a weight tensor's dimension must
// divide it: the chunk staged in shared memory is loaded whole, before the threads' own
// guards, so a tile hanging over the end would read past the weights.
inline int divisor_at_most(int extent, int cap) {
    for (int d = std::min(extent, cap); d > 1; --d)
        if (extent % d == 0) return d;
    return 1;
}

// A reduction into a small output over a long multi-dimensional domain (the last RVar the
// samples): one partial sum per (output, sample) in parallel, then the samples summed, a
// kernel each (see per_thread).
inline void split_by_sample(Func f, const RDom& r, const Func& home = Func()) {
    if (r.dimensions() >= 2) {
        Var u(f.name() + "_u");
        per_thread(f.update().rfactor(Halide::RVar(r[r.dimensions() - 1]), u));
    }
    per_thread(f, 32, home);
}

// A whole tensor summed into one value (the cost; for L2, a weight tensor's squares): its
// terms taken as one sequence, then summed in levels of at most fan_in terms a thread, a
// kernel a level (see per_thread), down to the one thread that adds the last fan_in. Each
// level's thread u adds terms u, u + L, u + 2L, ... of the level below (L its thread count;
// adjacent threads read adjacent terms). A sequence of unknown length (the cost's, with the
// batch) starts from 1,024 partial sums.
// (1,024 partial sums for every tensor, then one thread adding them, left a 3x3x512x512
// convolution's 2.4 M squares to four blocks, 2,304 terms a thread, and its last sum to
// one thread loading and adding 1,024 values.)
inline void tree_sum(Func f, const RDom& r) {
    constexpr long fan_in = 64, unknown_lanes = 1024;
    long extent = 1;
    Halide::RVar all(r[0]);
    for (int d = 0; d < r.dimensions(); ++d) {
        const auto* k = r[d].extent().as<Halide::Internal::IntImm>();
        extent = (k != nullptr && extent > 0) ? extent * k->value : -1;
        if (d == 0) continue;
        Halide::RVar fused(f.name() + "_all" + std::to_string(d));
        f.update().fuse(all, Halide::RVar(r[d]), fused);
        all = fused;
    }
    for (int level = 0; extent < 0 || extent > fan_in; ++level) {
        long lanes = extent < 0 ? unknown_lanes : 1;
        while (extent > 0 && lanes * fan_in < extent) lanes *= 2;
        const std::string tag = f.name() + "_l" + std::to_string(level);
        Halide::RVar ro(tag + "_ro"), ri(tag + "_ri");
        f.update().split(all, ro, ri, static_cast<int>(lanes), TailStrategy::GuardWithIf);
        Func partial = f.update().rfactor(ri, Var(tag + "_u"));
        partial.update().reorder(ro, Var(tag + "_u"));  // rfactor kept ro outside u
        per_thread(partial);
        all = ri;  // f now sums the partial sums
        extent = lanes;
    }
    per_thread(f);
}

// A recurrence S(j, t, n) (ops/recurrent.hpp): its update runs over RDom (J slot, k, t),
// each iteration (k, t) writing slots S(J, t, n) and reading only slots that an earlier
// iteration finished (the previous step's state, the gates of an earlier phase) or its own.
// So the slots of one iteration are independent: a thread each (Halide cannot prove it
// through the phases' `where`, hence allow_race_conditions), a block per sample, and the
// serial t and k loops of the block around them.
// Each iteration must end in a barrier, and Halide puts one after an iteration of a
// block-level loop only when the iteration itself holds one, between two thread loops. The
// iteration's chunk of W_h, staged in shared memory by the whole block (a thread per slot
// row), is the first of those: Halide syncs after staging it and after the slots' update.
// Where a block cannot hold the slots (1024 threads) or the chunk (48 KiB), the old form:
// a thread per sample through every step and slot.
inline void recurrence(const stage& s) {
    Func S = s.f;
    constexpr int max_threads = 1024, max_shared_bytes = 48 * 1024;
    const int chunk_bytes = s.chunk * s.inner_extent * static_cast<int>(sizeof(float));  // W_h's slots <= S's
    if (!s.kernel.defined() || s.inner_extent > max_threads || chunk_bytes > max_shared_bytes) {
        root_flat(S, s.inner_extent);
        return;
    }
    S.compute_root();
    flat(S, pure_vars(S, 0), S.name() + "_s0");
    const Var n = S.args().back();
    Halide::RVar J(s.r.x), k(s.r.y), t(s.r.z);
    S.update().allow_race_conditions().reorder(J, k, t, n).gpu_threads(J).gpu_blocks(n);
    Func w = Func(s.kernel).in(S);
    const std::vector<Var> a = w.args();
    const Var along = a[static_cast<std::size_t>(s.chunk_dim)], row = a[static_cast<std::size_t>(1 - s.chunk_dim)];
    w.compute_at(S, k).bound_extent(along, s.chunk).reorder(along, row).gpu_threads(row);
}

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
inline void conv(const stage& s) {
    const bool fused = s.consumer.defined();
    Func out = fused ? s.consumer : s.f;
    Func acc = s.partial;
    if (fused) Func(s.f).compute_inline();
    out.compute_root();
    const std::vector<Var> v = out.args();  // (o, x, y, n)
    const int O = s.inner_extent, X = s.width;
    // At most 32 columns: the staged input chunk, CK x ((TX - 1) S + KW) values loaded a
    // thread each, stays within a block's 1024 threads.
    // Every tile divides its extent (see divisor_at_most): the columns' too, since an
    // unpadded input is read directly.
    const int TO = divisor_at_most(O, 32), TX = divisor_at_most(X, std::min(32, block_threads / TO));
    Var ob("ob"), ot("ot"), xb("xb"), xt("xt"), yn("yn"), t("t");
    // rows x samples can be many: they are the grid's x (2^31 - 1 blocks; y and z: 65535)
    out.split(v[0], ob, ot, TO, TailStrategy::GuardWithIf)
        .split(v[1], xb, xt, TX, TailStrategy::GuardWithIf)
        .fuse(v[2], v[3], yn)
        .reorder(ot, xt, yn, ob, xb)
        .fuse(ot, xt, t)
        .gpu_threads(t)
        .gpu_blocks(yn, ob, xb);

    const std::vector<Var> a = acc.args();
    Var at("at");
    // a tile of TO x TX x 1 x 1, given (see matmul's chunks): constant thread loops
    acc.compute_at(out, yn).bound_extent(a[0], TO).bound_extent(a[1], TX).bound_extent(a[2], 1).bound_extent(a[3], 1);
    acc.fuse(a[0], a[1], at).gpu_threads(at);
    const int C = extent_of(s.r.x);
    const int CK = divisor_at_most(C, 8);
    Halide::RVar rc(s.r.x), rco("rco"), rci("rci");
    std::vector<VarOrRVar> order{rci};
    for (int d = 1; d < s.r.dimensions(); ++d) order.push_back(Halide::RVar(s.r[d]));
    Var at2("at2");
    acc.update().split(rc, rco, rci, CK);
    order.push_back(a[0]);
    order.push_back(a[1]);
    order.push_back(a[2]);
    order.push_back(a[3]);
    order.push_back(rco);
    acc.update().reorder(order).fuse(a[0], a[1], at2).gpu_threads(at2);
    // A thread per output channel of K's chunk (TO x CK x KW x KH), per column of the
    // input's (CK x columns x rows); the other dimensions looped (see matmul).
    auto stage_chunk = [&](const Func& src, int along, const std::vector<int>& extents) {
        if (!src.defined()) return;
        Func staged = Func(src).in(acc);
        const std::vector<Var> sa = staged.args();
        staged.compute_at(acc, rco);
        for (std::size_t d = 0; d < extents.size(); ++d) staged.bound_extent(sa[d], extents[d]);
        std::vector<VarOrRVar> order;
        for (std::size_t d = 0; d < sa.size(); ++d)
            if (static_cast<int>(d) != along) order.push_back(sa[d]);
        order.push_back(sa[static_cast<std::size_t>(along)]);  // outermost: the rest loops inside
        staged.reorder(order).gpu_threads(sa[static_cast<std::size_t>(along)]);
    };
    const int KW = extent_of(s.r.y), KH = extent_of(s.r.z);
    stage_chunk(s.kernel, 0, {TO, CK, KW, KH});
    // the input's columns: (TX - 1) S + KW, S known to the op only; its sample: one
    stage_chunk(s.input, 1, {CK});
}

}  // namespace gpu_detail

inline void schedule_cuda(const stage_list& stages) {
    using namespace gpu_detail;
    std::set<std::string> scheduled_by_producer;
    for (const stage& s : stages)
        if (s.consumer.defined() && (s.kind == stage_kind::conv || s.kind == stage_kind::matmul))
            scheduled_by_producer.insert(s.consumer.name());
    // computed inside another stage's kernel
    auto inlined = [&](const stage& s) {
        return s.kind == stage_kind::channel_stat ||
               (s.consumer.defined() && (s.kind == stage_kind::pointwise || s.kind == stage_kind::depthwise ||
                                         s.kind == stage_kind::conv || s.kind == stage_kind::matmul));
    };
    // A root element-wise stage that a reducing or element-wise stage can live in: its own
    // kernel, a thread per point (root_flat), one definition.
    auto plain = [&](const stage& s) {
        return s.kind == stage_kind::pointwise && !inlined(s) && !scheduled_by_producer.count(s.f.name()) &&
               !s.f.has_update_definition() && s.f.dimensions() > 0;
    };
    std::set<std::string> staged;  // what a stage copies chunks of into shared memory
    for (const stage& s : stages)
        for (const Func& src : {s.input, s.kernel})
            if (src.defined()) staged.insert(src.name());
    // Which stage each Func's kernel runs in: a Func that is not a root stage is computed
    // inside its readers. First the element-wise stages that one reader reads point for
    // point are inlined there (the output copies' sources, L2's decayed gradients), then the
    // sums whose one reader is such a stage are computed in its threads.
    const call_graph calls(stages);
    std::set<std::string> inside = calls.all();
    std::map<std::string, Func> homes;
    for (const stage& s : stages) {
        if (!inlined(s)) inside.erase(s.f.name());
        if (plain(s)) homes.emplace(s.f.name(), s.f);
    }
    auto home_of = [&](const Func& f) {
        const auto h = homes.find(calls.sole_reader(f.name(), inside));
        return h == homes.end() || h->second.dimensions() != f.dimensions() ? Func() : h->second;
    };
    for (bool more = true; more;) {
        more = false;
        for (const stage& s : stages)
            if (plain(s) && !inside.count(s.f.name()) && home_of(s.f).defined()) {
                inside.insert(s.f.name());
                more = true;
            }
    }
    for (const stage& s : stages) {
        Func f = s.f;
        if (scheduled_by_producer.count(f.name())) continue;
        if (s.consumer.defined() && (s.kind == stage_kind::pointwise || s.kind == stage_kind::depthwise)) {
            f.compute_inline();
            continue;
        }
        if (plain(s) && inside.count(f.name())) {
            f.compute_inline();
            continue;
        }
        switch (s.kind) {
        case stage_kind::matmul:
        case stage_kind::matmul_dx: matmul(s, s.inner_extent, !staged.count(f.name())); break;
        case stage_kind::matmul_dw: {
            // a thread per weight; its sum over the batch in registers, in the gradient's
            // output copy's threads where that is f's one reader
            Func acc = s.partial;
            Func home = home_of(f);
            if (home.defined()) {
                f.compute_inline();
            } else {
                root_flat(f, s.inner_extent);
                home = f;
            }
            acc.compute_at(home, Var(home.name() + "_s0_t0"));
            break;
        }
        case stage_kind::conv: conv(s); break;
        case stage_kind::conv_dw:
        case stage_kind::batch_sum: split_by_sample(f, s.r, home_of(f)); break;
        case stage_kind::scalar_sum: tree_sum(f, s.r); break;
        case stage_kind::feature_sum: per_thread(f, s.inner_extent); break;
        case stage_kind::channel_stat: f.compute_inline(); break;
        case stage_kind::pointwise:
        case stage_kind::depthwise:
        case stage_kind::transpose:
            root_flat(f, s.inner_extent);
            break;
        case stage_kind::recurrence: recurrence(s); break;
        }
    }
}

}  // namespace kiln::codegen
