#pragma once
/*  gradcheck: backprop against centred finite differences, in float64 (C2W1).
    WHAT IT DOES  runs the network's float64 grad pipeline (<net>_grad_f64, naive schedule)
                  at the model's parameters (widened to double) on a few samples, then for
                  each checked parameter theta_i:  g~_i = (J(theta + eps e_i) - J(theta - eps e_i)) / 2 eps.
    SETTINGS      the step's l2 and dropout (keep_prob with a fixed seed and step: the mask
                  is the same in every evaluation) are part of the checked cost.
    REPORTS       difference = ||g - g~|| / (||g|| + ||g~||) over the checked parameters;
                  the course's threshold is 1e-7. max_params bounds the work for big
                  networks: then a seeded sample of that many parameters is checked, drawn
                  from every tensor in proportion to its size (at least one each).       */
#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

#include "runtime/model.hpp"
#include "runtime/random.hpp"

namespace kiln {

struct gradcheck_result {
    double difference = 0;
    std::size_t checked = 0;
    std::size_t total = 0;
    std::vector<std::size_t> indices;  // the checked arena positions
    std::vector<double> backprop, numeric;
};

// Evaluates cost and gradient of a network in float64 through its grad_f64 pipeline.
template <class Net>
class f64_evaluator {
  public:
    f64_evaluator(const kernel_set& k, std::span<const float> x, std::span<const float> y, std::size_t n,
                  const step_settings& s = {})
        : kernels_(&k), n_(n), x_(x.begin(), x.end()), y_(y.begin(), y.end()), grads_(Net::grad_size),
          l2_(s.l2), keep_prob_(s.keep_prob), seed_(s.seed), step_(s.step) {}

    double cost(std::span<const double> params) { return run(params, false); }
    double cost_and_gradient(std::span<const double> params) { return run(params, true); }
    std::span<const double> gradient() const { return grads_; }

  private:
    double run(std::span<const double> params, bool) {
        double cost = 0;
        auto dims = [&](const shape& s) {
            std::vector<int> d(s.dims.begin(), s.dims.begin() + s.rank);
            d.push_back(static_cast<int>(n_));
            return d;
        };
        halide_view<double> in(x_.data(), dims(make_features(static_cast<int>(Net::input_shapes[0].size())))),
            labels(y_.data(), dims(Net::output_shape));
        auto c = halide_view<double>::make_scalar(&cost);
        std::vector<halide_view<double>> views;
        views.reserve(2 * Net::params.size());
        std::vector<pipeline_arg> args{{"input0", in.raw_buffer()}, {"labels", labels.raw_buffer()}};
        for (const param_entry& e : Net::params) {
            views.push_back(make_view(const_cast<double*>(params.data()) + e.offset, param_dims(e)));
            args.push_back({argument_name(e), views.back().raw_buffer()});
        }
        args.push_back(pipeline_arg::of_scalar("l2", &l2_));
        args.push_back(pipeline_arg::of_scalar("keep_prob", &keep_prob_));
        args.push_back(pipeline_arg::of_scalar("seed", &seed_));
        args.push_back(pipeline_arg::of_scalar("step", &step_));
        args.push_back({"cost", c.raw_buffer()});
        for (const param_entry& e : Net::params) {
            if (e.spec.frozen) continue;  // no gradient (dsl/frozen.hpp)
            views.push_back(make_view(grads_.data() + (e.offset - Net::frozen_size), param_dims(e)));
            args.push_back({"d_" + argument_name(e), views.back().raw_buffer()});
        }
        call_pipeline(kernels_->network, kernels_->grad_f64, args);
        return cost;
    }

    const kernel_set* kernels_;
    std::size_t n_;
    std::vector<double> x_, y_, grads_;
    double l2_, keep_prob_;
    std::uint32_t seed_, step_;
};

// Perturb gradient index `planted` by `plant` after backprop: for testing that gradcheck
// catches a wrong gradient (C2W1's deliberate bug). plant = 0 checks honestly.
template <class Net>
gradcheck_result gradcheck(const model<Net>& m, std::span<const float> x, std::span<const float> y, std::size_t n,
                           std::size_t max_params = 2000, double eps = 1e-6, std::uint64_t seed = 1,
                           std::size_t planted = 0, double plant = 0, const step_settings& settings = {}) {
    f64_evaluator<Net> eval(m.kernels(), x, y, n, settings);
    std::vector<double> theta(m.parameters().begin(), m.parameters().end());
    eval.cost_and_gradient(theta);
    // g is indexed like theta; frozen parameters (the arena's head) have no gradient.
    std::vector<double> g(Net::frozen_size, 0.0);
    g.insert(g.end(), eval.gradient().begin(), eval.gradient().end());
    if (plant != 0) g.at(planted) += plant;

    // Only trainable parameters have gradients (running averages are recomputed, not learned).
    gradcheck_result r;
    auto checked = [](const param_entry& e) { return e.spec.trainable && !e.spec.frozen; };
    for (const param_entry& e : Net::params) r.total += checked(e) ? e.spec.size() : 0;
    if (r.total <= max_params) {
        for (const param_entry& e : Net::params)
            if (checked(e))
                for (std::size_t k = 0; k < e.spec.size(); ++k) r.indices.push_back(e.offset + k);
    } else {
        rng gen(seed);
        for (const param_entry& e : Net::params) {
            if (!checked(e)) continue;
            const std::size_t share = std::max<std::size_t>(1, e.spec.size() * max_params / r.total);
            for (std::size_t k = 0; k < share; ++k) r.indices.push_back(e.offset + gen.below(e.spec.size()));
        }
        if (plant != 0) r.indices.push_back(planted);
        std::sort(r.indices.begin(), r.indices.end());
        r.indices.erase(std::unique(r.indices.begin(), r.indices.end()), r.indices.end());
    }
    double num = 0, den_a = 0, den_b = 0;
    for (std::size_t i : r.indices) {
        const double saved = theta[i];
        theta[i] = saved + eps;
        const double plus = eval.cost(theta);
        theta[i] = saved - eps;
        const double minus = eval.cost(theta);
        theta[i] = saved;
        const double approx = (plus - minus) / (2 * eps);
        r.backprop.push_back(g[i]);
        r.numeric.push_back(approx);
        num += (g[i] - approx) * (g[i] - approx);
        den_a += g[i] * g[i];
        den_b += approx * approx;
    }
    r.checked = r.indices.size();
    const double den = std::sqrt(den_a) + std::sqrt(den_b);
    r.difference = den == 0 ? 0 : std::sqrt(num) / den;
    return r;
}

}  // namespace kiln
