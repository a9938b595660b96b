#pragma once
// C2W1 "Regularization": 2 -> 20 relu -> 3 relu -> 1 sigmoid, with inverted dropout after
// each hidden layer (the identity unless --keep-prob < 1); L2 is a training setting (--l2).
#include "dsl/kiln.hpp"

namespace kiln::networks {

inline constexpr auto regularization = input(features<2>)        //
                                       >> dense<20> >> relu >> dropout  //
                                       >> dense<3> >> relu >> dropout   //
                                       >> dense<1> >> loss::sigmoid_cross_entropy;

}  // namespace kiln::networks
