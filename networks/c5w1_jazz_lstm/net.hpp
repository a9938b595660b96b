#pragma once
// C5W1A3 "Improvise a Jazz Solo with an LSTM Network": a melody as a sequence of values (a
// pitch or a rest, with a duration: runtime/melody.hpp), an LSTM of 64 units over 30 steps,
// a softmax over the next value at every step (the course: 90 values, Tx = 30, n_a = 64).
//   jazz_lstm  training: X = 30 values one-hot, Y = the same window one value later
//   jazz_step  one step for generation: [x_t; h_{t-1}; c_{t-1}] -> [h_t; c_t; y_t], the same
//              parameter names (lstm1.*, dense1.*): the course's music_inference_model,
//              which feeds each drawn value back as the next input
#include "dsl/kiln.hpp"

namespace kiln::networks {

inline constexpr int jazz_values = 96, jazz_hidden = 64, jazz_steps = 30;

inline constexpr auto jazz_lstm = input(sequence<jazz_values, jazz_steps>) >> lstm<jazz_hidden>(return_sequences) >>
                                  time_distributed(dense<jazz_values>) >> loss::softmax_cross_entropy;

inline constexpr auto jazz_step_cell = input(features<jazz_values + 2 * jazz_hidden>) >> lstm_cell<jazz_hidden>;
inline constexpr auto jazz_step =
    concat(jazz_step_cell, jazz_step_cell >> slice<0, jazz_hidden> >> dense<jazz_values> >> softmax);

}  // namespace kiln::networks
