// C4W1A1 "Convolutional Model: step by step" as tests. Each of the notebook's functions
// (zero_pad, conv_single_step, conv_forward, conv_backward, pool_forward, pool_backward with
// create_mask_from_window and distribute_value) is computed by kiln's layers, lowered and
// JIT-compiled in float64 with the manual schedule (op_harness.hpp's jit_network), and
// compared with
//   - the notebook's function, written below with plain loops over numpy-style arrays;
//   - the values the notebook prints: its inputs come from np.random.seed(1) and
//     np.random.randn, which numpy_random reproduces bit for bit;
//   - for gradients, also centred finite differences of kiln's compiled cost.
// Layouts need no conversion: a numpy (m, n_H, n_W, n_C) array in C order is kiln's image
// (c, x, y, n) innermost first, and the notebook's W (f, f, n_C_prev, n_C) is kiln's conv
// weight (F, C, KW, KH), Keras' kernel layout.
// The notebook pads and strides by hand; kiln's conv2d pads as TensorFlow does, so pad 1 and
// stride 2 are zero_pad2d<1> >> conv2d<F, f, f, 2, padding::valid>.
#include "op_harness.hpp"

#include <numeric>

using namespace kiln;
using namespace kiln::test;

namespace {

// ---------------------------------------------------------------- numpy-style arrays
// A 4-D array in C order: at(i, j, k, l) = v[((i d1 + j) d2 + k) d3 + l].
struct array4 {
    int d0 = 0, d1 = 0, d2 = 0, d3 = 0;
    tensor v;
    array4(int a, int b, int c, int d) : d0(a), d1(b), d2(c), d3(d), v(static_cast<std::size_t>(a * b * c * d), 0.0) {}
    double& at(int i, int j, int k, int l) { return v[static_cast<std::size_t>(((i * d1 + j) * d2 + k) * d3 + l)]; }
    double at(int i, int j, int k, int l) const { return const_cast<array4*>(this)->at(i, j, k, l); }
    double mean() const { return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()); }
};

// numpy's legacy generator: np.random.seed(s) seeds MT19937 as std::mt19937(s) does; a double
// takes 53 bits from two draws; randn is the polar method, keeping its second value for the
// next call.
class numpy_random {
  public:
    explicit numpy_random(unsigned seed) : mt_(seed) {}
    double randn() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        double x1, x2, r2;
        do {
            x1 = 2 * uniform() - 1;
            x2 = 2 * uniform() - 1;
            r2 = x1 * x1 + x2 * x2;
        } while (r2 >= 1.0 || r2 == 0.0);
        const double f = std::sqrt(-2.0 * std::log(r2) / r2);
        spare_ = f * x1;
        has_spare_ = true;
        return f * x2;
    }
    array4 randn(int d0, int d1, int d2, int d3) {
        array4 a(d0, d1, d2, d3);
        for (double& x : a.v) x = randn();
        return a;
    }

  private:
    double uniform() {
        const std::uint32_t a = mt_() >> 5, b = mt_() >> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }
    std::mt19937 mt_;
    bool has_spare_ = false;
    double spare_ = 0;
};

// ---------------------------------------------------------------- the notebook, in loops
// X (m, n_H, n_W, n_C) -> (m, n_H + 2 pad, n_W + 2 pad, n_C), zeros around
array4 zero_pad(const array4& X, int pad) {
    array4 P(X.d0, X.d1 + 2 * pad, X.d2 + 2 * pad, X.d3);
    for (int i = 0; i < X.d0; ++i)
        for (int h = 0; h < X.d1; ++h)
            for (int w = 0; w < X.d2; ++w)
                for (int c = 0; c < X.d3; ++c) P.at(i, h + pad, w + pad, c) = X.at(i, h, w, c);
    return P;
}

// sum(a_slice_prev * W) + b over one (f, f, n_C_prev) window, for output channel c of W
double conv_single_step(const array4& A, int i, int h0, int w0, const array4& W, int c, double b) {
    double z = 0;
    for (int h = 0; h < W.d0; ++h)
        for (int w = 0; w < W.d1; ++w)
            for (int k = 0; k < W.d2; ++k) z += A.at(i, h0 + h, w0 + w, k) * W.at(h, w, k, c);
    return z + b;
}

struct hparameters {
    int pad = 0, stride = 1;
};

// Z (m, n_H, n_W, n_C), n_H = (n_H_prev - f + 2 pad) / stride + 1
array4 conv_forward(const array4& A_prev, const array4& W, const tensor& b, hparameters hp) {
    const int f = W.d0, n_H = (A_prev.d1 - f + 2 * hp.pad) / hp.stride + 1,
              n_W = (A_prev.d2 - f + 2 * hp.pad) / hp.stride + 1;
    const array4 A = zero_pad(A_prev, hp.pad);
    array4 Z(A_prev.d0, n_H, n_W, W.d3);
    for (int i = 0; i < Z.d0; ++i)
        for (int h = 0; h < n_H; ++h)
            for (int w = 0; w < n_W; ++w)
                for (int c = 0; c < W.d3; ++c)
                    Z.at(i, h, w, c) =
                        conv_single_step(A, i, h * hp.stride, w * hp.stride, W, c, b[static_cast<std::size_t>(c)]);
    return Z;
}

struct conv_grads {
    array4 dA_prev, dW;
    tensor db;
};

// Each Z[i, h, w, c] sends W[:, :, :, c] dZ to its window of dA_prev_pad, its window of
// A_prev_pad times dZ to dW[:, :, :, c], and dZ to db[c]; the padding is cut off at the end.
conv_grads conv_backward(const array4& dZ, const array4& A_prev, const array4& W, hparameters hp) {
    const int f = W.d0, p = hp.pad, s = hp.stride;
    const array4 A_pad = zero_pad(A_prev, p);
    array4 dA_pad(A_pad.d0, A_pad.d1, A_pad.d2, A_pad.d3), dW(W.d0, W.d1, W.d2, W.d3);
    tensor db(static_cast<std::size_t>(W.d3), 0.0);
    for (int i = 0; i < dZ.d0; ++i)
        for (int h = 0; h < dZ.d1; ++h)
            for (int w = 0; w < dZ.d2; ++w)
                for (int c = 0; c < dZ.d3; ++c) {
                    const double g = dZ.at(i, h, w, c);
                    for (int kh = 0; kh < f; ++kh)
                        for (int kw = 0; kw < f; ++kw)
                            for (int k = 0; k < W.d2; ++k) {
                                dA_pad.at(i, h * s + kh, w * s + kw, k) += W.at(kh, kw, k, c) * g;
                                dW.at(kh, kw, k, c) += A_pad.at(i, h * s + kh, w * s + kw, k) * g;
                            }
                    db[static_cast<std::size_t>(c)] += g;
                }
    array4 dA_prev(A_prev.d0, A_prev.d1, A_prev.d2, A_prev.d3);
    for (int i = 0; i < A_prev.d0; ++i)
        for (int h = 0; h < A_prev.d1; ++h)
            for (int w = 0; w < A_prev.d2; ++w)
                for (int k = 0; k < A_prev.d3; ++k) dA_prev.at(i, h, w, k) = dA_pad.at(i, h + p, w + p, k);
    return {dA_prev, dW, db};
}

enum class pool_mode { max, average };

// A (m, n_H, n_W, n_C), n_H = (n_H_prev - f) / stride + 1: the max or mean of each window
array4 pool_forward(const array4& A_prev, int f, int stride, pool_mode mode) {
    array4 A(A_prev.d0, (A_prev.d1 - f) / stride + 1, (A_prev.d2 - f) / stride + 1, A_prev.d3);
    for (int i = 0; i < A.d0; ++i)
        for (int h = 0; h < A.d1; ++h)
            for (int w = 0; w < A.d2; ++w)
                for (int c = 0; c < A.d3; ++c) {
                    double best = -INFINITY, sum = 0;
                    for (int kh = 0; kh < f; ++kh)
                        for (int kw = 0; kw < f; ++kw) {
                            const double x = A_prev.at(i, h * stride + kh, w * stride + kw, c);
                            best = std::max(best, x);
                            sum += x;
                        }
                    A.at(i, h, w, c) = mode == pool_mode::max ? best : sum / (f * f);
                }
    return A;
}

// x == max(x) over one (f, f) window of channel c: where a max pool sends its gradient
std::vector<bool> create_mask_from_window(const array4& A, int i, int h0, int w0, int c, int f) {
    double best = -INFINITY;
    for (int kh = 0; kh < f; ++kh)
        for (int kw = 0; kw < f; ++kw) best = std::max(best, A.at(i, h0 + kh, w0 + kw, c));
    std::vector<bool> mask;
    for (int kh = 0; kh < f; ++kh)
        for (int kw = 0; kw < f; ++kw) mask.push_back(A.at(i, h0 + kh, w0 + kw, c) == best);
    return mask;
}

// dz spread evenly over an (f, f) window: where an average pool sends its gradient
std::vector<double> distribute_value(double dz, int f) {
    return std::vector<double>(static_cast<std::size_t>(f * f), dz / (f * f));
}

array4 pool_backward(const array4& dA, const array4& A_prev, int f, int stride, pool_mode mode) {
    array4 dA_prev(A_prev.d0, A_prev.d1, A_prev.d2, A_prev.d3);
    for (int i = 0; i < dA.d0; ++i)
        for (int h = 0; h < dA.d1; ++h)
            for (int w = 0; w < dA.d2; ++w)
                for (int c = 0; c < dA.d3; ++c) {
                    const int h0 = h * stride, w0 = w * stride;
                    const std::vector<bool> mask = create_mask_from_window(A_prev, i, h0, w0, c, f);
                    const std::vector<double> share = distribute_value(dA.at(i, h, w, c), f);
                    for (int kh = 0; kh < f; ++kh)
                        for (int kw = 0; kw < f; ++kw) {
                            const std::size_t k = static_cast<std::size_t>(kh * f + kw);
                            dA_prev.at(i, h0 + kh, w0 + kw, c) +=
                                mode == pool_mode::max ? (mask[k] ? dA.at(i, h, w, c) : 0.0) : share[k];
                        }
                }
    return dA_prev;
}

// ---------------------------------------------------------------- kiln
// One JIT compile per network (and per gradients or not); never destroyed, as Halide's JIT
// state may be gone when static destructors run.
template <class Net, bool Grads>
jit_network<Net>& compiled() {
    static jit_network<Net>& jit = *new jit_network<Net>(Halide::Float(64), sched::manual, Grads);
    return jit;
}

// A batch for Net: input x, parameters by name, labels zero (forward only: no gradient read).
template <class Net>
batch kiln_batch(const tensor& x, int n, const std::vector<std::pair<std::string, tensor>>& params = {}) {
    batch b = random_batch<Net>(n, 1);
    b.x[0] = x;
    for (const auto& [name, value] : params) b.param(name) = value;
    std::fill(b.y.begin(), b.y.end(), 0.0);
    return b;
}

template <class Net>
tensor kiln_forward(const batch& b) {
    jit_network<Net>& jit = compiled<Net, false>();
    jit.bind(b);
    return jit.run().prediction;
}

/*  Gradients of a layer's input. lower() gives d_params, not the input's gradient, so the
    input A (M, H, W, C) is made the weight of a probe convolution in front of the layer:
      input    M one-hot images (2H - 1, 2W - 1, M): sample s is 1 at (x, y) = (W-1, H-1) of
               channel s (kiln's batch N = M);
      probe    conv2d<C, H, W>, bias 0: out(c, x, y, s) = K(c, s, W-1-x, H-1-y), so the kernel
               K(c, s, W-1-x, H-1-y) = A[s, y, x, c] makes out = A exactly, and its gradient
               d_K(c, s, W-1-x, H-1-y) = sum over samples and pixels of d_out * input
                                       = dA[s, y, x, c], exactly.
    The upstream gradient dZ of the layer's output Z (O values per sample) enters through
    mse: with labels Z - dZ O N / 2, d cost / dZ = 2 (Z - labels) / (O N) = dZ.            */
template <int H, int W, int C, int M>
inline constexpr auto probe = input(image<2 * H - 1, 2 * W - 1, M>) >> conv2d<C, H, W>;

tensor probe_input(int H, int W, int M) {
    const int Wi = 2 * W - 1, Hi = 2 * H - 1;
    tensor x(static_cast<std::size_t>(M * Wi * Hi * M), 0.0);
    for (int s = 0; s < M; ++s) x[static_cast<std::size_t>(s + M * ((W - 1) + Wi * ((H - 1) + Hi * s)))] = 1;
    return x;
}

// A (M, H, W, C) <-> the probe's kernel (C, M, W, H), innermost first
tensor probe_kernel(const array4& A) {
    const int M = A.d0, H = A.d1, W = A.d2, C = A.d3;
    tensor K(A.v.size());
    for (int s = 0; s < M; ++s)
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x)
                for (int c = 0; c < C; ++c)
                    K[static_cast<std::size_t>(c + C * (s + M * ((W - 1 - x) + W * (H - 1 - y))))] = A.at(s, y, x, c);
    return K;
}
array4 from_probe_kernel(const tensor& dK, int M, int H, int W, int C) {
    array4 dA(M, H, W, C);
    for (int s = 0; s < M; ++s)
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x)
                for (int c = 0; c < C; ++c)
                    dA.at(s, y, x, c) = dK[static_cast<std::size_t>(c + C * (s + M * ((W - 1 - x) + W * (H - 1 - y))))];
    return dA;
}

// Labels that make mse's d cost / dZ equal dZ at the reference Z (see above).
tensor labels_for(const array4& Z, const array4& dZ) {
    const double scale = static_cast<double>(Z.v.size()) / 2;  // O N / 2
    tensor y(Z.v.size());
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = Z.v[i] - dZ.v[i] * scale;
    return y;
}

// Centred differences of the compiled cost in parameter `p`, at a few entries spread over
// it, against kiln's gradient `g` of that parameter. The cost is quadratic in each of these
// parameters (piecewise, through a max), so the differences are exact up to rounding, for any
// eps that crosses no kink of a max. The labels above make the cost large ((O N / 2)^2 times
// the mean square of dZ: ~1e7 for the notebook's conv_backward), so the convolutions, which
// have no kink, take a large eps to keep the rounding of the cost (~1e-9) small.
template <class Net>
void check_finite_differences(jit_network<Net>& jit, const batch& b, std::size_t p, const tensor& g, double eps) {
    const std::size_t size = b.p[p].size();
    for (std::size_t j = 0; j < size; j += std::max<std::size_t>(1, size / 7)) {
        const double v = b.p[p][j];
        jit.set_param(p, j, v + eps);
        const double up = jit.cost();
        jit.set_param(p, j, v - eps);
        const double down = jit.cost();
        jit.set_param(p, j, v);
        const double fd = (up - down) / (2 * eps);
        INFO("d " << b.names[p] << "[" << j << "]: kiln " << g[j] << ", finite differences " << fd);
        CHECK(grad_rel_error(g[j], fd) < 1e-6);
    }
}

// |got - want| <= tol max(1, |want|) per element, with the element named in the message
void check_array(const std::string& what, const tensor& got, const tensor& want, double tol = 1e-12) {
    check_values(what, got, want, tol);
}

// The notebook's printed values (8 decimals) against kiln's: rows[k][l] is got(i, j, k0 + k, l)
void check_printed(const std::string& what, const array4& got, int i, int j,
                   const std::vector<std::vector<double>>& rows, int k0 = 0) {
    for (std::size_t k = 0; k < rows.size(); ++k)
        for (std::size_t l = 0; l < rows[k].size(); ++l) {
            const double v = got.at(i, j, k0 + static_cast<int>(k), static_cast<int>(l));
            INFO(what << "[" << i << ", " << j << ", " << k0 + static_cast<int>(k) << ", " << l << "]: kiln " << v
                      << ", the notebook prints " << rows[k][l]);
            CHECK(std::abs(v - rows[k][l]) < 5e-9);
        }
}

array4 as_array(const tensor& t, int d0, int d1, int d2, int d3) {
    array4 a(d0, d1, d2, d3);
    REQUIRE(t.size() == a.v.size());
    a.v = t;
    return a;
}

}  // namespace

TEST_CASE("C4W1A1 zero_pad: a (4, 3, 3, 2) batch padded by 3 is (4, 9, 9, 2) with x inside zeros",
          "[codegen][conv][course]") {
    numpy_random rng(1);
    const array4 x = rng.randn(4, 3, 3, 2);
    // the notebook prints x[1, 1]: the generator is numpy's
    check_printed("x", x, 1, 1, {{0.90085595, -0.68372786}, {-0.12289023, -0.93576943}, {-0.26788808, 0.53035547}});

    static constexpr auto net = input(image<3, 3, 2>) >> zero_pad2d<3> >> flatten >> loss::mse;
    using Net = network<std::remove_cvref_t<decltype(net)>>;
    STATIC_REQUIRE(Net::node_table[1].out == make_image(9, 9, 2));  // x_pad.shape[1:]
    const array4 x_pad = as_array(kiln_forward<Net>(kiln_batch<Net>(x.v, 4)), 4, 9, 9, 2);
    check_array("x_pad vs zero_pad", x_pad.v, zero_pad(x, 3).v, 0);
    for (int i = 0; i < 4; ++i)
        for (int h = 0; h < 9; ++h)
            for (int w = 0; w < 9; ++w)
                for (int c = 0; c < 2; ++c) {
                    const bool inside = h >= 3 && h < 6 && w >= 3 && w < 6;
                    INFO("x_pad[" << i << ", " << h << ", " << w << ", " << c << "]");
                    CHECK(x_pad.at(i, h, w, c) == (inside ? x.at(i, h - 3, w - 3, c) : 0.0));
                }
}

TEST_CASE("C4W1A1 conv_single_step: one 4x4x3 slice times W plus b", "[codegen][conv][course]") {
    numpy_random rng(1);
    const array4 a_slice_prev = rng.randn(1, 4, 4, 3), W = rng.randn(4, 4, 3, 1), b = rng.randn(1, 1, 1, 1);
    static constexpr auto net = input(image<4, 4, 3>) >> conv2d<1, 4, 4> >> flatten >> loss::mse;
    using Net = network<std::remove_cvref_t<decltype(net)>>;
    const tensor Z = kiln_forward<Net>(kiln_batch<Net>(a_slice_prev.v, 1, {{"conv2d1.W", W.v}, {"conv2d1.b", b.v}}));
    REQUIRE(Z.size() == 1);
    check_array("Z vs conv_single_step", Z, {conv_single_step(a_slice_prev, 0, 0, 0, W, 0, b.v[0])});
    check_array("Z vs the notebook's", Z, {-6.999089450680221});
}

TEST_CASE("C4W1A1 conv_forward: pad 1, stride 2, (2, 5, 7, 4) with W (3, 3, 4, 8) gives Z (2, 3, 4, 8)",
          "[codegen][conv][course]") {
    numpy_random rng(1);
    const array4 A_prev = rng.randn(2, 5, 7, 4), W = rng.randn(3, 3, 4, 8), b = rng.randn(1, 1, 1, 8);
    static constexpr auto net =
        input(image<5, 7, 4>) >> zero_pad2d<1> >> conv2d<8, 3, 3, 2, padding::valid> >> flatten >> loss::mse;
    using Net = network<std::remove_cvref_t<decltype(net)>>;
    STATIC_REQUIRE(Net::node_table[2].out == make_image(3, 4, 8));  // Z.shape[1:]
    const array4 Z =
        as_array(kiln_forward<Net>(kiln_batch<Net>(A_prev.v, 2, {{"conv2d1.W", W.v}, {"conv2d1.b", b.v}})), 2, 3, 4, 8);
    const array4 want = conv_forward(A_prev, W, b.v, {1, 2});
    check_array("Z vs conv_forward", Z.v, want.v);
    check_array("mean of Z vs conv_forward's", {Z.mean()}, {want.mean()});
    check_array("mean of Z vs the notebook's", {Z.mean()}, {0.5511276474566768});
    check_printed("Z", Z, 0, 2,
                  {{-2.17796037, 8.07171329, -0.5772704, 3.36286738, 4.48113645, -2.89198428, 10.99288867, 3.03171932}},
                  /*k0=*/1);
}

namespace {

// conv_backward through the probe: Z = conv(zero_pad(A_prev)), dZ = Z as in the notebook's
// test. Returns kiln's (dA_prev, dW, db) after checking them against the loops and, at a
// few entries each, against finite differences.
template <int M, int H, int W, int C, int F, int K, int Pad, int Stride>
conv_grads check_conv_backward(const array4& A_prev, const array4& Wt, const array4& b) {
    static constexpr auto net = probe<H, W, C, M> >> zero_pad2d<Pad> >> conv2d<F, K, K, Stride, padding::valid> >>
                                flatten >> loss::mse;
    using Net = network<std::remove_cvref_t<decltype(net)>>;
    const array4 Z = conv_forward(A_prev, Wt, b.v, {Pad, Stride});
    const conv_grads want = conv_backward(Z, A_prev, Wt, {Pad, Stride});
    batch in = kiln_batch<Net>(probe_input(H, W, M), M,
                               {{"conv2d1.W", probe_kernel(A_prev)}, {"conv2d1.b", tensor(C, 0.0)},
                                {"conv2d2.W", Wt.v}, {"conv2d2.b", b.v}});
    in.y = labels_for(Z, Z);
    jit_network<Net>& jit = compiled<Net, true>();
    jit.bind(in);
    const outputs got = jit.run();
    check_array("kiln's forward vs conv_forward", got.prediction, Z.v);
    const conv_grads kiln{from_probe_kernel(got.d_params[0], M, H, W, C), as_array(got.d_params[2], K, K, C, F),
                          got.d_params[3]};
    check_array("dA_prev vs conv_backward", kiln.dA_prev.v, want.dA_prev.v);
    check_array("dW vs conv_backward", kiln.dW.v, want.dW.v);
    check_array("db vs conv_backward", kiln.db, want.db);
    for (std::size_t p : {0, 2, 3}) check_finite_differences(jit, in, p, got.d_params[p], /*eps=*/1e-2);
    return kiln;
}

}  // namespace

TEST_CASE("C4W1A1 conv_backward: dA_prev, dW, db of conv_forward's convolution (pad 1, stride 2)",
          "[codegen][conv][course]") {
    numpy_random rng(1);
    const array4 A_prev = rng.randn(2, 5, 7, 4), W = rng.randn(3, 3, 4, 8), b = rng.randn(1, 1, 1, 8);
    check_conv_backward<2, 5, 7, 4, 8, 3, 1, 2>(A_prev, W, b);
}

TEST_CASE("C4W1A1 conv_backward: the notebook's test (pad 2, stride 2, (10, 4, 4, 3), W (2, 2, 3, 8))",
          "[codegen][conv][course]") {
    numpy_random rng(1);
    const array4 A_prev = rng.randn(10, 4, 4, 3), W = rng.randn(2, 2, 3, 8), b = rng.randn(1, 1, 1, 8);
    const conv_grads g = check_conv_backward<10, 4, 4, 3, 8, 2, 2, 2>(A_prev, W, b);
    // the means the notebook prints
    check_array("dA_mean", {g.dA_prev.mean()}, {1.4524377775388075});
    check_array("dW_mean", {g.dW.mean()}, {1.7269914583139097});
    check_array("db_mean", {std::accumulate(g.db.begin(), g.db.end(), 0.0) / 8}, {7.839232564616838});
}

namespace {

template <int F, int S, pool_mode Mode>
void check_pool_forward(const array4& A_prev, const std::vector<std::vector<double>>& printed_A11) {
    static constexpr auto pool = [] {
        if constexpr (Mode == pool_mode::max) return max_pool2d<F, S>;
        else return avg_pool2d<F, S>;
    }();
    static constexpr auto net = input(image<5, 5, 3>) >> pool >> flatten >> loss::mse;
    using Net = network<std::remove_cvref_t<decltype(net)>>;
    constexpr int n = (5 - F) / S + 1;
    STATIC_REQUIRE(Net::node_table[1].out == make_image(n, n, 3));
    const array4 A = as_array(kiln_forward<Net>(kiln_batch<Net>(A_prev.v, 2)), 2, n, n, 3);
    check_array("A vs pool_forward", A.v, pool_forward(A_prev, F, S, Mode).v);
    check_printed("A", A, 1, 1, printed_A11);
}

}  // namespace

TEST_CASE("C4W1A1 pool_forward: max and average, f = 3, stride 1 and 2, on (2, 5, 5, 3)", "[codegen][conv][course]") {
    numpy_random rng(1);
    const array4 A_prev = rng.randn(2, 5, 5, 3);
    // A[1, 1] as the notebook prints it, for each mode and stride
    check_pool_forward<3, 1, pool_mode::max>(A_prev, {{1.96710175, 0.84616065, 1.27375593},
                                                      {1.96710175, 0.84616065, 1.23616403},
                                                      {1.62765075, 1.12141771, 1.2245077}});
    check_pool_forward<3, 1, pool_mode::average>(A_prev, {{0.44497696, -0.00261695, -0.31040307},
                                                          {0.50811474, -0.23493734, -0.23961183},
                                                          {0.11872677, 0.17255229, -0.22112197}});
    check_pool_forward<3, 2, pool_mode::max>(A_prev, {{1.96710175, 0.86888616, 1.27375593},
                                                      {1.62765075, 1.12141771, 0.79280687}});
    check_pool_forward<3, 2, pool_mode::average>(A_prev, {{0.42944926, 0.08446996, -0.27290905},
                                                          {0.15077452, 0.28911175, 0.00123239}});
}

namespace {

// pool_backward through the probe, f = 2, stride 1 on (5, 5, 3, 2), as the notebook's test
template <pool_mode Mode>
void check_pool_backward(const array4& A_prev, const array4& dA, const std::vector<std::vector<double>>& printed) {
    static constexpr auto pool = [] {
        if constexpr (Mode == pool_mode::max) return max_pool2d<2, 1>;
        else return avg_pool2d<2, 1>;
    }();
    static constexpr auto net = probe<5, 3, 2, 5> >> pool >> flatten >> loss::mse;
    using Net = network<std::remove_cvref_t<decltype(net)>>;
    const array4 A = pool_forward(A_prev, 2, 1, Mode);
    batch in = kiln_batch<Net>(probe_input(5, 3, 5), 5,
                               {{"conv2d1.W", probe_kernel(A_prev)}, {"conv2d1.b", tensor(2, 0.0)}});
    in.y = labels_for(A, dA);
    jit_network<Net>& jit = compiled<Net, true>();
    jit.bind(in);
    const outputs got = jit.run();
    check_array("kiln's forward vs pool_forward", got.prediction, A.v);
    const array4 dA_prev = from_probe_kernel(got.d_params[0], 5, 5, 3, 2);
    check_array("dA_prev vs pool_backward", dA_prev.v, pool_backward(dA, A_prev, 2, 1, Mode).v);
    check_printed("dA_prev", dA_prev, 1, 1, printed);
    check_finite_differences(jit, in, 0, got.d_params[0], /*eps=*/1e-4);
}

}  // namespace

TEST_CASE("C4W1A1 pool_backward: max through create_mask_from_window, average through distribute_value",
          "[codegen][conv][course]") {
    numpy_random rng(1);
    const array4 A_prev = rng.randn(5, 5, 3, 2), dA = rng.randn(5, 4, 2, 2);
    check_array("mean of dA, as the notebook prints it", {dA.mean()}, {0.145713902729}, 1e-11);
    check_pool_backward<pool_mode::max>(A_prev, dA, {{0, 0}, {5.05844394, -1.68282702}, {0, 0}});
    check_pool_backward<pool_mode::average>(
        A_prev, dA, {{0.08485462, 0.2787552}, {1.26461098, -0.25749373}, {1.17975636, -0.53624893}});
}
