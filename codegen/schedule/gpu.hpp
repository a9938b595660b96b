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
      conv            a block is a warp, a lane per output channel, each lane a tile of
                      up to 7 x 7 outputs of its channel in registers (a 1x1, or a small
                      image: up to 4 x 4 outputs of up to 4 channels); the input staged in
                      shared memory a slice of channels at a time, K read directly.
      weight grads    matmul_dw: a thread per weight, the batch summed in registers.
                      conv_dw: the sum first split by groups of up to 16 samples
                      (rfactor), a warp per block as a convolution (a lane per output
                      channel, a tile of weights in registers), then the groups summed, a
                      thread per weight.
      channel sums    bias and batch norm, over every position of every sample: split by
                      sample where a sample has at most 64 positions (a thread per
                      channel and sample, then the samples summed), else summed in levels
                      like the whole sums below, per channel.
      whole sums      the cost, and each weight tensor's squares for L2: the terms taken
                      as one sequence, summed in levels of 64 terms a thread (thread u of
                      L adds every L-th term from u), down to one thread.
                      Each sum, partial or total, is one kernel: a thread sets its value
                      and adds its terms (per_thread), no kernel only to zero it.
      channel stats   batch norm's mean, variance and 1 / std: recomputed where read (a
                      division and a square root) rather than a kernel of their own.
      stat tables     batch norm's taped mean and variance (a segment's train_forward):
                      a thread per channel, both values, the sums' last level in it.
      per-channel     a piece's root element-wise stages over one dimension of one extent
      outputs         (the gradients of its biases, gammas and betas, the new running
                      averages): one kernel (compute_with), a thread per channel, each
                      sum's last level in its threads where only they read it.
      recurrence      a block per sample, a thread per slot: the steps and the
                      iterations of a step (the product's chunks, then each finishing phase)
                      are serial loops of the block, a barrier after each, since a phase
                      reads slots other threads finished in the one before.
    The whole sums, the channel sums' levels, the recurrence's block form and the
    convolution's warp form compile to the kernels intended (checked in the PTX and the
    launches) and pass the CPU-against-OpenCL cases on pocl (tests/gpu), but have not yet
    run on a CUDA GPU in kiln; the forms they replaced had. (The warp form was measured on
    an H200 as a standalone Halide prototype: see conv in gpu_tiles.hpp.)
    In a dense kernel the compute threads are one dimension (the tile's two thread loops
    fused, constant extents) and each staged chunk loads along one dimension, so the stages
    that share the kernel agree on the block's shape; in a conv kernel every lane loop has
    the warp's extent. Tiles divide the weights' extents and staged chunks have fixed
    extents: both were needed on an H200 (bounds outside the weights; block sizes over 1024
    threads from symbolic tile bounds). The tiled stages are in gpu_tiles.hpp, the loop
    nests they are built from in gpu_loops.hpp.
    Checked against the CPU on an H200: bench/results/cuda-2026-11-26.md.            */
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "codegen/context.hpp"
#include "codegen/schedule/call_graph.hpp"
#include "codegen/schedule/gpu_loops.hpp"
#include "codegen/schedule/gpu_tiles.hpp"

namespace kiln::codegen {

namespace gpu_detail {

// A reduction into a small output over a long multi-dimensional domain (the last RVar the
// samples): one partial sum per (output, sample) in parallel, then the samples summed, a
// kernel each (see per_thread).
inline void split_by_sample(Func f, const RDom& r, const home_loop& home = {}) {
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
// batch) starts from `first` partial sums (1,024 unless told).
// (1,024 partial sums for every tensor, then one thread adding them, left a 3x3x512x512
// convolution's 2.4 M squares to four blocks, 2,304 terms a thread, and its last sum to
// one thread loading and adding 1,024 values.)
// f may have pure dimensions (a sum per channel): each level then has that many
// sequences, `inner` the extent of the innermost (see flat), and the last sum may live in
// `home` (see per_thread).
inline void tree_sum(Func f, const RDom& r, long first = 1024, int inner = 32,
                     const home_loop& home = {}) {
    constexpr long fan_in = 64;
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
        long lanes = extent < 0 ? first : 1;
        while (extent > 0 && lanes * fan_in < extent) lanes *= 2;
        const std::string tag = f.name() + "_l" + std::to_string(level);
        Halide::RVar ro(tag + "_ro"), ri(tag + "_ri");
        f.update().split(all, ro, ri, static_cast<int>(lanes), TailStrategy::GuardWithIf);
        Func partial = f.update().rfactor(ri, Var(tag + "_u"));
        partial.update().reorder(ro, Var(tag + "_u"));  // rfactor kept ro outside u
        per_thread(partial, inner);
        all = ri;  // f now sums the partial sums
        extent = lanes;
    }
    per_thread(f, inner, home);
}

// A sum per channel over its positions in every sample (a bias's or batch norm's): split by
// sample where a sample has at most 64 positions (a thread per channel and sample, then a
// thread per channel), else the positions of all the samples as one sequence per channel,
// summed in levels (tree_sum), a first level of one partial sum per position of a sample
// (rounded up to a power of two: about N terms a thread). (Split by sample, a 32x32 image's
// channel was 1,024 dependent additions a thread, on C x N threads: at C = 64, N = 32, 2,048
// threads waiting on memory in turn.)
inline void channel_sum(Func f, const RDom& r, int inner, const home_loop& home) {
    constexpr long most = 64, cap = 65536;
    long positions = 1;
    for (int d = 0; d + 1 < r.dimensions(); ++d) {
        const auto* k = r[d].extent().as<Halide::Internal::IntImm>();
        positions = k != nullptr ? positions * k->value : cap;
    }
    if (positions <= most) return split_by_sample(f, r, home);
    long first = 1;
    while (first < positions && first < cap) first *= 2;
    tree_sum(f, r, first, inner, home);
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

// Per-channel statistics side by side, t(c, k) (batch norm's taped mean and variance): a
// thread per channel, its k values in a serial loop, so that the sums they come from, whose
// last level is computed in the thread (see schedule_cuda), are summed once a channel.
// (Before: the sums' last level a kernel of its own, then the table a thread per value.)
inline void stat_table(Func t) {
    const std::vector<Var> v = t.args();
    t.compute_root().reorder(v[1], v[0]);
    flat(t, {v[0]}, t.name() + "_s0");
}

}  // namespace gpu_detail

// lanes: the target has CUDA's gpu_lanes (see conv); false for OpenCL.
inline void schedule_cuda(const stage_list& stages, bool lanes = true) {
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
    const stage_homes homes(stages, [&](const stage& s) { return !inlined(s); }, plain);
    // One kernel for the root element-wise stages over one dimension of the same extent that
    // do not read each other (compute_with): a piece's per-channel outputs, the gradients of
    // its biases, gammas and betas and the new running averages, with the last level of each
    // one's sums (a kernel each before, and one more for a sum only they read). Halide fuses
    // loops by name: the stages of a group have the same pure variable (the generator names
    // every parameter's copy's p0, p1, ...) and their loops the group's tag.
    std::vector<std::vector<Func>> shared;
    std::map<std::string, std::pair<std::size_t, std::string>> shared_of;  // Func -> (group, tag)
    {
        std::map<std::pair<int, std::string>, std::vector<Func>> by_extent;  // (extent, variable)
        for (const stage& s : stages) {
            Func f = s.f;
            if (!plain(s) || homes.inside(f) || f.dimensions() != 1 || scheduled_by_producer.count(f.name())) continue;
            std::vector<Func>& g = by_extent[{s.inner_extent, f.args()[0].name()}];
            if (std::none_of(g.begin(), g.end(), [&](const Func& m) { return homes.calls(f, m) || homes.calls(m, f); }))
                g.push_back(f);
        }
        for (const auto& [key, g] : by_extent) {
            if (g.size() < 2) continue;
            const std::string tag = "shared" + std::to_string(shared.size()) + "_" + std::to_string(key.first) + "_s0";
            for (const Func& m : g) shared_of[m.name()] = {shared.size(), tag};
            shared.push_back(g);
        }
    }
    auto tag_of = [&](const Func& f) {
        const auto k = shared_of.find(f.name());
        return k == shared_of.end() ? f.name() + "_s0" : k->second.second;
    };
    auto loop_of = [&](const Func& f) { return Halide::LoopLevel(f, Var(tag_of(f) + "_t0")); };
    std::map<std::string, Func> table_of;  // the sums a stat_table is made from (and their one reader) -> it
    for (const stage& s : stages)
        if (s.kind == stage_kind::stat_table && s.partial.defined()) table_of.emplace(s.partial.name(), s.f);
    // Where a sum's last level (or another per-thread Func) is computed: in the threads of its
    // one reader's kernel (stage_homes), or of the shared kernel that all its readers are in
    // (at the group's first stage, whose loops the others are fused into).
    auto home_of = [&](const Func& f) -> home_loop {
        if (const auto t = table_of.find(f.name()); t != table_of.end()) return loop_of(t->second);
        if (const Func h = homes.home_of(f); h.defined()) return loop_of(h);
        const std::set<std::string> readers = homes.readers(f);
        if (f.dimensions() != 1 || readers.empty() || !shared_of.count(*readers.begin())) return {};
        const std::size_t g = shared_of.at(*readers.begin()).first;
        for (const std::string& r : readers)
            if (!shared_of.count(r) || shared_of.at(r).first != g) return {};
        return loop_of(shared[g].front());
    };
    for (const stage& s : stages) {
        Func f = s.f;
        if (scheduled_by_producer.count(f.name())) continue;
        if (s.consumer.defined() && (s.kind == stage_kind::pointwise || s.kind == stage_kind::depthwise)) {
            f.compute_inline();
            continue;
        }
        if (plain(s) && homes.inside(f)) {
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
            home_loop home = home_of(f);
            if (home) {
                f.compute_inline();
            } else {
                root_flat(f, s.inner_extent, tag_of(f));
                home = loop_of(f);
            }
            acc.compute_at(*home);
            break;
        }
        case stage_kind::conv: conv(s, lanes); break;
        case stage_kind::conv_dw: conv_dw(s, lanes, home_of(f)); break;
        case stage_kind::batch_sum: channel_sum(f, s.r, s.inner_extent, home_of(f)); break;
        case stage_kind::scalar_sum: tree_sum(f, s.r); break;
        case stage_kind::feature_sum: per_thread(f, s.inner_extent); break;
        case stage_kind::channel_stat: f.compute_inline(); break;
        case stage_kind::stat_table: stat_table(f); break;
        case stage_kind::pointwise:
        case stage_kind::depthwise:
        case stage_kind::transpose:
            root_flat(f, s.inner_extent, tag_of(f));
            break;
        case stage_kind::recurrence: recurrence(s); break;
        }
    }
    for (const std::vector<Func>& g : shared)
        for (std::size_t i = 1; i < g.size(); ++i) Func(g[i]).compute_with(g.front(), Var(tag_of(g.front()) + "_t0"));
}

}  // namespace kiln::codegen
