// kiln-signs-cnn: C4W1's convolutional SIGNS classifier, trained with Adam on mini-batches.
//   kiln-signs-cnn [train ...]                         digits 0-5 (the SIGNS stand-in), 64x64x3
//   kiln-signs-cnn --dataset fashion-mnist [train ...] Fashion-MNIST, 28x28x1, 10 classes
#include <string>

#include "fashion_cnn_kernels.hpp"
#include "net.hpp"
#include "networks/common/course_images.hpp"
#include "networks/common/fashion_mnist.hpp"
#include "networks/common/signs_digits.hpp"
#include "runtime/cli.hpp"
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
    // --dataset picks the compiled network (the input shapes differ); the rest is run_app's.
    kiln::networks::dataset_flag dataset = kiln::networks::take_dataset_flag(argc, argv, "digits");
    if (dataset.name == "fashion-mnist") {
        kiln::app_spec spec =
            common_spec("C4W1 SIGNS CNN on Fashion-MNIST: conv 4x4x8, maxpool 8, conv 2x2x16, maxpool 4, dense 10");
        // Fashion-MNIST is 25x the digits: 10 epochs, and a rate of 0.005 (between Keras'
        // 0.001 and the numpy version's 0.009), which gains 3 points over 0.001 here.
        spec.fit.learning_rate = 0.005f;
        spec.fit.epochs = 10;
        spec.fit.print_every = 2000;
        spec.load = kiln::networks::fashion_mnist_data;
        spec.sample_of = kiln::networks::fashion_mnist_sample;
        using net = kiln::network_of<kiln::networks::fashion_cnn>;
        return kiln::run_app<net>(dataset.argc(), dataset.argv(), kiln::generated::fashion_cnn::kernels, spec);
    }
    if (dataset.name != "digits") return kiln::networks::unknown_dataset(dataset.name, "digits or fashion-mnist");
    kiln::app_spec spec = common_spec("C4W1 SIGNS CNN: conv 4x4x8, maxpool 8, conv 2x2x16, maxpool 4, dense 6 softmax");
    spec.fit.epochs = 10;
    spec.fit.print_every = 100;
    spec.load = kiln::networks::signs_digits_data;
    spec.sample_of = kiln::networks::course_image_sample;
    using net = kiln::network_of<kiln::networks::signs_cnn>;
    return kiln::run_app<net>(dataset.argc(), dataset.argv(), kiln::generated::signs_cnn::kernels, spec);
}
