#pragma once
/*  Standard MIDI Files (SMF 1.0, the MIDI Manufacturers Association's specification):
    read and write, as a plain data model.
    FORMAT      chunks of <4-byte type><u32 big-endian length><data>. "MThd" first: format
                (0 = one track, 1 = simultaneous tracks, 2 = independent patterns; 2 is read
                but not written), the number of "MTrk" chunks, and the division - ticks per
                quarter note (bit 15 clear; SMPTE frames/ticks divisions are refused). Chunk
                types other than MThd/MTrk are skipped. A track is a list of
                <delta-time VLQ><event>: channel messages 8n-En (running status allowed),
                meta events FF <type> <VLQ length> <data>, sysex F0/F7 <VLQ length> <data>.
                VLQ: 7 bits a byte, most significant first, bit 7 set on all but the last
                byte, at most 4 bytes (values up to 0x0FFFFFFF).
    MODEL       event ticks are absolute (the deltas summed). Events keep their bytes as
                read: a note-on with velocity 0 stays status 9n with data2 = 0 (is_note_off()
                says it ends a note). The end-of-track meta event is not in track::events;
                its tick is track::end_tick. Tracks are counted from 0, as in file::tracks.
    READ        running status is set by channel messages only; meta and sysex events leave
                it as it was (the specification says writers must repeat the status after
                them; a reader that keeps it reads every conforming file the same way).
                A missing end-of-track event is tolerated: end_tick is the last event's tick
                and file::tracks_without_end counts it. Bytes after the last track are
                ignored.
    ERRORS      kiln::error "midi: <file>: track <i> at byte <offset>: <expected vs found>;
                <what to do>" (byte offsets from the start of the file; "header" instead of a
                track while in MThd): a missing or unreadable file, bad magic, a truncated
                chunk header, a chunk length past the end of the file, an MThd shorter than 6
                bytes, a format other than 0-2, a format-0 file with other than one track,
                SMPTE or zero division, fewer MTrk chunks than the header says, a VLQ longer
                than 4 bytes, a data byte with no running status, a status byte where a data
                byte belongs, a status F1-FE, an event running past its chunk, a meta type
                >= 0x80, tempo / time-signature / key-signature / end-of-track meta events of
                the wrong length, ticks past 2^32 - 1.
    WRITE       format 0 (exactly one track) or 1; every status byte written (no running
                status); an end-of-track meta event at max(end_tick, last event's tick);
                chunk lengths computed. Events must be in tick order and well formed (data
                bytes < 0x80). Atomic: a temporary file beside the target, fsync, rename; a
                failure leaves any previous file untouched.                                  */
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::midi {

// Meta event types (the byte after FF) that kiln reads or writes by name.
namespace meta {
inline constexpr std::uint8_t text = 0x01;
inline constexpr std::uint8_t copyright = 0x02;
inline constexpr std::uint8_t track_name = 0x03;
inline constexpr std::uint8_t instrument_name = 0x04;
inline constexpr std::uint8_t lyric = 0x05;
inline constexpr std::uint8_t marker = 0x06;
inline constexpr std::uint8_t end_of_track = 0x2F;  // never in track::events
inline constexpr std::uint8_t tempo = 0x51;           // 3 bytes: microseconds per quarter
inline constexpr std::uint8_t time_signature = 0x58;  // 4 bytes: nn dd(log2) cc bb
inline constexpr std::uint8_t key_signature = 0x59;   // 2 bytes: sharps(-7..7) minor(0/1)
}  // namespace meta

inline constexpr std::uint32_t default_tempo = 500'000;  // microseconds per quarter (120 bpm)
inline constexpr std::uint32_t max_vlq = 0x0FFF'FFFF;     // the largest 4-byte VLQ

struct event {
    std::uint32_t tick = 0;             // absolute, in ticks from the start of the track
    std::uint8_t status = 0;            // 0x80-0xEF channel message, 0xF0 / 0xF7 sysex, 0xFF meta
    std::uint8_t data1 = 0, data2 = 0;  // channel messages' data bytes (data2 = 0 when one)
    std::uint8_t meta_type = 0;         // meta events only
    std::vector<std::uint8_t> payload;  // meta / sysex bytes after the length (a sysex keeps
                                        // its closing F7 as stored)

    bool is_channel() const { return status >= 0x80 && status < 0xF0; }
    bool is_meta() const { return status == 0xFF; }
    bool is_sysex() const { return status == 0xF0 || status == 0xF7; }
    std::uint8_t type() const { return status & 0xF0; }  // 0x80 note off ... 0xE0 pitch bend
    std::uint8_t channel() const { return status & 0x0F; }  // 0-15 (MIDI channel 10 = 9)
    bool is_note_on() const { return type() == 0x90 && data2 > 0; }
    bool is_note_off() const { return type() == 0x80 || (type() == 0x90 && data2 == 0); }
    bool operator==(const event&) const = default;
};

struct track {
    std::vector<event> events;  // in tick order; no end-of-track event
    std::uint32_t end_tick = 0; // the end-of-track event's tick
    bool operator==(const track&) const = default;
};

struct file {
    int format = 1;                          // 0, 1 (2 read only)
    std::uint16_t ticks_per_quarter = 480;   // 1..0x7FFF
    std::vector<track> tracks;
    std::size_t tracks_without_end = 0;      // read(): tracks with no end-of-track event
};

// Event builders (channel 0-15, data bytes 0-127; checked when written).
event note_on(std::uint32_t tick, int channel, int pitch, int velocity);
event note_off(std::uint32_t tick, int channel, int pitch, int velocity = 0);
event program_change(std::uint32_t tick, int channel, int program);
event tempo_event(std::uint32_t tick, std::uint32_t microseconds_per_quarter);
event text_event(std::uint32_t tick, std::uint8_t type, std::string_view text);

// Reading. `name` is what errors call the bytes (read(path) uses the path).
file read(const std::filesystem::path& path);
file read(std::span<const std::uint8_t> bytes, std::string_view name = "<memory>");

// Writing: the file's bytes, and the atomic write of those bytes to `path`.
std::vector<std::uint8_t> encode(const file& f);
void write(const std::filesystem::path& path, const file& f);

// Variable-length quantities: encode_vlq throws for value > max_vlq; decode_vlq reads one from
// the front of `bytes` and throws when it is truncated or longer than 4 bytes.
std::vector<std::uint8_t> encode_vlq(std::uint32_t value);
struct vlq {
    std::uint32_t value;
    std::size_t length;  // bytes read, 1-4
};
vlq decode_vlq(std::span<const std::uint8_t> bytes);

// Notes paired from note-on / note-off: per (channel, pitch), a note-off ends the earliest
// still-sounding note-on (first in, first out). A note still sounding at the end of its track
// ends at the track's end_tick (counted in `unterminated`); a note-off with nothing to end is
// counted in `unmatched_offs` and otherwise ignored.
struct note {
    std::uint32_t start = 0, end = 0;  // ticks, end >= start
    std::uint16_t track = 0;
    std::uint8_t channel = 0, pitch = 0, velocity = 0;
    bool operator==(const note&) const = default;
};
struct note_list {
    std::vector<note> notes;  // ordered by (start, track, channel, pitch, end)
    std::size_t unterminated = 0, unmatched_offs = 0;
};
note_list notes(const track& t, std::uint16_t track_index = 0);
note_list notes(const file& f);  // every track

// Tempo: the tempo meta events of every track, in tick order (a later track's change at the
// same tick comes after an earlier track's), and the tempo in effect at `tick`.
struct tempo_change {
    std::uint32_t tick;
    std::uint32_t microseconds_per_quarter;
    bool operator==(const tempo_change&) const = default;
};
std::vector<tempo_change> tempo_map(const file& f);
std::uint32_t tempo_at(const file& f, std::uint32_t tick);  // default_tempo before the first

// The first track-name meta event's text; empty when there is none.
std::string track_name(const track& t);

}  // namespace kiln::midi
