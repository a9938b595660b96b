#pragma once
/*  Schedules: how each stage role becomes a loop nest. The maths never changes here.
      naive   every stage compute_root, serial, scalar: the baseline kiln is measured against
              (and the float64 gradcheck build, where speed does not matter).
      manual  kiln's per-role CPU policy (below). The autoschedulers (Mullapudi2016 ...) are
              applied by Halide's build rules instead: see codegen/generator.hpp.
    Machine for the figures quoted in comments: this project's 2-core AVX-512 x86-64 VM
    (Zen 5), Halide 14, float32, 1 thread unless said.                                     */
#include <algorithm>
#include <set>
#include <string>

#include "codegen/context.hpp"
#include "codegen/schedule/call_graph.hpp"
#include "codegen/schedule/conv.hpp"
#include "codegen/schedule/matmul.hpp"

namespace kiln::codegen {

inline void schedule_naive(const stage_list& stages) {
    for (const stage& s : stages) {
        Func f = s.f;
        f.compute_root();
        if (s.partial.defined()) Func(s.partial).compute_root();
    }
}

// Widest power-of-two vector (at most the machine's) that an extent can use.
inline int vector_width(int natural, int extent) {
    int w = 1;
    while (w * 2 <= natural && w * 2 <= extent) w *= 2;
    return w;
}

/*  manual: one policy per role.
    - Every stage is computed at root: the training step needs every activation for the
      backward pass anyway, and each stage is then one dense, vectorised loop nest.
    - Vectorise the innermost pure dimension (channels / features); when it is 1, vectorise
      over the batch instead. Tails are guarded, so any batch size works.
    - Go parallel over the batch (or over feature chunks for weight gradients) only where a
      stage has enough work to pay for waking the thread pool (~2 us here).
    - matmul with a long reduction (F >= 64): vector lanes and register tiles, see
      schedule/matmul.hpp.                                                              */
// An image stage whose every output is a short sum over a window of its own channel
// (depthwise_conv2d): vectors over channels, rows of all samples in parallel.
inline void schedule_depthwise(Func f, int channels, int natural) {
    std::vector<Var> v = f.args();
    f.compute_root();
    const int w = vector_width(natural, channels);
    if (w > 1) f.vectorize(v[0], w, Halide::TailStrategy::GuardWithIf);
    Var yn("yn");
    f.fuse(v[2], v[3], yn).parallel(yn);
}

// A sum of everything into one scalar (the cost, an L2 penalty): one partial sum a vector
// lane (rfactor), then the lanes added. Serial, each add waits for the last (about 4 cycles):
// for ResNet-50's 23.5 M weights some 94 M cycles a step (estimated from the loop, not timed).
inline void schedule_scalar_sum(Func f, const Halide::RDom& r, int natural) {
    Halide::RVar all(r[0]);
    for (int d = 1; d < r.dimensions(); ++d) {
        Halide::RVar fused(f.name() + "_all" + std::to_string(d));
        f.update().fuse(all, Halide::RVar(r[d]), fused);
        all = fused;
    }
    Halide::RVar ro(f.name() + "_ro"), ri(f.name() + "_ri");
    Var u(f.name() + "_u");
    f.update().split(all, ro, ri, natural, Halide::TailStrategy::GuardWithIf);
    Func lanes = f.update().rfactor(ri, u);
    lanes.compute_root().vectorize(u);
    lanes.update().reorder(u, ro).vectorize(u);
}

inline void schedule_manual(const stage_list& stages, const Halide::Target& target) {
    using Halide::TailStrategy;
    constexpr int parallel_threshold = 4096;  // elements of work per sample before going parallel
    // Fusions lower() found: a convolution schedules its consumer (the activation) itself;
    // an element-wise stage is inlined into its consumer.
    std::set<std::string> scheduled_by_producer;
    for (const stage& s : stages)
        if (s.consumer.defined() && s.kind == stage_kind::conv) scheduled_by_producer.insert(s.consumer.name());
    // A depthwise stage is computed inside its consumer instead (the activation after it).
    std::set<std::string> inlined_depthwise;
    for (const stage& s : stages)
        if (s.consumer.defined() && s.kind == stage_kind::depthwise) inlined_depthwise.insert(s.consumer.name());
    // A root element-wise stage whose one reader reads it point for point and is a root
    // element-wise stage itself is computed there: one pass instead of two. (L2's decayed
    // gradient dW + lambda / N W went to memory, then its output copy read it back: for
    // ResNet-50, 23.5 M weights, 188 MB more traffic a step.)
    auto plain = [&](const stage& s) {
        return s.kind == stage_kind::pointwise && !s.consumer.defined() && !scheduled_by_producer.count(s.f.name()) &&
               !inlined_depthwise.count(s.f.name()) && !s.f.has_update_definition() && s.f.dimensions() > 0;
    };
    const stage_homes homes(
        stages,
        [](const stage& s) {
            return !(s.consumer.defined() && (s.kind == stage_kind::pointwise || s.kind == stage_kind::depthwise));
        },
        plain);
    for (const stage& s : stages) {
        Func f = s.f;
        if (scheduled_by_producer.count(f.name())) continue;
        if ((s.consumer.defined() && s.kind == stage_kind::pointwise) || (plain(s) && homes.inside(f))) {
            f.compute_inline();
            continue;
        }
        if (s.kind == stage_kind::depthwise || inlined_depthwise.count(f.name())) {
            if (s.consumer.defined()) {
                f.compute_inline();
                continue;
            }
            schedule_depthwise(f, s.inner_extent, target.natural_vector_size(f.output_types()[0]));
            continue;
        }
        const int natural = target.natural_vector_size(f.output_types()[0]);
        std::vector<Var> v = f.args();
        f.compute_root();
        if (v.empty()) {  // a scalar (the cost)
            if (s.kind == stage_kind::scalar_sum && s.r.defined()) schedule_scalar_sum(f, s.r, natural);
            continue;
        }
        const Var n = v.back();
        const int w = vector_width(natural, s.inner_extent);
        auto vectorize_pure = [&](Halide::Stage st) {
            if (v.size() == 1) return;
            if (s.inner_extent >= 2) st.vectorize(v[0], w, TailStrategy::GuardWithIf);
            else st.vectorize(n, natural, TailStrategy::GuardWithIf);
        };
        switch (s.kind) {
        case stage_kind::pointwise:
        case stage_kind::channel_stat:
        case stage_kind::stat_table:
            vectorize_pure(f);
            if (s.inner_extent >= parallel_threshold) {
                f.parallel(n);
            } else if (v.size() == 4 && s.inner_extent >= 2) {
                // an image (c, x, y, n): its rows of all the samples in parallel. Serial, these
                // memory-bound passes (batch norm's, ReLU's and the residual adds' backward
                // among them) left the second thread idle. Not below 4 samples: at batch 1
                // Happy House's inference (0.2 ms) paid more for waking the threads than
                // the rows gained.
                Var yn(f.name() + "_yn");
                if (s.batch.defined()) f.specialize(s.batch >= 4).fuse(v[2], v[3], yn).parallel(yn);
                else f.fuse(v[2], v[3], yn).parallel(yn);
            }
            // an element-wise scatter (embedding's d_W += dy at each step's index): the same
            // vectors, serial over the steps
            if (f.has_update_definition()) vectorize_pure(f.update());
            break;
        case stage_kind::matmul: {
            vectorize_pure(f);
            const int F = s.reduce_extent;
            if (F >= 64) {
                schedule_wide_matmul(f, s, natural, F * s.inner_extent >= parallel_threshold);
            } else if (s.inner_extent >= 2 && s.kernel.defined()) {
                schedule_short_matmul(f, s, w);
            } else if (s.inner_extent >= 2) {
                f.update().reorder(v[0], s.r.x, n).vectorize(v[0], w, TailStrategy::GuardWithIf);
            } else {
                f.update().reorder(n, s.r.x).vectorize(n, natural, TailStrategy::GuardWithIf);
            }
            break;
        }
        case stage_kind::matmul_dx:
            vectorize_pure(f);
            f.update().reorder(v[0], s.r.x, n).vectorize(v[0], w, TailStrategy::GuardWithIf);
            if (s.inner_extent * s.reduce_extent >= parallel_threshold) f.update().parallel(n);
            break;
        case stage_kind::matmul_dw: {
            // dW(f, o) = sum_n x(f, n) dy(o, n). A tile of 4 vectors of f by bo outputs is
            // accumulated over the whole batch in registers (the tile is a constant-size
            // allocation that unrolling and vectorising turn into registers): per n, 4
            // loads of x and bo broadcasts of dy feed 4 bo FMAs.
            // The tile must divide (F, Out) exactly: it is computed whole, and x may be an
            // input buffer that must not be read past F.
            Var fo("fo"), fi("fi"), oo("oo"), oi("oi");
            int bo = 1;  // outputs per tile: the largest divisor of Out up to 8
            for (int b = 2; b <= 8; ++b)
                if (s.reduce_extent_out % b == 0) bo = b;
            int wd = 1;  // the widest vector that divides F
            while (wd * 2 <= natural && s.inner_extent % (wd * 2) == 0) wd *= 2;
            int chunk = wd;  // up to 4 vectors, at most ~24 accumulators of the 32 registers
            for (int k = std::clamp(24 / bo, 1, 4); k >= 2 && chunk == wd; --k)
                if (s.inner_extent % (wd * k) == 0) chunk = wd * k;
            f.split(v[0], fo, fi, chunk, TailStrategy::GuardWithIf)
                .split(v[1], oo, oi, bo, TailStrategy::GuardWithIf)
                .reorder(fi, oi, fo, oo);
            if (wd > 1) f.vectorize(fi, wd);
            // about eight tasks: a task per tile would cost more to hand out than to run
            if (s.inner_extent >= 2048) {
                Var fp("fp");
                f.split(fo, fp, fo, std::max(1, s.inner_extent / chunk / 8)).parallel(fp);
            }
            Func acc = s.partial;
            const std::vector<Var> av = acc.args();
            acc.compute_at(f, fo).bound_extent(av[0], chunk).bound_extent(av[1], bo).unroll(av[1]);
            acc.update().reorder(av[0], av[1], s.r.x).unroll(av[1]);
            if (wd > 1) {
                acc.vectorize(av[0], wd);
                acc.update().vectorize(av[0], wd).unroll(av[0]);
            } else {
                acc.update().unroll(av[0]);
            }
            break;
        }
        case stage_kind::batch_sum: {
            // Vectors that divide the channel count exactly: with guarded tails on both the
            // pure and the update stage, a batch norm's sums came out wrong (Halide 14) when
            // the pipeline's outputs needed only the forward pass.
            int wd = 1;
            while (wd * 2 <= natural && s.inner_extent % (wd * 2) == 0) wd *= 2;
            // Blocks of channels in parallel, each summed over every position: up to 8
            // blocks of at least 16 channels (a cache line of float32 input a position), so
            // that the threads share no line. Serial, they left the second thread idle:
            // SIGNS CNN's and Happy House's training steps took 1.16x and 1.23x as long on
            // two threads.
            int blocks = 1;
            while (blocks < 8 && s.inner_extent % (blocks * 2) == 0 && s.inner_extent / (blocks * 2) >= std::max(16, wd))
                blocks *= 2;
            std::vector<Halide::VarOrRVar> order{v[0]};
            for (int d = 0; d < s.r.dimensions(); ++d) order.push_back(Halide::RVar(s.r[d]));
            if (blocks > 1) {
                Var co(f.name() + "_co"), ci(f.name() + "_ci");
                f.update().split(v[0], co, ci, s.inner_extent / blocks);
                order.front() = ci;
                order.push_back(co);
                f.update().reorder(order).parallel(co);
                if (wd > 1) f.update().vectorize(ci, wd);
            } else {
                f.update().reorder(order);
                if (wd > 1) f.update().vectorize(v[0], wd);
            }
            if (wd > 1) f.vectorize(v[0], wd);
            break;
        }
        case stage_kind::conv: schedule_conv(s, natural, parallel_threshold); break;
        case stage_kind::conv_dw: schedule_conv_dw(s, natural, parallel_threshold); break;
        case stage_kind::depthwise: break;  // scheduled above
        case stage_kind::transpose: schedule_transpose(s, natural); break;
        case stage_kind::recurrence: {
            // A recurrence (ops/recurrent.hpp) is sequential in its steps and in the slots a
            // step's phases fill; the samples are independent. So the samples are the vector
            // lanes: stored innermost, every update iteration (t, slot, k) is one vector FMA,
            // or one vector of a finishing phase.
            // (TailStrategy::RoundUp, or the sample vectors' loop outside the slots, kept
            // Halide from peeling the finishing phases off the k loop: 40x slower.)
            // Fewer samples than a vector (C5W1A2 trains on one name at a time): scalar loops
            // (mostly masked vectors of samples ran a batch of 1 4x slower, vectors of slots
            // 1.4x slower).
            const Var j = v[0], t = v[1];
            f.reorder_storage(n, j, t);
            f.reorder(n, j, t);
            f.specialize(s.batch >= natural).vectorize(n, natural, TailStrategy::GuardWithIf);
            if (!s.r.defined()) break;
            f.update().reorder(n, Halide::RVar(s.r.x), Halide::RVar(s.r.y), Halide::RVar(s.r.z));
            f.update().specialize(s.batch >= natural).vectorize(n, natural, TailStrategy::GuardWithIf);
            // Below a vector of samples: the scalar loops, each iteration of k unrolled (the
            // phases' selects become constants; Halide did not peel them off this loop nest).
            // Only where that is at most 12 copies of the slot loop: the LSTM's backward
            // (4H / 16 + 2 = 34 for H = 128) doubled Emojify-V2's Halide build, 10 s -> 21 s.
            if (s.reduce_extent <= 12) f.update().unroll(Halide::RVar(s.r.y));
            break;
        }
        case stage_kind::feature_sum:
        case stage_kind::scalar_sum:
            break;
        }
    }
}

}  // namespace kiln::codegen
