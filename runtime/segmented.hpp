#pragma once
/*  segment_runner<Net>: runs a network built as several pipelines (kiln_add_network
    SEGMENTS, for ResNet-50 and MobileNetV2), one after the other.
    WHAT IT REPRESENTS  the buffers at the cuts and the segments' tapes (the values each
                        segment's backward reads, network::tape_nodes, and its batch norms'
                        statistics, network::tape_stats), kept from call to
                        call (fresh ones each step cost page faults); on a GPU they have
                        device memory and are passed resident, so a step's activations never
                        visit the host.
    REQUIRES  variant v built in segments, cut where Net::segment_bounds(K) cuts; params and
              grads: the model's views of each table parameter and each non-frozen one's
              gradient, in table order; settings: the step's scalar arguments.
    ENSURES   predict(): the last segment's output on the host. gradients(): every
              non-frozen parameter's gradient written into grads (on the GPU when the
              model is there), the summed cost returned.                                 */
#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "dsl/network.hpp"
#include "runtime/device.hpp"
#include "runtime/error.hpp"
#include "runtime/kernels.hpp"
#include "runtime/pipeline.hpp"

namespace kiln {

template <class Net>
class segment_runner {
  public:
    segment_runner(const char* network, device_kind device)
        : network_(network), device_(device) {}

    // x: the batch, flat (sample size, n).
    std::vector<float> predict(const kernel_variant& v, halide_buffer_t* x, std::size_t n,
                               std::span<halide_view<float>> params) const {
        const std::vector<int> b = bounds_of(v);
        halide_view<float>* in = nullptr;
        for (std::size_t k = 0; k < v.segments.size(); ++k) {
            halide_view<float>& out = boundary(act_slot + k + 1, b[k + 1] - 1, n);
            std::vector<pipeline_arg> args{{"input0", k == 0 ? x : in->raw_buffer(), k > 0 && gpu()}};
            add_params(args, params, b[k], b[k + 1]);
            args.push_back({"prediction", out.raw_buffer(), gpu()});
            call_pipeline(network_, v.segments[k].forward, args, gpu());
            in = &out;
        }
        if (gpu() && in->copy_to_host() != 0)
            throw error(std::string(network_) + ": copying the predictions from the GPU failed: " + take_halide_error());
        return std::vector<float>(in->data(), in->data() + in->number_of_elements());
    }

    // Forward in training mode through every segment but the last, keeping each segment's
    // input and tape (network::tape_nodes: the values its backward reads); then grad from
    // the last segment back, each one's d_input the previous one's d_output. A grad pipeline
    // reads its segment's tape and computes only what the backward needs besides.
    float gradients(const kernel_variant& v, halide_buffer_t* x, halide_buffer_t* labels, std::size_t n,
                    std::span<halide_view<float>> params, std::span<halide_view<float>> grads,
                    const std::vector<pipeline_arg>& settings) const {
        const std::vector<int> b = bounds_of(v);
        const std::size_t K = v.segments.size();
        // segment k's input: the batch, or the value kept at cut k
        auto input_of = [&](std::size_t k) {
            return pipeline_arg("input0", k == 0 ? x : boundary(act_slot + k, b[k] - 1, n).raw_buffer(), k > 0 && gpu());
        };
        for (std::size_t k = 0; k + 1 < K; ++k) {
            halide_view<float>& out = boundary(act_slot + k + 1, b[k + 1] - 1, n);
            std::vector<pipeline_arg> args{input_of(k)};
            add_params(args, params, b[k], b[k + 1]);
            args.insert(args.end(), settings.begin(), settings.end());
            args.push_back({"prediction", out.raw_buffer(), gpu()});
            for (int j : Net::tape_nodes(b[k], b[k + 1]))
                if (j != b[k + 1] - 1) args.push_back(tape_arg(j, k, b, n));
            for (int j : Net::tape_stats(b[k], b[k + 1])) args.push_back(stats_arg(j));
            call_pipeline(network_, v.segments[k].train_forward, args, gpu());
        }
        float total = 0;
        halide_view<float>* d_out = nullptr;
        for (std::size_t k = K; k-- > 0;) {
            const int begin = b[k], end = b[k + 1];
            float cost = 0;
            std::vector<pipeline_arg> args{input_of(k)};
            if (k + 1 == K) {
                args.push_back({"labels", labels});
            } else {
                args.push_back({"d_output", d_out->raw_buffer(), gpu()});
                for (int j : Net::tape_nodes(begin, end)) args.push_back(tape_arg(j, k, b, n));
                for (int j : Net::tape_stats(begin, end)) args.push_back(stats_arg(j));
            }
            add_params(args, params, begin, end);
            args.insert(args.end(), settings.begin(), settings.end());
            auto c = halide_view<float>::make_scalar(&cost);
            args.push_back({"cost", c.raw_buffer()});
            const bool wants_d_input = k > 0 && trainable_before(begin);
            halide_view<float>* d_in = wants_d_input ? &boundary(d_slot + k, begin - 1, n) : nullptr;
            if (wants_d_input) args.push_back({"d_input", d_in->raw_buffer(), gpu()});
            for (std::size_t i = 0, g = 0; i < Net::params.size(); ++i) {
                if (Net::params[i].spec.frozen) continue;
                if (Net::params[i].node >= begin && Net::params[i].node < end)
                    args.push_back({"d_" + argument_name(Net::params[i]), grads[g].raw_buffer(), gpu()});
                ++g;
            }
            call_pipeline(network_, v.segments[k].grad, args, gpu());
            total += cost;
            d_out = d_in;
            if (!wants_d_input) break;  // nothing below has a gradient
        }
        return total;
    }

  private:
    bool gpu() const { return is_gpu(device_); }
    // Segment k is nodes [b[k], b[k + 1]) of the table, and reads node b[k] - 1's value in
    // its natural dims.
    std::vector<int> bounds_of(const kernel_variant& v) const {
        std::vector<int> b = Net::segment_bounds(static_cast<int>(v.segments.size()));
        if (b.size() != v.segments.size() + 1)
            throw error(std::string(network_) + ": built as " + std::to_string(v.segments.size()) +
                        " segments, but the network cuts into " + std::to_string(b.size() - 1) + "; rebuild");
        return b;
    }
    void add_params(std::vector<pipeline_arg>& args, std::span<halide_view<float>> params, int begin,
                    int end) const {
        for (std::size_t i = 0; i < Net::params.size(); ++i)
            if (Net::params[i].node >= begin && Net::params[i].node < end)
                args.push_back({argument_name(Net::params[i]), params[i].raw_buffer(), gpu()});
    }
    // Node j's value on segment k's tape: its own buffer, or the segment's output.
    pipeline_arg tape_arg(int j, std::size_t k, const std::vector<int>& b, std::size_t n) const {
        const bool output = j == b[k + 1] - 1;
        halide_view<float>& t = boundary(output ? act_slot + k + 1 : tape_slot + static_cast<std::size_t>(j), j, n);
        return {"tape" + std::to_string(j), t.raw_buffer(), gpu()};
    }
    // Batch norm j's statistics on its segment's tape: (c, 2), its mean and its variance.
    pipeline_arg stats_arg(int j) const {
        const int channels = Net::node_table[static_cast<std::size_t>(j)].out.dims[0];
        return {"stats" + std::to_string(j), buffer(stats_slot + static_cast<std::size_t>(j), {channels, 2}).raw_buffer(),
                gpu()};
    }
    static bool trainable_before(int node) {
        for (const param_entry& e : Net::params)
            if (e.node < node && !e.spec.frozen) return true;
        return false;
    }

    // The value at a cut (node `node`, n samples, natural dims (c, x, y, n)) in buffer
    // `slot`. A map: references to one slot stay valid while another is made.
    halide_view<float>& boundary(std::size_t slot, int node, std::size_t n) const {
        const shape& s = Net::node_table[static_cast<std::size_t>(node)].out;
        std::vector<int> dims(s.dims.begin(), s.dims.begin() + s.rank);
        dims.push_back(static_cast<int>(n));
        return buffer(slot, dims);
    }
    // Buffer `slot`, made (on the GPU too, when there) if it has not these dims.
    halide_view<float>& buffer(std::size_t slot, const std::vector<int>& dims) const {
        halide_view<float>& b = bufs_[slot];
        bool same = b.data() != nullptr && b.dimensions() == static_cast<int>(dims.size());
        for (std::size_t d = 0; same && d < dims.size(); ++d) same = b.dim(static_cast<int>(d)).extent() == dims[d];
        if (!same) {
            b = halide_view<float>(dims);
            if (gpu() && b.device_malloc(gpu_interface(device_)) != 0)
                throw error(std::string(network_) + ": allocating a segment's activations on the GPU failed: " +
                            take_halide_error());
        }
        return b;
    }
    // slot ranges: values at the cuts, gradients at the cuts, tapes, batch norm statistics
    static constexpr std::size_t act_slot = 0, d_slot = 1 << 16, tape_slot = 2 << 16, stats_slot = 3 << 16;

    const char* network_;
    device_kind device_;
    mutable std::map<std::size_t, halide_view<float>> bufs_;
};

}  // namespace kiln
