// kiln-signs-cnn: C4W1's convolutional SIGNS classifier, trained with Adam on mini-batches.
//   kiln-signs-cnn [train ...]                         digits 0-5 (the SIGNS stand-in), 64x64x3
//   kiln-signs-cnn --dataset fashion-mnist [train ...] Fashion-MNIST, 28x28x1, 10 classes
#include <string>

#include "fashion_cnn_kernels.hpp"
#include "net.hpp"
#include "networks/common/digits_or_fashion.hpp"
#include "signs_cnn_kernels.hpp"

namespace {

kiln::app_spec common_spec(const std::string& summary) {
    kiln::app_spec spec;
    spec.name = "signs-cnn";
    spec.summary = summary;
    // The course (Keras): Adam, learning rate 0.009 in the numpy version / Keras default
    // 0.001 here, mini-batches of 64.
    spec.fit.learning_rate = 0.001f;
    spec.fit.iterations = 0;
    spec.fit.batch_size = 64;
    spec.fit.optimizer = "adam";
    spec.init = kiln::init_scheme::xavier;
    return spec;
}

}  // namespace

int main(int argc, char** argv) {
    kiln::app_spec fashion =
        common_spec("C4W1 SIGNS CNN on Fashion-MNIST: conv 4x4x8, maxpool 8, conv 2x2x16, maxpool 4, dense 10");
    // Fashion-MNIST is 25x the digits: 10 epochs, and a rate of 0.005 (between Keras'
    // 0.001 and the numpy version's 0.009), which gains 3 points over 0.001 here.
    fashion.fit.learning_rate = 0.005f;
    fashion.fit.epochs = 10;
    fashion.fit.print_every = 2000;
    kiln::app_spec digits = common_spec("C4W1 SIGNS CNN: conv 4x4x8, maxpool 8, conv 2x2x16, maxpool 4, dense 6 softmax");
    digits.fit.epochs = 10;
    digits.fit.print_every = 100;
    return kiln::networks::run_digits_or_fashion<kiln::network_of<kiln::networks::signs_cnn>,
                                                 kiln::network_of<kiln::networks::fashion_cnn>>(
        argc, argv, kiln::generated::signs_cnn::kernels, digits, kiln::generated::fashion_cnn::kernels, fashion);
}
