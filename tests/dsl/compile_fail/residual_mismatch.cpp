// EXPECT: add: both branches must have the same shape, got features(F=4) and features(F=8)
#include "dsl/kiln.hpp"
using namespace kiln;
inline constexpr auto broken = input(features<8>) >> residual(dense<4> >> relu, identity);  // ERROR-LINE
