// Shape inference and the parameter table, checked at compile time (STATIC_REQUIRE) against
// shapes and counts worked out by hand from each layer's contract.
#include <catch2/catch.hpp>

#include <string_view>
#include <type_traits>

#include "dsl/kiln.hpp"

using namespace kiln;

namespace {

constexpr auto planar = input(features<2>) >> dense<4> >> tanh_ >> dense<1> >> loss::sigmoid_cross_entropy;
using planar_net = network_of<planar>;

// A residual block (ResNet's shape) whose input feeds both branches.
constexpr auto block = dense<8> >> relu >> dense<8>;
constexpr auto residual_graph =
    input(features<8>) >> residual(block, identity) >> relu >> dense<3> >> loss::softmax_cross_entropy;
using residual_net = network_of<residual_graph>;

// Two inputs joined by a concat (U-Net skip / multi-input shape).
constexpr auto two_inputs =
    concat(input(features<3>) >> dense<4>, input<1>(image<4, 4, 2>) >> flatten >> dense<5>) >> dense<1> >>
    loss::mse;
using two_input_net = network_of<two_inputs>;

// Two identical layers applied in parallel to the same node must stay two nodes.
constexpr auto twins = input(features<6>) >> concat(dense<3>, dense<3>) >> loss::softmax_cross_entropy;
using twins_net = network_of<twins>;

constexpr bool name_is(const fixed_string<47>& s, std::string_view v) { return s.view() == v; }
constexpr bool name_is(const fixed_string<63>& s, std::string_view v) { return s.view() == v; }

}  // namespace

TEST_CASE("shapes describe themselves in kiln's notation", "[dsl][shape]") {
    STATIC_REQUIRE(describe(make_image(64, 32, 3)).view() == "image(C=3, W=32, H=64)");
    STATIC_REQUIRE(describe(make_features(12288)).view() == "features(F=12288)");
    STATIC_REQUIRE(describe(make_sequence(27, 40)).view() == "sequence(F=27, T=40)");
    STATIC_REQUIRE(make_image(64, 64, 3).size() == 12288);
    STATIC_REQUIRE(flatten_t::infer(make_image(64, 64, 3)).out == make_features(12288));
}

TEST_CASE("a chain infers every node's shape and lays out its parameters", "[dsl][shape]") {
    STATIC_REQUIRE(planar_net::node_count == 5);
    STATIC_REQUIRE(planar_net::node_table[1].out == make_features(4));
    STATIC_REQUIRE(planar_net::output_shape == make_features(1));
    STATIC_REQUIRE(planar_net::has_loss);
    STATIC_REQUIRE(planar_net::loss == loss_kind::sigmoid_cross_entropy);
    // 2 -> 4: W 2x4 + b 4; 4 -> 1: W 4x1 + b 1.
    STATIC_REQUIRE(planar_net::param_size == 8 + 4 + 4 + 1);
    STATIC_REQUIRE(planar_net::params.size() == 4);
    STATIC_REQUIRE(name_is(planar_net::params[0].name, "dense1.W"));
    STATIC_REQUIRE(name_is(planar_net::params[3].name, "dense2.b"));
    STATIC_REQUIRE(planar_net::params[2].offset == 12);
    STATIC_REQUIRE(planar_net::params[0].spec.dims[0] == 2);  // W is (F, Out), F innermost
    STATIC_REQUIRE(planar_net::params[0].spec.dims[1] == 4);
    STATIC_REQUIRE(planar_net::params[0].spec.fan_in == 2);
    STATIC_REQUIRE(name_is(planar_net::node_table[2].name, "tanh1"));
}

TEST_CASE("a residual graph computes its shared input once and joins both branches", "[dsl][graph]") {
    // input1, dense1, relu1, dense2, add1, relu2, dense3, loss1
    STATIC_REQUIRE(residual_net::node_count == 8);
    constexpr node_info add = residual_net::node_table[4];
    STATIC_REQUIRE(add.what == node_info::role::merge);
    STATIC_REQUIRE(add.from[0] == 3);  // the main branch's last dense
    STATIC_REQUIRE(add.from[1] == 0);  // the identity shortcut: the input itself
    STATIC_REQUIRE(add.out == make_features(8));
    STATIC_REQUIRE(residual_net::param_size == (8 * 8 + 8) * 2 + 8 * 3 + 3);
}

TEST_CASE("several inputs meet in a concat", "[dsl][graph]") {
    STATIC_REQUIRE(two_input_net::input_count == 2);
    STATIC_REQUIRE(two_input_net::input_shapes[0] == make_features(3));
    STATIC_REQUIRE(two_input_net::input_shapes[1] == make_image(4, 4, 2));
    constexpr int concat_index = two_input_net::node_count - 3;
    STATIC_REQUIRE(two_input_net::node_table[concat_index].what == node_info::role::merge);
    STATIC_REQUIRE(two_input_net::node_table[concat_index].out == make_features(9));
    STATIC_REQUIRE(two_input_net::param_size == (3 * 4 + 4) + (32 * 5 + 5) + (9 + 1));
}

TEST_CASE("identical parallel branches stay distinct nodes with their own weights", "[dsl][graph]") {
    STATIC_REQUIRE(twins_net::node_count == 5);  // input, dense1, dense2, concat1, loss1
    STATIC_REQUIRE(twins_net::params.size() == 4);
    STATIC_REQUIRE(name_is(twins_net::params[2].name, "dense2.W"));
    STATIC_REQUIRE(twins_net::output_shape == make_features(6));
}

TEST_CASE("shape rules reject with the sentence the compiler will print", "[dsl][shape]") {
    STATIC_REQUIRE(!dense_t<10>::infer(make_image(64, 64, 3)).ok);
    STATIC_REQUIRE(dense_t<10>::infer(make_image(64, 64, 3)).message.view() ==
                   "dense<10>: expects features (rank 1), got image(C=3, W=64, H=64); add flatten first");
    STATIC_REQUIRE(merge_rule(merge_op::add, make_features(4), make_features(8)).message.view() ==
                   "add: both branches must have the same shape, got features(F=4) and features(F=8)");
    STATIC_REQUIRE(!loss_t<loss_kind::softmax_cross_entropy>::infer(make_features(1)).ok);
}

TEST_CASE("batch norm keeps its running averages in the table, untrained", "[dsl][course2]") {
    static constexpr auto net = input(features<3>) >> dense<5> >> batch_norm >> relu >> dropout >> dense<1> >>
                         loss::sigmoid_cross_entropy;
    using bn_net = network_of<net>;
    STATIC_REQUIRE(bn_net::params.size() == 2 + 4 + 2);
    STATIC_REQUIRE(name_is(bn_net::params[2].name, "batch_norm1.gamma"));
    STATIC_REQUIRE(bn_net::params[2].spec.init == param_init::ones);
    STATIC_REQUIRE(bn_net::params[3].spec.trainable);
    STATIC_REQUIRE(name_is(bn_net::params[4].name, "batch_norm1.running_mean"));
    STATIC_REQUIRE(!bn_net::params[4].spec.trainable);
    STATIC_REQUIRE(!bn_net::params[5].spec.trainable);
    STATIC_REQUIRE(bn_net::params[5].spec.init == param_init::ones);  // running_var starts at 1
    STATIC_REQUIRE(bn_net::node_table[4].out == make_features(5));    // dropout keeps the shape
    // per channel on images
    STATIC_REQUIRE(batch_norm_t<>::params(make_image(8, 8, 16))[0].dims[0] == 16);
}

TEST_CASE("conv2d's output shape follows valid and same padding", "[dsl][conv]") {
    // C4W1's signs CNN: 64x64x3 -> conv 4x4x8 same -> 64x64x8
    STATIC_REQUIRE(conv2d_t<8, 4, 4, 1, padding::same>::infer(make_image(64, 64, 3)).out == make_image(64, 64, 8));
    // valid, stride 2: (7 - 3) / 2 + 1 = 3 and (6 - 2) / 2 + 1 = 3
    STATIC_REQUIRE(conv2d_t<5, 3, 2, 2>::infer(make_image(7, 6, 2)).out == make_image(3, 3, 5));
    // same, stride 2 on 7: ceil(7 / 2) = 4; total padding (4 - 1) 2 + 3 - 7 = 2 -> 1 before
    STATIC_REQUIRE(conv2d_t<2, 3, 3, 2, padding::same>::infer(make_image(7, 7, 1)).out == make_image(4, 4, 2));
    STATIC_REQUIRE(conv2d_t<2, 3, 3, 2, padding::same>::pad_before(7, 3) == 1);
    // ResNet-50's 7x7/2 stem after ZeroPad 3 on 64x64: (70 - 7) / 2 + 1 = 32
    STATIC_REQUIRE(conv2d_t<64, 7, 7, 2>::infer(make_image(70, 70, 3)).out == make_image(32, 32, 64));
    // W is (F, C, KW, KH): Keras' [KH, KW, C, F]
    STATIC_REQUIRE(conv2d_t<8, 4, 2>::params(make_image(9, 9, 3))[0].dims == std::array<int, 4>{8, 3, 2, 4});
    STATIC_REQUIRE(conv2d_t<8, 4, 2>::params(make_image(9, 9, 3))[0].fan_in == 3 * 4 * 2);
}

TEST_CASE("zero_pad2d pads every side, height and width, or each side apart", "[dsl][conv]") {
    // C4W1's zero_pad: (3, 3) padded by 3 -> (9, 9); make_image is (H, W, C)
    STATIC_REQUIRE(std::is_same_v<std::remove_cvref_t<decltype(zero_pad2d<3>)>, zero_pad2d_t<3, 3, 3, 3>>);
    STATIC_REQUIRE(decltype(zero_pad2d<3>)::infer(make_image(3, 3, 2)).out == make_image(9, 9, 2));
    // Keras' ZeroPadding2D((1, 0)): 1 row above and below, no column
    STATIC_REQUIRE(std::is_same_v<std::remove_cvref_t<decltype(zero_pad2d<1, 0>)>, zero_pad2d_t<1, 1, 0, 0>>);
    STATIC_REQUIRE(decltype(zero_pad2d<1, 0>)::infer(make_image(7, 5, 1)).out == make_image(9, 5, 1));
    // ZeroPadding2D(((3, 4), (1, 2))) as PyTorch's ZeroPad2d((1, 2, 3, 4)): 4 x 4 -> 11 x 7
    STATIC_REQUIRE(decltype(zero_pad2d<3, 4, 1, 2>)::infer(make_image(4, 4, 3)).out == make_image(11, 7, 3));
    STATIC_REQUIRE(zero_pad2d_t<2>::name().view() == "zero_pad2d<2>");
    STATIC_REQUIRE(zero_pad2d_t<3, 4, 1, 2>::name().view() == "zero_pad2d<3, 4, 1, 2>");
    STATIC_REQUIRE(!zero_pad2d_t<1>::infer(make_features(4)).ok);
}
