/*  kiln-bench: Google Benchmark over every network x stage x schedule.
    NAMES     BM_<net>/<stage>/<schedule>, stage train_b<N> (one optimizer step on a batch of
              N: forward, backward, SGD update with lr 0.01, as model::train_step) or
              infer_b<N> (forward only). Every network runs default_stages (train_b64,
              infer_b1, infer_b64) unless it lists its own (ResNet-50: train_b8, train_b32,
              infer_b1, infer_b8, infer_b32; at 224x224 train_b8, infer_b1, infer_b8, and
              on a GPU infer_b64).
              CUDA builds (KILN_CUDA) add BM_<net>/<stage>/<schedule>/cuda when a GPU answers:
              parameters stay on the GPU; each step's batch goes up and its cost (or the
              predictions) come back, which also waits for the GPU to finish. OpenCL builds
              add .../opencl the same way, with KILN_BENCH_OPENCL=1 in the environment.
              Google Benchmark appends /real_time to every name (UseRealTime): a filter
              anchored at the end ends in /cuda/real_time$.
    KERNELS   KILN_KERNEL_TIMES=FILE: each GPU kernel's time in the timed steps
              (bench/kernel_times.hpp).
    COUNTERS  items_per_second = samples/s (real time: Halide runs its own thread pool);
              flop_per_sample: forward_flops<Net>() (2 F C KH KW W' H' per conv2d, 2 C KH KW
              W' H' per depthwise_conv2d, 2 in out per dense, from the network type), 3x
              that for a train stage (backward's d_x and d_W each cost about a forward);
              GFLOPs = flop_per_sample x samples/s; pct_peak = GFLOPs as % of this machine's
              FMA peak on as many threads as Halide's pool (measured once at start-up, see
              bench/conv/peak.hpp; peak_fma_* in the JSON context).
    THREADS   HL_NUM_THREADS sets Halide's pool; bench/compare.py runs this binary and the
              PyTorch twins (bench/pytorch/) at 1 and 2 threads and prints the ratios.
    LARGE     -DKILN_BENCH_LARGE=ON also builds and registers resnet50_224 (minutes of Halide
              compilation; off by default and in CI).                                      */
#include <benchmark/benchmark.h>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "runtime/device.hpp"

#include "bench/conv/peak.hpp"
#include "bench/kernel_times.hpp"
#include "dsl/kiln.hpp"

#include "fashion_mlp_kernels.hpp"
#include "dinosaur_names_kernels.hpp"
#include "emojify_v2_kernels.hpp"
#include "jazz_lstm_kernels.hpp"
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
#include "networks/c5w1_dinosaur_names/net.hpp"
#include "networks/c5w1_jazz_lstm/net.hpp"
#include "networks/c5w1_text_lstm/net.hpp"
#include "networks/c5w2_emojify/net.hpp"
#include "optimizers_kernels.hpp"
#include "regularization_kernels.hpp"
#include "signs_cnn_kernels.hpp"
#include "text_lstm_kernels.hpp"
#include "signs_mlp_kernels.hpp"
#include "planar_classifier_kernels.hpp"
#include "runtime/model.hpp"
#include "runtime/random.hpp"
#include "two_layer_nn_kernels.hpp"
#if KILN_BENCH_RESNET50
#include "networks/c4w2_resnet50/net.hpp"
#include "resnet50_kernels.hpp"
#endif
#if KILN_BENCH_RESNET50_224
#include "networks/c4w2_resnet50/bench_nets.hpp"
#include "resnet50_224_kernels.hpp"
#endif

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

// ---------------------------------------------------------------- FLOPs
// One sample's forward FLOPs per layer: a multiply-add is 2. Only the layers that multiply
// weights count; activations, pools, batch norms, merges and losses are left out (they are
// a few FLOPs per activation, noise next to the convolutions).
template <class L>
struct layer_flops {
    static constexpr double of(kiln::shape, kiln::shape) { return 0; }
};
template <class L>
struct layer_flops<kiln::frozen_t<L>> : layer_flops<L> {};
template <int F, int KH, int KW, int S, kiln::padding P, bool B>
struct layer_flops<kiln::conv2d_t<F, KH, KW, S, P, B>> {
    // in (C, W, H), out (F, W', H'): 2 F C KH KW W' H'
    static constexpr double of(kiln::shape in, kiln::shape out) { return 2.0 * F * in[0] * KH * KW * out[1] * out[2]; }
};
template <int KH, int KW, int S, kiln::padding P, bool B>
struct layer_flops<kiln::depthwise_conv2d_t<KH, KW, S, P, B>> {
    static constexpr double of(kiln::shape in, kiln::shape out) { return 2.0 * in[0] * KH * KW * out[1] * out[2]; }
};
template <int Out>
struct layer_flops<kiln::dense_t<Out>> {
    static constexpr double of(kiln::shape in, kiln::shape) { return 2.0 * in[0] * Out; }
};
// every step: the gates' 2 G H (F + H) (input and recurrent products)
template <kiln::cell_kind C, int H, bool S>
struct layer_flops<kiln::recurrent_t<C, H, S>> {
    static constexpr double of(kiln::shape in, kiln::shape) {
        return 2.0 * kiln::recurrent_t<C, H, S>::gates * H * (in[0] + H) * in[1];
    }
};
// the layer's per step, T times
template <class L>
struct layer_flops<kiln::time_distributed_t<L>> {
    static constexpr double of(kiln::shape in, kiln::shape out) {
        return in[1] * layer_flops<L>::of(kiln::make_features(in[0]), kiln::make_features(out[0]));
    }
};

// The network's forward FLOPs per sample, over its nodes in topological order.
template <class Net>
constexpr double forward_flops() {
    double flops = 0;
    boost::hana::for_each(Net::nodes, [&](auto t) {
        using N = typename decltype(t)::type;
        if constexpr (requires { typename N::layer_type; })
            flops += layer_flops<typename N::layer_type>::of(N::from::out, N::out);
    });
    return flops;
}

// ---------------------------------------------------------------- peak
// This machine's FP32 FMA peak: per thread, and with `threads` threads running the loop of
// bench/conv/peak.hpp at once (on a VM the vCPUs may share cores). Each thread times its own
// run and the span from the first start to the last end counts: the main thread, one more
// than there are cores, may be scheduled late. Best of 5.
double peak_flops_on(int threads) {
    if (threads <= 1) return kiln::bench::measure_peak_flops();
    using clock = std::chrono::steady_clock;
    double best = 0;
    for (int rep = 0; rep < 5; ++rep) {
        std::barrier start(threads);
        std::vector<double> flops(static_cast<std::size_t>(threads));
        std::vector<clock::time_point> begin(flops.size()), end(flops.size());
        {
            std::vector<std::jthread> pool;
            for (std::size_t t = 0; t < flops.size(); ++t)
                pool.emplace_back([&, t] {
                    start.arrive_and_wait();
                    begin[t] = clock::now();
                    flops[t] = kiln::bench::fma_loop(4'000'000);
                    end[t] = clock::now();
                });
        }  // joined
        const double s =
            std::chrono::duration<double>(*std::max_element(end.begin(), end.end()) -
                                          *std::min_element(begin.begin(), begin.end())).count();
        double total = 0;
        for (double f : flops) total += f;
        best = std::max(best, total / s);
    }
    return best;
}

int bench_threads();
double peak_flops = 0;  // on bench_threads() threads, set in main

// ---------------------------------------------------------------- networks
struct stage {
    bool train;
    std::size_t batch;
    bool gpu_only = false;  // timed on a GPU only (too slow on a CPU to be worth it)
    std::string name() const { return (train ? "train_b" : "infer_b") + std::to_string(batch); }
};
const std::vector<stage> default_stages = {{true, 64}, {false, 1}, {false, 64}};

void set_flop_counters(benchmark::State& state, double flop_per_sample, std::size_t batch) {
    if (flop_per_sample <= 0) return;
    const double per_iteration = flop_per_sample * static_cast<double>(batch);
    state.counters["flop_per_sample"] = flop_per_sample;
    state.counters["GFLOPs"] = benchmark::Counter(per_iteration / 1e9, benchmark::Counter::kIsIterationInvariantRate);
    if (peak_flops > 0)
        state.counters["pct_peak"] =
            benchmark::Counter(per_iteration / peak_flops * 100, benchmark::Counter::kIsIterationInvariantRate);
}

// OpenCL builds are timed only when KILN_BENCH_OPENCL=1: on a machine whose OpenCL is pocl
// (the CPU) they would double the run and measure nothing the CPU builds do not.
bool opencl_wanted() {
    const char* v = std::getenv("KILN_BENCH_OPENCL");
    return v != nullptr && std::string_view(v) == "1";
}

// With KILN_KERNEL_TIMES, the GPU kernels of a benchmark's timed loop (bench/kernel_times.hpp):
// from its construction, after the warm-up, to its destruction, after the loop.
class timed_kernels {
public:
    timed_kernels(const benchmark::State& state, std::string name) : state_(state), name_(std::move(name)) {
        if (kiln::bench::kernel_times_on()) kiln::bench::kernel_times_start();
    }
    ~timed_kernels() {
        if (kiln::bench::kernel_times_on())
            kiln::bench::kernel_times_stop(name_, static_cast<long>(state_.iterations()),
                                           std::chrono::duration<double>(clock::now() - begin_).count());
    }
    timed_kernels(const timed_kernels&) = delete;
    timed_kernels& operator=(const timed_kernels&) = delete;

private:
    using clock = std::chrono::steady_clock;
    const benchmark::State& state_;
    std::string name_;
    clock::time_point begin_ = clock::now();
};

// Whether builds for device are timed here (the CPU's always).
bool gpu_benchmarked(kiln::device_kind device) {
    if (device == kiln::device_kind::opencl && !opencl_wanted()) return false;
    return kiln::device_status(device).empty();
}

template <class Net>
void register_network(const char* name, const kiln::kernel_set& kernels,
                      const std::vector<stage>& stages = default_stages) {
    constexpr double flops = forward_flops<Net>();
    for (const kiln::kernel_variant& variant : kernels.variants) {
        const std::string schedule = variant.schedule;
        const kiln::device_kind device = std::string_view(variant.target) == "host"
                                             ? kiln::device_kind::cpu
                                             : kiln::parse_device(variant.target);
        if (!gpu_benchmarked(device)) continue;  // said once in main
        auto make = [&kernels, schedule, device] {
            auto m = std::make_shared<kiln::model<Net>>(kernels, schedule, device);
            m->initialize(kiln::init_scheme::xavier, 1);
            return m;
        };
        for (const stage& st : stages) {
            const std::size_t n = st.batch;
            // under the build's smallest batch the model would run another schedule
            if (n < static_cast<std::size_t>(variant.min_batch) || (st.gpu_only && !kiln::is_gpu(device))) continue;
            const std::string full = "BM_" + std::string(name) + "/" + st.name() + "/" + schedule +
                                     (kiln::is_gpu(device) ? "/" + std::string(variant.target) : "");
            if (st.train)
                benchmark::RegisterBenchmark(full.c_str(), [make, n, full](benchmark::State& state) {
                    auto m = make();
                    const auto x = random_values(n * kiln::model<Net>::sample_size, 2);
                    // a one-hot row per sample, or per step of a sequence output (O, T)
                    constexpr std::size_t O = Net::output_shape[0], rows = kiln::model<Net>::output_size / O;
                    const auto y = random_targets(n * rows, O, 3);
                    kiln::sgd opt(0.01f);
                    // warm-up, as bench/pytorch does: the first call pays for first-touch
                    // page faults of its buffers
                    m->train_step(x, y, n, opt);
                    const timed_kernels timing(state, full);
                    for (auto _ : state) benchmark::DoNotOptimize(m->train_step(x, y, n, opt));
                    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
                    set_flop_counters(state, 3 * flops, n);
                })->UseRealTime()->Unit(benchmark::kMicrosecond);
            else
                benchmark::RegisterBenchmark(full.c_str(), [make, n, full](benchmark::State& state) {
                    auto m = make();
                    const auto x = random_values(n * kiln::model<Net>::sample_size, 2);
                    m->predict(x, n);  // warm-up
                    const timed_kernels timing(state, full);
                    for (auto _ : state) benchmark::DoNotOptimize(m->predict(x, n));
                    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
                    set_flop_counters(state, flops, n);
                })->UseRealTime()->Unit(benchmark::kMicrosecond);
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
    {
        const double per_thread = kiln::bench::measure_peak_flops();
        const int threads = bench_threads();
        peak_flops = peak_flops_on(threads);
        // A VM's vCPUs can be busy elsewhere for a while: on this project's 2-core VM one
        // start-up in eight measured two threads at one thread's peak, and pct_peak then read
        // over 100%. Where T threads reach under 3/4 of T x one thread's, measure again (up to
        // 4 times, half a second apart) and keep the best; say so if it stays low.
        for (int retry = 0; retry < 4 && threads > 1 && peak_flops < 0.75 * threads * per_thread; ++retry) {
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            peak_flops = std::max(peak_flops, peak_flops_on(threads));
        }
        if (threads > 1 && peak_flops < 0.75 * threads * per_thread)
            std::fprintf(stderr,
                         "kiln-bench: %d threads reached %.0f GFLOP/s of FMAs, %.2fx one thread's %.0f: the cores are "
                         "shared or busy; pct_peak is against %.0f\n",
                         threads, peak_flops / 1e9, peak_flops / per_thread, per_thread / 1e9, peak_flops / 1e9);
        benchmark::AddCustomContext("peak_fma_gflops_per_thread", std::to_string(per_thread / 1e9));
        benchmark::AddCustomContext("peak_fma_gflops", std::to_string(peak_flops / 1e9));
        benchmark::AddCustomContext("peak_fma_threads", std::to_string(threads));
        const std::string cuda = kiln::device_status(kiln::device_kind::cuda);
        benchmark::AddCustomContext("cuda", cuda.empty() ? "available" : cuda);
        if (!cuda.empty()) std::fprintf(stderr, "kiln-bench: no CUDA benchmarks: %s\n", cuda.c_str());
        if (opencl_wanted()) {
            const std::string opencl = kiln::device_status(kiln::device_kind::opencl);
            benchmark::AddCustomContext("opencl", opencl.empty() ? "available" : opencl);
            if (!opencl.empty()) std::fprintf(stderr, "kiln-bench: no OpenCL benchmarks: %s\n", opencl.c_str());
        }
    }
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
    // Course 5: the dinosaur RNN as the course trains it (one name per step) and in batches,
    // and the character LSTM (128 units, 40 steps, batch 32)
    register_network<network_of<networks::dinosaur_names>>("dinosaur_names", generated::dinosaur_names::kernels,
                                                            {{true, 1}, {true, 32}, {false, 1}});
    register_network<network_of<networks::text_lstm>>("text_lstm", generated::text_lstm::kernels,
                                                      {{true, 32}, {false, 1}, {false, 32}});
    // the jazz LSTM (64 units, 30 steps) and Emojify V2 (two LSTMs of 128 over 10 words; the
    // random inputs clamp to embedding rows) at the batch sizes their binaries train with
    register_network<network_of<networks::jazz_lstm>>("jazz_lstm", generated::jazz_lstm::kernels,
                                                      {{true, 32}, {false, 1}});
    register_network<network_of<networks::emojify_v2>>("emojify_v2", generated::emojify_v2::kernels,
                                                       {{true, 32}, {false, 1}});
#if KILN_BENCH_RESNET50
    register_network<network_of<networks::resnet50>>(
        "resnet50", generated::resnet50::kernels,
        {{true, 8}, {true, 32}, {false, 1}, {false, 8}, {false, 32}});
#endif
#if KILN_BENCH_RESNET50_224
    register_network<network_of<networks::resnet50_224>>("resnet50_224", generated::resnet50_224::kernels,
                                                          {{true, 8}, {false, 1}, {false, 8}, {false, 64, true}});
#endif
    register_optimizers();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return kiln::bench::kernel_times_write() ? 0 : 1;
}
