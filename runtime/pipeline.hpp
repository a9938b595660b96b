#pragma once
/*  Calling an AOT pipeline: buffers over caller memory, argument checks, Halide errors.
    halide_view<T>   a halide_buffer_t over existing memory with dims innermost-first.
    call_pipeline    checks the argument list against the pipeline's metadata (count, names,
                     kinds, dimensions, element types), calls it, and turns a non-zero return into
                     kiln::error carrying Halide's own message. For a GPU pipeline, host
                     buffers go to the GPU for the call and the outputs come back; buffers
                     marked resident stay on the GPU.                                    */
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <HalideBuffer.h>

#include "runtime/error.hpp"
#include "runtime/kernels.hpp"

namespace kiln {

template <class T>
using halide_view = Halide::Runtime::Buffer<T>;

template <class T>
halide_view<T> make_view(T* data, const std::vector<int>& dims) {
    if (dims.empty()) return halide_view<T>::make_scalar(data);
    return halide_view<T>(data, dims);
}

struct pipeline_arg {
    std::string name;                  // as the generator named it: "input0", "dense1_W", "l2" ...
    halide_buffer_t* buffer = nullptr;  // for a buffer argument
    const void* scalar = nullptr;       // for a scalar argument: points at its value
    halide_type_t scalar_type{};
    // On a GPU: the buffer already lives there (a view of a model's arena) and stays.
    // Any other buffer is host memory: copied to the GPU for the call, and an output back.
    bool resident = false;

    pipeline_arg(std::string n, halide_buffer_t* b, bool on_device = false)
        : name(std::move(n)), buffer(b), resident(on_device) {}
    template <class T>
    static pipeline_arg of_scalar(std::string n, const T* value) {
        pipeline_arg a(std::move(n), nullptr);
        a.scalar = value;
        a.scalar_type = halide_type_of<T>();
        return a;
    }
};

// Routes Halide's runtime errors into the message of the kiln::error thrown on failure.
void install_halide_error_handler();

// Halide's scratch buffers are served from a cache of freed blocks of the same size, kept
// for the life of the process (at most 4 GiB): a training step allocates the same sizes on
// every call. call_pipeline installs it; binaries that call pipelines directly may too.
void use_caching_allocator();
std::string take_halide_error();

// gpu: the pipeline was built for a GPU, CUDA or OpenCL (see pipeline_arg::resident).
void call_pipeline(const char* what, const pipeline_fn& fn, std::span<const pipeline_arg> args, bool gpu = false);

}  // namespace kiln
