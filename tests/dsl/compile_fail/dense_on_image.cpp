// EXPECT: dense<10>: expects features (rank 1), got image(C=3, W=64, H=64); add flatten first
#include "dsl/kiln.hpp"
using namespace kiln;
inline constexpr auto broken = input(image<64, 64, 3>) >> dense<10>;  // ERROR-LINE
