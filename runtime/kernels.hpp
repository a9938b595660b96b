#pragma once
/*  kernel_set: the compiled pipelines of one network, as kiln_add_network lists them in the
    generated header <net>_kernels.hpp. The runtime calls them through Halide's uniform
    `_argv` entry point (void** args: halide_buffer_t* per buffer, a pointer per scalar), and
    checks each against its `_metadata` before the first call.                            */
#include <string>
#include <string_view>
#include <vector>

#include <HalideRuntime.h>

#include "runtime/error.hpp"

namespace kiln {

struct pipeline_fn {
    int (*call)(void** args) = nullptr;
    const halide_filter_metadata_t* (*metadata)() = nullptr;
};

// One pipeline of a network built in several (kiln_add_network's SEGMENTS; the node ranges
// are network::segment_bounds): its inference forward, its training-mode forward (the next
// segment's input during a training step; not built for the last) and its grad.
struct segment_fns {
    pipeline_fn forward, train_forward, grad;
};

struct kernel_variant {
    const char* schedule;  // "manual", "Mullapudi2016", ...
    const char* target;    // "host", "cuda", "opencl"
    pipeline_fn forward, grad;  // the whole network, when it is built as one pipeline
    // The smallest batch the compiled loops accept. kiln's own schedules guard every tail
    // (1). The autoschedulers vectorise the batch dimension with shifted tails, so a batch
    // under their vector width (16 floats with AVX-512) would read before the buffer:
    // model<Net> pads such forward batches and runs such training batches on "manual".
    int min_batch = 1;
    std::vector<segment_fns> segments;  // non-empty: the network runs as these, in order
};

struct kernel_set {
    const char* network;
    std::vector<kernel_variant> variants;
    pipeline_fn grad_f64;  // float64, naive schedule: for gradcheck only

    // target: "host", "cuda" or "opencl" (device.hpp's target_name)
    const kernel_variant& find(std::string_view schedule, std::string_view target = "host") const {
        std::string known;
        for (const kernel_variant& v : variants) {
            if (schedule == v.schedule && target == v.target) return v;
            known += known.empty() ? "" : ", ";
            known += std::string(v.schedule) + " (" + v.target + ")";
        }
        const char* where = target == "host" ? "the cpu" : target == "cuda" ? "cuda" : "opencl";
        const char* how = target == "host"   ? " (add it to KILN_SCHEDULES at configure time to build it)"
                          : target == "cuda" ? " (configure with -DKILN_CUDA=ON, and KILN_CUDA_SCHEDULES for other schedules)"
                                             : " (OpenCL builds need -DKILN_OPENCL=ON and have the manual schedule; networks built NO_OPENCL, ResNet-50, MobileNetV2 and twins of smaller ones, have none)";
        throw error(std::string(network) + ": no build for schedule '" + std::string(schedule) + "' on " + where +
                    "; this binary has: " + known + how);
    }
    bool has_target(std::string_view target) const {
        for (const kernel_variant& v : variants)
            if (target == v.target) return true;
        return false;
    }
};

}  // namespace kiln
