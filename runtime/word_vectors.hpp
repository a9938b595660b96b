#pragma once
/*  Word vectors in the GloVe text format, and C5W2A1's operations on them ("Operations on
    word vectors": cosine similarity, analogies, Bolukbasi et al. 2016's debiasing).
    FORMAT      one word per line, then its D numbers; fields separated by spaces or tabs,
                lines by "\n" or "\r\n", the last "\n" optional. D > 0 is set by line 1. The
                word is the first field (GloVe 6B and 42B have no word with a space in it).
    load_glove  keeps every line, or only the lines whose word is in `only` (a later model's
                vocabulary: unknown words are simply absent - ask with find / lookup). Rows are
                in file order either way (GloVe's files are in frequency order). Every line is
                checked, kept or not. Throws kiln::error naming the file, the line number and
                the word, what was expected and what was found, for: a missing or unreadable
                file (hint: scripts/fetch-glove.sh); an empty file; an empty line; a line with no
                numbers; a line whose count of numbers differs from line 1's (a cut-short last
                line is called truncated); a field that is not a number or not finite (NaN,
                inf, beyond float's range); a duplicate word - an error rather than first-wins:
                GloVe's files hold none, so a repeat means a damaged or concatenated file.
    word_vectors  vocabulary (word -> row) and a row-major float32 matrix, size() x dim.
    cosine_similarity(u, v)   u.v / (|u| |v|), accumulated in double. As the course: 1 when
                u == v element by element (two zero vectors included), else 0 when either is
                the zero vector. REQUIRES u.size() == v.size().
    complete_analogy(a, b, c) a : b :: c : ?, the word w of the vocabulary, w not in {a, b, c},
                with the highest score; the first in file order among equal scores (the course's
                strict >). Words as given (no lower-case folding: GloVe 6B is lower case).
                  analogy_method::course   cos(e_b - e_a, e_w - e_c), the course's loop
                  analogy_method::cos_add  cos(e_w, u_b - u_a + u_c), u = e / |e|: Mikolov et
                                           al. 2013's 3CosAdd (gensim's most_similar). On GloVe
                                           100-d only this one gives man:woman::king:queen.
    most_similar(word, k)     the k words w != word with the highest cos(e_word, e_w), highest
                first (file order among equal scores).
    neutralize(e, g)          e - (e.g / |g|^2) g: e without its component along g.
    equalize(e_w1, e_w2, g)   the course's formulas, in double:
                mu = (e_w1 + e_w2) / 2;  mu_B = (mu.g / |g|^2) g;  mu_orth = mu - mu_B
                e_wiB = (e_wi.g / |g|^2) g
                corrected_e_wiB = sqrt(|1 - |mu_orth|^2|) (e_wiB - mu_B) / |(e_wi - mu_orth) - mu_B|
                ei = corrected_e_wiB + mu_orth                       (i = 1, 2)
                so e1 and e2 share mu_orth and have opposite components along g.
                REQUIRES g != 0 (neutralize too) and e_w1 != e_w2.
    Unknown words: find / lookup give std::nullopt; at and every word-taking function throw
    kiln::error naming the word and the vocabulary's size and file.                        */
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kiln::text {

struct word_vectors {
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };

    std::filesystem::path source;   // the file read
    std::size_t dim = 0;            // D
    std::vector<std::string> words;  // row -> word, file order
    std::unordered_map<std::string, std::size_t, string_hash, std::equal_to<>> index;  // word -> row
    std::vector<float> matrix;      // (words.size(), dim) row-major

    std::size_t size() const { return words.size(); }
    bool contains(std::string_view word) const { return index.find(word) != index.end(); }
    std::optional<std::size_t> find(std::string_view word) const;
    std::span<const float> row(std::size_t r) const { return {matrix.data() + r * dim, dim}; }
    std::optional<std::span<const float>> lookup(std::string_view word) const;
    std::span<const float> at(std::string_view word) const;  // kiln::error when unknown
};

word_vectors load_glove(const std::filesystem::path& path);
word_vectors load_glove(const std::filesystem::path& path, const std::vector<std::string>& only);

double cosine_similarity(std::span<const float> u, std::span<const float> v);
std::vector<float> difference(std::span<const float> a, std::span<const float> b);  // a - b

enum class analogy_method { course, cos_add };
std::string complete_analogy(const word_vectors& vectors, std::string_view a, std::string_view b,
                             std::string_view c, analogy_method method = analogy_method::course);

struct scored_word {
    std::string word;
    double score = 0;
};
std::vector<scored_word> most_similar(const word_vectors& vectors, std::string_view word, std::size_t k);

std::vector<float> neutralize(std::span<const float> e, std::span<const float> g);
std::vector<float> neutralize(const word_vectors& vectors, std::string_view word, std::span<const float> g);

std::pair<std::vector<float>, std::vector<float>> equalize(std::span<const float> e_w1, std::span<const float> e_w2,
                                                           std::span<const float> bias_axis);
std::pair<std::vector<float>, std::vector<float>> equalize(const word_vectors& vectors,
                                                           std::pair<std::string_view, std::string_view> pair,
                                                           std::span<const float> bias_axis);

}  // namespace kiln::text
