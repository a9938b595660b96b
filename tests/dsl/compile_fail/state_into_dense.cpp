// EXPECT: dense<3>: takes no initial state; with_state(x, s) feeds an rnn, lstm or gru
#include "dsl/kiln.hpp"
using namespace kiln;
inline constexpr auto broken = with_state(input(sequence<3, 4>), input<1>(features<5>)) >> dense<3>;  // ERROR-LINE
