// Course 4 week 1's networks on their default data with the course's hyper-parameters:
// the Happy House model tells smiles from the rest, the SIGNS CNN learns the digits 0-5 and
// Fashion-MNIST, and the Happy House backprop (convolution, batch norm, pooling) agrees with
// float64 centred differences.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string_view>

#include "fashion_cnn_kernels.hpp"
#include "happy_house_kernels.hpp"
#include "networks/c4w1_happy_house/net.hpp"
#include "networks/c4w1_signs_cnn/net.hpp"
#include "runtime/datasets/cartoon_faces.hpp"
#include "runtime/datasets/digits.hpp"
#include "runtime/datasets/lfw_faces.hpp"
#include "runtime/gradcheck.hpp"
#include "runtime/idx.hpp"
#include "runtime/random.hpp"
#include "runtime/train.hpp"
#include "signs_cnn_kernels.hpp"

using namespace kiln;

namespace {

using happy_net = network_of<networks::happy_house>;

struct outcome {
    double train, test;
};

template <class Net>
outcome run(model<Net>& m, const std::pair<dataset, dataset>& d, fit_options fo) {
    fo.quiet = true;
    const fit_history h = fit(m, d.first, fo);
    const outcome o{m.evaluate(d.first).accuracy, m.evaluate(d.second).accuracy};
    INFO("train " << o.train << ", test " << o.test << ", first cost " << h.cost.front() << ", last "
                  << h.cost.back() << ", " << h.seconds << " s");
    CHECK(h.cost.back() < h.cost.front());
    return o;
}

std::pair<dataset, dataset> happy_faces(const cartoon_faces_options& o = {}) {
    const cartoon_faces_data faces = load_cartoon_faces(o);
    return {from_labelled_images(faces.train), from_labelled_images(faces.test)};
}

// The first n samples of d.
dataset head(const dataset& d, std::size_t n) {
    std::vector<std::size_t> first(std::min(n, d.size()));
    for (std::size_t i = 0; i < first.size(); ++i) first[i] = i;
    return gather(d, first);
}

}  // namespace

// The course: 10 epochs, batch 16, Adam (Keras' 0.001) reach ~95% test on the real photos.
// On the cartoon stand-in kiln reaches 100% train, 94.7% test (seed 1); a model that ignores
// the mouth stays near 50%.
TEST_CASE("the Happy House model tells smiling cartoon faces from the rest", "[networks][course4]") {
    model<happy_net> m(generated::happy_house::kernels);
    m.initialize(init_scheme::xavier, 1);
    const outcome o = run(m, happy_faces(),
                          {.learning_rate = 0.001f, .epochs = 10, .batch_size = 16, .seed = 1, .optimizer = "adam"});
    CHECK(o.train >= 0.97);
    CHECK(o.test > 0.90);
}

// 10 epochs at Keras' 0.001 (the binary's default) reach 94.8% / 92.8%; three at 0.005
// (the course's numpy version takes 0.009) reach 95.4% / 94.2%.
TEST_CASE("the SIGNS CNN learns the digits 0-5", "[networks][course4]") {
    if (!std::filesystem::exists(default_digits_path())) {
        WARN("skipped: " << default_digits_path() << " is missing; run scripts/fetch-digits.sh");
        return;
    }
    model<network_of<networks::signs_cnn>> m(generated::signs_cnn::kernels);
    m.initialize(init_scheme::xavier, 1);
    const outcome o = run(m, split(load_signs_digits(), 0.2, 1),
                          {.learning_rate = 0.005f, .epochs = 3, .batch_size = 64, .seed = 1, .optimizer = "adam"});
    CHECK(o.train >= 0.90);  // chance: 1/6
    CHECK(o.test >= 0.90);
}

// The same architecture on 28x28x1: the 16 features left after two poolings are few, so it
// stays below the MLP; 10 epochs over all 60,000 reach 84.3% test. Here 20,000 images and 3
// epochs reach 77.5% on all 10,000 test images.
TEST_CASE("the SIGNS CNN learns Fashion-MNIST", "[networks][course4]") {
    model<network_of<networks::fashion_cnn>> m(generated::fashion_cnn::kernels);
    m.initialize(init_scheme::xavier, 1);
    const outcome o = run(m, {head(load_fashion_mnist("train"), 20000), load_fashion_mnist("test")},
                          {.learning_rate = 0.005f, .epochs = 3, .batch_size = 64, .seed = 1, .optimizer = "adam"});
    CHECK(o.test >= 0.74);  // chance: 10%
}

// At Xavier weights with zero biases a ReLU input can sit exactly on the kink (zero-padded
// borders, flat backgrounds); random biases, scales and shifts move every unit off it.
TEST_CASE("Happy House backprop matches float64 centred differences", "[networks][course4][gradcheck]") {
    model<happy_net> m(generated::happy_house::kernels);
    m.initialize(init_scheme::xavier, 5);
    rng random(5);
    for (const param_entry& e : happy_net::params) {
        const std::string_view role = e.spec.role;
        if (!e.spec.trainable || role == "W") continue;
        const double base = role == "gamma" ? 1.0 : 0.0;
        for (float& v : m.parameters().subspan(e.offset, e.spec.size()))
            v = static_cast<float>(base + 0.2 * random.normal());
    }
    const dataset d = happy_faces({.train = 2, .test = 0, .seed = 9}).first;
    const gradcheck_result r = gradcheck(m, d.x, d.y, 2, 60);
    INFO(r.checked << " of " << r.total << " parameters, difference " << r.difference);
    CHECK(r.difference < 1e-7);
    CHECK(r.checked >= 60);
}
