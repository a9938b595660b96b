#pragma once
/*  Where a model runs: the CPU, or a CUDA GPU through the Halide runtime's CUDA module.
    device_kind     cpu | cuda; parse_device() reads the --device flag.
    cuda_device()   Halide's CUDA device interface, once a driver has answered; otherwise
                    kiln::error saying why ("no CUDA driver found", or this build has no
                    CUDA pipelines) and what to do.
    cuda_status()   the same check as text, empty when CUDA works: for tests that skip.
    arena           one flat float array in host memory and, for a model on a GPU, its twin
                    there, with buffers of any shape over a range of it that share the GPU
                    copy. It knows which side is behind: read()/write() bring the host side
                    up to date, to_device() sends it back when it was written, and
                    written_on_device() says a pipeline changed the GPU side. The model keeps
                    its parameters and gradients in two arenas, so a training step runs
                    without copying them, and a whole array moves only when the host reads
                    or writes it.                                                         */
#include <cstddef>
#include <span>
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

class arena {
  public:
    // size floats, zero; on a GPU (device_kind::cuda) also allocated there.
    arena(std::size_t size, device_kind where);
    arena(const arena&) = delete;  // views point into this arena's memory
    arena& operator=(const arena&) = delete;

    std::size_t size() const { return host_.size(); }
    // The host side, current. write(): the caller may change it, so the GPU side is sent
    // again before the next pipeline.
    std::span<const float> read() const;
    std::span<float> write();
    // A buffer of shape dims (innermost first) over [offset, offset + prod(dims)). On a GPU
    // its device side is the arena's own: pipelines read and write it in place there.
    Halide::Runtime::Buffer<float> view(std::size_t offset, const std::vector<int>& dims);
    // Before a pipeline uses the GPU side: sends the host side if it was written since.
    void to_device() const;
    // After a pipeline wrote the GPU side: the host side is fetched when next read.
    void written_on_device() { host_behind_ = on_gpu(); }

  private:
    bool on_gpu() const { return all_.raw_buffer()->device != 0; }

    std::vector<float> host_;
    mutable Halide::Runtime::Buffer<float> all_;  // over host_; device memory on a GPU
    mutable bool host_behind_ = false, device_behind_ = false;
};

}  // namespace kiln
