// The CPU target kiln compiles for (codegen/target.hpp, and KILN_CPU_TARGET, which CMake
// gives the generators) asks only for what this CPU has, by the kernel's own account of it
// (/proc/cpuinfo's flags). Halide 14's host target alone fails this on an AMD Zen 4: it
// names avx512_sapphirerapids, whose AVX-VNNI instructions the CPU lacks.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "codegen/target.hpp"

namespace {

std::set<std::string> cpu_flags() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("flags", 0) == 0) {
            std::istringstream words(line.substr(line.find(':') + 1));
            std::set<std::string> flags;
            for (std::string w; words >> w;) flags.insert(w);
            return flags;
        }
    return {};
}

// Each x86 feature the target names, against the flags that the kernel reports for it.
void check_against_cpu(const Halide::Target& t, const std::set<std::string>& flags) {
    using F = Halide::Target;
    const std::pair<F::Feature, const char*> needs[] = {
        {F::SSE41, "sse4_1"},      {F::AVX, "avx"},           {F::AVX2, "avx2"},
        {F::FMA, "fma"},           {F::F16C, "f16c"},         {F::AVX512, "avx512f"},
        {F::AVX512_Skylake, "avx512bw"}, {F::AVX512_Cannonlake, "avx512ifma"},
        {F::AVX512_SapphireRapids, "avx512_bf16"}, {F::AVX512_SapphireRapids, "avx_vnni"}};
    for (const auto& [feature, flag] : needs) {
        INFO(t.to_string() << " needs the CPU flag " << flag);
        if (t.has_feature(feature)) CHECK(flags.count(flag) == 1);
    }
}

}  // namespace

TEST_CASE("the CPU target asks only for instructions this CPU has", "[codegen][target]") {
    const std::set<std::string> flags = cpu_flags();
    if (flags.empty() || Halide::get_host_target().arch != Halide::Target::X86) {
        WARN("skipped: no x86 flags in /proc/cpuinfo");
        return;
    }
    check_against_cpu(kiln::codegen::host_target(), flags);
    check_against_cpu(Halide::Target(KILN_CPU_TARGET), flags);
    // What Halide found stays, but for the one feature it misreads.
    const Halide::Target halide = Halide::get_host_target();
    CHECK(kiln::codegen::host_target().without_feature(Halide::Target::AVX512_SapphireRapids) ==
          halide.without_feature(Halide::Target::AVX512_SapphireRapids));
}
