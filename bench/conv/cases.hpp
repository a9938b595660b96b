#pragma once
// The convolution layers kiln-conv-bench times, one row each:
//   X(<name>, H, W, C, F, K, stride, d_in)
// ResNet-50's stage shapes (1x1 and 3x3, C = F, same padding) and the two layers of the
// C4W1 SIGNS CNN. d_in: whether the backward pass computes the input gradient (the first
// layer of a network never does).
#define KILN_CONV_CASES(X)                      \
    X(resnet_56x56x64_1x1, 56, 56, 64, 64, 1, 1, true)     \
    X(resnet_56x56x64_3x3, 56, 56, 64, 64, 3, 1, true)     \
    X(resnet_28x28x128_1x1, 28, 28, 128, 128, 1, 1, true)  \
    X(resnet_28x28x128_3x3, 28, 28, 128, 128, 3, 1, true)  \
    X(resnet_14x14x256_1x1, 14, 14, 256, 256, 1, 1, true)  \
    X(resnet_14x14x256_3x3, 14, 14, 256, 256, 3, 1, true)  \
    X(resnet_7x7x512_1x1, 7, 7, 512, 512, 1, 1, true)      \
    X(resnet_7x7x512_3x3, 7, 7, 512, 512, 3, 1, true)      \
    X(signs_conv1_64x64x3_4x4, 64, 64, 3, 8, 4, 1, false)  \
    X(signs_conv2_8x8x8_2x2, 8, 8, 8, 16, 2, 1, true)
