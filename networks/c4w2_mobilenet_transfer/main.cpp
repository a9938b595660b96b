// kiln-mobilenet-transfer: C4W2A2 "Transfer Learning with MobileNetV2" (net.hpp).
//   kiln-mobilenet-transfer [train]   the course's two phases on real 160x160x3 images:
//       0. the base: Keras' MobileNetV2 trained weights (nsfwjs' model, converted in-process),
//          under a new head (global average pool, dropout 0.2, dense 1 logit)
//       1. the head alone (the base frozen: no gradient, no update), Adam 1e-3
//       2. layers 120 onwards unfrozen too (fine_tune_at = 120), Adam 1e-4
//       with the course's augmentation (random horizontal flip, random rotation 0.2) in the
//       data pipeline. Accuracy is reported before training, after phase 1 and after phase 2.
//   kiln-mobilenet-transfer info      both phases' layers and parameter counts
//   kiln-mobilenet-transfer check     nsfwjs' whole model (its own 5-class head) on an image
//
// Data: skimage's real lfw_subset (100 faces, 100 non-faces), upsampled to 160x160x3, a
// stratified 80/20 split; the task is face / not a face.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>

#include "base_weights.hpp"
#include "mobilenet_fine_tune_kernels.hpp"
#include "mobilenet_transfer_kernels.hpp"
#include "net.hpp"
#include "networks/common/course_images.hpp"
#include "nsfwjs_mobilenet_kernels.hpp"
#include "runtime/augment.hpp"
#include "runtime/cli.hpp"
#include "runtime/datasets/lfw_faces.hpp"
#include "runtime/image.hpp"
#include "runtime/train.hpp"

namespace {

namespace mb = kiln::networks::mobilenet;
using transfer_net = kiln::network_of<mb::transfer>;
using fine_tune_net = kiln::network_of<mb::fine_tune>;
using nsfwjs_net = kiln::network_of<mb::nsfwjs_model>;

struct options {
    std::filesystem::path weights = mb::default_nsfwjs_model();
    std::size_t epochs = 5, fine_tune_epochs = 5, batch_size = 32;
    float learning_rate = 0.001f, fine_tune_rate = 0.0001f, keep_prob = 0.8f;
    double rotation = 0.2;
    bool augment = true;
    std::uint64_t seed = 1;
    std::optional<std::filesystem::path> checkpoint;
    kiln::device_kind device = kiln::device_kind::cpu;
};

void report(const char* when, double train, double test) {
    std::printf("%-28s train accuracy %6.2f%% | test accuracy %6.2f%%\n", when, 100 * train, 100 * test);
    std::fflush(stdout);
}

template <class Net>
bool same_bits(const kiln::model<Net>& m, const std::vector<float>& saved, std::size_t count) {
    return std::memcmp(m.parameters().data(), saved.data(), count * sizeof(float)) == 0;
}

int train(const options& o) {
    auto [train_set, test_set] = kiln::split(kiln::load_lfw_faces_sized(160), 0.2, 1);
    std::printf("data: skimage lfw_subset faces / non-faces at 160x160x3: %zu train, %zu test\n", train_set.size(),
                test_set.size());

    kiln::model<transfer_net> head(kiln::generated::mobilenet_transfer::kernels, "manual", o.device);
    head.initialize(kiln::init_scheme::xavier, o.seed);
    mb::load_base(head, o.weights, "out_relu");
    // Every frozen parameter, to prove below that training never wrote one.
    const std::vector<float> frozen(head.parameters().begin(),
                                    head.parameters().begin() + static_cast<std::ptrdiff_t>(transfer_net::frozen_size));
    report("before training:", head.evaluate(train_set).accuracy, head.evaluate(test_set).accuracy);

    kiln::fit_options fo;
    fo.optimizer = "adam";
    fo.learning_rate = o.learning_rate;
    fo.batch_size = o.batch_size;
    fo.epochs = o.epochs;
    fo.keep_prob = o.keep_prob;
    fo.seed = o.seed;
    fo.print_every = 5;
    if (o.augment)
        fo.augment = kiln::augmenter({160, 160, 3}, {.horizontal_flip = true, .max_rotation = o.rotation});
    std::printf("\nphase 1: the head alone (%zu of %zu parameters trainable), %zu epochs, Adam %g\n",
                transfer_net::grad_size, transfer_net::param_size, o.epochs, static_cast<double>(o.learning_rate));
    kiln::fit_history h1 = kiln::fit(head, train_set, fo);
    report("after phase 1:", head.evaluate(train_set).accuracy, head.evaluate(test_set).accuracy);
    std::printf("frozen base unchanged (bit for bit): %s (%.1f s, %.1f samples/s)\n",
                same_bits(head, frozen, frozen.size()) ? "yes" : "NO", h1.seconds, h1.samples / h1.seconds);

    kiln::model<fine_tune_net> tune(kiln::generated::mobilenet_fine_tune::kernels, "manual", o.device);
    kiln::copy_parameters(head, tune);
    fo.learning_rate = o.fine_tune_rate;
    fo.epochs = o.fine_tune_epochs;
    std::printf("\nphase 2: layers 120 onwards unfrozen (%zu of %zu parameters trainable), %zu epochs, Adam %g\n",
                fine_tune_net::grad_size, fine_tune_net::param_size, o.fine_tune_epochs,
                static_cast<double>(o.fine_tune_rate));
    kiln::fit_history h2 = kiln::fit(tune, train_set, fo);
    const double train_acc = tune.evaluate(train_set).accuracy, test_acc = tune.evaluate(test_set).accuracy;
    report("after phase 2 (fine-tuned):", train_acc, test_acc);
    // The lower base is still frozen: compare it by name with the phase-1 copy.
    bool lower_unchanged = true;
    for (const kiln::param_entry& e : fine_tune_net::params)
        if (e.spec.frozen) {
            const auto now = tune.parameter(e.name.view()), then = head.parameter(e.name.view());
            lower_unchanged = lower_unchanged && std::memcmp(now.data(), then.data(), now.size_bytes()) == 0;
        }
    std::printf("frozen lower base unchanged (bit for bit): %s (%.1f s, %.1f samples/s)\n",
                lower_unchanged ? "yes" : "NO", h2.seconds, h2.samples / h2.seconds);
    if (o.checkpoint) {
        tune.save(*o.checkpoint);
        std::printf("saved %s\n", o.checkpoint->string().c_str());
    }
    std::printf("{\"test_accuracy\": %.4f, \"train_accuracy\": %.4f}\n", test_acc, train_acc);
    return 0;
}

// nsfwjs' own model on one image, preprocessed as nsfwjs does: RGB / 255, resized to 224x224.
int check(const options& o, const std::vector<std::string>& images) {
    kiln::model<nsfwjs_net> m(kiln::generated::nsfwjs_mobilenet::kernels, "manual", o.device);
    const std::vector<std::string> missing = mb::load_base(m, o.weights, "");
    if (!missing.empty()) throw kiln::error("check: the model file lacks parameters of nsfwjs' model");
    static const char* classes[] = {"Drawing", "Hentai", "Neutral", "Porn", "Sexy"};
    for (const std::string& path : images) {
        const std::vector<float> x = kiln::to_features(kiln::resize_bilinear(kiln::load_image(path), 224, 224));
        const std::vector<float> p = m.predict(x, 1);
        std::printf("%s:", path.c_str());
        for (std::size_t k = 0; k < p.size(); ++k) std::printf(" %s %.4f", classes[k], static_cast<double>(p[k]));
        std::printf("\n");
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"kiln-mobilenet-transfer: C4W2A2 transfer learning with MobileNetV2's trained base"};
    app.require_subcommand(0, 1);
    options o;
    std::string device = "cpu";
    auto add_weights = [&](CLI::App* c) {
        c->add_option("--weights", o.weights,
                      "MobileNetV2's weights: a TF.js model.json (default: nsfwjs' model fetched by "
                      "scripts/fetch-nsfwjs.sh) or a kiln-convert checkpoint");
        c->add_option("--device", device, kiln::device_help)->check(CLI::IsMember(kiln::device_choices));
    };
    CLI::App* tr = app.add_subcommand("train", "the two phases (the default)");
    add_weights(tr);
    tr->add_option("--epochs", o.epochs, "phase 1 epochs (the head alone)")->check(CLI::PositiveNumber);
    tr->add_option("--fine-tune-epochs", o.fine_tune_epochs, "phase 2 epochs")->check(CLI::PositiveNumber);
    tr->add_option("--batch-size", o.batch_size, "samples per step")->check(CLI::PositiveNumber);
    tr->add_option("--learning-rate,--lr", o.learning_rate, "phase 1's Adam rate")->check(CLI::PositiveNumber);
    tr->add_option("--fine-tune-rate", o.fine_tune_rate, "phase 2's Adam rate")->check(CLI::PositiveNumber);
    tr->add_option("--keep-prob", o.keep_prob, "the head's dropout keep probability")->check(CLI::Range(0.01, 1.0));
    tr->add_option("--rotation", o.rotation, "random rotation factor (a fraction of a turn)")->check(CLI::Range(0.0, 0.5));
    tr->add_flag("!--no-augment", o.augment, "train on the images as they are");
    tr->add_option("--seed", o.seed, "seed of the head's initialisation, shuffles, dropout, augmentation");
    tr->add_option("--checkpoint", o.checkpoint, "save the fine-tuned parameters here (safetensors)");
    CLI::App* info = app.add_subcommand("info", "layers, shapes and parameter counts of both phases");
    std::vector<std::string> images;
    CLI::App* chk = app.add_subcommand("check", "run nsfwjs' whole model (its 5-class head) on images");
    add_weights(chk);
    chk->add_option("images", images, "PNG or JPEG files")->required()->check(CLI::ExistingFile);
    CLI11_PARSE(app, argc, argv);
    try {
        o.device = kiln::parse_device(device);
        if (info->parsed()) {
            kiln::app_spec spec;
            spec.name = "mobilenet-transfer (phase 1)";
            spec.summary = "frozen MobileNetV2 base, global average pool, dropout, dense 1";
            kiln::detail::print_info<transfer_net>(spec, kiln::generated::mobilenet_transfer::kernels);
            spec.name = "mobilenet-transfer (phase 2)";
            spec.summary = "layers 120 onwards unfrozen";
            std::printf("\n");
            kiln::detail::print_info<fine_tune_net>(spec, kiln::generated::mobilenet_fine_tune::kernels);
            return 0;
        }
        if (chk->parsed()) return check(o, images);
        return train(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kiln-mobilenet-transfer: %s\n", e.what());
        return 1;
    }
}
