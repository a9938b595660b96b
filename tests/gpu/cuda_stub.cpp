// A CUDA driver that runs no kernels, for kiln_cuda_host_tests: the entry points of
// libcuda.so that Halide 14's CUDA runtime looks up (its cuda_functions.h), defined in the
// test binary itself. Halide's runtime asks the process for them before it opens libcuda.so
// (halide_cuda_get_symbol), so this binary's CUDA pipelines run here, on a machine with no
// GPU: device memory is host memory (zeroed), copies are memcpy, a module load keeps only
// the kernels' names and a launch does nothing. What runs for real is everything around the
// kernels: Halide's host code (bounds, allocations, crops, copies, every launch's grid,
// block and shared memory, which launch_limits.cpp checks) and kiln's runtime on CUDA
// (arenas and their device crops, the segmented runner, the optimizers' device ranges).
// The values computed are not meaningful: kernels leave device memory as it was. Where a
// copy, or a buffer a kernel is given, reaches outside every allocation (which a GPU would
// fault on, or read another buffer), the call fails and says so on stderr.
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <cstdio>
#include <iterator>
#include <map>
#include <string>

namespace {

using CUresult = int;
constexpr CUresult success = 0, invalid_value = 1;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
struct stub_context {};
stub_context the_context;
struct stub_module {};
struct stub_function {
    std::string name;
};

// Never destroyed: Halide's runtime frees its cached allocations from a destructor of its
// own, at exit, after this file's statics would be gone.
std::mutex& mutex = *new std::mutex;
std::map<std::uintptr_t, std::size_t>& allocations = *new std::map<std::uintptr_t, std::size_t>;  // start -> bytes

// Whether [at, at + bytes) lies inside one allocation; where it does not, what a GPU would
// do with it (an illegal address, or another buffer's values) goes to stderr instead.
bool inside(const char* what, std::uintptr_t at, std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex);
    auto next = allocations.upper_bound(at);
    if (next != allocations.begin()) {
        const auto& [start, size] = *std::prev(next);
        if (at + bytes <= start + size) return true;
    }
    std::fprintf(stderr, "kiln's CUDA stub: %s of %zu bytes at %#lx is outside every allocation\n", what, bytes,
                 static_cast<unsigned long>(at));
    return false;
}

// CUDA's own attribute numbers (cuda.h's CUdevice_attribute); an H100's values.
int attribute(int which) {
    switch (which) {
    case 1: return 1024;              // max threads a block
    case 2: case 3: return 1024;      // max block x, y
    case 4: return 64;                // max block z
    case 5: return 2147483647;        // max grid x
    case 6: case 7: return 65535;     // max grid y, z
    case 8: return 48 * 1024;         // shared memory a block
    case 10: return 32;               // warp size
    case 12: return 64 * 1024;        // registers a block
    case 16: return 132;              // multiprocessors
    case 39: return 2048;             // threads a multiprocessor
    case 75: return 9;                // compute capability 9.0
    case 76: return 0;
    default: return 0;
    }
}

}  // namespace

extern "C" {

CUresult cuInit(unsigned) { return success; }
CUresult cuDeviceGetCount(int* count) { return *count = 1, success; }
CUresult cuDeviceGet(CUdevice* device, int ordinal) { return ordinal == 0 ? (*device = 0, success) : invalid_value; }
CUresult cuDeviceGetAttribute(int* value, int which, CUdevice) { return *value = attribute(which), success; }
CUresult cuDeviceGetName(char* name, int length, CUdevice) {
    std::strncpy(name, "kiln's CUDA stub (runs no kernels)", static_cast<std::size_t>(length));
    name[length - 1] = 0;
    return success;
}
CUresult cuDeviceTotalMem_v2(std::size_t* bytes, CUdevice) { return *bytes = std::size_t{80} << 30, success; }
CUresult cuCtxCreate_v2(void** context, unsigned, CUdevice) { return *context = &the_context, success; }
CUresult cuCtxDestroy_v2(void*) { return success; }
CUresult cuProfilerStop() { return success; }
CUresult cuCtxGetApiVersion(void*, unsigned* version) { return *version = 3020, success; }
CUresult cuCtxGetDevice(CUdevice* device) { return *device = 0, success; }
CUresult cuCtxPushCurrent_v2(void*) { return success; }
CUresult cuCtxPopCurrent_v2(void** context) {
    if (context != nullptr) *context = &the_context;
    return success;
}
CUresult cuCtxSynchronize() { return success; }
CUresult cuStreamSynchronize(void*) { return success; }

CUresult cuModuleLoadData(void** module, const void* image) {
    if (image == nullptr || std::strstr(static_cast<const char*>(image), ".entry") == nullptr) return invalid_value;
    return *module = new stub_module, success;
}
CUresult cuModuleLoadDataEx(void** module, const void* image, unsigned, void*, void**) {
    return cuModuleLoadData(module, image);
}
CUresult cuModuleUnload(void* module) { return delete static_cast<stub_module*>(module), success; }
// (each lookup makes a handle that lives as long as the process: Halide looks each kernel
// up once a pipeline, and these tests are short)
CUresult cuModuleGetFunction(void** function, void*, const char* name) {
    return *function = new stub_function{name}, success;
}

std::atomic<unsigned long long> allocation_count{0};

CUresult cuMemAlloc_v2(CUdeviceptr* pointer, std::size_t bytes) {
    ++allocation_count;
    void* p = std::calloc(bytes == 0 ? 1 : bytes, 1);
    if (p == nullptr) return 2;  // CUDA_ERROR_OUT_OF_MEMORY
    std::lock_guard<std::mutex> lock(mutex);
    allocations.emplace(reinterpret_cast<std::uintptr_t>(p), bytes);
    *pointer = reinterpret_cast<std::uintptr_t>(p);
    return success;
}
CUresult cuMemFree_v2(CUdeviceptr pointer) {
    std::lock_guard<std::mutex> lock(mutex);
    if (allocations.erase(static_cast<std::uintptr_t>(pointer)) == 0) return invalid_value;  // not ours, or freed twice
    std::free(reinterpret_cast<void*>(static_cast<std::uintptr_t>(pointer)));
    return success;
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr to, const void* from, std::size_t bytes) {
    if (!inside("a copy to the device", to, bytes)) return invalid_value;
    std::memcpy(reinterpret_cast<void*>(static_cast<std::uintptr_t>(to)), from, bytes);
    return success;
}
CUresult cuMemcpyDtoH_v2(void* to, CUdeviceptr from, std::size_t bytes) {
    if (!inside("a copy from the device", from, bytes)) return invalid_value;
    std::memcpy(to, reinterpret_cast<const void*>(static_cast<std::uintptr_t>(from)), bytes);
    return success;
}
CUresult cuMemcpyDtoD_v2(CUdeviceptr to, CUdeviceptr from, std::size_t bytes) {
    if (!inside("a copy on the device from", from, bytes) || !inside("a copy on the device to", to, bytes))
        return invalid_value;
    std::memmove(reinterpret_cast<void*>(static_cast<std::uintptr_t>(to)),
                 reinterpret_cast<const void*>(static_cast<std::uintptr_t>(from)), bytes);
    return success;
}
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr to, const void* from, std::size_t bytes, void*) {
    return cuMemcpyHtoD_v2(to, from, bytes);
}
CUresult cuMemcpyDtoHAsync_v2(void* to, CUdeviceptr from, std::size_t bytes, void*) {
    return cuMemcpyDtoH_v2(to, from, bytes);
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr to, CUdeviceptr from, std::size_t bytes, void*) {
    return cuMemcpyDtoD_v2(to, from, bytes);
}
CUresult cuMemcpy3D_v2(const void*) { return invalid_value; }  // Halide 14 copies without it
CUresult cuPointerGetAttribute(void* result, int which, CUdeviceptr) {
    if (which != 1) return invalid_value;  // CU_POINTER_ATTRIBUTE_CONTEXT
    *static_cast<void**>(result) = &the_context;
    return success;
}

// For cuda_host_test.cpp: how many allocations the driver has been asked for.
unsigned long long kiln_cuda_stub_allocations() { return allocation_count.load(); }

// For launch_limits.cpp: whether [at, at + bytes) lies inside one device allocation.
bool kiln_cuda_stub_inside(const char* what, unsigned long long at, std::size_t bytes) {
    return inside(what, static_cast<std::uintptr_t>(at), bytes);
}

CUresult cuLaunchKernel(void* function, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, void*,
                        void**, void**) {
    return function == nullptr ? invalid_value : success;
}

}  // extern "C"
