#pragma once
// batch_norm: the lowering of dsl/layers/batch_norm.hpp (formulas there). Channel c is the
// innermost dimension; statistics run over every other dimension and the batch.
#include "codegen/context.hpp"
#include "dsl/layers/batch_norm.hpp"

namespace kiln::codegen {

template <double Eps, double Momentum>
struct op<batch_norm_t<Eps, Momentum>> {
    // The M positions of one channel: (x, y, n) for images, (t, n) for sequences, (n).
    static RDom positions(const op_ctx& c, const std::string& role) {
        std::vector<Halide::Range> ranges;
        for (int d = 1; d < c.in.rank; ++d) ranges.push_back({0, c.in[d]});
        ranges.push_back({0, c.batch});
        return RDom(ranges, c.name + "_r_" + role);
    }
    static std::vector<Expr> at(const Var& ch, const RDom& r) {
        std::vector<Expr> e{ch};
        for (int i = 0; i < r.dimensions(); ++i) e.push_back(r[i]);
        return e;
    }
    static Expr count(const op_ctx& c) {
        Expr m = Halide::cast(c.type, c.batch);
        for (int d = 1; d < c.in.rank; ++d) m = m * c.k(c.in[d]);
        return m;
    }
    // s(ch) = sum over the positions of term(positions), as an update so that the schedule
    // vectorises over channels.
    static Func channel_sum(const op_ctx& c, const std::string& role, const std::function<Expr(std::vector<Expr>)>& term) {
        Var ch("c");
        RDom r = positions(c, role);
        Func s = c.func(role);
        s(ch) = c.k(0);
        s(ch) += term(at(ch, r));
        c.mark(s, stage_kind::batch_sum, r, c.in[0], 0);
        return s;
    }

    static Func forward(const op_ctx& c, const Func& x, const std::vector<Func>& p) {
        const Func &gamma = p[0], &beta = p[1], &running_mean = p[2], &running_var = p[3];
        Var ch("c");
        Func mean = c.func("mean"), var = c.func("var"), rstd = c.func("rstd");
        if (c.training()) {
            const Expr m = count(c);
            Func sum = channel_sum(c, "sum", [&](std::vector<Expr> a) { return x(a); });
            mean(ch) = sum(ch) / m;
            Func sq = channel_sum(c, "sq", [&](std::vector<Expr> a) {
                const Expr d = x(a) - mean(a[0]);
                return d * d;
            });
            var(ch) = sq(ch) / m;
            c.save("mean", mean);
            c.save("var", var);
        } else {
            mean(ch) = running_mean(ch);
            var(ch) = running_var(ch);
        }
        rstd(ch) = c.k(1) / Halide::sqrt(var(ch) + c.k(Eps));
        c.mark(mean, stage_kind::channel_stat, RDom(), c.in[0]);
        c.mark(var, stage_kind::channel_stat, RDom(), c.in[0]);
        c.mark(rstd, stage_kind::channel_stat, RDom(), c.in[0]);
        if (c.training()) c.save("rstd", rstd);
        std::vector<Var> v = activation_vars(c.out);
        Func y = c.func("fwd");
        y(v) = gamma(v[0]) * (x(v) - mean(v[0])) * rstd(v[0]) + beta(v[0]);
        c.mark(y, stage_kind::pointwise, RDom(), c.out[0]);
        return y;
    }

    static grads backward(const op_ctx& c, const Func& x, const Func&, const Func& dy, const std::vector<Func>& p) {
        const Func &gamma = p[0], &running_mean = p[2], &running_var = p[3];
        const Func mean = c.restore("mean"), var = c.restore("var"), rstd = c.restore("rstd");
        auto xhat = [&](const std::vector<Expr>& a) { return (x(a) - mean(a[0])) * rstd(a[0]); };
        // d_gamma and d_beta in one pass over dy: a pair of sums (a Tuple) per channel
        Var ch("c");
        Func sums = c.func("d_gamma_beta");
        {
            const RDom r = positions(c, "d_gamma_beta");
            const std::vector<Expr> a = at(ch, r);
            sums(ch) = Halide::Tuple(c.k(0), c.k(0));
            sums(ch) = Halide::Tuple(sums(ch)[0] + dy(a) * xhat(a), sums(ch)[1] + dy(a));
            c.mark(sums, stage_kind::batch_sum, r, c.in[0], 0);
        }
        Func d_gamma = c.func("d_gamma"), d_beta = c.func("d_beta");
        d_gamma(ch) = sums(ch)[0];
        d_beta(ch) = sums(ch)[1];
        std::vector<Var> v = activation_vars(c.in);
        const std::vector<Expr> e = as_exprs(v);
        const Expr m = count(c);
        Func dx = c.func("d_in");
        dx(v) = gamma(v[0]) * rstd(v[0]) / m * (m * dy(e) - d_beta(v[0]) - xhat(e) * d_gamma(v[0]));
        c.mark(dx, stage_kind::pointwise, RDom(), c.in[0]);
        // Not gradients: the running averages this step leaves behind.
        const Expr keep = c.k(Momentum), take = c.k(1 - Momentum);
        Func new_mean = c.func("new_running_mean"), new_var = c.func("new_running_var");
        new_mean(ch) = keep * running_mean(ch) + take * mean(ch);
        new_var(ch) = keep * running_var(ch) + take * var(ch);
        return {dx, {d_gamma, d_beta, new_mean, new_var}};
    }
};

}  // namespace kiln::codegen
