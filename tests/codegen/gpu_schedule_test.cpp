// Where the GPU schedule (codegen/schedule/gpu.hpp) computes each Func, on small pipelines:
// who reads what (call_graph), and how many kernels a CUDA build launches, counted in the
// host code Halide lowers (no GPU needed: the PTX is only generated). What these schedules
// compute is checked against the CPU by tests/gpu (every network and op, OpenCL on pocl).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "codegen/schedule/gpu.hpp"

using namespace kiln::codegen;
using Halide::Func;
using Halide::RDom;
using Halide::Var;

namespace {

// The kernel launches in the host code of a CUDA build of the pipeline.
int kernels_in(Halide::Pipeline p, const std::vector<Halide::Argument>& args, const std::string& name) {
    const Halide::Target cuda = Halide::get_host_target()
                                    .with_feature(Halide::Target::CUDA)
                                    .with_feature(Halide::Target::CUDACapability80);
    const std::filesystem::path stmt = std::filesystem::temp_directory_path() / ("kiln_gpu_schedule_" + name + ".stmt");
    p.compile_to_lowered_stmt(stmt.string(), args, Halide::Text, cuda);
    std::ifstream in(stmt);
    std::stringstream text;
    text << in.rdbuf();
    std::filesystem::remove(stmt);
    const std::string s = text.str(), call = "halide_cuda_run(";
    int n = 0;
    for (std::size_t at = s.find(call); at != std::string::npos; at = s.find(call, at + 1)) ++n;
    return n;
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
    SECTION("read by a second stage too: the sum is a kernel of its own") {
        other(c) = d(c) * 2.f;
        stages.push_back({other, stage_kind::pointwise, RDom(), 16});
        schedule_cuda(stages);
        // partial sums, the sum, and the two copies (decayed still inlined in out)
        CHECK(kernels_in(Halide::Pipeline({out, other}), {dy, w}, "two_readers") == 4);
    }
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
