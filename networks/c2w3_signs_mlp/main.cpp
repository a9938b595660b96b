// kiln-signs-mlp: C2W3's 3-layer softmax classifier, trained with Adam on mini-batches.
//   kiln-signs-mlp [train ...]                         digits 0-5 (the SIGNS stand-in), 64x64x3
//   kiln-signs-mlp --dataset fashion-mnist [train ...] Fashion-MNIST, 28x28x1, 10 classes
#include <string>

#include "fashion_mlp_kernels.hpp"
#include "net.hpp"
#include "networks/common/digits_or_fashion.hpp"
#include "signs_mlp_kernels.hpp"

namespace {

kiln::app_spec common_spec(const std::string& summary) {
    kiln::app_spec spec;
    spec.name = "signs-mlp";
    spec.summary = summary;
    // The course: Adam, learning rate 0.0001, mini-batches of 32 (1500 epochs over 1080
    // images; kiln's stand-ins are larger, so fewer epochs reach the same place).
    spec.fit.learning_rate = 0.0001f;
    spec.fit.iterations = 0;
    spec.fit.batch_size = 32;
    spec.fit.optimizer = "adam";
    spec.init = kiln::init_scheme::xavier;
    return spec;
}

}  // namespace

int main(int argc, char** argv) {
    kiln::app_spec fashion = common_spec("C2W3 softmax MLP, 784 -> 25 -> 12 -> 10 on Fashion-MNIST");
    fashion.fit.epochs = 10;
    fashion.fit.print_every = 1000;
    kiln::app_spec digits = common_spec("C2W3 softmax MLP, 12288 -> 25 -> 12 -> 6 on digits 0-5 (SIGNS stand-in)");
    digits.fit.epochs = 40;
    digits.fit.print_every = 500;
    return kiln::networks::run_digits_or_fashion<kiln::network_of<kiln::networks::signs_mlp>,
                                                 kiln::network_of<kiln::networks::fashion_mlp>>(
        argc, argv, kiln::generated::signs_mlp::kernels, digits, kiln::generated::fashion_mlp::kernels, fashion);
}
