#include "runtime/word_vectors.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <unordered_set>

#include "runtime/error.hpp"

namespace kiln::text {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view refetch_hint =
    "the file is damaged: fetch or convert it again (scripts/fetch-glove.sh writes data/glove/)";

std::string quoted(std::string_view word) {
    constexpr std::size_t longest = 40;  // a runaway "word" (a binary file) stays readable
    return "'" + std::string(word.substr(0, longest)) + (word.size() > longest ? "...'" : "'");
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The fields of a line, split at runs of spaces and tabs.
void split_fields(std::string_view line, std::vector<std::string_view>& fields) {
    fields.clear();
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        const std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
        if (i > start) fields.push_back(line.substr(start, i - start));
    }
}

template <class U, class V>
double dot(const U& u, const V& v) {
    double sum = 0;
    for (std::size_t i = 0; i < u.size(); ++i) sum += static_cast<double>(u[i]) * static_cast<double>(v[i]);
    return sum;
}

// The course's cosine_similarity, special cases included (contract in the header).
template <class U, class V>
double cosine(const U& u, const V& v) {
    bool equal = true;
    for (std::size_t i = 0; i < u.size() && equal; ++i) equal = static_cast<double>(u[i]) == static_cast<double>(v[i]);
    if (equal) return 1.0;
    const double norms = std::sqrt(dot(u, u)) * std::sqrt(dot(v, v));
    if (norms == 0) return 0.0;
    return dot(u, v) / norms;
}

void check_same_size(std::size_t a, std::size_t b, const char* what) {
    if (a != b)
        throw error(std::string(what) + ": vectors of " + std::to_string(a) + " and " + std::to_string(b) +
                    " numbers; expected the same dimension");
}

double squared_norm_of_axis(std::span<const float> g, const char* what) {
    const double gg = dot(g, g);
    if (gg == 0)
        throw error(std::string(what) + ": the bias axis g is the zero vector; expected a direction such as "
                                        "e_woman - e_man");
    return gg;
}

word_vectors read_glove(const fs::path& path, const std::unordered_set<std::string_view>* only) {
    const std::string file = "glove: " + path.string();
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw error(file + ": no such file; expected word vectors in the GloVe text format - run "
                           "scripts/fetch-glove.sh to write data/glove/glove.6B.100d.subset.txt");
    if (!fs::is_regular_file(path, ec)) throw error(file + ": not a regular file; expected a GloVe text file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw error(file + ": cannot open for reading; check its permissions");

    word_vectors out;
    out.source = path;
    std::unordered_map<std::string, std::size_t, word_vectors::string_hash, std::equal_to<>> first_seen;
    std::vector<std::string_view> fields;
    std::string line;
    std::size_t line_no = 0;
    bool line1_is_header = false;  // "400000 100": word2vec's header, not a GloVe line
    while (std::getline(in, line)) {
        ++line_no;
        const bool ends_file = in.eof();  // the last line, without its '\n'
        if (!line.empty() && line.back() == '\r') line.pop_back();
        split_fields(line, fields);
        const std::string where = file + " line " + std::to_string(line_no);
        if (fields.empty())
            throw error(where + ": empty line; expected 'word v1 ... vD' on every line - " + std::string(refetch_hint));
        const std::string_view word = fields[0];
        const std::size_t count = fields.size() - 1;
        const std::string at_word = where + " (" + quoted(word) + ")";
        if (line_no == 1) {
            if (count == 0)
                throw error(at_word + ": no numbers after the word; expected 'word v1 ... vD', D > 0 - is this a "
                                      "GloVe text file?");
            out.dim = count;
            line1_is_header = count == 1 && all_digits(word) && all_digits(fields[1]);
        } else if (count != out.dim) {
            std::string message = at_word + ": " + std::to_string(count) + " numbers, expected " +
                                  std::to_string(out.dim) + " as on line 1; ";
            if (line1_is_header)
                message += "line 1 looks like word2vec's 'count dim' header - delete that line";
            else if (ends_file && count < out.dim)
                message += "the last line is cut short: the file is truncated - fetch or convert it again "
                           "(scripts/fetch-glove.sh)";
            else
                message += std::string(refetch_hint);
            throw error(message);
        }
        const auto [it, fresh] = first_seen.try_emplace(std::string(word), line_no);
        if (!fresh)
            throw error(at_word + ": the word is already on line " + std::to_string(it->second) +
                        "; expected each word once (GloVe's files have no repeats) - " + std::string(refetch_hint));
        const bool keep = only == nullptr || only->count(word) > 0;
        if (keep) {
            out.index.emplace(std::string(word), out.words.size());
            out.words.emplace_back(word);
        }
        for (std::size_t i = 1; i < fields.size(); ++i) {
            std::string_view text = fields[i];
            if (text.size() > 1 && text[0] == '+') text.remove_prefix(1);  // from_chars takes no '+'
            float value = 0;
            const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), value);
            const std::string field = "number " + std::to_string(i) + " " + quoted(fields[i]);
            if (status == std::errc::result_out_of_range)
                throw error(at_word + ": " + field + " is beyond float's range; expected a finite float32 - " +
                            std::string(refetch_hint));
            if (status != std::errc() || end != text.data() + text.size())
                throw error(at_word + ": " + field + " is not a number; expected a decimal such as -0.38194 - " +
                            std::string(refetch_hint));
            if (!std::isfinite(value))
                throw error(at_word + ": " + field + " is not finite; expected finite values only - " +
                            std::string(refetch_hint));
            if (keep) out.matrix.push_back(value);
        }
    }
    if (in.bad()) throw error(file + ": read error after line " + std::to_string(line_no) + "; check the disk");
    if (line_no == 0)
        throw error(file + ": the file is empty; expected lines 'word v1 ... vD' - " + std::string(refetch_hint));
    return out;
}

}  // namespace

std::optional<std::size_t> word_vectors::find(std::string_view word) const {
    const auto it = index.find(word);
    if (it == index.end()) return std::nullopt;
    return it->second;
}

std::optional<std::span<const float>> word_vectors::lookup(std::string_view word) const {
    const auto r = find(word);
    if (!r) return std::nullopt;
    return row(*r);
}

std::span<const float> word_vectors::at(std::string_view word) const {
    const auto r = find(word);
    if (!r)
        throw error("word vectors: " + quoted(word) + " is not in the vocabulary (" + std::to_string(size()) +
                    " words from " + source.string() +
                    "); GloVe 6B is lower case - check the spelling, or keep the word when converting "
                    "(networks/c5w2_word_vectors/extra_words.txt, scripts/fetch-glove.sh --top)");
    return row(*r);
}

word_vectors load_glove(const fs::path& path) { return read_glove(path, nullptr); }

word_vectors load_glove(const fs::path& path, const std::vector<std::string>& only) {
    const std::unordered_set<std::string_view> wanted(only.begin(), only.end());
    return read_glove(path, &wanted);
}

double cosine_similarity(std::span<const float> u, std::span<const float> v) {
    check_same_size(u.size(), v.size(), "cosine_similarity");
    return cosine(u, v);
}

std::vector<float> difference(std::span<const float> a, std::span<const float> b) {
    check_same_size(a.size(), b.size(), "difference");
    std::vector<float> out(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) out[i] = a[i] - b[i];
    return out;
}

std::string complete_analogy(const word_vectors& vectors, std::string_view a, std::string_view b,
                             std::string_view c, analogy_method method) {
    const std::span<const float> e_a = vectors.at(a), e_b = vectors.at(b), e_c = vectors.at(c);
    const std::size_t D = vectors.dim;
    const bool course = method == analogy_method::course;
    // course: target = e_b - e_a, candidate = e_w - e_c; cos_add: target = u_b - u_a + u_c, candidate = e_w
    std::vector<double> target(D), candidate(D);
    const double na = std::sqrt(dot(e_a, e_a)), nb = std::sqrt(dot(e_b, e_b)), nc = std::sqrt(dot(e_c, e_c));
    if (!course && (na == 0 || nb == 0 || nc == 0))
        throw error("complete_analogy: a zero vector among " + quoted(a) + ", " + quoted(b) + ", " + quoted(c) +
                    "; 3CosAdd needs unit vectors - use analogy_method::course");
    for (std::size_t i = 0; i < D; ++i)
        target[i] = course ? static_cast<double>(e_b[i]) - e_a[i] : e_b[i] / nb - e_a[i] / na + e_c[i] / nc;
    const std::size_t ra = *vectors.find(a), rb = *vectors.find(b), rc = *vectors.find(c);
    double best_score = -std::numeric_limits<double>::infinity();
    std::size_t best = vectors.size();
    for (std::size_t r = 0; r < vectors.size(); ++r) {
        if (r == ra || r == rb || r == rc) continue;
        const std::span<const float> e_w = vectors.row(r);
        for (std::size_t i = 0; i < D; ++i)
            candidate[i] = course ? static_cast<double>(e_w[i]) - e_c[i] : static_cast<double>(e_w[i]);
        const double score = cosine(target, candidate);
        if (score > best_score) {
            best_score = score;
            best = r;
        }
    }
    if (best == vectors.size())
        throw error("complete_analogy: no word besides " + quoted(a) + ", " + quoted(b) + " and " + quoted(c) +
                    " in the vocabulary of " + vectors.source.string() + "; expected a larger vocabulary");
    return vectors.words[best];
}

std::vector<scored_word> most_similar(const word_vectors& vectors, std::string_view word, std::size_t k) {
    const std::span<const float> e = vectors.at(word);
    const std::size_t self = *vectors.find(word);
    std::vector<std::pair<double, std::size_t>> scores;
    scores.reserve(vectors.size());
    for (std::size_t r = 0; r < vectors.size(); ++r)
        if (r != self) scores.emplace_back(cosine(e, vectors.row(r)), r);
    k = std::min(k, scores.size());
    std::partial_sort(scores.begin(), scores.begin() + static_cast<std::ptrdiff_t>(k), scores.end(),
                      [](const auto& x, const auto& y) {
                          return x.first > y.first || (x.first == y.first && x.second < y.second);
                      });
    std::vector<scored_word> out;
    for (std::size_t i = 0; i < k; ++i) out.push_back({vectors.words[scores[i].second], scores[i].first});
    return out;
}

std::vector<float> neutralize(std::span<const float> e, std::span<const float> g) {
    check_same_size(e.size(), g.size(), "neutralize");
    const double along = dot(e, g) / squared_norm_of_axis(g, "neutralize");
    std::vector<float> out(e.size());
    for (std::size_t i = 0; i < e.size(); ++i) out[i] = static_cast<float>(e[i] - along * g[i]);
    return out;
}

std::vector<float> neutralize(const word_vectors& vectors, std::string_view word, std::span<const float> g) {
    return neutralize(vectors.at(word), g);
}

std::pair<std::vector<float>, std::vector<float>> equalize(std::span<const float> e_w1, std::span<const float> e_w2,
                                                           std::span<const float> bias_axis) {
    check_same_size(e_w1.size(), e_w2.size(), "equalize");
    check_same_size(e_w1.size(), bias_axis.size(), "equalize");
    const std::size_t D = e_w1.size();
    const double gg = squared_norm_of_axis(bias_axis, "equalize");
    std::vector<double> mu(D), mu_B(D), mu_orth(D);
    for (std::size_t i = 0; i < D; ++i) mu[i] = (static_cast<double>(e_w1[i]) + e_w2[i]) / 2;
    const double mu_along = dot(mu, bias_axis) / gg;
    for (std::size_t i = 0; i < D; ++i) {
        mu_B[i] = mu_along * bias_axis[i];
        mu_orth[i] = mu[i] - mu_B[i];
    }
    const double scale = std::sqrt(std::abs(1 - dot(mu_orth, mu_orth)));
    const auto corrected = [&](std::span<const float> e_w) {
        const double along = dot(e_w, bias_axis) / gg;
        double denominator = 0;  // |(e_w - mu_orth) - mu_B|
        for (std::size_t i = 0; i < D; ++i) denominator += std::pow(e_w[i] - mu_orth[i] - mu_B[i], 2);
        denominator = std::sqrt(denominator);
        if (denominator == 0)
            throw error("equalize: the two words have the same vector; expected two different words such as "
                        "('man', 'woman')");
        std::vector<float> e(D);
        for (std::size_t i = 0; i < D; ++i)
            e[i] = static_cast<float>(scale * (along * bias_axis[i] - mu_B[i]) / denominator + mu_orth[i]);
        return e;
    };
    return {corrected(e_w1), corrected(e_w2)};
}

std::pair<std::vector<float>, std::vector<float>> equalize(const word_vectors& vectors,
                                                           std::pair<std::string_view, std::string_view> pair,
                                                           std::span<const float> bias_axis) {
    return equalize(vectors.at(pair.first), vectors.at(pair.second), bias_axis);
}

}  // namespace kiln::text
