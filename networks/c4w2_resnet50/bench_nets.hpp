#pragma once
// ResNet-50 (net.hpp) on 224x224x3 images for kiln-bench: the same declaration as the
// course's 64x64 network, on ImageNet-sized inputs (the 2x2 average pool leaves 3x3x2048, so
// the dense layer takes 18,432 features). Built only with -DKILN_BENCH_LARGE=ON (see
// bench/CMakeLists.txt): its Halide compilation takes minutes.
#include "net.hpp"

namespace kiln::networks {

inline constexpr auto resnet50_224 = resnet50_for<224, 224, 6>;

}  // namespace kiln::networks
