#pragma once
// C1W3: planar data classification with one hidden layer: 2 -> 4 tanh -> 1 sigmoid.
#include "dsl/kiln.hpp"

namespace kiln::networks {

inline constexpr auto planar_classifier =
    input(features<2>) >> dense<4> >> tanh_ >> dense<1> >> loss::sigmoid_cross_entropy;

}  // namespace kiln::networks
