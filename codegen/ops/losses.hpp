#pragma once
// Losses: the lowering of dsl/layers/losses.hpp (formulas there). A loss op provides
//   forward(z)              the prediction p (sigmoid / softmax / identity of z)
//   cost(z, y)              the scalar mean cost, numerically stable
//   d_logits(z, p, y)       dz = d cost / dz
#include "codegen/context.hpp"
#include "codegen/ops/activations.hpp"
#include "dsl/layers/losses.hpp"

namespace kiln::codegen {

template <loss_kind K>
struct op<loss_t<K>> {
    // A sequence (F, T, N): every step a sample, through (f, m) views (context.hpp).
    static op_ctx per_step(const op_ctx& c) { return steps_ctx(c, "", c.in[0], c.in[0]); }

    static Func forward(const op_ctx& c, const Func& z, const std::vector<Func>& p_) {
        if (c.in.kind == shape_kind::sequence)
            return batch_as_steps(forward(per_step(c), steps_as_batch(z, c.in[1], c.name + "_z_steps"), p_), c.in[1],
                                  c.name + "_seq");
        if constexpr (K == loss_kind::softmax_cross_entropy) return softmax_of(c, z, "fwd");
        Var f("f"), n("n");
        Func p = c.func("fwd");
        if constexpr (K == loss_kind::sigmoid_cross_entropy) p(f, n) = sigmoid_rule::fwd(c, z(f, n));
        else p(f, n) = z(f, n);
        c.mark(p, stage_kind::pointwise, RDom(), c.out[0]);
        return p;
    }

    static Func cost(const op_ctx& c, const Func& z, const Func& y) {
        if (c.in.kind == shape_kind::sequence)
            return cost(per_step(c), steps_as_batch(z, c.in[1], c.name + "_z_steps_c"),
                        steps_as_batch(y, c.in[1], c.name + "_y_steps"));
        RDom r(0, c.out[0], 0, c.batch, c.name + "_r_cost");
        Expr zv = z(r.x, r.y), yv = y(r.x, r.y), term;
        if constexpr (K == loss_kind::sigmoid_cross_entropy) {
            // max(z,0) - z y + log(1 + exp(-|z|)): never exponentiates a large positive number
            term = Halide::max(zv, c.k(0)) - zv * yv + Halide::log(c.k(1) + Halide::exp(-Halide::abs(zv)));
        } else if constexpr (K == loss_kind::softmax_cross_entropy) {
            // y (logsumexp(z) - z), with logsumexp = max + log(sum exp(z - max))
            Var n("n");
            RDom rf(0, c.out[0], c.name + "_r_lse");
            Func zmax = c.func("cost_max"), lse = c.func("cost_lse");
            zmax(n) = Halide::maximum(z(rf, n));
            c.mark(zmax, stage_kind::feature_sum, rf, 1, c.out[0]);
            lse(n) = zmax(n) + Halide::log(Halide::sum(Halide::exp(z(rf, n) - zmax(n))));
            c.mark(lse, stage_kind::feature_sum, rf, 1, c.out[0]);
            term = yv * (lse(r.y) - zv);
        } else {
            term = (zv - yv) * (zv - yv) / c.k(c.out[0]);
        }
        Func total = c.func("cost");
        total() = c.k(0);
        total() += term;
        c.mark(total, stage_kind::scalar_sum, r);
        Func mean = c.func("mean_cost");
        mean() = total() / Halide::cast(c.type, c.batch);
        return mean;
    }

    static Func d_logits(const op_ctx& c, const Func& z, const Func& p, const Func& y) {
        if (c.in.kind == shape_kind::sequence) {
            const int T = c.in[1];
            return batch_as_steps(d_logits(per_step(c), steps_as_batch(z, T, c.name + "_z_steps_d"),
                                           steps_as_batch(p, T, c.name + "_p_steps"),
                                           steps_as_batch(y, T, c.name + "_y_steps_d")),
                                  T, c.name + "_d_seq");
        }
        Var f("f"), n("n");
        Func dz = c.func("d_in");
        Expr inv_n = c.k(1) / Halide::cast(c.type, c.batch);
        if constexpr (K == loss_kind::mse) {
            dz(f, n) = c.k(2.0 / c.out[0]) * (z(f, n) - y(f, n)) * inv_n;
        } else if constexpr (K == loss_kind::softmax_cross_entropy) {
            // d/dz of sum_f y_f (lse - z_f) is p sum_f y_f - y: p - y for a one-hot row, 0 for
            // an all-zero row (a padded step of a sequence: no cost, no gradient)
            RDom rf(0, c.out[0], c.name + "_r_ysum");
            Func ysum = c.func("y_sum");
            ysum(n) = c.k(0);
            ysum(n) += y(rf, n);
            c.mark(ysum, stage_kind::feature_sum, rf, 1, c.out[0]);
            dz(f, n) = (p(f, n) * ysum(n) - y(f, n)) * inv_n;
        } else {
            dz(f, n) = (p(f, n) - y(f, n)) * inv_n;
        }
        c.mark(dz, stage_kind::pointwise, RDom(), c.out[0]);
        return dz;
    }
};

}  // namespace kiln::codegen
