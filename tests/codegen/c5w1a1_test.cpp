// C5W1A1, "Building a recurrent neural network step by step", as tests: kiln's rnn_cell,
// rnn (from an initial state a0, with_state), lstm_cell and lstm against the assignment's
// numpy functions (tests/codegen/c5w1a1_ref.py wrote tests/data/c5w1a1): the cell forward,
// the sequence forward, the cell backward and the sequence backward (dx, da0, dWax, dWaa,
// dba), the LSTM's cell and sequence forward. float64, manual schedule, JIT.
#include <filesystem>

#include "op_harness.hpp"
#include "runtime/npy.hpp"

using namespace kiln;
using namespace kiln::test;

namespace {

constexpr int n_x = 3, n_a = 5, n_y = 2, m = 10, T_x = 4;

npy_array course(const std::string& name) {
    return read_npy(std::filesystem::path(KILN_SOURCE_DIR) / "tests/data/c5w1a1" / (name + ".npy"));
}

// The course's (rows, m) -> kiln's (rows, N): r + rows n
tensor columns(const npy_array& a) {
    const std::size_t rows = a.shape.at(0), cols = a.shape.at(1);
    tensor t(rows * cols);
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < cols; ++c) t[r + rows * c] = a.values[r * cols + c];
    return t;
}
// The course's (rows, m, T) -> kiln's (rows, T, N): r + rows (t + T n)
tensor steps(const npy_array& a) {
    const std::size_t rows = a.shape.at(0), cols = a.shape.at(1), T = a.shape.at(2);
    tensor out(rows * cols * T);
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < cols; ++c)
            for (std::size_t t = 0; t < T; ++t) out[r + rows * (t + T * c)] = a.values[(r * cols + c) * T + t];
    return out;
}
// [a; b] per sample, both (rows, N)
tensor stack(const tensor& a, int ra, const tensor& b, int rb, int n) {
    tensor out(static_cast<std::size_t>((ra + rb) * n));
    for (int s = 0; s < n; ++s) {
        for (int r = 0; r < ra; ++r) out[r + (ra + rb) * s] = a[r + ra * s];
        for (int r = 0; r < rb; ++r) out[ra + r + (ra + rb) * s] = b[r + rb * s];
    }
    return out;
}

// The RNN's parameters: kiln's W(in, out) = W[in + In out] holds the course's W[out][in],
// the same row-major bytes; biases (n, 1) are their n values.
void rnn_params(batch& b) {
    for (const auto& [kiln_name, course_name] : {std::pair{"rnn1.W_x", "Wax"}, {"rnn1.W_h", "Waa"}, {"rnn1.b", "ba"},
                                                 {"dense1.W", "Wya"}, {"dense1.b", "by"}})
        if (std::find(b.names.begin(), b.names.end(), kiln_name) != b.names.end())
            b.param(kiln_name) = course(course_name).values;
}

// The course's LSTM (Wf, Wi, Wc, Wo (n_a, n_a + n_x) on [a_prev; x_t]) as kiln's lstm: gates
// [i f g o], W_x (n_x, 4 n_a) on x_t, W_h (n_a, 4 n_a) on h.
void lstm_params(batch& b) {
    const char* gates[] = {"Wi", "Wf", "Wc", "Wo"};
    const char* biases[] = {"bi", "bf", "bc", "bo"};
    tensor Wx(n_x * 4 * n_a), Wh(n_a * 4 * n_a), bias(4 * n_a);
    for (int q = 0; q < 4; ++q) {
        const npy_array W = course(std::string("lstm_") + gates[q]), bq = course(std::string("lstm_") + biases[q]);
        for (int j = 0; j < n_a; ++j) {
            const int out = q * n_a + j;
            for (int k = 0; k < n_a; ++k) Wh[k + n_a * out] = W.values[j * (n_a + n_x) + k];
            for (int k = 0; k < n_x; ++k) Wx[k + n_x * out] = W.values[j * (n_a + n_x) + n_a + k];
            bias[out] = bq.values[j];
        }
    }
    b.param("lstm1.W_x") = Wx;
    b.param("lstm1.W_h") = Wh;
    b.param("lstm1.b") = bias;
    if (std::find(b.names.begin(), b.names.end(), "dense1.W") != b.names.end()) {
        b.param("dense1.W") = course("lstm_Wy").values;
        b.param("dense1.b") = course("lstm_by").values;
    }
}

// A batch for Net: its parameter names, the given inputs, labels (zeros unless given).
template <class Net>
batch make_batch(std::vector<tensor> x, tensor labels = {}) {
    batch b;
    b.n = m;
    b.x = std::move(x);
    for (const param_entry& e : Net::params) {
        b.names.emplace_back(e.name.view());
        b.p.emplace_back(e.spec.size());
    }
    std::size_t out = m;
    for (int d = 0; d < Net::output_shape.rank; ++d) out *= static_cast<std::size_t>(Net::output_shape[d]);
    b.y = labels.empty() ? tensor(out, 0.0) : labels;
    return b;
}

template <class Net>
outputs run(batch& b, void (*params)(batch&), bool grads) {
    params(b);
    jit_network<Net> j(Halide::Float(64), sched::manual, grads, 0, 1, grads);
    j.bind(b);
    return j.run();
}

void check(const std::string& what, const tensor& got, const tensor& want) {
    REQUIRE(got.size() == want.size());
    check_values(what, got, want, 1e-12);
}

// rnn1.W_x, rnn1.W_h, rnn1.b, dense1.W, dense1.b against the course's gradients of a step
// ("cell") or of the sequence ("seq")
void check_param_grads(const outputs& o, const std::string& which) {
    const char* course_names[] = {"dWax", "dWaa", "dba", "dWya", "dby"};
    for (std::size_t i = 0; i < 5; ++i)
        check(course_names[i], o.d_params.at(i), course(which + "_" + course_names[i]).values);
}

using cell_a = network<std::remove_cvref_t<decltype(input(features<n_x + n_a>) >> rnn_cell<n_a> >> loss::mse)>>;
using cell_y = network<std::remove_cvref_t<decltype(input(features<n_x + n_a>) >> rnn_cell<n_a> >> dense<n_y> >> loss::softmax_cross_entropy)>>;
constexpr auto rnn_from_a0 =
    with_state(input<0>(sequence<n_x, T_x>), input<1>(features<n_a>)) >> rnn<n_a>(return_sequences);
using seq_a = network<std::remove_cvref_t<decltype(rnn_from_a0 >> loss::mse)>>;
using seq_y = network<std::remove_cvref_t<decltype(rnn_from_a0 >> time_distributed(dense<n_y>) >> loss::softmax_cross_entropy)>>;

using lstm_cell_a = network<std::remove_cvref_t<decltype(input(features<n_x + 2 * n_a>) >> lstm_cell<n_a> >> loss::mse)>>;
using lstm_cell_y = network<std::remove_cvref_t<decltype(input(features<n_x + 2 * n_a>) >> lstm_cell<n_a> >> slice<0, n_a> >> dense<n_y> >>
                               loss::softmax_cross_entropy)>>;
constexpr auto lstm_from_a0 =
    with_state(input<0>(sequence<n_x, T_x>), input<1>(features<2 * n_a>)) >> lstm<n_a>(return_sequences);
using lstm_seq_a = network<std::remove_cvref_t<decltype(lstm_from_a0 >> loss::mse)>>;
using lstm_seq_y = network<std::remove_cvref_t<decltype(lstm_from_a0 >> time_distributed(dense<n_y>) >> loss::softmax_cross_entropy)>>;

}  // namespace

TEST_CASE("C5W1A1 rnn_cell_forward and rnn_cell_backward: one step from a_prev", "[codegen][recurrent][course]") {
    const tensor xs = stack(columns(course("xt")), n_x, columns(course("a_prev")), n_a, m);
    batch a = make_batch<cell_a>({xs});
    check("a_next", run<cell_a>(a, rnn_params, false).prediction, columns(course("cell_a_next")));

    batch y = make_batch<cell_y>({xs}, columns(course("Y_cell")));
    const outputs o = run<cell_y>(y, rnn_params, true);
    check("yt_pred", o.prediction, columns(course("cell_yt_pred")));
    check_param_grads(o, "cell");
    check("[dxt; da_prev]", o.d_inputs[0], stack(columns(course("cell_dxt")), n_x, columns(course("cell_da_prev")), n_a, m));
}

TEST_CASE("C5W1A1 rnn_forward and rnn_backward: T_x steps from a0", "[codegen][recurrent][course]") {
    const tensor x = steps(course("x")), a0 = columns(course("a0"));
    batch a = make_batch<seq_a>({x, a0});
    check("a", run<seq_a>(a, rnn_params, false).prediction, steps(course("seq_a")));

    batch y = make_batch<seq_y>({x, a0}, steps(course("Y_seq")));
    const outputs o = run<seq_y>(y, rnn_params, true);
    check("y_pred", o.prediction, steps(course("seq_y_pred")));
    check_param_grads(o, "seq");
    check("dx", o.d_inputs[0], steps(course("seq_dx")));
    check("da0", o.d_inputs[1], columns(course("seq_da0")));
}

TEST_CASE("C5W1A1 lstm_cell_forward and lstm_forward: from a0, c0 = 0", "[codegen][recurrent][course]") {
    const tensor zeros(static_cast<std::size_t>(n_a * m), 0.0);
    const tensor state = stack(columns(course("a_prev")), n_a, zeros, n_a, m);  // [a_prev; c_prev = 0]
    const tensor xs = stack(columns(course("xt")), n_x, state, 2 * n_a, m);
    batch ca = make_batch<lstm_cell_a>({xs});
    check("[a_next; c_next]", run<lstm_cell_a>(ca, lstm_params, false).prediction,
          stack(columns(course("lstm_cell_a_next")), n_a, columns(course("lstm_cell_c_next")), n_a, m));
    batch cy = make_batch<lstm_cell_y>({xs});
    check("yt_pred", run<lstm_cell_y>(cy, lstm_params, false).prediction, columns(course("lstm_cell_yt_pred")));

    const tensor x = steps(course("x")), s0 = stack(columns(course("a0")), n_a, zeros, n_a, m);
    batch sa = make_batch<lstm_seq_a>({x, s0});
    check("a", run<lstm_seq_a>(sa, lstm_params, false).prediction, steps(course("lstm_seq_a")));
    batch sy = make_batch<lstm_seq_y>({x, s0});
    check("y_pred", run<lstm_seq_y>(sy, lstm_params, false).prediction, steps(course("lstm_seq_y_pred")));
}
