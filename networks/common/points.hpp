#pragma once
// What the 2-D point models (planar, circles, football, moons) share: data the model makes
// itself (so --data is refused), points written "x,y" for predict, and a decision-boundary
// picture next to the cost curve.
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "runtime/cli.hpp"

namespace kiln::networks {

inline std::vector<float> point_of(const std::string& s) {
    std::istringstream in(s);
    float x = 0, y = 0;
    char comma = 0;
    if (!(in >> x >> comma >> y) || comma != ',' || !(in >> std::ws).eof())
        throw error("predict: '" + s + "' is not a point; write it as x,y (for example 1.5,-0.3)");
    return {x, y};
}

template <class Make>
auto own_data(Make make) {
    return [make](const std::optional<std::filesystem::path>& data, std::uint64_t seed) {
        if (data) throw error("this model makes its own data; --data is not used here");
        return make(seed);
    };
}

inline void points_app(app_spec& spec) {
    spec.sample_of = point_of;
    spec.predict_help = "points written as x,y";
    spec.plot_extra = [](const std::filesystem::path& dir, const auto& predict, const dataset& train) {
        plot_decision_boundary(
            dir / "decision_boundary.png", [&](float x, float y) { return predict(std::vector<float>{x, y}, 1)[0]; },
            train.x, train.y, "Decision boundary");
    };
}

}  // namespace kiln::networks
