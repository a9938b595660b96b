// Standard MIDI Files (runtime/midi.hpp) and melody values (runtime/melody.hpp).
// The byte sequences below are written by hand from the SMF 1.0 specification (chunk layout,
// VLQ table, running status, meta and sysex events); expected events, notes and tempos are
// worked out by hand from those bytes. The real files (scripts/fetch-midi.sh) are checked
// against Python's mido (Debian's python3-mido) when /usr/bin/python3 has it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/melody.hpp"
#include "runtime/midi.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using bytes = std::vector<std::uint8_t>;
using kiln::test::error_of;
namespace midi = kiln::midi;
namespace melody = kiln::melody;

namespace {

bytes cat(std::initializer_list<bytes> parts) {
    bytes out;
    for (const bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

bytes mthd(std::uint8_t format, std::uint8_t tracks, std::uint8_t div_hi, std::uint8_t div_lo) {
    return {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, format, 0, tracks, div_hi, div_lo};
}

bytes mtrk(const bytes& body) {
    const auto n = static_cast<std::uint32_t>(body.size());
    return cat({{'M', 'T', 'r', 'k', std::uint8_t(n >> 24), std::uint8_t(n >> 16),
                 std::uint8_t(n >> 8), std::uint8_t(n)},
                body});
}

// Format 0, 96 ticks per quarter: running status, a note-on with velocity 0, a tempo meta
// event and a sysex (the General MIDI "GM System On" message, F0 7E 7F 09 01 F7).
const bytes format0_file = cat({
    mthd(0, 1, 0x00, 0x60),
    {'M', 'T', 'r', 'k', 0, 0, 0, 0x24},
    {0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20},        // tempo 0x07A120 = 500000 us
    {0x00, 0xF0, 0x05, 0x7E, 0x7F, 0x09, 0x01, 0xF7},  // sysex, 5 bytes after the length
    {0x00, 0xC0, 0x05},                                // program change, channel 0, program 5
    {0x00, 0x90, 0x3C, 0x40},                          // note on C4 (60), velocity 64
    {0x60, 0x3E, 0x40},        // +96: running status 90: note on D4 (62), velocity 64
    {0x60, 0x3C, 0x00},        // +96 (tick 192): running status: C4 velocity 0 = note off
    {0x81, 0x40, 0x3E, 0x00},  // +192 (VLQ 81 40) at tick 384: D4 velocity 0
    {0x00, 0xFF, 0x2F, 0x00},  // end of track
});

// Format 1, 480 ticks per quarter (01 E0), a conductor track and a lead on channel 1.
const bytes format1_file = cat({
    mthd(1, 2, 0x01, 0xE0),
    mtrk({0x00, 0xFF, 0x03, 0x04, 'S', 'o', 'n', 'g',  // track name
          0x00, 0xFF, 0x58, 0x04, 0x04, 0x02, 0x18, 0x08,  // time signature 4/4
          0x00, 0xFF, 0x59, 0x02, 0xFF, 0x00,              // key signature: 1 flat, major
          0x00, 0xFF, 0x51, 0x03, 0x09, 0x27, 0xC0,        // tempo 600000 us (100 bpm)
          0x83, 0x60, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20,  // +480 (VLQ 83 60): 500000 us
          0x00, 0xFF, 0x2F, 0x00}),
    mtrk({0x00, 0xFF, 0x03, 0x04, 'L', 'e', 'a', 'd',
          0x00, 0xB1, 0x07, 0x64,        // control change, channel 1: volume 100
          0x00, 0xE1, 0x00, 0x40,        // pitch bend, channel 1: centre (0x2000)
          0x00, 0x91, 0x45, 0x50,        // note on A4 (69), velocity 80
          0x00, 0xD1, 0x20,              // channel aftertouch 32
          0x83, 0x60, 0x81, 0x45, 0x40,  // +480: note off A4, release velocity 64
          0x00, 0xA1, 0x45, 0x10,        // polyphonic aftertouch
          0x00, 0xFF, 0x2F, 0x00}),
});

midi::event channel_event(std::uint32_t tick, std::uint8_t status, std::uint8_t a,
                          std::uint8_t b = 0) {
    midi::event e;
    e.tick = tick;
    e.status = status;
    e.data1 = a;
    e.data2 = b;
    return e;
}

// A format-0 file at 96 ticks per quarter whose one track has `body` (bytes from byte 22).
bytes one_track(const bytes& body) { return cat({mthd(0, 1, 0x00, 0x60), mtrk(body)}); }

std::string error_reading(const bytes& b) {
    return error_of([&] { midi::read(b, "t.mid"); });
}

fs::path midi_dir() { return fs::path(KILN_SOURCE_DIR) / "data" / "midi"; }

std::vector<fs::path> real_files() {
    std::vector<fs::path> out;
    if (!fs::is_directory(midi_dir())) return out;
    for (const auto& entry : fs::recursive_directory_iterator(midi_dir()))
        if (entry.is_regular_file() && entry.path().extension() == ".mid")
            out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("midi: variable-length quantities match the specification's table", "[midi]") {
    // The SMF 1.0 specification's examples (number -> representation).
    const std::vector<std::pair<std::uint32_t, bytes>> table = {
        {0x00000000, {0x00}},
        {0x00000040, {0x40}},
        {0x0000007F, {0x7F}},
        {0x00000080, {0x81, 0x00}},
        {0x00002000, {0xC0, 0x00}},
        {0x00003FFF, {0xFF, 0x7F}},
        {0x00004000, {0x81, 0x80, 0x00}},
        {0x00100000, {0xC0, 0x80, 0x00}},
        {0x001FFFFF, {0xFF, 0xFF, 0x7F}},
        {0x00200000, {0x81, 0x80, 0x80, 0x00}},
        {0x08000000, {0xC0, 0x80, 0x80, 0x00}},
        {0x0FFFFFFF, {0xFF, 0xFF, 0xFF, 0x7F}},
    };
    for (const auto& [value, rep] : table) {
        INFO("value 0x" << std::hex << value);
        CHECK(midi::encode_vlq(value) == rep);
        bytes followed = rep;
        followed.push_back(0x55);  // a byte after the quantity is not read
        const midi::vlq got = midi::decode_vlq(followed);
        CHECK(got.value == value);
        CHECK(got.length == rep.size());
    }
    CHECK_THAT(error_of([] { midi::encode_vlq(0x10000000); }),
               Catch::Contains("at most 0x0FFFFFFF"));
    CHECK_THAT(error_of([] { midi::decode_vlq(bytes{0xFF, 0xFF, 0xFF, 0xFF, 0x7F}); }),
               Catch::Contains("too long") && Catch::Contains("at most 4 bytes"));
    CHECK_THAT(error_of([] { midi::decode_vlq(bytes{0x81, 0x80}); }),
               Catch::Contains("continuation bit"));
}

TEST_CASE("midi: a format-0 file with running status, velocity-0 note-off, tempo, sysex",
          "[midi]") {
    const midi::file f = midi::read(format0_file, "format0.mid");
    CHECK(f.format == 0);
    CHECK(f.ticks_per_quarter == 96);
    REQUIRE(f.tracks.size() == 1);
    CHECK(f.tracks_without_end == 0);
    const midi::track& t = f.tracks[0];
    CHECK(t.end_tick == 384);

    const std::vector<midi::event> expected = {
        {0, 0xFF, 0, 0, 0x51, {0x07, 0xA1, 0x20}},
        {0, 0xF0, 0, 0, 0, {0x7E, 0x7F, 0x09, 0x01, 0xF7}},
        channel_event(0, 0xC0, 5),
        channel_event(0, 0x90, 60, 64),
        channel_event(96, 0x90, 62, 64),
        channel_event(192, 0x90, 60, 0),
        channel_event(384, 0x90, 62, 0),
    };
    CHECK(t.events == expected);
    CHECK(t.events[5].is_note_off());
    CHECK_FALSE(t.events[5].is_note_on());

    const midi::note_list n = midi::notes(f);
    const std::vector<midi::note> notes = {{0, 192, 0, 0, 60, 64}, {96, 384, 0, 0, 62, 64}};
    CHECK(n.notes == notes);
    CHECK(n.unterminated == 0);
    CHECK(n.unmatched_offs == 0);
    CHECK(midi::tempo_map(f) == std::vector<midi::tempo_change>{{0, 500000}});
    CHECK(midi::tempo_at(f, 1000) == 500000);
}

TEST_CASE("midi: a format-1 file with two tracks and every channel message", "[midi]") {
    const midi::file f = midi::read(format1_file, "format1.mid");
    CHECK(f.format == 1);
    CHECK(f.ticks_per_quarter == 480);
    REQUIRE(f.tracks.size() == 2);
    CHECK(midi::track_name(f.tracks[0]) == "Song");
    CHECK(midi::track_name(f.tracks[1]) == "Lead");
    CHECK(f.tracks[0].end_tick == 480);
    CHECK(f.tracks[1].end_tick == 480);
    REQUIRE(f.tracks[0].events.size() == 5);
    CHECK(f.tracks[0].events[1] == midi::event{0, 0xFF, 0, 0, 0x58, {4, 2, 24, 8}});
    CHECK(f.tracks[0].events[2] == midi::event{0, 0xFF, 0, 0, 0x59, {0xFF, 0}});

    const std::vector<midi::event> lead = {
        {0, 0xFF, 0, 0, 0x03, {'L', 'e', 'a', 'd'}},
        channel_event(0, 0xB1, 7, 100),
        channel_event(0, 0xE1, 0x00, 0x40),
        channel_event(0, 0x91, 69, 80),
        channel_event(0, 0xD1, 32),
        channel_event(480, 0x81, 69, 64),
        channel_event(480, 0xA1, 69, 16),
    };
    CHECK(f.tracks[1].events == lead);
    CHECK(midi::notes(f).notes == std::vector<midi::note>{{0, 480, 1, 1, 69, 80}});
    CHECK(midi::tempo_map(f) == std::vector<midi::tempo_change>{{0, 600000}, {480, 500000}});
    CHECK(midi::tempo_at(f, 479) == 600000);
    CHECK(midi::tempo_at(f, 480) == 500000);
}

TEST_CASE("midi: unknown chunks are skipped, the default tempo, note pairing", "[midi]") {
    // An unknown 3-byte chunk between the header and the track.
    const bytes with_chunk = cat({mthd(0, 1, 0x00, 0x60), {'X', 'Y', 'Z', 'W', 0, 0, 0, 3, 1, 2, 3},
                                  mtrk({0x00, 0x90, 0x3C, 0x40, 0x10, 0x80, 0x3C, 0x00,
                                        0x00, 0xFF, 0x2F, 0x00})});
    const midi::file f = midi::read(with_chunk, "chunk.mid");
    REQUIRE(f.tracks.size() == 1);
    CHECK(f.tracks[0].events.size() == 2);
    CHECK(midi::tempo_at(f, 0) == 500000);  // no tempo event: the specification's 120 bpm

    // Two overlapping C4s end first-in first-out; a C4 left sounding ends at end_tick; a
    // note-off with nothing sounding is counted, not paired.
    midi::track t;
    t.events = {midi::note_on(0, 0, 60, 10), midi::note_on(10, 0, 60, 20),
                midi::note_off(20, 0, 60), midi::note_on(30, 0, 60, 30),
                midi::note_off(40, 0, 60), midi::note_off(50, 0, 64)};
    t.end_tick = 100;
    const midi::note_list n = midi::notes(t);
    const std::vector<midi::note> expected = {
        {0, 20, 0, 0, 60, 10}, {10, 40, 0, 0, 60, 20}, {30, 100, 0, 0, 60, 30}};
    CHECK(n.notes == expected);
    CHECK(n.unterminated == 1);
    CHECK(n.unmatched_offs == 1);
}

TEST_CASE("midi: encode writes the specification's bytes, without running status", "[midi]") {
    midi::file f;
    f.format = 0;
    f.ticks_per_quarter = 96;
    midi::track t;
    t.events = {midi::tempo_event(0, 500000), midi::note_on(0, 0, 60, 64),
                midi::note_on(96, 0, 62, 64), midi::note_off(96, 0, 60)};
    t.end_tick = 200;
    f.tracks.push_back(t);
    const bytes expected = cat({
        mthd(0, 1, 0x00, 0x60),
        {'M', 'T', 'r', 'k', 0, 0, 0, 0x17},
        {0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20},
        {0x00, 0x90, 0x3C, 0x40},
        {0x60, 0x90, 0x3E, 0x40},  // the status repeated: no running status
        {0x00, 0x80, 0x3C, 0x00},
        {0x68, 0xFF, 0x2F, 0x00},  // end of track at tick 200 = 96 + 104 (0x68)
    });
    CHECK(midi::encode(f) == expected);
}

TEST_CASE("midi: write -> read gives the same events and notes", "[midi]") {
    kiln::test::temp_dir dir("midi_roundtrip");
    for (const bytes* source : {&format0_file, &format1_file}) {
        const midi::file f = midi::read(*source, "source.mid");
        const fs::path path = dir / "copy.mid";
        midi::write(path, f);
        const midi::file back = midi::read(path);
        CHECK(back.format == f.format);
        CHECK(back.ticks_per_quarter == f.ticks_per_quarter);
        CHECK(back.tracks == f.tracks);
        CHECK(midi::notes(back).notes == midi::notes(f).notes);
        // The running-status original is shorter: the copy repeats every status byte.
        CHECK(fs::file_size(path) >= source->size());
    }
    // Atomic: nothing but the target is left in the directory.
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path)) ++entries;
    CHECK(entries == 1);
    CHECK_THAT(error_of([&] { midi::write(dir / "no" / "such" / "dir.mid", midi::file{}); }),
               Catch::Contains("does not exist"));
}

TEST_CASE("midi: malformed files give errors naming file, track, byte, expected, found",
          "[midi]") {
    using Catch::Contains;
    CHECK_THAT(error_reading({}), Contains("t.mid") && Contains("empty"));
    CHECK_THAT(error_reading({'M', 'T', 'h', 'd', 0, 0}),
               Contains("header at byte 0") && Contains("expected an 'MThd' chunk header") &&
                   Contains("found only 6 bytes") && Contains("truncated"));
    CHECK_THAT(error_reading({'R', 'I', 'F', 'F', 0, 0, 0, 6, 0, 0, 0, 1, 0, 0x60}),
               Contains("bad magic") && Contains("expected 'MThd'") &&
                   Contains("found 'RIFF' (52 49 46 46)") && Contains("RMID"));
    CHECK_THAT(error_reading({'M', 'T', 'r', 'k', 0, 0, 0, 6, 0, 0, 0, 1, 0, 0x60}),
               Contains("found 'MTrk'") && Contains("not a Standard MIDI File"));
    CHECK_THAT(error_reading({'M', 'T', 'h', 'd', 0, 0, 0, 0x10, 0, 0, 0, 1, 0, 0x60}),
               Contains("header at byte 4") && Contains("chunk length 16") &&
                   Contains("6 bytes left") && Contains("truncated"));
    CHECK_THAT(error_reading({'M', 'T', 'h', 'd', 0, 0, 0, 4, 0, 0, 0, 1}),
               Contains("'MThd' length 4") && Contains("at least 6"));
    CHECK_THAT(error_reading(mthd(3, 1, 0, 0x60)),
               Contains("header at byte 8") && Contains("format 3"));
    CHECK_THAT(error_reading(mthd(0, 2, 0, 0x60)),
               Contains("header at byte 10") && Contains("exactly one track"));
    // SMPTE: -25 frames per second (E7), 40 ticks per frame (28).
    CHECK_THAT(error_reading(mthd(1, 1, 0xE7, 0x28)),
               Contains("header at byte 12") && Contains("0xE728") && Contains("SMPTE") &&
                   Contains("not supported"));
    CHECK_THAT(error_reading(mthd(1, 1, 0, 0)), Contains("division 0"));

    const bytes ok_track = {0x00, 0xFF, 0x2F, 0x00};
    CHECK_THAT(error_reading(cat({mthd(1, 2, 0, 0x60), mtrk(ok_track)})),
               Contains("track 1 at byte 26") && Contains("expected 2 track chunks") &&
                   Contains("found 1") && Contains("truncated"));
    CHECK_THAT(error_reading(cat({mthd(1, 2, 0, 0x60), mtrk(ok_track), {'M', 'T', 'r'}})),
               Contains("track 1 at byte 26") && Contains("expected a chunk header (8 bytes)") &&
                   Contains("found only 3 bytes"));
    // A track chunk that claims 500 (0x1F4) bytes with 10 left.
    CHECK_THAT(error_reading(cat({mthd(0, 1, 0, 0x60), {'M', 'T', 'r', 'k', 0, 0, 0x01, 0xF4},
                                  bytes(10, 0)})),
               Contains("t.mid: track 0 at byte 18") && Contains("chunk length 500") &&
                   Contains("runs past the end of the file (10 bytes left)") &&
                   Contains("the file is truncated"));

    // Event errors; the track's first byte is byte 22.
    CHECK_THAT(error_reading(one_track({0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0xFF, 0x2F, 0x00})),
               Contains("track 0 at byte 22") && Contains("too long") &&
                   Contains("expected at most 4 bytes") && Contains("0xFF"));
    CHECK_THAT(error_reading(one_track({0x00, 0x3C, 0x40, 0x00, 0xFF, 0x2F, 0x00})),
               Contains("track 0 at byte 23") && Contains("expected a status byte") &&
                   Contains("found data byte 0x3C") && Contains("no running status"));
    // A meta event does not start running status.
    CHECK_THAT(error_reading(one_track({0x00, 0xFF, 0x01, 0x00, 0x00, 0x3C, 0x40})),
               Contains("track 0 at byte 27") && Contains("no running status"));
    CHECK_THAT(error_reading(one_track({0x00, 0x90, 0x3C, 0x90, 0x00, 0xFF, 0x2F, 0x00})),
               Contains("track 0 at byte 25") && Contains("expected a data byte (< 0x80)") &&
                   Contains("found 0x90"));
    CHECK_THAT(error_reading(one_track({0x00, 0x90, 0x3C})),
               Contains("track 0 at byte 24") && Contains("2 data byte(s)") &&
                   Contains("found 1"));
    CHECK_THAT(error_reading(one_track({0x00, 0xF2, 0x00, 0x00})),
               Contains("track 0 at byte 23") && Contains("found 0xF2"));
    CHECK_THAT(error_reading(one_track({0x00, 0xFF, 0x01, 0x20, 'a', 'b'})),
               Contains("track 0 at byte 25") && Contains("meta event length 32") &&
                   Contains("(2 bytes left)"));
    CHECK_THAT(error_reading(one_track({0x00, 0xF0, 0x05, 0x7E, 0xF7})),
               Contains("sysex event length 5") && Contains("(2 bytes left)"));
    CHECK_THAT(error_reading(one_track({0x00, 0xFF, 0x51, 0x02, 0x07, 0xA1, 0x00, 0xFF, 0x2F,
                                        0x00})),
               Contains("track 0 at byte 22") && Contains("tempo meta event") &&
                   Contains("has 2 data bytes; expected 3"));
    CHECK_THAT(error_reading(one_track({0x00, 0xFF, 0x2F, 0x01, 0x00})),
               Contains("end-of-track") && Contains("expected 0"));
    CHECK_THAT(error_reading(one_track({0x00, 0xFF, 0x80, 0x00})),
               Contains("track 0 at byte 24") && Contains("meta event type (< 0x80)"));
    CHECK_THAT(error_reading(one_track({0x81})),
               Contains("track 0 at byte 22") && Contains("delta-time") &&
                   Contains("truncated"));
    CHECK_THAT(error_of([] { midi::read(fs::path("/nonexistent/song.mid")); }),
               Contains("/nonexistent/song.mid") && Contains("no such file"));
}

TEST_CASE("midi: a missing end of track is tolerated and counted", "[midi]") {
    const midi::file f = midi::read(
        cat({mthd(1, 2, 0, 0x60), mtrk({0x00, 0x90, 0x3C, 0x40, 0x20, 0x3C, 0x00}),
             mtrk({0x00, 0xFF, 0x2F, 0x00})}),
        "noend.mid");
    CHECK(f.tracks_without_end == 1);
    REQUIRE(f.tracks.size() == 2);
    CHECK(f.tracks[0].events.size() == 2);
    CHECK(f.tracks[0].end_tick == 32);
    // Written back, the track gets its end-of-track event.
    const midi::file back = midi::read(midi::encode(f), "back.mid");
    CHECK(back.tracks_without_end == 0);
    CHECK(back.tracks == f.tracks);
}

TEST_CASE("midi: write refuses what a file cannot hold", "[midi]") {
    using Catch::Contains;
    midi::file f;
    f.format = 1;
    f.tracks.resize(1);
    f.tracks[0].events = {midi::note_on(10, 0, 60, 64), midi::note_off(5, 0, 60)};
    CHECK_THAT(error_of([&] { midi::encode(f); }),
               Contains("track 0 event 1 (tick 5)") && Contains("sort"));
    f.tracks[0].events = {channel_event(0, 0x90, 0x80, 1)};
    CHECK_THAT(error_of([&] { midi::encode(f); }), Contains("below 0x80"));
    f.tracks[0].events = {{0, 0xFF, 0, 0, 0x2F, {}}};
    CHECK_THAT(error_of([&] { midi::encode(f); }), Contains("end_tick"));
    f.tracks[0].events = {channel_event(0, 0xF2, 0)};
    CHECK_THAT(error_of([&] { midi::encode(f); }), Contains("status 0xF2"));
    f.tracks[0].events.clear();
    f.format = 2;
    CHECK_THAT(error_of([&] { midi::encode(f); }), Contains("format 2 is not written"));
    f.format = 0;
    f.tracks.resize(2);
    CHECK_THAT(error_of([&] { midi::encode(f); }), Contains("exactly one track"));
    f.tracks.resize(1);
    f.ticks_per_quarter = 0x8000;
    CHECK_THAT(error_of([&] { midi::encode(f); }), Contains("SMPTE"));
    CHECK_THAT(error_of([] { midi::note_on(0, 16, 60, 64); }), Contains("channel 0-15"));
    CHECK_THAT(error_of([] { midi::tempo_event(0, 0x1000000); }), Contains("3 bytes"));
}

TEST_CASE("melody: extraction follows the documented rules", "[melody]") {
    // 96 ticks per quarter: a sixteenth-note step is 24 ticks.
    midi::file f;
    f.ticks_per_quarter = 96;
    midi::track drums, lead;
    drums.events.push_back(midi::tempo_event(0, 600000));
    for (std::uint32_t i = 0; i < 20; ++i) {  // more notes than the lead, but on channel 10
        drums.events.push_back(midi::note_on(i * 24, 9, 36, 100));
        drums.events.push_back(midi::note_off(i * 24 + 12, 9, 36));
    }
    drums.end_tick = 480;
    // Lead (channel 0): a C major triad, then C5 cut short by D4, which lasts past 16 steps.
    auto add = [&](std::uint32_t start, std::uint32_t end, int pitch, int channel = 0) {
        lead.events.push_back(midi::note_on(start, channel, pitch, 90));
        lead.events.push_back(midi::note_off(end, channel, pitch));
    };
    add(48, 144, 60);   // steps 2..6
    add(48, 144, 64);
    add(48, 144, 67);   // the highest of the chord: 67 for 4 steps
    add(170, 264, 72);  // tick 170 rounds to step 7 (170/24 = 7.08); cut at step 9: 2 steps
    add(216, 696, 62);  // steps 9..29: 20 steps, clamped to 16
    add(0, 24, 50, 3);  // channel 3: one note, fewer than channel 0's
    std::stable_sort(lead.events.begin(), lead.events.end(),
                     [](const midi::event& a, const midi::event& b) { return a.tick < b.tick; });
    lead.end_tick = 700;
    f.tracks = {drums, lead};

    const melody::melody m = melody::extract(f);
    CHECK(m.track == 1);
    CHECK(m.channel == 0);
    CHECK(m.source_notes == 5);
    CHECK(m.tempo == 600000);
    const std::vector<melody::value> expected = {
        {melody::rest, 2}, {67, 4}, {melody::rest, 1}, {72, 2}, {62, 16}};
    CHECK(m.values == expected);

    // An eighth-note grid (48 ticks): tick 170 -> 3.54 rounds to 4, 696 -> 14.5 to 15.
    const melody::melody eighths = melody::extract(f, {2, 16});
    const std::vector<melody::value> expected8 = {
        {melody::rest, 1}, {67, 2}, {melody::rest, 1}, {72, 1}, {62, 10}};
    CHECK(eighths.values == expected8);

    midi::file drums_only;
    drums_only.tracks = {drums};
    CHECK_THAT(error_of([&] { melody::extract(drums_only); }),
               Catch::Contains("no notes outside channel 10"));
    CHECK_THAT(error_of([&] { melody::extract(f, {0, 16}); }),
               Catch::Contains("steps_per_quarter 0"));
}

TEST_CASE("melody: to_midi -> write -> read -> extract gives the values back", "[melody]") {
    kiln::test::temp_dir dir("melody_roundtrip");
    melody::melody m;
    m.tempo = 428571;  // 140 bpm
    m.values = {{melody::rest, 3}, {60, 4}, {60, 4}, {melody::rest, 16}, {127, 1},
                {0, 16},           {64, 2}, {melody::rest, 1}, {67, 5}};
    midi::write(dir / "m.mid", melody::to_midi(m));
    const midi::file f = midi::read(dir / "m.mid");
    CHECK(f.format == 0);
    CHECK(f.ticks_per_quarter == 480);
    CHECK(midi::tempo_at(f, 0) == 428571);
    const melody::melody back = melody::extract(f);
    CHECK(back.values == m.values);
    CHECK(back.tempo == m.tempo);
    // 6 notes at velocity 100 on channel 0; the repeated C4 stays two notes.
    const midi::note_list n = midi::notes(f);
    CHECK(n.notes.size() == 6);
    CHECK(n.notes[0] == midi::note{3 * 120, 7 * 120, 0, 0, 60, 100});
    CHECK(n.notes[1] == midi::note{7 * 120, 11 * 120, 0, 0, 60, 100});

    // Adjacent rests merge and a trailing rest is dropped, as documented.
    melody::melody loose;
    loose.values = {{60, 2}, {melody::rest, 2}, {melody::rest, 3}, {62, 1}, {melody::rest, 4}};
    const std::vector<melody::value> merged = {{60, 2}, {melody::rest, 5}, {62, 1}};
    CHECK(melody::extract(melody::to_midi(loose)).values == merged);
}

TEST_CASE("melody: vocabulary order, nearest fallback, save and load", "[melody]") {
    using melody::rest;
    const std::vector<std::vector<melody::value>> seqs = {
        {{60, 4}, {rest, 2}, {62, 4}, {60, 4}},
        {{64, 1}, {60, 4}, {rest, 2}, {62, 4}},
    };
    // Counts: 60:4 x3, rest:2 x2, 62:4 x2, 64:1 x1; ties by pitch with rest first.
    const melody::vocabulary v = melody::build_vocabulary(seqs, {}, 3);
    const std::vector<melody::value> kept = {{60, 4}, {rest, 2}, {62, 4}};
    CHECK(v.values == kept);
    CHECK(v.counts == std::vector<std::size_t>{3, 2, 2});
    CHECK(v.index_of({62, 4}) == 2);
    CHECK(v.index_of({64, 1}) == 2);    // nearest pitch: 62 (2 away) before 60 (4 away)
    CHECK(v.index_of({rest, 8}) == 1);  // rests map to rests
    CHECK(v.index_of({61, 4}) == 0);    // 60 and 62 equally near: the more frequent
    CHECK(v.index_of({60, 9}) == 0);
    CHECK(melody::build_vocabulary(seqs).size() == 4);  // the default cap keeps all

    const std::vector<int> idx = melody::encode(v, seqs[1]);
    CHECK(idx == std::vector<int>{2, 0, 1, 2});
    const std::vector<melody::value> decoded = {{62, 4}, {60, 4}, {rest, 2}, {62, 4}};
    CHECK(melody::decode(v, idx) == decoded);
    CHECK_THAT(error_of([&] { melody::decode(v, std::vector<int>{0, 3}); }),
               Catch::Contains("index 3 at position 1") && Catch::Contains("expected 0 to 2"));

    kiln::test::temp_dir dir("melody_vocab");
    melody::save_vocabulary(dir / "vocab.json", v);
    const melody::vocabulary back = melody::load_vocabulary(dir / "vocab.json");
    CHECK(back.values == v.values);
    CHECK(back.counts == v.counts);
    CHECK(back.steps_per_quarter == 4);
    CHECK(back.max_steps == 16);
    // The file is the documented JSON.
    std::ifstream in(dir / "vocab.json");
    std::stringstream text;
    text << in.rdbuf();
    CHECK_THAT(text.str(), Catch::Contains("\"rest:2\"") && Catch::Contains("\"60:4\"") &&
                               Catch::Contains("kiln-melody-vocabulary"));

    auto load_text = [&](const std::string& body) {
        std::ofstream(dir / "bad.json") << body;
        return error_of([&] { melody::load_vocabulary(dir / "bad.json"); });
    };
    const std::string head =
        R"({"format": "kiln-melody-vocabulary", "version": 1, "steps_per_quarter": 4, )"
        R"("max_steps": 16, )";
    CHECK_THAT(load_text("{nope"),
               Catch::Contains("bad.json") && Catch::Contains("not valid JSON"));
    CHECK_THAT(load_text(R"({"format": "other"})"), Catch::Contains("kiln-melody-vocabulary"));
    CHECK_THAT(load_text(head + R"("values": ["60:4"], "counts": [1, 2]})"),
               Catch::Contains("1 values but 2 counts"));
    CHECK_THAT(load_text(head + R"("values": ["60:4", "60:4"], "counts": [1, 2]})"),
               Catch::Contains("appears twice"));
    CHECK_THAT(load_text(head + R"("values": ["C4:4"], "counts": [1]})"),
               Catch::Contains("values[0]") && Catch::Contains("\"C4:4\""));
    CHECK_THAT(load_text(head + R"("values": ["60:17"], "counts": [1]})"),
               Catch::Contains("max_steps 16"));
    CHECK_THAT(error_of([&] { melody::load_vocabulary(dir / "missing.json"); }),
               Catch::Contains("cannot open"));
    CHECK(melody::parse_value("rest:16") == melody::value{rest, 16});
    CHECK_THAT(error_of([] { melody::parse_value("128:1"); }), Catch::Contains("pitch 0-127"));
}

TEST_CASE("melody: sliding windows and one-hot batches in (F, T, N)", "[melody]") {
    const std::vector<std::vector<int>> seqs = {{2, 0, 1, 3, 2}, {1, 1}};
    // Length 5, T = 3: starts 0 and 1 (start + T + 1 <= 5); length 2 gives none.
    CHECK(melody::windows(seqs, 3) == std::vector<melody::window>{{0, 0}, {0, 1}});
    CHECK(melody::windows(seqs, 3, 2) == std::vector<melody::window>{{0, 0}});
    CHECK(melody::windows(seqs, 5).empty());

    const std::vector<melody::window> chosen = {{0, 1}, {0, 0}};
    const melody::batch b = melody::one_hot_batch(seqs, chosen, 3, 4);
    REQUIRE(b.x.size() == 2 * 3 * 4);
    // By hand: window (0, 1): X = 0 1 3, Y = 1 3 2; window (0, 0): X = 2 0 1, Y = 0 1 3.
    const int hot_x[2][3] = {{0, 1, 3}, {2, 0, 1}};
    const int hot_y[2][3] = {{1, 3, 2}, {0, 1, 3}};
    for (int n = 0; n < 2; ++n)
        for (int t = 0; t < 3; ++t)
            for (int f = 0; f < 4; ++f) {
                INFO("n " << n << " t " << t << " f " << f);
                CHECK(b.x[(n * 3 + t) * 4 + f] == (f == hot_x[n][t] ? 1.0f : 0.0f));
                CHECK(b.y[(n * 3 + t) * 4 + f] == (f == hot_y[n][t] ? 1.0f : 0.0f));
            }
    const std::vector<melody::window> too_short = {{1, 0}};
    CHECK_THAT(error_of([&] { melody::one_hot_batch(seqs, too_short, 3, 4); }),
               Catch::Contains("start + T + 1 = 4"));
    CHECK_THAT(error_of([&] { melody::one_hot_batch(seqs, chosen, 3, 3); }),
               Catch::Contains("index 3") && Catch::Contains("expected 0 to 2"));
}

namespace {

// Per file, what Python's mido reports: format, ticks per quarter, messages per track without
// end_of_track, note-ons with velocity > 0 (all / outside channel 10), tempo changes in
// absolute ticks (tracks in order, then a stable sort by tick), and note-ons left sounding at
// the end of their track (a count per channel and pitch).
constexpr const char* mido_script = R"PY(
import sys, mido
for path in sys.argv[1:]:
    m = mido.MidiFile(path)
    counts, notes, melodic, tempos, sounding_at_end = [], 0, 0, [], 0
    for track in m.tracks:
        tick, n, sounding = 0, 0, {}
        for msg in track:
            tick += msg.time
            if msg.type == 'end_of_track':
                continue
            n += 1
            if msg.type == 'note_on' and msg.velocity > 0:
                notes += 1
                melodic += msg.channel != 9
                key = (msg.channel, msg.note)
                sounding[key] = sounding.get(key, 0) + 1
            elif msg.type in ('note_on', 'note_off') and sounding.get((msg.channel, msg.note)):
                sounding[(msg.channel, msg.note)] -= 1
            if msg.type == 'set_tempo':
                tempos.append((tick, msg.tempo))
        counts.append(n)
        sounding_at_end += sum(sounding.values())
    tempos.sort(key=lambda t: t[0])
    print('\t'.join([path, str(m.type), str(m.ticks_per_beat),
                     ','.join(map(str, counts)), str(notes), str(melodic),
                     str(sounding_at_end), ','.join('%d:%d' % t for t in tempos)]))
)PY";

struct mido_facts {
    std::string format, ticks, counts, notes, melodic, unterminated, tempos;
};

std::map<std::string, mido_facts> run_mido(const std::vector<fs::path>& files,
                                           const kiln::test::temp_dir& dir) {
    std::ofstream(dir / "facts.py") << mido_script;
    std::string command = std::string(kiln::test::system_python) + " " +
                          (dir / "facts.py").string();
    for (const fs::path& p : files) command += " '" + p.string() + "'";
    command += " > " + (dir / "facts.tsv").string();
    REQUIRE(kiln::test::run(command));
    std::map<std::string, mido_facts> out;
    std::ifstream in(dir / "facts.tsv");
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        std::vector<std::string> cols;
        std::stringstream ss(line);
        std::string col;
        while (std::getline(ss, col, '\t')) cols.push_back(col);
        if (line.back() == '\t') cols.emplace_back();  // no tempo changes
        REQUIRE(cols.size() == 8);
        out[cols[0]] = {cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7]};
    }
    return out;
}

}  // namespace

TEST_CASE("midi: the real files (openmsx, mma) parse, match mido and round-trip", "[midi][data]") {
    const std::vector<fs::path> files = real_files();
    if (files.empty()) {
        WARN("data/midi missing: run scripts/fetch-midi.sh (skipping the real-file checks)");
        return;
    }
    kiln::test::temp_dir dir("midi_real");
    const bool have_mido = kiln::test::python_has("mido");
    std::map<std::string, mido_facts> facts;
    if (have_mido)
        facts = run_mido(files, dir);
    else
        WARN("mido cross-check skipped: /usr/bin/python3 has no mido "
             "(apt-get install python3-mido)");

    std::size_t total_notes = 0, total_unterminated = 0, without_end = 0, melodies = 0,
                values = 0, drum_only = 0;
    std::vector<std::vector<melody::value>> sequences;
    for (const fs::path& path : files) {
        INFO(path.string());
        const midi::file f = midi::read(path);
        const midi::note_list n = midi::notes(f);
        CHECK(n.notes.size() > 0);
        total_notes += n.notes.size();
        total_unterminated += n.unterminated;
        without_end += f.tracks_without_end;
        const std::size_t melodic = static_cast<std::size_t>(
            std::count_if(n.notes.begin(), n.notes.end(),
                          [](const midi::note& x) { return x.channel != 9; }));

        // write -> read keeps every event.
        midi::write(dir / "copy.mid", f);
        const midi::file copy = midi::read(dir / "copy.mid");
        CHECK(copy.tracks == f.tracks);

        if (have_mido) {
            const auto it = facts.find(path.string());
            REQUIRE(it != facts.end());
            const mido_facts& m = it->second;
            std::string counts, tempos;
            for (const midi::track& t : f.tracks)
                counts += (counts.empty() ? "" : ",") + std::to_string(t.events.size());
            for (const midi::tempo_change& c : midi::tempo_map(f))
                tempos += (tempos.empty() ? "" : ",") + std::to_string(c.tick) + ":" +
                          std::to_string(c.microseconds_per_quarter);
            CHECK(m.format == std::to_string(f.format));
            CHECK(m.ticks == std::to_string(f.ticks_per_quarter));
            CHECK(m.counts == counts);
            CHECK(m.notes == std::to_string(n.notes.size()));
            CHECK(m.melodic == std::to_string(melodic));
            CHECK(m.unterminated == std::to_string(n.unterminated));
            CHECK(m.tempos == tempos);
        }

        if (melodic == 0) {
            ++drum_only;
            CHECK_THROWS_AS(melody::extract(f), kiln::error);
            continue;
        }
        const melody::melody m = melody::extract(f);
        REQUIRE_FALSE(m.values.empty());
        CHECK(m.source_notes > 0);
        ++melodies;
        values += m.values.size();
        // encode -> write -> read -> encode is the identity.
        midi::write(dir / "melody.mid", melody::to_midi(m));
        const melody::melody back = melody::extract(midi::read(dir / "melody.mid"));
        CHECK(back.values == m.values);
        CHECK(back.tempo == m.tempo);
        sequences.push_back(m.values);
    }
    const melody::vocabulary all = melody::build_vocabulary(sequences, {}, SIZE_MAX);
    const melody::vocabulary capped = melody::build_vocabulary(sequences);
    std::size_t covered = 0;
    for (const std::size_t c : capped.counts) covered += c;
    CHECK(capped.size() == std::min<std::size_t>(all.size(), melody::default_vocabulary_cap));
    WARN("midi: " << files.size() << " files, " << total_notes << " notes ("
                  << total_unterminated << " unterminated), " << without_end
                  << " tracks without end-of-track; " << melodies << " melodies ("
                  << drum_only << " percussion-only files), " << values << " values, "
                  << all.size() << " distinct; the vocabulary of " << capped.size()
                  << " covers " << covered << " of them"
                  << (have_mido ? "; every file agrees with mido" : ""));
}
