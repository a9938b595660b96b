#pragma once
/*  The parameters of Halide 14's halide_cuda_run and halide_opencl_run, the runtime calls
    through which a generated pipeline launches each GPU kernel (Halide declares them only
    inside its runtime). A binary linked with kiln_wrap_kernel_launches (cmake/kiln.cmake)
    defines __wrap_halide_<api>_run with KILN_HALIDE_RUN_PARAMS and reaches Halide's own as
    __real_halide_<api>_run(KILN_HALIDE_RUN_ARGS): tests/gpu/launch_limits.cpp checks each
    launch against CUDA's limits, bench/kernel_times.cpp times it.                        */
#include <cstddef>
#include <cstdint>

#define KILN_HALIDE_RUN_PARAMS                                                                                      \
    void* user_context, void* state_ptr, const char* entry_name, int blocksX, int blocksY, int blocksZ, int threadsX, \
        int threadsY, int threadsZ, int shared_mem_bytes, std::size_t arg_sizes[], void* args[],                    \
        std::int8_t arg_is_buffer[]
#define KILN_HALIDE_RUN_ARGS                                                                                     \
    user_context, state_ptr, entry_name, blocksX, blocksY, blocksZ, threadsX, threadsY, threadsZ, shared_mem_bytes, \
        arg_sizes, args, arg_is_buffer
