#include "runtime/midi.hpp"


#include <algorithm>
#include <deque>
#include <fstream>
#include <iterator>
#include <map>
#include <tuple>

#include "runtime/atomic_file.hpp"
#include "runtime/error.hpp"

namespace kiln::midi {
namespace fs = std::filesystem;

namespace {

std::string hex(std::uint8_t byte) {
    constexpr const char* digits = "0123456789ABCDEF";
    return {'0', 'x', digits[byte >> 4], digits[byte & 15]};
}

// Four bytes as they would print ('MThd'), non-printable ones as \xNN, then in hex.
std::string show_tag(std::span<const std::uint8_t> tag) {
    constexpr const char* digits = "0123456789ABCDEF";
    std::string text = "'", bytes;
    for (const std::uint8_t c : tag) {
        if (c >= 0x20 && c < 0x7F)
            text += static_cast<char>(c);
        else
            text += std::string("\\x") + digits[c >> 4] + digits[c & 15];
        bytes += std::string(bytes.empty() ? "" : " ") + digits[c >> 4] + digits[c & 15];
    }
    return text + "' (" + bytes + ")";
}

std::uint32_t be32(const std::uint8_t* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
           p[3];
}
std::uint16_t be16(const std::uint8_t* p) { return std::uint16_t((p[0] << 8) | p[1]); }

std::size_t data_bytes_of(std::uint8_t status) {
    const std::uint8_t type = status & 0xF0;
    return type == 0xC0 || type == 0xD0 ? 1 : 2;
}

// The length a meta event of this type must have; -1 when any length is allowed.
int required_meta_length(std::uint8_t type) {
    switch (type) {
        case meta::end_of_track: return 0;
        case meta::tempo: return 3;
        case meta::time_signature: return 4;
        case meta::key_signature: return 2;
        default: return -1;
    }
}

const char* meta_name(std::uint8_t type) {
    switch (type) {
        case meta::end_of_track: return "end-of-track";
        case meta::tempo: return "tempo";
        case meta::time_signature: return "time-signature";
        case meta::key_signature: return "key-signature";
        default: return "meta";
    }
}

class reader {
public:
    reader(std::span<const std::uint8_t> bytes, std::string_view name)
        : bytes_(bytes), name_(name) {}

    file read() {
        file out;
        context_ = "header";
        const std::size_t size = bytes_.size();
        if (size == 0) fail(0, "the file is empty; expected a Standard MIDI File ('MThd' ...)");
        if (size < 8)
            fail(0, "expected an 'MThd' chunk header (8 bytes), found only " +
                        std::to_string(size) + " bytes; the file is truncated");
        const auto tag = bytes_.first(4);
        if (!std::equal(tag.begin(), tag.end(), "MThd")) {
            const bool riff = std::equal(tag.begin(), tag.end(), "RIFF");
            fail(0, "bad magic: expected 'MThd' (4D 54 68 64), found " + show_tag(tag) +
                        (riff ? "; this is an RMID (RIFF) file - extract its 'data' chunk, "
                                "which holds the Standard MIDI File"
                              : "; not a Standard MIDI File"));
        }
        const std::uint32_t header_length = be32(&bytes_[4]);
        if (header_length > size - 8)
            fail(4, "chunk length " + std::to_string(header_length) +
                        " runs past the end of the file (" + std::to_string(size - 8) +
                        " bytes left); the file is truncated");
        if (header_length < 6)
            fail(4, "'MThd' length " + std::to_string(header_length) +
                        "; expected at least 6 (format, track count, division)");
        out.format = be16(&bytes_[8]);
        const std::uint16_t track_count = be16(&bytes_[10]);
        const std::uint16_t division = be16(&bytes_[12]);
        if (out.format > 2)
            fail(8, "format " + std::to_string(out.format) +
                        "; expected 0 (one track), 1 (simultaneous tracks) or 2 (patterns)");
        if (out.format == 0 && track_count != 1)
            fail(10, "a format-0 file must hold exactly one track; the header says " +
                         std::to_string(track_count));
        if (division & 0x8000)
            fail(12, "division " + hex(std::uint8_t(division >> 8)) +
                         hex(std::uint8_t(division & 0xFF)).substr(2) +
                         " is SMPTE time (frames per second x ticks per frame), which is not "
                         "supported; expected ticks per quarter note (bit 15 clear) - convert "
                         "the file with a sequencer");
        if (division == 0)
            fail(12, "division 0; expected ticks per quarter note from 1 to 32767");
        out.ticks_per_quarter = division;

        std::size_t pos = 8 + header_length;  // longer MThd chunks: the extra bytes are skipped
        while (out.tracks.size() < track_count) {
            context_ = "track " + std::to_string(out.tracks.size());
            if (pos == size)
                fail(pos, "expected " + std::to_string(track_count) + " track chunks (the " +
                              "header's count), found " + std::to_string(out.tracks.size()) +
                              " before the end of the file; the file is truncated");
            if (size - pos < 8)
                fail(pos, "expected a chunk header (8 bytes), found only " +
                              std::to_string(size - pos) + " bytes; the file is truncated");
            const auto type = bytes_.subspan(pos, 4);
            const std::uint32_t length = be32(&bytes_[pos + 4]);
            if (length > size - pos - 8)
                fail(pos + 4, "chunk length " + std::to_string(length) +
                                  " runs past the end of the file (" +
                                  std::to_string(size - pos - 8) +
                                  " bytes left); the file is truncated");
            const std::size_t begin = pos + 8, end = begin + length;
            pos = end;
            if (!std::equal(type.begin(), type.end(), "MTrk")) continue;  // an unknown chunk
            out.tracks.push_back(read_track(begin, end, out.tracks_without_end));
        }
        return out;
    }

private:
    [[noreturn]] void fail(std::size_t at, const std::string& what) const {
        throw error("midi: " + name_ + ": " + context_ + " at byte " + std::to_string(at) +
                    ": " + what);
    }

    std::uint32_t read_vlq(std::size_t& p, std::size_t end, const char* what) const {
        const std::size_t start = p;
        std::uint32_t value = 0;
        for (int i = 0; i < 4; ++i) {
            if (p == end)
                fail(start, std::string("expected a variable-length ") + what +
                                ", found the end of the track chunk after " +
                                std::to_string(p - start) + " bytes; the track is truncated");
            const std::uint8_t byte = bytes_[p++];
            value = (value << 7) | (byte & 0x7F);
            if (!(byte & 0x80)) return value;
        }
        fail(start, std::string("variable-length ") + what +
                        " too long: expected at most 4 bytes, the 4th byte " +
                        hex(bytes_[p - 1]) + " still has its continuation bit set; the "
                        "track is damaged");
    }

    void need(std::size_t p, std::size_t count, std::size_t end, const std::string& what) const {
        if (end - p < count)
            fail(p, "expected " + what + " (" + std::to_string(count) + " bytes), found " +
                        std::to_string(end - p) +
                        " before the end of the track chunk; the track is truncated");
    }

    track read_track(std::size_t begin, std::size_t end, std::size_t& without_end) const {
        track out;
        std::uint64_t tick = 0;
        int running = -1;  // the running status, -1 before the first channel message
        std::size_t p = begin;
        bool ended = false;
        while (p < end && !ended) {
            const std::size_t at = p;
            tick += read_vlq(p, end, "delta-time");
            if (tick > UINT32_MAX)
                fail(at, "the absolute time passes 2^32 - 1 ticks; the track is damaged");
            if (p == end)
                fail(p, "expected an event after the delta-time, found the end of the track "
                        "chunk; the track is truncated");
            event e;
            e.tick = static_cast<std::uint32_t>(tick);
            const std::uint8_t first = bytes_[p];
            if (first < 0x80) {
                if (running < 0)
                    fail(p, "expected a status byte (0x80-0xFF), found data byte " + hex(first) +
                                " with no running status in effect; the track is damaged");
                e.status = static_cast<std::uint8_t>(running);
            } else {
                e.status = first;
                ++p;
            }
            if (e.is_channel()) {
                running = e.status;
                const std::size_t count = data_bytes_of(e.status);
                need(p, count, end, std::to_string(count) + " data byte(s) of a " +
                                        hex(e.status) + " message");
                for (std::size_t i = 0; i < count; ++i)
                    if (bytes_[p + i] >= 0x80)
                        fail(p + i, "expected a data byte (< 0x80) of a " + hex(e.status) +
                                        " message, found " + hex(bytes_[p + i]) +
                                        "; the track is damaged");
                e.data1 = bytes_[p];
                e.data2 = count == 2 ? bytes_[p + 1] : 0;
                p += count;
            } else if (e.is_meta()) {
                need(p, 1, end, "a meta event type");
                e.meta_type = bytes_[p];
                if (e.meta_type >= 0x80)
                    fail(p, "expected a meta event type (< 0x80), found " + hex(e.meta_type) +
                                "; the track is damaged");
                ++p;
                read_payload(e, p, end);
                const int wanted = required_meta_length(e.meta_type);
                if (wanted >= 0 && e.payload.size() != static_cast<std::size_t>(wanted))
                    fail(at, std::string(meta_name(e.meta_type)) + " meta event (FF " +
                                 hex(e.meta_type).substr(2) + ") has " +
                                 std::to_string(e.payload.size()) + " data bytes; expected " +
                                 std::to_string(wanted));
                if (e.meta_type == meta::end_of_track) {
                    ended = true;  // bytes after it in the chunk are ignored
                    continue;
                }
            } else if (e.is_sysex()) {
                read_payload(e, p, end);
            } else {
                fail(p - 1, "expected a channel status (0x80-0xEF), a sysex (F0, F7) or a meta "
                            "event (FF), found " + hex(e.status) +
                            " (a system message, which a file cannot hold); the track is "
                            "damaged");
            }
            out.events.push_back(std::move(e));
        }
        out.end_tick = static_cast<std::uint32_t>(tick);
        if (!ended) ++without_end;
        return out;
    }

    void read_payload(event& e, std::size_t& p, std::size_t end) const {
        const std::size_t length_at = p;
        const std::uint32_t length = read_vlq(p, end, "event length");
        if (length > end - p)
            fail(length_at, std::string(e.is_meta() ? "meta" : "sysex") + " event length " +
                                std::to_string(length) +
                                " runs past the end of the track chunk (" +
                                std::to_string(end - p) + " bytes left); the track is "
                                "truncated or damaged");
        e.payload.assign(bytes_.begin() + static_cast<std::ptrdiff_t>(p),
                         bytes_.begin() + static_cast<std::ptrdiff_t>(p + length));
        p += length;
    }

    std::span<const std::uint8_t> bytes_;
    std::string name_;
    std::string context_;
};

void put_vlq(std::vector<std::uint8_t>& out, std::uint32_t value) {
    std::uint8_t groups[4];
    int n = 0;
    do {
        groups[n++] = value & 0x7F;
        value >>= 7;
    } while (value != 0);
    while (n > 1) out.push_back(groups[--n] | 0x80);
    out.push_back(groups[0]);
}

void put_be32(std::vector<std::uint8_t>& out, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back((value >> shift) & 0xFF);
}

std::vector<std::uint8_t> encode_as(const file& f, const std::string& where) {
    auto fail = [&](const std::string& what) -> void {
        throw error("midi: " + where + ": cannot write: " + what);
    };
    if (f.format == 2) fail("format 2 is not written; write format 1 (simultaneous tracks)");
    if (f.format != 0 && f.format != 1)
        fail("format " + std::to_string(f.format) + "; expected 0 or 1");
    if (f.format == 0 && f.tracks.size() != 1)
        fail("a format-0 file holds exactly one track, this one has " +
             std::to_string(f.tracks.size()) + "; write format 1");
    if (f.tracks.size() > 0xFFFF)
        fail(std::to_string(f.tracks.size()) + " tracks; a file holds at most 65535");
    if (f.ticks_per_quarter == 0 || f.ticks_per_quarter > 0x7FFF)
        fail("ticks_per_quarter " + std::to_string(f.ticks_per_quarter) +
             "; expected 1 to 32767 (larger values mean SMPTE time)");

    std::vector<std::uint8_t> out = {'M', 'T', 'h', 'd', 0, 0, 0, 6};
    out.push_back(0);
    out.push_back(static_cast<std::uint8_t>(f.format));
    out.push_back(static_cast<std::uint8_t>(f.tracks.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(f.tracks.size() & 0xFF));
    out.push_back(static_cast<std::uint8_t>(f.ticks_per_quarter >> 8));
    out.push_back(static_cast<std::uint8_t>(f.ticks_per_quarter & 0xFF));

    for (std::size_t ti = 0; ti < f.tracks.size(); ++ti) {
        const track& t = f.tracks[ti];
        std::vector<std::uint8_t> body;
        std::uint32_t previous = 0;
        for (std::size_t ei = 0; ei < t.events.size(); ++ei) {
            const event& e = t.events[ei];
            const std::string at = "track " + std::to_string(ti) + " event " +
                                   std::to_string(ei) + " (tick " + std::to_string(e.tick) + ")";
            if (e.tick < previous)
                fail(at + " comes before the previous event (tick " + std::to_string(previous) +
                     "); sort each track's events by tick");
            put_vlq(body, e.tick - previous);
            previous = e.tick;
            body.push_back(e.status);
            if (e.is_channel()) {
                const std::size_t count = data_bytes_of(e.status);
                if (e.data1 >= 0x80 || (count == 2 && e.data2 >= 0x80))
                    fail(at + ": data bytes " + hex(e.data1) + " " + hex(e.data2) +
                         "; expected values below 0x80");
                body.push_back(e.data1);
                if (count == 2) body.push_back(e.data2);
            } else if (e.is_meta() || e.is_sysex()) {
                if (e.is_meta()) {
                    if (e.meta_type >= 0x80)
                        fail(at + ": meta type " + hex(e.meta_type) + "; expected below 0x80");
                    if (e.meta_type == meta::end_of_track)
                        fail(at + " is an end-of-track meta event; leave it out and set "
                                  "track::end_tick (write adds it)");
                    const int wanted = required_meta_length(e.meta_type);
                    if (wanted >= 0 && e.payload.size() != static_cast<std::size_t>(wanted))
                        fail(at + ": " + meta_name(e.meta_type) + " meta event with " +
                             std::to_string(e.payload.size()) + " bytes; expected " +
                             std::to_string(wanted));
                    body.push_back(e.meta_type);
                }
                if (e.payload.size() > max_vlq)
                    fail(at + ": " + std::to_string(e.payload.size()) +
                         " bytes of payload; at most 0x0FFFFFFF fit a length");
                put_vlq(body, static_cast<std::uint32_t>(e.payload.size()));
                body.insert(body.end(), e.payload.begin(), e.payload.end());
            } else {
                fail(at + ": status " + hex(e.status) +
                     "; expected a channel status 0x80-0xEF, F0, F7 or FF");
            }
        }
        put_vlq(body, std::max(t.end_tick, previous) - previous);
        body.insert(body.end(), {std::uint8_t{0xFF}, meta::end_of_track, std::uint8_t{0x00}});
        if (body.size() > UINT32_MAX) fail("track " + std::to_string(ti) + " exceeds 4 GiB");
        for (const char c : {'M', 'T', 'r', 'k'}) out.push_back(static_cast<std::uint8_t>(c));
        put_be32(out, static_cast<std::uint32_t>(body.size()));
        out.insert(out.end(), body.begin(), body.end());
    }
    return out;
}


void check_channel(int channel, int a, int b, const char* what) {
    if (channel < 0 || channel > 15 || a < 0 || a > 127 || b < 0 || b > 127)
        throw error(std::string("midi: ") + what + "(channel " + std::to_string(channel) + ", " +
                    std::to_string(a) + ", " + std::to_string(b) +
                    "): expected channel 0-15 and data values 0-127");
}

}  // namespace

event note_on(std::uint32_t tick, int channel, int pitch, int velocity) {
    check_channel(channel, pitch, velocity, "note_on");
    return {tick, static_cast<std::uint8_t>(0x90 | channel), static_cast<std::uint8_t>(pitch),
            static_cast<std::uint8_t>(velocity), 0, {}};
}

event note_off(std::uint32_t tick, int channel, int pitch, int velocity) {
    check_channel(channel, pitch, velocity, "note_off");
    return {tick, static_cast<std::uint8_t>(0x80 | channel), static_cast<std::uint8_t>(pitch),
            static_cast<std::uint8_t>(velocity), 0, {}};
}

event program_change(std::uint32_t tick, int channel, int program) {
    check_channel(channel, program, 0, "program_change");
    return {tick, static_cast<std::uint8_t>(0xC0 | channel), static_cast<std::uint8_t>(program), 0,
            0, {}};
}

event tempo_event(std::uint32_t tick, std::uint32_t microseconds_per_quarter) {
    if (microseconds_per_quarter == 0 || microseconds_per_quarter > 0xFFFFFF)
        throw error("midi: tempo_event: " + std::to_string(microseconds_per_quarter) +
                    " microseconds per quarter; expected 1 to 16777215 (3 bytes)");
    const std::uint32_t us = microseconds_per_quarter;
    return {tick, 0xFF, 0, 0, meta::tempo,
            {static_cast<std::uint8_t>(us >> 16), static_cast<std::uint8_t>((us >> 8) & 0xFF),
             static_cast<std::uint8_t>(us & 0xFF)}};
}

event text_event(std::uint32_t tick, std::uint8_t type, std::string_view text) {
    if (type >= 0x80 || type == meta::end_of_track || required_meta_length(type) >= 0)
        throw error("midi: text_event: meta type " + hex(type) +
                    "; expected a text type such as 0x01 (text) or 0x03 (track name)");
    return {tick, 0xFF, 0, 0, type, std::vector<std::uint8_t>(text.begin(), text.end())};
}

file read(std::span<const std::uint8_t> bytes, std::string_view name) {
    return reader(bytes, name).read();
}

file read(const fs::path& path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        throw error("midi: " + path.string() +
                    ": no such file; expected a Standard MIDI File (.mid)");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw error("midi: " + path.string() + ": cannot open for reading");
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                          std::istreambuf_iterator<char>());
    if (in.bad()) throw error("midi: " + path.string() + ": read error");
    return read(bytes, path.string());
}

std::vector<std::uint8_t> encode(const file& f) { return encode_as(f, "<memory>"); }

void write(const fs::path& path, const file& f) {
    const std::vector<std::uint8_t> bytes = encode_as(f, path.string());
    const byte_range piece{bytes.data(), bytes.size()};
    write_file_atomically(path, std::span(&piece, 1), "midi: " + path.string() + ": ");
}

std::vector<std::uint8_t> encode_vlq(std::uint32_t value) {
    if (value > max_vlq)
        throw error("midi: encode_vlq: " + std::to_string(value) +
                    " does not fit a variable-length quantity (at most 0x0FFFFFFF, 4 bytes)");
    std::vector<std::uint8_t> out;
    put_vlq(out, value);
    return out;
}

vlq decode_vlq(std::span<const std::uint8_t> bytes) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        if (i == bytes.size())
            throw error("midi: decode_vlq: expected a variable-length quantity, found " +
                        std::to_string(i) + " bytes ending with the continuation bit set");
        value = (value << 7) | (bytes[i] & 0x7F);
        if (!(bytes[i] & 0x80)) return {value, i + 1};
    }
    throw error("midi: decode_vlq: variable-length quantity too long: expected at most 4 "
                "bytes, the 4th byte " + hex(bytes[3]) + " still has its continuation bit set");
}

note_list notes(const track& t, std::uint16_t track_index) {
    note_list out;
    std::map<int, std::deque<const event*>> sounding;  // (channel << 7 | pitch) -> note-ons
    for (const event& e : t.events) {
        if (!e.is_channel()) continue;
        const int key = (e.channel() << 7) | e.data1;
        if (e.is_note_on()) {
            sounding[key].push_back(&e);
        } else if (e.is_note_off()) {
            auto it = sounding.find(key);
            if (it == sounding.end() || it->second.empty()) {
                ++out.unmatched_offs;
                continue;
            }
            const event& on = *it->second.front();
            it->second.pop_front();
            out.notes.push_back({on.tick, e.tick, track_index, on.channel(), on.data1, on.data2});
        }
    }
    for (const auto& [key, ons] : sounding)
        for (const event* on : ons) {
            out.notes.push_back({on->tick, std::max(on->tick, t.end_tick), track_index,
                                 on->channel(), on->data1, on->data2});
            ++out.unterminated;
        }
    std::sort(out.notes.begin(), out.notes.end(), [](const note& a, const note& b) {
        return std::tie(a.start, a.track, a.channel, a.pitch, a.end) <
               std::tie(b.start, b.track, b.channel, b.pitch, b.end);
    });
    return out;
}

note_list notes(const file& f) {
    note_list out;
    for (std::size_t i = 0; i < f.tracks.size(); ++i) {
        note_list one = notes(f.tracks[i], static_cast<std::uint16_t>(i));
        out.notes.insert(out.notes.end(), one.notes.begin(), one.notes.end());
        out.unterminated += one.unterminated;
        out.unmatched_offs += one.unmatched_offs;
    }
    std::stable_sort(out.notes.begin(), out.notes.end(),
                     [](const note& a, const note& b) { return a.start < b.start; });
    return out;
}

std::vector<tempo_change> tempo_map(const file& f) {
    std::vector<tempo_change> out;
    for (std::size_t ti = 0; ti < f.tracks.size(); ++ti)
        for (const event& e : f.tracks[ti].events) {
            if (!e.is_meta() || e.meta_type != meta::tempo) continue;
            if (e.payload.size() != 3)
                throw error("midi: tempo_map: track " + std::to_string(ti) + " has a tempo " +
                            "event of " + std::to_string(e.payload.size()) +
                            " bytes at tick " + std::to_string(e.tick) + "; expected 3");
            out.push_back({e.tick, (std::uint32_t(e.payload[0]) << 16) |
                                       (std::uint32_t(e.payload[1]) << 8) | e.payload[2]});
        }
    std::stable_sort(out.begin(), out.end(),
                     [](const tempo_change& a, const tempo_change& b) { return a.tick < b.tick; });
    return out;
}

std::uint32_t tempo_at(const file& f, std::uint32_t tick) {
    std::uint32_t tempo = default_tempo;
    for (const tempo_change& c : tempo_map(f)) {
        if (c.tick > tick) break;
        tempo = c.microseconds_per_quarter;
    }
    return tempo;
}

std::string track_name(const track& t) {
    for (const event& e : t.events)
        if (e.is_meta() && e.meta_type == meta::track_name)
            return std::string(e.payload.begin(), e.payload.end());
    return {};
}

}  // namespace kiln::midi
