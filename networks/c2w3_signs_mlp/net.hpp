#pragma once
// C2W3 "TensorFlow introduction": the SIGNS classifier 12288 -> 25 relu -> 12 relu -> 6
// softmax, and the same model for Fashion-MNIST (784 -> 25 -> 12 -> 10).
#include "dsl/kiln.hpp"

namespace kiln::networks {

template <int H, int W, int C, int Classes>
inline constexpr auto mlp_25_12 = input(image<H, W, C>) >> flatten >> dense<25> >> relu >> dense<12> >> relu >>
                                  dense<Classes> >> loss::softmax_cross_entropy;

inline constexpr auto signs_mlp = mlp_25_12<64, 64, 3, 6>;
inline constexpr auto fashion_mlp = mlp_25_12<28, 28, 1, 10>;

}  // namespace kiln::networks
