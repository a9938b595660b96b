#pragma once
// One binary, two compiled networks: a model that trains on the digits 0-5 (the SIGNS
// stand-in, 64x64x3, the default) or on Fashion-MNIST (--dataset fashion-mnist, 28x28x1, 10
// classes), whose input shapes differ. Each spec arrives with its settings; its data are
// filled in here, and --dataset is taken off the command line before run_app sees it.
#include "networks/common/course_images.hpp"
#include "networks/common/fashion_mnist.hpp"
#include "networks/common/signs_digits.hpp"
#include "runtime/cli.hpp"

namespace kiln::networks {

template <class DigitsNet, class FashionNet>
int run_digits_or_fashion(int argc, char** argv, const kernel_set& digits_kernels, app_spec digits,
                          const kernel_set& fashion_kernels, app_spec fashion) {
    dataset_flag dataset = take_dataset_flag(argc, argv, "digits");
    if (dataset.name == "fashion-mnist") {
        fashion.load = fashion_mnist_data;
        fashion.sample_of = fashion_mnist_sample;
        return run_app<FashionNet>(dataset.argc(), dataset.argv(), fashion_kernels, fashion);
    }
    if (dataset.name != "digits") return unknown_dataset(dataset.name, "digits or fashion-mnist");
    digits.load = signs_digits_data;
    digits.sample_of = course_image_sample;
    return run_app<DigitsNet>(dataset.argc(), dataset.argv(), digits_kernels, digits);
}

}  // namespace kiln::networks
