#include "runtime/device.hpp"

#include <algorithm>
#include <mutex>

#include "runtime/error.hpp"
#include "runtime/pipeline.hpp"

#ifdef KILN_CUDA
#include <HalideRuntimeCuda.h>
#endif
#ifdef KILN_OPENCL
#include <HalideRuntimeOpenCL.h>
#endif

namespace kiln {

device_kind parse_device(std::string_view name) {
    if (name == "cpu") return device_kind::cpu;
    if (name == "cuda") return device_kind::cuda;
    if (name == "opencl") return device_kind::opencl;
    throw error("unknown device '" + std::string(name) + "': expected cpu, cuda or opencl");
}

const char* target_name(device_kind d) {
    switch (d) {
    case device_kind::cuda: return "cuda";
    case device_kind::opencl: return "opencl";
    default: return "host";
    }
}

const char* device_name(device_kind d) { return d == device_kind::cpu ? "the cpu" : target_name(d); }

namespace {
// The interface of the GPU module this build has for d, or nullptr.
const halide_device_interface_t* compiled_interface(device_kind d) {
#ifdef KILN_CUDA
    if (d == device_kind::cuda) return halide_cuda_device_interface();
#endif
#ifdef KILN_OPENCL
    if (d == device_kind::opencl) return halide_opencl_device_interface();
#endif
    (void)d;
    return nullptr;
}

std::string first_line(std::string s) {
    s = s.substr(0, s.find('\n'));
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

// Empty when the GPU kind d answered; else why not, and what to do. Asked once per process
// and kind.
const std::string& problem(device_kind d) {
    static std::once_flag once[2];
    static std::string problems[2];
    const std::size_t k = d == device_kind::cuda ? 0 : 1;
    std::call_once(once[k], [d, &why = problems[k]] {
        const bool cuda = d == device_kind::cuda;
        const halide_device_interface_t* iface = compiled_interface(d);
        if (iface == nullptr) {
            why = cuda ? "this build of kiln has no CUDA pipelines (configure with -DKILN_CUDA=ON), or use --device cpu"
                       : "this build of kiln has no OpenCL pipelines (configure with -DKILN_OPENCL=ON), or use --device cpu";
            return;
        }
        install_halide_error_handler();
        take_halide_error();
        // Cached device allocations: a step's scratch buffers (its batch, the cost) are the
        // same sizes every time.
        halide_reuse_device_allocations(nullptr, true);
        // A first allocation makes Halide load the driver, pick a device and create a context.
        Halide::Runtime::Buffer<float> probe(1);
        const int rc = probe.device_malloc(iface);
        if (rc == 0) return;
        const std::string said = take_halide_error();
        if (cuda && said.find("CUDA API not found") != std::string::npos)
            // Halide lists every entry point it missed; the first says it all
            why = "no CUDA driver found (libcuda.so could not be loaded, so " + first_line(said) +
                  "); run on a machine with an NVIDIA GPU and its driver, or use --device cpu";
        else if (cuda)
            why = "the CUDA device could not be used (Halide error " + std::to_string(rc) + ": " + first_line(said) +
                  "); check nvidia-smi, or use --device cpu";
        else {
            // Halide runs two messages together here: the driver's, then its own follow-up
            std::string line = first_line(said);
            line = line.substr(0, line.find("OpenCL: null context"));
            why = (said.find("clGetPlatformIDs") != std::string::npos ? "no OpenCL driver found (" : "no OpenCL device could be used (") +
                  line + "); install the device's OpenCL driver (on a CPU: Debian's pocl-opencl-icd) and "
                  "libOpenCL.so, the name Halide loads (Debian's ocl-icd-opencl-dev; clinfo lists what answers), "
                  "or use --device cpu";
        }
    });
    return problems[k];
}
}  // namespace

std::string device_status(device_kind d) { return is_gpu(d) ? problem(d) : std::string(); }

const halide_device_interface_t* gpu_interface(device_kind d) {
    if (!is_gpu(d)) return nullptr;
    if (!problem(d).empty()) throw error(std::string("--device ") + target_name(d) + ": " + problem(d));
    return compiled_interface(d);
}

namespace {
void check(const char* what, int rc) {
    if (rc != 0)
        throw error(std::string("GPU: ") + what + " failed (Halide error " + std::to_string(rc) + "): " +
                    take_halide_error());
}
}  // namespace

void copy_on_device(halide_buffer_t* from, halide_buffer_t* to) {
    check("a copy on the GPU", halide_buffer_copy(nullptr, from, to->device_interface, to));
    to->flags &= ~static_cast<std::uint64_t>(halide_buffer_flag_host_dirty);
}

arena::arena(std::size_t size, device_kind where, std::vector<std::size_t> starts) : host_(size, 0.f) {
    if (size == 0) return;
    starts.push_back(0);
    std::ranges::sort(starts);
    const auto [last, end] = std::ranges::unique(starts);
    starts.erase(last, end);
    if (starts.back() >= size)
        throw error("arena: a view starts at " + std::to_string(starts.back()) + ", past the arena's " +
                    std::to_string(size) + " floats");
    starts_ = starts;
    const std::size_t align = where == device_kind::opencl ? opencl_alignment : 1;
    std::size_t at = 0;
    for (std::size_t i = 0; i < starts_.size(); ++i) {
        if (i > 0) at += starts_[i] - starts_[i - 1];
        at = (at + align - 1) / align * align;
        device_starts_.push_back(at);
    }
    const std::size_t device_size = device_offset(size - 1) + 1;
    if (device_size != size) staging_.assign(device_size, 0.f);
    all_ = Halide::Runtime::Buffer<float>(padded() ? staging_.data() : host_.data(), static_cast<int>(device_size));
    if (is_gpu(where)) {
        check("allocating an arena on the GPU", all_.device_malloc(gpu_interface(where)));
        device_behind_ = true;  // its device memory holds nothing yet
    }
}

std::size_t arena::device_offset(std::size_t offset) const {
    const auto i = static_cast<std::size_t>(std::ranges::upper_bound(starts_, offset) - starts_.begin()) - 1;
    return device_starts_[i] + (offset - starts_[i]);
}

std::span<const float> arena::read() const {
    if (host_behind_) {
        all_.set_host_dirty(false);
        all_.set_device_dirty(true);
        check("copying from the GPU", all_.copy_to_host());
        host_behind_ = false;
        if (padded())
            for (std::size_t i = 0; i < starts_.size(); ++i) {
                const std::size_t end = i + 1 < starts_.size() ? starts_[i + 1] : host_.size();
                std::copy_n(staging_.begin() + static_cast<std::ptrdiff_t>(device_starts_[i]), end - starts_[i],
                            host_.data() + starts_[i]);
            }
    }
    return host_;
}

std::span<float> arena::write() {
    read();
    device_behind_ = on_gpu();
    return host_;
}

arena::~arena() {
    for (halide_buffer_t& c : crops_) halide_device_release_crop(nullptr, &c);
}

const halide_buffer_t& arena::crop(std::size_t device_from, std::size_t n, float* host) {
    halide_dimension_t& d = crop_dims_.emplace_back(static_cast<int>(device_from), static_cast<int>(n), 1);
    halide_buffer_t& c = crops_.emplace_back();
    c.host = reinterpret_cast<std::uint8_t*>(host);
    c.type = halide_type_of<float>();
    c.dimensions = 1;
    c.dim = &d;
    if (int rc = halide_device_crop(nullptr, all_.raw_buffer(), &c); rc != 0) {
        crops_.pop_back();
        check("viewing an arena", rc);
    }
    return c;
}

namespace {
// A buffer like v whose device side is c's, not owned (the arena releases c).
Halide::Runtime::Buffer<float> with_device(const Halide::Runtime::Buffer<float>& v, const halide_buffer_t& c) {
    halide_buffer_t raw = *v.raw_buffer();
    raw.device = c.device;
    raw.device_interface = c.device_interface;
    return Halide::Runtime::Buffer<float>(raw, Halide::Runtime::BufferDeviceOwnership::Unmanaged);
}
}  // namespace

Halide::Runtime::Buffer<float> arena::view(std::size_t offset, const std::vector<int>& dims) {
    Halide::Runtime::Buffer<float> v = make_view(host_.data() + offset, dims);
    if (!on_gpu()) return v;
    const auto n = static_cast<std::size_t>(v.number_of_elements());
    const auto piece = std::ranges::upper_bound(starts_, offset);
    const std::size_t piece_end = piece == starts_.end() ? host_.size() : *piece;
    if (*(piece - 1) != offset || offset + n > piece_end)
        throw error("arena::view: [" + std::to_string(offset) + ", " + std::to_string(offset + n) +
                    ") is not inside one piece of the arena (pieces start at the offsets it was made with)");
    return with_device(v, crop(device_offset(offset), n, host_.data() + offset));
}

Halide::Runtime::Buffer<float> arena::device_range(std::size_t from, std::size_t to) {
    if (!on_gpu()) throw error("arena::device_range: this arena has no device memory");
    if (from >= to || to > host_.size() || !std::ranges::binary_search(starts_, from))
        throw error("arena::device_range: [" + std::to_string(from) + ", " + std::to_string(to) +
                    ") does not begin at a piece of the arena");
    const std::size_t begin = device_offset(from), end = device_offset(to - 1) + 1;
    const Halide::Runtime::Buffer<float> v(nullptr, static_cast<int>(end - begin));
    return with_device(v, crop(begin, end - begin, nullptr));
}

void arena::to_device() const {
    if (!device_behind_) return;
    if (padded())
        for (std::size_t i = 0; i < starts_.size(); ++i) {
            const std::size_t end = i + 1 < starts_.size() ? starts_[i + 1] : host_.size();
            std::copy_n(host_.begin() + static_cast<std::ptrdiff_t>(starts_[i]), end - starts_[i],
                        staging_.data() + device_starts_[i]);
        }
    all_.set_host_dirty(true);
    check("copying to the GPU", all_.copy_to_device(all_.raw_buffer()->device_interface));
    device_behind_ = false;
}

}  // namespace kiln
