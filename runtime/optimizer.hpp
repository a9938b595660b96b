#pragma once
/*  Optimizers: the update runs as an AOT Halide pipeline over the whole flat arena
    (codegen/optimizers.cpp), vectorised and parallel; this side only holds the settings
    and any state.
      sgd   w <- w - lr * g                                                              */
#include <span>

namespace kiln {

class sgd {
  public:
    explicit sgd(float learning_rate);
    float learning_rate() const { return lr_; }
    void set_learning_rate(float lr);
    // REQUIRES params.size() == grads.size(); updates params in place.
    void step(std::span<float> params, std::span<const float> grads);

  private:
    float lr_;
};

}  // namespace kiln
