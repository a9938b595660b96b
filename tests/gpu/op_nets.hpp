#pragma once
// The layers that no course network uses yet, in three small networks built for the CPU, CUDA
// and OpenCL (tests/gpu/CMakeLists.txt), so that gpu_test.cpp compares every op's forward and
// backward on each device. The course networks cover the rest: dense, the activations,
// softmax, the three losses, conv2d, batch norm, pooling, dropout, depthwise, residuals,
// frozen blocks, rnn, lstm, the cells, time_distributed.
#include "dsl/kiln.hpp"

namespace kiln::test {

// embedding, gru, bidirectional lstm, reverse_steps, rnn, slice, leaky_relu, mse
inline constexpr auto sequence_ops = input(sequence<1, 6>) >> embedding<7, 5> >> gru<4>(return_sequences) >>
                                     bidirectional(lstm<3>(return_sequences)) >> reverse_steps >> rnn<5> >>
                                     slice<1, 3> >> leaky_relu<200> >> dense<2> >> loss::mse;

// zero padding, a strided valid convolution, average pooling, a 1x1 convolution and a
// depthwise one side by side (concat of channels), sigmoid, mul of two branches
inline constexpr auto image_ops =
    input(image<9, 9, 3>) >> zero_pad2d<1> >> conv2d<4, 3, 3, 2, padding::valid> >> batch_norm >> relu >>
    avg_pool2d<2, 1> >> concat(conv2d<3, 1, 1, 1, padding::same>, depthwise_conv2d<3, 3, 1, padding::same>) >>
    sigmoid >> flatten >> mul(dense<4> >> tanh_, dense<4>) >> dense<3> >> loss::sigmoid_cross_entropy;

// convolutions whose GPU tiles (codegen/schedule/gpu_tiles.hpp) give a lane several output
// channels (rows) and read four input channels a step: 1x1 8 -> 8 and 8 -> 128 on 4x4 (its
// d_in 128 -> 8 in 16-channel slices; 4 rows of 4x4), a strided 1x1 128 -> 128 to 2x2 (its
// d_in on dy's 2x2 grid, spread out to 4x4), 3x3 128 -> 64 on 2x2 (2 rows; its d_in
// 64 -> 128, 4 rows). ResNet-50 and MobileNetV2 have these, but only CUDA builds.
inline constexpr auto conv_tiles = input(image<4, 4, 8>) >> conv2d<8, 1, 1> >> relu >> conv2d<128, 1, 1> >> relu >>
                                   conv2d<128, 1, 1, 2> >> conv2d<64, 3, 3, 1, padding::same> >> batch_norm >>
                                   relu >> flatten >> dense<3> >> loss::softmax_cross_entropy;

// the GRU cell, one step with its state in and out
inline constexpr auto gru_cell_ops = input(features<7>) >> gru_cell<4> >> dense<3> >> loss::softmax_cross_entropy;

}  // namespace kiln::test
