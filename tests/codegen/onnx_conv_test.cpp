// ONNX conformance of kiln's CNN layers (conv2d, depthwise_conv2d, max_pool2d, avg_pool2d,
// global_avg_pool, zero_pad2d): kiln's float32 forward, JIT-compiled with the manual schedule,
// against the expected outputs of ONNX's Conv, MaxPool, AveragePool, GlobalAveragePool and Pad
// cases in Debian's libonnx-testdata (suites node/, written by ONNX's numpy reference, and
// pytorch-converted/, pytorch-operator/, written by PyTorch).
//   Selection  express() reads each case's attributes from its model.onnx (kernel_shape,
//              strides, pads, auto_pad, ceil_mode, count_include_pad, dilations, group; Pad's
//              mode, pads, value) and gives the kiln layers that compute the same function,
//              or the reason no kiln layer does. kiln's layers are compile-time types, so each
//              expressible case also has a row in `runs` with those layers and the input shape
//              as template arguments; the test requires both to agree.
//   Coverage   every case of these ops in the suites is in `runs` or in `inexpressible` with
//              the reason express() gives, and every row names a case on disk: a new data
//              release cannot be skipped silently.
//   Layout     ONNX's NCHW becomes kiln's (c, x, y, n); OIHW weights kiln's (F, C, KW, KH).
//   Groups     Conv with group = C_in = C_out (weight [C, 1, KH, KW]) runs kiln's real
//              depthwise_conv2d, its weight as W (C, KW, KH). Any other group > 1 (groups of
//              several channels, or a depth multiplier C_out = m C_in) runs a dense conv2d on
//              the block-diagonal expansion of ONNX's [C_out, C_in / group, KH, KW] weight
//              (zeros between groups): the same function, but those cases check kiln's conv2d
//              on a block-diagonal weight, not a grouped kernel; kiln has no grouped layer.
#include "op_harness.hpp"

#include <array>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "tests/support/onnx_data.hpp"

using namespace kiln;
using namespace kiln::test;

namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- kiln's side of a case
enum class layer_op { conv, depthwise, max_pool, avg_pool, global_avg_pool, zero_pad };

// The kiln layers of one case: zero_pad2d<top, bottom, left, right> when any of those is > 0,
// then the op (for layer_op::zero_pad, the zero_pad2d alone). Pools are square: kh == kw.
// groups: ONNX's Conv group for layer_op::conv; > 1 runs conv2d on the block-diagonal weight.
// bias: depthwise_conv2d's Bias (ONNX's B given); conv2d always has its b (zeros without B).
struct recipe {
    layer_op op = layer_op::zero_pad;
    int filters = 0, kh = 1, kw = 1, stride = 1;
    padding pad = padding::valid;
    int top = 0, bottom = 0, left = 0, right = 0;
    int groups = 1;
    bool bias = true;
    constexpr bool zero_padded() const { return top > 0 || bottom > 0 || left > 0 || right > 0; }
    bool operator==(const recipe&) const = default;
};
struct pads4 {
    int top = 0, bottom = 0, left = 0, right = 0;
};

constexpr recipe conv(int filters, int kh, int kw, int stride, padding p = padding::valid, pads4 z = {}) {
    return {layer_op::conv, filters, kh, kw, stride, p, z.top, z.bottom, z.left, z.right};
}
// ONNX's Conv with group > 1 that is not depthwise: conv2d on the block-diagonal weight
constexpr recipe grouped_conv(int groups, int filters, int kh, int kw, int stride, padding p = padding::valid,
                              pads4 z = {}) {
    return {layer_op::conv, filters, kh, kw, stride, p, z.top, z.bottom, z.left, z.right, groups};
}
constexpr recipe depthwise(int kh, int kw, int stride, bool bias, padding p = padding::valid, pads4 z = {}) {
    return {layer_op::depthwise, 0, kh, kw, stride, p, z.top, z.bottom, z.left, z.right, 1, bias};
}
constexpr recipe max_pool(int k, int stride, padding p = padding::valid) {
    return {layer_op::max_pool, 0, k, k, stride, p};
}
constexpr recipe avg_pool(int k, int stride, padding p = padding::valid, pads4 z = {}) {
    return {layer_op::avg_pool, 0, k, k, stride, p, z.top, z.bottom, z.left, z.right};
}
constexpr recipe global_avg() { return {layer_op::global_avg_pool}; }
constexpr recipe zero_pad(pads4 z) {
    return {layer_op::zero_pad, 0, 1, 1, 1, padding::valid, z.top, z.bottom, z.left, z.right};
}

// A case as kiln runs it: the input image (C, H, W) and the layers.
struct expressed {
    int c = 0, h = 0, w = 0;
    recipe r;
    bool operator==(const expressed&) const = default;
};

std::string describe(const expressed& e) {
    static const char* ops[] = {"conv2d", "depthwise_conv2d", "max_pool2d", "avg_pool2d", "global_avg_pool", "zero_pad2d"};
    std::ostringstream s;
    s << "image<" << e.h << ", " << e.w << ", " << e.c << "> >> ";
    if (e.r.zero_padded())
        s << "zero_pad2d<" << e.r.top << ", " << e.r.bottom << ", " << e.r.left << ", " << e.r.right << ">"
          << (e.r.op == layer_op::zero_pad ? "" : " >> ");
    if (e.r.op == layer_op::zero_pad) return s.str();
    s << ops[static_cast<int>(e.r.op)];
    if (e.r.op == layer_op::global_avg_pool) return s.str();
    s << "<";
    if (e.r.op == layer_op::conv) s << e.r.filters << ", " << e.r.kh << ", " << e.r.kw;
    else if (e.r.op == layer_op::depthwise) s << e.r.kh << ", " << e.r.kw;
    else s << e.r.kh;
    s << ", " << e.r.stride << (e.r.pad == padding::same ? ", same" : "");
    if (e.r.op == layer_op::depthwise) s << (e.r.bias ? ", bias" : ", no bias");
    s << ">";
    if (e.r.op == layer_op::conv && e.r.groups > 1) s << " on the block-diagonal weight of " << e.r.groups << " groups";
    return s.str();
}

template <recipe R>
constexpr auto kiln_layer() {
    if constexpr (R.op == layer_op::conv) return conv2d<R.filters, R.kh, R.kw, R.stride, R.pad>;
    else if constexpr (R.op == layer_op::depthwise) return depthwise_conv2d<R.kh, R.kw, R.stride, R.pad, R.bias>;
    else if constexpr (R.op == layer_op::max_pool) return max_pool2d<R.kh, R.stride, R.pad>;
    else if constexpr (R.op == layer_op::avg_pool) return avg_pool2d<R.kh, R.stride, R.pad>;
    else if constexpr (R.op == layer_op::global_avg_pool) return global_avg_pool;
    else return zero_pad2d<R.top, R.bottom, R.left, R.right>;
}

template <int C, int H, int W, recipe R>
constexpr auto kiln_body() {
    if constexpr (R.zero_padded() && R.op != layer_op::zero_pad)
        return input(image<H, W, C>) >> zero_pad2d<R.top, R.bottom, R.left, R.right> >> kiln_layer<R>();
    else return input(image<H, W, C>) >> kiln_layer<R>();
}

// input >> layers >> (flatten) >> loss::mse: mse's prediction is its input, the output in
// kiln's flat order; its labels are zeros (only the cost reads them).
template <int C, int H, int W, recipe R>
constexpr auto kiln_net() {
    if constexpr (R.op == layer_op::global_avg_pool) return kiln_body<C, H, W, R>() >> loss::mse;
    else return kiln_body<C, H, W, R>() >> flatten >> loss::mse;
}

// ---------------------------------------------------------------- layouts
// ONNX's row-major (n, c, h, w) -> kiln's (c, x, y, n) innermost first; (N, C) for rank 2.
tensor nchw_to_kiln(const onnx_tensor& t) {
    REQUIRE(t.dims.size() == 4);
    const std::int64_t N = t.dims[0], C = t.dims[1], H = t.dims[2], W = t.dims[3];
    tensor out(t.values.size());
    for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t c = 0; c < C; ++c)
            for (std::int64_t h = 0; h < H; ++h)
                for (std::int64_t w = 0; w < W; ++w)
                    out[static_cast<std::size_t>(c + C * (w + W * (h + H * n)))] =
                        t.values[static_cast<std::size_t>(w + W * (h + H * (c + C * n)))];
    return out;
}

// ONNX's weights (f, c, kh, kw) row-major -> kiln's W(f, c, kx, ky) innermost first.
// With group G > 1, ONNX's weight is (f, c', kh, kw), c' one of the C / G input channels of
// f's group g = f / (F / G); kiln's dense W(f, c, kx, ky) gets it at c = g C / G + c' and
// zeros at every other c: the block-diagonal expansion, the same function as the grouped
// convolution (C is kiln's input channel count; G = 1 is the plain OIHW layout).
tensor oihw_to_kiln(const onnx_tensor& t, std::int64_t C, std::int64_t G = 1) {
    REQUIRE(t.dims.size() == 4);
    const std::int64_t F = t.dims[0], Cg = t.dims[1], KH = t.dims[2], KW = t.dims[3];
    REQUIRE(C == Cg * G);
    REQUIRE(F % G == 0);
    const std::int64_t Fg = F / G;
    tensor out(static_cast<std::size_t>(F * C * KH * KW), 0.0);
    for (std::int64_t f = 0; f < F; ++f)
        for (std::int64_t cg = 0; cg < Cg; ++cg)
            for (std::int64_t ky = 0; ky < KH; ++ky)
                for (std::int64_t kx = 0; kx < KW; ++kx) {
                    const std::int64_t c = (f / Fg) * Cg + cg;
                    out[static_cast<std::size_t>(f + F * (c + C * (kx + KW * ky)))] =
                        t.values[static_cast<std::size_t>(kx + KW * (ky + KH * (cg + Cg * f)))];
                }
    return out;
}

// ONNX's depthwise weights (c, 1, kh, kw) row-major -> kiln's depthwise W(c, kx, ky).
tensor c1hw_to_kiln(const onnx_tensor& t) {
    REQUIRE(t.dims.size() == 4);
    REQUIRE(t.dims[1] == 1);
    const std::int64_t C = t.dims[0], KH = t.dims[2], KW = t.dims[3];
    tensor out(t.values.size());
    for (std::int64_t c = 0; c < C; ++c)
        for (std::int64_t ky = 0; ky < KH; ++ky)
            for (std::int64_t kx = 0; kx < KW; ++kx)
                out[static_cast<std::size_t>(c + C * (kx + KW * ky))] =
                    t.values[static_cast<std::size_t>(kx + KW * (ky + KH * c))];
    return out;
}

/*  Tolerance: inputs and expected outputs are float32; the expected ones were summed by numpy
    or PyTorch in float32 in another order than kiln's, so agreement is to float32 rounding of
    sums of up to 144 products (test_operator_conv), not to the bit:
    |got - want| <= 2e-6 max(1, |want|), about 16 float32 ulps. The largest error measured
    was 3.6e-7 (test_operator_conv; x86-64, Halide 14); max and zero padding are exact.  */
constexpr double onnx_tolerance = 2e-6;

// One CHECK per tensor: the worst element and how many are out of tolerance.
void compare(const std::string& what, const tensor& got, const tensor& want) {
    INFO(what << ": kiln gives " << got.size() << " values, ONNX " << want.size());
    CHECK(got.size() == want.size());
    if (got.size() != want.size()) return;
    std::size_t bad = 0, worst = 0;
    double worst_err = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double err = std::abs(got[i] - want[i]) / std::max(1.0, std::abs(want[i]));
        if (!(err <= onnx_tolerance)) ++bad;
        if (!(err <= worst_err)) worst_err = err, worst = i;
    }
    INFO(what << ": " << bad << " of " << got.size() << " values off; worst [" << worst << "] got " << got[worst]
              << ", expected " << want[worst] << " (error " << worst_err << ")");
    CHECK(bad == 0);
}

// Runs one case through the static network of its row; the pipeline is compiled once per
// network type and reused by every case with the same layers and shape.
template <int C, int H, int W, recipe R>
void run_in_kiln(const onnx_case& c) {
    using Net = network<std::remove_cvref_t<decltype(kiln_net<C, H, W, R>())>>;
    // never destroyed: Halide's JIT state may be gone when static destructors run
    static jit_network<Net>& jit = *new jit_network<Net>(Halide::Float(32), sched::manual, /*grads=*/false);
    for (std::size_t k = 0; k < c.data_sets.size(); ++k) {
        const onnx_data_set& d = c.data_sets[k];
        const onnx_tensor& x = c.value(d, c.node_inputs[0]);
        batch b = random_batch<Net>(static_cast<int>(x.dims[0]), 1);
        b.x[0] = nchw_to_kiln(x);
        std::fill(b.y.begin(), b.y.end(), 0.0);
        const bool has_bias = c.node_inputs.size() > 2 && !c.node_inputs[2].empty();
        if constexpr (R.op == layer_op::conv) {
            b.param("conv2d1.W") = oihw_to_kiln(c.value(d, c.node_inputs[1]), C, R.groups);
            b.param("conv2d1.b") =
                has_bias ? c.value(d, c.node_inputs[2]).values : tensor(static_cast<std::size_t>(R.filters), 0.0);
        } else if constexpr (R.op == layer_op::depthwise) {
            REQUIRE(has_bias == R.bias);
            b.param("depthwise_conv2d1.W") = c1hw_to_kiln(c.value(d, c.node_inputs[1]));
            if constexpr (R.bias) b.param("depthwise_conv2d1.b") = c.value(d, c.node_inputs[2]).values;
        }
        jit.bind(b);
        // Y only: MaxPool's optional second output (argmax indices) is not a kiln output
        compare("Y of data set " + std::to_string(k), jit.run().prediction,
                nchw_to_kiln(d.output(c.node_outputs[0])));
    }
}

// ---------------------------------------------------------------- from ONNX's attributes
enum class why {
    expressible,
    several_nodes,   // a graph, not one node
    not_2d,          // 1-D or 3-D data
    dilations,       // dilations > 1
    pool_padding,    // padding left out of a max / average that TensorFlow's "same" does not place
    same_lower,      // auto_pad SAME_LOWER with an odd total: the odd pixel before, kiln's after
    ceil_mode,       // ceil_mode's extra window where kiln has none
    not_square,      // strides (or a pool's window) that differ along H and W
    pad_mode,        // Pad with mode reflect or edge
    pad_value,       // Pad with a constant other than 0
    pad_channels,    // Pad along N or C, or negative pads (cropping)
};
const char* text(why w) {
    switch (w) {
    case why::expressible: return "expressible";
    case why::several_nodes: return "a graph, not one node (PyTorch's 1-D pooling: Unsqueeze, AveragePool, Squeeze)";
    case why::not_2d: return "1-D or 3-D: kiln's conv and pool layers are 2-D";
    case why::dilations: return "dilations > 1: no dilated conv or pool in kiln yet (a later issue)";
    case why::pool_padding:
        return "padding that the pool leaves out at a place TensorFlow's 'same' does not pad (zero_pad2d "
               "would put zeros into the max or the count)";
    case why::same_lower: return "auto_pad SAME_LOWER with an odd total pads the extra pixel before; kiln's same after";
    case why::ceil_mode: return "ceil_mode adds a window that kiln's pools do not have";
    case why::not_square: return "strides or a pool window that differ along H and W: kiln's are square";
    case why::pad_mode: return "reflect / edge padding: kiln pads with zeros only";
    case why::pad_value: return "constant padding with a value other than 0: kiln pads with zeros only";
    case why::pad_channels: return "padding along N or C, or negative pads: zero_pad2d pads H and W";
    }
    return "?";
}

struct verdict {
    why reason = why::expressible;
    expressed kiln;  // when expressible
};
// recipe r on ONNX input dims x = (N, C, H, W)
verdict express_as(const std::vector<std::int64_t>& x, recipe r) {
    return {why::expressible, {static_cast<int>(x[1]), static_cast<int>(x[2]), static_cast<int>(x[3]), r}};
}

std::vector<int> ints(const onnx_case& c, const std::string& name, std::vector<int> fallback) {
    const auto it = c.attributes.find(name);
    if (it == c.attributes.end()) return fallback;
    return {it->second.numbers.begin(), it->second.numbers.end()};
}
bool all_ones(const std::vector<int>& v) {
    return std::all_of(v.begin(), v.end(), [](int x) { return x == 1; });
}

// One spatial axis of a window op, as ONNX defines it.
struct axis {
    int in = 0, k = 1, s = 1, begin = 0, end = 0;  // begin, end: padding before and after
    bool ceil = false;
    int out() const {
        const int span = in + begin + end - k;
        return (ceil ? (span + s - 1) / s : span / s) + 1;
    }
    // TensorFlow's "same" on this axis (kiln's padding::same): out = ceil(in / s), the total
    // padding split with the odd pixel after.
    int same_out() const { return (in + s - 1) / s; }
    int same_begin() const { return std::max((same_out() - 1) * s + k - in, 0) / 2; }
    // For a pool that leaves padding out, only where the windows start matters.
    bool windows_as_valid() const { return begin == 0 && out() == (in - k) / s + 1; }
    bool windows_as_same() const { return begin == same_begin() && out() == same_out(); }
};

// Spatial axes (H, W) of a Conv / MaxPool / AveragePool on input dims (N, C, H, W), with its
// explicit pads or auto_pad resolved into (begin, end).
std::array<axis, 2> window_axes(const onnx_case& c, const std::vector<std::int64_t>& x, std::vector<int> kernel) {
    const std::vector<int> strides = ints(c, "strides", {1, 1}), pads = ints(c, "pads", {0, 0, 0, 0});
    const std::string auto_pad = c.text("auto_pad", "NOTSET");
    std::array<axis, 2> a;
    for (std::size_t d = 0; d < 2; ++d) {
        a[d].in = static_cast<int>(x[2 + d]);
        a[d].k = kernel[d];
        a[d].s = strides[d];
        a[d].ceil = c.number("ceil_mode", 0) != 0;
        if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
            const int out = (a[d].in + a[d].s - 1) / a[d].s;
            const int total = std::max((out - 1) * a[d].s + a[d].k - a[d].in, 0);
            a[d].begin = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
            a[d].end = total - a[d].begin;
        } else if (auto_pad != "VALID") {
            a[d].begin = pads[d];
            a[d].end = pads[d + 2];
        }
    }
    return a;
}

/*  What kiln can express, per op; padding per axis is ONNX's pads (begin, end), or auto_pad
    resolved as ONNX defines it.
      Conv          padded zeros add nothing to the sum, so any pads are exactly
                    zero_pad2d<top, bottom, left, right> >> conv2d valid; auto_pad SAME_* whose
                    windows are TensorFlow's maps to conv2d same. group = C_in = C_out is
                    depthwise_conv2d (Bias when B is given), padded the same way; any other
                    group > 1 is conv2d on the block-diagonal weight (kiln has no grouped
                    layer: the same function through a dense conv2d, not a grouped kernel).
      MaxPool, AveragePool with count_include_pad = 0
                    padded pixels take no part (left out of the max and of the count). kiln's
                    pools do the same, with valid windows or TensorFlow's "same" ones (out =
                    ceil(in / S), floor(total / 2) padding before): a case runs when its windows
                    start where those start and are as many. ceil_mode only adds a window at
                    the end, so it runs when that makes TensorFlow's windows. zero_pad2d would
                    be wrong here: its zeros would enter the max and the count.
      AveragePool with count_include_pad = 1
                    padded zeros count: zero_pad2d<pads> >> avg_pool2d valid.
      Pad           a constant 0 along H and W only: zero_pad2d<top, bottom, left, right>.     */
verdict express_window_op(const onnx_case& c, const std::vector<std::int64_t>& x, const onnx_data_set& d) {
    const bool is_conv = c.op_type == "Conv";
    std::vector<int> kernel = ints(c, "kernel_shape", {});
    const onnx_tensor* w = is_conv ? &c.value(d, c.node_inputs[1]) : nullptr;
    if (kernel.empty() && w) kernel = {static_cast<int>(w->dims[2]), static_cast<int>(w->dims[3])};
    if (!all_ones(ints(c, "dilations", {1, 1}))) return {why::dilations};
    const std::array<axis, 2> a = window_axes(c, x, kernel);
    const auto [h, wd] = a;
    const pads4 zeros{h.begin, h.end, wd.begin, wd.end};
    const bool same_lower =
        c.text("auto_pad", "") == "SAME_LOWER" && (h.begin != h.same_begin() || wd.begin != wd.same_begin());

    if (is_conv) {  // zero padding adds nothing to the sum: any pads are zero_pad2d
        if (h.s != wd.s) return {why::not_square};
        const int filters = static_cast<int>(w->dims[0]), channels = static_cast<int>(x[1]);
        const int group = static_cast<int>(c.number("group", 1));
        REQUIRE(group >= 1);
        REQUIRE(channels % group == 0);
        REQUIRE(filters % group == 0);
        REQUIRE(w->dims[1] == channels / group);
        const bool auto_same = c.text("auto_pad", "").starts_with("SAME");
        const padding p = auto_same && h.windows_as_same() && wd.windows_as_same() ? padding::same : padding::valid;
        const pads4 z = p == padding::same ? pads4{} : zeros;
        if (group > 1 && group == channels && filters == channels) {  // one filter per channel
            const bool has_bias = c.node_inputs.size() > 2 && !c.node_inputs[2].empty();
            return express_as(x, depthwise(h.k, wd.k, h.s, has_bias, p, z));
        }
        if (group > 1) return express_as(x, grouped_conv(group, filters, h.k, wd.k, h.s, p, z));
        return express_as(x, conv(filters, h.k, wd.k, h.s, p, z));
    }
    if (h.k != wd.k || h.s != wd.s) return {why::not_square};
    const bool is_max = c.op_type == "MaxPool";
    if (!is_max && c.number("count_include_pad", 0) != 0) {  // padded zeros are counted
        if (h.ceil || wd.ceil) return {why::ceil_mode};
        return express_as(x, avg_pool(h.k, h.s, padding::valid, zeros));
    }
    // padding left out of the max / the average: the windows must be kiln's
    const auto pool = [&](padding p) { return is_max ? max_pool(h.k, h.s, p) : avg_pool(h.k, h.s, p); };
    if (h.windows_as_valid() && wd.windows_as_valid()) return express_as(x, pool(padding::valid));
    if (h.windows_as_same() && wd.windows_as_same()) return express_as(x, pool(padding::same));
    if (same_lower) return {why::same_lower};
    if (h.ceil || wd.ceil) return {why::ceil_mode};
    return {why::pool_padding};
}

verdict express_pad(const onnx_case& c, const std::vector<std::int64_t>& x, const onnx_data_set& d) {
    if (c.text("mode", "constant") != "constant") return {why::pad_mode};
    // opset < 11: pads and value are attributes; since 11, inputs 1 and 2 (value optional)
    std::vector<int> pads = ints(c, "pads", {});
    if (pads.empty()) {
        const std::vector<double>& v = c.value(d, c.node_inputs[1]).values;
        pads.assign(v.begin(), v.end());
    }
    double value = c.number("value", 0);
    if (c.node_inputs.size() > 2 && !c.node_inputs[2].empty()) value = c.value(d, c.node_inputs[2]).values.at(0);
    if (value != 0) return {why::pad_value};
    REQUIRE(pads.size() == 8);  // (N, C, H, W) begins, then ends
    const bool spatial = pads[0] == 0 && pads[1] == 0 && pads[4] == 0 && pads[5] == 0 &&
                         std::all_of(pads.begin(), pads.end(), [](int p) { return p >= 0; });
    if (!spatial) return {why::pad_channels};
    return express_as(x, zero_pad({pads[2], pads[6], pads[3], pads[7]}));
}

// The kiln layers for a case directory, or why there are none.
verdict express(const fs::path& dir) {
    if (onnx_node_types(dir).size() != 1) return {why::several_nodes};
    const onnx_case c = load_onnx_case(dir);
    const onnx_data_set& d = c.data_sets.at(0);
    const std::vector<std::int64_t>& x = c.value(d, c.node_inputs[0]).dims;
    if (x.size() != 4) return {why::not_2d};
    if (c.op_type == "GlobalAveragePool")
        return express_as(x, global_avg());
    if (c.op_type == "Pad") return express_pad(c, x, d);
    return express_window_op(c, x, d);
}

// ---------------------------------------------------------------- the tables
const std::set<std::string> op_types = {"Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "Pad"};
const std::vector<std::string> suites = {"node", "pytorch-converted", "pytorch-operator"};

struct run_row {
    const char* name;
    expressed kiln;
    void (*run)(const onnx_case&);
};
template <int C, int H, int W, recipe R>
run_row row(const char* name) {
    return {name, {C, H, W, R}, &run_in_kiln<C, H, W, R>};
}

// Each case kiln can express: input <C, H, W> and the layers express() derives.
const std::vector<run_row> runs = {
    // Conv: explicit pads as zero_pad2d, auto_pad SAME_* as conv2d same; no B: bias 0
    row<1, 5, 5, conv(1, 3, 3, 1, padding::valid, {1, 1, 1, 1})>("test_basic_conv_with_padding"),
    row<1, 5, 5, conv(1, 3, 3, 1)>("test_basic_conv_without_padding"),
    row<1, 5, 5, conv(1, 3, 3, 2, padding::same)>("test_conv_with_autopad_same"),  // SAME_LOWER, even total
    row<1, 7, 5, conv(1, 3, 3, 2, padding::valid, {1, 1, 0, 0})>("test_conv_with_strides_and_asymmetric_padding"),
    row<1, 7, 5, conv(1, 3, 3, 2)>("test_conv_with_strides_no_padding"),
    row<1, 7, 5, conv(1, 3, 3, 2, padding::valid, {1, 1, 1, 1})>("test_conv_with_strides_padding"),
    row<3, 7, 5, conv(4, 3, 2, 1)>("test_Conv2d"),
    row<3, 6, 5, conv(4, 3, 2, 1)>("test_Conv2d_no_bias"),
    row<3, 6, 6, conv(4, 3, 3, 2, padding::valid, {1, 1, 1, 1})>("test_Conv2d_padding"),
    row<3, 6, 6, conv(4, 3, 3, 2)>("test_Conv2d_strided"),
    row<16, 50, 40, conv(13, 3, 3, 1)>("test_operator_conv"),
    // Conv with group = C_in = C_out: kiln's depthwise_conv2d, W (C, KW, KH), b = B
    row<4, 6, 6, depthwise(3, 3, 1, true)>("test_Conv2d_depthwise"),
    row<4, 6, 6, depthwise(3, 3, 1, true, padding::valid, {1, 1, 1, 1})>("test_Conv2d_depthwise_padded"),
    row<4, 6, 6, depthwise(3, 3, 2, true)>("test_Conv2d_depthwise_strided"),
    // Conv with other groups: kiln has no grouped layer; conv2d on the block-diagonal weight
    // (zeros between groups) computes the same function: these check conv2d, not a grouped kernel
    row<4, 6, 6, grouped_conv(4, 8, 3, 3, 1)>("test_Conv2d_depthwise_with_multiplier"),  // C_out = 2 C_in
    row<4, 6, 5, grouped_conv(2, 6, 3, 2, 1)>("test_Conv2d_groups"),
    row<4, 6, 5, grouped_conv(2, 6, 3, 2, 1)>("test_Conv2d_groups_thnn"),
    // MaxPool: padding is left out, as in kiln's same; ceil_mode here makes TF's windows
    row<1, 4, 4, max_pool(3, 2, padding::same)>("test_maxpool_2d_ceil"),
    row<3, 32, 32, max_pool(2, 1)>("test_maxpool_2d_default"),
    row<1, 5, 5, max_pool(5, 1, padding::same)>("test_maxpool_2d_precomputed_pads"),
    row<1, 5, 5, max_pool(3, 2, padding::same)>("test_maxpool_2d_precomputed_same_upper"),
    row<1, 5, 5, max_pool(2, 2)>("test_maxpool_2d_precomputed_strides"),
    row<3, 32, 32, max_pool(2, 1, padding::same)>("test_maxpool_2d_same_upper"),
    row<3, 32, 32, max_pool(5, 3)>("test_maxpool_2d_strides"),
    row<1, 5, 5, max_pool(5, 1, padding::same)>("test_maxpool_2d_uint8"),  // integers, exact in float32
    row<1, 5, 5, max_pool(5, 1, padding::same)>("test_maxpool_with_argmax_2d_precomputed_pads"),
    row<1, 5, 5, max_pool(2, 2)>("test_maxpool_with_argmax_2d_precomputed_strides"),
    row<3, 7, 7, max_pool(3, 2, padding::same)>("test_MaxPool2d"),
    // AveragePool: count_include_pad = 0 as kiln's same; = 1 as zero_pad2d >> valid
    row<1, 4, 4, avg_pool(3, 2, padding::same)>("test_averagepool_2d_ceil"),
    row<3, 32, 32, avg_pool(2, 1)>("test_averagepool_2d_default"),
    row<3, 28, 28, avg_pool(3, 1, padding::valid, {2, 2, 2, 2})>("test_averagepool_2d_pads_count_include_pad"),
    row<1, 5, 5, avg_pool(5, 1, padding::same)>("test_averagepool_2d_precomputed_pads"),
    row<1, 5, 5, avg_pool(5, 1, padding::valid, {2, 2, 2, 2})>(
        "test_averagepool_2d_precomputed_pads_count_include_pad"),
    row<1, 5, 5, avg_pool(3, 2, padding::same)>("test_averagepool_2d_precomputed_same_upper"),
    row<1, 5, 5, avg_pool(2, 2)>("test_averagepool_2d_precomputed_strides"),
    row<3, 32, 32, avg_pool(2, 1, padding::same)>("test_averagepool_2d_same_upper"),
    row<3, 32, 32, avg_pool(5, 3)>("test_averagepool_2d_strides"),
    row<3, 6, 6, avg_pool(2, 2)>("test_AvgPool2d"),
    row<3, 6, 6, avg_pool(2, 2)>("test_AvgPool2d_stride"),
    // GlobalAveragePool: (N, C, 1, 1) is kiln's (C, N)
    row<3, 5, 5, global_avg()>("test_globalaveragepool"),
    row<1, 3, 3, global_avg()>("test_globalaveragepool_precomputed"),
    // Pad: PyTorch's ZeroPad2d((1, 2, 3, 4)) = left 1, right 2, top 3, bottom 4
    row<3, 4, 4, zero_pad({3, 4, 1, 2})>("test_ZeroPad2d"),
};

// Each case kiln cannot express, and why (express() must give the same reason).
const std::map<std::string, why> inexpressible = {
    {"test_averagepool_1d_default", why::not_2d},
    {"test_averagepool_3d_default", why::not_2d},
    {"test_averagepool_2d_pads", why::pool_padding},  // 28 -> 30: windows centred on the border
    {"test_averagepool_2d_same_lower", why::same_lower},
    {"test_maxpool_1d_default", why::not_2d},
    {"test_maxpool_3d_default", why::not_2d},
    {"test_maxpool_2d_dilations", why::dilations},
    {"test_maxpool_2d_pads", why::pool_padding},
    {"test_maxpool_2d_same_lower", why::same_lower},
    {"test_constant_pad", why::pad_value},  // 1.2
    {"test_edge_pad", why::pad_mode},
    {"test_reflect_pad", why::pad_mode},
    {"test_AvgPool1d", why::several_nodes},
    {"test_AvgPool1d_stride", why::several_nodes},
    {"test_AvgPool3d", why::not_2d},
    {"test_AvgPool3d_stride", why::not_2d},
    {"test_AvgPool3d_stride1_pad0_gpu_input", why::not_2d},
    {"test_Conv1d", why::not_2d},
    {"test_Conv1d_dilated", why::not_2d},
    {"test_Conv1d_groups", why::not_2d},
    {"test_Conv1d_pad1", why::not_2d},
    {"test_Conv1d_pad1size1", why::not_2d},
    {"test_Conv1d_pad2", why::not_2d},
    {"test_Conv1d_pad2size1", why::not_2d},
    {"test_Conv1d_stride", why::not_2d},
    {"test_Conv2d_dilated", why::dilations},
    {"test_Conv3d", why::not_2d},
    {"test_Conv3d_dilated", why::not_2d},
    {"test_Conv3d_dilated_strided", why::not_2d},
    {"test_Conv3d_groups", why::not_2d},
    {"test_Conv3d_no_bias", why::not_2d},
    {"test_Conv3d_stride", why::not_2d},
    {"test_Conv3d_stride_padding", why::not_2d},
    {"test_MaxPool1d", why::not_2d},
    {"test_MaxPool1d_stride", why::not_2d},
    {"test_MaxPool1d_stride_padding_dilation", why::not_2d},
    {"test_MaxPool2d_stride_padding_dilation", why::dilations},
    {"test_MaxPool3d", why::not_2d},
    {"test_MaxPool3d_stride", why::not_2d},
    {"test_MaxPool3d_stride_padding", why::not_2d},
    {"test_ConstantPad2d", why::pad_value},  // 2
    {"test_ReflectionPad2d", why::pad_mode},
    {"test_ReplicationPad2d", why::pad_mode},
    {"test_operator_maxpool", why::not_2d},
    {"test_operator_pad", why::pad_mode},
};

const run_row* find_run(const std::string& name) {
    for (const run_row& r : runs)
        if (name == r.name) return &r;
    return nullptr;
}

// The case directories of the ops above, in every suite present; empty (with a warning)
// when Debian's libonnx-testdata is not installed.
std::vector<fs::path> case_dirs() {
    std::vector<fs::path> dirs;
    for (const std::string& suite : suites) {
        const fs::path root = onnx_testdata_suite(suite);
        if (root.empty()) {
            WARN("ONNX test data suite " << suite << " not found (install libonnx-testdata or set "
                 "KILN_ONNX_TESTDATA to its data/node): not checked");
            continue;
        }
        for (const fs::directory_entry& e : fs::directory_iterator(root)) {
            if (!fs::exists(e.path() / "model.onnx")) continue;
            for (const std::string& t : onnx_node_types(e.path()))
                if (op_types.count(t)) {
                    dirs.push_back(e.path());
                    break;
                }
        }
    }
    std::sort(dirs.begin(), dirs.end());
    return dirs;
}

// ---------------------------------------------------------------- zero_pad2d<T, B, L, R>
// Four different paddings through the op harness: the forward against loops, and the pad's
// d_in (inside the first convolution's d_W) against finite differences.

// a valid, stride-1 convolution through the harness's conv_ref
tensor conv_valid_ref(const tensor& x, int C, int W, int H, const tensor& Wt, const tensor& b, int KH, int KW,
                      int n) {
    int Wo = 0, Ho = 0;
    return conv_ref(x, C, W, H, Wt, b, static_cast<int>(b.size()), KH, KW, 1, false, n, Wo, Ho);
}

// x (C, W, H) with `top` rows of zeros above, `bottom` below, `left` and `right` columns
tensor zero_pad_ref(const tensor& x, int C, int W, int H, pads4 p, int n) {
    const int Wp = W + p.left + p.right, Hp = H + p.top + p.bottom;
    tensor y(static_cast<std::size_t>(C * Wp * Hp * n), 0.0);
    for (int s = 0; s < n; ++s)
        for (int j = 0; j < H; ++j)
            for (int i = 0; i < W; ++i)
                for (int c = 0; c < C; ++c)
                    y[static_cast<std::size_t>(c + C * (i + p.left + Wp * (j + p.top + Hp * s)))] =
                        x[static_cast<std::size_t>(c + C * (i + W * (j + H * s)))];
    return y;
}

// (H, W) = (4, 3) -> conv 2x2 (3, 2) -> pad top 2, bottom 0, left 1, right 3 (5, 6)
// -> conv 3x3 (3, 4) -> mean per channel -> dense
struct asymmetric_pad_case {
    static constexpr auto net = input(image<4, 3, 2>) >> conv2d<3, 2, 2> >> zero_pad2d<2, 0, 1, 3> >>
                                conv2d<2, 3, 3> >> global_avg_pool >> dense<2> >> loss::mse;
    static tensor logits(const batch& b) {
        const tensor h = conv_valid_ref(b.x[0], 2, 3, 4, b.param("conv2d1.W"), b.param("conv2d1.b"), 2, 2, b.n);
        const tensor p = zero_pad_ref(h, 3, 2, 3, {2, 0, 1, 3}, b.n);
        const tensor y = conv_valid_ref(p, 3, 6, 5, b.param("conv2d2.W"), b.param("conv2d2.b"), 3, 3, b.n);
        tensor g(static_cast<std::size_t>(2 * b.n), 0.0);
        for (std::size_t i = 0; i < y.size(); ++i) g[i % 2 + 2 * (i / (2 * 4 * 3))] += y[i] / (4 * 3);
        return dense_ref(g, b.param("dense1.W"), b.param("dense1.b"), b.n);
    }
};

}  // namespace

TEST_CASE("ONNX Conv, MaxPool, AveragePool, GlobalAveragePool, Pad cases are each run or listed with the reason",
          "[codegen][conv][onnx]") {
    std::set<std::string> seen;
    for (const fs::path& dir : case_dirs()) {
        const std::string name = dir.filename().string();
        INFO(dir.string());
        seen.insert(name);
        const run_row* run = find_run(name);
        const auto listed = inexpressible.find(name);
        const verdict v = express(dir);
        if (v.reason == why::expressible) {
            INFO("kiln expresses it as " << describe(v.kiln) << "; add a row to `runs`");
            CHECK(run != nullptr);
            if (!run) continue;
            INFO("the row says " << describe(run->kiln));
            CHECK(run->kiln == v.kiln);
            CHECK(listed == inexpressible.end());
        } else {
            INFO("not expressible: " << text(v.reason) << "; list it in `inexpressible`");
            CHECK(listed != inexpressible.end());
            if (listed == inexpressible.end()) continue;
            INFO("the table says: " << text(listed->second));
            CHECK(listed->second == v.reason);
            CHECK(run == nullptr);
        }
    }
    if (seen.empty()) return;  // no test data installed (warned above)
    for (const run_row& r : runs) {
        INFO(r.name << " is in `runs` but is no case of these ops in the suites");
        CHECK(seen.count(r.name) == 1);
    }
    for (const auto& [name, reason] : inexpressible) {
        INFO(name << " is in `inexpressible` but is no case of these ops in the suites");
        CHECK(seen.count(name) == 1);
    }
}

TEST_CASE("ONNX Conv, MaxPool, AveragePool, GlobalAveragePool, Pad: kiln's float32 forward equals ONNX's output",
          "[codegen][conv][onnx]") {
    std::map<std::string, fs::path> dirs;
    for (const fs::path& dir : case_dirs()) dirs[dir.filename().string()] = dir;
    if (dirs.empty()) return;  // no test data installed (warned in case_dirs)
    for (const run_row& r : runs) {
        INFO(r.name << " as " << describe(r.kiln));
        CHECK(dirs.count(r.name) == 1);
        if (!dirs.count(r.name)) continue;
        r.run(load_onnx_case(dirs.at(r.name)));
    }
}

TEST_CASE("zero_pad2d with four paddings: forward vs loops, backward vs finite differences", "[codegen][ops][conv]") {
    check_op<asymmetric_pad_case>();
}
