// EXPECT: with_state(x, s): x must be a sequence (F, T) and s the initial state as features (H; [h; c] for an lstm), got features(F=3) and features(F=5)
#include "dsl/kiln.hpp"
using namespace kiln;
inline constexpr auto broken = with_state(input(features<3>), input<1>(features<5>));  // ERROR-LINE
