#pragma once
/*  fit: the training loop - mini-batch gradient descent (or momentum, RMSprop, Adam) over a
    dataset, with L2, dropout and learning-rate decay as the options say.
    SEMANTICS  an iteration is one optimizer step. batch_size 0 means the whole training set
               (the course's batch gradient descent). Each epoch draws a new permutation
               (the course's random_mini_batches: shuffle, then partition; the last batch is
               smaller). Training runs `iterations` steps if set, else `epochs` epochs.
    REPORTS    at iterations 0, print_every, 2 print_every ... (counted from 0, as the course
               does) and at the end: the cost of that step's batch before its update, with
               epoch, training accuracy (of 512 samples spread over the set), samples/s and time left. The history (what --plot
               draws) takes the cost every record_every iterations, by default ten times
               as often as it is printed.
    AUGMENT    when opt.augment is set, each step trains on a copy of its batch (one reusable
               buffer) that augment(copy, batch size, seed) altered in place, with seed a mix
               of (opt.seed, step); e.g. kiln::augmenter(geometry, augmentation) from
               runtime/augment.hpp. The printed training accuracy stays on the un-augmented set.
    ERRORS     a cost that is NaN or infinite stops training with the iteration and a hint.  */
#include <chrono>
#include <memory>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "runtime/dataset.hpp"
#include "runtime/lr_schedule.hpp"
#include "runtime/model.hpp"
#include "runtime/optimizer.hpp"

namespace kiln {

struct fit_options {
    float learning_rate = 0.01f;
    std::size_t iterations = 0;  // optimizer steps; 0: use epochs
    std::size_t epochs = 1;
    std::size_t batch_size = 0;  // 0: the whole training set
    std::uint64_t seed = 1;
    std::size_t print_every = 100;
    std::size_t record_every = 0;  // cost history interval; 0: print_every / 10 (at least 1)
    bool quiet = false;
    float l2 = 0;         // C2W1 regularisation: lambda
    float keep_prob = 1;  // C2W1 dropout (needs dropout layers in the network)
    std::string optimizer = "sgd";  // C2W2: sgd, momentum, rmsprop, adam (make_optimizer)
    std::string lr_decay = "constant";  // C2W2: constant, exponential:R, interval:R:T (per epoch)
    // C4W2A2 data augmentation (see AUGMENT); empty: train on the batches as drawn.
    std::function<void(std::span<float> x, std::size_t n, std::uint64_t seed)> augment;
};

struct fit_history {
    std::vector<std::size_t> iteration;  // where each recorded cost was taken (0, k, 2k ...)
    std::vector<float> cost;             // the mean cost of that step's batch
    double seconds = 0;
    std::size_t samples = 0;  // samples processed (sum of batch sizes)
    float final_cost = 0;
};

template <class Net>
fit_history fit(model<Net>& m, const dataset& train, const fit_options& opt) {
    train.validate("training data");
    const std::size_t n = train.size();
    const std::size_t batch = opt.batch_size == 0 ? n : std::min(opt.batch_size, n);
    const std::size_t per_epoch = (n + batch - 1) / batch;
    const std::size_t total = opt.iterations > 0 ? opt.iterations : opt.epochs * per_epoch;
    if (total == 0) throw error("fit: nothing to do - give iterations or epochs > 0");
    step_settings{opt.l2, opt.keep_prob}.validate();  // before any work
    const std::unique_ptr<optimizer> method = make_optimizer(opt.optimizer, opt.learning_rate);
    const lr_schedule decay = parse_lr_schedule(opt.lr_decay, opt.learning_rate);
    const std::size_t record_every =
        opt.record_every > 0 ? opt.record_every : std::max<std::size_t>(1, opt.print_every / 10);
    // The reported training accuracy is taken on at most 512 samples spread evenly over the
    // set (a set may be sorted by class): evaluating a big set at every report would cost more
    // than the training (ResNet-50).
    dataset sampled;
    if (n > 512) {
        std::vector<std::size_t> every(512);
        for (std::size_t i = 0; i < every.size(); ++i) every[i] = i * n / every.size();
        sampled = gather(train, every);
    }
    const dataset& probe = n > 512 ? sampled : train;
    fit_history h;
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    std::vector<float> augmented;  // the batch copy opt.augment alters
    std::size_t step = 0;
    for (std::size_t epoch = 0; step < total; ++epoch) {
        // Batch gradient descent takes the set as it is: the order does not change the step.
        const bool whole = batch >= n;
        mini_batches batches(train, whole ? n : batch, opt.seed + epoch);
        method->set_learning_rate(decay.at(epoch));
        for (std::size_t b = 0; b < batches.count() && step < total; ++b) {
            batch_view bv = whole ? batch_view{train.x, train.y, n} : batches[b];
            if (opt.augment) {
                augmented.assign(bv.x.begin(), bv.x.end());
                opt.augment(augmented, bv.size, opt.seed ^ (0x9E3779B97F4A7C15ull * (step + 1)));
                bv.x = augmented;
            }
            const step_settings settings{opt.l2, opt.keep_prob, static_cast<std::uint32_t>(opt.seed),
                                         static_cast<std::uint32_t>(step)};
            const float cost = m.train_step(bv.x, bv.y, bv.size, *method, settings);
            if (!std::isfinite(cost))
                throw error(std::string(m.kernels().network) + ": the cost became " + std::to_string(cost) +
                            " at iteration " + std::to_string(step) + " (learning rate " +
                            std::to_string(method->learning_rate()) + "); lower the learning rate or check the data");
            h.samples += bv.size;
            h.final_cost = cost;
            const std::size_t i = step++;  // the course counts iterations from 0
            if (i % record_every == 0) {
                h.iteration.push_back(i);
                h.cost.push_back(cost);
            }
            if (!opt.quiet && (i % opt.print_every == 0 || step == total)) {
                const double secs = std::chrono::duration<double>(clock::now() - start).count();
                const double acc = m.evaluate(probe).accuracy;
                std::printf("Cost after iteration %zu: %.6f | epoch %zu | train accuracy %.2f%% | "
                            "%.3g samples/s | %.1fs left\n",
                            i, cost, epoch + 1, 100.0 * acc, h.samples / std::max(secs, 1e-9),
                            secs / static_cast<double>(step) * static_cast<double>(total - step));
                std::fflush(stdout);
            }
        }
    }
    h.seconds = std::chrono::duration<double>(clock::now() - start).count();
    return h;
}

}  // namespace kiln
