// kiln-dinosaur-names: C5W1A2 "Dinosaurus Island - character-level language model".
// A character RNN (27 characters, hidden 50; net.hpp) trained as the course does: one name
// per step of plain SGD (learning rate 0.01 on the loss summed over the name's characters),
// gradients clipped to [-5, 5], 22,000 steps over the shuffled names; every 2,000 steps it
// prints the smoothed loss and 7 names sampled from the one-step network
// (dinosaur_names_step) that shares the trained weights.
//   kiln-dinosaur-names [train]   --iterations --learning-rate --clip --seed --real-only
//                                 --names N --print-every --temperature --checkpoint F --plot DIR
//   kiln-dinosaur-names sample    --checkpoint F [--count 10] [--temperature 1] [--seed]
//   kiln-dinosaur-names info      the two networks, their shapes and parameters
//   kiln-dinosaur-names gradcheck BPTT against centred differences in float64
// Data: the 52 real genus names of data/dinosaurs/real.txt (scripts/fetch-text.sh) and
// pseudo-dinosaur names from Greek and Latin roots up to the course's 1,536.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dinosaur_names_kernels.hpp"
#include "dinosaur_names_step_kernels.hpp"
#include "net.hpp"
#include "runtime/cli.hpp"
#include "runtime/datasets/dinosaurs.hpp"
#include "runtime/gradcheck.hpp"
#include "runtime/model.hpp"
#include "runtime/optimizer.hpp"
#include "runtime/plot.hpp"
#include "runtime/random.hpp"
#include "runtime/sampling.hpp"

namespace {

using namespace kiln;
using train_net = network_of<networks::dinosaur_names>;
using step_net = network_of<networks::dinosaur_names_step>;
constexpr int V = networks::dino_vocabulary, H = networks::dino_hidden, T = networks::dino_steps;

// The course's example: X = [0, c_1 .. c_k], Y = [c_1 .. c_k, '\n'], one-hot (V, T), padded
// with zero inputs and all-zero targets.
void encode(const std::string& name, std::vector<float>& x, std::vector<float>& y) {
    if (name.size() + 1 > static_cast<std::size_t>(T))
        throw error("dinosaur-names: '" + name + "' has " + std::to_string(name.size()) + " letters; the network " +
                    "reads at most " + std::to_string(T - 1) + " (dino_steps in net.hpp)");
    std::fill(x.begin(), x.end(), 0.0f);
    std::fill(y.begin(), y.end(), 0.0f);
    for (std::size_t t = 0; t <= name.size(); ++t) {
        const int next = t < name.size() ? name[t] - 'a' + 1 : 0;  // '\n' = 0
        y[next + V * t] = 1.0f;
        if (t + 1 < static_cast<std::size_t>(T) && t < name.size()) x[next + V * (t + 1)] = 1.0f;
    }
}

std::string decode(const std::vector<std::size_t>& indices) {
    std::string s;
    for (std::size_t i : indices)
        if (i != 0) s += static_cast<char>('a' + i - 1);
    return s;
}

// The course capitalises the first letter when it prints a sample.
std::string sample_name(const model<step_net>& step, double temperature, rng& random) {
    std::string s = decode(generate(step, V, H, 0, 50, temperature, random));
    if (!s.empty()) s[0] = static_cast<char>(s[0] - 'a' + 'A');
    return s;
}

}  // namespace

int main(int argc, char** argv) try {
    CLI::App app{"kiln-dinosaur-names: C5W1A2 character-level RNN (27 characters, hidden 50) on dinosaur names"};
    app.require_subcommand(0, 1);
    std::size_t iterations = 22000, print_every = 2000, names_count = 1536, samples = 7;
    float learning_rate = 0.01f, clip = 5.0f;
    double temperature = 1.0;
    std::uint64_t seed = 1;
    bool real_only = false, quiet = false;
    std::string device = "cpu";
    std::optional<std::filesystem::path> checkpoint, plot_dir;
    CLI::App* train = app.add_subcommand("train", "train as the course does and print samples (the default)");
    for (CLI::App* c : {static_cast<CLI::App*>(&app), train}) {
        c->add_option("--iterations", iterations, "SGD steps, one name each")->check(CLI::PositiveNumber);
        c->add_option("--learning-rate,--lr", learning_rate, "step size on the loss summed over a name")
            ->check(CLI::PositiveNumber);
        c->add_option("--clip", clip, "clip every gradient to [-clip, clip]")->check(CLI::PositiveNumber);
        c->add_option("--seed", seed, "seed of the shuffle, the generated names and the samples");
        c->add_flag("--real-only", real_only, "train on the real genus names only (52)");
        c->add_option("--names", names_count, "real names plus generated ones, up to this many")
            ->check(CLI::PositiveNumber);
        c->add_option("--print-every", print_every, "print the loss and samples every N steps")
            ->check(CLI::PositiveNumber);
        c->add_option("--temperature", temperature, "sampling temperature")->check(CLI::PositiveNumber);
        c->add_option("--checkpoint", checkpoint, "save the trained parameters here (safetensors)");
        c->add_option("--plot", plot_dir, "write the loss curve as PNG into this folder");
        c->add_flag("--quiet", quiet, "print only the final JSON line");
        c->add_option("--device", device, kiln::device_help)->check(CLI::IsMember(kiln::device_choices));
    }
    CLI::App* sample = app.add_subcommand("sample", "sample names from saved parameters");
    std::filesystem::path load_from;
    std::size_t count = 10;
    sample->add_option("--checkpoint", load_from, "parameters saved by train --checkpoint")
        ->required()
        ->check(CLI::ExistingFile);
    sample->add_option("--count", count, "how many names")->check(CLI::PositiveNumber);
    sample->add_option("--temperature", temperature, "sampling temperature")->check(CLI::PositiveNumber);
    sample->add_option("--seed", seed, "seed of the draws");
    sample->add_option("--device", device, kiln::device_help)->check(CLI::IsMember(kiln::device_choices));
    CLI::App* info = app.add_subcommand("info", "the networks, shapes and parameter counts");
    CLI::App* grad = app.add_subcommand("gradcheck", "backpropagation through time against finite differences");
    CLI11_PARSE(app, argc, argv);

    if (info->parsed()) {
        app_spec spec;
        spec.name = "dinosaur-names";
        spec.summary = "training network: sequence(27, 27) -> rnn<50>(return_sequences) -> time_distributed(dense<27>)";
        detail::print_info<train_net>(spec, generated::dinosaur_names::kernels);
        spec.summary = "one-step network: [x_t; a_{t-1}] (77) -> rnn_cell<50> -> [a_t; softmax(dense<27>)] (77)";
        detail::print_info<step_net>(spec, generated::dinosaur_names_step::kernels);
        return 0;
    }
    model<train_net> m(generated::dinosaur_names::kernels, "manual", parse_device(device));
    model<step_net> step(generated::dinosaur_names_step::kernels, "manual", parse_device(device));
    rng random(seed);
    if (sample->parsed()) {
        m.load(load_from);
        copy_parameters(m, step);
        for (std::size_t i = 0; i < count; ++i) std::printf("%s\n", sample_name(step, temperature, random).c_str());
        return 0;
    }

    std::vector<std::string> names = datasets::load_dinosaur_names(real_only, names_count, seed);
    random.shuffle(std::span<std::string>(names));
    std::vector<float> x(V * T), y(V * T);
    m.initialize(init_scheme::random, seed, 0.01);  // the course: randn * 0.01, zero biases

    if (grad->parsed()) {
        std::vector<float> xs, ys;
        for (std::size_t i = 0; i < 4; ++i) {
            encode(names[i], x, y);
            xs.insert(xs.end(), x.begin(), x.end());
            ys.insert(ys.end(), y.begin(), y.end());
        }
        m.initialize(init_scheme::xavier, seed);  // larger weights than 0.01: gradients well above rounding
        const gradcheck_result r = gradcheck(m, xs, ys, 4, 2000, 1e-6, seed, 0, 0, step_settings{});
        const bool ok = r.difference < 1e-7;
        std::printf("gradcheck: %zu of %zu parameters on 4 names, float64, eps 1e-6\n"
                    "difference ||g - g~|| / (||g|| + ||g~||) = %.3e  (threshold 1e-7): %s\n",
                    r.checked, r.total, r.difference, ok ? "backpropagation is correct" : "MISTAKE in backpropagation");
        return ok ? 0 : 1;
    }

    if (!quiet)
        std::printf("%zu names (%s), %d characters, hidden %d, %zu steps of SGD (lr %g, clip %g)\n", names.size(),
                    real_only ? "real" : "real + generated", V, H, iterations, static_cast<double>(learning_rate),
                    static_cast<double>(clip));
    sgd opt(learning_rate);
    double loss = -std::log(1.0 / V) * samples;  // the course's get_initial_loss(27, 7)
    std::vector<float> curve;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t j = 0; j < iterations; ++j) {
        encode(names[j % names.size()], x, y);
        // kiln's cost is the mean over the T steps; the course's loss and gradients are sums
        const double name_loss = m.compute_gradients(x, y, 1) * T;
        std::span<float> g = m.gradients();
        for (float& v : g) v *= static_cast<float>(T);
        clip_by_value(g, clip);
        opt.step(m.parameters(), g);
        loss = loss * 0.999 + name_loss * 0.001;
        if (j % 100 == 0) curve.push_back(static_cast<float>(loss));
        if (!quiet && j % print_every == 0) {
            std::printf("Iteration: %zu, Loss: %f\n\n", j, loss);
            copy_parameters(m, step);
            for (std::size_t k = 0; k < samples; ++k) std::printf("%s\n", sample_name(step, temperature, random).c_str());
            std::printf("\n");
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (checkpoint) m.save(*checkpoint);
    if (plot_dir) {
        std::filesystem::create_directories(*plot_dir);
        plot_curve(*plot_dir / "dinosaur_names_loss.png", curve, 100, "dinosaur names: smoothed loss",
                   "iteration", "loss per name");
    }
    std::printf("{\"model\":\"dinosaur_names\",\"iterations\":%zu,\"names\":%zu,\"final_loss\":%s,\"seconds\":%s}\n",
                iterations, names.size(), detail::json_number(loss).c_str(), detail::json_number(seconds).c_str());
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "kiln-dinosaur-names: %s\n", e.what());
    return 2;
}
