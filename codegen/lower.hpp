#pragma once
/*  lower<Net>: a network type -> Halide Funcs for inference, the cost and every gradient.
    REQUIRES  inputs[k]: Func over (f, n), input k's samples stored densely, f = the flat
              index of the sample's dims innermost-first (so an image is read as (c, x, y, n)
              through an affine view, and flatten of an input moves no data). lower() clamps
              every input along n, so a schedule may compute a whole tile of samples past
              the last one: those rows repeat the last sample and are never stored;
              params[i]: Func over the i-th parameter's dims, in Net::params order;
              labels:    Func over (output dims..., n), or undefined for inference only.
              train: the training step's scalar inputs (l2, keep_prob, seed, step), given
              exactly when labels are.
    ENSURES   prediction: the output (the loss's fused activation);
              with labels: cost() the mean cost plus l2 / (2 N) sum W^2 over every weight,
              d_params[i] d cost / d params[i] - or, for a parameter that is not trainable
              (batch norm's running averages), its value after this step; undefined for a
              frozen parameter (dsl/frozen.hpp), which has no gradient.
              Inference folds a batch_norm into the dense, conv2d or depthwise_conv2d layer
              before it when that layer feeds nothing else (training too, when both are frozen): W' = W s, b' = (b - mean) s + beta, s = gamma / sqrt(var + eps).
              An activation that is its input's only reader is marked as that stage's
              `consumer`, for the schedule to fuse (mark_fusions); in the backward, its
              d_in is the consumer of the stage computing its gradient, where that is
              the d_in of its output's one reader (mark_backward_fusion).
              Each node is computed once however many consumers it has; gradients from
              several consumers are summed. No gradient flows into a branch with no
              parameter upstream of it, nor into a network input unless input_gradients
              asks for d_inputs.
              with_state(x, s) >> rnn/lstm/gru: the layer gets s as op_ctx::state, and its
              d_in and d_state go straight to x and s (the with_state node has none).
    All Funcs are recorded in `stages` with their role, for codegen/schedule/.           */
#include "codegen/context.hpp"
#include "codegen/ops/all.hpp"
#include "dsl/frozen.hpp"
#include "dsl/network.hpp"

namespace kiln::codegen {

struct lowered {
    Func prediction;              // the last lowered node's value (a segment's output)
    Func cost;                    // defined when gradients were asked for
    std::vector<Func> d_params;   // defined when gradients were asked for (in-range ones)
    Func d_input;                 // a segment after the first: d cost / d its input
    std::vector<Func> d_inputs;   // with input_gradients: d cost / d each network input, over its
                                  // natural dims ((f, t, n) for a sequence)
    stage_list stages;
};

// One pipeline of a network cut into several (network::segment_bounds): nodes
// [begin, end). After the first, the input is node begin - 1's value, given as a Func of
// that node's natural dims (c, x, y, n); before the last, gradients start from d_output,
// d cost / d (node end - 1's value), and the segment's cost is its L2 term alone (the
// runtime adds the segments' costs). Nothing outside the range is lowered; parameters
// outside it are never read (their Funcs may be undefined).
// The tape (network::tape_nodes), node -> a Func over the node's natural dims: a
// train_forward writes those values out (tape_out: lower() defines the Funcs, and every
// reader of the node reads them back, so that the stage computing the value writes it
// straight into the tape); its grad pipeline reads them (tape_in): the forward is lowered as
// before but reads them wherever it would read the node, so Halide computes none of it.
// The batch norms' statistics go on the tape too (network::tape_stats), node -> a Func
// (c, 0) mean, (c, 1) variance: train_forward defines stats_out's, grad reads stats_in's
// in place of summing the norm's input again (op_ctx::stats_in).
struct segment_io {
    int begin = 0, end = 0;
    Func input, d_output;
    std::map<int, Func> tape_out, tape_in;
    std::map<int, Func> stats_out, stats_in;
};


// A dense or conv2d layer's (W, b) with the batch norm after it folded in (inference
// only): W' = W s, b' = (b - mean) s + beta, s = gamma / sqrt(var + eps), the scale taken
// along W's output dimension (dense W(f, o): 1; conv2d W(f, c, kx, ky): 0).
// A layer without a bias (conv2d<..., false>, depthwise_conv2d) folds as if b = 0.
inline std::vector<Func> fold_batch_norm(const std::string& name, const std::vector<Func>& layer,
                                         const std::vector<Func>& bn, double epsilon, Halide::Type type,
                                         int out_dim, int inner_extent, stage_list& stages) {
    std::vector<Var> v = layer[0].args();
    Var o("o");
    Func scale(name + "_bn_scale"), W(name + "_W_folded"), b(name + "_b_folded");
    const Expr eps = Halide::cast(type, Expr(epsilon));
    scale(o) = bn[0](o) / Halide::sqrt(bn[3](o) + eps);
    W(v) = layer[0](v) * scale(v[static_cast<std::size_t>(out_dim)]);
    const Expr bias = layer.size() > 1 ? Expr(layer[1](o)) : Halide::cast(type, 0);
    b(o) = (bias - bn[2](o)) * scale(o) + bn[1](o);
    // computed once per call (small), not once per sample
    stages.push_back({W, stage_kind::pointwise, RDom(), inner_extent, 0});
    stages.push_back({b, stage_kind::pointwise, RDom(), 1, 0});
    return {W, b};
}

// The L2 term (C2W1): cost += l2 / (2 N) sum W^2 and d W += l2 / N W, for every trainable
// parameter initialised as a weight (never biases, never batch norm's gamma and beta).
template <class Net>
void add_l2(lowered& out, const std::vector<Func>& params, Halide::Type type, const Expr& batch, const Expr& l2,
            int begin = 0, int end = static_cast<int>(Net::node_count)) {
    const Expr lambda = Halide::cast(type, l2), n = Halide::cast(type, batch);
    Expr penalty = Halide::cast(type, 0);
    for (std::size_t i = 0; i < Net::params.size(); ++i) {
        const param_entry& e = Net::params[i];
        if (e.spec.init != param_init::weight || !e.spec.trainable || e.spec.frozen) continue;
        if (e.node < begin || e.node >= end) continue;
        const std::string name = argument_name(e);
        std::vector<Var> v = out.d_params[i].args();
        std::vector<Halide::Range> ranges;
        for (int d = 0; d < e.spec.rank; ++d) ranges.push_back({0, e.spec.dims[static_cast<std::size_t>(d)]});
        RDom r(ranges, name + "_r_l2");
        std::vector<Expr> at;
        for (int d = 0; d < r.dimensions(); ++d) at.push_back(r[d]);
        Func sq(name + "_sum_sq");
        sq() = Halide::cast(type, 0);
        sq() += params[i](at) * params[i](at);
        out.stages.push_back({sq, stage_kind::scalar_sum, r, 1, 0});
        penalty = penalty + sq();
        Func decayed(name + "_d_l2");
        decayed(v) = out.d_params[i](v) + lambda / n * params[i](v);
        out.stages.push_back({decayed, stage_kind::pointwise, RDom(), e.spec.dims[0], 0});
        out.d_params[i] = decayed;
    }
    // Under a select, so that a step with lambda = 0 skips the sums of squares altogether
    // (Halide's skip-stages pass guards each one's production with lambda != 0): on a GPU
    // they were 178 of ResNet-50's 1,421 launches a step.
    Func total("cost_with_l2");
    total() = out.cost() + Halide::select(lambda != 0, lambda / (2 * n) * penalty, Halide::cast(type, 0));
    out.cost = total;
}




// An activation that is the only reader of its input node's value can be fused with the
// stage that computes it: a convolution computes its tiles straight into the activation
// (on a GPU a dense layer's matmul too; the CPU schedule computes a matmul on its own),
// an element-wise stage is inlined into it. The activation's backward reads its own output,
// never its input, so nothing else needs the fused value.
inline bool is_activation(const node_info& n) {
    return same_cstr(n.kind, "relu") || same_cstr(n.kind, "relu6") || same_cstr(n.kind, "leaky_relu") ||
           same_cstr(n.kind, "sigmoid") || same_cstr(n.kind, "tanh");
}

template <std::size_t Count>
void mark_fusions(stage_list& stages, const std::vector<Func>& value, const std::vector<int>& consumers,
                  const std::array<node_info, Count>& table) {
    for (std::size_t j = 0; j < Count; ++j) {
        const node_info& n = table[j];
        if (!is_activation(n) || n.from[0] < 0 || consumers[static_cast<std::size_t>(n.from[0])] != 1) continue;
        const Func& produced = value[static_cast<std::size_t>(n.from[0])];
        if (!produced.defined() || !value[j].defined()) continue;  // across a segment's edge
        for (stage& s : stages)
            if (s.f.name() == produced.name() &&
                (s.kind == stage_kind::conv || s.kind == stage_kind::depthwise || s.kind == stage_kind::pointwise ||
                 s.kind == stage_kind::matmul))
                s.consumer = value[j];
    }
}

// The same in the backward: an activation whose output has one consumer takes its gradient
// dy from that consumer's d_in alone, and its own d_in reads dy point for point (with its
// output: dx = dy * f'(y)). So the stage computing dy writes dx instead: a convolution's
// d_in tiles go through the activation's derivative on their way out, a depthwise or
// element-wise d_in (a pooling's, a strided 1x1's spread) is computed inside it. (Apart, dy
// went to memory and a pass of its own read it back with y: for ResNet-50, a kernel and a
// tensor's round trip per ReLU.)
inline void mark_backward_fusion(stage_list& stages, const Func& dy, const Func& dx) {
    for (stage& s : stages)
        if (s.f.name() == dy.name() && !s.consumer.defined() &&
            (s.kind == stage_kind::conv || s.kind == stage_kind::depthwise ||
             (s.kind == stage_kind::pointwise && !s.f.has_update_definition())))
            s.consumer = dx;
}

// A train_forward's tape: each value is computed straight into its tape Func, as into an
// activation: a convolution, depthwise convolution or matmul makes the tape its consumer
// (whatever else read the value now reads the tape); an activation fused into its
// producer hands the fusion on to its tape and is inlined there. An element-wise value
// that nothing fuses is inlined into its tape by the schedule (its one reader).
inline void write_into_tape(stage_list& stages, const std::map<int, Func>& tape_out, const std::vector<Func>& computed) {
    for (const auto& [node, tape] : tape_out) {
        const std::string value = computed[static_cast<std::size_t>(node)].name();
        bool fused = false;  // the value is an activation its producer computes
        for (stage& s : stages)
            if (s.consumer.defined() && s.consumer.name() == value) {
                s.consumer = tape;
                fused = true;
            }
        for (stage& s : stages) {
            if (s.f.name() != value) continue;
            if (s.kind == stage_kind::conv || s.kind == stage_kind::depthwise || s.kind == stage_kind::matmul ||
                (s.kind == stage_kind::pointwise && fused))
                s.consumer = tape;
        }
    }
}

// Trainable parameters on some node before `node`: a segment starting there owes its
// predecessor a d_input.
template <class Net>
bool trainable_before(int node) {
    for (const param_entry& e : Net::params)
        if (e.node < node && !e.spec.frozen) return true;
    return false;
}

// train without labels (or d_output): the training-mode forward alone (a segment's output
// for the next one during a training step: batch statistics, dropout's mask).
template <class Net>
lowered lower(Halide::Type type, const std::vector<Func>& inputs, const std::vector<Func>& params,
              Expr batch, const Func& labels = Func(), const training_inputs* train = nullptr,
              const segment_io* segment = nullptr, bool input_gradients = false) {
    constexpr std::size_t count = Net::node_count;
    const std::size_t begin = segment ? static_cast<std::size_t>(segment->begin) : 0;
    const std::size_t end = segment ? static_cast<std::size_t>(segment->end) : count;
    const bool training = train != nullptr;
    const bool gradients = labels.defined() || (segment && segment->d_output.defined());
    if (gradients && !training) throw std::invalid_argument("lower(): gradients need the training inputs");
    if (labels.defined() && end != count) throw std::invalid_argument("lower(): labels belong to the last segment");
    lowered out;
    std::map<std::string, Func> saved;
    std::vector<int> consumers(count, 0);
    for (const node_info& n : Net::node_table)
        for (int from : n.from)
            if (from >= 0) ++consumers[static_cast<std::size_t>(from)];
    std::vector<bool> folded(count, false);  // batch norms folded into the layer before them
    std::vector<std::vector<Func>> used_params(count);  // what each layer computed with
    // Per node: frozen (dsl/frozen.hpp), and a batch norm's epsilon.
    std::vector<bool> frozen(count, false);
    std::vector<double> epsilon(count, 0);
    {
        std::size_t k = 0;
        hana::for_each(Net::nodes, [&](auto t) {
            using N = typename decltype(t)::type;
            if constexpr (node_traits<N>::what == node_info::role::layer) {
                using L = typename unfrozen<typename N::layer_type>::type;
                frozen[k] = is_frozen_layer<typename N::layer_type>::value;
                if constexpr (is_batch_norm<L>::value) epsilon[k] = L::epsilon;
            }
            ++k;
        });
    }
    std::vector<Func> value(count), grad(count);
    std::vector<Func> dense_flat(count);  // a node's value as (f, n), where that costs nothing
    std::vector<Func> computed(count);    // a taped node's value as its op computes it
    std::vector<bool> has_upstream_params(count, false);
    out.d_params.resize(Net::params.size());

    auto ctx_for = [&](std::size_t i, const shape& in) {
        op_ctx c{std::string(Net::node_table[i].name.view()), type, in, Net::node_table[i].out,
                 batch, &out.stages, train, static_cast<int>(i), &saved};
        const int from = Net::node_table[i].from[0];
        if (Net::node_table[i].what == node_info::role::layer && from >= 0 &&
            same_cstr(Net::node_table[static_cast<std::size_t>(from)].kind, "with_state")) {
            const std::size_t s = static_cast<std::size_t>(Net::node_table[static_cast<std::size_t>(from)].from[1]);
            if (!value[s].defined())
                throw std::invalid_argument("lower(): " + c.name + " reads an initial state from " +
                                            std::string(Net::node_table[s].name.view()) +
                                            ", which is in another segment; keep with_state and its layer together");
            c.state = value[s];
        }
        if (segment) {
            const int node = static_cast<int>(i);
            if (segment->stats_out.count(node)) c.stats_out = segment->stats_out.at(node);
            if (segment->stats_in.count(node)) c.stats_in = segment->stats_in.at(node);
        }
        return c;
    };
    // The batch_norm node that only this node feeds, if any: it can fold into the layer.
    auto sole_batch_norm_after = [&](std::size_t i) -> int {
        if (consumers[i] != 1) return -1;
        for (std::size_t j = i + 1; j < count; ++j)
            if (Net::node_table[j].from[0] == static_cast<int>(i) && same_cstr(Net::node_table[j].kind, "batch_norm"))
                return static_cast<int>(j);
        return -1;
    };
    auto params_of = [&](std::size_t i) {
        std::vector<Func> p;
        for (std::size_t j = 0; j < Net::params.size(); ++j)
            if (Net::params[j].node == static_cast<int>(i)) p.push_back(params[j]);
        return p;
    };
    auto first_param = [&](std::size_t i) {
        for (std::size_t j = 0; j < Net::params.size(); ++j)
            if (Net::params[j].node == static_cast<int>(i)) return j;
        return Net::params.size();
    };
    auto accumulate = [&](int target, const Func& contribution) {
        const std::size_t t = static_cast<std::size_t>(target);
        if (!has_upstream_params[t] || !contribution.defined()) return;
        if (!grad[t].defined()) { grad[t] = contribution; return; }
        std::vector<Var> v = activation_vars(Net::node_table[t].out);
        Func sum(std::string(Net::node_table[t].name.view()) + "_d_sum" + std::to_string(out.stages.size()));
        sum(v) = grad[t](v) + contribution(v);
        out.stages.push_back({sum, stage_kind::pointwise, RDom(), Net::node_table[t].out[0], 0});
        grad[t] = sum;
    };

    // ---------------------------------------------------------------- forward
    std::size_t i = 0;
    hana::for_each(Net::nodes, [&](auto t) {
        using N = typename decltype(t)::type;
        const node_info& info = Net::node_table[i];
        if (i + 1 < begin || i >= end) {  // outside this segment
            ++i;
            return;
        }
        if (begin > 0 && i + 1 == begin) {  // the segment's input: the previous one's output
            std::vector<Var> v = activation_vars(N::out);
            std::vector<Expr> at = as_exprs(v);
            at.back() = Halide::clamp(v.back(), 0, batch - 1);
            Func in(std::string(info.name.view()) + "_segment_in");
            in(v) = segment->input(at);
            value[i] = in;
            has_upstream_params[i] = trainable_before<Net>(static_cast<int>(begin));
            ++i;
            return;
        }
        if constexpr (node_traits<N>::what == node_info::role::input) {
            has_upstream_params[i] = input_gradients;
            Var f("f"), n("n");
            Func flat(std::string(info.name.view()) + "_clamped");
            flat(f, n) = inputs[static_cast<std::size_t>(N::index)](f, Halide::clamp(n, 0, batch - 1));
            dense_flat[i] = flat;
            if constexpr (N::out.rank == 1) {
                value[i] = flat;
            } else {
                std::vector<Var> v = activation_vars(N::out);
                Expr at = 0, stride = 1;
                for (int d = 0; d < N::out.rank; ++d) {
                    at = at + v[static_cast<std::size_t>(d)] * stride;
                    stride = stride * N::out[d];
                }
                Func view(std::string(info.name.view()) + "_view");
                view(v) = flat(at, v.back());
                value[i] = view;
            }
        } else if constexpr (node_traits<N>::what == node_info::role::layer) {
            using L = typename N::layer_type;
            const std::size_t from = static_cast<std::size_t>(info.from[0]);
            has_upstream_params[i] = (node_traits<N>::param_tensors > 0 && !frozen[i]) || has_upstream_params[from];
            // Inference folds every batch norm it can; training only a frozen one into a
            // frozen layer (both compute their inference form).
            int bn = training && !frozen[i] ? -1 : sole_batch_norm_after(i);
            if (bn >= static_cast<int>(end)) bn = -1;  // in the next segment
            if (bn >= 0 && training && !frozen[static_cast<std::size_t>(bn)]) bn = -1;
            const bool foldable = same_cstr(L::kind, "dense") || same_cstr(L::kind, "conv2d") ||
                                  same_cstr(L::kind, "depthwise_conv2d");
            if (std::is_same_v<L, flatten_t> && dense_flat[from].defined()) {
                value[i] = dense_flat[from];
            } else if (folded[i]) {
                value[i] = value[from];
            } else if (foldable && bn >= 0) {
                const bool dense = same_cstr(L::kind, "dense");
                used_params[i] = fold_batch_norm(std::string(info.name.view()), params_of(i),
                                                 params_of(static_cast<std::size_t>(bn)),
                                                 epsilon[static_cast<std::size_t>(bn)], type, dense ? 1 : 0,
                                                 dense ? N::from::out[0] : N::out[0], out.stages);
                value[i] = op<L>::forward(ctx_for(i, N::from::out), value[from], used_params[i]);
                folded[static_cast<std::size_t>(bn)] = true;
            } else {
                used_params[i] = params_of(i);
                value[i] = op<L>::forward(ctx_for(i, N::from::out), value[from], used_params[i]);
            }
            if (std::is_same_v<L, flatten_t>) dense_flat[i] = value[i];
        } else {
            const std::size_t a = static_cast<std::size_t>(info.from[0]), b = static_cast<std::size_t>(info.from[1]);
            has_upstream_params[i] = has_upstream_params[a] || has_upstream_params[b];
            value[i] = merge_lowering::forward(ctx_for(i, N::lhs::out), N::op, value[a], value[b], N::lhs::out);
        }
        const int node = static_cast<int>(i);
        if (segment && (segment->tape_out.count(node) || segment->tape_in.count(node))) {
            std::vector<Var> v = activation_vars(N::out);
            std::vector<Expr> at = as_exprs(v);
            at.back() = Halide::clamp(v.back(), 0, batch - 1);  // a tape holds N samples
            Func tape = segment->tape_out.count(node) ? segment->tape_out.at(node) : segment->tape_in.at(node);
            if (segment->tape_out.count(node)) {
                tape(v) = value[i](v);
                out.stages.push_back({tape, stage_kind::pointwise, RDom(), N::out[0], 0, 1, Func(), batch});
            }
            Func kept(std::string(info.name.view()) + "_tape");
            kept(v) = tape(at);
            computed[i] = value[i];
            value[i] = kept;
            if (dense_flat[i].defined()) dense_flat[i] = kept;
        }
        ++i;
    });
    out.prediction = value[end - 1];
    {
        std::vector<Func> fused = value;  // fusions among the computed Funcs (unread when taped)
        for (std::size_t j = 0; j < count; ++j)
            if (computed[j].defined()) fused[j] = computed[j];
        mark_fusions(out.stages, fused, consumers, Net::node_table);
    }
    if (segment) write_into_tape(out.stages, segment->tape_out, computed);
    if (!gradients) return out;

    // ---------------------------------------------------------------- cost and backward
    if (!Net::has_loss)  // a run-time check: a loss-free network still builds its forward
        throw std::invalid_argument("kiln: training needs a network that ends in a loss:: layer");
    if (end < count) {  // a segment before the last: its gradient comes from the next one
        out.cost = Func("segment_cost");
        out.cost() = Halide::cast(type, 0);
        accumulate(static_cast<int>(end) - 1, segment->d_output);
    }
    hana::for_each(hana::reverse(Net::nodes), [&](auto t) {
        using N = typename decltype(t)::type;
        --i;
        if (i < begin || i >= end) return;
        const node_info& info = Net::node_table[i];
        if constexpr (node_traits<N>::what == node_info::role::layer) {
            using L = typename N::layer_type;
            const std::size_t from = static_cast<std::size_t>(info.from[0]);
            const op_ctx c = ctx_for(i, N::from::out);
            if constexpr (is_loss_layer<L>()) {
                out.cost = op<L>::cost(c, value[from], labels);
                accumulate(info.from[0], op<L>::d_logits(c, value[from], value[i], labels));
            } else if (folded[i]) {
                // a batch norm folded into the layer before it: that layer's backward used
                // the folded weights, so the gradient passes straight through
                if (grad[i].defined()) accumulate(info.from[0], grad[i]);
            } else {
                if (!grad[i].defined()) return;
                grads g = op<L>::backward(c, value[from], value[i], grad[i], used_params[i]);
                if (is_activation(info) && consumers[i] == 1) mark_backward_fusion(out.stages, grad[i], g.d_in);
                if constexpr (is_state_node<typename N::from>::value) {
                    accumulate(Net::node_table[from].from[0], g.d_in);
                    accumulate(Net::node_table[from].from[1], g.d_state);
                } else {
                    accumulate(info.from[0], g.d_in);
                }
                const std::size_t p0 = first_param(i);
                for (std::size_t k = 0; k < g.d_params.size(); ++k) out.d_params[p0 + k] = g.d_params[k];
            }
        } else if constexpr (node_traits<N>::what == node_info::role::merge) {
            if (!grad[i].defined()) return;
            const std::size_t a = static_cast<std::size_t>(info.from[0]), b = static_cast<std::size_t>(info.from[1]);
            auto [da, db] = merge_lowering::backward(ctx_for(i, N::lhs::out), N::op, value[a], value[b],
                                                     grad[i], N::lhs::out, N::rhs::out);
            accumulate(info.from[0], da);
            accumulate(info.from[1], db);
        }
    });
    add_l2<Net>(out, params, type, batch, train->l2, static_cast<int>(begin), static_cast<int>(end));
    if (begin > 0) out.d_input = grad[begin - 1];
    if (input_gradients)
        for (std::size_t k = 0; k < count; ++k)
            if (Net::node_table[k].what == node_info::role::input) {
                const std::size_t idx = static_cast<std::size_t>(Net::node_table[k].input_index);
                if (out.d_inputs.size() <= idx) out.d_inputs.resize(idx + 1);
                out.d_inputs[idx] = grad[k];
            }
    return out;
}

}  // namespace kiln::codegen
