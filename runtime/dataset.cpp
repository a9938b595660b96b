#include "runtime/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "runtime/error.hpp"
#include "runtime/random.hpp"

namespace kiln {

namespace {

void check_sizes(const dataset& d, const std::string& where) {
    const std::size_t features = d.features, outputs = d.outputs;
    const std::vector<float>&x = d.x, &y = d.y;
    if (features == 0) throw error(where + ": dataset has features = 0; set the feature count");
    if (x.size() % features != 0)
        throw error(where + ": x holds " + std::to_string(x.size()) +
                    " values, not a multiple of features = " + std::to_string(features));
    const std::size_t m = d.size();
    if (y.size() != m * outputs)
        throw error(where + ": y holds " + std::to_string(y.size()) + " values; expected " +
                    std::to_string(m) + " samples x " + std::to_string(outputs) + " outputs = " +
                    std::to_string(m * outputs));
}

}  // namespace

void dataset::validate(std::string_view what) const {
    const std::string where(what);
    check_sizes(*this, where);
    for (std::size_t i = 0; i < x.size(); ++i)
        if (!std::isfinite(x[i]))
            throw error(where + ": sample " + std::to_string(i / features) + ", feature " +
                        std::to_string(i % features) + " of x is " + std::to_string(x[i]) +
                        "; clean the input data (NaN/Inf would poison training)");
    for (std::size_t i = 0; i < y.size(); ++i)
        if (!std::isfinite(y[i]))
            throw error(where + ": sample " + std::to_string(i / outputs) + ", output " +
                        std::to_string(i % outputs) + " of y is " + std::to_string(y[i]) +
                        "; clean the labels");
}

std::vector<float> one_hot(std::span<const int> labels, std::size_t classes) {
    std::vector<float> y(labels.size() * classes, 0.0f);
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] < 0 || static_cast<std::size_t>(labels[i]) >= classes)
            throw error("one_hot: label " + std::to_string(labels[i]) + " of sample " +
                        std::to_string(i) + " is outside [0, " + std::to_string(classes) +
                        "); check the class count");
        y[i * classes + static_cast<std::size_t>(labels[i])] = 1.0f;
    }
    return y;
}

dataset gather(const dataset& data, std::span<const std::size_t> indices) {
    dataset out;
    out.features = data.features;
    out.outputs = data.outputs;
    out.classes = data.classes;
    out.x.reserve(indices.size() * data.features);
    out.y.reserve(indices.size() * data.outputs);
    for (std::size_t i : indices) {
        out.x.insert(out.x.end(), data.x.begin() + i * data.features,
                     data.x.begin() + (i + 1) * data.features);
        out.y.insert(out.y.end(), data.y.begin() + i * data.outputs,
                     data.y.begin() + (i + 1) * data.outputs);
    }
    return out;
}

std::pair<dataset, dataset> split(const dataset& data, double test_fraction, std::uint64_t seed,
                                  bool stratified) {
    data.validate("split");
    if (!(test_fraction >= 0.0 && test_fraction < 1.0))
        throw error("split: test_fraction is " + std::to_string(test_fraction) +
                    "; expected a value in [0, 1)");
    const std::size_t m = data.size();

    // Group sample indices by class (one group when not stratified).
    std::map<std::size_t, std::vector<std::size_t>> groups;
    for (std::size_t i = 0; i < m; ++i) {
        std::size_t cls = 0;
        if (stratified) {
            if (data.outputs == 0)
                throw error("split: stratified split needs labels but the dataset has none; "
                            "pass stratified = false");
            const float* row = data.y.data() + i * data.outputs;
            if (data.outputs == 1) {
                if (row[0] != 0.0f && row[0] != 1.0f)
                    throw error("split: sample " + std::to_string(i) + " has target " +
                                std::to_string(row[0]) + ", not a 0/1 label; stratify only "
                                "classification data, or pass stratified = false");
                cls = row[0] == 1.0f ? 1 : 0;
            } else {
                cls = static_cast<std::size_t>(std::max_element(row, row + data.outputs) - row);
            }
        }
        groups[cls].push_back(i);
    }

    rng random(seed);
    std::vector<std::size_t> train, test;
    for (auto& [cls, members] : groups) {
        random.shuffle(std::span(members));
        const auto n_test = static_cast<std::size_t>(
            std::llround(test_fraction * static_cast<double>(members.size())));
        test.insert(test.end(), members.begin(), members.begin() + n_test);
        train.insert(train.end(), members.begin() + n_test, members.end());
    }
    if (train.empty())
        throw error("split: test_fraction " + std::to_string(test_fraction) + " of " +
                    std::to_string(m) + " samples leaves no training samples; use a smaller "
                    "fraction");
    std::sort(train.begin(), train.end());
    std::sort(test.begin(), test.end());
    return {gather(data, train), gather(data, test)};
}

mini_batches::mini_batches(const dataset& data, std::size_t batch_size, std::uint64_t seed)
    : features_(data.features), outputs_(data.outputs), batch_size_(batch_size) {
    if (batch_size == 0) throw error("mini_batches: batch_size is 0; expected at least 1");
    check_sizes(data, "mini_batches");
    const std::size_t m = data.size();
    order_.resize(m);
    std::iota(order_.begin(), order_.end(), std::size_t{0});
    rng random(seed);
    random.shuffle(std::span(order_));
    for (std::size_t s = 0; s < m; s += batch_size) starts_.push_back(s);
    data_ = &data;
}

batch_view mini_batches::operator[](std::size_t i) const {
    if (i >= starts_.size())
        throw error("mini_batches: batch " + std::to_string(i) + " requested, but there are " +
                    std::to_string(starts_.size()));
    const std::size_t begin = starts_[i];
    const std::size_t n = std::min(batch_size_, order_.size() - begin);
    x_.resize(n * features_);
    y_.resize(n * outputs_);
    for (std::size_t k = 0; k < n; ++k) {
        const std::size_t s = order_[begin + k];
        std::copy_n(data_->x.begin() + static_cast<std::ptrdiff_t>(s * features_), features_,
                    x_.begin() + static_cast<std::ptrdiff_t>(k * features_));
        std::copy_n(data_->y.begin() + static_cast<std::ptrdiff_t>(s * outputs_), outputs_,
                    y_.begin() + static_cast<std::ptrdiff_t>(k * outputs_));
    }
    return {std::span<const float>(x_), std::span<const float>(y_), n};
}

}  // namespace kiln
