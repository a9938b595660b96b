/*  kiln-conv-bench: every convolution layer of bench/conv/cases.hpp, forward and backward,
    at batch 1 and 8, under each schedule built (manual, the autoschedulers in
    KILN_CONV_BENCH_SCHEDULES).
    NAMES     BM_peak_fma                          this machine's FP32 peak, one thread
              BM_conv/<case>/<fwd|bwd>/b<N>/<schedule>
    COUNTERS  GFLOPs   the layer's FLOPs / time (forward: 2 F C K^2 W' H' N; backward: that
                       for d_W, plus the same for d_x where the case computes it)
              pct_peak GFLOPs as % of the FMA loop's peak times HL_NUM_THREADS (default 1
                       here, so that 1-thread figures are the primary ones)           */
#include <benchmark/benchmark.h>

#include <HalideBuffer.h>
#include <HalideRuntime.h>

#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "bench/conv/cases.hpp"
#include "bench/conv/peak.hpp"
#include "conv_bench_kernels.hpp"
#include "runtime/pipeline.hpp"

namespace {

using buffer = Halide::Runtime::Buffer<float>;
using entry = int (*)(void**);

double peak_per_thread = 0;

int threads() {
    const char* t = std::getenv("HL_NUM_THREADS");
    return t ? std::max(1, std::atoi(t)) : 1;
}

buffer random_buffer(std::vector<int> dims, unsigned seed) {
    buffer b(dims);
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    b.for_each_value([&](float& v) { v = u(gen); });
    return b;
}

struct conv_shape {
    int H, W, C, F, K, S;
    bool d_in;
    int Wo() const { return (W + S - 1) / S; }
    int Ho() const { return (H + S - 1) / S; }
    double flops(int n) const { return 2.0 * F * C * K * K * Wo() * Ho() * n; }
};

void run(benchmark::State& state, entry fn, const conv_shape& c, bool backward, int n) {
    buffer x = random_buffer({c.C, c.W, c.H, n}, 1), W = random_buffer({c.F, c.C, c.K, c.K}, 2);
    buffer b = random_buffer({c.F}, 3), y(c.F, c.Wo(), c.Ho(), n), dy = random_buffer({c.F, c.Wo(), c.Ho(), n}, 4);
    buffer dx(c.C, c.W, c.H, n), dW(c.F, c.C, c.K, c.K), db(c.F);
    std::vector<halide_buffer_t*> bufs;
    if (!backward) bufs = {x.raw_buffer(), W.raw_buffer(), b.raw_buffer(), y.raw_buffer()};
    else if (c.d_in) bufs = {x.raw_buffer(), W.raw_buffer(), dy.raw_buffer(), dx.raw_buffer(), dW.raw_buffer(), db.raw_buffer()};
    else bufs = {x.raw_buffer(), W.raw_buffer(), dy.raw_buffer(), dW.raw_buffer(), db.raw_buffer()};
    std::vector<void*> args;
    for (halide_buffer_t*& p : bufs) args.push_back(p);
    fn(args.data());  // warm-up: first-touch page faults of the scratch buffers
    for (auto _ : state) {
        const int err = fn(args.data());
        if (err != 0) {
            state.SkipWithError("the pipeline returned an error");
            break;
        }
    }
    const double flops = c.flops(n) * (backward ? (c.d_in ? 2 : 1) : 1);
    state.counters["GFLOPs"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["pct_peak"] = benchmark::Counter(flops / 1e9 / (peak_per_thread * threads() / 1e9) * 100,
                                                    benchmark::Counter::kIsIterationInvariantRate);
}

void register_case(const std::string& name, const conv_shape& c, const std::vector<kiln::bench::conv_kernel>& kernels) {
    for (const auto& k : kernels)
        for (int n : {1, 8})
            for (bool backward : {false, true}) {
                // Adams2019's schedules read past a batch smaller than the one they were
                // searched for (batch_estimate 8): "x is accessed at -1 in dimension 3".
                const std::string schedule = k.schedule;
                if (n < 8 && (schedule == "Adams2019" || schedule == "Li2018")) continue;
                const std::string full = "BM_conv/" + name + (backward ? "/bwd/b" : "/fwd/b") + std::to_string(n) +
                                         "/" + k.schedule;
                const entry fn = backward ? k.backward : k.forward;
                if (fn == nullptr) continue;
                benchmark::RegisterBenchmark(full.c_str(), [fn, c, backward, n](benchmark::State& s) {
                    run(s, fn, c, backward, n);
                })->UseRealTime()->Unit(benchmark::kMicrosecond);
            }
}

}  // namespace

int main(int argc, char** argv) {
    setenv("HL_NUM_THREADS", "1", 0);  // 1-thread figures unless asked otherwise
    kiln::use_caching_allocator();      // as the runtime runs every pipeline
    peak_per_thread = kiln::bench::measure_peak_flops();
    benchmark::RegisterBenchmark("BM_peak_fma", [](benchmark::State& state) {
        double flops = 0;
        for (auto _ : state) flops += kiln::bench::fma_loop(1'000'000);
        state.counters["GFLOPs"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsRate);
    })->UseRealTime()->Unit(benchmark::kMicrosecond);
#define KILN_REGISTER_CASE(name, H, W, C, F, K, S, DIn) \
    register_case(#name, {H, W, C, F, K, S, DIn}, kiln::bench::conv_##name##_kernels);
    KILN_CONV_CASES(KILN_REGISTER_CASE)
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
