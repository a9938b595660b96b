#pragma once
// Every op's lowering. A new op adds its header here and nowhere else.
#include "codegen/ops/activations.hpp"
#include "codegen/ops/batch_norm.hpp"
#include "codegen/ops/conv2d.hpp"
#include "codegen/ops/dense.hpp"
#include "codegen/ops/dropout.hpp"
#include "codegen/ops/flatten.hpp"
#include "codegen/ops/global_avg_pool.hpp"
#include "codegen/ops/losses.hpp"
#include "codegen/ops/merge.hpp"
#include "codegen/ops/pool2d.hpp"
#include "codegen/ops/zero_pad2d.hpp"
