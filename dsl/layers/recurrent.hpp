#pragma once
/*  rnn<H>, lstm<H>, gru<H>: recurrent layers over a compile-time number of steps T, one set
    of weights shared by every step, a zero initial state or one given by with_state.
    WHAT IT REPRESENTS  with x_t the input at step t and h_{-1} = 0 (c_{-1} = 0), or the
            state s of `with_state(x, s) >> lstm<H>` (dsl/graph.hpp; s = [h_{-1}; c_{-1}]):
      rnn   h_t = tanh(W_x x_t + W_h h_{t-1} + b)                        (C5W1A1's rnn_cell,
                                                                           Keras SimpleRNN)
      lstm  [i f g o] = W_x x_t + W_h h_{t-1} + b, gates stacked in that order (PyTorch's
            order; ONNX stacks i o f c, Keras i f c o);
            c_t = sigmoid(f) c_{t-1} + sigmoid(i) tanh(g);  h_t = sigmoid(o) tanh(c_t)
      gru   [r z n] gates; r = sigmoid(Wx_r x + bx_r + Wh_r h + bh_r), z likewise,
            n = tanh(Wx_n x + bx_n + r (Wh_n h + bh_n));  h_t = (1 - z) n + z h_{t-1}
            (the reset gate after the recurrent product: PyTorch's nn.GRU, Keras'
            reset_after=True, ONNX's linear_before_reset=1)
    USE       rnn<50> returns the last state h_{T-1} (features(H), Keras' default);
              rnn<50>(return_sequences) returns every h_t (sequence(H, T)).
    REQUIRES  H > 0; input a sequence (F, T)
    SHAPE     (F, T) -> (H) or (H, T)
    PARAMS    Halide order, innermost first, the output index outer as in dense:
              rnn   W_x (F, H), W_h (H, H) weight-init; b (H) zeros
              lstm  W_x (F, 4H), W_h (H, 4H); b (4H)
              gru   W_x (F, 3H), W_h (H, 3H); b_x (3H), b_h (3H)
              W(k, j) is PyTorch's weight_ih/weight_hh [j, k] (row-major, the same bytes).
    GRADIENT  backpropagation through time (codegen/ops/recurrent.hpp): one reduction over
              steps in reverse for the recurrent part, then the weight gradients as sums
              over (t, n) of outer products.                                              */
#include "dsl/layer.hpp"

namespace kiln {

enum class cell_kind { rnn, lstm, gru };

// rnn<H>(return_sequences): the tag that asks for every step's state.
struct return_sequences_t {};
inline constexpr return_sequences_t return_sequences{};

template <cell_kind Cell, int H, bool Sequences>
struct recurrent_t {
    static_assert(H > 0, "rnn/lstm/gru<H>: H (the state size) must be positive");
    static constexpr cell_kind cell = Cell;
    static constexpr int hidden = H;
    static constexpr bool sequences = Sequences;
    // gate blocks of H in W_x, W_h and b
    static constexpr int gates = Cell == cell_kind::lstm ? 4 : Cell == cell_kind::gru ? 3 : 1;
    // with_state(x, s): the size of s, [h; c] for the lstm
    static constexpr int initial_state_size = Cell == cell_kind::lstm ? 2 * H : H;
    static constexpr const char* kind = Cell == cell_kind::lstm ? "lstm" : Cell == cell_kind::gru ? "gru" : "rnn";
    static constexpr fixed_string<> name() {
        return cat(kind, "<", H, ">", Sequences ? "(return_sequences)" : "");
    }
    static constexpr shape_rule infer(shape in) {
        if (in.kind != shape_kind::sequence)
            return reject(cat(name(), ": expects a sequence (F, T), got ", describe(in),
                              "; declare the input as sequence<F, T>"));
        return accept(Sequences ? make_sequence(H, in[1]) : make_features(H));
    }
    static constexpr auto params(shape in) {
        constexpr int G = gates * H;
        if constexpr (Cell == cell_kind::gru)
            return std::array<param_spec, 4>{{{"W_x", 2, {in[0], G, 1, 1}, param_init::weight, in[0], H},
                                              {"W_h", 2, {H, G, 1, 1}, param_init::weight, H, H},
                                              {"b_x", 1, {G, 1, 1, 1}, param_init::zeros, in[0], H},
                                              {"b_h", 1, {G, 1, 1, 1}, param_init::zeros, H, H}}};
        else
            return std::array<param_spec, 3>{{{"W_x", 2, {in[0], G, 1, 1}, param_init::weight, in[0], H},
                                              {"W_h", 2, {H, G, 1, 1}, param_init::weight, H, H},
                                              {"b", 1, {G, 1, 1, 1}, param_init::zeros, in[0], H}}};
    }
    // rnn<H>(return_sequences)
    constexpr recurrent_t<Cell, H, true> operator()(return_sequences_t) const { return {}; }
};

/*  rnn_cell<H>, lstm_cell<H>, gru_cell<H>: one step of the layer above, for generation step
    by step (C5W1A2's sample()): the previous state comes in with the input and the new
    state goes out, so a compiled one-step network can be called in a loop.
    REQUIRES  input features (F + S): x_t, then the state (S = H; the lstm's S = 2H: h, c)
    SHAPE     (F + S) -> (S), the new state [h_t] (lstm: [h_t; c_t])
    PARAMS    the layer's, same names and shapes for F: a one-step network declared with the
              same kinds in the same order shares the trained network's parameter names
              (model::copy_parameters)
    GRADIENT  one step's: d x_t and d state (d_in), and the weights' (truncated BPTT by hand) */
template <cell_kind Cell, int H>
struct recurrent_cell_t {
    static_assert(H > 0, "rnn_cell/lstm_cell/gru_cell<H>: H must be positive");
    using sequence_layer = recurrent_t<Cell, H, false>;
    static constexpr cell_kind cell = Cell;
    static constexpr int hidden = H;
    static constexpr int state = Cell == cell_kind::lstm ? 2 * H : H;
    static constexpr const char* kind = sequence_layer::kind;
    static constexpr fixed_string<> name() { return cat(kind, "_cell<", H, ">"); }
    static constexpr shape_rule infer(shape in) {
        if (in.kind != shape_kind::features || in[0] <= state)
            return reject(cat(name(), ": expects features (F + ", state, ") - the step's input then the state - ",
                              "with F > 0, got ", describe(in)));
        return accept(make_features(state));
    }
    static constexpr auto params(shape in) { return sequence_layer::params(make_sequence(in[0] - state, 1)); }
};

template <int H>
inline constexpr recurrent_cell_t<cell_kind::rnn, H> rnn_cell{};
template <int H>
inline constexpr recurrent_cell_t<cell_kind::lstm, H> lstm_cell{};
template <int H>
inline constexpr recurrent_cell_t<cell_kind::gru, H> gru_cell{};

template <int H>
inline constexpr recurrent_t<cell_kind::rnn, H, false> rnn{};
template <int H>
inline constexpr recurrent_t<cell_kind::lstm, H, false> lstm{};
template <int H>
inline constexpr recurrent_t<cell_kind::gru, H, false> gru{};

}  // namespace kiln
