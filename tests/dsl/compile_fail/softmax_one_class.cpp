// EXPECT: loss::softmax_cross_entropy: needs at least 2 classes, got features(F=1); use loss::sigmoid_cross_entropy for one output
#include "dsl/kiln.hpp"
using namespace kiln;
inline constexpr auto broken = input(features<4>) >> dense<1> >> loss::softmax_cross_entropy;  // ERROR-LINE
