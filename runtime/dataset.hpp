#pragma once
/*  In-memory datasets, train/test splits and seeded mini-batches.
    LAYOUT      sample m's features are x[m*features + f] (innermost-first within a sample:
                an image is (C, W, H), i.e. HWC bytes); targets y[m*outputs + o]:
                outputs = 1 for 0/1 labels, outputs = C for one-hot over C classes.
    split       shuffles with the seed (kiln::rng, Fisher-Yates) and puts round(n*test_fraction)
                samples in the test set - per class when stratified, so each class keeps its
                ratio. Both halves keep the samples' original relative order.
                Stratification reads classes from y: outputs == 1 -> the 0/1 label,
                outputs > 1 -> the arg-max of the one-hot row.
    mini_batches the course's random_mini_batches: permute all samples with the epoch seed,
                then cut consecutive batches of batch_size; the last one is smaller when
                batch_size does not divide m. A batch is gathered when it is asked for, into
                storage the object owns and reuses: a view stays valid until the next
                operator[] (one batch of memory, not a shuffled copy of the whole set).
                The dataset must outlive the object.                                      */
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln {

struct dataset {
    std::size_t features = 0, outputs = 0;
    std::vector<float> x, y;
    std::vector<std::string> classes;

    std::size_t size() const { return features == 0 ? 0 : x.size() / features; }
    // Throws kiln::error (prefixed with `what`) unless the sizes agree and every x and y value
    // is finite; the message names the first bad sample and feature.
    void validate(std::string_view what) const;
};

std::pair<dataset, dataset> split(const dataset& data, double test_fraction, std::uint64_t seed,
                                  bool stratified = true);

// y for integer labels: one-hot rows of `classes` floats; throws on a label outside [0, classes).
std::vector<float> one_hot(std::span<const int> labels, std::size_t classes);

// The samples at `indices`, in that order (x, y and classes copied).
dataset gather(const dataset& data, std::span<const std::size_t> indices);

struct batch_view {
    std::span<const float> x, y;
    std::size_t size;
};

class mini_batches {
public:
    mini_batches(const dataset& data, std::size_t batch_size, std::uint64_t seed /* epoch seed */);
    std::size_t count() const { return starts_.size(); }
    batch_view operator[](std::size_t i) const;
    // The sample order of this epoch: batch i holds order()[i*batch_size ...].
    const std::vector<std::size_t>& order() const { return order_; }

private:
    std::size_t features_, outputs_, batch_size_;
    std::vector<std::size_t> order_, starts_;
    const dataset* data_ = nullptr;
    mutable std::vector<float> x_, y_;  // the batch last asked for, contiguous
};

}  // namespace kiln
