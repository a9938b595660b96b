#pragma once
// C1W4: the L-layer model, layers_dims = [12288, 20, 7, 5, 1], relu then sigmoid.
#include "dsl/kiln.hpp"

namespace kiln::networks {

inline constexpr auto l_layer_nn = input(image<64, 64, 3>) >> flatten  //
                                   >> dense<20> >> relu                 //
                                   >> dense<7> >> relu                  //
                                   >> dense<5> >> relu                  //
                                   >> dense<1> >> loss::sigmoid_cross_entropy;

}  // namespace kiln::networks
