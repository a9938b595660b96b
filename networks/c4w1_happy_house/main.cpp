// kiln-happy-house: C4W1's Happy House model (Keras' Sequential), trained with Adam on
// mini-batches of 16, as the course's model.fit(epochs=10, batch_size=16).
//   default       procedural smile / no-smile cartoon faces, 600 train / 150 test as the
//                 course's set (runtime/datasets/cartoon_faces.hpp; fixed data seed 1, so
//                 --seed changes the initialisation and the shuffles, not the images)
//   --data FILE   the course's train_happy.h5 (its test_happy.h5 beside it)
//   predict       any PNG/JPEG, resized to 64x64 RGB, scaled to [0, 1] as in training
#include "happy_house_kernels.hpp"
#include "net.hpp"
#include "networks/common/course_images.hpp"
#include "runtime/cli.hpp"
#include "runtime/datasets/cartoon_faces.hpp"

int main(int argc, char** argv) {
    using net = kiln::network_of<kiln::networks::happy_house>;
    kiln::app_spec spec;
    spec.name = "happy-house";
    spec.summary = "C4W1 Happy House: zero-pad 3, conv 7x7x32, batch norm, relu, maxpool 2, dense 1 sigmoid";
    // The course: model.compile('adam') (Keras' learning rate 0.001), 10 epochs, batch 16;
    // Keras' glorot-uniform kernels are closest to kiln's xavier.
    spec.fit.learning_rate = 0.001f;
    spec.fit.iterations = 0;
    spec.fit.epochs = 10;
    spec.fit.batch_size = 16;
    spec.fit.print_every = 50;
    spec.fit.optimizer = "adam";
    spec.init = kiln::init_scheme::xavier;
    spec.load = [](const std::optional<std::filesystem::path>& data, std::uint64_t seed) {
        if (data) return kiln::networks::course_h5_data(*data, seed);
        kiln::cartoon_faces_data faces = kiln::load_cartoon_faces();
        return std::pair{kiln::from_labelled_images(faces.train), kiln::from_labelled_images(faces.test)};
    };
    spec.sample_of = kiln::networks::course_image_sample;
    return kiln::run_app<net>(argc, argv, kiln::generated::happy_house::kernels, spec);
}
