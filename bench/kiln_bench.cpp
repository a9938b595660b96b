/*  kiln-bench: Google Benchmark over every network x stage x schedule.
    NAMES     BM_<net>/<stage>/<schedule>, stage in train_b64 (one optimizer step: forward,
              backward, SGD update), infer_b1, infer_b64 (forward only). Target host.
    COUNTERS  items_per_second = samples/s (real time: Halide runs its own thread pool).
    THREADS   HL_NUM_THREADS sets Halide's pool; bench/compare.py runs this binary and the
              PyTorch twins (bench/pytorch/) at 1 and 2 threads and prints the ratios.     */
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "fashion_mlp_kernels.hpp"
#include "happy_house_kernels.hpp"
#include "init_circles_kernels.hpp"
#include "l_layer_nn_kernels.hpp"
#include "logistic_regression_kernels.hpp"
#include "networks/c1w2_logistic_regression/net.hpp"
#include "networks/c1w3_planar_classifier/net.hpp"
#include "networks/c1w4_l_layer_nn/net.hpp"
#include "networks/c1w4_two_layer_nn/net.hpp"
#include "networks/c2w1_init_circles/net.hpp"
#include "networks/c2w1_regularization/net.hpp"
#include "networks/c2w2_optimizers/net.hpp"
#include "networks/c2w3_signs_mlp/net.hpp"
#include "networks/c4w1_happy_house/net.hpp"
#include "networks/c4w1_signs_cnn/net.hpp"
#include "optimizers_kernels.hpp"
#include "regularization_kernels.hpp"
#include "signs_cnn_kernels.hpp"
#include "signs_mlp_kernels.hpp"
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

// 0/1 labels for one output, one-hot rows for several (what the losses expect).
std::vector<float> random_targets(std::size_t n, std::size_t outputs, std::uint64_t seed) {
    if (outputs == 1) return random_values(n, seed, true);
    kiln::rng gen(seed);
    std::vector<float> y(n * outputs, 0.f);
    for (std::size_t i = 0; i < n; ++i) y[i * outputs + gen.below(outputs)] = 1.f;
    return y;
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
                                         const auto y = random_targets(n, kiln::model<Net>::output_size, 3);
                                         kiln::sgd opt(0.01f);
                                         // warm-up, as bench/pytorch does: the first call
                                         // pays for first-touch page faults of its buffers
                                         m->compute_gradients(x, y, n);
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
                    m->predict(x, n);  // warm-up
                    for (auto _ : state) benchmark::DoNotOptimize(m->predict(x, n));
                    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
                })
                ->UseRealTime()
                ->Unit(benchmark::kMicrosecond);
        }
    }
}

}  // namespace

// Optimizer steps over the flat arena against this machine's memory bandwidth, measured in
// the same run. BM_optimizer/<name>/<floats>: bytes_per_second counts what one step must
// move, reads plus writes (sgd: w, g in, w out = 12 B/float; momentum and rmsprop 20;
// adam: w, g, v, s in, w, v, s out = 28). BM_memory_bandwidth/{copy,triad,axpy}: STREAM-style
// loops over 64 MB float arrays (8, 12, 12 B/float, same convention) on as many threads
// as HL_NUM_THREADS gives Halide (default: every core), so the ratio compares like with like.
namespace {

int bench_threads() {
    if (const char* env = std::getenv("HL_NUM_THREADS"); env && std::atoi(env) > 0) return std::atoi(env);
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

template <class Body>
void on_threads(std::size_t n, int threads, const Body& body) {
    std::vector<std::jthread> pool;
    const std::size_t chunk = (n + threads - 1) / threads;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] { body(std::min(n, t * chunk), std::min(n, (t + 1) * chunk)); });
}

void register_optimizers() {
    const std::pair<const char*, int> rules[] = {{"sgd", 12}, {"momentum", 20}, {"rmsprop", 20}, {"adam", 28}};
    for (const auto& [name, bytes] : rules)
        for (std::size_t n : {std::size_t{1} << 20, std::size_t{16} << 20})
            benchmark::RegisterBenchmark(
                ("BM_optimizer/" + std::string(name) + "/" + std::to_string(n)).c_str(),
                [name = std::string(name), bytes = bytes, n](benchmark::State& state) {
                    std::vector<float> w = random_values(n, 4), g = random_values(n, 5);
                    const auto opt = kiln::make_optimizer(name, 1e-4f);
                    opt->step(w, g);  // allocates the state outside the timed loop
                    for (auto _ : state) opt->step(w, g);
                    benchmark::DoNotOptimize(w.data());
                    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * bytes));
                })
                ->UseRealTime()
                ->Unit(benchmark::kMicrosecond);
    // copy and triad write a third array (the store first reads the line: write-allocate);
    // axpy updates in place like the optimizers (w += s g), so it is the closest yardstick.
    constexpr std::size_t n = (64u << 20) / sizeof(float);
    const int threads = bench_threads();
    auto bandwidth = [threads](const char* name, int bytes, auto kernel) {
        benchmark::RegisterBenchmark(("BM_memory_bandwidth/" + std::string(name)).c_str(),
                                     [threads, bytes, kernel](benchmark::State& state) {
                                         std::vector<float> a = random_values(n, 6), b = random_values(n, 7),
                                                            c = random_values(n, 8);
                                         float *pa = a.data(), *pb = b.data(), *pc = c.data();
                                         for (auto _ : state) {
                                             on_threads(n, threads, [&](std::size_t lo, std::size_t hi) {
                                                 for (std::size_t i = lo; i < hi; ++i) kernel(pa, pb, pc, i);
                                             });
                                             benchmark::ClobberMemory();
                                         }
                                         state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * bytes));
                                         state.SetLabel(std::to_string(threads) + " threads");
                                     })
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
    };
    bandwidth("copy", 8, [](float* a, const float* b, const float*, std::size_t i) { a[i] = b[i]; });
    bandwidth("triad", 12, [](float* a, const float* b, const float* c, std::size_t i) { a[i] = b[i] + 3.0f * c[i]; });
    bandwidth("axpy", 12, [](float* a, const float* b, const float*, std::size_t i) { a[i] += 1e-4f * b[i]; });
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
    register_network<network_of<networks::init_circles>>("init_circles", generated::init_circles::kernels);
    register_network<network_of<networks::regularization>>("regularization", generated::regularization::kernels);
    register_network<network_of<networks::optimizers>>("optimizers", generated::optimizers::kernels);
    register_network<network_of<networks::signs_mlp>>("signs_mlp", generated::signs_mlp::kernels);
    register_network<network_of<networks::fashion_mlp>>("fashion_mlp", generated::fashion_mlp::kernels);
    register_network<network_of<networks::signs_cnn>>("signs_cnn", generated::signs_cnn::kernels);
    register_network<network_of<networks::happy_house>>("happy_house", generated::happy_house::kernels);
    register_optimizers();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
