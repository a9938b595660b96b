// Device memory kept for reuse, in front of Halide's allocator.
//
// A GPU pipeline allocates device memory for each of its intermediate Funcs on every call and
// frees it on return. Halide 14's runtime caches freed allocations, but keeps at most 32 and
// frees the rest (cuMemFree, which waits for the GPU). ResNet-50's training step at batch 32
// allocates 320 buffers (1.1 GB) each step and MobileNetV2's fine-tuning 180, so nearly all
// went back to the driver and came again (counted by the stand-in CUDA driver of
// tests/gpu/cuda_stub.cpp). Here the buffers the pipelines allocate are kept when they free
// them, by device and exact size, and handed to the next allocation of that size: after the
// first step, a step's pipeline buffers all come from what was kept. The memory held is the
// largest step's working set; an allocation that fails first returns all of it and tries
// again. KILN_DEVICE_CACHE=0 turns the cache off (to compare).
//
// Every binary that links kiln_runtime with a GPU module is linked with
// --wrap=halide_device_malloc,--wrap=halide_device_free,--wrap=halide_device_free_as_destructor
// (runtime/CMakeLists.txt): the generated pipelines' calls come here; Halide's own functions
// are __real_*. Halide::Runtime::Buffer, and Halide's runtime inside (halide_copy_to_device),
// call through the device interface instead and keep going Halide's way. A kept allocation is
// detached from its buffer (halide_device_detach_native) and attached to the next one
// (halide_device_wrap_native), which for CUDA moves the pointer and for OpenCL the cl_mem.
// Reuse is safe for the same reason as Halide's own cache: a device runs one queue in order,
// so the kernels that used a buffer come before those of its next owner.
#include "runtime/device.hpp"

#include <HalideRuntime.h>
#ifdef KILN_CUDA
#include <HalideRuntimeCuda.h>
#endif
#ifdef KILN_OPENCL
#include <HalideRuntimeOpenCL.h>
#endif

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

extern "C" {
int __real_halide_device_malloc(void* user_context, halide_buffer_t* buf, const halide_device_interface_t* device);
int __real_halide_device_free(void* user_context, halide_buffer_t* buf);
}

namespace {

bool enabled() {
    static const bool on = [] {
        const char* v = std::getenv("KILN_DEVICE_CACHE");
        return v == nullptr || std::strcmp(v, "0") != 0;
    }();
    return on;
}

struct kept {
    std::mutex mutex;
    // (device interface, bytes) -> native handles, most recently freed last
    std::map<std::pair<const halide_device_interface_t*, std::size_t>, std::vector<std::uint64_t>> free;
    // The allocations made here, which alone come back here when freed. A buffer can also be
    // allocated inside Halide's runtime (halide_copy_to_device) or freed through its device
    // interface's own pointer (Halide::Runtime::Buffer does both): those go Halide's way,
    // or the kept ones would pile up at sizes never asked for here.
    std::set<std::pair<const halide_device_interface_t*, std::uint64_t>> ours;
    kiln::device_allocations counts;
};
// Never destroyed: buffers may be freed from other statics' destructors at exit.
kept& cache = *new kept;

// Returns every kept allocation to Halide (and through it to the driver).
void release_all(void* user_context) {
    decltype(cache.free) all;
    {
        std::lock_guard<std::mutex> lock(cache.mutex);
        all.swap(cache.free);
    }
    for (auto& [key, handles] : all)
        for (std::uint64_t h : handles) {
            halide_buffer_t b{};
            halide_dimension_t d{0, static_cast<std::int32_t>(key.second), 1, 0};
            b.type = halide_type_t(halide_type_uint, 8);
            b.dimensions = 1;
            b.dim = &d;
            if (halide_device_wrap_native(user_context, &b, h, key.first) == 0) __real_halide_device_free(user_context, &b);
        }
}

// The GPU modules this build has: their allocations are kept.
bool kept_kind(const halide_device_interface_t* device) {
#ifdef KILN_CUDA
    if (device == halide_cuda_device_interface()) return true;
#endif
#ifdef KILN_OPENCL
    if (device == halide_opencl_device_interface()) return true;
#endif
    (void)device;
    return false;
}

// What halide_device_wrap_native takes back for buf's allocation: the device pointer for
// CUDA, the cl_mem for OpenCL; 0 for another device.
std::uint64_t native_handle(void* user_context, const halide_buffer_t* buf) {
#ifdef KILN_CUDA
    if (buf->device_interface == halide_cuda_device_interface()) return buf->device;
#endif
#ifdef KILN_OPENCL
    if (buf->device_interface == halide_opencl_device_interface())
        return halide_opencl_get_cl_mem(user_context, const_cast<halide_buffer_t*>(buf));
#endif
    (void)user_context;
    return 0;
}

}  // namespace

extern "C" {

int __wrap_halide_device_malloc(void* user_context, halide_buffer_t* buf, const halide_device_interface_t* device) {
    if (!enabled() || buf == nullptr || buf->device != 0 || device == nullptr || !kept_kind(device))
        return __real_halide_device_malloc(user_context, buf, device);
    const std::pair key{device, buf->size_in_bytes()};
    std::uint64_t handle = 0;
    {
        std::lock_guard<std::mutex> lock(cache.mutex);
        auto it = cache.free.find(key);
        if (it != cache.free.end() && !it->second.empty()) {
            handle = it->second.back();
            it->second.pop_back();
        }
    }
    int rc = handle != 0 ? halide_device_wrap_native(user_context, buf, handle, device) : -1;
    const bool reused = rc == 0;
    if (handle != 0 && !reused) {  // not taken: keep it for the next one
        std::lock_guard<std::mutex> lock(cache.mutex);
        cache.free[key].push_back(handle);
    }
    if (rc != 0) rc = __real_halide_device_malloc(user_context, buf, device);
    if (rc != 0) {  // out of memory, perhaps because of what is kept: return it all, once
        release_all(user_context);
        rc = __real_halide_device_malloc(user_context, buf, device);
    }
    if (rc == 0) {
        std::lock_guard<std::mutex> lock(cache.mutex);
        cache.ours.insert({device, native_handle(user_context, buf)});
        ++(reused ? cache.counts.reused : cache.counts.fresh);
    }
    return rc;
}

int __wrap_halide_device_free(void* user_context, halide_buffer_t* buf) {
    if (!enabled() || buf == nullptr || buf->device == 0 || buf->device_interface == nullptr)
        return __real_halide_device_free(user_context, buf);
    const halide_device_interface_t* device = buf->device_interface;
    const std::uint64_t handle = native_handle(user_context, buf);
    bool mine = false;
    if (handle != 0) {
        std::lock_guard<std::mutex> lock(cache.mutex);
        mine = cache.ours.erase({device, handle}) > 0;
    }
    if (!mine) return __real_halide_device_free(user_context, buf);
    const std::size_t bytes = buf->size_in_bytes();
    if (halide_device_detach_native(user_context, buf) != 0) return halide_error_code_device_free_failed;
    std::lock_guard<std::mutex> lock(cache.mutex);
    cache.free[{device, bytes}].push_back(handle);
    return 0;
}

void __wrap_halide_device_free_as_destructor(void* user_context, void* obj) {
    (void)__wrap_halide_device_free(user_context, static_cast<halide_buffer_t*>(obj));
}

}  // extern "C"

kiln::device_allocations kiln::device_allocation_counts() {
    std::lock_guard<std::mutex> lock(cache.mutex);
    return cache.counts;
}
