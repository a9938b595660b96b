#pragma once
/*  The per-op numerical harness (in the spirit of ggml's test-backend-ops).
    One DESCRIPTOR per op: a struct with
      static constexpr auto net = input(...) >> ... >> OP >> ... >> loss::...;
      static tensor logits(const batch& b);   the loss's input z (O, N) by plain loops,
                                              written here, never by calling kiln
      static void prepare(batch& b);          optional: overwrite the random data
    check_op<D>() then, for each schedule (naive, manual) and batch N in {3, 17}:
      (a) forward: the prediction and the cost, JIT-compiled in float64, against the loops
          above followed by the loss written from its definition (loss_prediction/loss_cost);
      (b) backward: every d_param kiln produces against centred finite differences of the
          compiled cost (fourth-order stencil, eps 1e-5, float64, relative error < 1e-6:
          the plain 2-point stencil's rounding, ~1e-10, reached 1e-6 of small entries). A dense before the op
          makes the op's d_in part of that dense's d_W, so it is checked too;
      (c) schedules: manual against naive, entry by entry;
    and once more in float32 (manual schedule, no backward stages compiled): prediction and
    cost against the float64 references, within 1e-5 (float32's eps is 6e-8); this build
    has no gradient outputs, so it also checks the forward-only loop nest. Each pipeline is
    compiled once; the finite differences perturb the bound
    parameter buffer in place and realize again.
    Layouts are Halide's, innermost first: x(s, n) = x[s + S n], W(f, o) = W[f + F o].   */
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <Halide.h>

#include "codegen/lower.hpp"
#include "codegen/schedule/policy.hpp"
#include "codegen/target.hpp"
#include "dsl/kiln.hpp"

namespace kiln::test {

using tensor = std::vector<double>;
using Halide::Expr;
using Halide::Func;
using Halide::RDom;
using Halide::Var;

// One batch of host data, float64, in Halide order.
struct batch {
    int n = 0;
    std::vector<tensor> x;             // per network input: (S_k, N)
    std::vector<tensor> p;             // per parameter, in the network's table order
    std::vector<std::string> names;    // the table's names: "dense2.W"
    tensor y;                          // labels (O, N)

    tensor& param(const std::string& name) {
        for (std::size_t i = 0; i < names.size(); ++i)
            if (names[i] == name) return p[i];
        FAIL("no parameter named " << name);
        return p[0];
    }
    const tensor& param(const std::string& name) const { return const_cast<batch*>(this)->param(name); }
};

// ---------------------------------------------------------------- naive references
// y(o, n) = b(o) + sum_f W(f, o) x(f, n)
// y(f, ox, oy, s) = b(f) + sum W(f, c, kx, ky) x(c, S ox + kx - px, S oy + ky - py, s),
// x zero outside the image; TensorFlow's "same" padding puts the odd pixel after.
inline tensor conv_ref(const tensor& x, int C, int W, int H, const tensor& Wt, const tensor& b, int F, int KH, int KW,
                int S, bool same, int n, int& Wo, int& Ho) {
    Wo = same ? (W + S - 1) / S : (W - KW) / S + 1;
    Ho = same ? (H + S - 1) / S : (H - KH) / S + 1;
    const int px = same ? std::max((Wo - 1) * S + KW - W, 0) / 2 : 0;
    const int py = same ? std::max((Ho - 1) * S + KH - H, 0) / 2 : 0;
    tensor y(static_cast<std::size_t>(F * Wo * Ho * n));
    for (int s = 0; s < n; ++s)
        for (int oy = 0; oy < Ho; ++oy)
            for (int ox = 0; ox < Wo; ++ox)
                for (int f = 0; f < F; ++f) {
                    double acc = b[static_cast<std::size_t>(f)];
                    for (int ky = 0; ky < KH; ++ky)
                        for (int kx = 0; kx < KW; ++kx)
                            for (int c = 0; c < C; ++c) {
                                const int i = S * ox + kx - px, j = S * oy + ky - py;
                                if (i < 0 || i >= W || j < 0 || j >= H) continue;
                                acc += Wt[static_cast<std::size_t>(f + F * (c + C * (kx + KW * ky)))] *
                                       x[static_cast<std::size_t>(c + C * (i + W * (j + H * s)))];
                            }
                    y[static_cast<std::size_t>(f + F * (ox + Wo * (oy + Ho * s)))] = acc;
                }
    return y;
}

inline tensor dense_ref(const tensor& x, const tensor& W, const tensor& b, int n) {
    const int O = static_cast<int>(b.size()), F = static_cast<int>(W.size()) / O;
    REQUIRE(x.size() == static_cast<std::size_t>(F * n));
    tensor y(static_cast<std::size_t>(O * n));
    for (int s = 0; s < n; ++s)
        for (int o = 0; o < O; ++o) {
            double acc = b[o];
            for (int f = 0; f < F; ++f) acc += W[f + F * o] * x[f + F * s];
            y[o + O * s] = acc;
        }
    return y;
}

template <class Fn>
tensor map_ref(tensor t, Fn fn) {
    for (double& v : t) v = fn(v);
    return t;
}

inline double sigmoid_ref(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// softmax over the features of each sample, from the definition exp(z_f) / sum_g exp(z_g)
inline tensor softmax_ref(const tensor& z, int F, int n) {
    tensor p(z.size());
    for (int s = 0; s < n; ++s) {
        double sum = 0;
        for (int f = 0; f < F; ++f) sum += std::exp(z[f + F * s]);
        for (int f = 0; f < F; ++f) p[f + F * s] = std::exp(z[f + F * s]) / sum;
    }
    return p;
}

inline tensor loss_prediction(loss_kind k, const tensor& z, int O, int n) {
    if (k == loss_kind::sigmoid_cross_entropy) return map_ref(z, sigmoid_ref);
    if (k == loss_kind::softmax_cross_entropy) return softmax_ref(z, O, n);
    return z;
}

// The mean cost from the definitions (losses.hpp's contract):
//   sigmoid CE  -[y log p + (1-y) log(1-p)], with -log p = log1p(e^-z), -log(1-p) = log1p(e^z)
//               (exact identities; they stay finite up to |z| ~ 700, where the textbook
//               form above already gives log(0) at z ~ 37)
//   softmax CE  -sum_f y log p_f;   mse  mean over all elements of (z - y)^2
inline double loss_cost(loss_kind k, const tensor& z, const tensor& y, int O, int n) {
    double total = 0;
    if (k == loss_kind::sigmoid_cross_entropy) {
        for (std::size_t i = 0; i < z.size(); ++i)
            total += y[i] * std::log1p(std::exp(-z[i])) + (1 - y[i]) * std::log1p(std::exp(z[i]));
        return total / n;
    }
    if (k == loss_kind::softmax_cross_entropy) {
        const tensor p = softmax_ref(z, O, n);
        for (std::size_t i = 0; i < z.size(); ++i) total -= y[i] * std::log(p[i]);
        return total / n;
    }
    for (std::size_t i = 0; i < z.size(); ++i) total += (z[i] - y[i]) * (z[i] - y[i]);
    return total / (O * n);
}

// ---------------------------------------------------------------- random data
// Inputs and parameters uniform in [-1, 1] (biases too, so that b is exercised); labels
// as the loss expects them: 0/1, one-hot, or real.
template <class Net>
batch random_batch(int n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    batch b;
    b.n = n;
    for (const shape& s : Net::input_shapes) {
        b.x.emplace_back(s.size() * static_cast<std::size_t>(n));
        for (double& v : b.x.back()) v = u(rng);
    }
    for (const param_entry& e : Net::params) {
        b.names.emplace_back(e.name.view());
        b.p.emplace_back(e.spec.size());
        for (double& v : b.p.back()) v = u(rng);
    }
    // a row per sample, or per step of each sample for a sequence output (O, T)
    const int O = Net::output_shape[0], rows = n * static_cast<int>(Net::output_shape.size()) / O;
    b.y.assign(static_cast<std::size_t>(O * rows), 0.0);
    for (int s = 0; s < rows; ++s) {
        const int hot = std::uniform_int_distribution<int>(0, O - 1)(rng);
        for (int o = 0; o < O; ++o) {
            double& y = b.y[static_cast<std::size_t>(o + O * s)];
            if (Net::loss == loss_kind::sigmoid_cross_entropy) y = u(rng) > 0 ? 1.0 : 0.0;
            else if (Net::loss == loss_kind::softmax_cross_entropy) y = o == hot ? 1.0 : 0.0;
            else y = u(rng);
        }
    }
    return b;
}

// ---------------------------------------------------------------- the JIT-compiled network
enum class sched { naive, manual };
inline const char* sched_name(sched s) { return s == sched::naive ? "naive" : "manual"; }

struct outputs {
    double cost = 0;
    tensor prediction;
    std::vector<tensor> d_params;
    std::vector<tensor> d_inputs;  // with input_grads: d cost / d each input, (S_k, N)
};

inline Halide::Buffer<> make_buffer(Halide::Type t, const std::vector<int>& sizes) {
    return Halide::Buffer<>(t, sizes);
}
inline void put(Halide::Buffer<>& b, std::size_t i, double v) {
    if (b.type() == Halide::Float(64)) static_cast<double*>(b.data())[i] = v;
    else static_cast<float*>(b.data())[i] = static_cast<float>(v);
}
inline double get(const Halide::Buffer<>& b, std::size_t i) {
    if (b.type() == Halide::Float(64)) return static_cast<const double*>(b.data())[i];
    return static_cast<const float*>(b.data())[i];
}

// lower<Net> with ImageParams for inputs, parameters and labels (so N stays a run-time
// extent, as in the AOT generator), outputs wrapped in copies as codegen/generator.hpp does,
// one schedule applied, one JIT compile. Without grads the pipeline's outputs are only the
// cost and the prediction, so Halide compiles no backward stage (a third of the time).
template <class Net>
class jit_network {
  public:
    // l2, keep_prob: the training step's settings, compiled in as constants (dropout's
    // stream: seed 7, step 3). input_grads: also d cost / d every input (lower()'s d_inputs).
    jit_network(Halide::Type t, sched s, bool grads = true, double l2 = 0, double keep_prob = 1,
                bool input_grads = false)
        : type_(t), grads_(grads), input_grads_(input_grads) {
        using Halide::ImageParam;
        std::vector<Func> inputs, params;
        for (std::size_t k = 0; k < Net::input_count; ++k) {
            ImageParam in(t, 2, "input" + std::to_string(k));
            in.dim(0).set_bounds(0, static_cast<int>(Net::input_shapes[k].size()));
            in.dim(1).set_min(0);
            inputs_.push_back(in);
            inputs.push_back(in);  // as lower.hpp REQUIRES: the flat (S, N) input, nothing more
        }
        for (const param_entry& e : Net::params) {
            ImageParam p(t, e.spec.rank, "p" + std::to_string(params_.size()));
            for (int d = 0; d < e.spec.rank; ++d) p.dim(d).set_bounds(0, e.spec.dims[static_cast<std::size_t>(d)]);
            params_.push_back(p);
            params.push_back(p);
        }
        // (output dims..., N), as the AOT generator's labels: (O, N), or (O, T, N) for a sequence
        labels_ = ImageParam(t, Net::output_shape.rank + 1, "labels");
        for (int d = 0; d < Net::output_shape.rank; ++d) labels_.dim(d).set_bounds(0, Net::output_shape[d]);
        labels_.dim(Net::output_shape.rank).set_min(0);
        const codegen::training_inputs train{Halide::cast(t, Expr(l2)), Halide::cast(t, Expr(keep_prob)),
                                             Expr(uint32_t{7}), Expr(uint32_t{3})};
        codegen::lowered l = codegen::lower<Net>(t, inputs, params, inputs_[0].dim(1).extent(), labels_, &train,
                                                 nullptr, input_grads);

        Func cost("cost_out"), pred("prediction_out");
        cost() = l.cost();
        std::vector<Var> v = l.prediction.args();
        pred(v) = l.prediction(v);
        l.stages.push_back({pred, codegen::stage_kind::pointwise, RDom(), Net::output_shape[0], 0});
        std::vector<Func> outs{cost, pred};
        for (std::size_t i = 0; grads && i < Net::params.size(); ++i) {
            if (Net::params[i].spec.frozen) {  // dsl/frozen.hpp: no gradient at all
                REQUIRE_FALSE(l.d_params[i].defined());
                continue;
            }
            REQUIRE(l.d_params[i].defined());
            Func d("d_out" + std::to_string(i));
            std::vector<Var> dv = l.d_params[i].args();
            d(dv) = l.d_params[i](dv);
            l.stages.push_back({d, codegen::stage_kind::pointwise, RDom(), Net::params[i].spec.dims[0], 0});
            outs.push_back(d);
        }
        for (std::size_t k = 0; input_grads && k < Net::input_count; ++k) {
            // (S_k, N), whatever dims the input node had: the flat index, innermost first
            REQUIRE(l.d_inputs.at(k).defined());
            const Func& g = l.d_inputs[k];
            const shape& sk = Net::input_shapes[k];
            Var f("f"), n("n");
            std::vector<Expr> at;
            Expr rest = f;
            for (int d = 0; d < sk.rank; ++d) {
                at.push_back(d + 1 < sk.rank ? Expr(rest % sk[d]) : rest);
                rest = rest / sk[d];
            }
            at.push_back(n);
            Func d("d_input_out" + std::to_string(k));
            d(f, n) = g(at);
            l.stages.push_back({d, codegen::stage_kind::pointwise, RDom(), static_cast<int>(sk.size()), 0});
            outs.push_back(d);
        }
        const Halide::Target target = codegen::jit_target();
        if (s == sched::manual) codegen::schedule_manual(l.stages, target);
        else codegen::schedule_naive(l.stages);
        pipeline_ = Halide::Pipeline(outs);
        pipeline_.compile_jit(target);
    }

    // Copies the batch into buffers of the element type and binds them.
    void bind(const batch& b) {
        auto load = [&](const tensor& src, const std::vector<int>& sizes) {
            Halide::Buffer<> buf = make_buffer(type_, sizes);
            for (std::size_t i = 0; i < src.size(); ++i) put(buf, i, src[i]);
            return buf;
        };
        for (std::size_t k = 0; k < Net::input_count; ++k)
            inputs_[k].set(load(b.x[k], {static_cast<int>(Net::input_shapes[k].size()), b.n}));
        param_bufs_.clear();
        for (std::size_t i = 0; i < Net::params.size(); ++i) {
            const param_spec& spec = Net::params[i].spec;
            param_bufs_.push_back(load(b.p[i], std::vector<int>(spec.dims.begin(), spec.dims.begin() + spec.rank)));
            params_[i].set(param_bufs_.back());
        }
        std::vector<int> label_dims;
        for (int d = 0; d < Net::output_shape.rank; ++d) label_dims.push_back(Net::output_shape[d]);
        label_dims.push_back(b.n);
        labels_.set(load(b.y, label_dims));
        outs_.clear();
        outs_.push_back(make_buffer(type_, {}));
        outs_.push_back(make_buffer(type_, label_dims));  // the prediction: the labels' shape
        for (const param_entry& e : Net::params)
            if (grads_ && !e.spec.frozen) outs_.push_back(make_buffer(type_, std::vector<int>(e.spec.dims.begin(), e.spec.dims.begin() + e.spec.rank)));
        for (std::size_t k = 0; input_grads_ && k < Net::input_count; ++k)
            outs_.push_back(make_buffer(type_, {static_cast<int>(Net::input_shapes[k].size()), b.n}));
    }

    // Writes one parameter entry in the bound buffer (no recompile, no rebind).
    void set_param(std::size_t i, std::size_t j, double v) { put(param_bufs_[i], j, v); }

    double cost() {
        realize();
        return get(outs_[0], 0);
    }

    outputs run() {
        realize();
        outputs o;
        o.cost = get(outs_[0], 0);
        o.prediction = read(outs_[1]);
        // one entry per parameter, in table order; a frozen one's stays empty
        std::size_t k = 2;
        for (std::size_t i = 0; grads_ && i < Net::params.size(); ++i)
            o.d_params.push_back(Net::params[i].spec.frozen ? tensor{} : read(outs_[k++]));
        for (std::size_t i = 0; input_grads_ && i < Net::input_count; ++i) o.d_inputs.push_back(read(outs_[k++]));
        return o;
    }

  private:
    void realize() {
        Halide::Realization r(outs_);
        pipeline_.realize(r);
    }
    static tensor read(const Halide::Buffer<>& b) {
        tensor t(b.number_of_elements());
        for (std::size_t i = 0; i < t.size(); ++i) t[i] = get(b, i);
        return t;
    }

    Halide::Type type_;
    bool grads_, input_grads_;
    std::vector<Halide::ImageParam> inputs_, params_;
    Halide::ImageParam labels_;
    Halide::Pipeline pipeline_;
    std::vector<Halide::Buffer<>> param_bufs_, outs_;
};

// ---------------------------------------------------------------- comparisons
// |got - want| <= tol * max(1, |want|): relative for large values, absolute near zero.
inline void check_values(const std::string& what, const tensor& got, const tensor& want, double tol) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO(what << "[" << i << "]: got " << got[i] << ", expected " << want[i]);
        CHECK(std::isfinite(got[i]));
        CHECK(std::abs(got[i] - want[i]) <= tol * std::max(1.0, std::abs(want[i])));
    }
}

// The brief's gradient criterion: |g - g~| / max(1e-8, |g| + |g~|) < 1e-6.
inline double grad_rel_error(double g, double fd) {
    return std::abs(g - fd) / std::max(1e-8, std::abs(g) + std::abs(fd));
}

template <class D>
batch make_batch(int n) {
    using Net = network<std::remove_cvref_t<decltype(D::net)>>;
    batch b = random_batch<Net>(n, 20240 + static_cast<unsigned>(n));
    if constexpr (requires { D::prepare(b); }) D::prepare(b);
    return b;
}

// ---------------------------------------------------------------- the driver
template <class D>
void check_op() {
    using Net = network<std::remove_cvref_t<decltype(D::net)>>;
    constexpr int O = Net::output_shape[0];
    // The finite differences' step: 1e-5 keeps clear of the kinks of relu and max pool; a
    // descriptor whose network is smooth everywhere (tanh, sigmoid, softmax) may take a
    // larger one (D::fd_eps): the fourth-order stencil's truncation stays ~eps^4 while the
    // rounding, ~1e-16 |cost| / eps, shrinks (it was 3e-11, a relative 1e-6 of the
    // smallest BPTT gradients, ~1e-5, at eps 1e-5).
    double eps = 1e-5;
    if constexpr (requires { D::fd_eps; }) eps = D::fd_eps;
    const std::vector<int> batches{3, 17};
    std::vector<outputs> naive_results;

    // Optional settings of the descriptor: an L2 lambda (the reference cost adds
    // lambda / (2 N) sum W^2 over the ".W" parameters).
    // With a dropout keep_prob < 1 the mask is drawn inside the pipeline: there is no loop
    // reference for the forward, and the finite differences check that the backward uses
    // the very mask of the forward.
    double l2 = 0, keep_prob = 1;
    if constexpr (requires { D::l2; }) l2 = D::l2;
    if constexpr (requires { D::keep_prob; }) keep_prob = D::keep_prob;
    for (sched s : {sched::naive, sched::manual}) {
        jit_network<Net> jit(Halide::Float(64), s, true, l2, keep_prob);
        for (std::size_t bi = 0; bi < batches.size(); ++bi) {
            const int n = batches[bi];
            INFO("float64, schedule " << sched_name(s) << ", N = " << n);
            const batch b = make_batch<D>(n);
            jit.bind(b);
            const outputs got = jit.run();

            // (a) forward against the loops
            if (keep_prob == 1) {
            const tensor z = D::logits(b);
            REQUIRE(z.size() == static_cast<std::size_t>(O * n));
            check_values("prediction", got.prediction, loss_prediction(Net::loss, z, O, n), 1e-12);
            double penalty = 0;
            for (std::size_t i = 0; i < b.p.size(); ++i)
                if (b.names[i].ends_with(".W"))
                    for (double w : b.p[i]) penalty += w * w;
            check_values("cost", {got.cost}, {loss_cost(Net::loss, z, b.y, O, n) + l2 / (2.0 * n) * penalty}, 1e-12);
            if constexpr (requires { D::check_state(b, got); }) D::check_state(b, got);
            }

            // (b) every parameter's gradient against centred differences of the compiled cost
            //     (running averages are not trained: their outputs are new values, see below)
            for (std::size_t i = 0; i < Net::params.size(); ++i) {
                if (!Net::params[i].spec.trainable || Net::params[i].spec.frozen) continue;
                for (std::size_t j = 0; j < b.p[i].size(); ++j) {
                    const double v = b.p[i][j];
                    auto cost_at = [&](double at) {
                        jit.set_param(i, j, at);
                        return jit.cost();
                    };
                    // fourth-order centred differences: truncation O(eps^4), rounding ~1e-11
                    const double near = cost_at(v + eps) - cost_at(v - eps);
                    const double far = cost_at(v + 2 * eps) - cost_at(v - 2 * eps);
                    jit.set_param(i, j, v);
                    const double fd = (8 * near - far) / (12 * eps), g = got.d_params[i][j];
                    INFO("d " << b.names[i] << "[" << j << "]: backward " << g << ", finite differences " << fd);
                    CHECK(grad_rel_error(g, fd) < 1e-6);
                }
            }

            // (c) the schedule changes no result
            if (s == sched::naive) {
                naive_results.push_back(got);
            } else {
                const outputs& ref = naive_results[bi];
                check_values("manual vs naive prediction", got.prediction, ref.prediction, 1e-12);
                check_values("manual vs naive cost", {got.cost}, {ref.cost}, 1e-12);
                for (std::size_t i = 0; i < Net::params.size(); ++i)
                    check_values("manual vs naive d " + b.names[i], got.d_params[i], ref.d_params[i], 1e-12);
            }
        }
    }

    // float32 (the type networks ship in), manual schedule: forward against the references
    if (keep_prob != 1 || l2 != 0) return;  // the float64 runs covered those settings
    jit_network<Net> jit32(Halide::Float(32), sched::manual, /*grads=*/false);
    for (int n : batches) {
        INFO("float32, schedule manual, N = " << n);
        const batch b = make_batch<D>(n);
        const tensor z = D::logits(b);
        jit32.bind(b);
        const outputs got = jit32.run();
        check_values("prediction", got.prediction, loss_prediction(Net::loss, z, O, n), 1e-5);
        check_values("cost", {got.cost}, {loss_cost(Net::loss, z, b.y, O, n)}, 1e-5);
    }
}

}  // namespace kiln::test
