#pragma once
/*  Where a model runs: the CPU, or a GPU through the Halide runtime's CUDA or OpenCL module.
    device_kind     cpu | cuda | opencl; parse_device() reads the --device flag. cuda is an
                    NVIDIA GPU; opencl any OpenCL device, the same GPU schedules compiled
                    to OpenCL C (with pocl, the CPU runs them: how the GPU schedules are
                    checked on a machine without a GPU).
    gpu_interface() Halide's device interface for a GPU kind, once its driver has answered;
                    otherwise kiln::error saying why ("no CUDA driver found", no OpenCL
                    device, or this build has no such pipelines) and what to do.
    device_status() the same check as text, empty when the device works: for tests that skip.
    arena           one flat float array in host memory and, for a model on a GPU, its twin
                    there, with buffers of any shape over a range of it that share the GPU
                    copy. It knows which side is behind: read()/write() bring the host side
                    up to date, to_device() sends it back when it was written, and
                    written_on_device() says a pipeline changed the GPU side. On OpenCL each
                    view starts aligned in device memory, so the device layout has gaps and
                    copies go through a staging array. The model keeps
                    its parameters and gradients in two arenas, so a training step runs
                    without copying them, and a whole array moves only when the host reads
                    or writes it.                                                         */
#include <cstddef>
#include <list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <HalideBuffer.h>

namespace kiln {

enum class device_kind { cpu, cuda, opencl };

constexpr bool is_gpu(device_kind d) { return d != device_kind::cpu; }
// --device's choices and help text, for every binary's command line.
inline const std::vector<std::string> device_choices{"cpu", "cuda", "opencl"};
inline constexpr const char* device_help = "where to run: cpu, cuda (an NVIDIA GPU) or opencl (an OpenCL device)";
device_kind parse_device(std::string_view name);
// The kernel_variant::target of builds for this device: "host", "cuda" or "opencl".
const char* target_name(device_kind d);
// How --device names it in messages: "the cpu", "cuda", "opencl".
const char* device_name(device_kind d);

const halide_device_interface_t* gpu_interface(device_kind d);
std::string device_status(device_kind d);

// to <- from, GPU to GPU: same shape, both with device memory (views of arenas).
void copy_on_device(halide_buffer_t* from, halide_buffer_t* to);

// The device allocations the generated pipelines asked for (runtime/device_cache.cpp): how
// many were handed memory kept from an earlier free, and how many went to Halide's
// allocator. After a first step, a step of the same size should add only to `reused`.
struct device_allocations {
    unsigned long long reused = 0, fresh = 0;
};
device_allocations device_allocation_counts();

class arena {
  public:
    // size floats, zero; on a GPU (is_gpu(where)) also allocated there. starts: the offsets
    // that views begin at (a model's: each parameter's). On OpenCL, whose kernel arguments
    // must begin at an aligned address, each begins at a multiple of opencl_alignment floats
    // in device memory, the gaps zero; on CUDA and the CPU the layout is the host's.
    arena(std::size_t size, device_kind where, std::vector<std::size_t> starts = {});
    arena(const arena&) = delete;  // views point into this arena's memory
    arena& operator=(const arena&) = delete;
    ~arena();

    // 4096 bits: the largest CL_DEVICE_MEM_BASE_ADDR_ALIGN of the OpenCL devices we know
    // (pocl: 1024).
    static constexpr std::size_t opencl_alignment = 128;

    std::size_t size() const { return host_.size(); }
    // The host side, current. write(): the caller may change it, so the GPU side is sent
    // again before the next pipeline.
    std::span<const float> read() const;
    std::span<float> write();
    // A buffer of shape dims (innermost first) over [offset, offset + prod(dims)), offset
    // one of the starts (or 0), the range inside one start's piece. On a GPU its device
    // side is the arena's own: pipelines read and write it in place there. It must not
    // outlive the arena.
    Halide::Runtime::Buffer<float> view(std::size_t offset, const std::vector<int>& dims);
    // On a GPU: the device memory of [from, to) as one 1-D buffer with no host side, the
    // gaps between pieces included (zeros): for updates that treat every element alike,
    // the optimizers. from is a start; two arenas with the same pieces from there on give
    // ranges of the same length.
    Halide::Runtime::Buffer<float> device_range(std::size_t from, std::size_t to);
    // Before a pipeline uses the GPU side: sends the host side if it was written since.
    void to_device() const;
    // After a pipeline wrote the GPU side: the host side is fetched when next read.
    void written_on_device() { host_behind_ = on_gpu(); }

  private:
    bool on_gpu() const { return all_.raw_buffer()->device != 0; }
    bool padded() const { return !staging_.empty(); }
    std::size_t device_offset(std::size_t offset) const;
    // A crop of all_'s device side, [device_from, device_from + n), kept until ~arena.
    const halide_buffer_t& crop(std::size_t device_from, std::size_t n, float* host);

    mutable std::vector<float> host_;
    // The pieces: host offsets, where each begins in device memory, and their lengths.
    std::vector<std::size_t> starts_, device_starts_;
    mutable std::vector<float> staging_;  // padded(): the device layout, on the host, for copies
    mutable Halide::Runtime::Buffer<float> all_;  // over host_ (or staging_); device memory on a GPU
    // The views' device sides: 1-D crops of all_'s (an OpenCL crop is a handle of its own,
    // not an address), released with the arena. std::list: their addresses stay put.
    std::list<halide_buffer_t> crops_;
    std::list<halide_dimension_t> crop_dims_;
    mutable bool host_behind_ = false, device_behind_ = false;
};

}  // namespace kiln
