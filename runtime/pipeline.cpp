#include "runtime/pipeline.hpp"

#include <cstring>
#include <mutex>
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

std::string take_halide_error() { return std::exchange(last_halide_error, {}); }

void call_pipeline(const char* what, const pipeline_fn& fn, std::span<const pipeline_arg> args) {
    install_halide_error_handler();
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
    if (int rc = fn.call(argv.data()); rc != 0)
        throw error(std::string(what) + ": pipeline '" + meta->name + "' failed (Halide error " +
                    std::to_string(rc) + "): " + take_halide_error());
}

}  // namespace kiln
