#pragma once
// C1W4: the two-layer model of "Deep Neural Network - Application": 12288 -> 7 relu -> 1.
#include "dsl/kiln.hpp"

namespace kiln::networks {

inline constexpr auto two_layer_nn =
    input(image<64, 64, 3>) >> flatten >> dense<7> >> relu >> dense<1> >> loss::sigmoid_cross_entropy;

}  // namespace kiln::networks
