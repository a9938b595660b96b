// EXPECT: concat: joins along the innermost axis (features or channels), the other axes must match, got image(C=3, W=8, H=8) and features(F=5)
#include "dsl/kiln.hpp"
using namespace kiln;
inline constexpr auto broken = concat(input(image<8, 8, 3>), input<1>(features<5>));  // ERROR-LINE
