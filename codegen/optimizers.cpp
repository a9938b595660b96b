/*  Optimizer updates as AOT pipelines over the flat parameter arena. They know nothing of
    any network: the runtime hands them the whole arena (P floats) at once.
      sgd   w <- w - lr * g
    Each is pointwise, so the output may alias the input (the runtime updates in place).
    Schedule: 16-wide AVX-512 vectors, eight parallel tasks. Memory-bound: see
    bench/ for GB/s against this machine's measured bandwidth.                            */
#include <Halide.h>

namespace {

using namespace Halide;

// Eight parallel tasks of whole vectors. The task size is computed from the arena's length:
// a guarded split runs its inner loop to the full factor, so a fixed large factor would
// make small arenas pay for it. Tails are guarded, never shifted: the update runs in place.
void schedule_arena(Func f, const Var& i, const Expr& size, const Target& target) {
    Var io("io"), ii("ii");
    const int vec = target.natural_vector_size<float>();
    const Expr task = Halide::max(vec, ((size + 7) / 8 + vec - 1) / vec * vec);
    f.split(i, io, ii, task, TailStrategy::GuardWithIf)
        .vectorize(ii, vec, TailStrategy::GuardWithIf)
        .parallel(io);
}

class sgd_generator : public Generator<sgd_generator> {
  public:
    Input<Buffer<float, 1>> params{"params"};
    Input<Buffer<float, 1>> grads{"grads"};
    Input<float> learning_rate{"learning_rate"};
    Output<Buffer<float, 1>> updated{"updated"};

    void generate() {
        updated(i) = params(i) - learning_rate * grads(i);
        params.set_estimates({{0, 1 << 20}});
        grads.set_estimates({{0, 1 << 20}});
        updated.set_estimates({{0, 1 << 20}});
        if (!get_auto_schedule()) schedule_arena(updated, i, params.dim(0).extent(), get_target());
    }

  private:
    Var i{"i"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(sgd_generator, kiln_sgd)
