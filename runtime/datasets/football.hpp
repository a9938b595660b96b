#pragma once
/*  A stand-in for C2W1's "football field" set (regularization notebook, load_2D_dataset):
    where the French goal-keeper kicked the ball, and whether a French player (1, blue) or an
    opponent (0, red) hit it with the head. The course's data.mat is not available here, so
    this generator reproduces its character, not its points.
    THE RECIPE     (every number below is a default of football_options)
      points       x1 ~ U[-0.75, 0.45), x2 ~ U[-0.8, 0.8): the course's field.
      boundary     x1 = g(x2) = -0.15 + 0.12 sin(4 x2 + 0.5) + 0.05 sin(11 x2 + 1):
                   a wiggly line near x1 = 0; g stays in [-0.32, 0.02], so about half the
                   field is French (true label 1 when x1 > g(x2)), a band along the right.
      label noise  d = x1 - g(x2) (horizontal distance). Of the points with |d| < band
                   (0.1), exactly round(near_noise * n) (5%) chosen at random are flipped -
                   players who crossed the line; of the points with |d| >= 2 band, exactly
                   round(isolated_noise * n) (1.5%) are flipped - isolated mislabelled
                   points deep in the other side. When fewer candidates exist, all of them
                   are flipped. Default train: 11 + 3 = 14 flips of 211 (6.6%); test: 10 + 3
                   = 13 of 200 (6.5%).
      why          a 2->20->3->1 net without regularisation bends its boundary around the
                   flipped points (train accuracy above the clean 93.4%, test below it), which
                   L2 and dropout undo: the course's overfitting story. Checked with
                   scikit-learn's MLPClassifier((20, 3), relu, full-batch GD, lr 0.3, 30000
                   steps; 4 of 5 initialisations converged): seed 1 unregularised train
                   91.5-94.8% / test 89-92.5%; seed 4 train 95.7-98.6% / test 89-92%; L2
                   (alpha = lambda = 0.7) train 90.5-91.5% / test 90.5-91% and 94.3% / 91.5-92%.
      order        one kiln::rng stream: the train points (x1, x2 per point), the train
                   flips, then the test points and the test flips. Samples in draw order.
    GIVES          football_data {train, test}: kiln::dataset, features = 2 (x1, x2),
                   outputs = 1 (0/1), classes {"other team", "France"}.
    REQUIRES       near_noise, isolated_noise in [0, 1]; band > 0; else kiln::error.       */
#include <cstddef>
#include <cstdint>

#include "runtime/dataset.hpp"

namespace kiln {

struct football_options {
    std::size_t train = 211, test = 200;
    double near_noise = 0.05;       // fraction of n flipped within `band` of the boundary
    double isolated_noise = 0.015;  // fraction of n flipped at least 2 * band away from it
    double band = 0.1;              // in x1 units
    std::uint64_t seed = 1;
};

struct football_data {
    dataset train, test;
};

football_data load_football(const football_options& options = {});

// The noise-free boundary g(x2) and the label it gives (1 = France when x1 > g(x2)).
double football_boundary(double x2);
int football_true_label(double x1, double x2);

}  // namespace kiln
