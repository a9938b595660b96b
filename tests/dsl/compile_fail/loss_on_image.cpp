// EXPECT: loss::mse: expects features (F) or a sequence (F, T), got image(C=1, W=28, H=28); add flatten before the loss
#include "dsl/kiln.hpp"
using namespace kiln;
inline constexpr auto broken = input(image<28, 28, 1>) >> relu >> loss::mse;  // ERROR-LINE
