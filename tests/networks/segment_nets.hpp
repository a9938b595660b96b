#pragma once
// A small network with every kind of edge a cut must handle (a residual, batch norm in
// training mode, dropout, a frozen block), built whole and as three pipelines
// (tests/networks/CMakeLists.txt) so that segments_test.cpp can compare the two builds.
#include "dsl/kiln.hpp"

namespace kiln::test {

inline constexpr auto segment_net =
    input(image<9, 8, 3>) >> frozen(conv2d<4, 3, 3, 1, padding::same> >> batch_norm >> relu) >>
    conv2d<6, 3, 3, 2, padding::same> >> batch_norm >> relu >>
    residual(conv2d<6, 3, 3, 1, padding::same, false> >> batch_norm >> relu6, identity) >> relu >>
    depthwise_conv2d<3, 3, 1, padding::same> >> batch_norm >> relu >> dropout >> global_avg_pool >> dense<5> >>
    loss::softmax_cross_entropy;

}  // namespace kiln::test

namespace kiln::test {

// Batch norm straight on the input: its batch statistics are the data's, computable by hand
// (model::recalibrate_batch_norm's test).
inline constexpr auto bn_first_net =
    input(features<3>) >> batch_norm_with<1e-3, 0.99> >> dense<2> >> loss::softmax_cross_entropy;

}  // namespace kiln::test
