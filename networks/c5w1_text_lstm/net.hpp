#pragma once
// A character-level LSTM on Jane Austen's six novels (C5W1's "Writing like Shakespeare",
// on the text Debian ships): windows of 40 characters of a fixed 96-character vocabulary
// ('\n' and printable ASCII; anything else reads as ' '), one LSTM of 128 units, a softmax
// over the next character at every step.
//   text_lstm       training: X = 40 characters, Y = the same window shifted by one
//   text_lstm_step  one step for generation: [x_t; h_{t-1}; c_{t-1}] -> [h_t; c_t; y_t],
//                   the same parameter names (lstm1.*, dense1.*)
#include "dsl/kiln.hpp"

namespace kiln::networks {

inline constexpr int text_vocabulary = 96, text_hidden = 128, text_steps = 40;

inline constexpr auto text_lstm = input(sequence<text_vocabulary, text_steps>) >>
                                  lstm<text_hidden>(return_sequences) >>
                                  time_distributed(dense<text_vocabulary>) >> loss::softmax_cross_entropy;

inline constexpr auto text_step_cell = input(features<text_vocabulary + 2 * text_hidden>) >> lstm_cell<text_hidden>;
inline constexpr auto text_lstm_step =
    concat(text_step_cell, text_step_cell >> slice<0, text_hidden> >> dense<text_vocabulary> >> softmax);

}  // namespace kiln::networks
