#pragma once
// C5W2A2 "Emojify": a sentence -> one of five emoji (runtime/datasets/emoji.hpp).
//   emojify_v1  the course's Emojify-V1: the mean of the sentence's GloVe vectors (computed by
//               the reader, sentence_average), one dense layer, softmax.
//   emojify_v2  Emojify-V2 (Keras): word indices -> the frozen GloVe embedding -> LSTM(128)
//               over every step -> dropout -> LSTM(128), last state -> dropout -> dense(5),
//               softmax. The embedding has emojify_vocabulary rows: "<pad>" (row 0, zeros) and
//               the template words; its table is loaded from GloVe, never trained.
#include "dsl/kiln.hpp"

namespace kiln::networks {

inline constexpr int emojify_dim = 100, emojify_words = 10, emojify_vocabulary = 320, emojify_classes = 5;

inline constexpr auto emojify_v1 =
    input(features<emojify_dim>) >> dense<emojify_classes> >> loss::softmax_cross_entropy;

inline constexpr auto emojify_v2 = input(sequence<1, emojify_words>) >>
                                   frozen(embedding<emojify_vocabulary, emojify_dim>) >>
                                   lstm<128>(return_sequences) >> dropout >> lstm<128> >> dropout >>
                                   dense<emojify_classes> >> loss::softmax_cross_entropy;

}  // namespace kiln::networks
