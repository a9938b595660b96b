#pragma once
/*  CUDA's limits on a kernel launch, checked on every launch the GPU tests make, on CUDA
    and on OpenCL alike.

    The OpenCL cases run the GPU schedules on pocl, which takes blocks of up to 4096 threads
    and 512 KiB of local memory: a schedule that passes there can still be refused by every
    NVIDIA GPU. kiln_gpu_tests is linked with --wrap=halide_cuda_run,--wrap=halide_opencl_run
    (tests/gpu/CMakeLists.txt), so each launch of a generated pipeline comes here first and
    is refused, with a halide_error naming the kernel, where CUDA would refuse it:

      - more than 1024 threads a block, or more than 1024 in x or y, or 64 in z;
      - a grid over 65535 blocks in y or z;
      - more than 48 KiB of shared memory a block (Halide 14's runtime asks for no more);
      - more registers than a block may hold (64 Ki 32-bit registers; allocated 8 a thread
        at a time, a warp of 32 threads at a time): threads x the kernel's registers, where
        the registers are what NVIDIA's ptxas needs for the same kernel of the network's
        CUDA module (scripts/ptx-check.sh writes them, the ptx test runs it; an OpenCL
        module's kernels have the CUDA module's names).

    The first three need nothing; the registers need the table that ptx-check.sh writes.
    The register file is the same on every GPU the CUDA target runs on (sm_80, sm_90).     */
#include <map>
#include <string>
#include <vector>

namespace kiln::test {

struct cuda_limits {
    static constexpr int threads = 1024;  // a block; also its x and y extents
    static constexpr int threads_z = 64;
    static constexpr int grid_y = 65535;  // and z
    static constexpr int shared_bytes = 48 * 1024;
    static constexpr int registers = 64 * 1024;  // a block
};

// What the launches of one kernel asked for, at most, since the last take_launches().
struct kernel_launches {
    int threads = 0;       // a block
    int shared_bytes = 0;  // dynamic shared memory a block
    int count = 0;
};

// Registers a thread needs, as ptxas said for one kernel of one CUDA module.
struct kernel_registers {
    std::string module, kernel, arch;
    int registers = 0, shared_bytes = 0;  // static shared memory
};

// The launches recorded since the last call, by kernel name; clears the record.
std::map<std::string, kernel_launches> take_launches();

// Appends the launches to the file $KILN_LAUNCH_LOG names, if it names one: network,
// schedule, kernel, threads a block, shared bytes, launches (tab-separated).
void log_launches(const std::map<std::string, kernel_launches>& launches, const std::string& network,
                  const std::string& schedule);

// The table scripts/ptx-check.sh wrote: at $KILN_PTX_TABLE, or else the build's
// (<build>/ptx/kernels.tsv, which the ptx test writes); empty, with the reason in *why_not,
// when there is none.
const std::vector<kernel_registers>& register_table(std::string* why_not);

// Registers allocated to a block of `threads` threads of a kernel that needs `registers`.
int block_registers(int threads, int registers);

// Each way the launches of `network`'s `schedule` build break CUDA's register and shared
// memory limits, against the table's rows for the network's CUDA modules
// (<network>_{forward,train_forward,grad}_<any schedule>_cuda[_s<k>]: an autoscheduled
// build runs the manual one below its min_batch) and the optimizers' (kiln_<optimizer>_cuda). A launched kernel the table does not have is one of them too:
// the table is stale, or the names differ and the check would check nothing.
std::vector<std::string> register_problems(const std::map<std::string, kernel_launches>& launches,
                                           const std::vector<kernel_registers>& table, const std::string& network,
                                           const std::string& schedule);

}  // namespace kiln::test
