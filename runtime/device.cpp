#include "runtime/device.hpp"

#include <mutex>

#include "runtime/error.hpp"
#include "runtime/pipeline.hpp"

#ifdef KILN_CUDA
#include <HalideRuntimeCuda.h>
#endif

namespace kiln {

device_kind parse_device(std::string_view name) {
    if (name == "cpu") return device_kind::cpu;
    if (name == "cuda") return device_kind::cuda;
    throw error("unknown device '" + std::string(name) + "': expected cpu or cuda");
}

const char* target_name(device_kind d) { return d == device_kind::cuda ? "cuda" : "host"; }

namespace {
// Empty when a CUDA device answered; else why not. Asked once per process.
const std::string& cuda_problem() {
    static std::once_flag once;
    static std::string problem;
    std::call_once(once, [] {
#ifdef KILN_CUDA
        install_halide_error_handler();
        take_halide_error();
        // Cached device allocations: a step's scratch buffers (its batch, the cost) are the
        // same sizes every time.
        halide_reuse_device_allocations(nullptr, true);
        // A first allocation makes Halide load libcuda, pick a device and create a context.
        Halide::Runtime::Buffer<float> probe(1);
        if (int rc = probe.device_malloc(halide_cuda_device_interface()); rc != 0) {
            std::string why = take_halide_error();
            while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
            if (why.find("CUDA API not found") != std::string::npos)
                // Halide lists every entry point it missed; the first says it all
                problem = "no CUDA driver found (libcuda.so could not be loaded, so " +
                          why.substr(0, why.find('\n')) +
                          "); run on a machine with an NVIDIA GPU and its driver, or use --device cpu";
            else
                problem = "the CUDA device could not be used (Halide error " + std::to_string(rc) + ": " + why +
                          "); check nvidia-smi, or use --device cpu";
        }
#else
        problem = "this build of kiln has no CUDA pipelines (configure with -DKILN_CUDA=ON), or use --device cpu";
#endif
    });
    return problem;
}
}  // namespace

std::string cuda_status() { return cuda_problem(); }

const halide_device_interface_t* cuda_device() {
    if (!cuda_problem().empty()) throw error("--device cuda: " + cuda_problem());
#ifdef KILN_CUDA
    return halide_cuda_device_interface();
#else
    return nullptr;
#endif
}

namespace {
void check(const char* what, int rc) {
    if (rc != 0)
        throw error(std::string("CUDA: ") + what + " failed (Halide error " + std::to_string(rc) + "): " +
                    take_halide_error());
}
}  // namespace

void copy_on_device(halide_buffer_t* from, halide_buffer_t* to) {
    check("a copy on the GPU", halide_buffer_copy(nullptr, from, cuda_device(), to));
    to->flags &= ~static_cast<std::uint64_t>(halide_buffer_flag_host_dirty);
}

arena::arena(std::size_t size, device_kind where) : host_(size, 0.f) {
    if (size == 0) return;
    all_ = Halide::Runtime::Buffer<float>(host_.data(), static_cast<int>(size));
    if (where == device_kind::cuda) {
        check("allocating an arena on the GPU", all_.device_malloc(cuda_device()));
        device_behind_ = true;  // its device memory holds nothing yet
    }
}

std::span<const float> arena::read() const {
    if (host_behind_) {
        all_.set_host_dirty(false);
        all_.set_device_dirty(true);
        check("copying from the GPU", all_.copy_to_host());
        host_behind_ = false;
    }
    return host_;
}

std::span<float> arena::write() {
    read();
    device_behind_ = on_gpu();
    return host_;
}

Halide::Runtime::Buffer<float> arena::view(std::size_t offset, const std::vector<int>& dims) {
    Halide::Runtime::Buffer<float> v = make_view(host_.data() + offset, dims);
    if (on_gpu())
        check("viewing an arena", v.device_wrap_native(cuda_device(), all_.raw_buffer()->device + offset * sizeof(float)));
    return v;
}

void arena::to_device() const {
    if (!device_behind_) return;
    all_.set_host_dirty(true);
    check("copying to the GPU", all_.copy_to_device(cuda_device()));
    device_behind_ = false;
}

}  // namespace kiln
