#pragma once
/*  Dinosaur names for the course's character-level RNN (C5W1 assignment 2, "Dinosaurus
    Island": the course trains on dinos.txt, 1,536 names).
    REAL NAMES  data/dinosaurs/real.txt: 52 real dinosaur genus names, one lowercase a-z name
                per line, sorted, extracted by scripts/fetch-text.sh from WordNet 3.0 (the
                genera of everything under the noun "dinosaur") and Webster's Second (web2:
                capitalised -saurus / -ceratops / -mimus words, minus genera WordNet files
                elsewhere and a list of non-dinosaurs read one by one); the script states the
                rule in full.
    GENERATOR   pseudo-dinosaur names, always available: a Greek or Latin combining form
                (dinosaur_roots: "tyranno" tyrant, "stego" roof, ...), with probability 1/3 a
                second, different one, then a suffix (dinosaur_suffixes: "saurus" lizard,
                "raptor" thief, "don" tooth, ...) drawn by its weight; names repeated, already
                drawn or in `exclude` are drawn again. Deterministic for a seed (kiln::rng).
    load_dinosaur_names  the real names in file order; unless real_only, followed by
                generated names that are not real until there are max(count, real) names
                (the course's count is 1,536). The caller shuffles.
    VOCABULARY  the course's 27 characters: '\n' = 0, 'a'..'z' = 1..26 (sorted code points,
                so it is char_vocabulary::from_text of any text holding them all).
    EXAMPLE     the course's per-name pair: X = [None] + indices(name), Y = indices(name) +
                ['\n']; None (the zero input at t = 0) is no_input = -1 here.
    ERRORS      kiln::error: real.txt missing (names scripts/fetch-text.sh) or holding a line
                that is not lowercase a-z; a name with other characters; a count the
                generator cannot reach with distinct names.                                */
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/datasets/text.hpp"

namespace kiln::datasets {

// <source tree>/data/dinosaurs/real.txt, written by scripts/fetch-text.sh.
std::filesystem::path default_dinosaur_names_path();

std::vector<std::string> load_real_dinosaur_names(
    const std::filesystem::path& file = default_dinosaur_names_path());

struct name_morpheme {
    std::string_view form;     // lowercase a-z; roots end in a vowel, suffixes start with a consonant
    std::string_view meaning;  // documentation only
    unsigned weight;           // relative frequency of the draw
};

inline constexpr std::array<name_morpheme, 36> dinosaur_roots = {{
    {"tyranno", "tyrant", 1},    {"veloci", "swift", 1},      {"stego", "roof", 1},
    {"cerato", "horn", 1},       {"brachio", "arm", 1},       {"pachy", "thick", 1},
    {"cephalo", "head", 1},      {"ptero", "wing", 1},        {"dino", "terrible", 1},
    {"mega", "great", 1},        {"micro", "small", 1},       {"giganto", "giant", 1},
    {"titano", "titan", 1},      {"ankylo", "fused", 1},      {"diplo", "double", 1},
    {"compso", "elegant", 1},    {"ornitho", "bird", 1},      {"struthio", "ostrich", 1},
    {"iguano", "iguana", 1},     {"hadro", "bulky", 1},       {"allo", "other", 1},
    {"coelo", "hollow", 1},      {"lepto", "slender", 1},     {"dromaeo", "runner", 1},
    {"spino", "spine", 1},       {"carno", "flesh", 1},       {"acro", "high", 1},
    {"cryo", "cold", 1},         {"litho", "stone", 1},       {"bary", "heavy", 1},
    {"styraco", "spike", 1},     {"psittaco", "parrot", 1},   {"plateo", "flat", 1},
    {"proto", "first", 1},       {"eo", "dawn", 1},           {"hypsilo", "high ridge", 1},
}};

inline constexpr std::array<name_morpheme, 16> dinosaur_suffixes = {{
    {"saurus", "lizard", 12},  {"raptor", "thief", 3},   {"don", "tooth", 3},
    {"ceratops", "horned face", 2}, {"mimus", "mimic", 2}, {"nychus", "claw", 2},
    {"titan", "giant", 2},     {"venator", "hunter", 2}, {"pteryx", "wing", 1},
    {"suchus", "crocodile", 1}, {"lophus", "crest", 1},   {"rhinus", "nose", 1},
    {"pelta", "shield", 1},    {"dromeus", "runner", 1}, {"gnathus", "jaw", 1},
    {"tops", "face", 1},
}};

// `count` distinct generated names, none in `exclude`, in the order drawn.
std::vector<std::string> generate_dinosaur_names(std::size_t count, std::uint64_t seed,
                                                 const std::vector<std::string>& exclude = {});

std::vector<std::string> load_dinosaur_names(
    bool real_only = false, std::size_t count = 1536, std::uint64_t seed = 1,
    const std::filesystem::path& file = default_dinosaur_names_path());

// '\n' = 0, 'a'..'z' = 1..26; unknown characters fall back to '\n' (index 0).
char_vocabulary dinosaur_vocabulary();

inline constexpr std::int32_t no_input = -1;  // the course's None: a zero input vector

struct name_example {
    std::vector<std::int32_t> x;  // [no_input, c_1, ..., c_L]
    std::vector<std::int32_t> y;  // [c_1, ..., c_L, 0]
};

// REQUIRES name is lowercase a-z (kiln::error otherwise).
name_example make_name_example(std::string_view name);

}  // namespace kiln::datasets
