// rnn, lstm and gru (last state and return_sequences) and time_distributed(dense) through the
// op harness: forward against the plain loops below (the cell equations of
// dsl/layers/recurrent.hpp, step by step), every gradient against centred finite
// differences of the compiled cost (backpropagation through time; a time_distributed dense
// before the recurrent layer makes its d_in part of that dense's d_W), manual against naive.
#include "op_harness.hpp"

using namespace kiln;
using namespace kiln::test;

namespace {

double sig(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// x (F, T, N) -> h (H, T, N); W_x (F, G H), W_h (H, G H) with W(k, j) = W[k + K j].
// kind 0 rnn, 1 lstm [i f g o], 2 gru [r z n] (reset after the recurrent product).
// state: the initial state (S, N) - [h; c] for the lstm - or null for zeros.
tensor recurrent_ref(int kind, const tensor& x, int F, int T, int n, int H, const tensor& Wx, const tensor& Wh,
                     const tensor& b, const tensor* bh, const tensor* state = nullptr) {
    const int G = (kind == 1 ? 4 : kind == 2 ? 3 : 1) * H, S = kind == 1 ? 2 * H : H;
    tensor out(static_cast<std::size_t>(H * T * n));
    for (int s = 0; s < n; ++s) {
        std::vector<double> h(H, 0.0), c(H, 0.0);
        for (int m = 0; state && m < H; ++m) {
            h[m] = (*state)[m + S * s];
            if (kind == 1) c[m] = (*state)[H + m + S * s];
        }
        for (int t = 0; t < T; ++t) {
            std::vector<double> ax(G), ah(G);  // W_x x_t + b, W_h h_{t-1} (+ b_h)
            for (int j = 0; j < G; ++j) {
                double a = b[j];
                for (int f = 0; f < F; ++f) a += Wx[f + F * j] * x[f + F * (t + T * s)];
                double r = bh ? (*bh)[j] : 0.0;
                for (int k = 0; k < H; ++k) r += Wh[k + H * j] * h[k];
                ax[j] = a;
                ah[j] = r;
            }
            std::vector<double> next(H);
            for (int m = 0; m < H; ++m) {
                if (kind == 0) {
                    next[m] = std::tanh(ax[m] + ah[m]);
                } else if (kind == 1) {
                    auto z = [&](int q) { return ax[q * H + m] + ah[q * H + m]; };
                    c[m] = sig(z(1)) * c[m] + sig(z(0)) * std::tanh(z(2));
                    next[m] = sig(z(3)) * std::tanh(c[m]);
                } else {
                    const double r = sig(ax[m] + ah[m]), z = sig(ax[H + m] + ah[H + m]);
                    const double nn = std::tanh(ax[2 * H + m] + r * ah[2 * H + m]);
                    next[m] = (1 - z) * nn + z * h[m];
                }
            }
            h = next;
            for (int m = 0; m < H; ++m) out[m + H * (t + T * s)] = h[m];
        }
    }
    return out;
}

tensor last_step(const tensor& h, int H, int T, int n) {
    tensor y(static_cast<std::size_t>(H * n));
    for (int s = 0; s < n; ++s)
        for (int m = 0; m < H; ++m) y[m + H * s] = h[m + H * (T - 1 + T * s)];
    return y;
}

// a dense over the T x N steps of a sequence (the same memory order as a batch of T N)
tensor per_step_dense(const tensor& x, const batch& b, const std::string& node, int steps) {
    return dense_ref(x, b.param(node + ".W"), b.param(node + ".b"), steps);
}

template <int Kind>
tensor cell(const batch& b, const std::string& node, const tensor& x, int F, int T, int H) {
    if constexpr (Kind == 2)
        return recurrent_ref(2, x, F, T, b.n, H, b.param(node + ".W_x"), b.param(node + ".W_h"), b.param(node + ".b_x"),
                             &b.param(node + ".b_h"));
    else
        return recurrent_ref(Kind, x, F, T, b.n, H, b.param(node + ".W_x"), b.param(node + ".W_h"), b.param(node + ".b"),
                             nullptr);
}

constexpr const char* names[] = {"rnn1", "lstm1", "gru1"};

template <class Layer>
constexpr int kind_of = Layer::cell == cell_kind::rnn ? 0 : Layer::cell == cell_kind::lstm ? 1 : 2;

// the last state of 5 steps of 3 features, into a dense
template <class Layer>
struct last_case {
    static constexpr double fd_eps = 1e-3;  // smooth: tanh, sigmoid, softmax, mse
    static constexpr auto net = input(sequence<3, 5>) >> Layer{} >> dense<2> >> loss::mse;
    static tensor logits(const batch& b) {
        constexpr int K = kind_of<Layer>;
        const tensor h = cell<K>(b, names[K], b.x[0], 3, 5, 4);
        return dense_ref(last_step(h, 4, 5, b.n), b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

// a time_distributed dense + tanh before (its d_W carries the layer's d_in), every step's
// state out, a time_distributed dense after, flattened into a dense and a softmax
template <class Layer>
struct sequence_case {
    static constexpr double fd_eps = 1e-3;  // smooth: tanh, sigmoid, softmax, mse
    static constexpr auto net = input(sequence<2, 4>) >> time_distributed(dense<3>) >> tanh_ >>
                                Layer{}(return_sequences) >> time_distributed(dense<2>) >> flatten >> dense<3> >>
                                loss::softmax_cross_entropy;
    static tensor logits(const batch& b) {
        constexpr int K = kind_of<Layer>;
        tensor u = map_ref(per_step_dense(b.x[0], b, "dense1", 4 * b.n), [](double v) { return std::tanh(v); });
        const tensor h = cell<K>(b, names[K], u, 3, 4, 5);
        const tensor y = per_step_dense(h, b, "dense2", 4 * b.n);
        return dense_ref(y, b.param("dense3.W"), b.param("dense3.b"), b.n);
    }
};

// one step: the recurrence's first step alone (no W_h term) must still be right
template <class Layer>
struct one_step_case {
    static constexpr double fd_eps = 1e-3;  // smooth: tanh, sigmoid, softmax, mse
    static constexpr auto net = input(sequence<3, 1>) >> Layer{} >> dense<1> >> loss::mse;
    static tensor logits(const batch& b) {
        constexpr int K = kind_of<Layer>;
        const tensor h = cell<K>(b, names[K], b.x[0], 3, 1, 2);
        return dense_ref(h, b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};


// One step with a given state: xs (F + S, N) = [x; h] or [x; h; c] -> the new state (S, N).
tensor cell_step_ref(int kind, const tensor& xs, int F, int n, int H, const tensor& Wx, const tensor& Wh,
                     const tensor& b, const tensor* bh) {
    const int G = (kind == 1 ? 4 : kind == 2 ? 3 : 1) * H, S = kind == 1 ? 2 * H : H, I = F + S;
    tensor out(static_cast<std::size_t>(S * n));
    for (int s = 0; s < n; ++s) {
        std::vector<double> ax(G), ah(G);
        for (int j = 0; j < G; ++j) {
            ax[j] = b[j];
            ah[j] = bh ? (*bh)[j] : 0.0;
            for (int f = 0; f < F; ++f) ax[j] += Wx[f + F * j] * xs[f + I * s];
            for (int k = 0; k < H; ++k) ah[j] += Wh[k + H * j] * xs[F + k + I * s];
        }
        for (int m = 0; m < H; ++m) {
            const double h = xs[F + m + I * s];
            if (kind == 0) {
                out[m + S * s] = std::tanh(ax[m] + ah[m]);
            } else if (kind == 1) {
                auto z = [&](int q) { return ax[q * H + m] + ah[q * H + m]; };
                const double c = sig(z(1)) * xs[F + H + m + I * s] + sig(z(0)) * std::tanh(z(2));
                out[m + S * s] = sig(z(3)) * std::tanh(c);
                out[H + m + S * s] = c;
            } else {
                const double r = sig(ax[m] + ah[m]), z = sig(ax[H + m] + ah[H + m]);
                const double nn = std::tanh(ax[2 * H + m] + r * ah[2 * H + m]);
                out[m + S * s] = (1 - z) * nn + z * h;
            }
        }
    }
    return out;
}

// one step with a state computed by a dense + tanh from the input (so the cell's d_in, for
// both x_t and the state, is checked through dense1's d_W), into a dense
template <class Cell>
struct cell_case {
    static constexpr double fd_eps = 1e-3;  // smooth
    static constexpr int S = Cell::state;
    static constexpr auto net = input(features<4>) >> dense<3 + S> >> tanh_ >> Cell{} >> dense<2> >> loss::mse;
    static tensor logits(const batch& b) {
        constexpr int K = Cell::cell == cell_kind::rnn ? 0 : Cell::cell == cell_kind::lstm ? 1 : 2;
        const tensor u = map_ref(dense_ref(b.x[0], b.param("dense1.W"), b.param("dense1.b"), b.n),
                                 [](double v) { return std::tanh(v); });
        const std::string node = names[K];
        const tensor h = K == 2 ? cell_step_ref(2, u, 3, b.n, 3, b.param(node + ".W_x"), b.param(node + ".W_h"),
                                                b.param(node + ".b_x"), &b.param(node + ".b_h"))
                                : cell_step_ref(K, u, 3, b.n, 3, b.param(node + ".W_x"), b.param(node + ".W_h"),
                                                b.param(node + ".b"), nullptr);
        return dense_ref(h, b.param("dense2.W"), b.param("dense2.b"), b.n);
    }
};

// slice<1, 3> (the h of an lstm_cell's [h; c] in a one-step network): its d_in reaches
// dense1's d_W only through the three kept features
struct slice_case {
    static constexpr auto net = input(features<4>) >> dense<5> >> tanh_ >> slice<1, 3> >> dense<2> >> loss::mse;
    static tensor logits(const batch& b) {
        const tensor u = map_ref(dense_ref(b.x[0], b.param("dense1.W"), b.param("dense1.b"), b.n),
                                 [](double v) { return std::tanh(v); });
        tensor s(static_cast<std::size_t>(3 * b.n));
        for (int n = 0; n < b.n; ++n)
            for (int f = 0; f < 3; ++f) s[f + 3 * n] = u[1 + f + 5 * n];
        return dense_ref(s, b.param("dense2.W"), b.param("dense2.b"), b.n);
    }
};

// with_state: the initial state computed by a dense + tanh from a second input (so d_state
// is checked through that dense's d_W), the sequence by a time_distributed dense + tanh
// (d_in through its d_W); every step's state into a dense
template <class Layer>
struct state_case {
    static constexpr double fd_eps = 1e-3;  // smooth
    static constexpr int F = 3, T = 4, H = 3, S = Layer::initial_state_size;
    static constexpr auto seq = input<0>(sequence<2, T>) >> time_distributed(dense<F>) >> tanh_;
    static constexpr auto init = input<1>(features<2>) >> dense<S> >> tanh_;
    static constexpr auto net = with_state(seq, init) >> Layer{}(return_sequences) >> flatten >> dense<2> >> loss::mse;
    static tensor logits(const batch& b) {
        constexpr int K = kind_of<Layer>;
        const std::string node = names[K];
        const tensor u = map_ref(per_step_dense(b.x[0], b, "dense1", T * b.n), [](double v) { return std::tanh(v); });
        const tensor s0 = map_ref(dense_ref(b.x[1], b.param("dense2.W"), b.param("dense2.b"), b.n),
                                  [](double v) { return std::tanh(v); });
        const tensor h = K == 2 ? recurrent_ref(2, u, F, T, b.n, H, b.param(node + ".W_x"), b.param(node + ".W_h"),
                                                b.param(node + ".b_x"), &b.param(node + ".b_h"), &s0)
                                : recurrent_ref(K, u, F, T, b.n, H, b.param(node + ".W_x"), b.param(node + ".W_h"),
                                                b.param(node + ".b"), nullptr, &s0);
        return dense_ref(h, b.param("dense3.W"), b.param("dense3.b"), b.n);
    }
};

// frozen(lstm) reading with_state: the same maths (an lstm has no training-mode form), its
// weights without gradients, and d s through it into the dense that computes s
struct frozen_state_case : state_case<decltype(lstm<3>)> {
    static constexpr auto net =
        with_state(seq, init) >> frozen(lstm<3>(return_sequences)) >> flatten >> dense<2> >> loss::mse;
};

// x (F, T, N) with its steps reversed
tensor reversed(const tensor& x, int F, int T, int n) {
    tensor y(x.size());
    for (int s = 0; s < n; ++s)
        for (int t = 0; t < T; ++t)
            for (int f = 0; f < F; ++f) y[f + F * (t + T * s)] = x[f + F * (T - 1 - t + T * s)];
    return y;
}

// bidirectional: [forward; backward] per step (every step: the backward layer's states put
// back in step order) or of the last states (the backward layer's after reading x_0)
template <class Layer, bool Sequences>
struct bidirectional_case {
    static constexpr double fd_eps = 1e-3;  // smooth
    static constexpr int F = 2, T = 4, H = 3;
    static constexpr auto rec = [] {
        if constexpr (Sequences) return bidirectional(Layer{}(return_sequences));
        else return bidirectional(Layer{});
    }();
    static constexpr auto net = input(sequence<F, T>) >> time_distributed(dense<3>) >> tanh_ >> rec >> flatten >>
                                dense<2> >> loss::mse;
    static tensor logits(const batch& b) {
        constexpr int K = kind_of<Layer>;
        const std::string first = std::string(names[K]), second = first.substr(0, first.size() - 1) + "2";
        const tensor u = map_ref(per_step_dense(b.x[0], b, "dense1", T * b.n), [](double v) { return std::tanh(v); });
        auto run = [&](const std::string& node, const tensor& in) {
            return K == 2 ? recurrent_ref(2, in, 3, T, b.n, H, b.param(node + ".W_x"), b.param(node + ".W_h"),
                                          b.param(node + ".b_x"), &b.param(node + ".b_h"))
                          : recurrent_ref(K, in, 3, T, b.n, H, b.param(node + ".W_x"), b.param(node + ".W_h"),
                                          b.param(node + ".b"), nullptr);
        };
        const tensor fw = run(first, u), bw_rev = run(second, reversed(u, 3, T, b.n));
        const int steps = Sequences ? T : 1;
        tensor y(static_cast<std::size_t>(2 * H * steps * b.n));
        for (int s = 0; s < b.n; ++s)
            for (int t = 0; t < steps; ++t)
                for (int m = 0; m < H; ++m) {
                    // forward at t (or T-1); backward at step t of the original order, which the
                    // reversed run reached at T-1-t (the last state: T-1)
                    const int tf = Sequences ? t : T - 1, tb = Sequences ? T - 1 - t : T - 1;
                    y[m + 2 * H * (t + steps * s)] = fw[m + H * (tf + T * s)];
                    y[H + m + 2 * H * (t + steps * s)] = bw_rev[m + H * (tb + T * s)];
                }
        return dense_ref(y, b.param("dense2.W"), b.param("dense2.b"), b.n);
    }
};

// embedding<6, 3>: indices as floats (repeated, so dW sums several steps into one row), a
// lookup, then a gru over the looked-up vectors (smooth: the table's every used entry is
// checked against finite differences; the indices get no gradient)
struct embedding_case {
    static constexpr double fd_eps = 1e-3;
    static constexpr int V = 6, D = 3, T = 5;
    static constexpr auto net = input(sequence<1, T>) >> embedding<V, D> >> gru<4> >> dense<2> >> loss::mse;
    static void prepare(batch& b) {
        for (std::size_t i = 0; i < b.x[0].size(); ++i) b.x[0][i] = static_cast<double>((i * 7 + 3) % 4);  // 0..3 of 6
    }
    static tensor logits(const batch& b) {
        const tensor& W = b.param("embedding1.W");  // (D, V): W[d + D v]
        tensor e(static_cast<std::size_t>(D * T * b.n));
        for (int s = 0; s < b.n; ++s)
            for (int t = 0; t < T; ++t)
                for (int d = 0; d < D; ++d)
                    e[d + D * (t + T * s)] = W[d + D * static_cast<int>(b.x[0][t + T * s])];
        const tensor h = recurrent_ref(2, e, D, T, b.n, 4, b.param("gru1.W_x"), b.param("gru1.W_h"), b.param("gru1.b_x"),
                                       &b.param("gru1.b_h"));
        return dense_ref(last_step(h, 4, T, b.n), b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};
}  // namespace

TEMPLATE_TEST_CASE("rnn, lstm, gru: forward by the cell equations, BPTT against finite differences, schedules",
                   "[codegen][recurrent]", last_case<decltype(rnn<4>)>, last_case<decltype(lstm<4>)>,
                   last_case<decltype(gru<4>)>, sequence_case<decltype(rnn<5>)>, sequence_case<decltype(lstm<5>)>,
                   sequence_case<decltype(gru<5>)>, one_step_case<decltype(rnn<2>)>, one_step_case<decltype(lstm<2>)>,
                   one_step_case<decltype(gru<2>)>, cell_case<std::remove_cvref_t<decltype(rnn_cell<3>)>>,
                   cell_case<std::remove_cvref_t<decltype(lstm_cell<3>)>>,
                   cell_case<std::remove_cvref_t<decltype(gru_cell<3>)>>, slice_case,
                   (bidirectional_case<std::remove_cvref_t<decltype(lstm<3>)>, true>),
                   (bidirectional_case<std::remove_cvref_t<decltype(gru<3>)>, false>),
                   (bidirectional_case<std::remove_cvref_t<decltype(rnn<3>)>, true>), embedding_case,
                   state_case<decltype(rnn<3>)>, state_case<decltype(lstm<3>)>, state_case<decltype(gru<3>)>,
                   frozen_state_case) {
    check_op<TestType>();
}

TEST_CASE("recurrent layers: shapes, parameters and names", "[codegen][recurrent]") {
    // with_state: the node has the sequence's shape, the state's node comes after it
    using S1 = network<std::remove_cvref_t<decltype(with_state(input<0>(sequence<3, 4>), input<1>(features<10>)) >>
                                                    lstm<5> >> dense<2> >> loss::mse)>>;
    STATIC_REQUIRE(S1::output_shape == make_features(2));
    STATIC_REQUIRE(S1::param_size == 4 * (3 * 5 + 5 * 5 + 5) + 5 * 2 + 2);
    CHECK(std::string(S1::node_table[2].kind) == "with_state");
    STATIC_REQUIRE(decltype(lstm<5>)::initial_state_size == 10);
    STATIC_REQUIRE(decltype(gru<5>)::initial_state_size == 5);
    using N1 = network<std::remove_cvref_t<decltype(input(sequence<27, 40>) >> rnn<50>(return_sequences) >>
                                                    time_distributed(dense<27>) >> loss::softmax_cross_entropy)>>;
    STATIC_REQUIRE(N1::output_shape == make_sequence(27, 40));
    // Keras SimpleRNN(50) on 27 features: 27*50 + 50*50 + 50; Dense(27) per step: 50*27 + 27
    STATIC_REQUIRE(N1::param_size == 27 * 50 + 50 * 50 + 50 + 50 * 27 + 27);
    using N2 = network<std::remove_cvref_t<decltype(input(sequence<10, 7>) >> lstm<128> >> dense<3> >> loss::mse)>>;
    STATIC_REQUIRE(N2::param_size == 4 * (10 * 128 + 128 * 128 + 128) + 128 * 3 + 3);  // Keras LSTM(128)
    using N3 = network<std::remove_cvref_t<decltype(input(sequence<10, 7>) >> gru<16> >> dense<3> >> loss::mse)>>;
    STATIC_REQUIRE(N3::param_size == 3 * (10 * 16 + 16 * 16 + 2 * 16) + 16 * 3 + 3);  // Keras GRU(reset_after)
    CHECK(std::string(N1::params[0].name.view()) == "rnn1.W_x");
    CHECK(std::string(N1::params[3].name.view()) == "dense1.W");  // time_distributed keeps the layer's name
    CHECK(std::string(decltype(lstm<8>(return_sequences))::name().view()) == "lstm<8>(return_sequences)");
    // Keras Bidirectional(LSTM(8)) on 10 features: twice LSTM(8)'s parameters, 16 outputs
    using N4 = network<std::remove_cvref_t<decltype(input(sequence<10, 7>) >> bidirectional(lstm<8>) >> dense<2> >>
                                                    loss::mse)>>;
    STATIC_REQUIRE(N4::param_size == 2 * 4 * (10 * 8 + 8 * 8 + 8) + 16 * 2 + 2);
    using N5 = network<std::remove_cvref_t<decltype(input(sequence<10, 7>) >> bidirectional(gru<8>(return_sequences)) >>
                                                    time_distributed(dense<2>) >> loss::mse)>>;
    STATIC_REQUIRE(N5::output_shape == make_sequence(2, 7));
}

// ---------------------------------------------------------------- one step at a time
// The one-step networks (rnn_cell, lstm_cell, gru_cell) called in a loop, feeding each new
// state back with the next input, give the sequence layer's every state, with the same
// parameters (same names, same order).
namespace {

template <class Cell, int F, int T>
void check_cell_steps() {
    using Seq = typename Cell::sequence_layer;
    constexpr int H = Cell::hidden, S = Cell::state;
    using SeqNet = network<std::remove_cvref_t<decltype(input(sequence<F, T>) >> Seq{}(return_sequences) >> loss::mse)>>;
    using StepNet = network<std::remove_cvref_t<decltype(input(features<F + S>) >> Cell{} >> loss::mse)>>;
    static_assert(SeqNet::params.size() == StepNet::params.size());
    const int n = 3;
    batch seq = random_batch<SeqNet>(n, 99);
    jit_network<SeqNet> seq_jit(Halide::Float(64), sched::manual, false);
    seq_jit.bind(seq);
    const tensor want = seq_jit.run().prediction;  // (H, T, N)

    batch step = random_batch<StepNet>(n, 5);
    for (std::size_t i = 0; i < StepNet::params.size(); ++i) {
        REQUIRE(std::string(StepNet::params[i].name.view()) == std::string(SeqNet::params[i].name.view()));
        step.p[i] = seq.p[i];
    }
    jit_network<StepNet> step_jit(Halide::Float(64), sched::manual, false);
    tensor state(static_cast<std::size_t>(S * n), 0.0);
    double worst = 0;
    for (int t = 0; t < T; ++t) {
        for (int s = 0; s < n; ++s) {
            for (int f = 0; f < F; ++f) step.x[0][f + (F + S) * s] = seq.x[0][f + F * (t + T * s)];
            for (int k = 0; k < S; ++k) step.x[0][F + k + (F + S) * s] = state[k + S * s];
        }
        step_jit.bind(step);
        state = step_jit.run().prediction;
        for (int s = 0; s < n; ++s)
            for (int m = 0; m < H; ++m)
                worst = std::max(worst, std::abs(state[m + S * s] - want[m + H * (t + T * s)]));
    }
    INFO(Cell::name().view() << ": largest difference from the sequence layer " << worst);
    CHECK(worst < 1e-12);
}

}  // namespace

TEST_CASE("rnn_cell, lstm_cell, gru_cell step by step equal the sequence layers", "[codegen][recurrent]") {
    check_cell_steps<std::remove_cvref_t<decltype(rnn_cell<4>)>, 3, 5>();
    check_cell_steps<std::remove_cvref_t<decltype(lstm_cell<4>)>, 3, 5>();
    check_cell_steps<std::remove_cvref_t<decltype(gru_cell<4>)>, 3, 5>();
}
