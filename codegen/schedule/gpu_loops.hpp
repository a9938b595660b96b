#pragma once
// The loop nests codegen/schedule/gpu.hpp builds its GPU schedules from: a thread per
// point (flat), a reduction computed whole in each thread (per_thread), and the tile sizes.
#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "codegen/context.hpp"

namespace kiln::codegen::gpu_detail {

using Halide::TailStrategy;
using Halide::VarOrRVar;

constexpr int block_threads = 256;

// A thread loop of another kernel where a Func is computed (per_thread), or none: its own.
// (A default Halide::LoopLevel cannot be asked whether it is defined before lowering.)
using home_loop = std::optional<Halide::LoopLevel>;

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

// Root, and a thread per point in every definition: a kernel per definition. The pure
// definition's loops are named after `tag` (default f's name and "_s0"): stages that share a
// kernel (compute_with, see schedule_cuda) share their loops' names (and their pure
// variables' names, which Halide's loop names begin with).
inline void root_flat(Func f, int inner = 32, const std::string& tag = "") {
    f.compute_root();
    flat(f, pure_vars(f, 0), tag.empty() ? f.name() + "_s0" : tag, inner);
    for (int u = 0; u < f.num_update_definitions(); ++u)
        flat(f.update(u), pure_vars(f, u + 1), f.name() + "_s" + std::to_string(u + 1), inner);
}

// A reduction f (its initial value, then an update) in one kernel: a copy of f at root
// (Func::in, which every reader of f then reads), a thread per value, and f computed whole
// inside each thread, its initial value and its sum. (Computed at root, f's two definitions
// were two kernels, the first only writing zeros: with these kernels gone, the sums' new
// levels and batch norm's statistics recomputed where read, ResNet-50's Adam step makes
// 1,699 launches instead of 3,135.)
// Where f's readers are root element-wise stages of one kernel that read it point for point
// (a gradient's output copy, or batch norm's d_gamma and d_beta), f is computed in that
// kernel's threads instead (`home`, a thread loop: see schedule_cuda): no kernel of its own.
inline void per_thread(Func f, int inner = 32, const home_loop& home = {}) {
    if (home) {
        f.compute_at(*home);
        return;
    }
    Func copy = f.in();
    copy.compute_root();
    f.compute_at(copy, flat(copy, pure_vars(copy, 0), copy.name() + "_s0", inner));
}

// The compile-time extent of a reduction variable (a convolution's input channels).
inline int extent_of(const Halide::RVar& r) {
    const auto* k = r.extent().as<Halide::Internal::IntImm>();
    if (k == nullptr) throw std::logic_error("schedule_cuda: a convolution's reduction extent " + r.name() + " is not a constant");
    return static_cast<int>(k->value);
}

// Largest power of two that divides extent and is <= cap.
inline int pow2_dividing(int extent, int cap) {
    int w = 1;
    while (w * 2 <= cap && extent % (w * 2) == 0) w *= 2;
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

}  // namespace kiln::codegen::gpu_detail
