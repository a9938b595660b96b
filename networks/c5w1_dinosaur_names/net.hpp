#pragma once
// C5W1A2 "Dinosaurus Island": a character-level RNN over the course's 27 characters
// ('\n', a-z), hidden size 50, a softmax over the next character at every step.
//   dinosaur_names       training: a name as T = 27 steps, X = [0, name], Y = [name, '\n'],
//                        padded with zero inputs and all-zero targets (they cost nothing
//                        and give no gradient, see dsl/layers/losses.hpp)
//   dinosaur_names_step  one step for sampling: [x_t; a_{t-1}] -> [a_t; y_t], the same
//                        parameter names (rnn1.W_x, rnn1.W_h, rnn1.b, dense1.W, dense1.b)
#include "dsl/kiln.hpp"

namespace kiln::networks {

inline constexpr int dino_vocabulary = 27, dino_hidden = 50, dino_steps = 27;

inline constexpr auto dinosaur_names = input(sequence<dino_vocabulary, dino_steps>) >>
                                       rnn<dino_hidden>(return_sequences) >>
                                       time_distributed(dense<dino_vocabulary>) >> loss::softmax_cross_entropy;

inline constexpr auto dinosaur_step_cell = input(features<dino_vocabulary + dino_hidden>) >> rnn_cell<dino_hidden>;
inline constexpr auto dinosaur_names_step =
    concat(dinosaur_step_cell, dinosaur_step_cell >> dense<dino_vocabulary> >> softmax);

}  // namespace kiln::networks
