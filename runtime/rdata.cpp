#include "runtime/rdata.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include "runtime/error.hpp"

namespace kiln::rdata {
namespace {

// CHARSXP levels (R's Defn.h): the string's declared encoding.
constexpr int latin1_mask = 1 << 2, utf8_mask = 1 << 3;
constexpr std::size_t max_depth = 512;  // nesting of items; R data is a few levels deep

std::string type_name(int type) {
    switch (type) {
        case nilsxp: return "NILSXP";
        case symsxp: return "SYMSXP";
        case listsxp: return "LISTSXP";
        case closxp: return "CLOSXP (a function)";
        case envsxp: return "ENVSXP (an environment)";
        case promsxp: return "PROMSXP (a promise)";
        case langsxp: return "LANGSXP (a call)";
        case specialsxp: case builtinsxp: return "BUILTINSXP (a primitive)";
        case charsxp: return "CHARSXP";
        case lglsxp: return "LGLSXP";
        case intsxp: return "INTSXP";
        case realsxp: return "REALSXP";
        case cplxsxp: return "CPLXSXP (complex)";
        case strsxp: return "STRSXP";
        case dotsxp: return "DOTSXP";
        case vecsxp: return "VECSXP";
        case exprsxp: return "EXPRSXP";
        case bcodesxp: return "BCODESXP (bytecode)";
        case extptrsxp: return "EXTPTRSXP";
        case weakrefsxp: return "WEAKREFSXP";
        case rawsxp: return "RAWSXP";
        case s4sxp: return "S4SXP";
        case 238: return "ALTREP_SXP";
        case 239: return "ATTRLISTSXP";
        case 240: return "ATTRLANGSXP";
        case 241: return "BASEENV_SXP";
        case 242: return "EMPTYENV_SXP";
        case 243: return "BCREPREF";
        case 244: return "BCREPDEF";
        case 245: return "GENERICREFSXP";
        case 246: return "CLASSREFSXP";
        case 247: return "PERSISTSXP";
        case 248: return "PACKAGESXP";
        case 249: return "NAMESPACESXP";
        case 250: return "BASENAMESPACE_SXP";
        case 251: return "MISSINGARG_SXP";
        case 252: return "UNBOUNDVALUE_SXP";
        case 253: return "GLOBALENV_SXP";
        case 254: return "NILVALUE_SXP";
        case 255: return "REFSXP";
        default: return "not an R type";
    }
}

std::uint32_t be32(const std::uint8_t* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) |
           (std::uint32_t(p[2]) << 8) | std::uint32_t(p[3]);
}

void append_utf8_from_latin1(std::string& out, std::string_view latin1) {
    for (const char c : latin1) {
        const auto b = static_cast<unsigned char>(c);
        if (b < 0x80) {
            out += c;
        } else {
            out += static_cast<char>(0xC0 | (b >> 6));
            out += static_cast<char>(0x80 | (b & 0x3F));
        }
    }
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

class decoder {
public:
    decoder(std::span<const std::uint8_t> bytes, std::string_view where)
        : bytes_(bytes), where_(where) {}

    robject run() {
        if (bytes_.size() < 2 || bytes_[0] != 'X' || bytes_[1] != '\n') {
            std::string found;
            if (bytes_.size() >= 2 && bytes_[0] == 'A' && bytes_[1] == '\n')
                found = "\"A\\n\" (R's ASCII format)";
            else if (bytes_.size() >= 2 && bytes_[0] == 'B' && bytes_[1] == '\n')
                found = "\"B\\n\" (R's native binary format)";
            else if (bytes_.size() >= 5 && std::memcmp(bytes_.data(), "RDX", 3) == 0)
                found = "\"RDX\" (a save() file, not one serialized object)";
            else
                found = bytes_.empty() ? "an empty stream" : "other bytes";
            throw error("rdata: " + where_ + ": bad magic; expected \"X\\n\" (R's XDR " +
                        "serialization), found " + found);
        }
        pos_ = 2;
        const std::int32_t version = i32();
        i32();  // the writer's R version
        i32();  // the oldest R version that reads it
        if (version != 2 && version != 3)
            throw error("rdata: " + where_ + ": serialization version " +
                        std::to_string(version) + "; expected 2 or 3 (R >= 1.4)");
        if (version == 3) {
            const std::int32_t length = i32();
            if (length < 0) fail(pos_ - 4, "a native encoding name of negative length");
            native_latin1_ = is_latin1_name(bytes(static_cast<std::size_t>(length)));
        }
        robject out = item(0);
        if (pos_ != bytes_.size())
            throw error("rdata: " + where_ + ": " + std::to_string(bytes_.size() - pos_) +
                        " bytes after the object (ended at byte " + std::to_string(pos_) +
                        " of " + std::to_string(bytes_.size()) + "); expected one object");
        return out;
    }

private:
    static bool is_latin1_name(std::string_view name) {
        const std::string n = lower(name);
        return n == "latin1" || n == "iso-8859-1" || n == "iso8859-1" || n == "iso_8859-1";
    }

    [[noreturn]] void fail(std::size_t at, const std::string& what) const {
        throw error("rdata: " + where_ + ": at byte " + std::to_string(at) + ": " + what);
    }

    void need(std::size_t n, const char* what) const {
        if (bytes_.size() - pos_ < n)
            fail(pos_, std::string("truncated ") + what + "; expected " + std::to_string(n) +
                           " bytes, found " + std::to_string(bytes_.size() - pos_) +
                           " - the value is incomplete");
    }

    std::int32_t i32() {
        need(4, "integer");
        const std::uint32_t u = be32(bytes_.data() + pos_);
        pos_ += 4;
        return static_cast<std::int32_t>(u);
    }

    double f64() {
        need(8, "double");
        const std::uint64_t u = (std::uint64_t(be32(bytes_.data() + pos_)) << 32) |
                                be32(bytes_.data() + pos_ + 4);
        pos_ += 8;
        double d;
        std::memcpy(&d, &u, sizeof d);
        return d;
    }

    std::string_view bytes(std::size_t n) {
        need(n, "bytes");
        const std::string_view s(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
        pos_ += n;
        return s;
    }

    std::size_t length() {
        const std::size_t at = pos_;
        const std::int32_t n = i32();
        if (n >= 0) return static_cast<std::size_t>(n);
        if (n != -1) fail(at, "vector length " + std::to_string(n) + "; expected >= 0 or -1");
        const std::uint64_t high = static_cast<std::uint32_t>(i32());
        const std::uint64_t low = static_cast<std::uint32_t>(i32());
        const std::uint64_t len = (high << 32) | low;
        // Every element takes at least one byte: a longer length means a corrupt stream.
        if (len > bytes_.size()) fail(at, "long vector length " + std::to_string(len) +
                                              " exceeds the stream's " +
                                              std::to_string(bytes_.size()) + " bytes");
        return static_cast<std::size_t>(len);
    }

    // The CHARSXP that follows (flags included); nullopt for NA_STRING.
    std::optional<std::string> read_charsxp() {
        const std::size_t at = pos_;
        const std::int32_t flags = i32();
        if ((flags & 0xFF) != charsxp)
            fail(at, "SEXP type " + std::to_string(flags & 0xFF) + " (" +
                         type_name(flags & 0xFF) + "); expected a CHARSXP (9) here");
        const std::int32_t n = i32();
        if (n == -1) return std::nullopt;
        if (n < 0) fail(at + 4, "string length " + std::to_string(n) + "; expected >= 0 or -1");
        const std::string_view raw = bytes(static_cast<std::size_t>(n));
        const int levels = flags >> 12;
        const bool latin1 = (levels & latin1_mask) != 0 ||
                            (native_latin1_ && (levels & utf8_mask) == 0);
        if (!latin1) return std::string(raw);
        std::string utf8;
        append_utf8_from_latin1(utf8, raw);
        return utf8;
    }

    std::vector<std::pair<std::string, robject>> attributes(std::size_t depth) {
        const std::size_t at = pos_;
        robject list = item(depth + 1);
        if (list.type != listsxp)
            fail(at, "attributes of type " + std::to_string(list.type) + " (" +
                         type_name(list.type) + "); expected a pairlist (LISTSXP, 2)");
        std::vector<std::pair<std::string, robject>> out;
        for (std::size_t i = 0; i < list.elements.size(); ++i)
            out.emplace_back(list.tags[i], std::move(list.elements[i]));
        return out;
    }

    // A pairlist whose first cell's flags were read; the CDR chain is read as a loop.
    robject pairlist(std::int32_t flags, std::size_t depth) {
        robject out;
        out.type = listsxp;
        bool first = true;
        for (;;) {
            if (flags & (1 << 9)) {
                auto attrs = attributes(depth);
                if (first) out.attributes = std::move(attrs);  // later cells' are dropped
            }
            std::string tag;
            if (flags & (1 << 10)) {
                const std::size_t at = pos_;
                const robject t = item(depth + 1);
                if (t.type != symsxp)
                    fail(at, "pairlist tag of type " + std::to_string(t.type) + " (" +
                                 type_name(t.type) + "); expected a symbol (SYMSXP, 1)");
                tag = t.name;
            }
            out.elements.push_back(item(depth + 1));
            out.tags.push_back(std::move(tag));
            first = false;
            const std::size_t at = pos_;
            flags = i32();
            const int type = flags & 0xFF;
            if (type == nilvalue_sxp) return out;
            if (type != listsxp)
                fail(at, "pairlist continues with SEXP type " + std::to_string(type) + " (" +
                             type_name(type) + "); expected LISTSXP (2) or NILVALUE (254)");
        }
    }

    robject altrep(std::size_t at, std::size_t depth) {
        const robject info = item(depth + 1);
        robject state = item(depth + 1);
        robject attrs = item(depth + 1);
        if (info.type != listsxp || info.elements.empty() || info.elements[0].type != symsxp)
            fail(at, "ALTREP class information is not a pairlist starting with a symbol");
        const std::string& cls = info.elements[0].name;
        robject out;
        if (cls == "compact_intseq" || cls == "compact_realseq") {
            std::vector<double> s(state.reals.begin(), state.reals.end());
            for (const std::int32_t v : state.integers) s.push_back(v);
            if (s.size() != 3 || !(s[0] >= 0) || s[0] > double(bytes_.size()) * 64)
                fail(at, "ALTREP " + cls + " state has " + std::to_string(s.size()) +
                             " values; expected (length, first, step)");
            const auto n = static_cast<std::size_t>(s[0]);
            if (cls == "compact_intseq") {
                out.type = intsxp;
                for (std::size_t i = 0; i < n; ++i)
                    out.integers.push_back(static_cast<std::int32_t>(s[1] + double(i) * s[2]));
            } else {
                out.type = realsxp;
                for (std::size_t i = 0; i < n; ++i) out.reals.push_back(s[1] + double(i) * s[2]);
            }
        } else {
            fail(at, "ALTREP class \"" + cls + "\" (SEXP type 238); only compact_intseq and " +
                         "compact_realseq are read - re-save the data without ALTREP " +
                         "(serialize version 2)");
        }
        if (attrs.type == listsxp)
            for (std::size_t i = 0; i < attrs.elements.size(); ++i)
                out.attributes.emplace_back(attrs.tags[i], std::move(attrs.elements[i]));
        return out;
    }

    robject item(std::size_t depth) {
        if (depth > max_depth) fail(pos_, "objects nested deeper than " +
                                              std::to_string(max_depth) + " levels");
        const std::size_t at = pos_;
        const std::int32_t flags = i32();
        const int type = flags & 0xFF;
        const bool has_attr = (flags & (1 << 9)) != 0;
        robject out;
        switch (type) {
            case nilvalue_sxp: return out;
            case refsxp: {
                std::int64_t index = flags >> 8;
                if (index == 0) index = i32();
                if (index < 1 || static_cast<std::size_t>(index) > refs_.size())
                    fail(at, "REFSXP index " + std::to_string(index) + " outside the " +
                                 "reference table (" + std::to_string(refs_.size()) +
                                 " entries so far); the stream is corrupt");
                return refs_[static_cast<std::size_t>(index - 1)];
            }
            case symsxp: {
                const std::size_t name_at = pos_;
                const std::optional<std::string> name = read_charsxp();
                if (!name) fail(name_at, "a symbol named NA");
                out.type = symsxp;
                out.name = *name;
                refs_.push_back(out);
                return out;
            }
            case listsxp: return pairlist(flags, depth);
            case charsxp: {
                pos_ = at;  // a bare CHARSXP: read as a string vector of one
                out.type = strsxp;
                out.strings.push_back(read_charsxp());
                return out;
            }
            case lglsxp:
            case intsxp: {
                out.type = type;
                const std::size_t n = length();
                need(4 * n, "integer vector");
                out.integers.resize(n);
                for (auto& v : out.integers) v = i32();
                break;
            }
            case realsxp: {
                out.type = type;
                const std::size_t n = length();
                need(8 * n, "double vector");
                out.reals.resize(n);
                for (auto& v : out.reals) v = f64();
                break;
            }
            case rawsxp: {
                out.type = type;
                const std::string_view b = bytes(length());
                out.raw.assign(b.begin(), b.end());
                break;
            }
            case strsxp: {
                out.type = type;
                const std::size_t n = length();
                need(8 * n, "string vector");  // at least flags + length per string
                out.strings.reserve(n);
                for (std::size_t i = 0; i < n; ++i) out.strings.push_back(read_charsxp());
                break;
            }
            case vecsxp:
            case exprsxp: {
                out.type = type;
                const std::size_t n = length();
                need(4 * n, "list");
                out.elements.reserve(n);
                for (std::size_t i = 0; i < n; ++i) out.elements.push_back(item(depth + 1));
                out.tags.assign(n, "");
                break;
            }
            case altrep_sxp: return altrep(at, depth);
            default:
                fail(at, "SEXP type " + std::to_string(type) + " (" + type_name(type) +
                             ") is not read by kiln's R reader, which reads data vectors, " +
                             "lists and symbols only");
        }
        if (has_attr) out.attributes = attributes(depth);
        return out;
    }

    std::span<const std::uint8_t> bytes_;
    std::string where_;
    std::size_t pos_ = 0;
    bool native_latin1_ = false;
    std::vector<robject> refs_;
};

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw error("rdata: " + path.string() + ": cannot open for reading");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// zlib (windowBits 15) or gzip (31) stream -> bytes; expected < 0: unknown output size.
std::vector<std::uint8_t> inflate_all(std::span<const std::uint8_t> in, int window_bits,
                                      long long expected, const std::string& where) {
    z_stream z{};
    if (inflateInit2(&z, window_bits) != Z_OK)
        throw error("rdata: " + where + ": cannot initialise zlib");
    std::vector<std::uint8_t> out(expected >= 0 ? static_cast<std::size_t>(expected) + 1
                                                : in.size() * 4 + 1024);
    z.next_in = const_cast<Bytef*>(in.data());
    z.avail_in = static_cast<uInt>(in.size());
    int rc = Z_OK;
    std::size_t done = 0;
    for (;;) {
        z.next_out = out.data() + done;
        z.avail_out = static_cast<uInt>(out.size() - done);
        rc = inflate(&z, Z_NO_FLUSH);
        done = out.size() - z.avail_out;
        if (rc == Z_STREAM_END) break;
        if (rc == Z_OK && z.avail_out == 0 && expected < 0) {
            out.resize(out.size() * 2);
            continue;
        }
        if (rc == Z_OK && z.avail_out == 0) break;  // more output than stated: reported below
        if (rc == Z_OK && z.avail_in > 0) continue;
        const std::string message =
            (rc == Z_OK || rc == Z_BUF_ERROR) && z.avail_in == 0
                ? "the stream ends early"
                : (z.msg ? z.msg : "zlib error " + std::to_string(rc));
        inflateEnd(&z);
        throw error("rdata: " + where + ": cannot decompress (" + message + " after " +
                    std::to_string(z.total_in) + " of " + std::to_string(in.size()) +
                    " compressed bytes); the data is truncated or corrupt - fetch it again");
    }
    inflateEnd(&z);
    if (expected >= 0 && (rc != Z_STREAM_END || done != static_cast<std::size_t>(expected)))
        throw error("rdata: " + where + ": inflates to " +
                    (rc == Z_STREAM_END ? std::to_string(done) : "more than " +
                                                                     std::to_string(done - 1)) +
                    " bytes, the header says " + std::to_string(expected) +
                    "; the entry is corrupt");
    out.resize(done);
    return out;
}

}  // namespace

std::size_t robject::size() const {
    switch (type) {
        case strsxp: return strings.size();
        case lglsxp: case intsxp: return integers.size();
        case realsxp: return reals.size();
        case rawsxp: return raw.size();
        case vecsxp: case exprsxp: case listsxp: return elements.size();
        case symsxp: return 1;
        default: return 0;
    }
}

const robject* robject::attribute(std::string_view tag) const {
    for (const auto& [key, value] : attributes)
        if (key == tag) return &value;
    return nullptr;
}

std::vector<std::string> robject::names() const {
    std::vector<std::string> out;
    if (type == listsxp) return tags;
    const robject* n = attribute("names");
    if (!n) return out;
    for (const auto& s : n->strings) out.push_back(s ? *s : "NA");
    return out;
}

const robject* robject::member(std::string_view tag) const {
    const std::vector<std::string> n = names();
    for (std::size_t i = 0; i < n.size() && i < elements.size(); ++i)
        if (n[i] == tag) return &elements[i];
    return nullptr;
}

robject unserialize(std::span<const std::uint8_t> bytes, std::string_view where) {
    return decoder(bytes, where).run();
}

database::database(const std::filesystem::path& dir_or_prefix) {
    namespace fs = std::filesystem;
    fs::path prefix = dir_or_prefix;
    if (fs::is_directory(dir_or_prefix)) {
        if (fs::exists(dir_or_prefix / "Rdata.rdx")) {
            prefix = dir_or_prefix / "Rdata";
        } else {
            std::vector<fs::path> found;
            for (const auto& e : fs::directory_iterator(dir_or_prefix))
                if (e.path().extension() == ".rdx") found.push_back(e.path());
            if (found.size() != 1)
                throw error("rdata: " + dir_or_prefix.string() + ": expected Rdata.rdx or " +
                            "exactly one *.rdx in the directory, found " +
                            std::to_string(found.size()) + " - pass the database's prefix");
            prefix = found[0];
            prefix.replace_extension();
        }
    } else if (prefix.extension() == ".rdx" || prefix.extension() == ".rdb") {
        prefix.replace_extension();
    }
    rdx_ = prefix.string() + ".rdx";
    rdb_ = prefix.string() + ".rdb";
    for (const fs::path& p : {rdx_, rdb_})
        if (!fs::is_regular_file(p))
            throw error("rdata: " + p.string() + ": no such file; expected an R lazy-load " +
                        "database (<prefix>.rdx + <prefix>.rdb, e.g. a package's " +
                        "data/Rdata.rdx)");

    const std::vector<std::uint8_t> raw = read_file(rdx_);
    const std::string where = rdx_.string();
    std::vector<std::uint8_t> serialized;
    if (raw.size() >= 2 && raw[0] == 0x1F && raw[1] == 0x8B)
        serialized = inflate_all(raw, 15 + 16, -1, where);
    else if (raw.size() >= 2 && raw[0] == 'X' && raw[1] == '\n')
        serialized = raw;
    else if (raw.size() >= 2 && raw[0] == 0x78 && (raw[0] * 256 + raw[1]) % 31 == 0)
        serialized = inflate_all(raw, 15, -1, where);
    else if (raw.size() >= 3 && raw[0] == 'B' && raw[1] == 'Z' && raw[2] == 'h')
        throw error("rdata: " + where + ": bzip2-compressed index; only gzip, zlib or " +
                    "uncompressed indexes are read - re-save it with compress = TRUE");
    else if (raw.size() >= 6 && raw[0] == 0xFD && raw[1] == '7' && raw[2] == 'z')
        throw error("rdata: " + where + ": xz-compressed index; only gzip, zlib or " +
                    "uncompressed indexes are read - re-save it with compress = TRUE");
    else
        throw error("rdata: " + where + ": bad magic; expected a gzip stream (1F 8B) around " +
                    "R's serialization (\"X\\n\") - is this an .rdx index?");

    const robject index = unserialize(serialized, where);
    const robject* variables = index.type == vecsxp ? index.member("variables") : nullptr;
    const robject* compressed = index.type == vecsxp ? index.member("compressed") : nullptr;
    if (!variables || variables->type != vecsxp || !compressed)
        throw error("rdata: " + where + ": expected a list with \"variables\", " +
                    "\"references\" and \"compressed\" (R's lazy-load index), found " +
                    (index.type == vecsxp ? "a list without them" : "SEXP type " +
                                                                        std::to_string(index.type)));
    double mode = -1;
    if (compressed->type == lglsxp && compressed->integers.size() == 1)
        mode = compressed->integers[0];
    else if (compressed->type == intsxp && compressed->integers.size() == 1)
        mode = compressed->integers[0];
    else if (compressed->type == realsxp && compressed->reals.size() == 1)
        mode = compressed->reals[0];
    if (mode == 0) compression_ = compression::none;
    else if (mode == 1) compression_ = compression::zlib;
    else if (mode == 2 || mode == 3) compression_ = compression::typed;
    else
        throw error("rdata: " + where + ": \"compressed\" is not TRUE, FALSE, 2 or 3; " +
                    "expected R's lazy-load index");

    const std::vector<std::string> names = variables->names();
    if (names.size() != variables->elements.size())
        throw error("rdata: " + where + ": \"variables\" has " +
                    std::to_string(variables->elements.size()) + " entries but " +
                    std::to_string(names.size()) + " names");
    for (std::size_t i = 0; i < names.size(); ++i) {
        const robject& e = variables->elements[i];
        std::vector<double> v(e.reals.begin(), e.reals.end());
        for (const std::int32_t x : e.integers) v.push_back(x);
        if (v.size() != 2 || !(v[0] >= 0) || !(v[1] >= 0))
            throw error("rdata: " + where + ": variable '" + names[i] + "': expected " +
                        "(offset, length) as two non-negative numbers");
        entries_.push_back({names[i], static_cast<std::uint64_t>(v[0]),
                            static_cast<std::uint64_t>(v[1])});
    }
}

std::vector<std::string> database::names() const {
    std::vector<std::string> out;
    for (const entry& e : entries_) out.push_back(e.name);
    return out;
}

bool database::contains(std::string_view name) const {
    return std::any_of(entries_.begin(), entries_.end(),
                       [&](const entry& e) { return e.name == name; });
}

const database::entry& database::find(std::string_view name) const {
    for (const entry& e : entries_)
        if (e.name == name) return e;
    std::string all;
    for (const entry& e : entries_) all += (all.empty() ? "" : ", ") + e.name;
    throw error("rdata: " + rdx_.string() + ": no variable '" + std::string(name) +
                "'; the database holds: " + all);
}

robject database::get(std::string_view name) const {
    const entry& e = find(name);
    const std::string where = rdb_.filename().string() + ": entry '" + e.name + "' at byte " +
                              std::to_string(e.offset);
    std::ifstream in(rdb_, std::ios::binary | std::ios::ate);
    if (!in) throw error("rdata: " + rdb_.string() + ": cannot open for reading");
    const auto size = static_cast<std::uint64_t>(in.tellg());
    if (e.offset > size || e.length > size - e.offset)
        throw error("rdata: " + where + ": length " + std::to_string(e.length) +
                    " runs past the end of the file (" +
                    std::to_string(e.offset > size ? 0 : size - e.offset) +
                    " bytes left); the file is truncated - fetch it again");
    std::vector<std::uint8_t> raw(static_cast<std::size_t>(e.length));
    in.seekg(static_cast<std::streamoff>(e.offset));
    in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size()));
    if (!in) throw error("rdata: " + where + ": read failed");

    std::vector<std::uint8_t> serialized;
    if (compression_ == compression::none) {
        serialized = std::move(raw);
    } else {
        const std::size_t header = compression_ == compression::typed ? 5 : 4;
        if (raw.size() < header)
            throw error("rdata: " + where + ": " + std::to_string(raw.size()) + " bytes; " +
                        "expected at least " + std::to_string(header) +
                        " (length header) - the index or the file is corrupt");
        const std::uint32_t length = be32(raw.data());
        const std::span<const std::uint8_t> body(raw.data() + header, raw.size() - header);
        char type = 'Z';
        if (compression_ == compression::typed) type = static_cast<char>(raw[4]);
        switch (type) {
            case 'Z': serialized = inflate_all(body, 15, length, where); break;
            case '0':
                if (body.size() != length)
                    throw error("rdata: " + where + ": stored entry of " +
                                std::to_string(body.size()) + " bytes, the header says " +
                                std::to_string(length));
                serialized.assign(body.begin(), body.end());
                break;
            case '2':
            case 'X':
                throw error("rdata: " + where + ": " + (type == '2' ? "bzip2" : "xz") +
                            "-compressed entry (type byte '" + type + "'); kiln reads zlib " +
                            "('Z') and stored ('0') entries only - rebuild the database with " +
                            "compress = TRUE");
            default:
                throw error("rdata: " + where + ": compression type byte 0x" +
                            "0123456789ABCDEF"[(raw[4] >> 4) & 15] +
                            "0123456789ABCDEF"[raw[4] & 15] + "; expected 'Z' (zlib), '2' " +
                            "(bzip2), 'X' (xz) or '0' (stored) - the entry is corrupt");
        }
    }
    return unserialize(serialized, where);
}

std::vector<std::string> database::strings(std::string_view name) const {
    robject value = get(name);
    if (value.type != strsxp)
        throw error("rdata: " + rdb_.filename().string() + ": '" + std::string(name) +
                    "' is SEXP type " + std::to_string(value.type) + " (" +
                    type_name(value.type) + "); expected a character vector (STRSXP) - " +
                    "use get() for other values");
    std::vector<std::string> out;
    out.reserve(value.strings.size());
    for (std::size_t i = 0; i < value.strings.size(); ++i) {
        if (!value.strings[i])
            throw error("rdata: " + rdb_.filename().string() + ": '" + std::string(name) +
                        "' element " + std::to_string(i + 1) + " is NA; strings() returns " +
                        "text only - use get() to see NA");
        out.push_back(std::move(*value.strings[i]));
    }
    return out;
}

}  // namespace kiln::rdata
