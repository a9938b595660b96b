#pragma once
/*  Where a model runs: the CPU, or a CUDA GPU through the Halide runtime's CUDA module.
    device_kind     cpu | cuda; parse_device() reads the --device flag.
    cuda_device()   Halide's CUDA device interface, once a driver has answered; otherwise
                    kiln::error saying why ("no CUDA driver found", or this build has no
                    CUDA pipelines) and what to do.
    cuda_status()   the same check as text, empty when CUDA works: for tests that skip.
    device_arena    one flat float array in host memory and its twin on the GPU, with
                    buffers of any shape over a range of it that share the GPU copy. The
                    model keeps its parameters and gradients in such arenas, so a training
                    step runs without copying them; upload()/download() move the whole
                    array when the host side is read or written.                          */
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <HalideBuffer.h>

namespace kiln {

enum class device_kind { cpu, cuda };

device_kind parse_device(std::string_view name);
// The kernel_variant::target of builds for this device: "host" or "cuda".
const char* target_name(device_kind d);

const halide_device_interface_t* cuda_device();
std::string cuda_status();

// to <- from, GPU to GPU: same shape, both with device memory (views of arenas).
void copy_on_device(halide_buffer_t* from, halide_buffer_t* to);

class device_arena {
  public:
    device_arena() = default;
    // REQUIRES host stays valid as long as the arena and its views; size > 0.
    device_arena(float* host, std::size_t size);
    // A buffer of shape dims (innermost first) over [offset, offset + prod(dims)), whose GPU
    // side is the arena's own: pipelines read and write it in place on the device.
    Halide::Runtime::Buffer<float> view(std::size_t offset, const std::vector<int>& dims);
    void upload();    // host -> GPU
    void download();  // GPU -> host

  private:
    Halide::Runtime::Buffer<float> all_;
};

}  // namespace kiln
