#pragma once
/*  This machine's peak FP32 FLOP/s on one thread, measured with a loop of independent FMAs:
    16 accumulators (more than FMA latency x FMA ports needs) in zmm registers when the CPU
    has AVX-512F, else ymm (AVX2 + FMA). The loop is written in assembly so that the
    compiler can neither drop nor reorder it.                                              */
#include <chrono>
#include <cstdint>

namespace kiln::bench {

#define KILN_FMA16(reg) \
    "vfmadd231ps %%" reg "16, %%" reg "17, %%" reg "0\n vfmadd231ps %%" reg "16, %%" reg "17, %%" reg "1\n" \
    "vfmadd231ps %%" reg "16, %%" reg "17, %%" reg "2\n vfmadd231ps %%" reg "16, %%" reg "17, %%" reg "3\n" \
    "vfmadd231ps %%" reg "16, %%" reg "17, %%" reg "4\n vfmadd231ps %%" reg "16, %%" reg "17, %%" reg "5\n" \
    "vfmadd231ps %%" reg "16, %%" reg "17, %%" reg "6\n vfmadd231ps %%" reg "16, %%" reg "17, %%" reg "7\n" \
    "vfmadd231ps %%" reg "16, %%" reg "17, %%" reg "8\n vfmadd231ps %%" reg "16, %%" reg "17, %%" reg "9\n" \
    "vfmadd231ps %%" reg "16, %%" reg "17, %%" reg "10\n vfmadd231ps %%" reg "16, %%" reg "17, %%" reg "11\n" \
    "vfmadd231ps %%" reg "16, %%" reg "17, %%" reg "12\n vfmadd231ps %%" reg "16, %%" reg "17, %%" reg "13\n" \
    "vfmadd231ps %%" reg "16, %%" reg "17, %%" reg "14\n vfmadd231ps %%" reg "16, %%" reg "17, %%" reg "15\n"

// `iterations` x 16 FMAs of 16 lanes; returns FLOPs done.
__attribute__((target("avx512f"))) inline void fma_loop_avx512(std::int64_t iterations) {
    __asm__ volatile("1:\n" KILN_FMA16("zmm") "dec %0\n jnz 1b\n"
                     : "+r"(iterations)
                     :
                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
                       "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "cc");
}

// The AVX2 form: ymm0-15 only, so the two operands are ymm14/15 and 14 accumulators.
__attribute__((target("avx2,fma"))) inline void fma_loop_avx2(std::int64_t iterations) {
    __asm__ volatile("1:\n"
                     "vfmadd231ps %%ymm14, %%ymm15, %%ymm0\n vfmadd231ps %%ymm14, %%ymm15, %%ymm1\n"
                     "vfmadd231ps %%ymm14, %%ymm15, %%ymm2\n vfmadd231ps %%ymm14, %%ymm15, %%ymm3\n"
                     "vfmadd231ps %%ymm14, %%ymm15, %%ymm4\n vfmadd231ps %%ymm14, %%ymm15, %%ymm5\n"
                     "vfmadd231ps %%ymm14, %%ymm15, %%ymm6\n vfmadd231ps %%ymm14, %%ymm15, %%ymm7\n"
                     "vfmadd231ps %%ymm14, %%ymm15, %%ymm8\n vfmadd231ps %%ymm14, %%ymm15, %%ymm9\n"
                     "vfmadd231ps %%ymm14, %%ymm15, %%ymm10\n vfmadd231ps %%ymm14, %%ymm15, %%ymm11\n"
                     "vfmadd231ps %%ymm14, %%ymm15, %%ymm12\n vfmadd231ps %%ymm14, %%ymm15, %%ymm13\n"
                     "dec %0\n jnz 1b\n"
                     : "+r"(iterations)
                     :
                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
                       "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "cc");
}

// FLOPs of one call of fma_loop(iterations) on this CPU (2 per lane per FMA).
inline double fma_loop(std::int64_t iterations) {
    if (__builtin_cpu_supports("avx512f")) {
        fma_loop_avx512(iterations);
        return 16.0 * 16 * 2 * double(iterations);
    }
    fma_loop_avx2(iterations);
    return 14.0 * 8 * 2 * double(iterations);
}

// Best of a few 20 ms runs, in FLOP/s.
inline double measure_peak_flops() {
    double best = 0;
    for (int rep = 0; rep < 5; ++rep) {
        const auto t0 = std::chrono::steady_clock::now();
        const double flops = fma_loop(4'000'000);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (flops / s > best) best = flops / s;
    }
    return best;
}

}  // namespace kiln::bench
