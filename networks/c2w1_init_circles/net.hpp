#pragma once
// C2W1 "Initialization": 2 -> 10 relu -> 5 relu -> 1 sigmoid on the circles data, trained
// with zeros, large random (x10) and He initialisation to show why initialisation matters.
#include "dsl/kiln.hpp"

namespace kiln::networks {

inline constexpr auto init_circles = input(features<2>) >> dense<10> >> relu >> dense<5> >> relu >> dense<1> >>
                                     loss::sigmoid_cross_entropy;

}  // namespace kiln::networks
