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

// x86 features, each with a CPU flag (of those the kernel reports) that it needs.
using Feature = Halide::Target::Feature;
const std::pair<Feature, const char*> needs[] = {
    {Halide::Target::SSE41, "sse4_1"},
    {Halide::Target::AVX, "avx"},
    {Halide::Target::AVX2, "avx2"},
    {Halide::Target::FMA, "fma"},
    {Halide::Target::F16C, "f16c"},
    {Halide::Target::AVX512, "avx512f"},
    {Halide::Target::AVX512_Skylake, "avx512bw"},
    {Halide::Target::AVX512_Cannonlake, "avx512ifma"},
    {Halide::Target::AVX512_SapphireRapids, "avx512_bf16"},
    {Halide::Target::AVX512_SapphireRapids, "avx_vnni"}};

// Each feature the target names, against the flags that the kernel reports for it.
void check_against_cpu(const Halide::Target& t, const std::set<std::string>& flags) {
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
    // Nothing the CPU has is given up: each feature Halide found whose flags the CPU
    // reports stays (a correction down to, say, AVX2 would pass the checks above).
    const Halide::Target halide = Halide::get_host_target();
    for (const auto& [feature, flag] : needs) {
        bool has_all = halide.has_feature(feature);
        for (const auto& [f, fl] : needs)
            if (f == feature) has_all = has_all && flags.count(fl) == 1;
        INFO(Halide::Target::feature_to_name(feature) << ", which this CPU has, is kept");
        if (has_all) CHECK(kiln::codegen::host_target().has_feature(feature));
    }
}
