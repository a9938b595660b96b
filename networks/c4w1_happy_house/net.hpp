#pragma once
// C4W1 "Convolution model - Application", part 1: the Happy House model (Keras' Sequential).
//   ZERO_PAD 3 -> CONV2D 7x7x32 stride 1 valid -> BATCH_NORM (channels) -> RELU
//   -> MAXPOOL 2x2 stride 2 -> FLATTEN -> DENSE 1 sigmoid
//   (64, 64, 3) -> (70, 70, 3) -> (64, 64, 32) -> (32, 32, 32) -> 32768 -> 1
#include "dsl/kiln.hpp"

namespace kiln::networks {

inline constexpr auto happy_house = input(image<64, 64, 3>)                              //
                                    >> zero_pad2d<3>                                      //
                                    >> conv2d<32, 7, 7, 1, padding::valid>                //
                                    >> batch_norm >> relu                                 //
                                    >> max_pool2d<2, 2, padding::valid>                   //
                                    >> flatten >> dense<1> >> loss::sigmoid_cross_entropy;

}  // namespace kiln::networks
