#include "runtime/optimizer.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "kiln_adagrad.h"
#include "kiln_adam.h"
#include "kiln_momentum.h"
#include "kiln_momentum_nesterov.h"
#include "kiln_rmsprop.h"
#include "kiln_sgd.h"
#include "runtime/device.hpp"
#include "runtime/pipeline.hpp"
#ifdef KILN_CUDA
#include <HalideRuntimeCuda.h>

#include "kiln_adam_cuda.h"
#include "kiln_momentum_cuda.h"
#include "kiln_rmsprop_cuda.h"
#include "kiln_sgd_cuda.h"
#endif
#ifdef KILN_OPENCL
#include <HalideRuntimeOpenCL.h>

#include "kiln_adam_opencl.h"
#include "kiln_momentum_opencl.h"
#include "kiln_rmsprop_opencl.h"
#include "kiln_sgd_opencl.h"
#endif

namespace kiln {

namespace {

std::string number(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", v);
    return text;
}

void require_size(const char* what, const char* buffer, std::size_t expected, std::size_t found) {
    if (found != expected)
        throw error(std::string(what) + ": " + buffer + " has " + std::to_string(found) +
                    " elements, expected " + std::to_string(expected) + " (one per parameter)");
}

int arena_length(const char* what, std::size_t n) {
    if (n > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw error(std::string(what) + ": the arena has " + std::to_string(n) +
                    " parameters, the update pipelines take at most 2^31 - 1; split the arena");
    return static_cast<int>(n);
}

void check_rc(const char* what, int rc) {
    if (rc != 0)
        throw error(std::string(what) + ": update pipeline failed (Halide error " + std::to_string(rc) +
                    "): " + take_halide_error());
}

void require_fraction(const char* what, const char* setting, float v) {
    if (!(v >= 0 && v < 1))
        throw error(std::string(what) + ": " + setting + " must be in [0, 1), got " + number(v));
}

void require_epsilon(const char* what, float v) {
    if (!(v > 0) || !std::isfinite(v))
        throw error(std::string(what) + ": epsilon must be a small positive number (1e-8 is usual), got " +
                    number(v));
}

// 1 - beta^t in double, rounded once.
float one_minus_power(float beta, std::size_t t) {
    return static_cast<float>(1.0 - std::pow(static_cast<double>(beta), static_cast<double>(t)));
}

}  // namespace

void apply(const momentum_update& u, std::span<float> params, std::span<const float> grads,
           std::span<float> velocity) {
    const char* what = u.nesterov ? "nesterov momentum" : "momentum";
    require_size(what, "the gradient", params.size(), grads.size());
    require_size(what, "the velocity", params.size(), velocity.size());
    install_halide_error_handler();
    const int n = arena_length(what, params.size());
    halide_view<float> w(params.data(), n), v(velocity.data(), n);
    halide_view<const float> g(grads.data(), n);
    auto* fn = u.nesterov ? &kiln_momentum_nesterov : &kiln_momentum;
    check_rc(what, fn(w.raw_buffer(), g.raw_buffer(), v.raw_buffer(), u.learning_rate, u.alpha, u.beta,
                      u.norm_coefficient, w.raw_buffer(), v.raw_buffer()));
}

void apply(const rmsprop_update& u, std::span<float> params, std::span<const float> grads,
           std::span<float> mean_square) {
    require_size("rmsprop", "the gradient", params.size(), grads.size());
    require_size("rmsprop", "the mean square", params.size(), mean_square.size());
    install_halide_error_handler();
    const int n = arena_length("rmsprop", params.size());
    halide_view<float> w(params.data(), n), s(mean_square.data(), n);
    halide_view<const float> g(grads.data(), n);
    check_rc("rmsprop", kiln_rmsprop(w.raw_buffer(), g.raw_buffer(), s.raw_buffer(), u.learning_rate, u.beta2,
                                     u.epsilon, w.raw_buffer(), s.raw_buffer()));
}

void apply(const adam_update& u, std::span<float> params, std::span<const float> grads,
           std::span<float> velocity, std::span<float> mean_square) {
    require_size("adam", "the gradient", params.size(), grads.size());
    require_size("adam", "the velocity", params.size(), velocity.size());
    require_size("adam", "the mean square", params.size(), mean_square.size());
    install_halide_error_handler();
    const int n = arena_length("adam", params.size());
    halide_view<float> w(params.data(), n), v(velocity.data(), n), s(mean_square.data(), n);
    halide_view<const float> g(grads.data(), n);
    check_rc("adam", kiln_adam(w.raw_buffer(), g.raw_buffer(), v.raw_buffer(), s.raw_buffer(), u.learning_rate,
                               u.beta1, u.beta2, u.epsilon, u.correction1, u.correction2, u.norm_coefficient,
                               u.norm_coefficient_post, w.raw_buffer(), v.raw_buffer(), s.raw_buffer()));
}

void apply(const adagrad_update& u, std::span<float> params, std::span<const float> grads,
           std::span<float> sum_square) {
    require_size("adagrad", "the gradient", params.size(), grads.size());
    require_size("adagrad", "the sum of squares", params.size(), sum_square.size());
    install_halide_error_handler();
    const int n = arena_length("adagrad", params.size());
    halide_view<float> w(params.data(), n), h(sum_square.data(), n);
    halide_view<const float> g(grads.data(), n);
    check_rc("adagrad", kiln_adagrad(w.raw_buffer(), g.raw_buffer(), h.raw_buffer(), u.learning_rate, u.epsilon,
                                     u.norm_coefficient, w.raw_buffer(), h.raw_buffer()));
}

optimizer::optimizer(float learning_rate) : lr_(0) { set_learning_rate(learning_rate); }

optimizer::~optimizer() = default;

void optimizer::set_learning_rate(float lr) {
    if (!(lr > 0) || !std::isfinite(lr))
        throw error("optimizer: the learning rate must be a positive number (0.01 is usual), got " + number(lr));
    lr_ = lr;
}

void optimizer::check_sizes(std::size_t params, std::size_t grads, std::size_t state) const {
    if (params != grads)
        throw error(name() + ": " + std::to_string(params) + " parameters but " + std::to_string(grads) +
                    " gradients");
    if (state != 0 && state != params)
        throw error(name() + ": the state was sized for an arena of " + std::to_string(state) +
                    " parameters on the first step, this step passes " + std::to_string(params) +
                    "; use one optimizer per arena, or reset() it");
}

sgd::sgd(float learning_rate) : optimizer(learning_rate) {}

void sgd::step(std::span<float> params, std::span<const float> grads) {
    check_sizes(params.size(), grads.size(), 0);
    install_halide_error_handler();
    const int n = arena_length("sgd", params.size());
    halide_view<float> p(params.data(), n);
    halide_view<const float> g(grads.data(), n);
    check_rc("sgd", kiln_sgd(p.raw_buffer(), g.raw_buffer(), learning_rate(), p.raw_buffer()));
}

momentum::momentum(float learning_rate, float beta) : optimizer(learning_rate), beta_(beta) {
    require_fraction("momentum", "beta", beta);
}

void momentum::step(std::span<float> params, std::span<const float> grads) {
    check_sizes(params.size(), grads.size(), velocity_.size());
    if (velocity_.empty()) velocity_.assign(params.size(), 0.0f);
    apply(momentum_update{learning_rate(), beta_, 1.0f - beta_}, params, grads, velocity_);
}

rmsprop::rmsprop(float learning_rate, float beta2, float epsilon)
    : optimizer(learning_rate), beta2_(beta2), epsilon_(epsilon) {
    require_fraction("rmsprop", "beta2", beta2);
    require_epsilon("rmsprop", epsilon);
}

void rmsprop::step(std::span<float> params, std::span<const float> grads) {
    check_sizes(params.size(), grads.size(), mean_square_.size());
    if (mean_square_.empty()) mean_square_.assign(params.size(), 0.0f);
    apply(rmsprop_update{learning_rate(), beta2_, epsilon_}, params, grads, mean_square_);
}

adam::adam(float learning_rate, float beta1, float beta2, float epsilon)
    : optimizer(learning_rate), beta1_(beta1), beta2_(beta2), epsilon_(epsilon) {
    require_fraction("adam", "beta1", beta1);
    require_fraction("adam", "beta2", beta2);
    require_epsilon("adam", epsilon);
}

void adam::reset() {
    velocity_.clear();
    mean_square_.clear();
    t_ = 0;
    optimizer::reset();
}

// ---------------------------------------------------------------- on a GPU
namespace {
using buf = halide_buffer_t*;
// The updates built for one GPU module (codegen/CMakeLists.txt): the same generators as the
// CPU's, so the same arguments.
struct gpu_updates {
    int (*sgd)(buf, buf, float, buf);
    int (*momentum)(buf, buf, buf, float, float, float, float, buf, buf);
    int (*rmsprop)(buf, buf, buf, float, float, float, buf, buf);
    int (*adam)(buf, buf, buf, buf, float, float, float, float, float, float, float, float, buf, buf, buf);
};

// The updates for the module that holds params' device memory.
const gpu_updates& updates_for(const std::string& what, const halide_buffer_t* params) {
#ifdef KILN_CUDA
    static constexpr gpu_updates cuda{kiln_sgd_cuda, kiln_momentum_cuda, kiln_rmsprop_cuda, kiln_adam_cuda};
    if (params->device_interface == halide_cuda_device_interface()) return cuda;
#endif
#ifdef KILN_OPENCL
    static constexpr gpu_updates opencl{kiln_sgd_opencl, kiln_momentum_opencl, kiln_rmsprop_opencl, kiln_adam_opencl};
    if (params->device_interface == halide_opencl_device_interface()) return opencl;
#endif
    throw error(what + ": step_on_device needs parameters in GPU memory of a module this build has "
                "(configure with -DKILN_CUDA=ON or -DKILN_OPENCL=ON)");
}
}  // namespace

halide_buffer_t* optimizer::device_state(std::size_t k, const halide_buffer_t* params, std::size_t n) {
    Halide::Runtime::Buffer<float>& b = device_state_.at(k);
    if (b.data() == nullptr || static_cast<std::size_t>(b.number_of_elements()) != n) {
        b = Halide::Runtime::Buffer<float>(static_cast<int>(n));
        b.fill(0.0f);
        b.set_host_dirty(true);
        if (int rc = b.copy_to_device(params->device_interface); rc != 0)
            throw error(name() + ": allocating its state on the GPU failed (Halide error " + std::to_string(rc) +
                        "): " + take_halide_error());
    }
    return b.raw_buffer();
}

namespace {
std::size_t elements(const halide_buffer_t* b) { return b->dimensions == 0 ? 1 : static_cast<std::size_t>(b->dim[0].extent); }
}  // namespace

void sgd::step_on_device(halide_buffer_t* params, halide_buffer_t* grads) {
    check_sizes(elements(params), elements(grads), 0);
    check_rc("sgd", updates_for(name(), params).sgd(params, grads, learning_rate(), params));
}

void momentum::step_on_device(halide_buffer_t* params, halide_buffer_t* grads) {
    check_sizes(elements(params), elements(grads), 0);
    const gpu_updates& u = updates_for(name(), params);
    halide_buffer_t* v = device_state(0, params, elements(params));
    check_rc("momentum", u.momentum(params, grads, v, learning_rate(), beta_, 1.0f - beta_, 0.0f, params, v));
}

void rmsprop::step_on_device(halide_buffer_t* params, halide_buffer_t* grads) {
    check_sizes(elements(params), elements(grads), 0);
    const gpu_updates& u = updates_for(name(), params);
    halide_buffer_t* ms = device_state(0, params, elements(params));
    check_rc("rmsprop", u.rmsprop(params, grads, ms, learning_rate(), beta2_, epsilon_, params, ms));
}

void adam::step_on_device(halide_buffer_t* params, halide_buffer_t* grads) {
    check_sizes(elements(params), elements(grads), 0);
    const gpu_updates& u = updates_for(name(), params);
    halide_buffer_t* v = device_state(0, params, elements(params));
    halide_buffer_t* ms = device_state(1, params, elements(params));
    const std::size_t t = t_ + 1;
    check_rc("adam", u.adam(params, grads, v, ms, learning_rate(), beta1_, beta2_, epsilon_, one_minus_power(beta1_, t),
                            one_minus_power(beta2_, t), 0.0f, 0.0f, params, v, ms));
    t_ = t;
}

void adam::step(std::span<float> params, std::span<const float> grads) {
    check_sizes(params.size(), grads.size(), velocity_.size());
    if (velocity_.empty()) {
        velocity_.assign(params.size(), 0.0f);
        mean_square_.assign(params.size(), 0.0f);
    }
    const std::size_t t = t_ + 1;
    apply(adam_update{learning_rate(), beta1_, beta2_, epsilon_, one_minus_power(beta1_, t),
                      one_minus_power(beta2_, t)},
          params, grads, velocity_, mean_square_);
    t_ = t;  // counted only once the update has succeeded
}

std::unique_ptr<optimizer> make_optimizer(std::string_view name, float learning_rate) {
    if (name == "sgd") return std::make_unique<sgd>(learning_rate);
    if (name == "momentum") return std::make_unique<momentum>(learning_rate);
    if (name == "rmsprop") return std::make_unique<rmsprop>(learning_rate);
    if (name == "adam") return std::make_unique<adam>(learning_rate);
    throw error("unknown optimizer '" + std::string(name) + "'; choose one of sgd, momentum, rmsprop, adam");
}

namespace {
void check_clip_limit(const char* what, float limit) {
    if (!(limit > 0) || !std::isfinite(limit))
        throw error(std::string(what) + ": the limit must be positive and finite, got " + std::to_string(limit));
}
}  // namespace

std::size_t clip_by_value(std::span<float> grads, float limit) {
    check_clip_limit("clip_by_value", limit);
    std::size_t clipped = 0;
    for (float& g : grads) {
        if (g > limit) g = limit, ++clipped;
        else if (g < -limit) g = -limit, ++clipped;
    }
    return clipped;
}

double clip_by_norm(std::span<float> grads, float limit) {
    check_clip_limit("clip_by_norm", limit);
    double sum = 0;
    for (float g : grads) sum += static_cast<double>(g) * g;
    const double norm = std::sqrt(sum);
    if (norm > limit) {
        const float scale = static_cast<float>(limit / norm);
        for (float& g : grads) g *= scale;
    }
    return norm;
}

}  // namespace kiln
