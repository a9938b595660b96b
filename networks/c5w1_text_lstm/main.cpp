// kiln-text-lstm: a character-level LSTM (net.hpp: 96 characters, 128 units, 40 steps) trained
// on Jane Austen's six novels (read from r-cran-janeaustenr's R database by runtime/rdata,
// scripts/fetch-text.sh), then writing text from a prompt with the one-step network.
//   kiln-text-lstm [train]   --iterations --batch-size --learning-rate --clip-norm --seed
//                            --print-every --checkpoint F --plot DIR
//   kiln-text-lstm generate  --checkpoint F --prompt "..." [--length 400] [--temperature 0.6]
//   kiln-text-lstm info      the two networks, their shapes and parameters
// Training: Adam on random 40-character windows of the first 95% of the text, gradients
// clipped to norm 5; the last 5% is held out, and the report gives its loss per character
// and bits per character.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "net.hpp"
#include "runtime/cli.hpp"
#include "runtime/datasets/text.hpp"
#include "runtime/model.hpp"
#include "runtime/optimizer.hpp"
#include "runtime/plot.hpp"
#include "runtime/random.hpp"
#include "runtime/sampling.hpp"
#include "text_lstm_kernels.hpp"
#include "text_lstm_step_kernels.hpp"

namespace {

using namespace kiln;
using train_net = network_of<networks::text_lstm>;
using step_net = network_of<networks::text_lstm_step>;
constexpr int V = networks::text_vocabulary, H = networks::text_hidden, T = networks::text_steps;

// '\n' and printable ASCII: 96 characters; anything else reads as ' '.
datasets::char_vocabulary vocabulary() {
    std::u32string chars = U"\n";
    for (char32_t c = 32; c < 127; ++c) chars += c;
    return datasets::char_vocabulary::from_chars(chars, U' ');
}

// Feeds the prompt through the one-step network and continues it by drawing `length`
// characters. The state [h; c] and the last character carry over from step to step.
std::string write(const model<step_net>& step, const datasets::char_vocabulary& vocab, const std::string& prompt,
                  std::size_t length, double temperature, rng& random) {
    std::vector<float> x(V + 2 * H, 0.0f), y;
    auto feed = [&](std::int32_t c) {
        std::fill(x.begin(), x.begin() + V, 0.0f);
        x[static_cast<std::size_t>(c)] = 1.0f;
        y = step.predict(x, 1);
        std::copy(y.begin(), y.begin() + 2 * H, x.begin() + V);
    };
    const std::vector<std::int32_t> encoded = vocab.encode(prompt.empty() ? std::string("\n") : prompt);
    for (std::int32_t c : encoded) feed(c);
    std::vector<std::int32_t> out;
    for (std::size_t i = 0; i < length; ++i) {
        const auto next = static_cast<std::int32_t>(draw(std::span<const float>(y).subspan(2 * H), temperature, random));
        out.push_back(next);
        feed(next);
    }
    return vocab.decode(out);
}

}  // namespace

int main(int argc, char** argv) try {
    CLI::App app{"kiln-text-lstm: a character-level LSTM (96 characters, 128 units, 40 steps) on Jane Austen"};
    app.require_subcommand(0, 1);
    std::size_t iterations = 3000, batch = 32, print_every = 500, length = 400;
    float learning_rate = 0.004f, clip_norm = 5.0f;
    double temperature = 0.6;
    std::uint64_t seed = 1;
    bool quiet = false;
    std::string device = "cpu";
    std::string prompt = "It is a truth universally acknowledged";
    std::optional<std::filesystem::path> checkpoint, plot_dir;
    CLI::App* train = app.add_subcommand("train", "train and report the held-out loss (the default)");
    for (CLI::App* c : {static_cast<CLI::App*>(&app), train}) {
        c->add_option("--iterations", iterations, "Adam steps")->check(CLI::PositiveNumber);
        c->add_option("--batch-size", batch, "windows per step")->check(CLI::PositiveNumber);
        c->add_option("--learning-rate,--lr", learning_rate, "Adam's step size")->check(CLI::PositiveNumber);
        c->add_option("--clip-norm", clip_norm, "clip the gradient's L2 norm to this")->check(CLI::PositiveNumber);
        c->add_option("--seed", seed, "seed of initialisation, windows and sampling");
        c->add_option("--print-every", print_every, "print the loss and a sample every N steps")
            ->check(CLI::PositiveNumber);
        c->add_option("--prompt", prompt, "text the samples continue");
        c->add_option("--temperature", temperature, "sampling temperature")->check(CLI::PositiveNumber);
        c->add_option("--checkpoint", checkpoint, "save the trained parameters here (safetensors)");
        c->add_option("--plot", plot_dir, "write the loss curve as PNG into this folder");
        c->add_flag("--quiet", quiet, "print only the final JSON line");
        c->add_option("--device", device, kiln::device_help)->check(CLI::IsMember(kiln::device_choices));
    }
    CLI::App* gen = app.add_subcommand("generate", "continue a prompt with saved parameters");
    std::filesystem::path load_from;
    gen->add_option("--checkpoint", load_from, "parameters saved by train --checkpoint")
        ->required()
        ->check(CLI::ExistingFile);
    gen->add_option("--prompt", prompt, "the text to continue");
    gen->add_option("--length", length, "characters to write")->check(CLI::PositiveNumber);
    gen->add_option("--temperature", temperature, "sampling temperature")->check(CLI::PositiveNumber);
    gen->add_option("--seed", seed, "seed of the draws");
    gen->add_option("--device", device, kiln::device_help)->check(CLI::IsMember(kiln::device_choices));
    CLI::App* info = app.add_subcommand("info", "the networks, shapes and parameter counts");
    CLI11_PARSE(app, argc, argv);

    if (info->parsed()) {
        app_spec spec;
        spec.name = "text-lstm";
        spec.summary = "training network: sequence(96, 40) -> lstm<128>(return_sequences) -> time_distributed(dense<96>)";
        detail::print_info<train_net>(spec, generated::text_lstm::kernels);
        spec.summary = "one-step network: [x_t; h; c] (352) -> lstm_cell<128> -> [h; c; softmax(dense<96>(h))] (352)";
        detail::print_info<step_net>(spec, generated::text_lstm_step::kernels);
        return 0;
    }
    const datasets::char_vocabulary vocab = vocabulary();
    model<train_net> m(generated::text_lstm::kernels, "manual", parse_device(device));
    model<step_net> step(generated::text_lstm_step::kernels, "manual", parse_device(device));
    rng random(seed);
    if (gen->parsed()) {
        m.load(load_from);
        copy_parameters(m, step);
        std::printf("%s%s\n", prompt.c_str(), write(step, vocab, prompt, length, temperature, random).c_str());
        return 0;
    }

    const std::string text = datasets::load_jane_austen();
    const std::vector<std::int32_t> encoded = vocab.encode(text);
    const std::size_t split = encoded.size() / 20 * 19;
    const std::span<const std::int32_t> train_part(encoded.data(), split), held_out(encoded.data() + split,
                                                                                   encoded.size() - split);
    if (!quiet)
        std::printf("Jane Austen: %zu characters (%zu for training, %zu held out), %d-character vocabulary, "
                    "lstm<%d>, %d steps, batch %zu, Adam %g, clip norm %g\n",
                    encoded.size(), split, encoded.size() - split, V, H, T, batch,
                    static_cast<double>(learning_rate), static_cast<double>(clip_norm));
    m.initialize(init_scheme::xavier, seed);
    adam opt(learning_rate);
    auto held_out_loss = [&] {  // per character, over 64 x 32 consecutive windows
        double total = 0;
        std::size_t count = 0;
        for (std::size_t k = 0; k < 64; ++k) {
            const auto offsets = datasets::consecutive_window_offsets(held_out.size(), T, 32, k * 32 * T);
            const auto b = datasets::one_hot(datasets::make_windows(held_out, offsets, T), V);
            const std::vector<float> p = m.predict(b.x, 32);
            for (std::size_t i = 0; i < b.y_index.size(); ++i) total -= std::log(std::max(p[i * V + b.y_index[i]], 1e-30f));
            count += b.y_index.size();
        }
        return total / static_cast<double>(count);
    };
    std::vector<float> curve;
    double smoothed = std::log(static_cast<double>(V));
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t j = 1; j <= iterations; ++j) {
        const auto b = datasets::one_hot(
            datasets::make_windows(train_part, datasets::random_window_offsets(train_part.size(), T, batch, random), T), V);
        const double cost = m.compute_gradients(b.x, b.y, batch);
        clip_by_norm(m.gradients(), clip_norm);
        opt.step(m.parameters(), m.gradients());
        smoothed = 0.98 * smoothed + 0.02 * cost;
        if (j % 10 == 0) curve.push_back(static_cast<float>(smoothed));
        if (!quiet && (j % print_every == 0 || j == iterations)) {
            copy_parameters(m, step);
            std::printf("step %zu: loss %.3f per character\n  %s|%s\n", j, smoothed, prompt.c_str(),
                        write(step, vocab, prompt, 120, temperature, random).c_str());
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double test = held_out_loss();
    if (!quiet)
        std::printf("held out: %.3f per character (%.3f bits; a uniform guess: %.3f)\n", test, test / std::log(2.0),
                    std::log2(static_cast<double>(V)));
    if (checkpoint) m.save(*checkpoint);
    if (plot_dir) {
        std::filesystem::create_directories(*plot_dir);
        plot_curve(*plot_dir / "text_lstm_loss.png", curve, 10, "text-lstm: smoothed training loss", "step",
                   "loss per character");
    }
    std::printf("{\"model\":\"text_lstm\",\"iterations\":%zu,\"train_loss\":%s,\"held_out_loss\":%s,"
                "\"bits_per_character\":%s,\"seconds\":%s}\n",
                iterations, detail::json_number(smoothed).c_str(), detail::json_number(test).c_str(),
                detail::json_number(test / std::log(2.0)).c_str(), detail::json_number(seconds).c_str());
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "kiln-text-lstm: %s\n", e.what());
    return 2;
}
