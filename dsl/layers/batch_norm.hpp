#pragma once
/*  batch_norm: normalise each feature (features, sequences) or channel (images) over the
    batch (and the image's positions), then scale and shift (C2W3; Ioffe & Szegedy 2015).
    REQUIRES  nothing
    SHAPE     unchanged; C = the innermost dimension (features or channels)
    PARAMS    gamma (C) ones; beta (C) zeros;
              running_mean (C) zeros, running_var (C) ones: not trained, recomputed by each
              training step as ONNX's BatchNormalization does:
              running = momentum * running + (1 - momentum) * batch statistic, momentum 0.9,
              variance over the batch (population, divided by M)
    TRAINING  mean, var over the M = N * (positions) values of each channel;
              y = gamma (x - mean) / sqrt(var + eps) + beta, eps = 1e-5
    INFERENCE the running averages replace the batch statistics; after a dense layer the
              whole normalisation folds into that layer's W and b (codegen/lower.hpp)
    GRADIENT  xhat = (x - mean) rstd;  dgamma = sum dy xhat;  dbeta = sum dy;
              dx = gamma rstd / M (M dy - dbeta - xhat dgamma)                             */
#include "dsl/layer.hpp"

namespace kiln {

struct batch_norm_t {
    static constexpr const char* kind = "batch_norm";
    static constexpr double epsilon = 1e-5;
    static constexpr double momentum = 0.9;
    static constexpr fixed_string<> name() { return cat("batch_norm"); }
    static constexpr shape_rule infer(shape in) { return accept(in); }
    static constexpr std::array<param_spec, 4> params(shape in) {
        const int c = in[0];
        return {{{"gamma", 1, {c, 1, 1, 1}, param_init::ones, c, c, true},
                 {"beta", 1, {c, 1, 1, 1}, param_init::zeros, c, c, true},
                 {"running_mean", 1, {c, 1, 1, 1}, param_init::zeros, c, c, false},
                 {"running_var", 1, {c, 1, 1, 1}, param_init::ones, c, c, false}}};
    }
};

inline constexpr batch_norm_t batch_norm{};

}  // namespace kiln
