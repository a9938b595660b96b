#pragma once
/*  What every op's lowering receives, and the record of the stages it creates.
    WHAT IT REPRESENTS
      op_ctx     one node being lowered: its name ("dense2"), element type, per-sample
                 input/output shapes, the batch extent N, and the stage list.
      stage      a Func plus the role it plays (matmul, pointwise, ...). Ops only *declare*
                 roles; codegen/schedule/ turns roles into loop nests. Algorithm and
                 schedule stay apart (STYLE.md, habit 4).
      op<L>      specialised once per layer in codegen/ops/<stem>.hpp:
                   static Func forward(const op_ctx&, const Func& x, const std::vector<Func>& p);
                   static grads backward(const op_ctx&, const Func& x, const Func& y,
                                         const Func& dy, const std::vector<Func>& p);
    NAMING     every Func is "<node>_<role>" ("dense2_fwd", "dense2_d_W"; Halide forbids dots), so .stmt reads.
    LAYOUT     activations are Funcs of (dims of the sample, innermost first..., n).        */
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <Halide.h>

#include "dsl/shape.hpp"

namespace kiln::codegen {

using Halide::Expr;
using Halide::Func;
using Halide::RDom;
using Halide::Var;

enum class stage_kind {
    pointwise,   // element-wise over an activation (..., n)
    matmul,      // out(o, n) = b(o) + sum_f W(f, o) x(f, n)        r: f
    matmul_dx,   // dx(f, n) = sum_o W(f, o) dy(o, n)               r: o
    matmul_dw,   // dW(f, o) = sum_n x(f, n) dy(o, n)               r: n (in `partial`)
    batch_sum,   // db(o)    = sum_n dy(o, n)                       r: n
    feature_sum, // s(n)     = sum_f g(f, n)  (softmax, loss rows)   r: f
    scalar_sum,  // cost()   = sum over everything                  r: all
    conv,        // out(o, x, y, n) = init + sum_{i, kx, ky} K(o, i, kx, ky) in(i, .., .., n): conv2d's
                 // forward and d_in (see ops/conv2d.hpp). f is a pure copy of `partial`, the
                 // reduction, so the schedule can compute a register tile of it per tile of f
    transpose,   // t(a, b, ...) = g(b, a, ...): `partial` is g                          (conv2d's d_in)
    conv_dw,     // dW(o, i, kx, ky) = sum_{x, y, n} dy(o, x, y, n) in(i, .., .., n)    r: (x, y, n)
    depthwise,   // element-wise over an image (c, x, y, n) with a short unrolled sum over a
                 // window of its own channel (depthwise_conv2d's forward and d_in)
    recurrence,  // s(j, t, n) over a sequence's steps in order (ops/recurrent.hpp): an update on
                 // RDom r = (J slots, k reduction, t steps), t outermost; inner_extent = J's extent
    channel_stat,  // v(c) a few flops from per-channel sums (batch norm's mean, var, 1 / std):
                   // a CPU computes it once, a GPU where it is read, not in a kernel of its own
    stat_table,    // t(c, k) a few per-channel statistics side by side (batch norm's taped mean
                   // and variance, k < 2) from per-channel sums `partial`, which only t reads:
                   // a GPU computes each channel's row in one thread, the sums' last level in it
};

struct stage {
    Func f;
    stage_kind kind;
    RDom r;                 // the reduction, for the reducing kinds
    int inner_extent = 1;   // compile-time extent of the innermost pure dimension
    int reduce_extent = 0;  // compile-time extent of r where known, 0 when it is the batch
    int reduce_extent_out = 1;  // matmul_dw: the output count (extent of dW's second dim)
    Func partial;               // matmul_dw: the reduction itself; f is its pure copy, so
                                // the schedule can compute a register tile of it per tile of f
    Expr batch;                 // N at run time, for schedules that size loops by it
    // conv, conv_dw:
    Func input;                 // the zero-bordered input the reduction reads, when it is a
                                // Func of its own that the schedule may stage per tile
    int width = 0, height = 0;  // extents of the output's x and y (conv), or of the
                                // reduction's x and y (conv_dw)
    int kernel_width = 1;       // conv_dw: the extents of dW's kx and ky
    int kernel_height = 1;
    Func kernel;                // conv: K, which the schedule may stage per tile of output
    bool kernel_is_stage = false;  // channels; true when K is a stage of its own (d_in's W transposed)
    // recurrence: `kernel` is W_h, of which iteration k reads one chunk of `chunk` entries
    // along dimension `chunk_dim` (the other dimension indexes the slots)
    int chunk = 0, chunk_dim = 0;
    Func consumer;              // set by lower(): the element-wise stage (an activation) that
                                // is this stage's only reader, so the two can be fused
};

using stage_list = std::vector<stage>;

// The Vars of an activation of per-sample shape s: (f, n), (f, t, n) or (c, x, y, n).
inline std::vector<Var> activation_vars(const shape& s) {
    switch (s.kind) {
    case shape_kind::features: return {Var("f"), Var("n")};
    case shape_kind::sequence: return {Var("f"), Var("t"), Var("n")};
    case shape_kind::image: return {Var("c"), Var("x"), Var("y"), Var("n")};
    }
    return {};
}

inline std::vector<Expr> as_exprs(const std::vector<Var>& vs) { return {vs.begin(), vs.end()}; }

// The run-time settings of a training step, as scalar pipeline inputs. Undefined Exprs in
// an inference build, where dropout is the identity and batch norm uses running averages.
struct training_inputs {
    Expr l2;         // lambda of the L2 cost: lambda / (2 N) sum W^2 over every weight
    Expr keep_prob;  // dropout's keep probability, (0, 1]
    Expr seed, step; // uint32: dropout's mask is a hash of (seed, step, node, element)
};

struct op_ctx {
    std::string name;      // node name: "dense2"
    Halide::Type type;     // element type: Float(32), or Float(64) for gradcheck
    shape in{}, out{};     // per-sample shapes of the (first) input and the output
    Expr batch;            // N, the extent of the last dimension at run time
    stage_list* stages = nullptr;
    const training_inputs* train = nullptr;  // null in an inference build
    int node = 0;                            // topological index, e.g. to tell masks apart
    std::map<std::string, Func>* saved = nullptr;  // forward values the backward reuses
    Func state;  // a recurrent layer's initial state (S, n) from with_state; undefined: zeros
    // A batch norm in a segment's training step (network::tape_stats): its statistics
    // (c, 0) mean and (c, 1) variance, written to the tape by train_forward (stats_out,
    // which the op defines) and read back by grad (stats_in) instead of summed again.
    // (Optional, not undefined Funcs: an Output's Func has no definition until the op
    // gives it one, so Func::defined() cannot tell it from none.)
    std::optional<Func> stats_out, stats_in;

    bool training() const { return train != nullptr; }
    void save(const std::string& role, const Func& f) const { (*saved)[name + "_" + role] = f; }
    Func restore(const std::string& role) const { return saved->at(name + "_" + role); }

    Expr k(double v) const { return Halide::cast(type, Expr(v)); }
    Func func(const std::string& role) const { return Func(name + "_" + role); }
    void mark(const Func& f, stage_kind kind, RDom r = RDom(), int inner = 1, int reduce = 0, int outs = 1,
              const Func& partial = Func()) const {
        stages->push_back({f, kind, r, inner, reduce, outs, partial, batch});
    }
    // A recurrence (ops/recurrent.hpp): RDom r (J slots, iterations, steps), J slots, reading
    // W_h `chunk` entries along its dimension `chunk_dim` per iteration.
    void mark_recurrence(const Func& f, RDom r, int slots, int iterations, const Func& Wh, int chunk,
                         int chunk_dim) const {
        mark(f, stage_kind::recurrence, r, slots, iterations);
        stages->back().kernel = Wh;
        stages->back().chunk = chunk;
        stages->back().chunk_dim = chunk_dim;
    }
    void mark_conv(stage_kind kind, const Func& out, const Func& acc, RDom r, const Func& input, int inner,
                   int reduce, int width, int height) const {
        mark(out, kind, r, inner, reduce, 1, acc);
        stages->back().input = input;
        stages->back().width = width;
        stages->back().height = height;
    }
};

// A sequence Func (f, t, n) as (f, m), m = t + T n: the T x N steps as one batch, the same
// memory order. And back.
inline Func steps_as_batch(const Func& x, int T, const std::string& name) {
    Var f("f"), m("m");
    Func v(name);
    v(f, m) = x(f, m % T, m / T);
    return v;
}
inline Func batch_as_steps(const Func& x2, int T, const std::string& name) {
    Var f("f"), t("t"), n("n");
    Func v(name);
    v(f, t, n) = x2(f, t + T * n);
    return v;
}

// The context of a features layer run over the steps of `c` as one batch.
inline op_ctx steps_ctx(const op_ctx& c, const std::string& suffix, int in_features, int out_features) {
    op_ctx s = c;
    s.name = c.name + suffix;
    s.in = make_features(in_features);
    s.out = make_features(out_features);
    s.batch = c.batch * c.in[1];
    return s;
}

struct grads {
    Func d_in;                   // undefined when the input needs no gradient
    std::vector<Func> d_params;  // in the layer's parameter order
    Func d_state;                // d cost / d op_ctx::state, when that was given
};

template <class Layer>
struct op {
    static_assert(sizeof(Layer) == 0,
                  "kiln: no lowering for this layer; include codegen/ops/<its stem>.hpp");
};

}  // namespace kiln::codegen
