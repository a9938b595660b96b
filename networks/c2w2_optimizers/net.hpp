#pragma once
// C2W2 "Optimization methods": 2 -> 5 relu -> 2 relu -> 1 sigmoid on the moons data, trained
// with mini-batch gradient descent, momentum or Adam (--optimizer).
#include "dsl/kiln.hpp"

namespace kiln::networks {

inline constexpr auto optimizers =
    input(features<2>) >> dense<5> >> relu >> dense<2> >> relu >> dense<1> >> loss::sigmoid_cross_entropy;

}  // namespace kiln::networks
