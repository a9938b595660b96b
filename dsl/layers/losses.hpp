#pragma once
/*  Losses: terminal nodes. Each fuses its output activation, so that training sees the
    numerically stable form and inference returns the activation.
      loss::sigmoid_cross_entropy   p = sigmoid(z); cost = mean_n sum_f
                                    max(z,0) - z y + log(1 + exp(-|z|))
      loss::softmax_cross_entropy   p = softmax(z); cost = mean_n (logsumexp(z) - sum_f y z)
      loss::mse                     p = z;          cost = mean over all elements (z - y)^2
    REQUIRES  features (F), or a sequence (F, T): then every step is a sample, the cost is
              the mean over T x N steps (PyTorch's and Keras' convention; C5W1A2 prints the
              sum over a name's steps) and the targets are (F, T); softmax_cross_entropy
              needs F >= 2
    SHAPE     unchanged (the targets y have the output's shape: 0/1 or one-hot)
    PARAMS    none
    GRADIENT  dz = (p - y) / N for sigmoid; (p sum_f y - y) / N for softmax (p - y for one-hot
              targets; an all-zero target row, e.g. a padded step, costs and gives nothing);
              dz = 2 (z - y) / (N F) for mse                                                */
#include "dsl/layer.hpp"

namespace kiln {

enum class loss_kind { sigmoid_cross_entropy, softmax_cross_entropy, mse };

template <loss_kind K>
struct loss_t {
    static constexpr const char* kind = "loss";
    static constexpr bool is_loss = true;
    static constexpr loss_kind which = K;
    static constexpr fixed_string<> name() {
        switch (K) {
        case loss_kind::sigmoid_cross_entropy: return cat("loss::sigmoid_cross_entropy");
        case loss_kind::softmax_cross_entropy: return cat("loss::softmax_cross_entropy");
        case loss_kind::mse: return cat("loss::mse");
        }
        return cat("loss");
    }
    static constexpr shape_rule infer(shape in) {
        if (in.kind == shape_kind::image)
            return reject(cat(name(), ": expects features (F) or a sequence (F, T), got ", describe(in),
                              "; add flatten before the loss"));
        if (K == loss_kind::softmax_cross_entropy && in[0] < 2)
            return reject(cat(name(), ": needs at least 2 classes, got ", describe(in),
                              "; use loss::sigmoid_cross_entropy for one output"));
        return accept(in);
    }
    static constexpr std::array<param_spec, 0> params(shape) { return {}; }
};

namespace loss {
inline constexpr loss_t<loss_kind::sigmoid_cross_entropy> sigmoid_cross_entropy{};
inline constexpr loss_t<loss_kind::softmax_cross_entropy> softmax_cross_entropy{};
inline constexpr loss_t<loss_kind::mse> mse{};
}  // namespace loss

}  // namespace kiln
