#include "runtime/cli.hpp"

#include <CLI/CLI.hpp>

namespace kiln {

std::optional<int> parse_app_command(int argc, char** argv, const app_spec& spec, app_command& cmd) {
    CLI::App app{"kiln-" + spec.name + ": " + spec.summary};
    app.require_subcommand(0, 1);
    cmd.fit = spec.fit;
    cmd.init_scale = spec.init_scale;
    fit_options& fo = cmd.fit;

    auto add_common = [&](CLI::App* c) {
        c->add_option("--data", cmd.data, "data file (the course's HDF5 layout) instead of the default data")
            ->check(CLI::ExistingFile);
        c->add_option("--schedule", cmd.schedule, "compiled schedule to run (see `info`)");
        c->add_option("--device", cmd.device, device_help)->check(CLI::IsMember(device_choices));
        c->add_option("--seed", fo.seed, "seed of initialisation, shuffling and splits");
    };
    CLI::App* train = app.add_subcommand("train", "train on the data and report (the default)");
    add_common(train);
    train->add_option("--learning-rate,--lr", fo.learning_rate, "gradient descent step size")
        ->check(CLI::PositiveNumber);
    auto* iters = train->add_option("--iterations", fo.iterations, "optimizer steps")->check(CLI::PositiveNumber);
    train->add_option("--epochs", cmd.epochs, "passes over the training set")->check(CLI::PositiveNumber)->excludes(iters);
    train->add_option("--batch-size", fo.batch_size, "samples per step; 0 = the whole training set");
    train->add_option("--init", cmd.init_name, "weight initialisation: zeros, random, xavier, he");
    train->add_option("--init-scale", cmd.init_scale, "the scale of --init random (0.01; the course's 'large' is 10)")
        ->check(CLI::PositiveNumber);
    train->add_option("--print-every", fo.print_every, "report the cost every N iterations")
        ->check(CLI::PositiveNumber);
    train->add_option("--checkpoint", cmd.checkpoint, "save the trained parameters here (safetensors)");
    train->add_option("--plot", cmd.plot_dir, "write the cost curve (and other pictures) as PNG into this folder");
    train->add_flag("--quiet", cmd.quiet, "print only the final JSON line");
    auto add_regularisation = [&](CLI::App* c) {
        c->add_option("--l2", fo.l2, "L2 regularisation lambda (cost += lambda / 2m sum W^2)");
        c->add_option("--keep-prob", fo.keep_prob, "dropout keep probability in (0, 1]; 1 = off");
    };
    add_regularisation(train);
    train->add_option("--optimizer", fo.optimizer, "sgd, momentum, rmsprop or adam");
    train->add_option("--lr-decay", fo.lr_decay,
                      "learning-rate decay per epoch: constant, exponential:RATE or interval:RATE:EPOCHS");
    CLI::App* eval = app.add_subcommand("eval", "evaluate a checkpoint on the train and test data");
    add_common(eval);
    eval->add_option("--checkpoint", cmd.checkpoint, "trained parameters")->required()->check(CLI::ExistingFile);
    CLI::App* predict = app.add_subcommand("predict", "classify inputs with a checkpoint");
    predict->add_option("--checkpoint", cmd.checkpoint, "trained parameters")->required()->check(CLI::ExistingFile);
    predict->add_option("--schedule", cmd.schedule, "compiled schedule to run");
    predict->add_option("--device", cmd.device, device_help)->check(CLI::IsMember(device_choices));
    predict->add_option("inputs", cmd.inputs, spec.predict_help)->required();
    CLI::App* info = app.add_subcommand("info", "layers, shapes and parameter count");
    CLI::App* grad = app.add_subcommand("gradcheck", "backprop against centred differences in float64");
    add_common(grad);
    grad->add_option("--checkpoint", cmd.checkpoint, "check at these parameters instead of fresh ones")
        ->check(CLI::ExistingFile);
    grad->add_option("--samples", cmd.samples, "training samples in the checked cost")->check(CLI::PositiveNumber);
    grad->add_option("--max-params", cmd.max_params, "check a seeded sample of at most this many parameters")
        ->check(CLI::PositiveNumber);
    grad->add_option("--epsilon", cmd.epsilon, "finite-difference step")->check(CLI::PositiveNumber);
    add_regularisation(grad);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // app.exit prints the help or CLI11's message; its status is CLI11's own (105, 109 ...),
        // and a bad command line exits 2, as the header says
        return app.exit(e) == 0 ? 0 : 2;
    }
    using verb = app_command::verb;
    cmd.what = info->parsed()      ? verb::info
               : predict->parsed() ? verb::predict
               : eval->parsed()    ? verb::eval
               : grad->parsed()    ? verb::gradcheck
                                   : verb::train;
    return std::nullopt;
}

}  // namespace kiln
