#pragma once
// frozen_t<L> (dsl/frozen.hpp): layer L's inference form, in inference and training builds
// alike, and no parameter gradients. Backward, which lower() asks for only when a trainable
// layer lies below, propagates d_in through that inference form:
//   batch norm   dx = dy gamma / sqrt(running_var + eps)   (an affine map per channel)
//   dropout      dx = dy                                  (the identity)
//   otherwise    L's own d_in (conv2d, dense, ... do not depend on training mode), and
//                a recurrent layer's d of its initial state (with_state)
#include "codegen/context.hpp"
#include "codegen/ops/batch_norm.hpp"
#include "dsl/frozen.hpp"
#include "dsl/layers/dropout.hpp"

namespace kiln::codegen {

template <class L>
struct op<frozen_t<L>> {
    static op_ctx inference(const op_ctx& c) {
        op_ctx i = c;
        i.train = nullptr;
        return i;
    }

    static Func forward(const op_ctx& c, const Func& x, const std::vector<Func>& p) {
        return op<L>::forward(inference(c), x, p);
    }

    static grads backward(const op_ctx& c, const Func& x, const Func& y, const Func& dy, const std::vector<Func>& p) {
        if constexpr (is_batch_norm<L>::value) {
            std::vector<Var> v = activation_vars(c.in);
            Func dx = c.func("d_in");
            dx(v) = dy(v) * p[0](v[0]) / Halide::sqrt(p[3](v[0]) + c.k(L::epsilon));
            c.mark(dx, stage_kind::pointwise, RDom(), c.in[0]);
            return {dx, {}};
        } else if constexpr (std::is_same_v<L, dropout_t>) {
            return {dy, {}};
        } else {
            const grads g = op<L>::backward(inference(c), x, y, dy, p);
            return {g.d_in, {}, g.d_state};  // d_state: with_state's s, when it has a gradient
        }
    }
};

}  // namespace kiln::codegen
