#pragma once
/*  run_app<Net>: the command line every kiln-<model> binary shares.
      kiln-<model>                 train on the default data and report (same as `train`)
      kiln-<model> train  [--learning-rate R] [--iterations K | --epochs E] [--batch-size B]
                          [--seed S] [--init zeros|random|xavier|he] [--data FILE]
                          [--checkpoint FILE] [--plot DIR] [--schedule NAME] [--device cpu|cuda|opencl]
                          [--quiet]
      kiln-<model> eval     --checkpoint FILE [--data FILE]
      kiln-<model> predict  --checkpoint FILE INPUT...
      kiln-<model> info
      kiln-<model> gradcheck [--checkpoint FILE] [--samples N] [--max-params N] [--epsilon E]
    `train` ends with one JSON line: {"model", "train_accuracy", "test_accuracy",
    "final_cost", "train_seconds"}. Errors print "error: ..." and exit 1; a bad command
    line exits 2 with CLI11's message.                                                    */
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/gradcheck.hpp"
#include "runtime/model.hpp"
#include "runtime/plot.hpp"
#include "runtime/train.hpp"

namespace kiln {

struct app_spec {
    std::string name;     // "planar-classifier": the binary is kiln-<name>
    std::string summary;  // one line for --help
    // Defaults of `train`, as the course sets them for this model.
    fit_options fit{};
    init_scheme init = init_scheme::random;
    double init_scale = 0.01;
    // (train, test) from --data FILE when given, else the model's default data.
    std::function<std::pair<dataset, dataset>(const std::optional<std::filesystem::path>& data,
                                              std::uint64_t seed)>
        load;
    // predict: one input file or argument -> one sample's features.
    std::function<std::vector<float>(const std::string& input)> sample_of;
    std::string predict_help = "image files (PNG or JPEG)";
    // After training: recompute batch norms' running averages over this many mini-batches
    // (model::recalibrate_batch_norm), for networks whose running averages lag (0: off).
    std::size_t recalibrate_batch_norm = 0;
    // Extra pictures after training, besides the cost curve (planar: decision boundary).
    std::function<void(const std::filesystem::path& dir, const std::function<std::vector<float>(
                                                             std::span<const float>, std::size_t)>& predict,
                       const dataset& train)>
        plot_extra;
};

namespace detail {
inline std::string json_number(double v) {
    if (!std::isfinite(v)) return "null";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}
// The class names a checkpoint was trained with ("kiln.classes": comma-separated).
inline std::vector<std::string> split_classes(const std::map<std::string, std::string>& meta) {
    std::vector<std::string> out;
    auto it = meta.find("kiln.classes");
    if (it == meta.end() || it->second.empty()) return out;
    std::size_t start = 0;
    for (std::size_t comma; (comma = it->second.find(',', start)) != std::string::npos; start = comma + 1)
        out.push_back(it->second.substr(start, comma - start));
    out.push_back(it->second.substr(start));
    return out;
}

template <class Net>
void print_info(const app_spec& spec, const kernel_set& k) {
    std::printf("kiln-%s: %s\n\n  %-14s %-24s %-26s %s\n", spec.name.c_str(), spec.summary.c_str(), "node",
                "layer", "output", "params");
    for (std::size_t i = 0; i < Net::node_count; ++i) {
        const node_info& n = Net::node_table[i];
        std::size_t count = 0;
        for (const param_entry& e : Net::params)
            if (e.node == static_cast<int>(i)) count += e.spec.size();
        std::printf("  %-14s %-24s %-26s %zu\n", n.name.c_str(), n.kind, describe(n.out).c_str(), count);
    }
    std::printf("\n  parameters: %zu in %zu tensors", Net::param_size, Net::params.size());
    if constexpr (Net::frozen_size > 0)
        std::printf(" (%zu frozen, %zu trainable)", Net::frozen_size, Net::grad_size);
    std::printf("\n");
    for (const param_entry& e : Net::params) {
        std::string dims;
        for (auto d : checkpoint_shape(e)) dims += (dims.empty() ? "" : ", ") + std::to_string(d);
        std::printf("    %-20s [%s]\n", e.name.c_str(), dims.c_str());
    }
    for (const device_kind d : {device_kind::cpu, device_kind::cuda, device_kind::opencl}) {
        std::string schedules;
        for (const kernel_variant& v : k.variants)
            if (std::string_view(v.target) == target_name(d))
                schedules += std::string(schedules.empty() ? "" : ", ") + v.schedule;
        if (!schedules.empty())
            std::printf("  schedules on %s (--device %s): %s\n", device_name(d),
                        d == device_kind::cpu ? "cpu" : target_name(d), schedules.c_str());
    }
}
}  // namespace detail

// What the command line asked for; parse_app_command() fills it (runtime/cli.cpp, where
// CLI11 is compiled once rather than in every model's binary).
struct app_command {
    enum class verb { train, eval, predict, info, gradcheck };
    verb what = verb::train;  // train also when no subcommand is given
    fit_options fit{};
    std::string init_name, schedule = "manual", device = "cpu";
    double init_scale = 0.01;
    std::optional<std::filesystem::path> data, checkpoint, plot_dir;
    std::vector<std::string> inputs;  // predict's
    std::size_t epochs = 0;
    std::size_t samples = 16, max_params = 2000;  // gradcheck's
    double epsilon = 1e-6;
    bool quiet = false;
};
// Parses argv against spec's defaults into cmd. Returns the exit status when the command
// line ends the run by itself (--help: 0; a bad command line: CLI11's message, 2), else
// nothing.
std::optional<int> parse_app_command(int argc, char** argv, const app_spec& spec, app_command& cmd);

template <class Net>
int run_app(int argc, char** argv, const kernel_set& kernels, const app_spec& spec) {
    app_command cmd;
    if (const std::optional<int> done = parse_app_command(argc, argv, spec, cmd)) return *done;
    using verb = app_command::verb;
    fit_options& fo = cmd.fit;
    const std::optional<std::filesystem::path>& checkpoint = cmd.checkpoint;
    const bool quiet = cmd.quiet;

    try {
        if (cmd.what == verb::info) {
            detail::print_info<Net>(spec, kernels);
            return 0;
        }
        model<Net> m(kernels, cmd.schedule, parse_device(cmd.device));
        if (cmd.what == verb::predict) {
            const auto meta = m.load(*checkpoint);
            const std::vector<std::string> classes = detail::split_classes(meta);
            for (const std::string& in : cmd.inputs) {
                const std::vector<float> x = spec.sample_of(in);
                const std::vector<float> p = m.predict(x, 1);
                std::printf("%s:", in.c_str());
                for (float v : p) std::printf(" %.4f", v);
                const std::size_t k = p.size() == 1 ? (p[0] > 0.5f ? 1 : 0)
                                                    : static_cast<std::size_t>(std::max_element(p.begin(), p.end()) - p.begin());
                if (k < classes.size()) std::printf("  -> %s", classes[k].c_str());
                else std::printf("  -> class %zu", k);
                std::printf("\n");
            }
            return 0;
        }
        auto [train_set, test_set] = spec.load(cmd.data, fo.seed);
        if (cmd.what == verb::eval) {
            m.load(*checkpoint);
            const evaluation tr = m.evaluate(train_set), te = m.evaluate(test_set);
            std::printf("{\"model\":\"%s\",\"train_accuracy\":%s,\"test_accuracy\":%s,\"train_cost\":%s,"
                        "\"test_cost\":%s}\n",
                        spec.name.c_str(), detail::json_number(tr.accuracy).c_str(),
                        detail::json_number(te.accuracy).c_str(), detail::json_number(tr.cost).c_str(),
                        detail::json_number(te.cost).c_str());
            return 0;
        }
        const init_scheme init = cmd.init_name.empty() ? spec.init : parse_init_scheme(cmd.init_name);
        if (cmd.what == verb::gradcheck) {
            if (checkpoint) m.load(*checkpoint);
            else m.initialize(init, fo.seed, spec.init_scale);
            const std::size_t n = std::min(cmd.samples, train_set.size());
            const std::size_t F = model<Net>::sample_size, O = model<Net>::output_size;
            const gradcheck_result r =
                gradcheck(m, std::span(train_set.x).first(n * F), std::span(train_set.y).first(n * O), n,
                          cmd.max_params, cmd.epsilon, fo.seed, 0, 0, step_settings{fo.l2, fo.keep_prob});
            const bool ok = r.difference < 1e-7;
            std::printf("gradcheck: %zu of %zu parameters on %zu samples, float64, eps %g\n"
                        "difference ||g - g~|| / (||g|| + ||g~||) = %.3e  (threshold 1e-7): %s\n",
                        r.checked, r.total, n, cmd.epsilon, r.difference,
                        ok ? "backpropagation is correct" : "MISTAKE in backpropagation");
            return ok ? 0 : 1;
        }
        // train (also with no subcommand)
        if (cmd.epochs > 0) { fo.epochs = cmd.epochs; fo.iterations = 0; }
        fo.quiet = quiet;
        m.initialize(init, fo.seed, cmd.init_scale);
        const fit_history h = fit(m, train_set, fo);
        if (spec.recalibrate_batch_norm > 0) {
            const std::size_t b = fo.batch_size == 0 ? train_set.size() : fo.batch_size;
            const std::size_t layers = m.recalibrate_batch_norm(train_set, b, spec.recalibrate_batch_norm, fo.seed);
            if (!quiet)
                std::printf("batch norm: %zu layers' running averages recomputed over %zu batches of the trained "
                            "network\n", layers, spec.recalibrate_batch_norm);
        }
        const evaluation tr = m.evaluate(train_set), te = m.evaluate(test_set);
        if (!quiet)
            std::printf("train accuracy: %.2f%%   test accuracy: %.2f%%\n", 100 * tr.accuracy, 100 * te.accuracy);
        if (checkpoint) {
            std::string classes;
            for (const std::string& c : train_set.classes) classes += (classes.empty() ? "" : ",") + c;
            m.save(*checkpoint, {{"kiln.schedule", std::string(m.schedule())}, {"kiln.classes", classes}});
        }
        if (const auto& plot_dir = cmd.plot_dir) {
            std::filesystem::create_directories(*plot_dir);
            const double step = h.iteration.size() > 1 ? static_cast<double>(h.iteration[1]) : 1.0;
            plot_curve(*plot_dir / "cost.png", h.cost, step,
                       "kiln-" + spec.name + ": learning rate " + detail::json_number(fo.learning_rate),
                       "iterations", "cost");
            if (spec.plot_extra)
                spec.plot_extra(*plot_dir, [&](std::span<const float> x, std::size_t n) { return m.predict(x, n); },
                                train_set);
        }
        std::printf("{\"model\":\"%s\",\"train_accuracy\":%s,\"test_accuracy\":%s,\"final_cost\":%s,"
                    "\"train_seconds\":%s}\n",
                    spec.name.c_str(), detail::json_number(tr.accuracy).c_str(),
                    detail::json_number(te.accuracy).c_str(), detail::json_number(h.final_cost).c_str(),
                    detail::json_number(h.seconds).c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}

}  // namespace kiln
