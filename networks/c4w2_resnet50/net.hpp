#pragma once
// C4W2A1 "Residual Networks": ResNet-50 exactly as the course builds it in Keras, for 64x64x3
// SIGNS images and 6 classes (23,600,006 parameters, batch norms' moving averages included).
// Keras' BatchNormalization(axis=3) defaults: epsilon 1e-3, momentum 0.99.
#include "dsl/kiln.hpp"

namespace kiln::networks {

// identity_block(X, f, [F1, F2, F3]): the main path keeps the shape, the shortcut is X.
template <int F, int F1, int F2, int F3>
inline constexpr auto identity_block = residual(conv2d<F1, 1, 1> >> keras_batch_norm >> relu                       //
                                                    >> conv2d<F2, F, F, 1, padding::same> >> keras_batch_norm >> relu  //
                                                    >> conv2d<F3, 1, 1> >> keras_batch_norm,                          //
                                                identity) >>
                                       relu;

// convolutional_block(X, f, [F1, F2, F3], s): the first 1x1 conv and the shortcut's 1x1 conv
// stride by s, so the shortcut matches the main path's new shape.
template <int F, int F1, int F2, int F3, int S = 2>
inline constexpr auto convolutional_block = residual(conv2d<F1, 1, 1, S> >> keras_batch_norm >> relu                       //
                                                         >> conv2d<F2, F, F, 1, padding::same> >> keras_batch_norm >> relu  //
                                                         >> conv2d<F3, 1, 1> >> keras_batch_norm,                          //
                                                     conv2d<F3, 1, 1, S> >> keras_batch_norm) >>
                                            relu;

template <int H, int W, int Classes>
inline constexpr auto resnet50_for =
    input(image<H, W, 3>)                                                                    //
    >> zero_pad2d<3> >> conv2d<64, 7, 7, 2> >> keras_batch_norm >> relu >> max_pool2d<3, 2>  // stage 1
    >> convolutional_block<3, 64, 64, 256, 1>                                               // stage 2
    >> identity_block<3, 64, 64, 256> >> identity_block<3, 64, 64, 256>                     //
    >> convolutional_block<3, 128, 128, 512>                                                // stage 3
    >> identity_block<3, 128, 128, 512> >> identity_block<3, 128, 128, 512>                 //
    >> identity_block<3, 128, 128, 512>                                                     //
    >> convolutional_block<3, 256, 256, 1024>                                               // stage 4
    >> identity_block<3, 256, 256, 1024> >> identity_block<3, 256, 256, 1024>               //
    >> identity_block<3, 256, 256, 1024> >> identity_block<3, 256, 256, 1024>               //
    >> identity_block<3, 256, 256, 1024>                                                    //
    >> convolutional_block<3, 512, 512, 2048>                                               // stage 5
    >> identity_block<3, 512, 512, 2048> >> identity_block<3, 512, 512, 2048>               //
    >> avg_pool2d<2, 2> >> flatten >> dense<Classes> >> loss::softmax_cross_entropy;

inline constexpr auto resnet50 = resnet50_for<64, 64, 6>;

}  // namespace kiln::networks
