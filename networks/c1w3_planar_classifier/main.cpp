// kiln-planar-classifier: C1W3, one hidden layer of 4 tanh units on the "flower" data.
#include <cstdlib>
#include <sstream>

#include "net.hpp"
#include "planar_classifier_kernels.hpp"
#include "runtime/cli.hpp"
#include "runtime/datasets/planar.hpp"

namespace {

// predict takes points as "x,y".
std::vector<float> point_of(const std::string& s) {
    std::istringstream in(s);
    float x = 0, y = 0;
    char comma = 0;
    if (!(in >> x >> comma >> y) || comma != ',' || !(in >> std::ws).eof())
        throw kiln::error("predict: '" + s + "' is not a point; write it as x,y (for example 1.5,-0.3)");
    return {x, y};
}

}  // namespace

int main(int argc, char** argv) {
    using net = kiln::network_of<kiln::networks::planar_classifier>;
    kiln::app_spec spec;
    spec.name = "planar-classifier";
    spec.summary = "C1W3 planar data classification, 2 -> 4 tanh -> 1 sigmoid";
    // The course: weights randn * 0.01, learning rate 1.2, 10000 iterations, 400 points.
    spec.fit.learning_rate = 1.2f;
    spec.fit.iterations = 10000;
    spec.fit.print_every = 1000;
    spec.init = kiln::init_scheme::random;
    // Train on the course's 400 points; test on 400 fresh points of the same flower.
    spec.load = [](const std::optional<std::filesystem::path>& data, std::uint64_t seed) {
        if (data) throw kiln::error("planar-classifier makes its own data; --data is not used by this model");
        return std::pair{kiln::load_planar_dataset({.seed = seed}), kiln::load_planar_dataset({.seed = seed + 1000})};
    };
    spec.sample_of = point_of;
    spec.predict_help = "points written as x,y";
    spec.plot_extra = [](const std::filesystem::path& dir, const auto& predict, const kiln::dataset& train) {
        kiln::plot_decision_boundary(
            dir / "decision_boundary.png",
            [&](float x, float y) { return predict(std::vector<float>{x, y}, 1)[0]; }, train.x, train.y,
            "Decision boundary for hidden layer size 4");
    };
    return kiln::run_app<net>(argc, argv, kiln::generated::planar_classifier::kernels, spec);
}
