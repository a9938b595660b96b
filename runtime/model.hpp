#pragma once
/*  model<Net>: a declared network, its compiled pipelines and its parameters.
    WHAT IT REPRESENTS  one contiguous float arena laid out by Net::params (the compile-time
                        table), a gradient arena for its trainable tail (frozen parameters,
                        dsl/frozen.hpp, come first and have no gradient), and one kernel
                        variant (schedule) of the network's AOT pipelines.
    REQUIRES  a single-input network for the dataset-level calls; x holds n samples of
              Net::input_shapes[0].size() floats, y n rows of the output size.
    ENSURES   gradients(): d cost / d params after compute_gradients / train_step, for the
              parameters past Net::frozen_size (trainable_parameters() is that span).
              save(): a safetensors file named and shaped from the table (PyTorch order:
              outermost first), written atomically. load(): checks every name, shape and
              dtype before anything is overwritten.
    DEVICE    model(kernels, schedule, device_kind::cuda) runs the variant built for CUDA
              (device_kind::opencl: for OpenCL). Parameters, gradients and the
              optimizer's state then live on the GPU from step to step: the host copy
              is brought up to date only when it is read (parameters(), gradients(),
              save, a running-average update), and sent back before the next step when
              it was written. A batch travels to the GPU once
              per step; predictions and the cost come back.                            */
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dsl/layers/batch_norm.hpp"
#include "dsl/network.hpp"
#include "runtime/checkpoint.hpp"
#include "runtime/dataset.hpp"
#include "runtime/device.hpp"
#include "runtime/init.hpp"
#include "runtime/kernels.hpp"
#include "runtime/optimizer.hpp"
#include "runtime/pipeline.hpp"
#include "runtime/segmented.hpp"

namespace kiln {

// The run-time settings of one training step (C2W1's regularisation, dropout's stream).
struct step_settings {
    float l2 = 0;         // lambda: cost += lambda / (2 N) sum W^2 over every weight
    float keep_prob = 1;  // dropout's keep probability, in (0, 1]
    std::uint32_t seed = 1, step = 0;  // dropout's mask is a function of (seed, step)

    void validate() const {
        if (!(l2 >= 0) || !std::isfinite(l2))
            throw error("l2 (lambda) must be a finite number >= 0, got " + std::to_string(l2));
        if (!(keep_prob > 0 && keep_prob <= 1))
            throw error("keep_prob must be in (0, 1], got " + std::to_string(keep_prob) +
                        " (1 turns dropout off)");
    }
};

struct evaluation {
    double cost = 0;
    double accuracy = 0;  // NaN for regression (loss::mse)
};

// Halide dims (innermost-first) of parameter entry e.
inline std::vector<int> param_dims(const param_entry& e) {
    return {e.spec.dims.begin(), e.spec.dims.begin() + e.spec.rank};
}
// A parameter's shape as checkpoints and PyTorch state it: outermost first.
inline std::vector<std::int64_t> checkpoint_shape(const param_entry& e) {
    std::vector<std::int64_t> s;
    for (int d = e.spec.rank - 1; d >= 0; --d) s.push_back(e.spec.dims[static_cast<std::size_t>(d)]);
    return s;
}

template <class Net>
class model {
  public:
    using network = Net;
    static constexpr std::size_t sample_size = Net::input_shapes[0].size();
    static constexpr std::size_t output_size = Net::output_shape.size();

    explicit model(const kernel_set& kernels, std::string_view schedule = "manual",
                   device_kind device = device_kind::cpu)
        : kernels_(&kernels), variant_(&kernels.find(schedule, target_name(device))), device_(device),
          params_(Net::param_size, device, starts(0)), grads_(Net::grad_size, device, starts(Net::frozen_size)),
          segments_(kernels.network, device) {
        if (Net::grad_size > 0 && gpu()) {
            trainable_view_ = params_.device_range(Net::frozen_size, Net::param_size);
            grad_all_view_ = grads_.device_range(0, Net::grad_size);
        }
        for (const param_entry& e : Net::params) {
            param_views_.push_back(params_.view(e.offset, param_dims(e)));
            if (!e.spec.frozen) grad_views_.push_back(grads_.view(e.offset - Net::frozen_size, param_dims(e)));
        }
    }
    model(const model&) = delete;  // the views point into this object's arenas
    model& operator=(const model&) = delete;

    // On a GPU each of these brings the host copy up to date first; the mutable ones also
    // send it back before the next step (the caller may write).
    std::span<float> parameters() { return params_.write(); }
    std::span<const float> parameters() const { return params_.read(); }
    std::span<const float> gradients() const { return grads_.read(); }
    // mutable, for what runs between the backward pass and the update (clipping)
    std::span<float> gradients() { return grads_.write(); }
    // The parameters that gradients() covers: all but the frozen head of the arena.
    std::span<float> trainable_parameters() { return parameters().subspan(Net::frozen_size); }
    std::string_view schedule() const { return variant_->schedule; }
    device_kind device() const { return device_; }
    const kernel_set& kernels() const { return *kernels_; }

    void initialize(init_scheme scheme, std::uint64_t seed, double random_scale = 0.01) {
        kiln::initialize<Net>(params_.write(), scheme, seed, random_scale);
    }

    // Forward and backward on n samples: fills gradients(), returns the mean cost. For a
    // parameter that is not trainable, gradients() holds its value after the step instead.
    float compute_gradients(std::span<const float> x, std::span<const float> y, std::size_t n,
                            const step_settings& settings = {}) {
        static_assert(Net::input_count == 1, "model: dataset calls take single-input networks");
        check_batch("compute_gradients", x, y, n);
        settings.validate();
        float cost = 0;
        auto in = input_view(x, n);
        auto labels = output_view(const_cast<float*>(y.data()), n);
        auto c = halide_view<float>::make_scalar(&cost);
        std::vector<pipeline_arg> args{{"input0", in.raw_buffer()}, {"labels", labels.raw_buffer()}};
        const std::vector<pipeline_arg> scalars{
            pipeline_arg::of_scalar("l2", &settings.l2), pipeline_arg::of_scalar("keep_prob", &settings.keep_prob),
            pipeline_arg::of_scalar("seed", &settings.seed), pipeline_arg::of_scalar("step", &settings.step)};
        to_device();
        add_params(args);
        args.insert(args.end(), scalars.begin(), scalars.end());
        args.push_back({"cost", c.raw_buffer()});
        for (std::size_t i = 0, g = 0; i < Net::params.size(); ++i)
            if (!Net::params[i].spec.frozen)
                args.push_back({"d_" + argument_name(Net::params[i]), grad_views_[g++].raw_buffer(), gpu()});
        grads_.written_on_device();
        // An autoscheduled build cannot take a batch under its vector width; the maths of
        // every variant is the same, so such a batch (a last, short mini-batch) runs manual.
        const kernel_variant& v =
            n >= static_cast<std::size_t>(variant_->min_batch) ? *variant_ : kernels_->find("manual", target_name(device_));
        if (!v.segments.empty())
            return segments_.gradients(v, in.raw_buffer(), labels.raw_buffer(), n, param_views_, grad_views_, scalars);
        call_pipeline(kernels_->network, v.grad, args, gpu());
        return cost;
    }

    // One optimizer step on a batch; returns the cost before the step.
    template <class Optimizer>
    float train_step(std::span<const float> x, std::span<const float> y, std::size_t n, Optimizer& opt,
                     const step_settings& settings = {}) {
        const float cost = compute_gradients(x, y, n, settings);
        apply_step(opt);
        return cost;
    }

    std::vector<float> predict(std::span<const float> x, std::size_t n) const {
        check_batch("predict", x, {}, n);
        if (const std::size_t min = static_cast<std::size_t>(variant_->min_batch); n < min) {
            std::vector<float> padded(min * sample_size, 0.f);
            std::copy(x.begin(), x.end(), padded.begin());
            std::vector<float> out = predict(padded, min);
            out.resize(n * output_size);
            return out;
        }
        to_device();
        auto in = input_view(x, n);
        if (!variant_->segments.empty()) return segments_.predict(*variant_, in.raw_buffer(), n, param_views_);
        std::vector<float> out(n * output_size);
        auto o = output_view(out.data(), n);
        std::vector<pipeline_arg> args{{"input0", in.raw_buffer()}};
        add_params(args);
        args.push_back({"prediction", o.raw_buffer()});
        call_pipeline(kernels_->network, variant_->forward, args, gpu());
        return out;
    }

    // Accuracy: thresholded at 0.5 for one sigmoid output, arg-max for several outputs.
    evaluation evaluate(const dataset& data) const {
        evaluation e;
        const std::size_t n = data.size();
        if (n == 0) throw error(std::string(kernels_->network) + ": evaluate on an empty data set");
        std::vector<float> p = predict(data.x, n);
        e.accuracy = accuracy(p, data.y, n);
        e.cost = mean_cost(p, data.y, n);
        return e;
    }

    void save(const std::filesystem::path& path, std::map<std::string, std::string> metadata = {}) const {
        metadata["kiln.network"] = kernels_->network;
        metadata["kiln.format"] = "1";
        std::vector<tensor_ref> refs;
        const std::span<const float> params = params_.read();
        for (const param_entry& e : Net::params)
            refs.push_back({std::string(e.name.view()), checkpoint_shape(e), dtype::f32,
                            const_cast<float*>(params.data() + e.offset)});
        save_checkpoint(path, refs, metadata);
    }

    std::map<std::string, std::string> load(const std::filesystem::path& path) {
        float* const params = params_.write().data();
        std::vector<tensor_ref> refs;
        for (const param_entry& e : Net::params)
            refs.push_back({std::string(e.name.view()), checkpoint_shape(e), dtype::f32, params + e.offset});
        auto meta = load_checkpoint(path, refs);
        if (auto it = meta.find("kiln.network"); it != meta.end() && it->second != kernels_->network)
            throw error(path.string() + " was saved by network '" + it->second + "', not '" +
                        kernels_->network + "'; pass a checkpoint of this model");
        return meta;
    }

    // Loads the tensors a checkpoint holds into the parameters they name - a subset of this
    // network's (a converted backbone under a new head). Every tensor must name a parameter
    // with its shape; otherwise nothing is written. Returns the parameters the file lacks,
    // which keep their values.
    std::vector<std::string> load_subset(const std::filesystem::path& path) {
        float* const params = params_.write().data();
        std::vector<tensor_ref> refs;
        std::vector<std::string> problems, missing;
        std::vector<bool> found(Net::params.size(), false);
        for (const checkpoint_listing& t : list_checkpoint(path)) {
            const std::size_t i = find_param(t.name);
            if (i == Net::params.size()) problems.push_back(t.name + ": no such parameter in " + kernels_->network);
            else if (t.shape != checkpoint_shape(Net::params[i]))
                problems.push_back(t.name + ": shape " + shape_text(t.shape) + " in the file, " +
                                   shape_text(checkpoint_shape(Net::params[i])) + " in the network");
            else {
                found[i] = true;
                refs.push_back({t.name, t.shape, dtype::f32, params + Net::params[i].offset});
            }
        }
        if (!problems.empty()) {
            std::string text = path.string() + " does not fit " + kernels_->network + ":";
            for (const std::string& p : problems) text += "\n  " + p;
            throw error(text);
        }
        load_checkpoint(path, refs);
        for (std::size_t i = 0; i < Net::params.size(); ++i)
            if (!found[i]) missing.emplace_back(Net::params[i].name.view());
        return missing;
    }

    // The same from tensors in memory (kiln-convert's in-process result): each with .name,
    // .shape (outermost first) and .data. Checks everything before writing anything.
    template <class Tensors>
    std::vector<std::string> assign_subset(const Tensors& tensors, std::string_view source) {
        std::vector<std::string> problems, missing;
        std::vector<bool> found(Net::params.size(), false);
        for (const auto& t : tensors) {
            const std::size_t i = find_param(t.name);
            if (i == Net::params.size()) problems.push_back(t.name + ": no such parameter in " + kernels_->network);
            else if (t.shape != checkpoint_shape(Net::params[i]) || t.data.size() != Net::params[i].spec.size())
                problems.push_back(t.name + ": shape " + shape_text(t.shape) + " in " + std::string(source) + ", " +
                                   shape_text(checkpoint_shape(Net::params[i])) + " in the network");
            else found[i] = true;
        }
        if (!problems.empty()) {
            std::string text = std::string(source) + " does not fit " + kernels_->network + ":";
            for (const std::string& p : problems) text += "\n  " + p;
            throw error(text);
        }
        const std::span<float> params = params_.write();
        for (const auto& t : tensors)
            std::copy(t.data.begin(), t.data.end(), params.begin() + static_cast<std::ptrdiff_t>(Net::params[find_param(t.name)].offset));
        for (std::size_t i = 0; i < Net::params.size(); ++i)
            if (!found[i]) missing.emplace_back(Net::params[i].name.view());
        return missing;
    }

    // "Precise BN": replaces every (trainable) batch norm's running averages with the mean of
    // its batch statistics over `batches` mini-batches of `data` under the current weights.
    // The compiled step updates running = m running + (1 - m) batch, so each batch's own
    // statistic is (new - m old) / (1 - m). With Keras' m = 0.99 the running averages still
    // carry a fifth of their initial values after 150 steps; this gives them the trained
    // network's. No weight changes. Returns the number of batch norms recalibrated.
    std::size_t recalibrate_batch_norm(const dataset& data, std::size_t batch_size, std::size_t batches,
                                       std::uint64_t seed = 1) {
        std::vector<double> momentum(Net::node_count, -1);
        {
            std::size_t k = 0;
            hana::for_each(Net::nodes, [&](auto t) {
                using N = typename decltype(t)::type;
                if constexpr (node_traits<N>::what == node_info::role::layer) {
                    using L = typename N::layer_type;
                    if constexpr (is_batch_norm<L>::value) momentum[k] = L::momentum;
                }
                ++k;
            });
        }
        std::vector<double> sum(Net::param_size, 0.0);
        const mini_batches mb(data, std::min(batch_size, data.size()), seed);
        const std::size_t count = std::min(batches, mb.count());
        for (std::size_t b = 0; b < count; ++b) {
            const batch_view v = mb[b];
            compute_gradients(v.x, v.y, v.size);
            const std::span<const float> grads = grads_.read(), params = params_.read();
            for (const param_entry& e : Net::params) {
                const double m = momentum[static_cast<std::size_t>(e.node)];
                if (e.spec.trainable || e.spec.frozen || m < 0) continue;
                const float* now = grads.data() + (e.offset - Net::frozen_size);
                const float* old = params.data() + e.offset;
                for (std::size_t i = 0; i < e.spec.size(); ++i) sum[e.offset + i] += (now[i] - m * old[i]) / (1 - m);
            }
        }
        std::size_t layers = 0;
        const std::span<float> params = params_.write();
        for (const param_entry& e : Net::params) {
            if (e.spec.trainable || e.spec.frozen || momentum[static_cast<std::size_t>(e.node)] < 0 || count == 0) continue;
            for (std::size_t i = 0; i < e.spec.size(); ++i)
                params[e.offset + i] = static_cast<float>(sum[e.offset + i] / static_cast<double>(count));
            layers += std::string_view(e.name.view()).ends_with("running_mean");
        }
        return layers;
    }

    // The values of parameter `name` (its Halide layout), or an error naming what exists.
    std::span<const float> parameter(std::string_view name) const {
        const param_entry& e = named(name);
        return params_.read().subspan(e.offset, e.spec.size());
    }
    std::span<float> parameter(std::string_view name) {
        const param_entry& e = named(name);
        return params_.write().subspan(e.offset, e.spec.size());
    }

    static double accuracy(std::span<const float> p, std::span<const float> y, std::size_t n) {
        if constexpr (Net::loss == loss_kind::mse) return std::nan("");
        std::size_t right = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const float* pi = p.data() + i * output_size;
            const float* yi = y.data() + i * output_size;
            if (output_size == 1) right += (pi[0] > 0.5f) == (yi[0] > 0.5f);
            else right += argmax(pi) == argmax(yi);
        }
        return static_cast<double>(right) / static_cast<double>(n);
    }

  private:
    bool gpu() const { return is_gpu(device_); }
    // Where each parameter (from = 0), or each one's gradient (from = frozen_size), begins.
    static std::vector<std::size_t> starts(std::size_t from) {
        std::vector<std::size_t> out;
        for (const param_entry& e : Net::params)
            if (e.offset >= from) out.push_back(e.offset - from);
        return out;
    }
    void to_device() const {
        params_.to_device();
        grads_.to_device();
    }

    // The optimizer's update, then the running averages (recomputed by the step, not learned)
    // taken as they are.
    template <class Optimizer>
    void apply_step(Optimizer& opt) {
        if (!gpu()) {
            const std::span<float> params = params_.write();
            const std::span<const float> grads = grads_.read();
            opt.step(params.subspan(Net::frozen_size), grads);
            for (const param_entry& e : Net::params)
                if (!e.spec.trainable && !e.spec.frozen)
                    std::copy_n(grads.begin() + static_cast<std::ptrdiff_t>(e.offset - Net::frozen_size),
                                e.spec.size(), params.begin() + static_cast<std::ptrdiff_t>(e.offset));
            return;
        }
        to_device();
        if (Net::grad_size > 0) opt.step_on_device(trainable_view_.raw_buffer(), grad_all_view_.raw_buffer());
        for (std::size_t i = 0, g = 0; i < Net::params.size(); ++i) {
            const param_entry& e = Net::params[i];
            if (e.spec.frozen) continue;
            if (!e.spec.trainable) copy_on_device(grad_views_[g].raw_buffer(), param_views_[i].raw_buffer());
            ++g;
        }
        params_.written_on_device();
    }

    static std::size_t find_param(std::string_view name) {
        for (std::size_t i = 0; i < Net::params.size(); ++i)
            if (Net::params[i].name.view() == name) return i;
        return Net::params.size();
    }
    const param_entry& named(std::string_view name) const {
        const std::size_t i = find_param(name);
        if (i == Net::params.size()) throw error(std::string(kernels_->network) + ": no parameter named " + std::string(name));
        return Net::params[i];
    }
    static std::string shape_text(const std::vector<std::int64_t>& s) {
        std::string t = "[";
        for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
        return t + "]";
    }

    static std::size_t argmax(const float* v) {
        std::size_t best = 0;
        for (std::size_t j = 1; j < output_size; ++j)
            if (v[j] > v[best]) best = j;
        return best;
    }

    // The cost from predictions, for reporting (training uses the pipeline's stable form).
    static double mean_cost(std::span<const float> p, std::span<const float> y, std::size_t n) {
        double total = 0;
        constexpr double tiny = 1e-12;
        for (std::size_t i = 0; i < n * output_size; ++i) {
            const double pi = p[i], yi = y[i];
            if constexpr (Net::loss == loss_kind::sigmoid_cross_entropy)
                total -= yi * std::log(std::max(pi, tiny)) + (1 - yi) * std::log(std::max(1 - pi, tiny));
            else if constexpr (Net::loss == loss_kind::softmax_cross_entropy)
                total -= yi * std::log(std::max(pi, tiny));
            else total += (pi - yi) * (pi - yi) / static_cast<double>(output_size);
        }
        return total / static_cast<double>(n);
    }


    void check_batch(const char* what, std::span<const float> x, std::span<const float> y, std::size_t n) const {
        if (n == 0) throw error(std::string(kernels_->network) + ": " + what + " needs at least one sample");
        if (x.size() != n * sample_size)
            throw error(std::string(kernels_->network) + ": " + what + " expects " + std::to_string(n) + " x " +
                        std::to_string(sample_size) + " input values, got " + std::to_string(x.size()));
        if (!y.empty() && y.size() != n * output_size)
            throw error(std::string(kernels_->network) + ": " + what + " expects " + std::to_string(n) + " x " +
                        std::to_string(output_size) + " target values, got " + std::to_string(y.size()));
    }

    static std::vector<int> with_batch(const shape& s, std::size_t n) {
        std::vector<int> d(s.dims.begin(), s.dims.begin() + s.rank);
        d.push_back(static_cast<int>(n));
        return d;
    }
    static halide_view<float> input_view(std::span<const float> x, std::size_t n) {
        // Inputs travel flat, (sample size, N): the pipeline views them in their own shape.
        return halide_view<float>(const_cast<float*>(x.data()), {static_cast<int>(sample_size), static_cast<int>(n)});
    }
    static halide_view<float> output_view(float* y, std::size_t n) {
        return halide_view<float>(y, with_batch(Net::output_shape, n));
    }
    void add_params(std::vector<pipeline_arg>& args) const {
        for (std::size_t i = 0; i < Net::params.size(); ++i)
            args.push_back({argument_name(Net::params[i]), param_views_[i].raw_buffer(), gpu()});
    }

    const kernel_set* kernels_;
    const kernel_variant* variant_;
    device_kind device_;
    // the parameters (frozen head, then trainable tail) and the trainable tail's gradients;
    // on a GPU each has its twin there
    arena params_, grads_;
    halide_view<float> trainable_view_, grad_all_view_;  // on a GPU: the trainable range, device_range()
    mutable std::vector<halide_view<float>> param_views_, grad_views_;
    segment_runner<Net> segments_;  // for a variant built in segments
};

// Copies every parameter of `to` from the parameter of `from` with the same name (and
// shape): a network's frozen and unfrozen declarations share their names, so the phases of
// transfer learning hand their weights on this way. Throws before writing when one is missing.
template <class A, class B>
void copy_parameters(const model<A>& from, model<B>& to) {
    for (const param_entry& e : B::params) {
        const std::span<const float> src = from.parameter(e.name.view());
        if (src.size() != e.spec.size())
            throw error(std::string(e.name.view()) + ": " + std::to_string(src.size()) + " values in " +
                        from.kernels().network + ", " + std::to_string(e.spec.size()) + " in " + to.kernels().network);
    }
    for (const param_entry& e : B::params) {
        const std::span<const float> src = from.parameter(e.name.view());
        std::copy(src.begin(), src.end(), to.parameter(e.name.view()).begin());
    }
}

}  // namespace kiln
