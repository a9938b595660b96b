// Each GPU kernel's time in a benchmark's steps (kernel_times.hpp).
#include "bench/kernel_times.hpp"

#include <HalideRuntime.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <mutex>
#include <sstream>
#include <tuple>
#include <utility>
#include <vector>

#include "runtime/atomic_file.hpp"
#include "runtime/halide_run.hpp"

namespace kiln::bench {
namespace {

using clock = std::chrono::steady_clock;

struct kernel_record {
    long launches = 0;
    double seconds = 0;
    int blocks = 0, threads = 0;  // of the last launch
};

struct benchmark_record {
    long steps = 0;
    double seconds = 0;
    // (module, kernel) -> its launches
    std::map<std::pair<int, std::string>, kernel_record> kernels;
};

struct state {
    std::mutex mutex;
    std::map<const void*, int> modules;  // a pipeline's module state -> its number, in order of first launch
    std::map<std::pair<int, std::string>, kernel_record> recording;
    std::map<std::string, benchmark_record> kept;  // by benchmark name, in name order
    std::vector<std::string> order;                // the benchmarks in the order they ran
};

state& the_state() {
    static state s;
    return s;
}

const char* file() {
    static const char* path = [] {
        const char* v = std::getenv("KILN_KERNEL_TIMES");
        return v != nullptr && *v != 0 ? v : nullptr;
    }();
    return path;
}

// Waits for the device of a kernel's buffer arguments to be idle: its queue (CUDA's stream,
// OpenCL's command queue) runs in order, so that is every kernel launched before. A kernel
// with no buffer argument (none of kiln's) is timed without waiting.
void wait_for_device(void* user_context, void* args[], const std::int8_t arg_is_buffer[]) {
    for (std::size_t i = 0; args[i] != nullptr; ++i)
        if (arg_is_buffer[i]) {
            halide_buffer_t* b = static_cast<halide_buffer_t*>(args[i]);
            if (b->device_interface != nullptr) {
                halide_device_sync(user_context, b);
                return;
            }
        }
}

}  // namespace

bool kernel_times_on() { return file() != nullptr; }

void kernel_times_start() {
    state& s = the_state();
    std::lock_guard<std::mutex> lock(s.mutex);
    s.recording.clear();
}

void kernel_times_stop(const std::string& benchmark, long steps, double seconds) {
    state& s = the_state();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.kept.count(benchmark) == 0) s.order.push_back(benchmark);
    s.kept[benchmark] = benchmark_record{steps, seconds, std::exchange(s.recording, {})};
}

bool kernel_times_write() {
    if (!kernel_times_on()) return true;
    state& s = the_state();
    std::lock_guard<std::mutex> lock(s.mutex);
    std::ostringstream out;
    out << "# each GPU kernel's time a step (bench/kernel_times.hpp): every launch waited for, so the steps ran "
           "slower than kiln-bench times them without KILN_KERNEL_TIMES\n"
        << "# benchmark\tmodule\tkernel\tlaunches_a_step\tus_a_step\tpct_of_step\tblocks\tthreads\n";
    char line[4096];  // a row; Halide names a kernel by its loops (ResNet-50's longest: 119)
    for (const std::string& name : s.order) {
        const benchmark_record& b = s.kept.at(name);
        if (b.steps <= 0 || b.kernels.empty()) continue;  // a CPU build: no kernels
        const double steps = static_cast<double>(b.steps), step = b.seconds / steps;
        std::vector<std::pair<const std::pair<int, std::string>*, const kernel_record*>> rows;
        double kernels = 0;
        long launches = 0;
        for (const auto& [key, k] : b.kernels) {
            rows.emplace_back(&key, &k);
            kernels += k.seconds;
            launches += k.launches;
        }
        std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& z) {
            return std::tie(z.second->seconds, a.first->first, a.first->second) <
                   std::tie(a.second->seconds, z.first->first, z.first->second);
        });
        std::snprintf(line, sizeof line,
                      "# %s: %ld steps of %.4g ms; kernels %.4g ms (%.0f%%) in %.6g launches a step\n", name.c_str(),
                      b.steps, step * 1e3, kernels / steps * 1e3, step > 0 ? kernels / b.seconds * 100 : 0.0,
                      static_cast<double>(launches) / steps);
        out << line;
        for (const auto& [key, k] : rows) {
            std::snprintf(line, sizeof line, "%s\t%d\t%s\t%.6g\t%.4g\t%.2f\t%d\t%d\n", name.c_str(), key->first,
                          key->second.c_str(), static_cast<double>(k->launches) / steps, k->seconds / steps * 1e6,
                          b.seconds > 0 ? k->seconds / b.seconds * 100 : 0.0, k->blocks, k->threads);
            out << line;
        }
    }
    const std::string text = out.str();
    const byte_range piece{text.data(), text.size()};
    try {
        write_file_atomically(file(), std::span<const byte_range>(&piece, 1), std::string("KILN_KERNEL_TIMES: ") + file() + ": ",
                              "kernel times");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return false;
    }
    return true;
}

// One launch, timed where KILN_KERNEL_TIMES is set.
template <class Run>
int timed_launch(void* user_context, void* state_ptr, const char* entry_name, int blocks, int threads, void* args[],
                 const std::int8_t arg_is_buffer[], const Run& run) {
    if (!kernel_times_on()) return run();
    wait_for_device(user_context, args, arg_is_buffer);
    const clock::time_point begin = clock::now();
    const int result = run();
    if (result == 0) wait_for_device(user_context, args, arg_is_buffer);
    const double seconds = std::chrono::duration<double>(clock::now() - begin).count();
    state& s = the_state();
    std::lock_guard<std::mutex> lock(s.mutex);
    const int module = s.modules.emplace(state_ptr, static_cast<int>(s.modules.size())).first->second;
    kernel_record& k = s.recording[{module, entry_name}];
    ++k.launches;
    k.seconds += seconds;
    k.blocks = blocks;
    k.threads = threads;
    return result;
}

}  // namespace kiln::bench

// The generated pipelines' launches, through the linker's --wrap (kiln_wrap_kernel_launches): their
// calls of halide_<api>_run reach __wrap_halide_<api>_run, and Halide's runtime is
// __real_halide_<api>_run.
#define KILN_TIME_RUN(API)                                                                                 \
    extern "C" int __real_halide_##API##_run(KILN_HALIDE_RUN_PARAMS);                                       \
    extern "C" int __wrap_halide_##API##_run(KILN_HALIDE_RUN_PARAMS) {                                      \
        return kiln::bench::timed_launch(user_context, state_ptr, entry_name, blocksX * blocksY * blocksZ, \
                                         threadsX * threadsY * threadsZ, args, arg_is_buffer,              \
                                         [&] { return __real_halide_##API##_run(KILN_HALIDE_RUN_ARGS); }); \
    }

#ifdef KILN_CUDA
KILN_TIME_RUN(cuda)
#endif
#ifdef KILN_OPENCL
KILN_TIME_RUN(opencl)
#endif
