// EXPECT: conv2d<8, 3, 3, 1>: expects an image (C, W, H), got features(F=64); declare the input as image<H, W, C>
#include "dsl/kiln.hpp"
using namespace kiln;
inline constexpr auto broken = input(features<64>) >> conv2d<8, 3, 3>;  // ERROR-LINE
