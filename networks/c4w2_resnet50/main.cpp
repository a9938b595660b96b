// kiln-resnet50: C4W2A1's ResNet-50 (net.hpp), trained from scratch with Adam on the SIGNS
// stand-in: OpenCV's real handwritten digits 0-5 at 64x64x3 (networks/common/signs_digits.hpp).
// The course trains 20 epochs of batch 32 and then loads its own pretrained weights (~95%
// test accuracy); kiln has no such weights here, so it trains from scratch, for fewer epochs
// by default: a 2-core CPU runs an epoch in about two minutes.
//   kiln-resnet50 info      layers, shapes, the parameter count (23,600,006 as Keras prints)
//   kiln-resnet50 [train]   --epochs, --batch-size, --learning-rate ... as every kiln binary
#include "net.hpp"
#include "networks/common/signs_digits.hpp"
#include "resnet50_kernels.hpp"
#include "runtime/cli.hpp"

int main(int argc, char** argv) {
    using net = kiln::network_of<kiln::networks::resnet50>;
    kiln::app_spec spec;
    spec.name = "resnet50";
    spec.summary = "C4W2 ResNet-50: conv 7x7x64, maxpool, 16 residual blocks [64..2048], avgpool, dense 6 softmax";
    // The course: model.compile(optimizer='adam') (Keras' learning rate 0.001), batch 32.
    spec.fit.learning_rate = 0.001f;
    spec.fit.iterations = 0;
    spec.fit.epochs = 2;
    spec.fit.batch_size = 32;
    spec.fit.print_every = 25;
    spec.fit.optimizer = "adam";
    spec.init = kiln::init_scheme::xavier;  // Keras' glorot_uniform
    spec.load = kiln::networks::signs_digits_data;
    // Keras' batch-norm momentum 0.99 leaves a fifth of the initial running averages after
    // two epochs' 150 steps: inference then sees statistics no batch had. Recompute them
    // for the trained weights over 20 batches (no weight changes) before evaluating.
    spec.recalibrate_batch_norm = 20;
    return kiln::run_app<net>(argc, argv, kiln::generated::resnet50::kernels, spec);
}
