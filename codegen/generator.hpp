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
      schedule  manual | naive; ignored when auto_schedule=true (Mullapudi2016 ...). manual
                is schedule_manual (schedule/policy.hpp) for a CPU target and schedule_cuda
                (schedule/gpu.hpp) for a CUDA one (target=host-cuda-...)
      batch_estimate  the N the autoschedulers plan for (default 64)
      segments, segment  build pipeline `segment` of the network cut into `segments`
                (network::segment_bounds; big networks: Halide's lowering time grows faster
                than the pipeline). stage may then also be
                train_forward  (input0, params.., l2, keep_prob, seed, step) -> prediction:
                               the segment's output in training mode, the next one's input
                A segment's params are its own nodes'; after the first, input0 is the previous
                segment's output in its natural dims (c, x, y, n); before the last, grad takes
                "d_output" (d cost / d that output) instead of labels and gives the segment's
                L2 term as "cost"; after the first, grad also gives "d_input". Before the
                last, train_forward also gives "tape<j>" for each node j of the segment's
                tape (network::tape_nodes) but its output, and "stats<j>" (c, 2) for
                each batch norm j of network::tape_stats (its mean, its variance); grad
                reads them and the output back as inputs, in place of recomputing them.
    SIGNATURE (the order the runtime calls it in, through the _argv entry point)
      inputs in input order ("input0" ...), each 2-D: (sample size, N), samples dense, "labels" for grad
      (a segment's: "d_output", then its tape, then its stats), then one buffer per parameter
      named like the table with '.' -> '_' ("dense1_W"); outputs "prediction", or "cost"
      then "d_dense1_W" ... in table order. Every per-sample dimension is bound to its
      compile-time extent, so a wrongly shaped buffer is refused with Halide's message.  */
#include <algorithm>
#include <string>

#include <Halide.h>

#include "codegen/lower.hpp"
#include "codegen/schedule/call_graph.hpp"
#include "codegen/schedule/gpu.hpp"
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
    GeneratorParam<int> segments{"segments", 1};
    GeneratorParam<int> segment{"segment", 0};

    void configure() {
        const Halide::Type t = elem;
        const std::string st = stage;
        if (st != "forward" && st != "grad" && st != "train_forward")
            throw std::invalid_argument("network_generator: stage must be 'forward', 'train_forward' or 'grad', got '" +
                                        st + "'");
        const std::vector<int> bounds = Net::segment_bounds(segments);
        if (segment < 0 || segment + 1 >= static_cast<int>(bounds.size()))
            throw std::invalid_argument("network_generator: segment " + std::to_string(segment) + " of " +
                                        std::to_string(bounds.size() - 1) + " (the graph's cut points allow that many)");
        begin_ = bounds[static_cast<std::size_t>(static_cast<int>(segment))];
        end_ = bounds[static_cast<std::size_t>(static_cast<int>(segment)) + 1];
        const bool last = end_ == static_cast<int>(Net::node_count);
        if (begin_ == 0) {
            for (std::size_t k = 0; k < Net::input_count; ++k)
                inputs_.push_back(this->template add_input<Buffer>("input" + std::to_string(k), t, 2));
        } else {
            inputs_.push_back(this->template add_input<Buffer>("input0", t, cut_shape().rank + 1));
        }
        if (grad() && last) labels_ = this->template add_input<Buffer>("labels", t, Net::output_shape.rank + 1);
        if (grad() && !last) d_output_ = this->template add_input<Buffer>("d_output", t, end_shape().rank + 1);
        if (!last && st != "forward") {
            tape_ = Net::tape_nodes(begin_, end_);
            stats_ = Net::tape_stats(begin_, end_);
        }
        if (grad()) {
            for (int j : tape_) tape_in_.push_back(this->template add_input<Buffer>("tape" + std::to_string(j), t, node_shape(j).rank + 1));
            for (int j : stats_) stats_in_.push_back(this->template add_input<Buffer>("stats" + std::to_string(j), t, 2));
        }
        for (const param_entry& e : Net::params)
            params_.push_back(in_segment(e) ? this->template add_input<Buffer>(argument_name(e), t, e.spec.rank) : nullptr);
        if (st != "forward") {
            l2_ = this->template add_input<Expr>("l2", t);
            keep_prob_ = this->template add_input<Expr>("keep_prob", t);
            seed_ = this->template add_input<Expr>("seed", Halide::UInt(32));
            step_ = this->template add_input<Expr>("step", Halide::UInt(32));
        }
        if (grad()) {
            cost_ = this->template add_output<Buffer>("cost", t, 0);
            if (begin_ > 0 && trainable_before<Net>(begin_))
                d_input_ = this->template add_output<Buffer>("d_input", t, cut_shape().rank + 1);
            for (const param_entry& e : Net::params)
                d_params_.push_back(e.spec.frozen || !in_segment(e)
                                        ? nullptr
                                        : this->template add_output<Buffer>("d_" + argument_name(e), t, e.spec.rank));
        } else {
            prediction_ = this->template add_output<Buffer>("prediction", t, end_shape().rank + 1);
            for (int j : tape_)
                if (j != end_ - 1)
                    tape_out_.push_back(this->template add_output<Buffer>("tape" + std::to_string(j), t, node_shape(j).rank + 1));
            for (int j : stats_) stats_out_.push_back(this->template add_output<Buffer>("stats" + std::to_string(j), t, 2));
        }
    }

    void generate() {
        const int n_est = batch_estimate;
        std::vector<Func> inputs, params(Net::params.size());
        const Expr batch = inputs_[0]->dim(inputs_[0]->dimensions() - 1).extent();
        segment_io io{begin_, end_, Func(), Func()};
        if (begin_ == 0) {
            for (std::size_t k = 0; k < Net::input_count; ++k) {
                bind_sample_dims(*inputs_[k], make_features(static_cast<int>(Net::input_shapes[k].size())), n_est);
                inputs.push_back(*inputs_[k]);
            }
        } else {
            bind_sample_dims(*inputs_[0], cut_shape(), n_est);
            io.input = *inputs_[0];
        }
        for (std::size_t i = 0; i < Net::params.size(); ++i) {
            if (!params_[i]) continue;
            const param_spec& spec = Net::params[i].spec;
            for (int d = 0; d < spec.rank; ++d)
                params_[i]->dim(d).set_bounds(0, spec.dims[static_cast<std::size_t>(d)]).set_estimate(
                    0, spec.dims[static_cast<std::size_t>(d)]);
            params[i] = *params_[i];
        }
        Func labels;
        if (labels_) {
            bind_sample_dims(*labels_, Net::output_shape, n_est);
            labels = *labels_;
        }
        if (d_output_) {
            bind_sample_dims(*d_output_, end_shape(), n_est);
            io.d_output = *d_output_;
        }
        for (std::size_t k = 0; k < tape_in_.size(); ++k) {
            bind_sample_dims(*tape_in_[k], node_shape(tape_[k]), n_est);
            io.tape_in[tape_[k]] = *tape_in_[k];
        }
        for (std::size_t k = 0; k < tape_out_.size(); ++k) io.tape_out[tape_[k]] = *tape_out_[k];  // lower() defines them
        for (std::size_t k = 0; k < stats_in_.size(); ++k) {
            const int channels = node_shape(stats_[k])[0];
            stats_in_[k]->dim(0).set_bounds(0, channels).set_estimate(0, channels);
            stats_in_[k]->dim(1).set_bounds(0, 2).set_estimate(0, 2);
            io.stats_in[stats_[k]] = *stats_in_[k];
        }
        for (std::size_t k = 0; k < stats_out_.size(); ++k) io.stats_out[stats_[k]] = *stats_out_[k];  // batch_norm's op defines them
        if (grad() && !d_input_ && std::none_of(d_params_.begin(), d_params_.end(), [](auto* p) { return p; })) {
            // A frozen segment with nothing trainable before it: no gradient to compute (the
            // runtime stops before calling it), so no forward to lower either.
            (*cost_)() = Halide::cast(elem, 0);
            return;
        }
        training_inputs train;
        if (l2_) train = {*l2_, *keep_prob_, *seed_, *step_};
        lowered l = lower<Net>(elem, inputs, params, batch, labels, l2_ ? &train : nullptr, &io);

        if (grad()) {
            // Outputs copy the lowered Funcs, so that the argument names stay "cost",
            // "d_<param>", "prediction" whatever the ops call their stages.
            (*cost_)() = l.cost();
            cost_->set_estimates({});
            l.stages.push_back({*cost_, stage_kind::pointwise, RDom(), 1, 0});
            if (d_input_) copy_out(*d_input_, l.d_input, cut_shape(), n_est, l.stages);
            for (std::size_t i = 0; i < Net::params.size(); ++i) {
                if (!d_params_[i]) continue;
                // the same variables in every parameter's copy, whatever the ops call theirs:
                // the GPU schedule computes copies of one shape in one kernel (compute_with),
                // which matches loops by name
                std::vector<Var> v;
                for (int d = 0; d < l.d_params[i].dimensions(); ++d) v.emplace_back("p" + std::to_string(d));
                (*d_params_[i])(v) = l.d_params[i](v);
                l.stages.push_back({*d_params_[i], stage_kind::pointwise, RDom(), Net::params[i].spec.dims[0], 0});
                const param_spec& spec = Net::params[i].spec;
                Halide::Region r;
                for (int d = 0; d < spec.rank; ++d) r.push_back({0, spec.dims[static_cast<std::size_t>(d)]});
                d_params_[i]->set_estimates(r);
            }
        } else {
            copy_out(*prediction_, l.prediction, end_shape(), n_est, l.stages);
            for (std::size_t k = 0; k < tape_out_.size(); ++k) set_sample_estimates(*tape_out_[k], node_shape(tape_[k]), n_est);
            for (std::size_t k = 0; k < stats_out_.size(); ++k) {
                const int channels = node_shape(stats_[k])[0];
                stats_out_[k]->set_estimates({{0, channels}, {0, 2}});
                stats_out_[k]->dim(0).set_bounds(0, channels);
                stats_out_[k]->dim(1).set_bounds(0, 2);
            }
        }
        drop_unread(l.stages, outputs());

        if (!this->get_auto_schedule()) {
            const std::string s = schedule;
            const Halide::Target t = this->get_target();
            if (s == "manual" && t.has_gpu_feature()) schedule_cuda(l.stages, t.has_feature(Halide::Target::CUDA));
            else if (s == "manual") schedule_manual(l.stages, t);
            else if (s == "naive") schedule_naive(l.stages);
            else throw std::invalid_argument("network_generator: schedule must be manual or naive, got '" + s + "'");
        }
    }

  private:
    bool grad() const { return std::string(stage) == "grad"; }
    bool in_segment(const param_entry& e) const { return e.node >= begin_ && e.node < end_; }
    shape cut_shape() const { return Net::node_table[static_cast<std::size_t>(begin_ - 1)].out; }
    shape end_shape() const { return Net::node_table[static_cast<std::size_t>(end_ - 1)].out; }
    static shape node_shape(int j) { return Net::node_table[static_cast<std::size_t>(j)].out; }
    std::vector<Func> outputs() const {
        std::vector<Func> o;
        for (Output<Buffer>* b : {prediction_, cost_, d_input_}) if (b) o.push_back(*b);
        for (Output<Buffer>* b : d_params_) if (b) o.push_back(*b);
        for (Output<Buffer>* b : tape_out_) o.push_back(*b);
        for (Output<Buffer>* b : stats_out_) o.push_back(*b);
        return o;
    }

    static void copy_out(Output<Buffer>& out, const Func& f, const shape& s, int n_est, stage_list& stages) {
        std::vector<Var> v = f.args();
        out(v) = f(v);
        stages.push_back({out, stage_kind::pointwise, RDom(), s[0], 0});
        set_sample_estimates(out, s, n_est);
    }
    static void set_sample_estimates(Output<Buffer>& out, const shape& s, int n_est) {
        Halide::Region r;
        for (int d = 0; d < s.rank; ++d) r.push_back({0, s[d]});
        r.push_back({0, n_est});
        out.set_estimates(r);
    }

    static void bind_sample_dims(Input<Buffer>& in, const shape& s, int n_est) {
        for (int d = 0; d < s.rank; ++d) in.dim(d).set_bounds(0, s[d]).set_estimate(0, s[d]);
        in.dim(s.rank).set_min(0).set_estimate(0, n_est);
    }

    int begin_ = 0, end_ = 0;
    std::vector<Input<Buffer>*> inputs_, params_;
    Input<Buffer>* labels_ = nullptr;
    Input<Buffer>* d_output_ = nullptr;
    Input<Expr>*l2_ = nullptr, *keep_prob_ = nullptr, *seed_ = nullptr, *step_ = nullptr;
    Output<Buffer>* prediction_ = nullptr;
    Output<Buffer>* cost_ = nullptr;
    Output<Buffer>* d_input_ = nullptr;
    std::vector<Output<Buffer>*> d_params_;
    std::vector<int> tape_;  // network::tape_nodes, before the last segment in training
    std::vector<Input<Buffer>*> tape_in_;     // grad: every tape node's value
    std::vector<Output<Buffer>*> tape_out_;   // train_forward: tape_'s but the segment's output
                                              // (its last, when taped), in tape_'s order
    std::vector<int> stats_;  // network::tape_stats, likewise
    std::vector<Input<Buffer>*> stats_in_;    // grad: each batch norm's (c, 2) mean and variance
    std::vector<Output<Buffer>*> stats_out_;  // train_forward: the same, in stats_'s order
};

}  // namespace kiln::codegen
