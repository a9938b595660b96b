#pragma once
/*  The CPU target kiln compiles for: Halide's host target, corrected where Halide 14 reads
    the CPU wrong.
    Halide 14 takes a CPU with AVX512-BF16 for a Sapphire Rapids (avx512_sapphirerapids),
    which lets LLVM use AVX-VNNI: the VEX-encoded vpdpwssd, which AMD's Zen 4 has only in
    its AVX-512 (EVEX) form. Code built for "host" on a Zen 4 then dies of SIGILL where LLVM
    picks that instruction (it did in a JIT-compiled max-pooling net's cost). On such a CPU,
    host_target() is Halide's host target without avx512_sapphirerapids: its Cannon Lake
    level, which keeps AVX-512 F/CD/VL/BW/DQ/IFMA/VBMI and FMA.
    USE  host_target() for a build on this machine (cmake/host_target.cpp prints it, for the
         generators' TARGETS); jit_target() for a JIT build: HL_JIT_TARGET when it is set,
         as Halide's get_jit_target_from_environment(), else host_target().            */
#include <cpuid.h>
#include <cstdlib>

#include <Halide.h>

namespace kiln::codegen {

// CPUID.(EAX=7, ECX=1):EAX bit 4: AVX-VNNI, the VEX-encoded VNNI instructions.
inline bool cpu_has_avx_vnni() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d)) return false;
    return (a >> 4) & 1u;
}

inline Halide::Target host_target() {
    Halide::Target t = Halide::get_host_target();
    if (t.arch == Halide::Target::X86 && t.has_feature(Halide::Target::AVX512_SapphireRapids) && !cpu_has_avx_vnni())
        t = t.without_feature(Halide::Target::AVX512_SapphireRapids);
    return t;
}

inline Halide::Target jit_target() {
    if (const char* env = std::getenv("HL_JIT_TARGET"); env && *env) return Halide::get_jit_target_from_environment();
    return host_target();
}

}  // namespace kiln::codegen
