#include "runtime/datasets/text.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "runtime/atomic_file.hpp"
#include "runtime/data_dir.hpp"
#include "runtime/error.hpp"
#include "runtime/rdata.hpp"

namespace kiln::datasets {
#ifndef KILN_DATA_DIR
#error "KILN_DATA_DIR must name the source tree's data/ folder (runtime/CMakeLists.txt sets it)"
#endif

namespace {

std::string hex_code_point(char32_t c) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
    return buf;
}

}  // namespace

std::filesystem::path default_text_data_dir() { return kiln::data_dir(KILN_DATA_DIR); }

std::vector<austen_novel> load_austen_novels(const std::filesystem::path& dir) {
    if (!std::filesystem::exists(dir / "Rdata.rdx") || !std::filesystem::exists(dir / "Rdata.rdb"))
        throw error("load_jane_austen: " + (dir / "Rdata.rdx").string() + " or Rdata.rdb is " +
                    "missing; run scripts/fetch-text.sh (it copies r-cran-janeaustenr's data " +
                    "files there without installing R)");
    const rdata::database db(dir / "Rdata");
    std::vector<austen_novel> out;
    for (const austen_title& t : austen_novels) {
        const std::string variable(t.variable);
        if (!db.contains(variable))
            throw error("load_jane_austen: " + db.rdx_path().string() + " has no '" +
                        variable + "'; expected janeaustenr's six novels - fetch it again " +
                        "with scripts/fetch-text.sh");
        austen_novel novel{std::string(t.title), db.strings(variable)};
        if (novel.lines.size() != t.lines)
            throw error("load_jane_austen: '" + variable + "' has " +
                        std::to_string(novel.lines.size()) + " lines; expected " +
                        std::to_string(t.lines) + " (janeaustenr 1.0.0) - another version " +
                        "of the package?");
        out.push_back(std::move(novel));
    }
    return out;
}

std::string load_jane_austen(const std::filesystem::path& dir) {
    const std::vector<austen_novel> novels = load_austen_novels(dir);
    std::size_t size = 0;
    for (const auto& novel : novels)
        for (const auto& line : novel.lines) size += line.size() + 1;
    std::string text;
    text.reserve(size);
    bool first = true;
    for (const auto& novel : novels)
        for (const auto& line : novel.lines) {
            if (!first) text += '\n';
            text += line;
            first = false;
        }
    return text;
}

std::u32string utf8_decode(std::string_view utf8) {
    std::u32string out;
    out.reserve(utf8.size());
    const auto* s = reinterpret_cast<const unsigned char*>(utf8.data());
    const std::size_t n = utf8.size();
    for (std::size_t i = 0; i < n;) {
        const unsigned char b = s[i];
        std::size_t extra = 0;
        char32_t c = 0, least = 0;
        if (b < 0x80) { c = b; }
        else if ((b & 0xE0) == 0xC0) { c = b & 0x1F; extra = 1; least = 0x80; }
        else if ((b & 0xF0) == 0xE0) { c = b & 0x0F; extra = 2; least = 0x800; }
        else if ((b & 0xF8) == 0xF0) { c = b & 0x07; extra = 3; least = 0x10000; }
        else
            throw error("utf8_decode: byte " + std::to_string(i) + " is 0x" +
                        hex_code_point(b).substr(2) + ", which cannot start a UTF-8 character; " +
                        "expected UTF-8 text");
        for (std::size_t k = 1; k <= extra; ++k) {
            if (i + k >= n)
                throw error("utf8_decode: byte " + std::to_string(i) + ": a " +
                            std::to_string(extra + 1) + "-byte UTF-8 character cut off by the " +
                            "end of the text");
            if ((s[i + k] & 0xC0) != 0x80)
                throw error("utf8_decode: byte " + std::to_string(i + k) + ": expected a " +
                            "UTF-8 continuation byte (10xxxxxx) in the character starting at " +
                            "byte " + std::to_string(i));
            c = (c << 6) | (s[i + k] & 0x3F);
        }
        if (c < least || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            throw error("utf8_decode: byte " + std::to_string(i) + ": " + hex_code_point(c) +
                        " is an overlong or invalid UTF-8 encoding");
        out += c;
        i += extra + 1;
    }
    return out;
}

std::string utf8_encode(std::u32string_view chars) {
    std::string out;
    out.reserve(chars.size());
    for (const char32_t c : chars) {
        if (c < 0x80) {
            out += static_cast<char>(c);
        } else if (c < 0x800) {
            out += static_cast<char>(0xC0 | (c >> 6));
            out += static_cast<char>(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out += static_cast<char>(0xE0 | (c >> 12));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (c & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (c >> 18));
            out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (c & 0x3F));
        }
    }
    return out;
}

char_vocabulary char_vocabulary::from_chars(std::u32string chars, char32_t fallback) {
    std::sort(chars.begin(), chars.end());
    chars.erase(std::unique(chars.begin(), chars.end()), chars.end());
    char_vocabulary v;
    v.chars_ = std::move(chars);
    const auto it = std::lower_bound(v.chars_.begin(), v.chars_.end(), fallback);
    v.fallback_ = it != v.chars_.end() && *it == fallback
                      ? static_cast<std::int32_t>(it - v.chars_.begin())
                      : 0;
    return v;
}

char_vocabulary char_vocabulary::from_text(std::string_view utf8, char32_t fallback) {
    return from_chars(utf8_decode(utf8), fallback);
}

char32_t char_vocabulary::char_at(std::size_t index) const {
    if (index >= chars_.size())
        throw error("char_vocabulary: index " + std::to_string(index) + " outside [0, " +
                    std::to_string(chars_.size()) + ")");
    return chars_[index];
}

bool char_vocabulary::contains(char32_t c) const {
    return std::binary_search(chars_.begin(), chars_.end(), c);
}

std::int32_t char_vocabulary::index_of(char32_t c) const {
    const auto it = std::lower_bound(chars_.begin(), chars_.end(), c);
    if (it == chars_.end() || *it != c) return fallback_;
    return static_cast<std::int32_t>(it - chars_.begin());
}

std::vector<std::int32_t> char_vocabulary::encode(std::string_view utf8) const {
    if (chars_.empty()) throw error("char_vocabulary: encode with an empty vocabulary");
    // Code points below 128 (almost all of any English text) through a table.
    std::array<std::int32_t, 128> ascii{};
    for (char32_t c = 0; c < 128; ++c) ascii[c] = index_of(c);
    std::vector<std::int32_t> out;
    out.reserve(utf8.size());
    const bool plain = std::all_of(utf8.begin(), utf8.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 128; });
    if (plain) {
        for (const char c : utf8) out.push_back(ascii[static_cast<unsigned char>(c)]);
        return out;
    }
    for (const char32_t c : utf8_decode(utf8)) out.push_back(c < 128 ? ascii[c] : index_of(c));
    return out;
}

std::string char_vocabulary::decode(std::span<const std::int32_t> indices) const {
    std::u32string chars;
    chars.reserve(indices.size());
    for (const std::int32_t i : indices) {
        if (i < 0) throw error("char_vocabulary: decode of index " + std::to_string(i) +
                               "; expected 0 .. " + std::to_string(chars_.size() - 1));
        chars += char_at(static_cast<std::size_t>(i));
    }
    return utf8_encode(chars);
}

void char_vocabulary::save(const std::filesystem::path& path) const {
    std::ostringstream text;
    text << "kiln-char-vocabulary 1\nsize " << chars_.size() << "\nfallback " << fallback_ << "\n";
    for (const char32_t c : chars_) {
        text << hex_code_point(c);
        if (c > 0x20 && c != 0x7F) text << ' ' << utf8_encode(std::u32string(1, c));
        text << '\n';
    }
    const std::string bytes = text.str();
    const byte_range piece{bytes.data(), bytes.size()};
    write_file_atomically(path, std::span(&piece, 1), "char_vocabulary: " + path.string() + ": ", "vocabulary");
}

char_vocabulary char_vocabulary::load(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw error("char_vocabulary: " + path.string() + ": cannot open; expected a file " +
                    "written by char_vocabulary::save");
    const std::string where = "char_vocabulary: " + path.string();
    std::string line;
    if (!std::getline(in, line) || line != "kiln-char-vocabulary 1")
        throw error(where + ": line 1 is \"" + line + "\"; expected \"kiln-char-vocabulary 1\"");
    std::size_t size = 0;
    long long fallback = -1;
    if (!std::getline(in, line) || std::sscanf(line.c_str(), "size %zu", &size) != 1)
        throw error(where + ": line 2 is \"" + line + "\"; expected \"size <count>\"");
    if (!std::getline(in, line) || std::sscanf(line.c_str(), "fallback %lld", &fallback) != 1 ||
        fallback < 0 || (size > 0 && fallback >= static_cast<long long>(size)))
        throw error(where + ": line 3 is \"" + line + "\"; expected \"fallback <index>\" " +
                    "with an index below the size " + std::to_string(size));
    char_vocabulary v;
    for (std::size_t i = 0; i < size; ++i) {
        unsigned code = 0;
        if (!std::getline(in, line) || std::sscanf(line.c_str(), "U+%X", &code) != 1 ||
            code > 0x10FFFF)
            throw error(where + ": line " + std::to_string(i + 4) + " is \"" + line +
                        "\"; expected \"U+<hex code point>\" (" + std::to_string(size) +
                        " of them)");
        if (!v.chars_.empty() && code <= v.chars_.back())
            throw error(where + ": line " + std::to_string(i + 4) + ": " +
                        hex_code_point(code) + " is not above the line before; expected " +
                        "sorted unique code points");
        v.chars_ += static_cast<char32_t>(code);
    }
    v.fallback_ = static_cast<std::int32_t>(fallback);
    return v;
}

std::vector<std::size_t> random_window_offsets(std::size_t length, std::size_t T,
                                               std::size_t N, rng& random) {
    if (T == 0 || length <= T)
        throw error("random_window_offsets: a window of T = " + std::to_string(T) +
                    " steps plus its target needs T + 1 <= length characters; found length " +
                    std::to_string(length));
    std::vector<std::size_t> out(N);
    for (auto& o : out) o = static_cast<std::size_t>(random.below(length - T));
    return out;
}

std::vector<std::size_t> consecutive_window_offsets(std::size_t length, std::size_t T,
                                                    std::size_t N, std::size_t first) {
    if (T == 0 || length <= T)
        throw error("consecutive_window_offsets: a window of T = " + std::to_string(T) +
                    " steps plus its target needs T + 1 <= length characters; found length " +
                    std::to_string(length));
    const std::size_t windows = (length - 1) / T;
    std::vector<std::size_t> out(N);
    for (std::size_t n = 0; n < N; ++n) out[n] = ((first + n) % windows) * T;
    return out;
}

index_batch make_windows(std::span<const std::int32_t> encoded,
                         std::span<const std::size_t> offsets, std::size_t T) {
    index_batch b;
    b.T = T;
    b.N = offsets.size();
    b.x.resize(b.N * T);
    b.y.resize(b.N * T);
    for (std::size_t n = 0; n < b.N; ++n) {
        const std::size_t o = offsets[n];
        if (o >= encoded.size() || encoded.size() - o < T + 1)
            throw error("make_windows: window " + std::to_string(n) + " at offset " +
                        std::to_string(o) + " needs characters up to " +
                        std::to_string(o + T) + " (T = " + std::to_string(T) +
                        " plus the target); the text has " + std::to_string(encoded.size()));
        std::copy_n(encoded.begin() + static_cast<std::ptrdiff_t>(o), T, b.x.begin() +
                    static_cast<std::ptrdiff_t>(n * T));
        std::copy_n(encoded.begin() + static_cast<std::ptrdiff_t>(o + 1), T, b.y.begin() +
                    static_cast<std::ptrdiff_t>(n * T));
    }
    return b;
}

one_hot_batch one_hot(const index_batch& batch, std::size_t F) {
    one_hot_batch out;
    out.F = F;
    out.T = batch.T;
    out.N = batch.N;
    out.x.assign(F * batch.T * batch.N, 0.0f);
    out.y.assign(F * batch.T * batch.N, 0.0f);
    out.y_index = batch.y;
    for (std::size_t i = 0; i < batch.x.size(); ++i) {
        for (const std::int32_t v : {batch.x[i], batch.y[i]})
            if (v < 0 || static_cast<std::size_t>(v) >= F)
                throw error("one_hot: index " + std::to_string(v) + " at step " +
                            std::to_string(i % batch.T) + " of sequence " +
                            std::to_string(i / batch.T) + " is outside [0, F = " +
                            std::to_string(F) + "); F must be the vocabulary's size");
        out.x[i * F + static_cast<std::size_t>(batch.x[i])] = 1.0f;
        out.y[i * F + static_cast<std::size_t>(batch.y[i])] = 1.0f;
    }
    return out;
}

}  // namespace kiln::datasets
