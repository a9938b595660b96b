#pragma once
// C4W2A2 "Transfer Learning with MobileNetV2": Keras' MobileNetV2 (alpha 1.0), layer for
// layer as Keras 2.2.4 builds it - the version whose trained weights ship here, in npm
// package nsfwjs (scripts/fetch-nsfwjs.sh) - and the course's two-phase transfer model.
//
// Keras' layer order is kept, so that kiln's names (conv2d<i>, depthwise_conv2d<i>,
// batch_norm<i>: the i-th of each kind) are the ones kiln-convert gives the Keras layers.
// Every batch norm is Keras' with epsilon 1e-3, momentum 0.999; no convolution has a bias.
#include "dsl/kiln.hpp"

namespace kiln::networks::mobilenet {

inline constexpr auto bn = batch_norm_with<1e-3, 0.999>;

// A stride-2 depthwise convolution reads a zero row and column added after the image
// (Keras' ZeroPadding2D(correct_pad) = ((0, 1), (0, 1)) for even sizes), with valid padding.
template <int Stride>
inline constexpr auto depthwise = [] {
    if constexpr (Stride == 1) return depthwise_conv2d<3, 3, 1, padding::same>;
    else return zero_pad2d<0, 1, 0, 1> >> depthwise_conv2d<3, 3, 2>;
}();

// The expansion: a 1x1 conv to In * Expand channels (none when Expand is 1, the first block).
template <int In, int Expand>
inline constexpr auto expansion = [] {
    if constexpr (Expand == 1) return identity;
    else return conv2d<In * Expand, 1, 1, 1, padding::valid, false> >> bn >> relu6;
}();

// The rest of the block after its expansion: depthwise 3x3, then the linear bottleneck
// (a 1x1 projection with no activation).
template <int Out, int Stride>
inline constexpr auto depthwise_and_projection =
    depthwise<Stride> >> bn >> relu6 >> conv2d<Out, 1, 1, 1, padding::valid, false> >> bn;

// The inverted residual block with a linear bottleneck (Sandler et al. 2018): the input is
// added back when the block keeps the shape (stride 1, In == Out).
template <int In, int Expand, int Out, int Stride>
inline constexpr auto inverted_residual = [] {
    constexpr auto main = expansion<In, Expand> >> depthwise_and_projection<Out, Stride>;
    if constexpr (Stride == 1 && In == Out) return residual(main, identity);
    else return main;
}();

// Keras' MobileNetV2 base (include_top=False) in two parts: everything up to block 13's
// expansion, and the rest (block 13's depthwise, layer 120 of Keras' list, onwards). The
// course fine-tunes from layer 120: the lower part stays frozen in both phases.
inline constexpr auto base_lower =
    zero_pad2d<0, 1, 0, 1> >> conv2d<32, 3, 3, 2, padding::valid, false> >> bn >> relu6  // Conv1
    >> inverted_residual<32, 1, 16, 1>                                                   // expanded_conv
    >> inverted_residual<16, 6, 24, 2> >> inverted_residual<24, 6, 24, 1>                // blocks 1-2
    >> inverted_residual<24, 6, 32, 2> >> inverted_residual<32, 6, 32, 1>                // blocks 3-5
    >> inverted_residual<32, 6, 32, 1>                                                   //
    >> inverted_residual<32, 6, 64, 2> >> inverted_residual<64, 6, 64, 1>                // blocks 6-9
    >> inverted_residual<64, 6, 64, 1> >> inverted_residual<64, 6, 64, 1>                //
    >> inverted_residual<64, 6, 96, 1> >> inverted_residual<96, 6, 96, 1>                // blocks 10-12
    >> inverted_residual<96, 6, 96, 1>                                                   //
    >> expansion<96, 6>;                                                                  // block 13's expand
inline constexpr auto base_upper =
    depthwise_and_projection<160, 2>                                                      // block 13
    >> inverted_residual<160, 6, 160, 1> >> inverted_residual<160, 6, 160, 1>            // blocks 14-15
    >> inverted_residual<160, 6, 320, 1>                                                  // block 16
    >> conv2d<1280, 1, 1, 1, padding::valid, false> >> bn >> relu6;                      // Conv_1, out_relu
inline constexpr auto base = base_lower >> base_upper;

// nsfwjs' own model on its 224x224x3 input in [0, 1]: the base and its 5-class head, to check
// the loaded weights against what the original JavaScript model computes (inference only).
inline constexpr auto nsfwjs_model = input(image<224, 224, 3>) >> base >> avg_pool2d<7, 7> >> flatten >>
                                     dense<256> >> relu >> dropout >> dense<128> >> relu >> dropout >> dense<5> >>
                                     loss::softmax_cross_entropy;

// The same base's pooled features (nsfwjs' average_pooling2d_1, flattened): 1280 per image.
inline constexpr auto nsfwjs_features = input(image<224, 224, 3>) >> base >> avg_pool2d<7, 7> >> flatten;

// The course's model on 160x160x3 images: the frozen base, global average pooling, dropout
// (keep_prob 0.8 at run time: Dropout(0.2)) and one logit (BinaryCrossentropy(from_logits)).
inline constexpr auto head = global_avg_pool >> dropout >> dense<1> >> loss::sigmoid_cross_entropy;
inline constexpr auto transfer = input(image<160, 160, 3>) >> frozen(base) >> head;
// Phase 2: layers 120 onwards trainable, as the course's fine_tune_at = 120.
inline constexpr auto fine_tune = input(image<160, 160, 3>) >> frozen(base_lower) >> base_upper >> head;

}  // namespace kiln::networks::mobilenet
