#pragma once
/*  rnn / lstm / gru: the lowering of dsl/layers/recurrent.hpp (maths there).
    Shapes: x (F, T, N) -> h (H, T, N), or (H, N) for the last state.

    The input projection of every step is one matmul over the T x N steps taken as a batch
    (dense's lowering on a (F, T N) view). The recurrence is one Func per layer, S(j, t, n):
    slots j hold what a step computes (pre-activations, then the new cell and state), and
    one update runs over RDom (J slot, k, t), t outermost: iterations k < K are the
    recurrent reduction W_h h_{t-1} into the gate slots (reading the previous step's stored
    state), k = K, K + 1 finishing phases that fill the step's other slots from the
    finished ones. `where` (phase_slots) gives each k its exact slot range and
    `likely(k < K)` lets Halide peel the phases off the reduction's loop. The schedule
    makes the samples n the vector lanes (codegen/schedule/policy.hpp); consecutive
    iterations write different slots, so nothing waits on the previous FMA. A slot only
    ever reads slots an earlier phase or step finished (at the first step, the state's slots
    still hold what the initial definition put there: the initial state of with_state, or
    zeros).
      rnn   S: [0, H) Z_t = W_x x_t + b + W_h h_{t-1},  [H, 2H) h_t = tanh(Z_t)
      lstm  S: [0, 4H) [i f g o] pre-activations (activated in place after the product),
            [4H, 5H) c_t,  [5H, 6H) h_t
      gru   S: [0, 3H) W_h h_{t-1} + b_h [r z n],  [3H, 4H) h_t
    Backward (through time) is the same shape of Func over the steps in reverse, E(j, t, n):
      rnn   [0, H) Q_t = dH_t + W_h^T dZ_{t+1},  [H, 2H) dZ_t = Q_t (1 - h_t^2)
      lstm  [0, H) W_h^T dz_{t+1},  [H, 2H) dc_t,  [2H, 6H) dz_t (the gates' pre-activations)
      gru   [0, H) W_h^T dA_{t+1} + dh_{t+1} z_{t+1},  [H, 4H) dA_t (what multiplies W_h h)
    and the weight gradients are dense's on (T N)-batches: dW_x from x and the gates'
    gradients, dW_h from the previous states h_{t-1} (h_{-1} the initial state) and the
    same. With an initial state s, d s is step -1's dh (and the lstm's dc): W_h^T times
    the first step's gates' gradients (+ dh_0 z_0 for the gru; dc_{-1} = dc_0 f_0).   */
#include <initializer_list>
#include <iterator>
#include <utility>

#include "codegen/context.hpp"
#include "codegen/math.hpp"
#include "codegen/ops/dense.hpp"
#include "dsl/layers/recurrent.hpp"

namespace kiln::codegen {

// The slots [lo, hi) each iteration k of a step touches: the reduction's k < K, then one
// finishing phase per k = K, K + 1, ... (bounds[i] for k = K + i). An RDom predicate of
// this form gives the slot loop exact bounds per k.
inline void phase_slots(RDom& r, int K, int reduce_hi, std::initializer_list<std::pair<int, int>> phases) {
    const Expr k = r.y;
    Expr lo = 0, hi = reduce_hi;
    int i = static_cast<int>(phases.size());
    for (auto it = std::rbegin(phases); it != std::rend(phases); ++it) {
        --i;
        lo = i == static_cast<int>(phases.size()) - 1 ? Expr(it->first) : Halide::select(k == K + i, it->first, lo);
        hi = i == static_cast<int>(phases.size()) - 1 ? Expr(it->second) : Halide::select(k == K + i, it->second, hi);
    }
    r.where(r.x >= Halide::select(k < K, 0, lo) && r.x < Halide::select(k < K, reduce_hi, hi));
}

// The recurrent product's terms one update iteration sums: the largest divisor of K (its
// length) up to 16. The sum stays in registers, so the slot is loaded and stored once per
// `chunk` FMAs rather than once per FMA.
constexpr int product_chunk(int K) {
    int c = 1;
    for (int d = 2; d <= 16; ++d)
        if (K % d == 0) c = d;
    return c;
}

// sum over i < c of term(kc c + i): the chunk kc of a recurrent product.
template <class Term>
Expr chunk_sum(const Expr& kc, int c, Term term) {
    Expr s = term(kc * c);
    for (int i = 1; i < c; ++i) s = s + term(kc * c + i);
    return s;
}

template <cell_kind Cell, int H, bool Sequences>
struct op<recurrent_t<Cell, H, Sequences>> {
    using L = recurrent_t<Cell, H, Sequences>;
    static constexpr int G = L::gates * H;

    // Entry m of sample n of the initial state (op_ctx::state: [h], or [h; c] for the lstm),
    // or zero without with_state.
    static Expr initial_state(const op_ctx& c, const Expr& m, const Expr& n) {
        if (!c.state.defined()) return c.k(0);
        return c.state(Halide::clamp(m, 0, L::initial_state_size - 1), n);
    }

    // The input projection W_x x_t (+ b, or + b_x for the gru) of every step: (G, T, N).
    static Func projection(const op_ctx& c, const Func& x, const std::vector<Func>& p) {
        const int T = c.in[1];
        const op_ctx s = steps_ctx(c, "_x", c.in[0], G);
        Func x2 = steps_as_batch(x, T, c.name + "_x_steps");
        Func xw2 = op<dense_t<G>>::forward(s, x2, {p[0], p[2]});
        return batch_as_steps(xw2, T, c.name + "_xw");
    }

    // The update of a recurrence: RDom (J slot, k, t) with t outermost; k < K is the
    // reduction (`likely`: Halide peels the finishing iterations k = K, K + 1 off its loop),
    // `where` keeps each phase to its own slots.
    static Func forward(const op_ctx& c, const Func& x, const std::vector<Func>& p) {
        const int T = c.in[1];
        const Func xw = projection(c, x, p);
        const Func& Wh = p[1];
        // the recurrent product W_h h_{t-1}: H terms, CH per update iteration, KC iterations
        constexpr int CH = product_chunk(H), KC = H / CH;
        Var j("j"), t("t"), n("n");
        Func S = c.func("S"), h = c.func("h");
        auto initial = [&](const Expr& m) { return initial_state(c, m, n); };
        if constexpr (Cell == cell_kind::rnn) {
            // slots: [0, H) pre-activations Z_t, [H, 2H) h_t = tanh(Z_t)
            S(j, t, n) = Halide::select(j < H, xw(Halide::min(j, H - 1), t, n), t == 0, initial(j - H), c.k(0));
            RDom r(0, 2 * H, 0, KC + 1, 0, T, c.name + "_r_steps");
            phase_slots(r, KC, H, {{H, 2 * H}});
            const Expr J = r.x, kc = Halide::min(r.y, KC - 1), st = r.z, prev = Halide::max(st - 1, 0);
            const Expr Jw = Halide::min(J, H - 1);
            const Expr product = chunk_sum(kc, CH, [&](const Expr& k) { return Wh(k, Jw) * S(H + k, prev, n); });
            S(J, st, n) = Halide::select(Halide::likely(r.y < KC), S(J, st, n) + product,
                                         math::tanh(S(Halide::clamp(J - H, 0, H - 1), st, n)));
            c.mark_recurrence(S, r, 2 * H, KC + 1, Wh, CH, 0);
            h(j, t, n) = S(H + j, t, n);
        } else if constexpr (Cell == cell_kind::lstm) {
            // slots: [0, 4H) the gates [i f g o] (pre-activations, activated in place once the
            // product is done), [4H, 5H) c_t, [5H, 6H) h_t
            // the initial state [h; c]: c into [4H, 5H), h into [5H, 6H)
            S(j, t, n) = Halide::select(j < 4 * H, xw(Halide::min(j, 4 * H - 1), t, n), t == 0,
                                        initial(Halide::select(j < 5 * H, j - 3 * H, j - 5 * H)), c.k(0));
            RDom r(0, 6 * H, 0, KC + 3, 0, T, c.name + "_r_steps");
            phase_slots(r, KC, 4 * H, {{0, 4 * H}, {4 * H, 5 * H}, {5 * H, 6 * H}});
            const Expr J = r.x, kc = Halide::min(r.y, KC - 1), st = r.z, prev = Halide::max(st - 1, 0);
            const Expr Jw = Halide::min(J, 4 * H - 1);
            const Expr mc = Halide::clamp(J - 4 * H, 0, H - 1), mh = Halide::clamp(J - 5 * H, 0, H - 1);
            // sigmoid for i, f, o; tanh g = 2 sigmoid(2 g) - 1 for g: one exp per slot
            const Expr is_g = J >= 2 * H && J < 3 * H, z = S(J, st, n);
            const Expr sg = math::sigmoid(Halide::select(is_g, 2 * z, z));
            const Expr activated = Halide::select(is_g, 2 * sg - 1, sg);
            const Expr c_prev = S(4 * H + mc, prev, n);  // at st = 0: the slot's initial value
            const Expr c_new = S(H + mc, st, n) * c_prev + S(mc, st, n) * S(2 * H + mc, st, n);
            const Expr h_new = S(3 * H + mh, st, n) * math::tanh(S(4 * H + mh, st, n));
            const Expr product = chunk_sum(kc, CH, [&](const Expr& k) { return Wh(k, Jw) * S(5 * H + k, prev, n); });
            S(J, st, n) = Halide::select(Halide::likely(r.y < KC), S(J, st, n) + product, r.y == KC, activated,
                                         r.y == KC + 1, c_new, h_new);
            c.mark_recurrence(S, r, 6 * H, KC + 3, Wh, CH, 0);
            h(j, t, n) = S(5 * H + j, t, n);
        } else {
            // slots: [0, 3H) W_h h_{t-1} + b_h [r z n], [3H, 4H) h_t
            const Func& bh = p[3];
            S(j, t, n) = Halide::select(j < 3 * H, bh(Halide::min(j, 3 * H - 1)), t == 0, initial(j - 3 * H), c.k(0));
            RDom r(0, 4 * H, 0, KC + 1, 0, T, c.name + "_r_steps");
            phase_slots(r, KC, 3 * H, {{3 * H, 4 * H}});
            const Expr J = r.x, kc = Halide::min(r.y, KC - 1), st = r.z, prev = Halide::max(st - 1, 0);
            const Expr Jw = Halide::min(J, 3 * H - 1);
            const Expr m = Halide::clamp(J - 3 * H, 0, H - 1);
            const Expr rg = math::sigmoid(xw(m, st, n) + S(m, st, n));
            const Expr zg = math::sigmoid(xw(H + m, st, n) + S(H + m, st, n));
            const Expr ng = math::tanh(xw(2 * H + m, st, n) + rg * S(2 * H + m, st, n));
            const Expr h_prev = S(3 * H + m, prev, n);  // at st = 0: the slot's initial value
            const Expr product = chunk_sum(kc, CH, [&](const Expr& k) { return Wh(k, Jw) * S(3 * H + k, prev, n); });
            S(J, st, n) = Halide::select(Halide::likely(r.y < KC), S(J, st, n) + product, (1 - zg) * ng + zg * h_prev);
            c.mark_recurrence(S, r, 4 * H, KC + 1, Wh, CH, 0);
            c.save("xw", xw);
            h(j, t, n) = S(3 * H + j, t, n);
        }
        c.save("S", S);
        c.mark(h, stage_kind::pointwise, RDom(), H);
        c.save("h", h);
        if constexpr (Sequences) return h;
        Func last = c.func("fwd");
        last(j, n) = h(j, T - 1, n);
        c.mark(last, stage_kind::pointwise, RDom(), H);
        return last;
    }

    // The weight gradients and d_in from the gates' gradients dz (G, T, N) (what multiplies
    // W_x x_t), dA (what multiplies W_h h_{t-1}; the same as dz but for the gru) and the
    // previous states h_{t-1} (H, T, N).
    static grads weight_grads(const op_ctx& c, const Func& x, const Func& dz, const Func& dA, const Func& h_prev,
                              const std::vector<Func>& p) {
        const int T = c.in[1];
        const op_ctx sx = steps_ctx(c, "_x", c.in[0], G), sh = steps_ctx(c, "_h", H, G);
        grads gx = op<dense_t<G>>::backward(sx, steps_as_batch(x, T, c.name + "_x_steps_b"), Func(),
                                            steps_as_batch(dz, T, c.name + "_dz_steps"), {p[0], p[2]});
        grads gh = op<dense_t<G>>::backward(sh, steps_as_batch(h_prev, T, c.name + "_h_prev_steps"), Func(),
                                            steps_as_batch(dA, T, c.name + "_dA_steps"), {p[1], p[2]});
        Func dx = batch_as_steps(gx.d_in, T, c.name + "_d_in_steps");
        if constexpr (Cell == cell_kind::gru)
            return {dx, {gx.d_params[0], gh.d_params[0], gx.d_params[1], gh.d_params[1]}};
        else
            return {dx, {gx.d_params[0], gh.d_params[0], gx.d_params[1]}};
    }

    // W_h^T g_0 (H, N): what the initial state's h gets from the first step's gradients g
    // (G, T, N) of what multiplies W_h h_{-1}.
    static Func state_product(const op_ctx& c, const Func& Wh, const Func& g) {
        Var f("f"), o("o"), n("n");
        Func g0 = c.func("d_gates_first");
        g0(o, n) = g(o, 0, n);
        c.mark(g0, stage_kind::pointwise, RDom(), G);
        RDom ro(0, G, c.name + "_r_state");
        Func d = c.func("d_state_h");
        d(f, n) = c.k(0);
        d(f, n) += Wh(f, ro) * g0(ro, n);
        c.mark(d, stage_kind::matmul_dx, ro, H, G);
        c.stages->back().kernel = Wh;
        c.stages->back().input = g0;
        return d;
    }

    static grads backward(const op_ctx& c, const Func& x, const Func&, const Func& dy, const std::vector<Func>& p) {
        const int T = c.in[1];
        const Func& Wh = p[1];
        const Func S = c.restore("S"), h = c.restore("h");
        Var j("j"), t("t"), n("n");
        auto initial = [&](const Expr& m) { return initial_state(c, m, n); };
        auto with_state_grad = [&](grads g, const Func& d_state) {
            if (c.state.defined()) {
                c.mark(d_state, stage_kind::pointwise, RDom(), L::initial_state_size);
                g.d_state = d_state;
            }
            return g;
        };
        // dH: the gradient reaching each step's output
        Func dH = c.func("d_h_out");
        if constexpr (Sequences) dH(j, t, n) = dy(j, t, n);
        else dH(j, t, n) = Halide::select(t == T - 1, dy(j, n), c.k(0));
        Func h_prev = c.func("h_prev");
        h_prev(j, t, n) = Halide::select(t > 0, h(j, Halide::max(t - 1, 0), n), initial(j));
        c.mark(h_prev, stage_kind::pointwise, RDom(), H);
        Func E = c.func("E");
        if constexpr (Cell == cell_kind::rnn) {
            // slots: [0, H) Q_t = dH_t + W_h^T dZ_{t+1}, [H, 2H) dZ_t = Q_t (1 - h_t^2)
            E(j, t, n) = Halide::select(j < H, dH(Halide::min(j, H - 1), t, n), c.k(0));
            constexpr int CH = product_chunk(H), KC = H / CH;
            RDom r(0, 2 * H, 0, KC + 1, 0, T, c.name + "_r_bptt");
            phase_slots(r, KC, H, {{H, 2 * H}});
            const Expr J = r.x, kc = Halide::min(r.y, KC - 1), st = T - 1 - r.z, next = Halide::min(st + 1, T - 1);
            const Expr m = Halide::clamp(J - H, 0, H - 1), hm = S(H + m, st, n), Jw = Halide::min(J, H - 1);
            const Expr product = chunk_sum(kc, CH, [&](const Expr& k) { return Wh(Jw, k) * E(H + k, next, n); });
            E(J, st, n) = Halide::select(Halide::likely(r.y < KC), E(J, st, n) + product, E(m, st, n) * (1 - hm * hm));
            c.mark_recurrence(E, r, 2 * H, KC + 1, Wh, CH, 1);
            Func dZ = c.func("d_Z");
            dZ(j, t, n) = E(H + j, t, n);
            c.mark(dZ, stage_kind::pointwise, RDom(), H);
            Func d_state = c.func("d_state");
            if (c.state.defined()) d_state(j, n) = state_product(c, Wh, dZ)(j, n);
            return with_state_grad(weight_grads(c, x, dZ, dZ, h_prev, p), d_state);
        } else if constexpr (Cell == cell_kind::lstm) {
            // slots: [0, H) W_h^T dz_{t+1} (dh from the future), [H, 2H) dc_t, [2H, 6H) dz_t
            auto gate = [&](int q, const Expr& m, const Expr& s) { return S(q * H + m, s, n); };  // activated
            E(j, t, n) = c.k(0);
            constexpr int CH = product_chunk(4 * H), KC = 4 * H / CH;
            RDom r(0, 6 * H, 0, KC + 2, 0, T, c.name + "_r_bptt");
            phase_slots(r, KC, H, {{H, 2 * H}, {2 * H, 6 * H}});
            const Expr J = r.x, kc = Halide::min(r.y, KC - 1), st = T - 1 - r.z, next = Halide::min(st + 1, T - 1);
            // dc_t, at slot H + m
            const Expr mc = Halide::clamp(J - H, 0, H - 1);
            const Expr tc = math::tanh(S(4 * H + mc, st, n));
            const Expr dc_new = (dH(mc, st, n) + E(mc, st, n)) * gate(3, mc, st) * (1 - tc * tc) +
                                Halide::select(st + 1 < T, E(H + mc, next, n) * gate(1, mc, next), c.k(0));
            // dz_t, at slot 2H + q H + m, from dc_t (finished at k = 4H)
            const Expr jz = Halide::clamp(J - 2 * H, 0, 4 * H - 1), q = jz / H, mz = jz % H;
            const Expr dc = E(H + mz, st, n), dh = dH(mz, st, n) + E(mz, st, n);
            const Expr i = gate(0, mz, st), f = gate(1, mz, st), g = gate(2, mz, st), o = gate(3, mz, st);
            const Expr c_prev = Halide::select(st > 0, S(4 * H + mz, Halide::max(st - 1, 0), n), initial(H + mz));
            const Expr dz_new = Halide::select(q == 0, dc * g * i * (1 - i), q == 1, dc * c_prev * f * (1 - f),
                                               q == 2, dc * i * (1 - g * g),
                                               dh * math::tanh(S(4 * H + mz, st, n)) * o * (1 - o));
            const Expr Jw = Halide::min(J, H - 1);
            const Expr product = chunk_sum(kc, CH, [&](const Expr& k) { return Wh(Jw, k) * E(2 * H + k, next, n); });
            E(J, st, n) = Halide::select(Halide::likely(r.y < KC), E(J, st, n) + product, r.y == KC, dc_new, dz_new);
            c.mark_recurrence(E, r, 6 * H, KC + 2, Wh, CH, 1);
            Func dz = c.func("d_z");
            dz(j, t, n) = E(2 * H + j, t, n);
            c.mark(dz, stage_kind::pointwise, RDom(), G);
            // d [h_{-1}; c_{-1}]: W_h^T dz_0, and dc_0 f_0
            Func d_state = c.func("d_state");
            if (c.state.defined()) {
                const Func dh0 = state_product(c, Wh, dz);
                const Expr m = Halide::clamp(j - H, 0, H - 1);
                d_state(j, n) = Halide::select(j < H, dh0(Halide::min(j, H - 1), n), E(H + m, 0, n) * gate(1, m, 0));
            }
            return with_state_grad(weight_grads(c, x, dz, dz, h_prev, p), d_state);
        } else {
            // slots: [0, H) W_h^T dA_{t+1} + dh_{t+1} z_{t+1} (dh from the future), [H, 4H) dA_t
            const Func xw = c.restore("xw");
            auto fwd = [&](const Expr& m, const Expr& s) {
                const Expr rg = math::sigmoid(xw(m, s, n) + S(m, s, n));
                const Expr zg = math::sigmoid(xw(H + m, s, n) + S(H + m, s, n));
                const Expr ng = math::tanh(xw(2 * H + m, s, n) + rg * S(2 * H + m, s, n));
                const Expr hp = Halide::select(s > 0, S(3 * H + m, Halide::max(s - 1, 0), n), initial(m));
                return std::array<Expr, 4>{rg, zg, ng, hp};
            };
            // the pre-activations' gradients at (q H + m, s), R at s finished; as_input: what
            // multiplies W_x x (da_n) rather than W_h h (r da_n)
            auto d_pre = [&](const Expr& q, const Expr& m, const Expr& s, bool as_input) {
                const auto [rg, zg, ng, hp] = fwd(m, s);
                const Expr dh = dH(m, s, n) + E(m, s, n);
                const Expr da_n = dh * (1 - zg) * (1 - ng * ng);
                return Halide::select(q == 0, da_n * S(2 * H + m, s, n) * rg * (1 - rg),
                                      q == 1, dh * (hp - ng) * zg * (1 - zg),
                                      as_input ? da_n : da_n * rg);
            };
            E(j, t, n) = c.k(0);
            // k < KC: the recurrent product (CH terms each); k = KC: the direct term dh_{t+1} z_{t+1}
            constexpr int CH = product_chunk(3 * H), KC = 3 * H / CH;
            RDom r(0, 4 * H, 0, KC + 2, 0, T, c.name + "_r_bptt");
            phase_slots(r, KC, H, {{0, H}, {H, 4 * H}});
            const Expr J = r.x, kr = r.y, kc = Halide::min(kr, KC - 1), st = T - 1 - r.z,
                       next = Halide::min(st + 1, T - 1);
            const Expr mj = Halide::min(J, H - 1);
            const Expr ja = Halide::clamp(J - H, 0, 3 * H - 1);
            const Expr direct = Halide::select(st + 1 < T, (dH(mj, next, n) + E(mj, next, n)) * fwd(mj, next)[1], c.k(0));
            const Expr product = chunk_sum(kc, CH, [&](const Expr& k) { return Wh(mj, k) * E(H + k, next, n); });
            E(J, st, n) = Halide::select(Halide::likely(kr < KC), E(J, st, n) + product,
                                         kr == KC, E(J, st, n) + direct, d_pre(ja / H, ja % H, st, false));
            c.mark_recurrence(E, r, 4 * H, KC + 2, Wh, CH, 1);
            Func dz = c.func("d_z"), dA = c.func("d_A");
            dz(j, t, n) = d_pre(j / H, j % H, t, true);
            dA(j, t, n) = E(H + j, t, n);
            c.mark(dz, stage_kind::pointwise, RDom(), G);
            c.mark(dA, stage_kind::pointwise, RDom(), G);
            Func hp = c.func("h_prev_state");
            hp(j, t, n) = Halide::select(t > 0, S(3 * H + j, Halide::max(t - 1, 0), n), initial(j));
            c.mark(hp, stage_kind::pointwise, RDom(), H);
            // d h_{-1}: W_h^T dA_0 + dh_0 z_0
            Func d_state = c.func("d_state");
            if (c.state.defined())
                d_state(j, n) = state_product(c, Wh, dA)(j, n) + (dH(j, 0, n) + E(j, 0, n)) * fwd(j, 0)[1];
            return with_state_grad(weight_grads(c, x, dz, dA, hp, p), d_state);
        }
    }
};

// One step (dsl: rnn_cell, lstm_cell, gru_cell): x (F + S, N) = [x_t; state] -> the new state
// (S, N). Two matmuls (dense's lowering on views of the input and of the state), then the
// cell's element-wise update, the same maths as a step of the recurrence above.
template <cell_kind Cell, int H>
struct op<recurrent_cell_t<Cell, H>> {
    using L = recurrent_cell_t<Cell, H>;
    static constexpr int G = L::sequence_layer::gates * H;
    // The step's two matmuls, W_x x_t (+ b or b_x) and W_h h (+ b_h for the gru): dense's
    // lowering on views of the input's x part and state part, with their own contexts.
    struct products {
        Func x_part, h_part, h_bias;
        op_ctx x_ctx, h_ctx;
    };
    static products views(const op_ctx& c, const Func& x, const std::vector<Func>& p, const std::string& role) {
        const int F = c.in[0] - L::state;
        Var f("f"), j("j"), n("n");
        products v{Func(c.name + "_x_in" + role), Func(c.name + "_h_in" + role), Func(), c, c};
        v.x_part(f, n) = x(f, n);
        v.h_part(f, n) = x(F + f, n);
        if constexpr (Cell == cell_kind::gru) {
            v.h_bias = p[3];
        } else {
            v.h_bias = Func(c.name + "_no_bias" + role);
            v.h_bias(j) = c.k(0);
        }
        v.x_ctx.name = c.name + "_x";
        v.x_ctx.in = make_features(F);
        v.x_ctx.out = make_features(G);
        v.h_ctx.name = c.name + "_h";
        v.h_ctx.in = make_features(H);
        v.h_ctx.out = make_features(G);
        return v;
    }

    static Func forward(const op_ctx& c, const Func& x, const std::vector<Func>& p) {
        const int F = c.in[0] - L::state;
        Var j("j"), n("n");
        const products v = views(c, x, p, "");
        Func ax = op<dense_t<G>>::forward(v.x_ctx, v.x_part, {p[0], p[2]});
        Func ah = op<dense_t<G>>::forward(v.h_ctx, v.h_part, {p[1], v.h_bias});
        c.save("ax", ax);
        c.save("ah", ah);
        Func y = c.func("fwd");
        auto h_prev = [&](const Expr& m) { return x(F + m, n); };
        if constexpr (Cell == cell_kind::rnn) {
            y(j, n) = math::tanh(ax(j, n) + ah(j, n));
        } else if constexpr (Cell == cell_kind::lstm) {
            const Expr m = j % H;
            auto z = [&](int q) { return ax(q * H + m, n) + ah(q * H + m, n); };
            const Expr c_new = math::sigmoid(z(1)) * x(F + H + m, n) + math::sigmoid(z(0)) * math::tanh(z(2));
            y(j, n) = Halide::select(j < H, math::sigmoid(z(3)) * math::tanh(c_new), c_new);
        } else {
            const Expr rg = math::sigmoid(ax(j, n) + ah(j, n)), zg = math::sigmoid(ax(H + j, n) + ah(H + j, n));
            const Expr ng = math::tanh(ax(2 * H + j, n) + rg * ah(2 * H + j, n));
            y(j, n) = (1 - zg) * ng + zg * h_prev(j);
        }
        c.mark(y, stage_kind::pointwise, RDom(), L::state);
        return y;
    }

    // dy (S, N): d cost / d the new state. Gives d_in (F + S, N): d x_t, then d state.
    static grads backward(const op_ctx& c, const Func& x, const Func& y, const Func& dy, const std::vector<Func>& p) {
        const int F = c.in[0] - L::state;
        const Func ax = c.restore("ax"), ah = c.restore("ah");
        Var f("f"), j("j"), n("n");
        Func dz = c.func("d_z"), dA = c.func("d_A");  // what multiplies W_x x_t, and W_h h
        Expr d_direct = c.k(0);                       // d h through no weight (gru: z h)
        Expr d_cell = c.k(0);                         // lstm: d c_{t-1}
        if constexpr (Cell == cell_kind::rnn) {
            dz(j, n) = dy(j, n) * (1 - y(j, n) * y(j, n));
            dA(j, n) = dz(j, n);
        } else if constexpr (Cell == cell_kind::lstm) {
            const Expr m = j % H, q = j / H;
            auto z = [&](int g) { return ax(g * H + m, n) + ah(g * H + m, n); };
            const Expr i = math::sigmoid(z(0)), fg = math::sigmoid(z(1)), g = math::tanh(z(2)), o = math::sigmoid(z(3));
            const Expr c_prev = x(F + H + m, n), tc = math::tanh(y(H + m, n));
            const Expr dc = dy(H + m, n) + dy(m, n) * o * (1 - tc * tc);
            dz(j, n) = Halide::select(q == 0, dc * g * i * (1 - i), q == 1, dc * c_prev * fg * (1 - fg),
                                      q == 2, dc * i * (1 - g * g), dy(m, n) * tc * o * (1 - o));
            dA(j, n) = dz(j, n);
            const Expr mf = Halide::clamp(f - F - H, 0, H - 1);
            d_cell = (dy(H + mf, n) + dy(mf, n) * math::sigmoid(ax(3 * H + mf, n) + ah(3 * H + mf, n)) *
                                          (1 - math::tanh(y(H + mf, n)) * math::tanh(y(H + mf, n)))) *
                     math::sigmoid(ax(H + mf, n) + ah(H + mf, n));
        } else {
            const Expr m = j % H, q = j / H;
            const Expr rg = math::sigmoid(ax(m, n) + ah(m, n)), zg = math::sigmoid(ax(H + m, n) + ah(H + m, n));
            const Expr ng = math::tanh(ax(2 * H + m, n) + rg * ah(2 * H + m, n));
            const Expr da_n = dy(m, n) * (1 - zg) * (1 - ng * ng);
            const Expr da_r = da_n * ah(2 * H + m, n) * rg * (1 - rg);
            const Expr da_z = dy(m, n) * (x(F + m, n) - ng) * zg * (1 - zg);
            dz(j, n) = Halide::select(q == 0, da_r, q == 1, da_z, da_n);
            dA(j, n) = Halide::select(q == 0, da_r, q == 1, da_z, da_n * rg);
            const Expr mf = Halide::clamp(f - F, 0, H - 1);
            d_direct = dy(mf, n) * math::sigmoid(ax(H + mf, n) + ah(H + mf, n));
        }
        c.mark(dz, stage_kind::pointwise, RDom(), G);
        c.mark(dA, stage_kind::pointwise, RDom(), G);
        const products v = views(c, x, p, "_b");
        grads gx = op<dense_t<G>>::backward(v.x_ctx, v.x_part, Func(), dz, {p[0], p[2]});
        grads gh = op<dense_t<G>>::backward(v.h_ctx, v.h_part, Func(), dA, {p[1], v.h_bias});
        Func dx = c.func("d_in");
        dx(f, n) = Halide::select(f < F, gx.d_in(Halide::min(f, F - 1), n),
                                  f < F + H, gh.d_in(Halide::clamp(f - F, 0, H - 1), n) + d_direct, d_cell);
        c.mark(dx, stage_kind::pointwise, RDom(), c.in[0]);
        if constexpr (Cell == cell_kind::gru) return {dx, {gx.d_params[0], gh.d_params[0], gx.d_params[1], gh.d_params[1]}};
        else return {dx, {gx.d_params[0], gh.d_params[0], gx.d_params[1]}};
    }
};

}  // namespace kiln::codegen
