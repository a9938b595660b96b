#include "runtime/optimizer.hpp"

#include <cmath>
#include <string>

#include "kiln_sgd.h"
#include "runtime/pipeline.hpp"

namespace kiln {

sgd::sgd(float learning_rate) : lr_(0) { set_learning_rate(learning_rate); }

void sgd::set_learning_rate(float lr) {
    if (!(lr > 0) || !std::isfinite(lr))
        throw error("sgd: the learning rate must be a positive number, got " + std::to_string(lr));
    lr_ = lr;
}

void sgd::step(std::span<float> params, std::span<const float> grads) {
    if (params.size() != grads.size())
        throw error("sgd: " + std::to_string(params.size()) + " parameters but " +
                    std::to_string(grads.size()) + " gradients");
    install_halide_error_handler();
    const int n = static_cast<int>(params.size());
    halide_view<float> p(params.data(), n);
    halide_view<const float> g(grads.data(), n);
    if (int rc = kiln_sgd(p.raw_buffer(), g.raw_buffer(), lr_, p.raw_buffer()); rc != 0)
        throw error("sgd: update pipeline failed (Halide error " + std::to_string(rc) + "): " + take_halide_error());
}

}  // namespace kiln
