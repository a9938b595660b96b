#include "runtime/datasets/dinosaurs.hpp"

#include <algorithm>
#include <fstream>
#include <span>
#include <unordered_set>

#include "runtime/error.hpp"
#include "runtime/random.hpp"

namespace kiln::datasets {
namespace {

bool lowercase_az(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

const name_morpheme& draw(std::span<const name_morpheme> from, rng& random) {
    unsigned total = 0;
    for (const auto& m : from) total += m.weight;
    auto pick = static_cast<unsigned>(random.below(total));
    for (const auto& m : from) {
        if (pick < m.weight) return m;
        pick -= m.weight;
    }
    return from.back();  // not reached: pick < total
}

}  // namespace

std::filesystem::path default_dinosaur_names_path() {
    return default_text_data_dir() / "dinosaurs" / "real.txt";
}

std::vector<std::string> load_real_dinosaur_names(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in)
        throw error("load_dinosaur_names: " + file.string() + " is missing; run " +
                    "scripts/fetch-text.sh (it extracts the names from WordNet and web2), or " +
                    "use generate_dinosaur_names alone");
    std::vector<std::string> names;
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
        if (!lowercase_az(line))
            throw error("load_dinosaur_names: " + file.string() + " line " +
                        std::to_string(number) + " is \"" + line + "\"; expected one " +
                        "lowercase a-z name per line - fetch it again");
        names.push_back(line);
    }
    if (names.empty())
        throw error("load_dinosaur_names: " + file.string() + " is empty; run " +
                    "scripts/fetch-text.sh again");
    return names;
}

std::vector<std::string> generate_dinosaur_names(std::size_t count, std::uint64_t seed,
                                                 const std::vector<std::string>& exclude) {
    std::unordered_set<std::string> taken(exclude.begin(), exclude.end());
    std::vector<std::string> out;
    out.reserve(count);
    rng random(seed);
    // The tables give about 36 * 35 * 16 + 36 * 16 = 20,736 names; when 100,000 draws in a row
    // bring nothing new, the rest are (nearly) exhausted.
    constexpr std::size_t stall_limit = 100000;
    for (std::size_t stalled = 0; out.size() < count && stalled < stall_limit; ++stalled) {
        const name_morpheme& first = draw(dinosaur_roots, random);
        std::string name(first.form);
        if (random.below(3) == 0) {
            const name_morpheme* second = &draw(dinosaur_roots, random);
            while (second == &first) second = &draw(dinosaur_roots, random);
            name += second->form;
        }
        name += draw(dinosaur_suffixes, random).form;
        if (taken.insert(name).second) {
            out.push_back(std::move(name));
            stalled = 0;
        }
    }
    if (out.size() < count)
        throw error("generate_dinosaur_names: made " + std::to_string(out.size()) +
                    " distinct names, then " + std::to_string(stall_limit) + " draws in a " +
                    "row gave no new one; " + std::to_string(count) + " asked - ask for " +
                    "fewer (the morphemes give about 20,000)");
    return out;
}

std::vector<std::string> load_dinosaur_names(bool real_only, std::size_t count,
                                             std::uint64_t seed,
                                             const std::filesystem::path& file) {
    std::vector<std::string> names = load_real_dinosaur_names(file);
    if (real_only || count <= names.size()) return names;
    const std::vector<std::string> made =
        generate_dinosaur_names(count - names.size(), seed, names);
    names.insert(names.end(), made.begin(), made.end());
    return names;
}

char_vocabulary dinosaur_vocabulary() {
    return char_vocabulary::from_text("\nabcdefghijklmnopqrstuvwxyz", U'\n');
}

name_example make_name_example(std::string_view name) {
    if (!lowercase_az(name))
        throw error("make_name_example: \"" + std::string(name) + "\"; expected a " +
                    "non-empty lowercase a-z name (the course's 27-character vocabulary)");
    name_example e;
    e.x.push_back(no_input);
    for (const char c : name) {
        e.x.push_back(c - 'a' + 1);
        e.y.push_back(c - 'a' + 1);
    }
    e.y.push_back(0);
    return e;
}

}  // namespace kiln::datasets
