#pragma once
/*  The network as a type: nodes, `>>`, and the combinators for graphs that are not chains.
    WHAT IT REPRESENTS  a static DAG. Node types:
      input_node<K, S>          the K-th network input, per-sample shape S
      layer_node<L, X, Branch>  layer L applied to node X (Branch tells apart two parallel
                                applications of identical layers to the same X)
      merge_node<Op, A, B>      add / mul / concat of two nodes, or with_state: a sequence
                                A and the initial state B of the one rnn/lstm/gru that
                                reads it (its value is A's)
    A node type is its identity: a node used twice (a residual's input) is the same type,
    and the lowering computes it once.
    Blocks are unbound sub-networks: a layer, `a >> b` of blocks (a chain), identity,
    residual(main, shortcut), concat(a, b), add(a, b), mul(a, b). `node >> block` applies.
    ERRORS   a shape mismatch fails at the user's `>>` with the layer's sentence in the
             compiler note: 'kiln::shape_error<{"dense<10>: expects features ..."}>'.        */
#include <type_traits>

#include "dsl/layer.hpp"

namespace kiln {

// The note of this static_assert is the one readable line of a shape error.
template <fixed_string Why>
inline constexpr bool shape_error = false;

// ---------------------------------------------------------------- nodes
template <int K, shape S>
struct input_node {
    static constexpr int index = K;
    static constexpr shape out = S;
};

template <class L, class X, int Branch = -1>
struct layer_node {
    using layer_type = L;
    using from = X;
    static constexpr shape out = L::infer(X::out).out;
};

enum class merge_op { add, mul, concat, state };

constexpr const char* merge_name(merge_op op) {
    return op == merge_op::add ? "add" : op == merge_op::mul ? "mul" : op == merge_op::concat ? "concat" : "with_state";
}

constexpr shape_rule merge_rule(merge_op op, shape a, shape b) {
    if (op == merge_op::state) {
        if (a.kind == shape_kind::sequence && b.kind == shape_kind::features) return accept(a);
        return reject(cat("with_state(x, s): x must be a sequence (F, T) and s the initial state as features "
                          "(H; [h; c] for an lstm), got ",
                          describe(a), " and ", describe(b)));
    }
    if (op != merge_op::concat) {
        if (a == b) return accept(a);
        return reject(cat(merge_name(op), ": both branches must have the same shape, got ",
                          describe(a), " and ", describe(b)));
    }
    bool same_rest = a.kind == b.kind && a.rank == b.rank;
    for (int i = 1; i < a.rank; ++i) same_rest = same_rest && a[i] == b[i];
    if (!same_rest)
        return reject(cat("concat: joins along the innermost axis (features or channels), the "
                          "other axes must match, got ",
                          describe(a), " and ", describe(b)));
    shape out = a;
    out.dims[0] = a[0] + b[0];
    return accept(out);
}

template <merge_op Op, class A, class B>
struct merge_node {
    static constexpr merge_op op = Op;
    using lhs = A;
    using rhs = B;
    static constexpr shape out = merge_rule(Op, A::out, B::out).out;
};

template <class T> struct is_state_node : std::false_type {};
template <class A, class B> struct is_state_node<merge_node<merge_op::state, A, B>> : std::true_type {};

template <class T> struct is_node : std::false_type {};
template <int K, shape S> struct is_node<input_node<K, S>> : std::true_type {};
template <class L, class X, int B> struct is_node<layer_node<L, X, B>> : std::true_type {};
template <merge_op Op, class A, class B> struct is_node<merge_node<Op, A, B>> : std::true_type {};
template <class T>
concept node = is_node<std::remove_cvref_t<T>>::value;

// ---------------------------------------------------------------- blocks
template <class... Bs> struct chain {};
struct identity_t {};
inline constexpr identity_t identity{};
template <class Main, class Shortcut> struct residual_t {};
template <merge_op Op, class A, class B> struct branches_t {};

template <class T> struct is_block : std::bool_constant<layer<T>> {};
template <class... Bs> struct is_block<chain<Bs...>> : std::true_type {};
template <> struct is_block<identity_t> : std::true_type {};
template <class M, class S> struct is_block<residual_t<M, S>> : std::true_type {};
template <merge_op Op, class A, class B> struct is_block<branches_t<Op, A, B>> : std::true_type {};
template <class T>
concept block = is_block<std::remove_cvref_t<T>>::value;

// ---------------------------------------------------------------- applying a block to a node
// Path tells apart parallel branches: branch i of a combinator reached by path P gets
// path 4P + i + 1. The main trunk is path 0.
template <int Path, class X, layer L> constexpr auto apply_block(X x, L);
template <int Path, class X> constexpr auto apply_block(X x, identity_t);
template <int Path, class X, class First, class... Rest>
constexpr auto apply_block(X x, chain<First, Rest...>);
template <int Path, class X, class M, class S> constexpr auto apply_block(X x, residual_t<M, S>);
template <int Path, class X, merge_op Op, class A, class B>
constexpr auto apply_block(X x, branches_t<Op, A, B>);

template <merge_op Op, class A, class B>
constexpr auto merge_nodes(A a, B) {
    constexpr shape_rule r = merge_rule(Op, A::out, B::out);
    if constexpr (is_state_node<A>::value || is_state_node<B>::value) {
        static_assert(shape_error<cat(merge_name(Op), ": one side is a with_state(x, s) node, which only an "
                                      "rnn, lstm or gru layer may read; apply the recurrent layer first")>,
                      "kiln: shape error (the note names the layer)");
        return a;
    } else if constexpr (!r.ok) {
        static_assert(shape_error<r.message>, "kiln: shape error (the note names the layer)");
        return a;
    } else {
        return merge_node<Op, A, B>{};
    }
}

// A layer that takes an initial state (rnn, lstm, gru) names its size: initial_state_size.
template <class L>
constexpr shape_rule state_rule(shape state) {
    if constexpr (requires { L::initial_state_size; }) {
        if (state[0] == L::initial_state_size) return accept(state);
        return reject(cat(L::name(), ": with_state(x, s) gives an initial state of ", state[0],
                          " features, the layer needs ", L::initial_state_size,
                          L::initial_state_size == 2 * L::hidden ? " ([h; c])" : ""));
    } else {
        return reject(cat(L::name(), ": takes no initial state; with_state(x, s) feeds an rnn, lstm or gru"));
    }
}

template <int Path, class X, layer L>
constexpr auto apply_block(X x, L) {
    constexpr shape_rule r = [] {
        if constexpr (is_state_node<X>::value) {
            constexpr shape_rule s = state_rule<L>(X::rhs::out);
            if constexpr (!s.ok) return s;
            else return L::infer(X::out);
        } else {
            return L::infer(X::out);
        }
    }();
    if constexpr (!r.ok) {
        static_assert(shape_error<r.message>, "kiln: shape error (the note names the layer)");
        return x;
    } else {
        return layer_node<L, X, Path>{};
    }
}

template <int Path, class X>
constexpr auto apply_block(X x, identity_t) { return x; }

template <int Path, class X, class First, class... Rest>
constexpr auto apply_block(X x, chain<First, Rest...>) {
    auto y = apply_block<Path>(x, First{});
    if constexpr (sizeof...(Rest) == 0) return y;
    else return apply_block<Path>(y, chain<Rest...>{});
}

template <int Path, class X, class M, class S>
constexpr auto apply_block(X x, residual_t<M, S>) {
    return merge_nodes<merge_op::add>(apply_block<4 * Path + 1>(x, M{}),
                                      apply_block<4 * Path + 2>(x, S{}));
}

template <int Path, class X, merge_op Op, class A, class B>
constexpr auto apply_block(X x, branches_t<Op, A, B>) {
    return merge_nodes<Op>(apply_block<4 * Path + 1>(x, A{}), apply_block<4 * Path + 2>(x, B{}));
}

// ---------------------------------------------------------------- the user-facing vocabulary
// input(features<2>) is input 0; input<1>(image<64, 64, 3>) a second input.
template <int K = 0, shape S>
constexpr input_node<K, S> input(shape_constant<S>) {
    static_assert(K >= 0, "input<K>: the input index must be >= 0");
    return {};
}

template <class T> struct as_chain { using type = chain<T>; };
template <class... Bs> struct as_chain<chain<Bs...>> { using type = chain<Bs...>; };
template <class... As, class... Bs>
constexpr chain<As..., Bs...> join(chain<As...>, chain<Bs...>) { return {}; }

// node >> block applies the block; block >> block is a chain (a reusable sub-network).
template <node X, block B>
constexpr auto operator>>(X x, B b) { return apply_block<0>(x, b); }
template <block A, block B>
    requires(!node<A>)
constexpr auto operator>>(A, B) {
    return join(typename as_chain<A>::type{}, typename as_chain<B>::type{});
}

template <block M, block S>
constexpr residual_t<M, S> residual(M, S) { return {}; }

// concat/add/mul of two nodes (several inputs) or of two blocks (branches of one input).
#define KILN_MERGE_FUNCTION(fn, op)                                               \
    template <class A, class B>                                                   \
        requires((node<A> && node<B>) || (block<A> && block<B>))                  \
    constexpr auto fn(A a, B b) {                                                 \
        if constexpr (node<A>) return merge_nodes<op>(a, b);                      \
        else return branches_t<op, A, B>{};                                       \
    }
KILN_MERGE_FUNCTION(concat, merge_op::concat)
KILN_MERGE_FUNCTION(add, merge_op::add)
KILN_MERGE_FUNCTION(mul, merge_op::mul)
#undef KILN_MERGE_FUNCTION

/*  with_state(x, s) >> lstm<H>: the recurrent layer starts from s instead of zeros (Keras'
    initial_state, PyTorch's h_0 / (h_0, c_0)). x: a sequence (F, T); s: features, H for an
    rnn or gru, [h_0; c_0] (2H) for an lstm, from a network input (C5W1A1's a0) or from
    another layer (an encoder's last state), which then gets d cost / d s. Only a recurrent
    layer may read the node.                                                            */
template <node X, node S>
constexpr auto with_state(X x, S s) {
    return merge_nodes<merge_op::state>(x, s);
}

}  // namespace kiln
