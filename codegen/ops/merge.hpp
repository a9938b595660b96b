#pragma once
// Nodes where two branches meet: add, mul, concat (along the innermost axis).
//   add      y = a + b        da = dy          db = dy
//   mul      y = a * b        da = dy * b      db = dy * a
//   concat   y = [a; b]       da = dy[:Fa]     db = dy[Fa:]
//   with_state   y = a (b is the state of the recurrent layer that reads y: lower.hpp hands
//            it to that layer, whose backward gives da and db)
#include <stdexcept>

#include "codegen/context.hpp"
#include "dsl/graph.hpp"

namespace kiln::codegen {

struct merge_lowering {
    static Func forward(const op_ctx& c, merge_op op, const Func& a, const Func& b, const shape& sa) {
        if (op == merge_op::state) return a;
        std::vector<Var> v = activation_vars(c.out);
        std::vector<Expr> at = as_exprs(v);
        Func y = c.func("fwd");
        if (op == merge_op::add) y(v) = a(at) + b(at);
        else if (op == merge_op::mul) y(v) = a(at) * b(at);
        else {
            std::vector<Expr> in_a = at, in_b = at;
            in_a[0] = Halide::min(v[0], sa[0] - 1);  // both sides of select are evaluated:
            in_b[0] = Halide::max(v[0] - sa[0], 0);  // keep each inside its own extent
            y(v) = Halide::select(v[0] < sa[0], a(in_a), b(in_b));
        }
        c.mark(y, stage_kind::pointwise, RDom(), c.out[0]);
        return y;
    }

    // {da, db}
    static std::pair<Func, Func> backward(const op_ctx& c, merge_op op, const Func& a, const Func& b,
                                          const Func& dy, const shape& sa, const shape& sb) {
        if (op == merge_op::state)  // lower.hpp routes the reading layer's gradients past this node
            throw std::logic_error("merge_lowering::backward: a with_state node has no backward of its own");
        Func da = c.func("d_lhs"), db = c.func("d_rhs");
        std::vector<Var> va = activation_vars(sa), vb = activation_vars(sb);
        if (op == merge_op::concat) {
            std::vector<Expr> at_b = as_exprs(vb);
            at_b[0] = vb[0] + sa[0];
            da(va) = dy(va);
            db(vb) = dy(at_b);
        } else if (op == merge_op::add) {
            da(va) = dy(va);
            db(vb) = dy(vb);
        } else {
            da(va) = dy(va) * b(va);
            db(vb) = dy(vb) * a(vb);
        }
        c.mark(da, stage_kind::pointwise, RDom(), sa[0]);
        c.mark(db, stage_kind::pointwise, RDom(), sb[0]);
        return {da, db};
    }
};

}  // namespace kiln::codegen
