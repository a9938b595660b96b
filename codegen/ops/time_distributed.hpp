#pragma once
// time_distributed(layer): the lowering of dsl/layers/time_distributed.hpp. The sequence
// (F, T, N) is read as a batch of T x N features (f, m), m = t + T n (the same memory
// order), the layer's own lowering runs on that batch, and its result is read back as
// (O, T, N). The views are plain index arithmetic that Halide inlines.
#include "codegen/context.hpp"
#include "codegen/ops/recurrent.hpp"
#include "dsl/layers/time_distributed.hpp"

namespace kiln::codegen {

template <class L>
struct op<time_distributed_t<L>> {
    static Func forward(const op_ctx& c, const Func& x, const std::vector<Func>& p) {
        const int T = c.in[1];
        const op_ctx s = steps_ctx(c, "", c.in[0], c.out[0]);
        Func y2 = op<L>::forward(s, steps_as_batch(x, T, c.name + "_steps"), p);
        return batch_as_steps(y2, T, c.name + "_seq");
    }
    static grads backward(const op_ctx& c, const Func& x, const Func& y, const Func& dy, const std::vector<Func>& p) {
        const int T = c.in[1];
        const op_ctx s = steps_ctx(c, "", c.in[0], c.out[0]);
        grads g = op<L>::backward(s, steps_as_batch(x, T, c.name + "_steps_b"), steps_as_batch(y, T, c.name + "_y_steps"),
                                  steps_as_batch(dy, T, c.name + "_dy_steps"), p);
        if (g.d_in.defined()) g.d_in = batch_as_steps(g.d_in, T, c.name + "_d_in_seq");
        return g;
    }
};

}  // namespace kiln::codegen
