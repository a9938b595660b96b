// Where the GPU schedule (codegen/schedule/gpu.hpp) computes each Func, on small pipelines:
// who reads what (call_graph), how many kernels a CUDA build launches, counted in the host
// code Halide lowers, and what a convolution's kernel is made of, counted in its PTX (no GPU
// needed: the PTX is only generated). What these schedules compute is checked against the
// CPU by tests/gpu (every network and op, OpenCL on pocl).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "codegen/lower.hpp"
#include "codegen/schedule/gpu.hpp"
#include "codegen/target.hpp"
#include "dsl/kiln.hpp"

using namespace kiln::codegen;
using Halide::Func;
using Halide::RDom;
using Halide::Var;

namespace {

// The lowered statement of a CUDA build of the pipeline: the host code, then each
// kernel's PTX.
std::string lowered_cuda(Halide::Pipeline p, const std::vector<Halide::Argument>& args, const std::string& name) {
    const Halide::Target cuda = host_target()
                                    .with_feature(Halide::Target::CUDA)
                                    .with_feature(Halide::Target::CUDACapability80);
    const std::filesystem::path stmt = std::filesystem::temp_directory_path() / ("kiln_gpu_schedule_" + name + ".stmt");
    p.compile_to_lowered_stmt(stmt.string(), args, Halide::Text, cuda);
    std::ifstream in(stmt);
    std::stringstream text;
    text << in.rdbuf();
    std::filesystem::remove(stmt);
    return text.str();
}

int occurrences(const std::string& s, const std::string& what) {
    int n = 0;
    for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
}

// The PTX of the kernel whose name holds `part`: from its .entry to the next one.
std::string kernel_ptx(const std::string& s, const std::string& part) {
    for (std::size_t at = s.find(".entry"); at != std::string::npos; at = s.find(".entry", at + 1)) {
        const std::size_t next = s.find(".entry", at + 1);
        const std::string k = s.substr(at, next == std::string::npos ? std::string::npos : next - at);
        if (k.substr(0, k.find('(')).find(part) != std::string::npos) return k;
    }
    return {};
}

// The kernel launches in the host code of a CUDA build of the pipeline.
int kernels_in(Halide::Pipeline p, const std::vector<Halide::Argument>& args, const std::string& name) {
    return occurrences(lowered_cuda(p, args, name), "halide_cuda_run(");
}

std::set<std::string> not_stages(const call_graph& g, const stage_list& stages) {
    std::set<std::string> inside = g.all();
    for (const stage& s : stages) inside.erase(s.f.name());
    return inside;
}

}  // namespace

TEST_CASE("gpu schedule: a Func's one reader is found through inlined Funcs, only point for point", "[codegen][gpu]") {
    Var x("x");
    Func in("in"), p("p"), q("q"), shifted("shifted"), s("s"), acc("acc");
    in(x) = Halide::cast<float>(x);
    p(x) = in(x) * 2;
    q(x) = p(x) + 1;          // p at q's own point
    shifted(x) = in(x + 1);   // in, elsewhere
    s(x) = q(x) * shifted(x);
    acc(x) = 0.f;
    acc(x) += s(x);           // an update reads s: not a plain copy
    const stage_list stages{{p, stage_kind::pointwise}, {q, stage_kind::pointwise},
                            {shifted, stage_kind::pointwise}, {s, stage_kind::pointwise},
                            {acc, stage_kind::pointwise}};
    const call_graph g(stages);
    std::set<std::string> inside = not_stages(g, stages);
    CHECK(inside == std::set<std::string>{"in"});
    CHECK(g.sole_reader("p", inside) == "q");
    CHECK(g.sole_reader("q", inside) == "s");
    CHECK(g.sole_reader("shifted", inside) == "s");
    CHECK(g.sole_reader("in", inside).empty());  // two readers, one of them elsewhere
    CHECK(g.sole_reader("s", inside).empty());   // read by an update
    CHECK(g.sole_reader("acc", inside).empty());  // read by nothing
    inside.insert("q");  // q computed within s: p's reader is s
    CHECK(g.sole_reader("p", inside) == "s");
    inside.insert("shifted");  // in is still read at x + 1 on the way
    CHECK(g.sole_reader("in", inside).empty());
}

TEST_CASE("gpu schedule: a batch sum read only by a gradient's output copy adds no kernel of its own",
          "[codegen][gpu]") {
    // d(c) = sum over (x, n) of dy(c, x, n), then L2's decayed gradient, then the output copy:
    // a kernel for the partial sums per sample, one for the copy (which sums the samples).
    // At root, as before, the same was 6 kernels: each sum's zeros, its sum, decayed, the copy.
    Halide::ImageParam dy(Halide::Float(32), 3, "dy"), w(Halide::Float(32), 1, "w");
    Var c("c");
    RDom r(0, 8, 0, dy.dim(2).extent(), "r");
    Func d("d"), decayed("decayed"), out("out"), other("other");
    d(c) = 0.f;
    d(c) += dy(c, r.x, r.y);
    decayed(c) = d(c) + 0.5f * w(c);
    out(c) = decayed(c);
    stage_list stages{{d, stage_kind::batch_sum, r, 16}, {decayed, stage_kind::pointwise, RDom(), 16},
                      {out, stage_kind::pointwise, RDom(), 16}};
    SECTION("its one reader") {
        schedule_cuda(stages);
        CHECK(kernels_in(Halide::Pipeline(out), {dy, w}, "one_reader") == 2);
    }
    SECTION("read by a second copy of its shape too: the copies are one kernel, the sum in it") {
        other(c) = d(c) * 2.f;
        stages.push_back({other, stage_kind::pointwise, RDom(), 16});
        schedule_cuda(stages);
        // partial sums, then out and other in one kernel (compute_with), d summed in its threads
        const std::string host = lowered_cuda(Halide::Pipeline({out, other}), {dy, w}, "two_copies");
        CHECK(occurrences(host, "halide_cuda_run(") == 2);
    }
    SECTION("read by a stage of another shape too: the sum is a kernel of its own") {
        Var k("k");
        Func wide("wide");
        wide(c, k) = d(c) * Halide::cast<float>(k);
        stages.push_back({wide, stage_kind::pointwise, RDom(), 16});
        schedule_cuda(stages);
        // partial sums, the sum, and the two copies (decayed still inlined in out)
        CHECK(kernels_in(Halide::Pipeline({out, wide}), {dy, w}, "two_shapes") == 4);
    }
}

TEST_CASE("gpu schedule: a piece's per-channel outputs of one extent are one kernel, their sums' last levels in it",
          "[codegen][gpu]") {
    // A bias's gradient (a sum over positions and samples), batch norm's d_gamma and d_beta
    // (a Tuple of sums, read by both) and a new running average (no sum): 4 outputs over 24
    // channels, and one over 8. Apart they were 10 kernels: each sum's two levels of partial
    // sums (4; the batch is unknown), the Tuple's last level (2 readers), the 4 copies (the
    // bias's last level in its copy) and the 8-channel output. Together: the 4 levels, one
    // kernel for the 4 outputs with both sums' last levels in its threads, and the 8-channel
    // output alone. (What they compute is checked against the CPU by tests/gpu, on every
    // network with a bias or batch norm.)
    Halide::ImageParam dy(Halide::Float(32), 3, "dy"), x(Halide::Float(32), 3, "x"), mean(Halide::Float(32), 1, "mean"),
        other(Halide::Float(32), 1, "other");
    Var c("p0");
    RDom r(0, 100, 0, dy.dim(2).extent(), "r");
    Func db("db"), gb("gb"), out_b("out_b"), out_g("out_g"), out_beta("out_beta"), out_mean("out_mean"), out_o("out_o");
    db(c) = 0.f;
    db(c) += dy(c, r.x, r.y);
    gb(c) = Halide::Tuple(0.f, 0.f);
    gb(c) = Halide::Tuple(gb(c)[0] + dy(c, r.x, r.y) * x(c, r.x, r.y), gb(c)[1] + dy(c, r.x, r.y));
    out_b(c) = db(c);
    out_g(c) = gb(c)[0];
    out_beta(c) = gb(c)[1];
    out_mean(c) = 0.9f * mean(c) + 0.1f;
    out_o(c) = other(c) * 3.f;
    const stage_list stages{{db, stage_kind::batch_sum, r, 24},           {gb, stage_kind::batch_sum, r, 24},
                            {out_b, stage_kind::pointwise, RDom(), 24},   {out_g, stage_kind::pointwise, RDom(), 24},
                            {out_beta, stage_kind::pointwise, RDom(), 24}, {out_mean, stage_kind::pointwise, RDom(), 24},
                            {out_o, stage_kind::pointwise, RDom(), 8}};
    schedule_cuda(stages);
    Halide::Pipeline p({out_b, out_g, out_beta, out_mean, out_o});
    CHECK(kernels_in(p, {dy, x, mean, other}, "shared") == 6);
}

TEST_CASE("gpu schedule: batch norm's taped statistics are one kernel, their sums' last level in it", "[codegen][gpu]") {
    // A segment's train_forward (ops/batch_norm.hpp): per channel, the sums of x and x^2 over
    // 32x32 positions and the samples (a Tuple), the table t(c, k) of mean and variance on
    // the tape, and y reading them back from it. The sums' two levels of partial sums (the
    // batch is unknown), the table with the last level in its threads, and y: 4 kernels.
    // As a table of one thread per value (pointwise), the last level was a kernel of its own:
    // 5. (What they compute is checked against the CPU by tests/gpu: the three-piece
    // segment_split network on OpenCL, ResNet-50's with KILN_OPENCL_ALL.)
    auto kernels = [](stage_kind table_kind) {
        Halide::ImageParam x(Halide::Float(32), 4, "x");
        Var c("c"), k("k"), i("x"), j("y"), n("n");
        RDom r(0, 32, 0, 32, 0, x.dim(3).extent(), "r");
        Func sums("sums"), table("table"), y("y");
        sums(c) = Halide::Tuple(0.f, 0.f);
        const Expr v = x(c, r.x, r.y, r.z);
        sums(c) = Halide::Tuple(sums(c)[0] + v, sums(c)[1] + v * v);
        const Expr m = 1024.f * Halide::cast<float>(x.dim(3).extent()), mean = sums(c)[0] / m;
        table(c, k) = Halide::select(k == 0, mean, sums(c)[1] / m - mean * mean);
        y(c, i, j, n) = (x(c, i, j, n) - table(c, 0)) / Halide::sqrt(table(c, 1) + 1e-3f);
        table.output_buffer().dim(1).set_bounds(0, 2);
        stage t{table, table_kind, RDom(), 16};
        t.partial = sums;
        schedule_cuda({{sums, stage_kind::batch_sum, r, 16}, t, {y, stage_kind::pointwise, RDom(), 16}});
        return kernels_in(Halide::Pipeline({table, y}), {x}, table_kind == stage_kind::stat_table ? "table" : "pointwise");
    };
    CHECK(kernels(stage_kind::stat_table) == 4);
    CHECK(kernels(stage_kind::pointwise) == 5);
}

TEST_CASE("gpu schedule: a convolution's d_in is written through the derivative of the activation before it",
          "[codegen][gpu]") {
    // conv -> relu -> conv: the second convolution's d_in is the relu's dy, which only the
    // relu's d_in reads (point for point, with the relu's output): lower() makes the d_in
    // the convolution's consumer (mark_backward_fusion), and its tiles go through
    // dx = dy * (y > 0) on their way out. The training step's CUDA build then has one kernel
    // fewer than the same stages without that fusion. (What it computes: the op harness's
    // conv, pooling and depthwise cases against finite differences on the CPU, and every
    // network's OpenCL case against the CPU.)
    using Net = kiln::network<std::remove_cvref_t<decltype(kiln::input(kiln::image<8, 8, 4>) >>
                                                           kiln::conv2d<8, 3, 3, 1, kiln::padding::same> >> kiln::relu >>
                                                           kiln::conv2d<8, 3, 3, 1, kiln::padding::same> >>
                                                           kiln::flatten >> kiln::dense<2> >> kiln::loss::mse)>>;
    auto kernels = [](bool fused) {
        Halide::ImageParam x(Halide::Float(32), 2, "x"), labels(Halide::Float(32), 2, "labels");
        x.dim(0).set_bounds(0, 8 * 8 * 4);
        std::vector<Func> params;
        std::vector<Halide::Argument> args{x, labels};
        for (std::size_t k = 0; k < Net::params.size(); ++k) {
            const kiln::param_entry& e = Net::params[k];
            Halide::ImageParam p(Halide::Float(32), e.spec.rank, "p" + std::to_string(k));
            for (int d = 0; d < e.spec.rank; ++d) p.dim(d).set_bounds(0, e.spec.dims[static_cast<std::size_t>(d)]);
            params.push_back(p);
            args.push_back(p);
        }
        const training_inputs train{Expr(0.f), Expr(1.f), Expr(uint32_t{1}), Expr(uint32_t{1})};
        lowered l = lower<Net>(Halide::Float(32), {x}, params, x.dim(1).extent(), labels, &train);
        // (Halide names the second lowering's Funcs "conv2d2_d_in$1", ...)
        auto named = [](const Func& f, const std::string& name) { return f.name().substr(0, f.name().find('$')) == name; };
        int marked = 0;
        for (stage& s : l.stages)
            if (named(s.f, "conv2d2_d_in") && s.consumer.defined() && named(s.consumer, "relu1_d_in")) {
                ++marked;
                if (!fused) s.consumer = Func();
            }
        CHECK(marked == 1);
        std::vector<Func> outs{l.cost};
        for (std::size_t k = 0; k < l.d_params.size(); ++k) {
            Func d("d_out" + std::to_string(k));
            const std::vector<Var> v = l.d_params[k].args();
            d(v) = l.d_params[k](v);
            l.stages.push_back({d, stage_kind::pointwise, RDom(), Net::params[k].spec.dims[0], 0});
            outs.push_back(d);
        }
        schedule_cuda(l.stages);
        return kernels_in(Halide::Pipeline(outs), args, fused ? "fused" : "apart");
    };
    CHECK(kernels(true) == kernels(false) - 1);
}

TEST_CASE("gpu schedule: a whole-tensor sum is summed in levels of at most 64 terms a thread", "[codegen][gpu]") {
    // 3x3x512x512 = 2,359,296 squares: 65,536 partial sums (36 terms each), 1,024, 16, then
    // the one thread adding those 16, and the copy: 5 kernels.
    Halide::ImageParam W(Halide::Float(32), 4, "W");
    RDom r(0, 512, 0, 512, 0, 3, 0, 3, "r");
    Func sq("sq"), out("out");
    sq() = 0.f;
    sq() += W(r.x, r.y, r.z, r.w) * W(r.x, r.y, r.z, r.w);
    out() = sq();
    schedule_cuda({{sq, stage_kind::scalar_sum, r, 1}, {out, stage_kind::pointwise, RDom(), 1}});
    CHECK(kernels_in(Halide::Pipeline(out), {W}, "levels") == 5);
}

TEST_CASE("gpu schedule: a channel's sum over large images is summed in levels, over small ones by sample",
          "[codegen][gpu]") {
    // d(c) = sum over (x, y, n) of dy(c, x, y, n), read by its output copy. 32x32 positions:
    // 1,024 partial sums per channel (about N terms each), then 16, then the copy's thread
    // adds those 16: 3 kernels. 8x8: a partial sum per (channel, sample), then the copy's
    // thread adds the samples: 2 kernels.
    for (const int side : {32, 8}) {
        Halide::ImageParam dy(Halide::Float(32), 4, "dy");
        Var c("c");
        RDom r(0, side, 0, side, 0, dy.dim(3).extent(), "r");
        Func d("d"), out("out");
        d(c) = 0.f;
        d(c) += dy(c, r.x, r.y, r.z);
        out(c) = d(c);
        schedule_cuda({{d, stage_kind::batch_sum, r, 16}, {out, stage_kind::pointwise, RDom(), 16}});
        CHECK(kernels_in(Halide::Pipeline(out), {dy}, "channel_sum_" + std::to_string(side)) == (side == 32 ? 3 : 2));
    }
}

TEST_CASE("gpu schedule: a dense layer is one kernel, its activation included when that is its one reader",
          "[codegen][gpu]") {
    // y(o, n) = b(o) + sum_f W(f, o) x(f, n), then relu: the block's tile of y is set to the
    // bias, summed and written through the activation by the same kernel. (y at root was a
    // kernel for the bias, one for the sum and one for the relu.)
    Halide::ImageParam x(Halide::Float(32), 2, "x"), W(Halide::Float(32), 2, "W"), b(Halide::Float(32), 1, "b");
    Var o("o"), n("n"), f("f");
    Func input("input"), y("y"), act("act");
    input(f, n) = x(f, Halide::clamp(n, 0, x.dim(1).extent() - 1));  // as lower() clamps inputs
    RDom r(0, 64, "r");
    y(o, n) = b(o);
    y(o, n) += W(r, o) * input(r, n);
    act(o, n) = Halide::max(y(o, n), 0.f);
    stage dense{y, stage_kind::matmul, r, 32, 64};
    dense.kernel = W;
    dense.input = input;
    SECTION("with its activation") {
        dense.consumer = act;
        schedule_cuda({dense, {act, stage_kind::pointwise, RDom(), 32}});
        CHECK(kernels_in(Halide::Pipeline(act), {x, W, b}, "dense_relu") == 1);
    }
    SECTION("on its own: a kernel for y, one for the activation") {
        schedule_cuda({dense, {act, stage_kind::pointwise, RDom(), 32}});
        CHECK(kernels_in(Halide::Pipeline(act), {x, W, b}, "dense") == 2);
    }
    SECTION("read by a second dense layer that stages chunks of it: y at root, two kernels") {
        // (y's tile in a copy's kernel could not be compiled: the second layer's staged
        // chunks read y too, from their own kernel)
        Halide::ImageParam W2(Halide::Float(32), 2, "W2");
        RDom r2(0, 32, "r2");
        Func y2("y2"), out("out");
        y2(o, n) = b(o);
        y2(o, n) += W2(r2, o) * y(r2, n);
        out(o, n) = y2(o, n);
        stage second{y2, stage_kind::matmul, r2, 32, 32};
        second.kernel = W2;
        second.input = y;
        schedule_cuda({dense, second, {out, stage_kind::pointwise, RDom(), 32}});
        // y's two, y2's tile in its copy, the output copy
        CHECK(kernels_in(Halide::Pipeline(out), {x, W, b, W2}, "dense_dense") == 4);
    }
}

TEST_CASE("gpu schedule: a convolution sums a tile of outputs a lane in registers, its input staged in shared memory",
          "[codegen][gpu]") {
    // A 3x3 convolution, 16 -> 32 channels on 8x8, padded, then relu: one kernel, a warp per
    // block (a lane per output channel) and a 4x4 tile of outputs a lane. Each step of the
    // reduction (a pair of input channels, unrolled) is 2 x 9 taps x 16 outputs = 288 FMAs,
    // which read the 2 x 6 x 6 inputs of the slice under the tile from shared memory (a
    // load each: a value read by several taps is loaded once) and add into registers: no
    // store to shared memory there, no barrier, no per-thread memory. (The form before: a
    // thread per output, its sum in shared memory, two shared loads and a store per FMA.)
    Halide::ImageParam x(Halide::Float(32), 4, "x"), W(Halide::Float(32), 4, "W");
    Var c("c"), i("x"), j("y"), n("n"), o("o");
    Func xp("xp"), acc("acc"), y("y"), act("act");
    xp(c, i, j, n) = Halide::select(i >= 0 && i < 8 && j >= 0 && j < 8,
                                    x(c, Halide::clamp(i, 0, 7), Halide::clamp(j, 0, 7), n), 0.f);
    RDom r(0, 16, 0, 3, 0, 3, "r");
    acc(o, i, j, n) = 0.f;
    acc(o, i, j, n) += W(o, r.x, r.y, r.z) * xp(r.x, i + r.y - 1, j + r.z - 1, n);
    y(o, i, j, n) = acc(o, i, j, n);
    act(o, i, j, n) = Halide::max(y(o, i, j, n), 0.f);
    stage conv{y, stage_kind::conv, r, 32, 16 * 9};
    conv.partial = acc;
    conv.input = xp;
    conv.kernel = W;
    conv.width = conv.height = 8;
    conv.consumer = act;
    schedule_cuda({conv, {act, stage_kind::pointwise, RDom(), 32}});
    const std::string s = lowered_cuda(Halide::Pipeline(act), {x, W}, "conv");
    CHECK(occurrences(s, "halide_cuda_run(") == 1);
    CHECK(occurrences(s, "fma.rn.f32") == 2 * 9 * 16);
    // the values loaded from shared memory (adjacent channels come in pairs: ld.shared.v2)
    const int loaded = occurrences(s, "ld.shared.f32") + 2 * occurrences(s, "ld.shared.v2.f32") +
                       4 * occurrences(s, "ld.shared.v4.f32");
    CHECK(loaded == 2 * 6 * 6);
    CHECK(occurrences(s, "bar.sync") == 0);
    CHECK(occurrences(s, ".local") == 0);
    // K's 2 x 9 values of the step from global memory, and the staging: 16 channels x 6
    // columns loaded 32 at a time (3 loads a lane) for each of 6 rows, stored as loaded
    CHECK(occurrences(s, "ld.global") == 2 * 9 + 3 * 6);
    CHECK(occurrences(s, "st.shared") == 3 * 6);
}

TEST_CASE("gpu schedule: a 1x1 convolution gives each lane several output channels and four input channels a step",
          "[codegen][gpu]") {
    // A 1x1 convolution shares no input between taps, so the lane's tile has rows instead:
    // 16 -> 128 channels on 8x8, a lane per output channel of 32 and 4 rows of them (the
    // lane's channels 32 apart) x a 4x4 tile of positions, 4 input channels a step. Each
    // step is 4 x 4 x 16 = 256 FMAs from the 4 x 16 inputs under the tile (16 ld.shared.v4)
    // and 4 x 4 values of K. (One row and a pair of channels, as a 3x3, would be 2 FMAs a
    // shared load: a 7x7 tile of one row, one.)
    Halide::ImageParam x(Halide::Float(32), 4, "x"), W(Halide::Float(32), 4, "W");
    Var c("c"), i("x"), j("y"), n("n"), o("o");
    Func in("in"), acc("acc"), y("y");
    in(c, i, j, n) = x(c, i, j, n);
    RDom r(0, 16, 0, 1, 0, 1, "r");
    acc(o, i, j, n) = 0.f;
    acc(o, i, j, n) += W(o, r.x, r.y, r.z) * in(r.x, i + r.y, j + r.z, n);
    y(o, i, j, n) = acc(o, i, j, n);
    stage conv{y, stage_kind::conv, r, 128, 16};
    conv.partial = acc;
    conv.input = in;
    conv.kernel = W;
    conv.width = conv.height = 8;
    const gpu_detail::conv_tile t = gpu_detail::conv_tile_for(conv);
    CHECK((t.TO == 32 && t.R == 4 && t.TX == 4 && t.TY == 4 && t.CK == 16 && t.step == 4));
    schedule_cuda({conv});
    const std::string s = lowered_cuda(Halide::Pipeline(y), {x, W}, "conv1x1");
    CHECK(occurrences(s, "halide_cuda_run(") == 1);
    CHECK(occurrences(s, "fma.rn.f32") == 4 * 16 * 4);
    CHECK(occurrences(s, "ld.shared.v4.f32") == 16);
    CHECK(occurrences(s, "ld.shared.f32") + occurrences(s, "ld.shared.v2.f32") == 0);
    CHECK(occurrences(s, "bar.sync") == 0);
    CHECK(occurrences(s, ".local") == 0);
    // K's 4 rows x 4 channels, and the staging: 16 channels x 4 columns loaded 32 at a
    // time (2 loads a lane) for each of 4 rows, stored as loaded
    CHECK(occurrences(s, "ld.global") == 4 * 4 + 2 * 4);
    CHECK(occurrences(s, "st.shared") == 2 * 4);
}

TEST_CASE("gpu schedule: a convolution's weight gradient sums a tile of weights a lane in registers, samples in groups",
          "[codegen][gpu]") {
    // dW(o, c, kx, ky) of a 3x3 convolution, 16 -> 128 channels on 8x8, padded: the partial
    // sums per group of samples are a warp per block, a lane per output channel and 4 rows of them
    // (32 apart) x 1 input channel x 9 taps: 36 FMAs a position, from 4 loads of dy and
    // the 9 inputs under the taps, over the positions of 4 samples (256). The output
    // copy's kernel adds the groups. (The form before: a thread per weight and sample, an
    // FMA from 2 loads.)
    Halide::ImageParam x(Halide::Float(32), 4, "x"), dy(Halide::Float(32), 4, "dy");
    Var c("c"), i("x"), j("y"), n("n"), o("o"), kx("kx"), ky("ky");
    Func xp("xp"), dW("dW"), out("out");
    xp(c, i, j, n) = Halide::select(i >= 0 && i < 8 && j >= 0 && j < 8,
                                    x(c, Halide::clamp(i, 0, 7), Halide::clamp(j, 0, 7), n), 0.f);
    RDom r(0, 8, 0, 8, 0, dy.dim(3).extent(), "r");
    dW(o, c, kx, ky) = 0.f;
    dW(o, c, kx, ky) += dy(o, r.x, r.y, r.z) * xp(c, r.x + kx - 1, r.y + ky - 1, r.z);
    stage dw{dW, stage_kind::conv_dw, r, 128, 16};
    dw.input = xp;
    dw.width = dw.height = 8;
    dw.kernel_width = dw.kernel_height = 3;
    out(o, c, kx, ky) = dW(o, c, kx, ky);
    schedule_cuda({dw, {out, stage_kind::pointwise, RDom(), 128}});
    const std::string s = lowered_cuda(Halide::Pipeline(out), {x, dy}, "conv_dw");
    CHECK(occurrences(s, "halide_cuda_run(") == 2);
    const std::string k = kernel_ptx(s, "dW_intm");  // the partial sums' kernel
    REQUIRE(!k.empty());
    CHECK(occurrences(k, "fma.rn.f32") == 4 * 9);
    CHECK(occurrences(k, "ld.global") == 4 + 9);
    CHECK(occurrences(k, "st.global") == 4 * 9);  // the tile, once
    CHECK(occurrences(s, "fma.rn.f32") == 4 * 9);
    CHECK(occurrences(s, "bar.sync") == 0);
    CHECK(occurrences(s, ".local") == 0);
    CHECK(occurrences(s, "ld.shared") + occurrences(s, "st.shared") == 0);
}
