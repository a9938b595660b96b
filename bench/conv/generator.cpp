/*  One Halide generator per convolution layer of bench/conv/cases.hpp, through the same
    lowering and schedules as the networks (codegen/ops/conv2d.hpp, codegen/schedule/):
      stage=forward   (x, W, b) -> y = relu(conv(x) + b), the activation fused as in a network
      stage=backward  (x, W, dy) -> d_W, d_b and, where the case asks for it, d_x
    Layouts: x (C, W, H, N), W (F, C, K, K), dy and y (F, W', H', N); same padding.        */
#include <Halide.h>

#include "bench/conv/cases.hpp"
#include "codegen/ops/conv2d.hpp"
#include "codegen/schedule/policy.hpp"

namespace kiln::bench {

using namespace kiln::codegen;

template <int H, int W, int C, int F, int K, int S, bool DIn>
class conv_layer_generator : public Halide::Generator<conv_layer_generator<H, W, C, F, K, S, DIn>> {
  public:
    using layer = conv2d_t<F, K, K, S, padding::same>;
    static constexpr int Wo = layer::out_extent(W, K), Ho = layer::out_extent(H, K);
    template <class T> using Input = Halide::GeneratorInput<T>;
    template <class T> using Output = Halide::GeneratorOutput<T>;

    Halide::GeneratorParam<std::string> stage{"stage", "forward"};
    Halide::GeneratorParam<int> batch_estimate{"batch_estimate", 8};

    Input<Halide::Buffer<float>> x{"x", 4}, weights{"W", 4};
    Input<Halide::Buffer<float>>* bias = nullptr;
    Input<Halide::Buffer<float>>* dy = nullptr;
    Output<Halide::Buffer<float>>* y = nullptr;
    Output<Halide::Buffer<float>>*d_x = nullptr, *d_W = nullptr, *d_b = nullptr;

    void configure() {
        if (backward()) {
            dy = this->template add_input<Halide::Buffer<float>>("dy", 4);
            if (DIn) d_x = this->template add_output<Halide::Buffer<float>>("d_x", 4);
            d_W = this->template add_output<Halide::Buffer<float>>("d_W", 4);
            d_b = this->template add_output<Halide::Buffer<float>>("d_b", 1);
        } else if (std::string(stage) == "forward") {
            bias = this->template add_input<Halide::Buffer<float>>("b", 1);
            y = this->template add_output<Halide::Buffer<float>>("y", 4);
        } else {
            throw std::invalid_argument("conv_layer_generator: stage must be forward or backward");
        }
    }

    void generate() {
        const int n = batch_estimate;
        bound(x, {C, W, H}, n);
        bound(weights, {F, C, K, K}, -1);
        stage_list stages;
        std::map<std::string, Func> saved;
        const op_ctx c{"conv", Halide::Float(32), make_image(H, W, C), make_image(Ho, Wo, F),
                       x.dim(3).extent(), &stages, nullptr, 1, &saved};
        Var f("f"), i("x"), j("y"), s("n");
        if (!backward()) {
            bound(*bias, {F}, -1);
            Func conv = op<layer>::forward(c, x, {weights, *bias});
            Func relu("relu");
            relu(f, i, j, s) = Halide::max(conv(f, i, j, s), 0.f);
            stages.push_back({relu, stage_kind::pointwise, RDom(), F});
            for (codegen::stage& st : stages)
                if (st.f.name() == conv.name()) st.consumer = relu;
            (*y)(f, i, j, s) = relu(f, i, j, s);
            y->set_estimates({{0, F}, {0, Wo}, {0, Ho}, {0, n}});
            stages.push_back({*y, stage_kind::pointwise, RDom(), F});
        } else {
            bound(*dy, {F, Wo, Ho}, n);
            grads g = op<layer>::backward(c, x, Func(), *dy, {weights, Func()});
            (*d_W)(f, i, j, s) = g.d_params[0](f, i, j, s);
            d_W->set_estimates({{0, F}, {0, C}, {0, K}, {0, K}});
            (*d_b)(f) = g.d_params[1](f);
            d_b->set_estimates({{0, F}});
            stages.push_back({*d_W, stage_kind::pointwise, RDom(), F});
            stages.push_back({*d_b, stage_kind::pointwise, RDom(), F});
            if (DIn) {
                (*d_x)(f, i, j, s) = g.d_in(f, i, j, s);
                d_x->set_estimates({{0, C}, {0, W}, {0, H}, {0, n}});
                stages.push_back({*d_x, stage_kind::pointwise, RDom(), C});
            }
        }
        if (!this->get_auto_schedule()) schedule_manual(stages, this->get_target());
    }

  private:
    bool backward() const { return std::string(stage) == "backward"; }
    // Fixed extents for the given dims; the last one, when n >= 0, is the batch.
    static void bound(Input<Halide::Buffer<float>>& in, std::vector<int> extents, int n) {
        for (std::size_t d = 0; d < extents.size(); ++d)
            in.dim(static_cast<int>(d)).set_bounds(0, extents[d]).set_estimate(0, extents[d]);
        if (n >= 0) in.dim(static_cast<int>(extents.size())).set_min(0).set_estimate(0, n);
    }
};

#define KILN_REGISTER_CONV(name, H, W, C, F, K, S, DIn)                       \
    using name##_generator = conv_layer_generator<H, W, C, F, K, S, DIn>;     \
    }                                                                          \
    HALIDE_REGISTER_GENERATOR(kiln::bench::name##_generator, conv_##name)      \
    namespace kiln::bench {
KILN_CONV_CASES(KILN_REGISTER_CONV)

}  // namespace kiln::bench
