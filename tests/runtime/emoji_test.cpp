// runtime/datasets/emoji: the Emojify template sentences (determinism, labels, lengths, the
// test set's unseen words), the course's sentence_to_avg and sentences_to_indices against
// loops over a GloVe file the test writes, the embedding table's layout, the errors, and
// every template word present in the real GloVe subset (WARNs and returns without it).
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "runtime/datasets/emoji.hpp"
#include "test_support.hpp"

namespace {

namespace ds = kiln::datasets;
namespace fs = std::filesystem;
using Catch::Contains;
using kiln::test::error_of;

std::set<std::string> words_of(const std::vector<ds::emoji_sentence>& s) {
    std::set<std::string> w;
    for (const ds::emoji_sentence& x : s)
        for (std::string& v : ds::split_words(x.text)) w.insert(std::move(v));
    return w;
}

}  // namespace

TEST_CASE("emoji: sentences are distinct, short, labelled 0 1 2 3 4 in turn and fixed by the seed",
          "[runtime][emoji]") {
    for (ds::emoji_split split : {ds::emoji_split::train, ds::emoji_split::test}) {
        const auto a = ds::generate_emoji_sentences(split, 100, 7);
        const auto b = ds::generate_emoji_sentences(split, 100, 7);
        const auto c = ds::generate_emoji_sentences(split, 100, 8);
        REQUIRE(a.size() == 100);
        std::set<std::string> distinct;
        bool differs = false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            CHECK(a[i].label == static_cast<int>(i % ds::emoji_classes));
            CHECK(a[i].text == b[i].text);
            differs = differs || a[i].text != c[i].text;
            const std::size_t n = ds::split_words(a[i].text).size();
            CHECK(n >= 2);
            CHECK(n <= ds::max_emoji_words);
            distinct.insert(a[i].text);
        }
        CHECK(distinct.size() == a.size());
        CHECK(differs);
    }
}

TEST_CASE("emoji: every test sentence has a word no training sentence of any seed can have", "[runtime][emoji]") {
    // Training sentences of many seeds cover the training words; a test sentence must hold at
    // least one word outside them (its slot words come from the test halves of the lists).
    std::set<std::string> train_words;
    for (std::uint64_t seed = 1; seed <= 20; ++seed)
        for (const std::string& w : words_of(ds::generate_emoji_sentences(ds::emoji_split::train, 150, seed)))
            train_words.insert(w);
    const auto test = ds::generate_emoji_sentences(ds::emoji_split::test, 60, 1);
    for (const ds::emoji_sentence& s : test) {
        std::size_t unseen = 0;
        for (const std::string& w : ds::split_words(s.text)) unseen += train_words.count(w) == 0 ? 1 : 0;
        INFO(s.text);
        CHECK(unseen >= 1);
    }
    // ... and no test sentence is a training sentence
    const auto train = ds::generate_emoji_sentences(ds::emoji_split::train, 150, 1);
    std::set<std::string> train_text;
    for (const auto& s : train) train_text.insert(s.text);
    for (const auto& s : test) CHECK(train_text.count(s.text) == 0);
    // emoji_words() lists every word either split can produce
    const std::vector<std::string> all = ds::emoji_words();
    const std::set<std::string> listed(all.begin(), all.end());
    for (const std::string& w : train_words) CHECK(listed.count(w) == 1);
    for (const std::string& w : words_of(test)) CHECK(listed.count(w) == 1);
}

TEST_CASE("emoji: a count beyond the frames' distinct sentences is an error that says so", "[runtime][emoji]") {
    CHECK_THAT(error_of([] { ds::generate_emoji_sentences(ds::emoji_split::test, 100'000, 1); }),
               Contains("distinct test sentences") && Contains("ask for fewer"));
}

TEST_CASE("emoji: sentence_average, sentence_indices and the embedding table against loops", "[runtime][emoji]") {
    kiln::test::temp_dir dir("emoji");
    // D = 3; "love" and "pizza" known, "i" unknown (as in GloVe 6B)
    std::ofstream(dir / "v.txt") << "love 1 2 3\npizza -4 0.5 6\nyou 0.25 -1 2\n";
    const kiln::text::word_vectors v = kiln::text::load_glove(dir / "v.txt");

    const std::vector<float> avg = ds::sentence_average(v, "I love You pizza");
    REQUIRE(avg.size() == 3);
    const float want[3] = {(1 - 4 + 0.25f) / 3, (2 + 0.5f - 1) / 3, (3 + 6 + 2.0f) / 3};
    for (int d = 0; d < 3; ++d) CHECK(avg[static_cast<std::size_t>(d)] == Approx(want[d]).epsilon(1e-6));
    for (float x : ds::sentence_average(v, "i i i")) CHECK(x == 0.0f);  // nothing known: zeros

    const ds::emoji_vocabulary vocab({"pizza", "i", "love", "love"});
    REQUIRE(vocab.size() == 4);  // <pad>, pizza, i, love (the repeat dropped)
    CHECK(vocab.words[0] == "<pad>");
    CHECK(vocab.row("love") == 3);
    CHECK(vocab.row("never-seen") == 0);
    const std::vector<float> x = ds::sentence_indices(vocab, "I love pizza", 5);
    CHECK(x == std::vector<float>{2, 3, 1, 0, 0});
    CHECK_THAT(error_of([&] { ds::sentence_indices(vocab, "love love love love love love", 5); }),
               Contains("has 6 words; the network reads at most 5"));

    const std::vector<float> t = vocab.table(v, 6);
    REQUIRE(t.size() == 6 * 3);
    for (std::size_t r = 0; r < 6; ++r)
        for (std::size_t d = 0; d < 3; ++d) {
            float expect = 0;  // <pad>, "i" (unknown to the vectors) and the spare rows
            if (r == 1) expect = v.at("pizza")[d];
            if (r == 3) expect = v.at("love")[d];
            CHECK(t[r * 3 + d] == expect);
        }
    CHECK_THAT(error_of([&] { vocab.table(v, 3); }), Contains("vocabulary has 4 words") && Contains("3 rows"));

    // both models' datasets: the sentences' encodings in order, one-hot labels
    const ds::emoji_data e = ds::encode_emoji({{"love pizza", 4}, {"i love you", 0}}, v, vocab, 5);
    REQUIRE(e.averages.size() == 2);
    REQUIRE(e.indices.size() == 2);
    std::vector<float> want_avg = ds::sentence_average(v, "love pizza"), second = ds::sentence_average(v, "i love you");
    want_avg.insert(want_avg.end(), second.begin(), second.end());
    CHECK(e.averages.x == want_avg);
    CHECK(e.indices.x == std::vector<float>{3, 1, 0, 0, 0, 2, 3, 0, 0, 0});
    CHECK(e.averages.y == std::vector<float>{0, 0, 0, 0, 1, 1, 0, 0, 0, 0});
    CHECK(e.indices.y == e.averages.y);
    CHECK(e.indices.classes.at(4) == "fork_and_knife");
}

TEST_CASE("emoji: GloVe 6B 100-d has every template word but the single letters", "[runtime][emoji][glove]") {
    const fs::path file = fs::path(KILN_SOURCE_DIR) / "data/glove/glove.6B.100d.subset.txt";
    if (!fs::exists(file)) {
        WARN("not run: data/glove missing: run scripts/fetch-glove.sh (" << file.string() << ")");
        return;
    }
    const std::vector<std::string> words = ds::emoji_words();
    const kiln::text::word_vectors v = kiln::text::load_glove(file, words);
    for (const std::string& w : words) {
        INFO(w);
        CHECK(v.contains(w) == (w.size() > 1));
    }
}
