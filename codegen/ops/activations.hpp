#pragma once
// Element-wise activations and softmax: the lowering of dsl/layers/activations.hpp.
// Shapes unchanged. Backward uses the output y, never the input: nothing else is kept.
#include "codegen/context.hpp"
#include "codegen/math.hpp"
#include "dsl/layers/activations.hpp"

namespace kiln::codegen {

// Shared shape of a point-wise op: y = fwd(x); dx = bwd(y, dy).
template <class Rule>
struct pointwise_op {
    static Func forward(const op_ctx& c, const Func& x, const std::vector<Func>&) {
        std::vector<Var> v = activation_vars(c.out);
        Func y = c.func("fwd");
        y(v) = Rule::fwd(c, x(v));
        c.mark(y, stage_kind::pointwise, RDom(), c.out[0]);
        return y;
    }
    static grads backward(const op_ctx& c, const Func&, const Func& y, const Func& dy,
                          const std::vector<Func>&) {
        std::vector<Var> v = activation_vars(c.out);
        Func dx = c.func("d_in");
        dx(v) = Rule::bwd(c, y(v), dy(v));
        c.mark(dx, stage_kind::pointwise, RDom(), c.out[0]);
        return {dx, {}};
    }
};

struct relu_rule {
    static Expr fwd(const op_ctx& c, Expr x) { return Halide::max(x, c.k(0)); }
    static Expr bwd(const op_ctx& c, Expr y, Expr dy) { return Halide::select(y > c.k(0), dy, c.k(0)); }
};
struct relu6_rule {
    static Expr fwd(const op_ctx& c, Expr x) { return Halide::clamp(x, c.k(0), c.k(6)); }
    static Expr bwd(const op_ctx& c, Expr y, Expr dy) {
        return Halide::select(y > c.k(0) && y < c.k(6), dy, c.k(0));
    }
};
struct sigmoid_rule {
    static Expr fwd(const op_ctx& c, Expr x) { return c.k(1) / (c.k(1) + Halide::exp(-x)); }
    static Expr bwd(const op_ctx& c, Expr y, Expr dy) { return dy * y * (c.k(1) - y); }
};
struct tanh_rule {
    static Expr fwd(const op_ctx&, Expr x) { return math::tanh(x); }
    static Expr bwd(const op_ctx& c, Expr y, Expr dy) { return dy * (c.k(1) - y * y); }
};
template <int S>
struct leaky_relu_rule {
    static Expr fwd(const op_ctx& c, Expr x) { return Halide::select(x > c.k(0), x, c.k(leaky_relu_t<S>::slope) * x); }
    static Expr bwd(const op_ctx& c, Expr y, Expr dy) {
        return Halide::select(y > c.k(0), dy, c.k(leaky_relu_t<S>::slope) * dy);
    }
};

template <> struct op<relu_t> : pointwise_op<relu_rule> {};
template <> struct op<relu6_t> : pointwise_op<relu6_rule> {};
template <> struct op<sigmoid_t> : pointwise_op<sigmoid_rule> {};
template <> struct op<tanh_t> : pointwise_op<tanh_rule> {};
template <int S> struct op<leaky_relu_t<S>> : pointwise_op<leaky_relu_rule<S>> {};

// The numerically stable softmax over features: p = exp(z - max z) / sum exp(z - max z).
inline Func softmax_of(const op_ctx& c, const Func& z, const std::string& role) {
    Var f("f"), n("n");
    RDom r(0, c.out[0], c.name + "_" + role + "_r_f");
    Func zmax = c.func(role + "_max"), denom = c.func(role + "_sum"), p = c.func(role);
    zmax(n) = Halide::maximum(z(r, n));
    c.mark(zmax, stage_kind::feature_sum, r, 1, c.out[0]);
    denom(n) = Halide::sum(Halide::exp(z(r, n) - zmax(n)));
    c.mark(denom, stage_kind::feature_sum, r, 1, c.out[0]);
    p(f, n) = Halide::exp(z(f, n) - zmax(n)) / denom(n);
    c.mark(p, stage_kind::pointwise, RDom(), c.out[0]);
    return p;
}

template <>
struct op<softmax_t> {
    static Func forward(const op_ctx& c, const Func& x, const std::vector<Func>&) {
        return softmax_of(c, x, "fwd");
    }
    // dx = y * (dy - sum_f dy y)
    static grads backward(const op_ctx& c, const Func&, const Func& y, const Func& dy,
                          const std::vector<Func>&) {
        Var f("f"), n("n");
        RDom r(0, c.out[0], c.name + "_r_dot");
        Func dot = c.func("d_dot"), dx = c.func("d_in");
        dot(n) = Halide::sum(dy(r, n) * y(r, n));
        c.mark(dot, stage_kind::feature_sum, r, 1, c.out[0]);
        dx(f, n) = y(f, n) * (dy(f, n) - dot(n));
        c.mark(dx, stage_kind::pointwise, RDom(), c.out[0]);
        return {dx, {}};
    }
};

}  // namespace kiln::codegen
