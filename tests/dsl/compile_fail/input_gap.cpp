// EXPECT: kiln: network inputs must be numbered 0, 1, ... without gaps or repeats: input<K>(...)
#include "dsl/kiln.hpp"
using namespace kiln;
inline constexpr auto net = concat(input(features<2>), input<2>(features<3>)) >> dense<1> >> loss::mse;
inline constexpr auto count = network_of<net>::param_size;  // ERROR-LINE
