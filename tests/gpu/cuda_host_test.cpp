// Every network's CUDA builds, run on a CUDA driver that runs no kernels (cuda_stub.cpp),
// so on any machine: a prediction at batch 1 and at the training batch, and an Adam step at
// the training batch, with every launch held to CUDA's limits and the registers ptxas gave
// its kernel (launch_limits.hpp). kiln_gpu_tests' CUDA cases, which need a GPU, compare
// values at small batches; these check that the same builds launch at the sizes they train
// at (ResNet-50: batch 32, its 23.5 M parameters in one Adam update), and run kiln's
// runtime on CUDA around them: arenas and their device crops, copies, the segmented runner.
// Each of those calls, made a second time, must take every buffer its pipelines allocate
// from what runtime/device_cache.cpp kept from the first (the driver's own count goes in the
// message). An arena's device side is checked value by value, since copies are real here.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <string_view>

#include "gpu_support.hpp"
#include "runtime/optimizer.hpp"

#include "dinosaur_names_kernels.hpp"
#include "dinosaur_names_step_kernels.hpp"
#include "emojify_v1_kernels.hpp"
#include "emojify_v2_kernels.hpp"
#include "fashion_cnn_kernels.hpp"
#include "fashion_mlp_kernels.hpp"
#include "happy_house_kernels.hpp"
#include "init_circles_kernels.hpp"
#include "jazz_lstm_kernels.hpp"
#include "jazz_step_kernels.hpp"
#include "l_layer_nn_kernels.hpp"
#include "logistic_regression_kernels.hpp"
#include "mobilenet_fine_tune_kernels.hpp"
#include "mobilenet_transfer_kernels.hpp"
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
#include "networks/c4w2_mobilenet_transfer/net.hpp"
#include "networks/c4w2_resnet50/net.hpp"
#include "networks/c5w1_dinosaur_names/net.hpp"
#include "networks/c5w1_jazz_lstm/net.hpp"
#include "networks/c5w1_text_lstm/net.hpp"
#include "networks/c5w2_emojify/net.hpp"
#include "nsfwjs_features_kernels.hpp"
#include "nsfwjs_mobilenet_kernels.hpp"
#include "optimizers_kernels.hpp"
#include "planar_classifier_kernels.hpp"
#include "regularization_kernels.hpp"
#include "resnet50_kernels.hpp"
#include "signs_cnn_kernels.hpp"
#include "signs_mlp_kernels.hpp"
#include "text_lstm_kernels.hpp"
#include "text_lstm_step_kernels.hpp"
#include "two_layer_nn_kernels.hpp"

using namespace kiln;

extern "C" unsigned long long kiln_cuda_stub_allocations();  // cuda_stub.cpp

namespace {

// indices: > 0 when the inputs are an embedding's indices below it; train: false for a
// FORWARD_ONLY build.
template <class Net>
void launches_fit_at(const kernel_set& kernels, std::size_t batch, int indices, bool train) {
    REQUIRE(device_status(device_kind::cuda).empty());  // the stub answers
    REQUIRE(kernels.has_target("cuda"));
    for (const kernel_variant& v : kernels.variants) {
        if (std::string_view(v.target) != "cuda") continue;
        INFO("cuda schedule " << v.schedule << ", batch " << batch);
        model<Net> m(kernels, v.schedule, device_kind::cuda);
        m.initialize(init_scheme::xavier, 3);
        std::mt19937 rng(7);
        const std::vector<float> x = test::random_inputs<Net>(batch, rng, indices);
        const std::vector<float> y = train ? test::random_labels<Net>(batch, rng) : std::vector<float>{};
        adam opt(0.001f);
        // each phase's launches logged apart (KILN_LAUNCH_LOG): how many a step makes
        std::map<std::string, test::kernel_launches> all;
        test::take_launches();
        // and then, run again, its pipelines' buffers all come from what the first run freed
        // (runtime/device_cache.cpp)
        auto phase = [&](const std::string& what, const auto& run) {
            run();
            const std::map<std::string, test::kernel_launches> launches = test::take_launches();
            test::log_launches(launches, kernels.network, std::string(v.schedule) + " " + what);
            for (const auto& [kernel, l] : launches) {
                test::kernel_launches& a = all[kernel];
                a = {std::max(a.threads, l.threads), std::max(a.shared_bytes, l.shared_bytes), a.count + l.count};
            }
            const unsigned long long before = kiln_cuda_stub_allocations();
            const device_allocations kept = device_allocation_counts();
            run();
            test::take_launches();
            // the pipelines' own buffers, all from what was kept; the driver's count besides
            // (a buffer Halide's runtime allocates itself, copying an input, can still reach
            // the driver: Halide keeps 32)
            INFO(what << " again: " << kiln_cuda_stub_allocations() - before << " allocations reached the driver");
            CHECK(device_allocation_counts().fresh - kept.fresh == 0);
            CHECK(device_allocation_counts().reused > kept.reused);
            return launches;
        };
        phase("predict b1", [&] { m.predict(std::span<const float>(x).first(model<Net>::sample_size), 1); });
        phase("predict b" + std::to_string(batch), [&] { m.predict(x, batch); });
        if (train) {
            const std::string step = "adam step b" + std::to_string(batch);
            phase(step, [&] { m.train_step(x, y, batch, opt, step_settings{0.05f, 1.f, 11, 0}); });
            // without the L2 term its sums of squares are skipped: no launch at all
            const std::map<std::string, test::kernel_launches> plain =
                phase(step + " l2 0", [&] { m.train_step(x, y, batch, opt, step_settings{0.f, 1.f, 11, 0}); });
            for (const auto& [kernel, l] : plain) {
                INFO(kernel);
                CHECK(kernel.find("_sum_sq") == std::string::npos);
            }
        }
        test::launches_fit(kernels.network, v.schedule, all);
    }
}

template <auto& Decl>
using net_t = network_of<Decl>;

}  // namespace

TEST_CASE("cuda host: an arena's views and device range hold the host values", "[cuda-host]") {
    test::arena_layout(device_kind::cuda);
}

#define KILN_HOST_CASE(NAME, DECL, BATCH, INDICES, TRAIN)                                                   \
    TEST_CASE("cuda host: " #NAME "'s launches at batch " #BATCH " fit CUDA's limits", "[cuda-host]") {     \
        launches_fit_at<net_t<DECL>>(generated::NAME::kernels, BATCH, INDICES, TRAIN);                       \
    }

KILN_HOST_CASE(logistic_regression, networks::logistic_regression, 64, 0, true)
KILN_HOST_CASE(planar_classifier, networks::planar_classifier, 400, 0, true)
KILN_HOST_CASE(two_layer_nn, networks::two_layer_nn, 64, 0, true)
KILN_HOST_CASE(l_layer_nn, networks::l_layer_nn, 64, 0, true)
KILN_HOST_CASE(init_circles, networks::init_circles, 300, 0, true)
KILN_HOST_CASE(regularization, networks::regularization, 211, 0, true)
KILN_HOST_CASE(optimizers, networks::optimizers, 64, 0, true)
KILN_HOST_CASE(signs_mlp, networks::signs_mlp, 32, 0, true)
KILN_HOST_CASE(fashion_mlp, networks::fashion_mlp, 64, 0, true)
KILN_HOST_CASE(happy_house, networks::happy_house, 16, 0, true)
KILN_HOST_CASE(signs_cnn, networks::signs_cnn, 64, 0, true)
KILN_HOST_CASE(fashion_cnn, networks::fashion_cnn, 64, 0, true)
KILN_HOST_CASE(mobilenet_transfer, networks::mobilenet::transfer, 32, 0, true)
KILN_HOST_CASE(mobilenet_fine_tune, networks::mobilenet::fine_tune, 32, 0, true)
KILN_HOST_CASE(nsfwjs_mobilenet, networks::mobilenet::nsfwjs_model, 32, 0, false)
KILN_HOST_CASE(nsfwjs_features, networks::mobilenet::nsfwjs_features, 32, 0, false)
KILN_HOST_CASE(resnet50, networks::resnet50, 32, 0, true)
KILN_HOST_CASE(dinosaur_names, networks::dinosaur_names, 64, 0, true)
KILN_HOST_CASE(dinosaur_names_step, networks::dinosaur_names_step, 64, 0, false)
KILN_HOST_CASE(text_lstm, networks::text_lstm, 64, 0, true)
KILN_HOST_CASE(text_lstm_step, networks::text_lstm_step, 64, 0, false)
KILN_HOST_CASE(jazz_lstm, networks::jazz_lstm, 60, 0, true)
KILN_HOST_CASE(jazz_step, networks::jazz_step, 60, 0, false)
KILN_HOST_CASE(emojify_v1, networks::emojify_v1, 32, 0, true)
KILN_HOST_CASE(emojify_v2, networks::emojify_v2, 32, networks::emojify_vocabulary, true)
