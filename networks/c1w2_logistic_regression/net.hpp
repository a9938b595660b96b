#pragma once
// C1W2: logistic regression with a neural-network mindset. A 64x64x3 image, flattened,
// into one sigmoid unit, trained with binary cross-entropy.
#include "dsl/kiln.hpp"

namespace kiln::networks {

inline constexpr auto logistic_regression =
    input(image<64, 64, 3>) >> flatten >> dense<1> >> loss::sigmoid_cross_entropy;

}  // namespace kiln::networks
