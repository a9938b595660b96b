#include "runtime/datasets/emoji.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "runtime/error.hpp"
#include "runtime/random.hpp"

namespace kiln::datasets {
namespace {

struct slot {
    std::string_view name;
    std::vector<std::string_view> train, test;  // disjoint
};

// The slot lists. A frame names a slot as {name}.
const std::vector<slot>& slots() {
    static const std::vector<slot> s = {
        {"person", {"mum", "dad", "honey", "baby", "darling", "grandpa"},
                   {"mom", "sweetheart", "grandma", "sister", "brother"}},
        {"dear", {"only", "dearest", "sweet", "true", "first"}, {"eternal", "precious", "beloved", "forever"}},
        {"adore", {"love", "adore", "miss"}, {"cherish", "treasure", "worship"}},
        {"hug", {"hug", "kiss", "hold"}, {"cuddle", "embrace"}},
        {"sport", {"baseball", "soccer", "tennis", "football", "ball"},
                  {"basketball", "golf", "hockey", "volleyball", "cricket"}},
        {"when", {"tonight", "tomorrow", "today"}, {"soon", "later", "now"}},
        {"event", {"match", "game", "race"}, {"championship", "tournament", "league"}},
        {"athlete", {"pitcher", "player", "coach"}, {"goalkeeper", "striker", "quarterback"}},
        {"glad", {"happy", "glad", "proud", "excited"}, {"thrilled", "delighted", "cheerful", "joyful"}},
        {"great", {"great", "wonderful", "nice", "good"}, {"fantastic", "beautiful", "lovely", "terrific"}},
        {"feat", {"promotion", "acceptance", "graduation", "award"}, {"victory", "wedding", "success", "achievement"}},
        {"funny", {"funny", "hilarious"}, {"amusing", "comical"}},
        {"sad", {"sad", "lonely", "bad", "upset"}, {"miserable", "depressed", "gloomy", "unhappy"}},
        {"message", {"text", "call", "message"}, {"email", "letter", "note"}},
        {"thing", {"phone", "car", "computer"}, {"laptop", "bike", "camera"}},
        {"broken", {"broken", "lost", "gone"}, {"stolen", "ruined", "dead"}},
        {"shout", {"shouting", "yelling"}, {"screaming", "crying"}},
        {"awful", {"awful", "terrible", "horrible"}, {"dreadful", "disastrous", "lousy"}},
        {"exam", {"exam", "test", "interview"}, {"quiz", "audition", "midterm"}},
        {"food", {"pizza", "pasta", "burgers", "cake", "fries", "chicken"},
                 {"noodles", "tacos", "steak", "salad", "sandwiches", "sushi"}},
        {"meal", {"lunch", "dinner"}, {"breakfast", "supper", "brunch"}},
        {"hungry", {"hungry", "starving"}, {"famished", "peckish"}},
        {"tasty", {"delicious", "tasty", "yummy"}, {"scrumptious", "flavorful", "savory"}},
    };
    return s;
}

// Frames per class, in label order.
const std::array<std::vector<std::string_view>, emoji_classes>& frames() {
    static const std::array<std::vector<std::string_view>, emoji_classes> f = {{
        {"i {adore} you {person}", "you are my {dear} love", "{person} is my {dear} love", "i {adore} you so much",
         "we {adore} each other", "i want to {hug} you {person}", "miss you so much {person}",
         "you mean the world to me", "my heart belongs to you"},
        {"lets play {sport} {when}", "the {sport} {event} is {when}", "how many points did the {athlete} score",
         "our team won the {sport} {event}", "i want to play {sport}", "the {athlete} threw the ball",
         "we watched the {event} {when}", "he is the best {athlete} in the {event}"},
        {"i am so {glad}", "what {great} news", "congratulations on your {feat}", "that was {funny} lol",
         "you did {great} job", "i am {glad} about your {feat}", "it was {great} day", "we are {glad} for you",
         "so {glad} you came", "i passed the {exam}", "i am {glad} {when}", "{feat} at last"},
        {"i feel so {sad}", "this is the worst day of my life", "he did not answer my {message}",
         "my {thing} is {broken}", "stop {shout} at me", "nobody cares about me", "i am {sad} and tired",
         "she never sent me {message}", "everything went wrong {when}", "today was {awful}",
         "i failed the {exam}", "i feel {sad} {when}", "my {thing} is {broken} again"},
        {"lets eat {food}", "{food} is life", "i want {food} for {meal}", "are you {hungry}",
         "the {food} was {tasty}", "where should we go for {meal}", "i am {hungry} lets eat",
         "what is for {meal}", "{food} for {meal} {when}"},
    }};
    return f;
}

const slot& find_slot(std::string_view name) {
    for (const slot& s : slots())
        if (s.name == name) return s;
    throw error("emoji sentences: a frame names the slot {" + std::string(name) + "}, which has no word list");
}

// A frame's words with each slot filled by a draw from its list for `split`.
std::string fill(std::string_view frame, emoji_split split, rng& r) {
    std::string out;
    for (std::size_t i = 0; i < frame.size();) {
        if (frame[i] != '{') {
            out += frame[i++];
            continue;
        }
        const std::size_t close = frame.find('}', i);
        const slot& s = find_slot(frame.substr(i + 1, close - i - 1));
        const auto& words = split == emoji_split::train ? s.train : s.test;
        out += words[static_cast<std::size_t>(r.below(words.size()))];
        i = close + 1;
    }
    return out;
}

bool has_slot(std::string_view frame) { return frame.find('{') != std::string_view::npos; }

}  // namespace

std::vector<std::string> split_words(std::string_view sentence) {
    std::vector<std::string> words;
    std::string w;
    for (char c : sentence) {
        if (c == ' ' || c == '\t' || c == '\n') {
            if (!w.empty()) words.push_back(std::move(w));
            w.clear();
        } else {
            w += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
    }
    if (!w.empty()) words.push_back(std::move(w));
    return words;
}

std::vector<emoji_sentence> generate_emoji_sentences(emoji_split split, std::size_t count, std::uint64_t seed) {
    rng r(seed * 2 + (split == emoji_split::test ? 1 : 0));
    std::vector<emoji_sentence> out;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < count; ++i) {
        const int label = static_cast<int>(i % emoji_classes);
        std::vector<std::string_view> usable;
        for (std::string_view f : frames()[static_cast<std::size_t>(label)])
            if (split == emoji_split::train || has_slot(f)) usable.push_back(f);
        bool placed = false;
        for (int attempt = 0; attempt < 1000 && !placed; ++attempt) {
            std::string s = fill(usable[static_cast<std::size_t>(r.below(usable.size()))], split, r);
            if (seen.insert(s).second) {
                if (split_words(s).size() > max_emoji_words)
                    throw error("emoji sentences: \"" + s + "\" has more than " + std::to_string(max_emoji_words) +
                                " words");
                out.push_back({std::move(s), label});
                placed = true;
            }
        }
        if (!placed)
            throw error("emoji sentences: cannot draw " + std::to_string(count) + " distinct " +
                        (split == emoji_split::train ? "training" : "test") + " sentences (stopped at " +
                        std::to_string(out.size()) + "); ask for fewer");
    }
    return out;
}

std::vector<std::string> emoji_words() {
    std::set<std::string> words;
    for (const auto& fs : frames())
        for (std::string_view f : fs) {
            std::string plain;
            for (std::size_t i = 0; i < f.size(); ++i) {
                if (f[i] == '{') i = f.find('}', i);
                else plain += f[i];
            }
            for (std::string& w : split_words(plain)) words.insert(std::move(w));
        }
    for (const slot& s : slots()) {
        for (std::string_view w : s.train) words.insert(std::string(w));
        for (std::string_view w : s.test) words.insert(std::string(w));
    }
    return {words.begin(), words.end()};
}

std::vector<float> sentence_average(const text::word_vectors& vectors, std::string_view sentence) {
    std::vector<double> sum(vectors.dim, 0.0);
    std::size_t known = 0;
    for (const std::string& w : split_words(sentence))
        if (auto v = vectors.lookup(w)) {
            for (std::size_t d = 0; d < vectors.dim; ++d) sum[d] += (*v)[d];
            ++known;
        }
    std::vector<float> avg(vectors.dim, 0.0f);
    if (known > 0)
        for (std::size_t d = 0; d < vectors.dim; ++d) avg[d] = static_cast<float>(sum[d] / static_cast<double>(known));
    return avg;
}

emoji_vocabulary::emoji_vocabulary(const std::vector<std::string>& list) {
    words.push_back("<pad>");
    index.emplace("<pad>", 0);
    for (const std::string& w : list)
        if (index.emplace(w, words.size()).second) words.push_back(w);
}

std::size_t emoji_vocabulary::row(std::string_view word) const {
    auto it = index.find(std::string(word));
    return it == index.end() ? 0 : it->second;
}

std::vector<float> emoji_vocabulary::table(const text::word_vectors& vectors, std::size_t rows) const {
    if (rows < size())
        throw error("emojify: the vocabulary has " + std::to_string(size()) + " words with <pad>, but the embedding has " +
                    std::to_string(rows) + " rows; raise the network's vocabulary size");
    const std::size_t D = vectors.dim;
    std::vector<float> t(rows * D, 0.0f);
    for (std::size_t v = 1; v < size(); ++v)
        if (auto e = vectors.lookup(words[v])) std::copy(e->begin(), e->end(), t.begin() + static_cast<std::ptrdiff_t>(v * D));
    return t;
}

std::vector<float> sentence_indices(const emoji_vocabulary& vocabulary, std::string_view sentence, std::size_t T) {
    const std::vector<std::string> words = split_words(sentence);
    if (words.size() > T)
        throw error("emojify: \"" + std::string(sentence) + "\" has " + std::to_string(words.size()) +
                    " words; the network reads at most " + std::to_string(T));
    std::vector<float> x(T, 0.0f);
    for (std::size_t t = 0; t < words.size(); ++t) x[t] = static_cast<float>(vocabulary.row(words[t]));
    return x;
}

emoji_data encode_emoji(const std::vector<emoji_sentence>& sentences, const text::word_vectors& vectors,
                        const emoji_vocabulary& vocabulary, std::size_t T) {
    emoji_data e;
    e.averages.features = vectors.dim;
    e.indices.features = T;
    e.averages.outputs = e.indices.outputs = emoji_classes;
    std::vector<int> labels;
    for (const emoji_sentence& s : sentences) {
        const std::vector<float> avg = sentence_average(vectors, s.text);
        e.averages.x.insert(e.averages.x.end(), avg.begin(), avg.end());
        const std::vector<float> idx = sentence_indices(vocabulary, s.text, T);
        e.indices.x.insert(e.indices.x.end(), idx.begin(), idx.end());
        labels.push_back(s.label);
    }
    e.averages.y = e.indices.y = one_hot(labels, emoji_classes);
    for (std::string_view n : emoji_names) e.averages.classes.emplace_back(n);
    e.indices.classes = e.averages.classes;
    return e;
}

}  // namespace kiln::datasets
