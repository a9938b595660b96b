// EXPECT: conv2d<4, 5, 5, 1>: a 5x5 kernel does not fit in image(C=3, W=4, H=4) without padding; use padding::same or zero_pad2d
#include "dsl/kiln.hpp"
using namespace kiln;
inline constexpr auto broken = input(image<4, 4, 3>) >> conv2d<4, 5, 5>;  // ERROR-LINE
