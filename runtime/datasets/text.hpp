#pragma once
/*  Text for character-level models (C5W1 dinosaur names, the Jane Austen LSTM): the six novels,
    a character vocabulary, and training windows in kiln's sequence layout (F, T, N).
    SOURCE      Debian's r-cran-janeaustenr 1.0.0 (Julia Silge's janeaustenr, MIT; texts from
                Project Gutenberg): data/Rdata.rd[bx], an R lazy-load database of six character
                vectors, one element per printed line (blank lines are ""), read with
                kiln::rdata. scripts/fetch-text.sh copies the three data files into
                data/janeaustenr/ without installing R.
    load_austen_novels  the six novels in the order of janeaustenr's austen_books() (publication
                order): sensesensibility "Sense & Sensibility" (12,624 lines), prideprejudice
                "Pride & Prejudice" (13,030), mansfieldpark "Mansfield Park" (15,349), emma
                "Emma" (16,235), northangerabbey "Northanger Abbey" (7,856), persuasion
                "Persuasion" (8,328): 73,422 lines, the row count of austen_books().
    load_jane_austen  every line of the six novels in that order joined with one '\n' between
                consecutive lines (none after the last): UTF-8 text (one '£' in Mansfield Park
                is the only non-ASCII character).
    char_vocabulary  the sorted unique Unicode code points of a text (UTF-8 decoded; code
                points, not bytes, so '£' is one symbol). index i <-> chars()[i]. Unknown
                characters encode to fallback_index(): the index of the fallback character
                given to from_text (default ' ') when the vocabulary has it, else 0.
                FILE  text, one line each: "kiln-char-vocabulary 1", "size <V>", "fallback <i>",
                then V lines "U+<hex code point>" (optionally a space and the character
                itself, ignored when read), in index order.
    WINDOWS     a window at offset o of an encoded text e covers x_t = e[o + t] and the target
                y_t = e[o + t + 1], t = 0..T-1; it needs o + T < length(e).
                random_window_offsets: N offsets uniform in [0, length - T) from kiln::rng.
                consecutive_window_offsets: the non-overlapping windows k*T, k = 0..K-1 with
                K = (length - 1) / T, taking N of them from window `first`, wrapping at K.
                index_batch  x[n*T + t], y[n*T + t]  (T, N; t fastest)
                one_hot_batch  x[(n*T + t)*F + f] = 1 when f == x index, y likewise: kiln's
                sequence layout (F, T, N) with F innermost; y_index keeps the targets as
                indices.
    ERRORS      kiln::error: data/janeaustenr missing (names scripts/fetch-text.sh); a novel
                missing from the database or with a line count other than the one above;
                invalid UTF-8 (the byte offset); a vocabulary file that does not parse; a
                window that runs past the text; an index outside [0, F).                   */
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/random.hpp"

namespace kiln::datasets {

// <source tree>/data: where scripts/fetch-text.sh writes janeaustenr/ and dinosaurs/.
std::filesystem::path default_text_data_dir();

struct austen_title {
    std::string_view variable;  // the R object's name in the package's data
    std::string_view title;     // austen_books()'s factor level
    std::size_t lines;          // lines in janeaustenr 1.0.0
};
inline constexpr std::array<austen_title, 6> austen_novels = {{
    {"sensesensibility", "Sense & Sensibility", 12624},
    {"prideprejudice", "Pride & Prejudice", 13030},
    {"mansfieldpark", "Mansfield Park", 15349},
    {"emma", "Emma", 16235},
    {"northangerabbey", "Northanger Abbey", 7856},
    {"persuasion", "Persuasion", 8328},
}};

struct austen_novel {
    std::string title;               // "Sense & Sensibility"
    std::vector<std::string> lines;  // UTF-8, one per printed line
};

std::vector<austen_novel> load_austen_novels(
    const std::filesystem::path& dir = default_text_data_dir() / "janeaustenr");
std::string load_jane_austen(
    const std::filesystem::path& dir = default_text_data_dir() / "janeaustenr");

// UTF-8 <-> code points; decoding throws on malformed input, naming the byte offset.
std::u32string utf8_decode(std::string_view utf8);
std::string utf8_encode(std::u32string_view chars);

class char_vocabulary {
public:
    char_vocabulary() = default;
    static char_vocabulary from_text(std::string_view utf8, char32_t fallback = U' ');
    // Any code points: sorted and deduplicated here.
    static char_vocabulary from_chars(std::u32string chars, char32_t fallback = U' ');
    static char_vocabulary load(const std::filesystem::path& path);
    void save(const std::filesystem::path& path) const;

    std::size_t size() const { return chars_.size(); }
    const std::u32string& chars() const { return chars_; }
    char32_t char_at(std::size_t index) const;       // throws outside [0, size())
    bool contains(char32_t c) const;
    std::int32_t index_of(char32_t c) const;         // fallback_index() when unknown
    std::int32_t fallback_index() const { return fallback_; }

    std::vector<std::int32_t> encode(std::string_view utf8) const;
    std::string decode(std::span<const std::int32_t> indices) const;

    bool operator==(const char_vocabulary&) const = default;

private:
    std::u32string chars_;   // sorted, unique
    std::int32_t fallback_ = 0;
};

struct index_batch {
    std::size_t T = 0, N = 0;
    std::vector<std::int32_t> x, y;  // [n*T + t]
};

struct one_hot_batch {
    std::size_t F = 0, T = 0, N = 0;
    std::vector<float> x, y;          // [(n*T + t)*F + f]
    std::vector<std::int32_t> y_index;  // [n*T + t]
};

std::vector<std::size_t> random_window_offsets(std::size_t length, std::size_t T,
                                               std::size_t N, rng& random);
std::vector<std::size_t> consecutive_window_offsets(std::size_t length, std::size_t T,
                                                    std::size_t N, std::size_t first = 0);
index_batch make_windows(std::span<const std::int32_t> encoded,
                         std::span<const std::size_t> offsets, std::size_t T);
one_hot_batch one_hot(const index_batch& batch, std::size_t F);

}  // namespace kiln::datasets
