#pragma once
/*  Optimizers over the flat parameter arena. The update runs as an AOT Halide pipeline over
    the whole arena (codegen/optimizers.cpp), vectorised and parallel; this side holds the
    settings, the state buffers and the step count.
    WHAT IT REPRESENTS
      optimizer  one training rule: step(params, grads) updates params (and its own state)
                 in place. State is allocated on the first step at the arena's size.
      sgd        w <- w - lr g
      momentum   v <- b v + (1 - b) g;  w <- w - lr v                          (course C2W2)
      rmsprop    s <- b2 s + (1 - b2) g^2;  w <- w - lr g / (sqrt(s) + eps)
      adam       v <- b1 v + (1 - b1) g;  s <- b2 s + (1 - b2) g^2;  t <- t + 1 (1-based)
                 w <- w - lr (v / (1 - b1^t)) / (sqrt(s / (1 - b2^t)) + eps)
    REQUIRES  lr > 0 (finite), 0 <= beta < 1, eps > 0: else kiln::error naming the optimizer,
              the setting, what was expected and what was found.
              grads.size() == params.size() == the size of the first step's arena.
    LOWER LEVEL  apply(<rule>_update, ...) runs one pipeline with every knob exposed: the
              general forms below cover the course's rules and ONNX's Momentum / Adam /
              Adagrad training operators (tests/runtime/onnx_optimizer_test.cpp checks them
              against ONNX's own test data). State spans are updated in place.        */
#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <HalideBuffer.h>

namespace kiln {

// g' = nc w + g;  v <- alpha v + beta g';  w <- w - lr v   (nesterov: w <- w - lr (g' + alpha v))
struct momentum_update {
    float learning_rate, alpha, beta, norm_coefficient = 0;
    bool nesterov = false;
};
// s <- beta2 s + (1 - beta2) g^2;  w <- w - lr g / (sqrt(s) + eps)
struct rmsprop_update {
    float learning_rate, beta2, epsilon;
};
// g' = nc w + g;  v <- b1 v + (1 - b1) g';  s <- b2 s + (1 - b2) g'^2
// w <- (1 - nc_post) (w - lr (v / correction1) / (sqrt(s / correction2) + eps))
struct adam_update {
    float learning_rate, beta1, beta2, epsilon;
    float correction1 = 1, correction2 = 1, norm_coefficient = 0, norm_coefficient_post = 0;
};
// g' = nc w + g;  h <- h + g'^2;  w <- w - lr g' / (sqrt(h) + eps)
struct adagrad_update {
    float learning_rate, epsilon, norm_coefficient = 0;
};

// REQUIRES every span has params.size() elements; throws kiln::error otherwise or when the
// pipeline fails. No hyper-parameter checks here: ONNX's settings are not the course's.
void apply(const momentum_update& u, std::span<float> params, std::span<const float> grads,
           std::span<float> velocity);
void apply(const rmsprop_update& u, std::span<float> params, std::span<const float> grads,
           std::span<float> mean_square);
void apply(const adam_update& u, std::span<float> params, std::span<const float> grads,
           std::span<float> velocity, std::span<float> mean_square);
void apply(const adagrad_update& u, std::span<float> params, std::span<const float> grads,
           std::span<float> sum_square);

// Gradient clipping (C5W1A2's clip(), Keras' clipvalue / clipnorm, PyTorch's
// clip_grad_value_ / clip_grad_norm_), in place over the gradient arena, before the step:
//   clip_by_value  g <- min(max(g, -limit), limit) element-wise; returns how many were clipped
//   clip_by_norm   g <- g * limit / |g| when |g| > limit (|g| the L2 norm over the whole
//                  arena); returns |g| before clipping
// REQUIRES limit > 0 and finite (kiln::error otherwise). A NaN gradient stays NaN.
std::size_t clip_by_value(std::span<float> grads, float limit);
double clip_by_norm(std::span<float> grads, float limit);

class optimizer {
  public:
    explicit optimizer(float learning_rate);
    virtual ~optimizer();
    // REQUIRES params.size() == grads.size(); updates params (and state) in place.
    virtual void step(std::span<float> params, std::span<const float> grads) = 0;
    // The same update where the arenas live on a GPU (model<Net> on device_kind::cuda or
    // opencl): params and grads are 1-D float buffers with device memory, updated there. The
    // state lives on the GPU too, apart from step()'s: drive one optimizer from one device.
    virtual void step_on_device(halide_buffer_t* params, halide_buffer_t* grads) = 0;
    // Forgets the state (velocities, step count); the next step starts afresh.
    virtual void reset() { device_state_ = {}; }
    float learning_rate() const { return lr_; }
    void set_learning_rate(float lr);
    virtual std::string name() const = 0;

  protected:
    // Checks grads against params and (after the first step) the state's size.
    void check_sizes(std::size_t params, std::size_t grads, std::size_t state) const;
    // State buffer k (< 2) on params' GPU, n zeros on first use. A fixed array: a pointer
    // to one buffer must stay valid while the other is made.
    halide_buffer_t* device_state(std::size_t k, const halide_buffer_t* params, std::size_t n);
    std::array<Halide::Runtime::Buffer<float>, 2> device_state_;

  private:
    float lr_;
};

class sgd : public optimizer {
  public:
    explicit sgd(float learning_rate);
    void step(std::span<float> params, std::span<const float> grads) override;
    void step_on_device(halide_buffer_t* params, halide_buffer_t* grads) override;
    std::string name() const override { return "sgd"; }
};

class momentum : public optimizer {
  public:
    explicit momentum(float learning_rate, float beta = 0.9f);
    void step(std::span<float> params, std::span<const float> grads) override;
    void step_on_device(halide_buffer_t* params, halide_buffer_t* grads) override;
    void reset() override { velocity_.clear(); optimizer::reset(); }
    std::string name() const override { return "momentum"; }
    float beta() const { return beta_; }
    std::span<const float> velocity() const { return velocity_; }

  private:
    float beta_;
    std::vector<float> velocity_;
};

class rmsprop : public optimizer {
  public:
    explicit rmsprop(float learning_rate, float beta2 = 0.999f, float epsilon = 1e-8f);
    void step(std::span<float> params, std::span<const float> grads) override;
    void step_on_device(halide_buffer_t* params, halide_buffer_t* grads) override;
    void reset() override { mean_square_.clear(); optimizer::reset(); }
    std::string name() const override { return "rmsprop"; }
    std::span<const float> mean_square() const { return mean_square_; }

  private:
    float beta2_, epsilon_;
    std::vector<float> mean_square_;
};

class adam : public optimizer {
  public:
    explicit adam(float learning_rate, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f);
    void step(std::span<float> params, std::span<const float> grads) override;
    void step_on_device(halide_buffer_t* params, halide_buffer_t* grads) override;
    void reset() override;
    std::string name() const override { return "adam"; }
    std::size_t steps() const { return t_; }  // t of the last step (0 before the first)
    std::span<const float> velocity() const { return velocity_; }
    std::span<const float> mean_square() const { return mean_square_; }

  private:
    float beta1_, beta2_, epsilon_;
    std::size_t t_ = 0;
    std::vector<float> velocity_, mean_square_;
};

// name is one of sgd | momentum | rmsprop | adam (default hyper-parameters); an unknown
// name throws kiln::error listing the choices.
std::unique_ptr<optimizer> make_optimizer(std::string_view name, float learning_rate);

}  // namespace kiln
