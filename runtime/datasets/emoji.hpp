#pragma once
/*  Emojify (C5W2A2): short English sentences labelled with one of five emoji, and the two
    encodings the course feeds its models.
    CLASSES     0 heart (love), 1 baseball (sports), 2 smile (happy), 3 disappointed (sad),
                4 fork_and_knife (food): the course's label numbers.
    SENTENCES   generate_emoji_sentences draws from frames per class ("lets play {sport}",
                "i feel so {sad}") whose slots take words from lists. Every slot list has a
                training half and a test half with no word in common, so a test sentence
                is made of words no training sentence had in that place: "lets play hockey"
                is right only if the word vectors know hockey is like baseball - the point of
                the assignment (the course's test set has "i adore you" against a training
                set with "i love you"). Frames without slots appear in training only. At most
                max_emoji_words words per sentence (the course's maxLen is 10). The classes
                alternate 0 1 2 3 4 0 ..., each sentence distinct. Deterministic for a seed.
    ENCODINGS   lower-case words split on spaces. The course's sentence_to_avg: the mean of
                the words' vectors, words GloVe lacks left out of the mean (GloVe 6B has no
                single letters, so "i" and "a" are absent; the course's 50-d file had them).
                sentences_to_indices: row indices into an embedding table, padded with 0 up to
                T; emoji_vocabulary puts "<pad>" at row 0 (a zero vector: the frozen table
                holds zeros for it and for words GloVe lacks, which also encode as 0).
    ERRORS      kiln::error: a count the frames cannot reach with distinct sentences; a
                sentence longer than T words; an index table wider than the embedding.     */
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/dataset.hpp"
#include "runtime/word_vectors.hpp"

namespace kiln::datasets {

inline constexpr std::size_t emoji_classes = 5, max_emoji_words = 10;
inline constexpr std::array<std::string_view, emoji_classes> emoji_names = {"heart", "baseball", "smile",
                                                                             "disappointed", "fork_and_knife"};
inline constexpr std::array<std::string_view, emoji_classes> emoji_symbols = {"\u2764\ufe0f", "\u26be",
                                                                               "\U0001F604", "\U0001F61E",
                                                                               "\U0001F374"};

enum class emoji_split { train, test };

struct emoji_sentence {
    std::string text;
    int label = 0;
};

std::vector<emoji_sentence> generate_emoji_sentences(emoji_split split, std::size_t count, std::uint64_t seed);

// Every word any frame or slot list can produce, sorted: the words the GloVe subset must keep
// (networks/c5w2_word_vectors/extra_words.txt lists them).
std::vector<std::string> emoji_words();

std::vector<std::string> split_words(std::string_view sentence);

// The course's sentence_to_avg: the mean of the vectors of the words `vectors` has (zeros when
// it has none of them).
std::vector<float> sentence_average(const text::word_vectors& vectors, std::string_view sentence);

// Rows of an embedding table: "<pad>" = 0, then `words` in order.
struct emoji_vocabulary {
    std::vector<std::string> words;  // row -> word; words[0] == "<pad>"
    std::unordered_map<std::string, std::size_t> index;

    explicit emoji_vocabulary(const std::vector<std::string>& words);
    std::size_t size() const { return words.size(); }
    std::size_t row(std::string_view word) const;  // 0 when unknown
    // The (D, V) table of an embedding<V, D> (W(d, v) at v * D + d): GloVe's vector for each
    // word it has, zeros for "<pad>" and the rest. REQUIRES rows >= size().
    std::vector<float> table(const text::word_vectors& vectors, std::size_t rows) const;
};

// The course's sentences_to_indices for one sentence: T floats (kiln's (1, T) sequence of
// indices), 0 past the last word.
std::vector<float> sentence_indices(const emoji_vocabulary& vocabulary, std::string_view sentence, std::size_t T);

// Both models' data for `sentences`, one-hot labels over the five classes (named):
// averages (features D: V1's input) and indices (features T: V2's input).
struct emoji_data {
    dataset averages, indices;
};
emoji_data encode_emoji(const std::vector<emoji_sentence>& sentences, const text::word_vectors& vectors,
                        const emoji_vocabulary& vocabulary, std::size_t T);

}  // namespace kiln::datasets
