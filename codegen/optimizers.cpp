/*  Optimizer updates as AOT pipelines over the flat parameter arena. They know nothing of
    any network: the runtime hands them the whole arena (P floats) at once. Every scalar
    that depends on the step count t (bias corrections, decayed rates) is computed on the
    host, so one pipeline serves the course's formulas and ONNX's training operators.
      sgd       w <- w - lr g
      momentum  g' = nc w + g;  v <- alpha v + beta g';  w <- w - lr v
                (nesterov: w <- w - lr (g' + alpha v));  course: alpha = b, beta = 1 - b, nc = 0
      rmsprop   s <- b2 s + (1 - b2) g^2;  w <- w - lr g / (sqrt(s) + eps)
      adam      g' = nc w + g;  v <- b1 v + (1 - b1) g';  s <- b2 s + (1 - b2) g'^2
                w <- (1 - nc_post) (w - lr (v / c1) / (sqrt(s / c2) + eps))
                course: c1 = 1 - b1^t, c2 = 1 - b2^t;  ONNX: c1 = (1 - a^T) / sqrt(1 - b^T), c2 = 1
      adagrad   g' = nc w + g;  h <- h + g'^2;  w <- w - lr g' / (sqrt(h) + eps)
                (ONNX's decay: the host passes lr = R / (1 + T decay_factor))
    Each is pointwise, so the outputs may alias the inputs (the runtime updates in place).
    The stateful ones have ONE Tuple-valued output (updated params, then each state buffer):
    one Func means one pass that loads every input of an element before storing any output,
    which is what makes the in-place update safe. Separate output Funcs would be separate
    loops, the second reading state the first has already overwritten.
    Schedule: 16-wide AVX-512 vectors, eight parallel tasks. Memory-bound: see
    bench/ (BM_optimizer vs BM_memory_bandwidth) for GB/s against this machine's bandwidth. */
#include <Halide.h>

namespace {

using namespace Halide;

// Eight parallel tasks of whole vectors. The task size is computed from the arena's length:
// a guarded split runs its inner loop to the full factor, so a fixed large factor would
// make small arenas pay for it. Tails are guarded, never shifted: the update runs in place.
void schedule_arena(Func f, const Var& i, const Expr& size, const Target& target) {
    Var io("io"), ii("ii");
    if (target.has_gpu_feature()) {
        // CUDA: one thread per element, 256 to a block; in place, so the tail is guarded.
        f.gpu_tile(i, io, ii, 256, TailStrategy::GuardWithIf);
        return;
    }
    const int vec = target.natural_vector_size<float>();
    const Expr task = Halide::max(vec, ((size + 7) / 8 + vec - 1) / vec * vec);
    f.split(i, io, ii, task, TailStrategy::GuardWithIf)
        .vectorize(ii, vec, TailStrategy::GuardWithIf)
        .parallel(io);
}

// Estimates for the autoschedulers: a 1M-float arena.
template <class... B>
void estimate_arena(B&... buffers) {
    (buffers.set_estimates({{0, 1 << 20}}), ...);
}

class sgd_generator : public Generator<sgd_generator> {
  public:
    Input<Buffer<float, 1>> params{"params"};
    Input<Buffer<float, 1>> grads{"grads"};
    Input<float> learning_rate{"learning_rate"};
    Output<Buffer<float, 1>> updated{"updated"};

    void generate() {
        updated(i) = params(i) - learning_rate * grads(i);
        estimate_arena(params, grads, updated);
        if (!get_auto_schedule()) schedule_arena(updated, i, params.dim(0).extent(), get_target());
    }

  private:
    Var i{"i"};
};

// updated = (params, velocity). ONNX's Momentum op; the course's momentum is one setting.
class momentum_generator : public Generator<momentum_generator> {
  public:
    GeneratorParam<bool> nesterov{"nesterov", false};
    Input<Buffer<float, 1>> params{"params"};
    Input<Buffer<float, 1>> grads{"grads"};
    Input<Buffer<float, 1>> velocity{"velocity"};
    Input<float> learning_rate{"learning_rate"};
    Input<float> alpha{"alpha"};  // decay of the previous velocity
    Input<float> beta{"beta"};    // scale of the current (regularized) gradient
    Input<float> norm_coefficient{"norm_coefficient"};
    Output<Buffer<void, 1>> updated{"updated", {Float(32), Float(32)}};

    void generate() {
        const Expr g = norm_coefficient * params(i) + grads(i);
        const Expr v = alpha * velocity(i) + beta * g;
        const Expr direction = nesterov.value() ? g + alpha * v : v;
        updated(i) = Tuple(params(i) - learning_rate * direction, v);
        estimate_arena(params, grads, velocity, updated);
        if (!get_auto_schedule()) schedule_arena(updated, i, params.dim(0).extent(), get_target());
    }

  private:
    Var i{"i"};
};

// updated = (params, mean_square).
class rmsprop_generator : public Generator<rmsprop_generator> {
  public:
    Input<Buffer<float, 1>> params{"params"};
    Input<Buffer<float, 1>> grads{"grads"};
    Input<Buffer<float, 1>> mean_square{"mean_square"};
    Input<float> learning_rate{"learning_rate"};
    Input<float> beta2{"beta2"};
    Input<float> epsilon{"epsilon"};
    Output<Buffer<void, 1>> updated{"updated", {Float(32), Float(32)}};

    void generate() {
        const Expr g = grads(i);
        const Expr s = beta2 * mean_square(i) + (1.0f - beta2) * (g * g);
        updated(i) = Tuple(params(i) - learning_rate * g / (sqrt(s) + epsilon), s);
        estimate_arena(params, grads, mean_square, updated);
        if (!get_auto_schedule()) schedule_arena(updated, i, params.dim(0).extent(), get_target());
    }

  private:
    Var i{"i"};
};

// updated = (params, velocity, mean_square). The bias corrections are divisors, as the
// course writes them (v / (1 - b1^t)), so the course's reference rounds the same way.
class adam_generator : public Generator<adam_generator> {
  public:
    Input<Buffer<float, 1>> params{"params"};
    Input<Buffer<float, 1>> grads{"grads"};
    Input<Buffer<float, 1>> velocity{"velocity"};
    Input<Buffer<float, 1>> mean_square{"mean_square"};
    Input<float> learning_rate{"learning_rate"};
    Input<float> beta1{"beta1"};
    Input<float> beta2{"beta2"};
    Input<float> epsilon{"epsilon"};
    Input<float> correction1{"correction1"};  // v_hat = v / correction1
    Input<float> correction2{"correction2"};  // s_hat = s / correction2
    Input<float> norm_coefficient{"norm_coefficient"};
    Input<float> norm_coefficient_post{"norm_coefficient_post"};
    Output<Buffer<void, 1>> updated{"updated", {Float(32), Float(32), Float(32)}};

    void generate() {
        const Expr g = norm_coefficient * params(i) + grads(i);
        const Expr v = beta1 * velocity(i) + (1.0f - beta1) * g;
        const Expr s = beta2 * mean_square(i) + (1.0f - beta2) * (g * g);
        const Expr w = params(i) - learning_rate * (v / correction1) / (sqrt(s / correction2) + epsilon);
        updated(i) = Tuple((1.0f - norm_coefficient_post) * w, v, s);
        estimate_arena(params, grads, velocity, mean_square, updated);
        if (!get_auto_schedule()) schedule_arena(updated, i, params.dim(0).extent(), get_target());
    }

  private:
    Var i{"i"};
};

// updated = (params, sum_square). ONNX's Adagrad op.
class adagrad_generator : public Generator<adagrad_generator> {
  public:
    Input<Buffer<float, 1>> params{"params"};
    Input<Buffer<float, 1>> grads{"grads"};
    Input<Buffer<float, 1>> sum_square{"sum_square"};
    Input<float> learning_rate{"learning_rate"};  // already decayed: R / (1 + T decay_factor)
    Input<float> epsilon{"epsilon"};
    Input<float> norm_coefficient{"norm_coefficient"};
    Output<Buffer<void, 1>> updated{"updated", {Float(32), Float(32)}};

    void generate() {
        const Expr g = norm_coefficient * params(i) + grads(i);
        const Expr h = sum_square(i) + g * g;
        updated(i) = Tuple(params(i) - learning_rate * g / (sqrt(h) + epsilon), h);
        estimate_arena(params, grads, sum_square, updated);
        if (!get_auto_schedule()) schedule_arena(updated, i, params.dim(0).extent(), get_target());
    }

  private:
    Var i{"i"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(sgd_generator, kiln_sgd)
HALIDE_REGISTER_GENERATOR(momentum_generator, kiln_momentum)
HALIDE_REGISTER_GENERATOR(rmsprop_generator, kiln_rmsprop)
HALIDE_REGISTER_GENERATOR(adam_generator, kiln_adam)
HALIDE_REGISTER_GENERATOR(adagrad_generator, kiln_adagrad)
