#pragma once
// C4W1 "Convolution model - Application": the SIGNS CNN.
//   CONV2D 4x4x8 same -> RELU -> MAXPOOL 8x8 stride 8 same -> CONV2D 2x2x16 same -> RELU
//   -> MAXPOOL 4x4 stride 4 same -> FLATTEN -> DENSE 6 softmax
// The same model for Fashion-MNIST: 28x28x1 -> pool 8 same -> 4x4x8 -> pool 4 same -> 1x1x16
// -> DENSE 10 softmax (one binary, two compiled networks: the input shapes differ).
#include "dsl/kiln.hpp"

namespace kiln::networks {

template <int H, int W, int C, int Classes>
inline constexpr auto signs_cnn_for = input(image<H, W, C>)                                   //
                                      >> conv2d<8, 4, 4, 1, padding::same> >> relu             //
                                      >> max_pool2d<8, 8, padding::same>                       //
                                      >> conv2d<16, 2, 2, 1, padding::same> >> relu            //
                                      >> max_pool2d<4, 4, padding::same>                       //
                                      >> flatten >> dense<Classes> >> loss::softmax_cross_entropy;

inline constexpr auto signs_cnn = signs_cnn_for<64, 64, 3, 6>;
inline constexpr auto fashion_cnn = signs_cnn_for<28, 28, 1, 10>;

}  // namespace kiln::networks
