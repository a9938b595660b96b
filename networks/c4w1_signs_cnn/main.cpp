// kiln-signs-cnn: C4W1's convolutional SIGNS classifier, trained with Adam on mini-batches,
// on the digits 0-5 stand-in (64x64x3).
#include "net.hpp"
#include "networks/common/course_images.hpp"
#include "networks/common/signs_digits.hpp"
#include "runtime/cli.hpp"
#include "signs_cnn_kernels.hpp"

int main(int argc, char** argv) {
    using net = kiln::network_of<kiln::networks::signs_cnn>;
    kiln::app_spec spec;
    spec.name = "signs-cnn";
    spec.summary = "C4W1 SIGNS CNN: conv 4x4x8, maxpool 8, conv 2x2x16, maxpool 4, dense 6 softmax";
    // The course (Keras): Adam, learning rate 0.009 in the numpy version / Keras default
    // 0.001 here, mini-batches of 64.
    spec.fit.learning_rate = 0.001f;
    spec.fit.iterations = 0;
    spec.fit.epochs = 10;
    spec.fit.batch_size = 64;
    spec.fit.print_every = 100;
    spec.fit.optimizer = "adam";
    spec.init = kiln::init_scheme::xavier;
    spec.load = kiln::networks::signs_digits_data;
    spec.sample_of = kiln::networks::course_image_sample;
    return kiln::run_app<net>(argc, argv, kiln::generated::signs_cnn::kernels, spec);
}
