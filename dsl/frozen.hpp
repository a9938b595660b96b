#pragma once
/*  frozen(block): the same layers with their parameters frozen, as Keras' trainable = False
    together with training = False (the transfer-learning base of C4W2A2).
    WHAT IT REPRESENTS  frozen_t<L> is layer L with the same kind, shape rule and parameter
                        names ("conv2d3.W" either way, so one checkpoint serves a frozen and an
                        unfrozen declaration), every parameter marked `frozen`.
    SEMANTICS  a frozen layer always computes its inference form: batch norm uses its running
               averages and does not update them, dropout is the identity. Its parameters
               get no gradient buffer, no optimizer state and no update; the parameter arena
               keeps them first so that the trainable ones are one contiguous tail
               (network::frozen_size). Backward runs through a frozen layer only when some
               trainable layer lies below it; otherwise nothing below the first trainable
               layer is differentiated.
    USE        input(image<160, 160, 3>) >> frozen(mobilenet_v2_base) >> global_avg_pool >> ...
               frozen() of a chain, residual or branches freezes every layer inside.            */
#include "dsl/graph.hpp"

namespace kiln {

// A recurrent layer's initial-state size (with_state), kept through frozen().
template <class L>
struct frozen_state {};
template <class L>
    requires requires { L::initial_state_size; }
struct frozen_state<L> {
    static constexpr int initial_state_size = L::initial_state_size, hidden = L::hidden;
};

template <layer L>
struct frozen_t : frozen_state<L> {
    static_assert(!is_loss_layer<L>(), "frozen(): a loss has nothing to freeze");
    using base = L;
    static constexpr const char* kind = L::kind;
    static constexpr fixed_string<> name() { return cat("frozen ", L::name()); }
    static constexpr shape_rule infer(shape in) { return L::infer(in); }
    static constexpr auto params(shape in) {
        auto p = L::params(in);
        for (param_spec& s : p) s.frozen = true;
        return p;
    }
};

template <class T> struct is_frozen_layer : std::false_type {};
template <class L> struct is_frozen_layer<frozen_t<L>> : std::true_type {};
// The layer under a frozen_t, or the layer itself.
template <class L> struct unfrozen { using type = L; };
template <class L> struct unfrozen<frozen_t<L>> { using type = L; };

// The block type with every layer inside wrapped in frozen_t.
template <class B> struct freeze_block { using type = frozen_t<B>; };
template <class L> struct freeze_block<frozen_t<L>> { using type = frozen_t<L>; };
template <> struct freeze_block<identity_t> { using type = identity_t; };
template <class... Bs> struct freeze_block<chain<Bs...>> { using type = chain<typename freeze_block<Bs>::type...>; };
template <class M, class S> struct freeze_block<residual_t<M, S>> {
    using type = residual_t<typename freeze_block<M>::type, typename freeze_block<S>::type>;
};
template <merge_op Op, class A, class B> struct freeze_block<branches_t<Op, A, B>> {
    using type = branches_t<Op, typename freeze_block<A>::type, typename freeze_block<B>::type>;
};

template <block B>
constexpr typename freeze_block<std::remove_cvref_t<B>>::type frozen(B) { return {}; }

}  // namespace kiln
