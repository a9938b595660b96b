// kiln-jazz-lstm: C5W1A3 "Improvise a Jazz Solo with an LSTM Network" (net.hpp: 96 values,
// 64 units, 30 steps) on the real MIDI files of scripts/fetch-midi.sh (data/midi: OpenMSX's
// 31 pieces and MMA's 63 examples), read by kiln's own reader (runtime/midi, runtime/melody).
//   kiln-jazz-lstm [train]    --iterations --batch-size --learning-rate --clip-norm --seed
//                             --checkpoint F --out F.mid --length N --temperature T
//     Every file's melody (the busiest non-drum channel's skyline on a sixteenth-note grid)
//     becomes a sequence of values; one file in eight is held out. The 96 most frequent
//     values form the vocabulary, the rest map to their nearest. Adam on random windows,
//     gradients clipped to norm 5, 300 steps by default: the held-out loss is lowest near
//     there (seed 1: 3.31 per value at 300 steps, 4.00 at 600, 4.90 at 1500, while the
//     training loss goes on down to 0.48 - the LSTM learns the training pieces by heart). The report gives the held-out loss and next-value
//     accuracy against the unigram baseline (always the most frequent value), then
//     improvises N values with the one-step network, writes them as a .mid file, reads that
//     file back and checks the values survive.
//   kiln-jazz-lstm generate   --checkpoint F --out F.mid [--length 64] [--temperature 1]
//   kiln-jazz-lstm info       the two networks, their shapes and parameters
//   kiln-jazz-lstm gradcheck  BPTT against float64 centred differences on 4 windows
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "jazz_lstm_kernels.hpp"
#include "jazz_step_kernels.hpp"
#include "net.hpp"
#include "runtime/cli.hpp"
#include "runtime/data_dir.hpp"
#include "runtime/melody.hpp"
#include "runtime/midi.hpp"
#include "runtime/model.hpp"
#include "runtime/optimizer.hpp"
#include "runtime/random.hpp"
#include "runtime/sampling.hpp"

#ifndef KILN_DATA_DIR
#error "KILN_DATA_DIR must name the source tree's data/ folder (networks/c5w1_jazz_lstm/CMakeLists.txt sets it)"
#endif

namespace {

using namespace kiln;
using train_net = network_of<networks::jazz_lstm>;
using step_net = network_of<networks::jazz_step>;
constexpr std::size_t F = networks::jazz_values, H = networks::jazz_hidden, T = networks::jazz_steps;

struct corpus {
    std::vector<std::vector<melody::value>> train, held_out;
    std::uint32_t tempo = midi::default_tempo;  // of the first training file
    std::size_t files = 0, skipped = 0;
};

corpus load_corpus(const std::filesystem::path& dir) {
    if (!std::filesystem::is_directory(dir))
        throw error(dir.string() + " not found; run scripts/fetch-midi.sh (it copies the .mid files of Debian's "
                    "openttd-openmsx and mma into data/midi) or pass --midi DIR");
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        if (e.is_regular_file() && (e.path().extension() == ".mid" || e.path().extension() == ".MID"))
            files.push_back(e.path());
    std::sort(files.begin(), files.end());
    corpus c;
    for (const auto& f : files) {
        melody::melody m;
        try {
            m = melody::extract(midi::read(f));
        } catch (const std::exception& e) {  // e.g. a drum-only file: no melodic note
            ++c.skipped;
            continue;
        }
        if (m.values.size() < T + 1) {
            ++c.skipped;
            continue;
        }
        if (c.train.empty()) c.tempo = m.tempo;
        (c.files % 8 == 7 ? c.held_out : c.train).push_back(std::move(m.values));
        ++c.files;
    }
    if (c.train.empty() || c.held_out.empty())
        throw error(dir.string() + ": " + std::to_string(c.files) + " usable MIDI files (melodies of more than " +
                    std::to_string(T) + " values); need at least 8 so that one can be held out");
    return c;
}

// A canonical melody (melody.hpp): adjacent rests merged (up to max_steps), no trailing rest,
// so extract(to_midi(m)) gives its values back exactly.
std::vector<melody::value> canonical(const std::vector<melody::value>& v, int max_steps) {
    std::vector<melody::value> out;
    for (const melody::value& x : v) {
        if (x.pitch == melody::rest && !out.empty() && out.back().pitch == melody::rest)
            out.back().steps = std::min(max_steps, out.back().steps + x.steps);
        else
            out.push_back(x);
    }
    while (!out.empty() && out.back().pitch == melody::rest) out.pop_back();
    return out;
}

// Improvises `length` values (the course's music_inference_model: a zero first input, then
// each drawn value fed back), writes them as a .mid and reads the file back.
std::size_t improvise(const model<step_net>& step, const melody::vocabulary& vocab, std::size_t length,
                      double temperature, rng& random, std::uint32_t tempo, const std::filesystem::path& out) {
    const std::vector<std::size_t> drawn = generate(step, F, 2 * H, F /* no stop value */, length, temperature, random);
    std::vector<int> indices(drawn.begin(), drawn.end());
    for (int& i : indices) i = std::min(i, static_cast<int>(vocab.size()) - 1);  // rows past the vocabulary
    melody::melody m;
    m.values = canonical(melody::decode(vocab, indices), vocab.max_steps);
    m.steps_per_quarter = vocab.steps_per_quarter;
    m.tempo = tempo;
    if (m.values.empty()) throw error("improvise: every drawn value was a rest; train longer or raise --length");
    midi::write(out, melody::to_midi(m));
    const melody::melody back = melody::extract(midi::read(out));
    if (back.values != m.values)
        throw error(out.string() + ": read back " + std::to_string(back.values.size()) + " values, not the " +
                    std::to_string(m.values.size()) + " written");
    std::string text;
    for (std::size_t i = 0; i < std::min<std::size_t>(m.values.size(), 24); ++i)
        text += (i ? " " : "") + melody::to_string(m.values[i]);
    std::printf("improvised %zu values (%zu notes) -> %s; read back: %zu values, identical\n  %s%s\n", drawn.size(),
                static_cast<std::size_t>(std::count_if(m.values.begin(), m.values.end(),
                                                       [](const melody::value& v) { return v.pitch != melody::rest; })),
                out.string().c_str(), back.values.size(), text.c_str(), m.values.size() > 24 ? " ..." : "");
    return m.values.size();
}

}  // namespace

int main(int argc, char** argv) try {
    CLI::App app{"kiln-jazz-lstm: an LSTM (96 values, 64 units, 30 steps) improvising on real MIDI melodies"};
    app.require_subcommand(0, 1);
    std::size_t iterations = 300, batch = 32, print_every = 50, length = 64;
    float learning_rate = 0.01f, clip_norm = 5.0f;
    double temperature = 1.0;
    std::uint64_t seed = 1;
    bool quiet = false;
    std::string device = "cpu";
    std::filesystem::path midi_dir = kiln::data_dir(KILN_DATA_DIR) / "midi", out = "jazz_solo.mid";
    std::optional<std::filesystem::path> checkpoint;
    CLI::App* train = app.add_subcommand("train", "train, report and improvise (the default)");
    for (CLI::App* c : {static_cast<CLI::App*>(&app), train}) {
        c->add_option("--midi", midi_dir, "folder of .mid files, searched recursively (default data/midi)");
        c->add_option("--iterations", iterations, "Adam steps")->check(CLI::PositiveNumber);
        c->add_option("--batch-size", batch, "windows per step")->check(CLI::PositiveNumber);
        c->add_option("--learning-rate,--lr", learning_rate, "Adam's step size (the course: 0.01)")
            ->check(CLI::PositiveNumber);
        c->add_option("--clip-norm", clip_norm, "clip the gradient's L2 norm to this")->check(CLI::PositiveNumber);
        c->add_option("--seed", seed, "seed of initialisation, windows and improvisation");
        c->add_option("--print-every", print_every, "print the loss every N steps")->check(CLI::PositiveNumber);
        c->add_option("--checkpoint", checkpoint, "save the parameters and the vocabulary (F and F.vocab.json)");
        c->add_option("--out", out, "the improvised .mid file");
        c->add_option("--length", length, "values to improvise")->check(CLI::PositiveNumber);
        c->add_option("--temperature", temperature, "sampling temperature")->check(CLI::PositiveNumber);
        c->add_flag("--quiet", quiet, "print only the final JSON line");
        c->add_option("--device", device, kiln::device_help)->check(CLI::IsMember(kiln::device_choices));
    }
    CLI::App* gen = app.add_subcommand("generate", "improvise with saved parameters");
    std::filesystem::path load_from;
    gen->add_option("--checkpoint", load_from, "parameters saved by train --checkpoint")
        ->required()
        ->check(CLI::ExistingFile);
    gen->add_option("--out", out, "the .mid file to write");
    gen->add_option("--length", length, "values to improvise")->check(CLI::PositiveNumber);
    gen->add_option("--temperature", temperature, "sampling temperature")->check(CLI::PositiveNumber);
    gen->add_option("--seed", seed, "seed of the draws");
    gen->add_option("--device", device, kiln::device_help)->check(CLI::IsMember(kiln::device_choices));
    CLI::App* info = app.add_subcommand("info", "the networks, shapes and parameter counts");
    CLI::App* grad = app.add_subcommand("gradcheck", "backpropagation through time against finite differences");
    grad->add_option("--midi", midi_dir, "folder of .mid files");
    // The cost is a mean over 4 x 30 steps of a 96-way softmax, so its gradients are small and
    // eps 1e-6 leaves float64 rounding visible: seed 1 gives 3.0e-7 at 1e-6, 3.2e-8 at 1e-5,
    // 3.7e-9 at 1e-4 (100 parameters) - falling as 1 / eps, the mark of rounding rather than
    // of a mistake, which would stay put.
    double epsilon = 1e-4;
    std::size_t max_params = 200;
    grad->add_option("--epsilon", epsilon, "finite-difference step")->check(CLI::PositiveNumber);
    grad->add_option("--max-params", max_params, "check a seeded sample of this many parameters (2 runs each)")
        ->check(CLI::PositiveNumber);
    CLI11_PARSE(app, argc, argv);

    if (info->parsed()) {
        app_spec spec;
        spec.name = "jazz-lstm";
        spec.summary = "training network: sequence(96, 30) -> lstm<64>(return_sequences) -> time_distributed(dense<96>)";
        detail::print_info<train_net>(spec, generated::jazz_lstm::kernels);
        spec.summary = "one-step network: [x_t; h; c] (224) -> lstm_cell<64> -> [h; c; softmax(dense<96>(h))] (224)";
        detail::print_info<step_net>(spec, generated::jazz_step::kernels);
        return 0;
    }
    model<train_net> m(generated::jazz_lstm::kernels, "manual", parse_device(device));
    model<step_net> step(generated::jazz_step::kernels, "manual", parse_device(device));
    rng random(seed);
    if (gen->parsed()) {
        m.load(load_from);
        const melody::vocabulary vocab = melody::load_vocabulary(load_from.string() + ".vocab.json");
        copy_parameters(m, step);
        improvise(step, vocab, length, temperature, random, midi::default_tempo, out);
        return 0;
    }

    const corpus c = load_corpus(midi_dir);
    const melody::vocabulary vocab = melody::build_vocabulary(c.train, {}, F);
    std::vector<std::vector<int>> train_idx, held_idx;
    for (const auto& v : c.train) train_idx.push_back(melody::encode(vocab, v));
    for (const auto& v : c.held_out) held_idx.push_back(melody::encode(vocab, v));
    const std::vector<melody::window> train_windows = melody::windows(train_idx, T);
    const std::vector<melody::window> held_windows = melody::windows(held_idx, T, T);
    m.initialize(init_scheme::xavier, seed);

    if (grad->parsed()) {
        const std::vector<melody::window> four(train_windows.begin(), train_windows.begin() + 4);
        const melody::batch b = melody::one_hot_batch(train_idx, four, T, F);
        const gradcheck_result r = gradcheck(m, b.x, b.y, 4, max_params, epsilon, seed, 0, 0, step_settings{});
        const bool ok = r.difference < 1e-7;
        std::printf("gradcheck: %zu of %zu parameters on 4 windows, float64, eps %g\n"
                    "difference ||g - g~|| / (||g|| + ||g~||) = %.3e  (threshold 1e-7): %s\n",
                    r.checked, r.total, epsilon, r.difference, ok ? "backpropagation is correct" : "MISTAKE in backpropagation");
        return ok ? 0 : 1;
    }

    std::size_t values = 0;
    for (const auto& v : c.train) values += v.size();
    if (!quiet)
        std::printf("%zu melodies from %s (%zu files skipped): %zu for training (%zu values, %zu windows), %zu held out; "
                    "vocabulary %zu values; lstm<%zu>, %zu steps, batch %zu, Adam %g, clip norm %g\n",
                    c.files, midi_dir.string().c_str(), c.skipped, c.train.size(), values, train_windows.size(),
                    c.held_out.size(), vocab.size(), H, T, batch, static_cast<double>(learning_rate),
                    static_cast<double>(clip_norm));

    // Held out: loss per value and next-value accuracy over non-overlapping windows, against
    // always guessing the most frequent value (index 0).
    auto held_out = [&] {
        double loss = 0;
        std::size_t right = 0, baseline = 0, count = 0;
        for (std::size_t s = 0; s < held_windows.size(); s += 64) {
            const std::span<const melody::window> part(held_windows.data() + s, std::min<std::size_t>(64, held_windows.size() - s));
            const melody::batch b = melody::one_hot_batch(held_idx, part, T, F);
            const std::vector<float> p = m.predict(b.x, part.size());
            for (std::size_t i = 0; i < part.size() * T; ++i) {
                const float* yi = b.y.data() + i * F;
                const float* pi = p.data() + i * F;
                const std::size_t truth = static_cast<std::size_t>(std::max_element(yi, yi + F) - yi);
                loss -= std::log(std::max(pi[truth], 1e-30f));
                right += static_cast<std::size_t>(std::max_element(pi, pi + F) - pi) == truth ? 1 : 0;
                baseline += truth == 0 ? 1 : 0;
                ++count;
            }
        }
        return std::array<double, 3>{loss / static_cast<double>(count), static_cast<double>(right) / static_cast<double>(count),
                                     static_cast<double>(baseline) / static_cast<double>(count)};
    };

    adam opt(learning_rate);
    double smoothed = std::log(static_cast<double>(F));
    std::vector<melody::window> chosen(batch);
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t j = 1; j <= iterations; ++j) {
        for (auto& w : chosen) w = train_windows[static_cast<std::size_t>(random.below(train_windows.size()))];
        const melody::batch b = melody::one_hot_batch(train_idx, chosen, T, F);
        const double cost = m.compute_gradients(b.x, b.y, batch);
        clip_by_norm(m.gradients(), clip_norm);
        opt.step(m.parameters(), m.gradients());
        smoothed = 0.98 * smoothed + 0.02 * cost;
        if (!quiet && (j % print_every == 0 || j == iterations)) std::printf("step %zu: loss %.3f per value\n", j, smoothed);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto [loss, accuracy, baseline] = held_out();
    if (!quiet)
        std::printf("held out: %.3f per value, next-value accuracy %.2f%% (always the most frequent value: %.2f%%)\n",
                    loss, 100 * accuracy, 100 * baseline);
    if (checkpoint) {
        m.save(*checkpoint);
        melody::save_vocabulary(checkpoint->string() + ".vocab.json", vocab);
    }
    copy_parameters(m, step);
    const std::size_t written = improvise(step, vocab, length, temperature, random, c.tempo, out);
    std::printf("{\"model\":\"jazz_lstm\",\"iterations\":%zu,\"train_loss\":%s,\"held_out_loss\":%s,"
                "\"held_out_accuracy\":%s,\"baseline_accuracy\":%s,\"improvised_values\":%zu,\"seconds\":%s}\n",
                iterations, detail::json_number(smoothed).c_str(), detail::json_number(loss).c_str(),
                detail::json_number(accuracy).c_str(), detail::json_number(baseline).c_str(), written,
                detail::json_number(seconds).c_str());
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "kiln-jazz-lstm: %s\n", e.what());
    return 2;
}
