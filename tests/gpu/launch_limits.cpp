#include "launch_limits.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <utility>

#include <HalideRuntime.h>

#include "runtime/halide_run.hpp"

extern "C" __attribute__((weak)) bool kiln_cuda_stub_inside(const char* what, unsigned long long at, std::size_t bytes);

namespace kiln::test {
namespace {

std::mutex recorded_mutex;
std::map<std::string, kernel_launches> recorded;

// Records one launch; false, after a halide_error saying why, where CUDA would refuse it.
bool admit(void* user_context, const char* module, const char* kernel, const int blocks[3], const int threads[3],
           int shared_bytes) {
    const int block = threads[0] * threads[1] * threads[2];
    {
        std::lock_guard<std::mutex> lock(recorded_mutex);
        kernel_launches& k = recorded[kernel];
        k.threads = std::max(k.threads, block);
        k.shared_bytes = std::max(k.shared_bytes, shared_bytes);
        ++k.count;
    }
    std::ostringstream why;
    if (block > cuda_limits::threads || threads[0] > cuda_limits::threads || threads[1] > cuda_limits::threads ||
        threads[2] > cuda_limits::threads_z)
        why << "a block of " << threads[0] << "x" << threads[1] << "x" << threads[2] << " threads (CUDA takes at most "
            << cuda_limits::threads << ", and " << cuda_limits::threads_z << " in z)";
    else if (blocks[1] > cuda_limits::grid_y || blocks[2] > cuda_limits::grid_y)
        why << "a grid of " << blocks[0] << "x" << blocks[1] << "x" << blocks[2] << " blocks (CUDA takes at most "
            << cuda_limits::grid_y << " in y and z)";
    else if (shared_bytes > cuda_limits::shared_bytes)
        why << shared_bytes << " bytes of shared memory a block (CUDA takes " << cuda_limits::shared_bytes
            << " unless the kernel opts in, which Halide 14's runtime does not)";
    else
        return true;
    const std::string text = std::string(module) + " kernel " + kernel + ": CUDA would refuse this launch: " + why.str() +
                             "; change the schedule in codegen/schedule/gpu.hpp\n";
    halide_error(user_context, text.c_str());
    return false;
}

// Where the buffer a kernel is given lies outside device memory: only in
// kiln_cuda_host_tests, whose CUDA driver (cuda_stub.cpp) knows its allocations.
bool buffers_inside(void* user_context, const char* kernel, void* args[], const std::int8_t arg_is_buffer[]) {
    if (kiln_cuda_stub_inside == nullptr) return true;
    for (std::size_t i = 0; args[i] != nullptr; ++i) {
        if (!arg_is_buffer[i]) continue;
        const halide_buffer_t* b = static_cast<const halide_buffer_t*>(args[i]);
        std::int64_t first = 0, last = 0;  // elements, from b->device
        for (int d = 0; d < b->dimensions; ++d) {
            const std::int64_t span = static_cast<std::int64_t>(b->dim[d].extent - 1) * b->dim[d].stride;
            (span < 0 ? first : last) += span;
        }
        const std::int64_t bytes = b->type.bytes();
        if (!kiln_cuda_stub_inside("a kernel's buffer", b->device + static_cast<std::uint64_t>(first * bytes),
                                   static_cast<std::size_t>((last - first + 1) * bytes))) {
            const std::string text = std::string("CUDA kernel ") + kernel + ": its buffer argument " + std::to_string(i) +
                                     " lies outside device memory (a GPU would fault, or read another buffer)\n";
            halide_error(user_context, text.c_str());
            return false;
        }
    }
    return true;
}

}  // namespace

std::map<std::string, kernel_launches> take_launches() {
    std::lock_guard<std::mutex> lock(recorded_mutex);
    return std::exchange(recorded, {});
}

void log_launches(const std::map<std::string, kernel_launches>& launches, const std::string& network,
                  const std::string& schedule) {
    const char* path = std::getenv("KILN_LAUNCH_LOG");
    if (path == nullptr || *path == 0) return;
    std::ofstream out(path, std::ios::app);
    for (const auto& [kernel, l] : launches)
        out << network << '\t' << schedule << '\t' << kernel << '\t' << l.threads << '\t' << l.shared_bytes << '\t'
            << l.count << '\n';
}

const std::vector<kernel_registers>& register_table(std::string* why_not) {
    static std::string reason;
    static const std::vector<kernel_registers> table = [] {
        std::vector<kernel_registers> rows;
        const char* path = std::getenv("KILN_PTX_TABLE");
#ifdef KILN_PTX_TABLE
        if (path == nullptr || *path == 0) path = KILN_PTX_TABLE;  // the build's (tests/gpu/CMakeLists.txt)
#endif
        if (path == nullptr || *path == 0) {
            reason = "this build has no CUDA modules, and KILN_PTX_TABLE names no table";
            return rows;
        }
        std::ifstream in(path);
        if (!in) {
            reason = std::string("no table at ") + path +
                     " (the ptx test writes it with scripts/ptx-check.sh, which needs NVIDIA's ptxas)";
            return rows;
        }
        std::string line;
        std::getline(in, line);  // the header
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            kernel_registers r;
            int spill = 0;
            if (std::getline(fields, r.module, '\t') && std::getline(fields, r.kernel, '\t') &&
                std::getline(fields, r.arch, '\t') && fields >> r.registers >> r.shared_bytes >> spill)
                rows.push_back(r);
        }
        if (rows.empty()) reason = std::string(path) + " lists no kernels";
        return rows;
    }();
    if (why_not != nullptr) *why_not = reason;
    return table;
}

int block_registers(int threads, int registers) {
    const int warps = (threads + 31) / 32, per_thread = (registers + 7) / 8 * 8;
    return warps * 32 * per_thread;
}

std::vector<std::string> register_problems(const std::map<std::string, kernel_launches>& launches,
                                           const std::vector<kernel_registers>& table, const std::string& network,
                                           const std::string& schedule) {
    // <network>_<stage>_<schedule>_cuda[_s<k>], any schedule: a batch under an autoscheduled
    // build's min_batch runs the manual build (kernel_variant); or kiln_<optimizer>_cuda
    auto ours = [&](const std::string& module) {
        std::string rest = module;
        if (const std::size_t s = rest.rfind("_s"); s != std::string::npos && s + 2 < rest.size() &&
                                                    rest.find_first_not_of("0123456789", s + 2) == std::string::npos)
            rest.resize(s);
        if (rest.size() < 5 || rest.compare(rest.size() - 5, 5, "_cuda") != 0) return false;
        rest.resize(rest.size() - 5);
        if (rest.rfind("kiln_", 0) == 0) return rest.find('_', 5) == std::string::npos;
        const std::size_t s = rest.rfind('_');  // the schedule's name has none
        if (s == std::string::npos) return false;
        rest.resize(s);
        for (const char* stage : {"forward", "train_forward", "grad"})
            if (rest == network + "_" + stage) return true;
        return false;
    };
    // Halide numbers the kernels that share a name in the order it lowers them (k, k__1, ...),
    // spelling a numbered one's '$'s as '_' where the others have "__"; an OpenCL build of
    // the same schedule can number them otherwise than the CUDA one (a convolution's loops
    // differ: lanes there, threads here). So a kernel is matched by its name less that
    // number and every '_', to the most registers any of those needs.
    auto unnumbered = [](std::string k) {
        const std::size_t at = k.rfind("__");
        if (at != std::string::npos && at + 2 < k.size() && k.find_first_not_of("0123456789", at + 2) == std::string::npos)
            k.resize(at);
        k.erase(std::remove(k.begin(), k.end(), '_'), k.end());
        return k;
    };
    std::set<std::string> archs;
    std::vector<std::string> keys;  // each table row's kernel, unnumbered
    for (const kernel_registers& r : table) {
        archs.insert(r.arch);
        keys.push_back(unnumbered(r.kernel));
    }
    std::vector<std::string> problems;
    for (const auto& [kernel, l] : launches) {
        const std::string key = unnumbered(kernel);
        for (const std::string& arch : archs) {
            const kernel_registers* most = nullptr;
            for (std::size_t i = 0; i < table.size(); ++i) {
                const kernel_registers& r = table[i];
                if (keys[i] == key && r.arch == arch && ours(r.module) && (most == nullptr || r.registers > most->registers))
                    most = &r;
            }
            std::ostringstream why;
            if (most == nullptr) {
                why << kernel << ": not in the register table for " << network << "'s " << schedule
                    << " CUDA modules on " << arch << " (a table from an older build? run the ptx test first)";
            } else if (block_registers(l.threads, most->registers) > cuda_limits::registers) {
                why << kernel << " (" << most->module << ", " << arch << "): blocks of " << l.threads << " threads x "
                    << most->registers << " registers need " << block_registers(l.threads, most->registers)
                    << " registers; a block has " << cuda_limits::registers;
            } else if (l.shared_bytes + most->shared_bytes > cuda_limits::shared_bytes) {
                why << kernel << " (" << most->module << ", " << arch << "): " << l.shared_bytes << " bytes of dynamic and "
                    << most->shared_bytes << " of static shared memory; a block has " << cuda_limits::shared_bytes;
            } else {
                continue;
            }
            problems.push_back(why.str());
        }
    }
    return problems;
}

}  // namespace kiln::test

// The generated pipelines' launches, through the linker's --wrap (kiln_wrap_kernel_launches):
// their calls of halide_<api>_run reach __wrap_halide_<api>_run, which admits the launch or
// refuses it, and calls Halide's runtime as __real_halide_<api>_run.
#define KILN_WRAP_RUN(API, MODULE, ADDRESSES)                                                                 \
    extern "C" int __real_halide_##API##_run(KILN_HALIDE_RUN_PARAMS);                                           \
    extern "C" int __wrap_halide_##API##_run(KILN_HALIDE_RUN_PARAMS) {                                          \
        const int blocks[3] = {blocksX, blocksY, blocksZ}, threads[3] = {threadsX, threadsY, threadsZ};         \
        if (!kiln::test::admit(user_context, MODULE, entry_name, blocks, threads, shared_mem_bytes) ||          \
            (ADDRESSES && !kiln::test::buffers_inside(user_context, entry_name, args, arg_is_buffer)))          \
            return halide_error_code_device_run_failed;                                                         \
        return __real_halide_##API##_run(KILN_HALIDE_RUN_ARGS);                                                 \
    }

#ifdef KILN_CUDA
KILN_WRAP_RUN(cuda, "CUDA", true)  // a CUDA buffer's device field is its address
#endif
#ifdef KILN_OPENCL
KILN_WRAP_RUN(opencl, "OpenCL", false)  // an OpenCL one's, a cl_mem
#endif
