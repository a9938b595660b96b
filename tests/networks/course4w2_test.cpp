// Course 4 week 2's networks: ResNet-50 as C4W2A1 builds it, and MobileNetV2 as C4W2A2 uses
// it. Parameter counts against the ones Keras' model.summary() prints in the course; the
// frozen base left bit for bit as it was by training; the real pretrained MobileNetV2
// (npm nsfwjs, converted in-process) against the outputs the original JavaScript model
// computes on the same photos (tests/data/nsfwjs/: made by make_reference.mjs with TF.js).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>

#include "mobilenet_fine_tune_kernels.hpp"
#include "mobilenet_transfer_kernels.hpp"
#include "networks/c4w2_mobilenet_transfer/base_weights.hpp"
#include "networks/c4w2_mobilenet_transfer/net.hpp"
#include "networks/c4w2_resnet50/net.hpp"
#include "networks/common/signs_digits.hpp"
#include "nsfwjs_features_kernels.hpp"
#include "nsfwjs_mobilenet_kernels.hpp"
#include "resnet50_kernels.hpp"
#include "runtime/augment.hpp"
#include "runtime/datasets/digits.hpp"
#include "runtime/datasets/lfw_faces.hpp"
#include "runtime/image.hpp"
#include "runtime/train.hpp"

using namespace kiln;
namespace mb = kiln::networks::mobilenet;

namespace {

using resnet = network_of<networks::resnet50>;
using transfer_net = network_of<mb::transfer>;
using fine_tune_net = network_of<mb::fine_tune>;
using nsfwjs_net = network_of<mb::nsfwjs_model>;
using features_net = network_of<mb::nsfwjs_features>;

template <class Net>
constexpr int count_kind(const char* kind) {
    int n = 0;
    for (const node_info& info : Net::node_table) n += same_cstr(info.kind, kind);
    return n;
}
template <class Net>
constexpr std::size_t not_trainable() {  // Keras' "Non-trainable params": moving averages, frozen
    std::size_t n = 0;
    for (const param_entry& e : Net::params) n += (!e.spec.trainable || e.spec.frozen) ? e.spec.size() : 0;
    return n;
}

}  // namespace

TEST_CASE("ResNet-50 as C4W2A1 builds it: Keras' parameter counts and the stage shapes", "[networks][resnet50]") {
    // The course's model.summary(): Total params 23,600,006; Non-trainable params 53,120.
    STATIC_REQUIRE(resnet::param_size == 23'600'006);
    STATIC_REQUIRE(not_trainable<resnet>() == 53'120);
    STATIC_REQUIRE(count_kind<resnet>("conv2d") == 53);  // 1 + 16 blocks x 3 + 4 shortcuts
    STATIC_REQUIRE(count_kind<resnet>("batch_norm") == 53);
    STATIC_REQUIRE(count_kind<resnet>("add") == 16);
    STATIC_REQUIRE(resnet::output_shape == make_features(6));
    // 64 -> pad 70 -> conv 7x7/2 32 -> maxpool 3/2 15 -> 15, 8, 4, 2 -> avgpool 1
    auto shape_after = [](int adds) {
        int seen = 0;
        for (const node_info& n : resnet::node_table)
            if (same_cstr(n.kind, "add") && ++seen == adds) return n.out;
        return shape{};
    };
    CHECK(shape_after(3) == make_image(15, 15, 256));
    CHECK(shape_after(7) == make_image(8, 8, 512));
    CHECK(shape_after(13) == make_image(4, 4, 1024));
    CHECK(shape_after(16) == make_image(2, 2, 2048));
}

TEST_CASE("ResNet-50 trains: Adam steps drive the cost of a batch of digits down", "[networks][resnet50]") {
    if (!std::filesystem::exists(default_digits_path())) {
        WARN("skipped: " << default_digits_path() << " is missing; run scripts/fetch-digits.sh");
        return;
    }
    const auto [train, test] = networks::signs_digits_data(std::nullopt, 1);
    std::vector<std::size_t> first(16);
    for (std::size_t i = 0; i < first.size(); ++i) first[i] = i;
    const dataset few = gather(train, first);
    model<resnet> m(generated::resnet50::kernels);
    m.initialize(init_scheme::xavier, 3);
    const std::unique_ptr<optimizer> adam = make_optimizer("adam", 1e-3f);
    std::vector<float> costs;
    for (int step = 0; step < 8; ++step) costs.push_back(m.train_step(few.x, few.y, few.size(), *adam));
    std::string seen;
    for (float c : costs) seen += std::to_string(c) + " ";
    INFO("costs: " << seen);
    for (float c : costs) CHECK(std::isfinite(c));
    CHECK(costs.back() < 0.5f * costs.front());  // memorising 16 samples
    const std::vector<float> p = m.predict(std::span(test.x).first(4 * model<resnet>::sample_size), 4);
    for (std::size_t s = 0; s < 4; ++s) {
        double sum = 0;
        for (std::size_t k = 0; k < 6; ++k) sum += p[s * 6 + k];
        CHECK(sum == Approx(1.0).margin(1e-5));
    }
}

TEST_CASE("MobileNetV2 as C4W2A2 uses it: Keras' parameter counts, frozen and trainable", "[networks][mobilenet]") {
    // include_top=False base: 2,257,984 parameters (34,112 of them batch norms' moving
    // averages); the course's model2 adds its Dense(1): Total 2,259,265, Trainable 1,281.
    STATIC_REQUIRE(transfer_net::param_size == 2'259'265);
    STATIC_REQUIRE(transfer_net::frozen_size == 2'257'984);
    STATIC_REQUIRE(transfer_net::grad_size == 1'281);
    STATIC_REQUIRE(not_trainable<transfer_net>() == 2'257'984);
    STATIC_REQUIRE(fine_tune_net::param_size == transfer_net::param_size);
    STATIC_REQUIRE(count_kind<transfer_net>("conv2d") == 35);
    STATIC_REQUIRE(count_kind<transfer_net>("depthwise_conv2d") == 17);
    STATIC_REQUIRE(count_kind<transfer_net>("batch_norm") == 52);
    STATIC_REQUIRE(count_kind<transfer_net>("add") == 10);
    // nsfwjs' whole model: its uint8 shard holds exactly one byte per parameter
    STATIC_REQUIRE(nsfwjs_net::param_size == 2'619'461);
    // phase 2 trains layers 120 onwards: block 13's depthwise, the blocks after it, Conv_1
    const param_entry* first_trainable = nullptr;
    for (const param_entry& e : fine_tune_net::params)
        if (!e.spec.frozen && first_trainable == nullptr) first_trainable = &e;
    REQUIRE(first_trainable != nullptr);
    CHECK(first_trainable->name.view() == "depthwise_conv2d14.W");
    CHECK(transfer_net::node_table[transfer_net::node_count - 1].out == make_features(1));
}

TEST_CASE("transfer learning: the frozen base is bit for bit unchanged by training", "[networks][mobilenet]") {
    const dataset faces = load_lfw_faces_sized(160);
    std::vector<std::size_t> pick{0, 1, 2, 3, 196, 197, 198, 199};  // faces and non-faces
    const dataset few = gather(faces, pick);
    model<transfer_net> head(generated::mobilenet_transfer::kernels);
    head.initialize(init_scheme::xavier, 5);
    const std::vector<float> before(head.parameters().begin(), head.parameters().end());
    fit_options fo;
    fo.optimizer = "adam";
    fo.learning_rate = 0.01f;
    fo.batch_size = 4;
    fo.iterations = 4;
    fo.keep_prob = 0.8f;
    fo.quiet = true;
    fo.augment = augmenter({160, 160, 3}, {.horizontal_flip = true, .max_rotation = 0.2});
    fit(head, few, fo);
    const std::span<const float> after = head.parameters();
    CHECK(std::memcmp(after.data(), before.data(), transfer_net::frozen_size * sizeof(float)) == 0);
    // the head learned: its bias, and the weights of every pooled feature that is not zero
    // on these images (a zero feature has a zero gradient, and Adam leaves its weight)
    const std::span<const float> b = head.parameter("dense1.b");
    CHECK(b[0] != before[transfer_net::params[transfer_net::params.size() - 1].offset]);
    std::size_t changed = 0;
    for (std::size_t i = transfer_net::frozen_size; i < after.size(); ++i) changed += after[i] != before[i];
    CHECK(changed > transfer_net::grad_size / 2);

    // phase 2: the lower base still frozen, the upper base now learning
    model<fine_tune_net> tune(generated::mobilenet_fine_tune::kernels);
    copy_parameters(head, tune);
    fo.learning_rate = 0.001f;
    fo.iterations = 2;
    fit(tune, few, fo);
    for (const param_entry& e : fine_tune_net::params) {
        const std::span<const float> now = tune.parameter(e.name.view()), then = head.parameter(e.name.view());
        const bool same = std::memcmp(now.data(), then.data(), now.size_bytes()) == 0;
        INFO(e.name.view());
        if (e.spec.frozen) CHECK(same);
        else CHECK_FALSE(same);
    }
}

TEST_CASE("the converted MobileNetV2 computes what nsfwjs' JavaScript model computes", "[networks][mobilenet][nsfwjs]") {
    const std::filesystem::path weights = mb::default_nsfwjs_model();
    if (!std::filesystem::exists(weights)) {
        WARN("skipped: " << weights << " is missing; run scripts/fetch-nsfwjs.sh");
        return;
    }
    const std::filesystem::path dir = std::filesystem::path(KILN_SOURCE_DIR) / "tests" / "data" / "nsfwjs";
    std::ifstream file(dir / "reference.json");
    REQUIRE(file);
    const nlohmann::json ref = nlohmann::json::parse(file);

    model<nsfwjs_net> whole(generated::nsfwjs_mobilenet::kernels);
    REQUIRE(mb::load_base(whole, weights, "").empty());
    model<features_net> features(generated::nsfwjs_features::kernels);
    REQUIRE(mb::load_base(features, weights, "out_relu").empty());

    // float32 throughout on both sides, summed in different orders over ~50 layers: a PyTorch
    // port of the same file agreed with TF.js to 2.4e-7 (probabilities) and 4.6e-6 (pooled
    // features, values up to ~3) - the tolerances leave about 20x that.
    constexpr double prob_tol = 5e-6, pooled_tol = 1e-4;
    double worst_p = 0, worst_f = 0;
    for (const nlohmann::json& img : ref["images"]) {
        INFO(img["file"].get<std::string>());
        const image_u8 pixels = load_image(dir / img["file"].get<std::string>());
        REQUIRE((pixels.width == 224 && pixels.height == 224));
        const std::vector<float> x = to_features(pixels);
        const std::vector<float> p = whole.predict(x, 1), f = features.predict(x, 1);
        const std::vector<double> want_p = img["probabilities"], want_f = img["pooled"];
        REQUIRE(p.size() == want_p.size());
        REQUIRE(f.size() == want_f.size());
        for (std::size_t k = 0; k < p.size(); ++k) {
            worst_p = std::max(worst_p, std::abs(p[k] - want_p[k]));
            CHECK(std::abs(p[k] - want_p[k]) <= prob_tol);
        }
        for (std::size_t k = 0; k < f.size(); ++k) {
            worst_f = std::max(worst_f, std::abs(f[k] - want_f[k]));
            CHECK(std::abs(f[k] - want_f[k]) <= pooled_tol);
        }
    }
    WARN("largest differences from TF.js: probabilities " << worst_p << ", pooled features " << worst_f);
}
