#pragma once
/*  network_generator<Net>: the one Halide generator every network is built with. Its
    Inputs and Outputs come from the network's tables; nobody writes one per network.
    GENERATOR PARAMS
      stage     forward   (input0.., params..) -> prediction
                grad      (input0.., labels, params.., l2, keep_prob, seed, step)
                              -> cost, d_<param>..  (for a parameter that is not trainable,
                                 d_<param> is its value after the step: see lower.hpp;
                                 a frozen parameter has no d_<param>: dsl/frozen.hpp)
      elem      float32 | float64 (the gradcheck build)
      schedule  manual | naive; ignored when auto_schedule=true (Mullapudi2016 ...)
      batch_estimate  the N the autoschedulers plan for (default 64)
    SIGNATURE (the order the runtime calls it in, through the _argv entry point)
      inputs in input order ("input0" ...), each 2-D: (sample size, N), samples dense, "labels" for grad, then one buffer per parameter
      named like the table with '.' -> '_' ("dense1_W"); outputs "prediction", or "cost"
      then "d_dense1_W" ... in table order. Every per-sample dimension is bound to its
      compile-time extent, so a wrongly shaped buffer is refused with Halide's message.  */
#include <string>

#include <Halide.h>

#include "codegen/lower.hpp"
#include "codegen/schedule/policy.hpp"

namespace kiln::codegen {

template <class Net>
class network_generator : public Halide::Generator<network_generator<Net>> {
  public:
    template <class T> using Input = Halide::GeneratorInput<T>;
    template <class T> using Output = Halide::GeneratorOutput<T>;
    template <class T> using GeneratorParam = Halide::GeneratorParam<T>;
    using Buffer = Halide::Buffer<>;

    GeneratorParam<std::string> stage{"stage", "forward"};
    GeneratorParam<Halide::Type> elem{"elem", Halide::Float(32)};
    GeneratorParam<std::string> schedule{"schedule", "manual"};
    GeneratorParam<int> batch_estimate{"batch_estimate", 64};

    void configure() {
        const Halide::Type t = elem;
        const bool grad = training();
        if (!grad && std::string(stage) != "forward")
            throw std::invalid_argument("network_generator: stage must be 'forward' or 'grad', got '" +
                                        std::string(stage) + "'");
        for (std::size_t k = 0; k < Net::input_count; ++k)
            inputs_.push_back(this->template add_input<Buffer>("input" + std::to_string(k), t, 2));
        if (grad)
            labels_ = this->template add_input<Buffer>("labels", t, Net::output_shape.rank + 1);
        for (const param_entry& e : Net::params)
            params_.push_back(this->template add_input<Buffer>(argument_name(e), t, e.spec.rank));
        if (grad) {
            l2_ = this->template add_input<Expr>("l2", t);
            keep_prob_ = this->template add_input<Expr>("keep_prob", t);
            seed_ = this->template add_input<Expr>("seed", Halide::UInt(32));
            step_ = this->template add_input<Expr>("step", Halide::UInt(32));
        }
        if (grad) {
            cost_ = this->template add_output<Buffer>("cost", t, 0);
            for (const param_entry& e : Net::params)
                d_params_.push_back(e.spec.frozen ? nullptr
                                                  : this->template add_output<Buffer>("d_" + argument_name(e), t,
                                                                                      e.spec.rank));
        } else {
            prediction_ = this->template add_output<Buffer>("prediction", t, Net::output_shape.rank + 1);
        }
    }

    void generate() {
        const int n_est = batch_estimate;
        std::vector<Func> inputs, params;
        const Expr batch = inputs_[0]->dim(1).extent();
        for (std::size_t k = 0; k < Net::input_count; ++k) {
            bind_sample_dims(*inputs_[k], make_features(static_cast<int>(Net::input_shapes[k].size())), n_est);
            inputs.push_back(*inputs_[k]);
        }
        for (std::size_t i = 0; i < Net::params.size(); ++i) {
            const param_spec& spec = Net::params[i].spec;
            for (int d = 0; d < spec.rank; ++d)
                params_[i]->dim(d).set_bounds(0, spec.dims[static_cast<std::size_t>(d)]).set_estimate(
                    0, spec.dims[static_cast<std::size_t>(d)]);
            params.push_back(*params_[i]);
        }
        Func labels;
        if (training()) {
            bind_sample_dims(*labels_, Net::output_shape, n_est);
            labels = *labels_;
        }
        training_inputs train;
        if (training()) train = {*l2_, *keep_prob_, *seed_, *step_};
        lowered l = lower<Net>(elem, inputs, params, batch, labels, training() ? &train : nullptr);

        if (training()) {
            // Outputs copy the lowered Funcs, so that the argument names stay "cost",
            // "d_<param>", "prediction" whatever the ops call their stages.
            (*cost_)() = l.cost();
            cost_->set_estimates({});
            for (std::size_t i = 0; i < Net::params.size(); ++i) {
                if (Net::params[i].spec.frozen) continue;
                std::vector<Var> v = l.d_params[i].args();
                (*d_params_[i])(v) = l.d_params[i](v);
                l.stages.push_back({*d_params_[i], stage_kind::pointwise, RDom(), Net::params[i].spec.dims[0], 0});
                const param_spec& spec = Net::params[i].spec;
                Halide::Region r;
                for (int d = 0; d < spec.rank; ++d) r.push_back({0, spec.dims[static_cast<std::size_t>(d)]});
                d_params_[i]->set_estimates(r);
            }
        } else {
            std::vector<Var> v = l.prediction.args();
            (*prediction_)(v) = l.prediction(v);
            l.stages.push_back({*prediction_, stage_kind::pointwise, RDom(), Net::output_shape[0], 0});
            Halide::Region r;
            for (int d = 0; d < Net::output_shape.rank; ++d) r.push_back({0, Net::output_shape[d]});
            r.push_back({0, n_est});
            prediction_->set_estimates(r);
        }

        if (!this->get_auto_schedule()) {
            const std::string s = schedule;
            if (s == "manual") schedule_manual(l.stages, this->get_target());
            else if (s == "naive") schedule_naive(l.stages);
            else throw std::invalid_argument("network_generator: schedule must be manual or naive, got '" + s + "'");
        }
    }

  private:
    bool training() const { return std::string(stage) == "grad"; }

    static void bind_sample_dims(Input<Buffer>& in, const shape& s, int n_est) {
        for (int d = 0; d < s.rank; ++d) in.dim(d).set_bounds(0, s[d]).set_estimate(0, s[d]);
        in.dim(s.rank).set_min(0).set_estimate(0, n_est);
    }

    std::vector<Input<Buffer>*> inputs_, params_;
    Input<Buffer>* labels_ = nullptr;
    Input<Expr>*l2_ = nullptr, *keep_prob_ = nullptr, *seed_ = nullptr, *step_ = nullptr;
    Output<Buffer>* prediction_ = nullptr;
    Output<Buffer>* cost_ = nullptr;
    std::vector<Output<Buffer>*> d_params_;
};

}  // namespace kiln::codegen
