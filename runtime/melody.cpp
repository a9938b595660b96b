#include "runtime/melody.hpp"


#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "runtime/atomic_file.hpp"
#include "runtime/error.hpp"

namespace kiln::melody {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

void check_options(const options& opt, const char* where) {
    if (opt.steps_per_quarter < 1 || opt.steps_per_quarter > 96)
        throw error(std::string("melody: ") + where + ": steps_per_quarter " +
                    std::to_string(opt.steps_per_quarter) +
                    "; expected 1 to 96 (4 = a sixteenth-note grid)");
    if (opt.max_steps < 1 || opt.max_steps > 1024)
        throw error(std::string("melody: ") + where + ": max_steps " +
                    std::to_string(opt.max_steps) + "; expected 1 to 1024");
}

bool valid(value v, int max_steps) {
    return (v.pitch == rest || (v.pitch >= 0 && v.pitch <= 127)) && v.steps >= 1 &&
           v.steps <= max_steps;
}

}  // namespace

std::string to_string(value v) {
    return (v.pitch == rest ? std::string("rest") : std::to_string(v.pitch)) + ":" +
           std::to_string(v.steps);
}

value parse_value(std::string_view text) {
    auto bad = [&]() -> error {
        return error("melody: value \"" + std::string(text) +
                     "\"; expected <pitch 0-127>:<steps >= 1> or rest:<steps>, e.g. \"60:4\"");
    };
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) throw bad();
    const std::string_view head = text.substr(0, colon), tail = text.substr(colon + 1);
    auto number = [&](std::string_view s) {
        int out = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (s.empty() || ec != std::errc() || end != s.data() + s.size()) throw bad();
        return out;
    };
    value v;
    v.pitch = head == "rest" ? rest : number(head);
    v.steps = number(tail);
    if (v.steps < 1 || (v.pitch != rest && (v.pitch < 0 || v.pitch > 127))) throw bad();
    return v;
}

melody extract(const midi::file& f, const options& opt) {
    check_options(opt, "extract");
    const midi::note_list all = midi::notes(f);
    std::map<std::pair<int, int>, std::size_t> per_voice;  // (track, channel) -> notes
    for (const midi::note& n : all.notes)
        if (n.channel != 9) ++per_voice[{n.track, n.channel}];
    if (per_voice.empty())
        throw error("melody: extract: the file has no notes outside channel 10 (percussion) " +
                    std::string("- ") + std::to_string(all.notes.size()) +
                    " notes in all; expected a melodic track");
    // std::map iterates (track, channel) in order, so the first maximum is the lowest pair.
    auto chosen = per_voice.begin();
    for (auto it = per_voice.begin(); it != per_voice.end(); ++it)
        if (it->second > chosen->second) chosen = it;

    melody out;
    out.steps_per_quarter = opt.steps_per_quarter;
    out.track = chosen->first.first;
    out.channel = chosen->first.second;
    out.source_notes = chosen->second;

    const std::uint64_t step = std::max<std::uint64_t>(
        1, (2 * std::uint64_t(f.ticks_per_quarter) + opt.steps_per_quarter) /
               (2 * std::uint64_t(opt.steps_per_quarter)));
    auto grid = [&](std::uint32_t tick) { return (tick + step / 2) / step; };

    struct onset {
        std::uint64_t at, end;
        int pitch;
        std::uint32_t tick;  // the source tick of the kept note
    };
    std::vector<onset> onsets;  // one per grid onset: the highest note starting there
    for (const midi::note& n : all.notes) {
        if (n.track != out.track || n.channel != out.channel) continue;
        const std::uint64_t at = grid(n.start), end = std::max(grid(n.end), at + 1);
        if (!onsets.empty() && onsets.back().at == at) {
            onset& o = onsets.back();
            if (n.pitch > o.pitch || (n.pitch == o.pitch && end > o.end))
                o = {at, end, n.pitch, n.start};
        } else {
            onsets.push_back({at, end, n.pitch, n.start});
        }
    }
    // all.notes is ordered by start tick; rounding keeps that order (it is monotone).
    out.tempo = midi::tempo_at(f, onsets.front().tick);

    auto clamp = [&](std::uint64_t steps) {
        return static_cast<int>(std::min<std::uint64_t>(steps, opt.max_steps));
    };
    std::uint64_t cursor = 0;
    for (std::size_t i = 0; i < onsets.size(); ++i) {
        const onset& o = onsets[i];
        if (o.at > cursor) out.values.push_back({rest, clamp(o.at - cursor)});
        const std::uint64_t stop = i + 1 < onsets.size() ? std::min(o.end, onsets[i + 1].at)
                                                         : o.end;
        out.values.push_back({o.pitch, clamp(stop - o.at)});
        cursor = stop;
    }
    return out;
}

midi::file to_midi(const melody& m, int velocity, int channel) {
    check_options({m.steps_per_quarter, 1}, "to_midi");
    midi::file f;
    f.format = 0;
    f.ticks_per_quarter = static_cast<std::uint16_t>(120 * m.steps_per_quarter);
    const std::uint32_t step = 120;
    midi::track t;
    t.events.push_back(midi::tempo_event(0, m.tempo));
    std::uint64_t tick = 0;
    for (std::size_t i = 0; i < m.values.size(); ++i) {
        const value v = m.values[i];
        if (!valid(v, 1 << 20))
            throw error("melody: to_midi: value " + std::to_string(i) + " is " + to_string(v) +
                        "; expected a pitch 0-127 or rest and steps >= 1");
        const std::uint64_t end = tick + std::uint64_t(v.steps) * step;
        if (end > midi::max_vlq)
            throw error("melody: to_midi: the melody lasts past 2^28 ticks; split it");
        if (v.pitch != rest) {
            t.events.push_back(midi::note_on(static_cast<std::uint32_t>(tick), channel, v.pitch,
                                             velocity));
            t.events.push_back(
                midi::note_off(static_cast<std::uint32_t>(end), channel, v.pitch));
        }
        tick = end;
    }
    t.end_tick = static_cast<std::uint32_t>(tick);
    f.tracks.push_back(std::move(t));
    return f;
}

bool vocabulary::contains(value v) const {
    return std::find(values.begin(), values.end(), v) != values.end();
}

int vocabulary::index_of(value v) const {
    if (values.empty()) throw error("melody: vocabulary::index_of: the vocabulary is empty");
    if (!valid(v, max_steps))
        throw error("melody: vocabulary::index_of: value " + to_string(v) +
                    "; expected a pitch 0-127 or rest and steps 1-" + std::to_string(max_steps));
    const auto exact = std::find(values.begin(), values.end(), v);
    if (exact != values.end()) return static_cast<int>(exact - values.begin());
    const bool is_rest = v.pitch == rest;
    const bool kind_kept = std::any_of(values.begin(), values.end(),
                                       [&](value k) { return (k.pitch == rest) == is_rest; });
    // Lexicographic cost; the strict < keeps the earlier (more frequent) value on ties.
    std::tuple<int, int, int> best{INT32_MAX, INT32_MAX, INT32_MAX};
    int best_index = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        const value k = values[i];
        const bool same_kind = (k.pitch == rest) == is_rest;
        if (kind_kept && !same_kind) continue;
        const int pitch_cost = kind_kept && !is_rest ? std::abs(k.pitch - v.pitch) : 0;
        const std::tuple<int, int, int> cost{pitch_cost, std::abs(k.steps - v.steps),
                                             static_cast<int>(i)};
        if (cost < best) best = cost, best_index = static_cast<int>(i);
    }
    return best_index;
}

vocabulary build_vocabulary(std::span<const std::vector<value>> sequences, const options& opt,
                            std::size_t cap) {
    check_options(opt, "build_vocabulary");
    if (cap == 0) throw error("melody: build_vocabulary: cap 0; expected at least 1 value");
    std::map<value, std::size_t> counts;
    for (std::size_t s = 0; s < sequences.size(); ++s)
        for (const value v : sequences[s]) {
            if (!valid(v, opt.max_steps))
                throw error("melody: build_vocabulary: sequence " + std::to_string(s) +
                            " holds " + to_string(v) + "; expected a pitch 0-127 or rest and " +
                            "steps 1-" + std::to_string(opt.max_steps));
            ++counts[v];
        }
    std::vector<std::pair<value, std::size_t>> ranked(counts.begin(), counts.end());
    // The map is ordered by (pitch, steps); a stable sort by count keeps that order on ties.
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    if (ranked.size() > cap) ranked.resize(cap);
    vocabulary out;
    out.steps_per_quarter = opt.steps_per_quarter;
    out.max_steps = opt.max_steps;
    for (const auto& [v, n] : ranked) {
        out.values.push_back(v);
        out.counts.push_back(n);
    }
    return out;
}

void save_vocabulary(const fs::path& path, const vocabulary& v) {
    json j;
    j["format"] = "kiln-melody-vocabulary";
    j["version"] = 1;
    j["steps_per_quarter"] = v.steps_per_quarter;
    j["max_steps"] = v.max_steps;
    j["values"] = json::array();
    for (const value x : v.values) j["values"].push_back(to_string(x));
    j["counts"] = v.counts;
    const std::string text = j.dump(1) + "\n";
    const byte_range piece{text.data(), text.size()};
    write_file_atomically(path, std::span(&piece, 1), "melody: " + path.string() + ": ", "vocabulary");
}

vocabulary load_vocabulary(const fs::path& path) {
    const std::string where = "melody: " + path.string() + ": ";
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw error(where + "cannot open the vocabulary; expected the JSON file that "
                            "save_vocabulary wrote");
    json j;
    try {
        j = json::parse(in);
    } catch (const json::exception& e) {
        throw error(where + "not valid JSON (" + e.what() + "); the file is damaged");
    }
    auto bad = [&](const std::string& what) {
        return error(where + what + "; expected a kiln-melody-vocabulary file (version 1)");
    };
    if (!j.is_object() || !j.contains("format") || j["format"] != "kiln-melody-vocabulary")
        throw bad("no \"format\": \"kiln-melody-vocabulary\"");
    if (!j.contains("version") || j["version"] != 1)
        throw bad("version " + (j.contains("version") ? j["version"].dump() : "missing"));
    for (const char* key : {"steps_per_quarter", "max_steps"})
        if (!j.contains(key) || !j[key].is_number_integer())
            throw bad(std::string("no integer \"") + key + "\"");
    for (const char* key : {"values", "counts"})
        if (!j.contains(key) || !j[key].is_array())
            throw bad(std::string("no \"") + key + "\" array");
    vocabulary v;
    v.steps_per_quarter = j["steps_per_quarter"].get<int>();
    v.max_steps = j["max_steps"].get<int>();
    try {
        check_options({v.steps_per_quarter, v.max_steps}, "load_vocabulary");
    } catch (const error& e) {
        throw bad(e.what());
    }
    if (j["values"].size() != j["counts"].size())
        throw bad(std::to_string(j["values"].size()) + " values but " +
                  std::to_string(j["counts"].size()) + " counts");
    if (j["values"].empty()) throw bad("an empty \"values\" array");
    for (std::size_t i = 0; i < j["values"].size(); ++i) {
        const json& text = j["values"][i];
        const json& count = j["counts"][i];
        if (!text.is_string()) throw bad("values[" + std::to_string(i) + "] is not a string");
        if (!count.is_number_unsigned())
            throw bad("counts[" + std::to_string(i) + "] is " + count.dump() +
                      ", not a count >= 0");
        value x;
        try {
            x = parse_value(text.get<std::string>());
        } catch (const error& e) {
            throw bad("values[" + std::to_string(i) + "]: " + e.what());
        }
        if (!valid(x, v.max_steps))
            throw bad("values[" + std::to_string(i) + "] = " + to_string(x) +
                      " has more steps than max_steps " + std::to_string(v.max_steps));
        if (v.contains(x))
            throw bad("values[" + std::to_string(i) + "] = " + to_string(x) + " appears twice");
        v.values.push_back(x);
        v.counts.push_back(count.get<std::size_t>());
    }
    return v;
}

std::vector<int> encode(const vocabulary& v, std::span<const value> values) {
    std::vector<int> out;
    out.reserve(values.size());
    for (const value x : values) out.push_back(v.index_of(x));
    return out;
}

std::vector<value> decode(const vocabulary& v, std::span<const int> indices) {
    std::vector<value> out;
    out.reserve(indices.size());
    for (std::size_t i = 0; i < indices.size(); ++i) {
        if (indices[i] < 0 || static_cast<std::size_t>(indices[i]) >= v.size())
            throw error("melody: decode: index " + std::to_string(indices[i]) + " at position " +
                        std::to_string(i) + "; expected 0 to " + std::to_string(v.size() - 1) +
                        " (the vocabulary's size - 1)");
        out.push_back(v.values[static_cast<std::size_t>(indices[i])]);
    }
    return out;
}

std::vector<window> windows(std::span<const std::vector<int>> sequences, std::size_t T,
                            std::size_t stride) {
    if (T == 0 || stride == 0)
        throw error("melody: windows: T " + std::to_string(T) + ", stride " +
                    std::to_string(stride) + "; expected both >= 1");
    std::vector<window> out;
    for (std::size_t s = 0; s < sequences.size(); ++s)
        for (std::size_t start = 0; start + T + 1 <= sequences[s].size(); start += stride)
            out.push_back({s, start});
    return out;
}

batch one_hot_batch(std::span<const std::vector<int>> sequences, std::span<const window> chosen,
                    std::size_t T, std::size_t F) {
    if (T == 0 || F == 0)
        throw error("melody: one_hot_batch: T " + std::to_string(T) + ", F " +
                    std::to_string(F) + "; expected both >= 1");
    batch b;
    b.n = chosen.size();
    b.t = T;
    b.f = F;
    b.x.assign(b.n * T * F, 0.0f);
    b.y.assign(b.n * T * F, 0.0f);
    for (std::size_t n = 0; n < b.n; ++n) {
        const window w = chosen[n];
        if (w.sequence >= sequences.size())
            throw error("melody: one_hot_batch: window " + std::to_string(n) + " names sequence " +
                        std::to_string(w.sequence) + "; there are " +
                        std::to_string(sequences.size()));
        const std::vector<int>& seq = sequences[w.sequence];
        if (w.start + T + 1 > seq.size())
            throw error("melody: one_hot_batch: window " + std::to_string(n) + " starts at " +
                        std::to_string(w.start) + " in a sequence of " +
                        std::to_string(seq.size()) + " values; X and Y need start + T + 1 = " +
                        std::to_string(w.start + T + 1));
        for (std::size_t t = 0; t <= T; ++t) {
            const int index = seq[w.start + t];
            if (index < 0 || static_cast<std::size_t>(index) >= F)
                throw error("melody: one_hot_batch: index " + std::to_string(index) +
                            " in sequence " + std::to_string(w.sequence) + " at " +
                            std::to_string(w.start + t) + "; expected 0 to " +
                            std::to_string(F - 1));
            const std::size_t f = static_cast<std::size_t>(index);
            if (t < T) b.x[(n * T + t) * F + f] = 1.0f;
            if (t > 0) b.y[(n * T + t - 1) * F + f] = 1.0f;
        }
    }
    return b;
}

}  // namespace kiln::melody
