/*  kiln-bench: Google Benchmark over every network x stage x schedule.
    NAMES     BM_<net>/<stage>/<schedule>, stage in train_b64 (one optimizer step: forward,
              backward, SGD update), infer_b1, infer_b64 (forward only). Target host.
    COUNTERS  items_per_second = samples/s (real time: Halide runs its own thread pool).
    THREADS   HL_NUM_THREADS sets Halide's pool; bench/compare.py runs this binary and the
              PyTorch twins (bench/pytorch/) at 1 and 2 threads and prints the ratios.     */
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "l_layer_nn_kernels.hpp"
#include "logistic_regression_kernels.hpp"
#include "networks/c1w2_logistic_regression/net.hpp"
#include "networks/c1w3_planar_classifier/net.hpp"
#include "networks/c1w4_l_layer_nn/net.hpp"
#include "networks/c1w4_two_layer_nn/net.hpp"
#include "planar_classifier_kernels.hpp"
#include "runtime/model.hpp"
#include "runtime/random.hpp"
#include "two_layer_nn_kernels.hpp"

namespace {

std::vector<float> random_values(std::size_t n, std::uint64_t seed, bool binary = false) {
    kiln::rng gen(seed);
    std::vector<float> v(n);
    for (float& x : v) x = binary ? static_cast<float>(gen.below(2)) : static_cast<float>(gen.uniform());
    return v;
}

template <class Net>
void register_network(const char* name, const kiln::kernel_set& kernels) {
    for (const kiln::kernel_variant& variant : kernels.variants) {
        const std::string schedule = variant.schedule;
        auto make = [&kernels, schedule] {
            auto m = std::make_shared<kiln::model<Net>>(kernels, schedule);
            m->initialize(kiln::init_scheme::xavier, 1);
            return m;
        };
        benchmark::RegisterBenchmark(("BM_" + std::string(name) + "/train_b64/" + schedule).c_str(),
                                     [make](benchmark::State& state) {
                                         auto m = make();
                                         constexpr std::size_t n = 64;
                                         const auto x = random_values(n * kiln::model<Net>::sample_size, 2);
                                         const auto y = random_values(n * kiln::model<Net>::output_size, 3, true);
                                         kiln::sgd opt(0.01f);
                                         for (auto _ : state) {
                                             benchmark::DoNotOptimize(m->compute_gradients(x, y, n));
                                             opt.step(m->parameters(), m->gradients());
                                         }
                                         state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
                                     })
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
        for (std::size_t n : {std::size_t{1}, std::size_t{64}}) {
            benchmark::RegisterBenchmark(
                ("BM_" + std::string(name) + "/infer_b" + std::to_string(n) + "/" + schedule).c_str(),
                [make, n](benchmark::State& state) {
                    auto m = make();
                    const auto x = random_values(n * kiln::model<Net>::sample_size, 2);
                    for (auto _ : state) benchmark::DoNotOptimize(m->predict(x, n));
                    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
                })
                ->UseRealTime()
                ->Unit(benchmark::kMicrosecond);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    using namespace kiln;
    register_network<network_of<networks::logistic_regression>>("logistic_regression",
                                                                 generated::logistic_regression::kernels);
    register_network<network_of<networks::planar_classifier>>("planar_classifier",
                                                               generated::planar_classifier::kernels);
    register_network<network_of<networks::two_layer_nn>>("two_layer_nn", generated::two_layer_nn::kernels);
    register_network<network_of<networks::l_layer_nn>>("l_layer_nn", generated::l_layer_nn::kernels);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
