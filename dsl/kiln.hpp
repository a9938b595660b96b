#pragma once
// Everything a network declaration needs: #include "dsl/kiln.hpp".
#include "dsl/graph.hpp"
#include "dsl/layers/activations.hpp"
#include "dsl/layers/batch_norm.hpp"
#include "dsl/layers/conv2d.hpp"
#include "dsl/layers/dense.hpp"
#include "dsl/layers/dropout.hpp"
#include "dsl/layers/flatten.hpp"
#include "dsl/layers/losses.hpp"
#include "dsl/network.hpp"
#include "dsl/shape.hpp"
