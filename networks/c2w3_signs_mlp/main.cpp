// kiln-signs-mlp: C2W3's 3-layer softmax classifier, trained with Adam on mini-batches.
//   kiln-signs-mlp [train ...]                         digits 0-5 (the SIGNS stand-in), 64x64x3
//   kiln-signs-mlp --dataset fashion-mnist [train ...] Fashion-MNIST, 28x28x1, 10 classes
#include <string>

#include "fashion_mlp_kernels.hpp"
#include "net.hpp"
#include "networks/common/course_images.hpp"
#include "networks/common/fashion_mnist.hpp"
#include "networks/common/signs_digits.hpp"
#include "runtime/cli.hpp"
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
    // --dataset picks the compiled network (the input shapes differ); the rest is run_app's.
    kiln::networks::dataset_flag dataset = kiln::networks::take_dataset_flag(argc, argv, "digits");
    if (dataset.name == "fashion-mnist") {
        kiln::app_spec spec = common_spec("C2W3 softmax MLP, 784 -> 25 -> 12 -> 10 on Fashion-MNIST");
        spec.fit.epochs = 10;
        spec.fit.print_every = 1000;
        spec.load = kiln::networks::fashion_mnist_data;
        spec.sample_of = kiln::networks::fashion_mnist_sample;
        using net = kiln::network_of<kiln::networks::fashion_mlp>;
        return kiln::run_app<net>(dataset.argc(), dataset.argv(), kiln::generated::fashion_mlp::kernels, spec);
    }
    if (dataset.name != "digits") return kiln::networks::unknown_dataset(dataset.name, "digits or fashion-mnist");
    kiln::app_spec spec = common_spec("C2W3 softmax MLP, 12288 -> 25 -> 12 -> 6 on digits 0-5 (SIGNS stand-in)");
    spec.fit.epochs = 40;
    spec.fit.print_every = 500;
    spec.load = kiln::networks::signs_digits_data;
    spec.sample_of = kiln::networks::course_image_sample;
    using net = kiln::network_of<kiln::networks::signs_mlp>;
    return kiln::run_app<net>(dataset.argc(), dataset.argv(), kiln::generated::signs_mlp::kernels, spec);
}
