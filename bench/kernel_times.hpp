#pragma once
/*  Each GPU kernel's time in a benchmark's steps, without a profiler.

    KILN_KERNEL_TIMES=FILE in kiln-bench's environment: every launch of a generated pipeline
    (Halide's halide_cuda_run / halide_opencl_run, reached through the linker's --wrap:
    kiln_wrap_kernel_launches in cmake/kiln.cmake) waits for the device to be idle, launches,
    and waits for the kernel to finish; the time between is the kernel's, its launch
    included. Per benchmark, from
    after its warm-up step to the end of its timed loop, the kernels' times are summed by
    module and kernel name, and FILE gets, for each benchmark run, a line

      # BM_resnet50/train_b8/manual/cuda: 40 steps of 12.3 ms; kernels 10.1 ms (82%) in 1100 launches a step

    and a row per kernel, slowest first (tab-separated): benchmark, module (in order of first
    launch), kernel, launches a step, microseconds a step, % of the step, blocks, threads a
    block (of its last launch). The waits make the device run one kernel at a time, so the
    steps are slower than without KILN_KERNEL_TIMES (time them apart); what the table shows
    is where a step's device time goes, which kernel to schedule better next. Without the
    variable nothing waits and nothing is recorded.                                          */
#include <string>

namespace kiln::bench {

// Whether KILN_KERNEL_TIMES names a file.
bool kernel_times_on();

// Forgets the launches recorded so far: call it before a benchmark's timed loop.
void kernel_times_start();

// Keeps the launches since kernel_times_start as `benchmark`'s, `steps` steps in
// `seconds`, replacing an earlier record of the same name (Google Benchmark runs a benchmark
// again with more iterations until it has timed enough: the last run counts).
void kernel_times_stop(const std::string& benchmark, long steps, double seconds);

// Writes what was kept to the file KILN_KERNEL_TIMES names, atomically; false, after
// saying why on stderr, where it cannot.
bool kernel_times_write();

}  // namespace kiln::bench
