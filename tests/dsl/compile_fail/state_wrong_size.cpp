// EXPECT: lstm<5>: with_state(x, s) gives an initial state of 5 features, the layer needs 10 ([h; c])
#include "dsl/kiln.hpp"
using namespace kiln;
inline constexpr auto broken = with_state(input(sequence<3, 4>), input<1>(features<5>)) >> lstm<5>;  // ERROR-LINE
