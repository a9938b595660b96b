#pragma once
/*  Melodies as sequences of "values", the data of the jazz-solo LSTM (Course 5, week 1: the
    course turns a jazz MIDI into values - note/chord class + duration, 90 unique values,
    sequences of 30 - and trains the LSTM to predict the next value).
    VALUE       (pitch, steps): pitch 0-127 (MIDI note number) or `rest`; steps = duration in
                grid steps, 1..max_steps. Text form "60:4" (middle C, a quarter note on the
                default grid) and "rest:2".
    EXTRACT     from a midi::file: the (track, channel) with the most notes, channel 10
                (index 9, General MIDI percussion) excluded - ties go to the lower track, then
                channel. Onsets and ends are rounded to the grid (ticks_per_step =
                round(ticks_per_quarter / steps_per_quarter), at least 1). At each grid onset
                the highest note starting there is kept (a monophonic skyline); it lasts until
                its own end or the next onset, whichever comes first, and at least one step;
                silence before the first onset (from tick 0) and between notes becomes one
                rest. Durations are clamped to 1..max_steps: time past max_steps is dropped
                (so the values may be shorter than the source). Silence after the last note
                is dropped. tempo = the tempo in effect at the first kept onset.
    CANONICAL   extract() never gives two adjacent rests nor a trailing rest; for such value
                lists, extract(to_midi(m)) gives back m's values and tempo exactly.
    TO_MIDI     format 0, one track: a tempo event at tick 0, then each value in turn on one
                channel at one velocity (a rest only advances time); ticks_per_quarter =
                120 * steps_per_quarter. Adjacent rests are therefore merged when read back.
    VOCABULARY  value -> index, by count (most frequent first; ties by pitch, rest first, then
                steps), at most `cap` values (default 128). A value that did not make the cut
                maps to the nearest kept value of its kind (note or rest): smallest |pitch
                difference|, then smallest |steps difference|, then the more frequent one; when
                no value of its kind was kept, the kept value of nearest steps. Saved as JSON
                {"format": "kiln-melody-vocabulary", "version": 1, "steps_per_quarter",
                "max_steps", "values": ["60:4", ...], "counts": [...]}.
    WINDOWS     training pairs from index sequences: X = T values starting at `start`, Y = the
                T values one later (Y[t] = X[t + 1], the next value); a window needs
                start + T + 1 <= length. one_hot_batch lays them out as kiln's sequence
                activations (F, T, N), F innermost: x[(n * T + t) * F + f].
    ERRORS      kiln::error naming the file or argument: no melodic note in a file, a grid or
                clamp out of range, an unknown or malformed value, an index outside the
                vocabulary, a damaged vocabulary file, a sequence shorter than T + 1.        */
#include <compare>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/midi.hpp"

namespace kiln::melody {

inline constexpr int rest = -1;

struct value {
    int pitch = rest;  // 0-127, or rest
    int steps = 1;     // 1..max_steps grid steps
    auto operator<=>(const value&) const = default;
};
std::string to_string(value v);         // "60:4", "rest:4"
value parse_value(std::string_view text);  // the inverse; kiln::error when malformed

struct options {
    int steps_per_quarter = 4;  // the grid: 4 = sixteenth notes (ticks_per_quarter / 4)
    int max_steps = 16;         // durations clamp to 1..16 steps (a whole note on that grid)
};

struct melody {
    std::vector<value> values;
    int steps_per_quarter = 4;
    std::uint32_t tempo = midi::default_tempo;  // microseconds per quarter
    // Where extract() found it (-1 / 0 when built otherwise).
    int track = -1, channel = -1;
    std::size_t source_notes = 0;  // notes on that track and channel
};

melody extract(const midi::file& f, const options& opt = {});
midi::file to_midi(const melody& m, int velocity = 100, int channel = 0);

struct vocabulary {
    int steps_per_quarter = 4, max_steps = 16;  // the grid the values were extracted on
    std::vector<value> values;        // index -> value, most frequent first
    std::vector<std::size_t> counts;  // occurrences in the sequences it was built from

    std::size_t size() const { return values.size(); }
    bool contains(value v) const;
    int index_of(value v) const;  // exact match, else the nearest kept value (see above)
};

inline constexpr std::size_t default_vocabulary_cap = 128;
vocabulary build_vocabulary(std::span<const std::vector<value>> sequences, const options& opt = {},
                            std::size_t cap = default_vocabulary_cap);
void save_vocabulary(const std::filesystem::path& path, const vocabulary& v);
vocabulary load_vocabulary(const std::filesystem::path& path);

std::vector<int> encode(const vocabulary& v, std::span<const value> values);
std::vector<value> decode(const vocabulary& v, std::span<const int> indices);

struct window {
    std::size_t sequence = 0, start = 0;
    bool operator==(const window&) const = default;
};
// Every window of length T, every `stride` values, over all sequences (shorter ones add none).
std::vector<window> windows(std::span<const std::vector<int>> sequences, std::size_t T,
                            std::size_t stride = 1);

struct batch {
    std::size_t n = 0, t = 0, f = 0;
    std::vector<float> x, y;  // (F, T, N), F innermost: x[(n * T + t) * F + f]
};
batch one_hot_batch(std::span<const std::vector<int>> sequences, std::span<const window> chosen,
                    std::size_t T, std::size_t F);

}  // namespace kiln::melody
