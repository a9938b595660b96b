#include "runtime/pipeline.hpp"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>
#include <utility>

namespace kiln {

namespace {
thread_local std::string last_halide_error;

void record_halide_error(void*, const char* message) { last_halide_error += message; }
}  // namespace

void install_halide_error_handler() {
    static std::once_flag once;
    std::call_once(once, [] { halide_set_error_handler(&record_halide_error); });
}

namespace {
// Halide's scratch buffers, kept for reuse by size. A step allocates the same sizes on every
// call; with glibc's defaults (mmap from 128 KiB, unmapped on free) each of them came back
// as fresh page faults, which cost 9-12x the compute of a Course 4 training step.
constexpr std::size_t block_header = 64;              // alignment, and the size in front
constexpr std::size_t cache_limit = std::size_t{4} << 30;  // bytes kept at most
std::mutex cache_mutex;
std::unordered_map<std::size_t, std::vector<void*>> free_blocks;  // size -> block bases
std::size_t cached_bytes = 0;

void* cached_malloc(void*, std::size_t size) {
    {
        std::lock_guard lock(cache_mutex);
        auto it = free_blocks.find(size);
        if (it != free_blocks.end() && !it->second.empty()) {
            void* base = it->second.back();
            it->second.pop_back();
            cached_bytes -= size;
            return static_cast<char*>(base) + block_header;
        }
    }
    // Halide may read a few bytes past either end: the header before, one block after.
    const std::size_t total = (size + 2 * block_header + block_header - 1) / block_header * block_header;
    void* base = std::aligned_alloc(block_header, total);
    if (base == nullptr) return nullptr;
    *static_cast<std::size_t*>(base) = size;
    return static_cast<char*>(base) + block_header;
}

void cached_free(void*, void* ptr) {
    if (ptr == nullptr) return;
    void* base = static_cast<char*>(ptr) - block_header;
    const std::size_t size = *static_cast<std::size_t*>(base);
    {
        std::lock_guard lock(cache_mutex);
        if (cached_bytes + size <= cache_limit) {
            free_blocks[size].push_back(base);
            cached_bytes += size;
            return;
        }
    }
    std::free(base);
}
}  // namespace

std::string take_halide_error() { return std::exchange(last_halide_error, {}); }

void use_caching_allocator() {
    static std::once_flag once;
    std::call_once(once, [] {
        halide_set_custom_malloc(&cached_malloc);
        halide_set_custom_free(&cached_free);
    });
}

void call_pipeline(const char* what, const pipeline_fn& fn, std::span<const pipeline_arg> args, bool gpu) {
    install_halide_error_handler();
    use_caching_allocator();
    if (fn.call == nullptr || fn.metadata == nullptr)
        throw error(std::string(what) + ": this pipeline was not built (kiln_add_network's FORWARD_ONLY or "
                    "NO_GRADCHECK left it out): the network is built for inference only, or without its "
                    "float64 gradient check");
    const halide_filter_metadata_t* meta = fn.metadata();
    if (meta->num_arguments != static_cast<int>(args.size()))
        throw error(std::string(what) + ": the compiled pipeline '" + meta->name + "' takes " +
                    std::to_string(meta->num_arguments) + " arguments, the runtime passes " +
                    std::to_string(args.size()) +
                    "; the generated library does not match this network - rebuild");
    std::vector<void*> argv;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const halide_filter_argument_t& a = meta->arguments[i];
        const pipeline_arg& p = args[i];
        const bool scalar = a.kind == halide_argument_kind_input_scalar;
        const bool matches = p.name == a.name &&
                             (scalar ? p.scalar != nullptr && p.scalar_type == a.type
                                     : p.buffer != nullptr && p.buffer->dimensions == a.dimensions &&
                                           p.buffer->type == a.type);
        if (!matches)
            throw error(std::string(what) + ": argument " + std::to_string(i) + " of '" + meta->name + "' is '" +
                        a.name + "' (" + (scalar ? std::string("scalar") : std::to_string(a.dimensions) + "-D") +
                        "), the runtime passes '" + p.name + "' (" +
                        (p.buffer ? std::to_string(p.buffer->dimensions) + "-D" : std::string("scalar")) +
                        "); the generated library does not match this network - rebuild");
        argv.push_back(scalar ? const_cast<void*>(p.scalar) : static_cast<void*>(p.buffer));
    }
    take_halide_error();
    if (gpu)  // an input in host memory: the host holds the only copy, so it must go up
        for (std::size_t i = 0; i < args.size(); ++i)
            if (args[i].buffer && !args[i].resident && meta->arguments[i].kind == halide_argument_kind_input_buffer)
                args[i].buffer->flags |= halide_buffer_flag_host_dirty;
    const int rc = fn.call(argv.data());
    std::string message = rc != 0 ? take_halide_error() : std::string();
    if (gpu) {
        // Results back to the host; the GPU copies of host buffers go (to Halide's cache of
        // device allocations), so a buffer object never outlives its device memory.
        for (std::size_t i = 0; i < args.size(); ++i) {
            halide_buffer_t* b = args[i].buffer;
            if (b == nullptr || args[i].resident || b->device == 0) continue;
            if (rc == 0 && meta->arguments[i].kind == halide_argument_kind_output_buffer) {
                if (int c = halide_copy_to_host(nullptr, b); c != 0)
                    throw error(std::string(what) + ": copying '" + args[i].name + "' from the GPU failed (Halide error " +
                                std::to_string(c) + "): " + take_halide_error());
            }
            halide_device_free(nullptr, b);
        }
    }
    if (rc != 0)
        throw error(std::string(what) + ": pipeline '" + meta->name + "' failed (Halide error " +
                    std::to_string(rc) + "): " + message);
}

}  // namespace kiln
