// Text corpora for the character-level models.
//  - kiln::rdata on R serializations written here byte by byte from the format (R's
//    serialize.c: XDR ints, packed flags, CHARSXP encoding levels, REFSXP table), zlib- and
//    gzip-compressed here, and on lazy-load databases assembled here, including the errors;
//  - Jane Austen's novels (data/janeaustenr) against janeaustenr's published line counts and
//    against an independent reader in Python's standard library (gzip, zlib, struct);
//  - the character vocabulary, UTF-8 and the (F, T, N) windows against naive loops;
//  - dinosaur names: the course's 27-character vocabulary and example form, the real list,
//    the generator.
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "runtime/datasets/dinosaurs.hpp"
#include "runtime/datasets/text.hpp"
#include "runtime/rdata.hpp"
#include "test_support.hpp"

using namespace kiln;
using namespace kiln::datasets;
using kiln::test::error_of;
using Catch::Matchers::Contains;

namespace {

using bytes = std::vector<std::uint8_t>;

// R's XDR serialization, written field by field.
struct rwriter {
    bytes out;
    rwriter& i32(std::int64_t v) {
        const auto u = static_cast<std::uint32_t>(v);
        for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(u >> s));
        return *this;
    }
    rwriter& f64(double d) {
        std::uint64_t u;
        std::memcpy(&u, &d, 8);
        i32(static_cast<std::uint32_t>(u >> 32));
        return i32(static_cast<std::uint32_t>(u));
    }
    rwriter& raw(std::string_view s) {
        out.insert(out.end(), s.begin(), s.end());
        return *this;
    }
    // "X\n", version, R 4.2.1 wrote it, R 3.5.0 reads it, [native encoding].
    rwriter& header(int version = 3, std::string_view encoding = "UTF-8") {
        raw("X\n").i32(version).i32(0x040201).i32(0x030500);
        if (version == 3) i32(std::int64_t(encoding.size())).raw(encoding);
        return *this;
    }
    // CHARSXP flags: type 9 | levels << 12 (64 ASCII, 8 UTF-8, 4 latin1).
    rwriter& chars(std::string_view s, int levels = 64) {
        return i32(9 | (levels << 12)).i32(std::int64_t(s.size())).raw(s);
    }
    rwriter& na_string() { return i32(9).i32(-1); }
    rwriter& symbol(std::string_view name) { return i32(1).chars(name); }
    rwriter& ref(int index) { return i32((index << 8) | 255); }
    rwriter& nil() { return i32(254); }
};

constexpr int has_attr = 1 << 9, has_tag = 1 << 10;

// zlib (windowBits 15) or gzip (31) stream around `data`.
bytes deflate_bytes(const bytes& data, int window_bits = 15) {
    z_stream z{};
    REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    bytes out(deflateBound(&z, uLong(data.size())) + 32);
    z.next_in = const_cast<Bytef*>(data.data());
    z.avail_in = uInt(data.size());
    z.next_out = out.data();
    z.avail_out = uInt(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

void write_file(const std::filesystem::path& path, const bytes& data) {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
}

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// c("abc", NA, "café" in latin1, "£" in UTF-8): the STRSXP of the first case.
bytes strsxp_with_na_and_latin1(int version = 3) {
    rwriter w;
    w.header(version).i32(16).i32(4);
    w.chars("abc").na_string().chars("caf\xE9", 4).chars("\xC2\xA3", 8);
    return w.out;
}

// list(counts = c(1L, NA, -5L), sizes = structure(c(1.5, -0.25), units = "cm")) with the
// attribute units = "m" on the list itself; its tag is a REFSXP to the symbol `units` that
// the inner attribute entered into the table first (index 1; `names` becomes index 2).
bytes named_list_with_attributes() {
    rwriter w;
    w.header().i32(19 | has_attr).i32(2);
    w.i32(13).i32(3).i32(1).i32(rdata::na_integer).i32(-5);
    w.i32(14 | has_attr).i32(2).f64(1.5).f64(-0.25);
    w.i32(2 | has_tag).symbol("units").i32(16).i32(1).chars("cm").nil();
    w.i32(2 | has_tag).symbol("names").i32(16).i32(2).chars("counts").chars("sizes");
    w.i32(2 | has_tag).ref(1).i32(16).i32(1).chars("m").nil();
    return w.out;
}

// A lazy-load database: prefix.rdx (gzip'd index) and prefix.rdb (entries back to back).
// compressed: 1 = TRUE (zlib, no type byte), 3 = xz-style (u32 length + type byte + data).
struct rdb_entry {
    std::string name;
    bytes serialized;
    char type = 'Z';  // only for compressed == 3
};

bytes make_index(const std::vector<std::string>& names, const std::vector<std::uint32_t>& offsets,
                 const std::vector<std::uint32_t>& lengths, int compressed) {
    rwriter w;
    w.header().i32(19 | has_attr).i32(3);
    w.i32(19 | has_attr).i32(std::int64_t(names.size()));  // variables
    for (std::size_t i = 0; i < names.size(); ++i) w.i32(13).i32(2).i32(offsets[i]).i32(lengths[i]);
    w.i32(2 | has_tag).symbol("names").i32(16).i32(std::int64_t(names.size()));
    for (const auto& n : names) w.chars(n);
    w.nil();
    w.i32(19 | has_attr).i32(0);  // references: empty, names = character(0)
    w.i32(2 | has_tag).ref(1).i32(16).i32(0).nil();
    if (compressed == 1) w.i32(10).i32(1).i32(1);  // compressed = TRUE
    else w.i32(14).i32(1).f64(compressed);         // compressed = 3 (a double, as R stores it)
    w.i32(2 | has_tag).ref(1).i32(16).i32(3).chars("variables").chars("references")
        .chars("compressed").nil();
    return w.out;
}

void write_database(const std::filesystem::path& prefix, const std::vector<rdb_entry>& entries,
                    int compressed = 1, std::size_t cut_rdb_to = std::size_t(-1)) {
    bytes rdb;
    std::vector<std::string> names;
    std::vector<std::uint32_t> offsets, lengths;
    for (const rdb_entry& e : entries) {
        const bytes body = deflate_bytes(e.serialized);
        rwriter w;
        w.i32(std::int64_t(e.serialized.size()));
        if (compressed == 3) w.out.push_back(std::uint8_t(e.type));
        w.out.insert(w.out.end(), body.begin(), body.end());
        names.push_back(e.name);
        offsets.push_back(std::uint32_t(rdb.size()));
        lengths.push_back(std::uint32_t(w.out.size()));
        rdb.insert(rdb.end(), w.out.begin(), w.out.end());
    }
    if (cut_rdb_to < rdb.size()) rdb.resize(cut_rdb_to);
    write_file(prefix.string() + ".rdb", rdb);
    write_file(prefix.string() + ".rdx",
               deflate_bytes(make_index(names, offsets, lengths, compressed), 15 + 16));
}

}  // namespace

// ---------------------------------------------------------------------------------------
// R serialization

TEST_CASE("rdata: a STRSXP with NA, latin1 and UTF-8 strings, versions 2 and 3",
          "[runtime][rdata]") {
    for (const int version : {2, 3}) {
        const rdata::robject v = rdata::unserialize(strsxp_with_na_and_latin1(version));
        REQUIRE(v.type == rdata::strsxp);
        REQUIRE(v.size() == 4);
        CHECK(v.strings[0] == std::optional<std::string>("abc"));
        CHECK_FALSE(v.strings[1].has_value());
        CHECK(v.strings[2] == std::optional<std::string>("caf\xC3\xA9"));  // é in UTF-8
        CHECK(v.strings[3] == std::optional<std::string>("\xC2\xA3"));     // unchanged
    }
    // Unflagged strings follow the writer's native encoding (version 3 header).
    rwriter w;
    w.header(3, "latin1").i32(16).i32(1).chars("\xA3", 0);
    CHECK(rdata::unserialize(w.out).strings[0] == std::optional<std::string>("\xC2\xA3"));
}

TEST_CASE("rdata: a named list with attributes and a REFSXP'd symbol", "[runtime][rdata]") {
    const rdata::robject v = rdata::unserialize(named_list_with_attributes());
    REQUIRE(v.type == rdata::vecsxp);
    REQUIRE(v.size() == 2);
    CHECK(v.names() == std::vector<std::string>{"counts", "sizes"});
    const rdata::robject* counts = v.member("counts");
    REQUIRE(counts != nullptr);
    CHECK(counts->type == rdata::intsxp);
    CHECK(counts->integers == std::vector<std::int32_t>{1, rdata::na_integer, -5});
    const rdata::robject* sizes = v.member("sizes");
    REQUIRE(sizes != nullptr);
    CHECK(sizes->reals == std::vector<double>{1.5, -0.25});
    REQUIRE(sizes->attribute("units") != nullptr);
    CHECK(sizes->attribute("units")->strings[0] == std::optional<std::string>("cm"));
    // The list's own second attribute: its tag came through REFSXP index 1.
    REQUIRE(v.attributes.size() == 2);
    CHECK(v.attributes[1].first == "units");
    CHECK(v.attributes[1].second.strings[0] == std::optional<std::string>("m"));
    CHECK(v.member("missing") == nullptr);
}

TEST_CASE("rdata: pairlists, logicals, raw and compact ALTREP sequences", "[runtime][rdata]") {
    rwriter w;  // pairlist(a = TRUE, NA, b = as.raw(c(1, 255)))
    w.header().i32(2 | has_tag).symbol("a").i32(10).i32(1).i32(1);
    w.i32(2).i32(10).i32(1).i32(rdata::na_integer);
    w.i32(2 | has_tag).symbol("b").i32(24).i32(2).raw("\x01\xFF").nil();
    const rdata::robject p = rdata::unserialize(w.out);
    REQUIRE(p.type == rdata::listsxp);
    CHECK(p.tags == std::vector<std::string>{"a", "", "b"});
    CHECK(p.elements[0].integers == std::vector<std::int32_t>{1});
    CHECK(p.elements[1].integers == std::vector<std::int32_t>{rdata::na_integer});
    CHECK(p.elements[2].raw == bytes{1, 255});

    // 3:7 as R >= 3.5 writes it: ALTREP(info = pairlist(compact_intseq, base, 13L),
    // state = c(5, 3, 1), attributes = NULL).
    rwriter a;
    a.header().i32(238).i32(2).symbol("compact_intseq").i32(2).symbol("base");
    a.i32(2).i32(13).i32(1).i32(13).nil();
    a.i32(14).i32(3).f64(5).f64(3).f64(1).nil();
    const rdata::robject seq = rdata::unserialize(a.out);
    CHECK(seq.type == rdata::intsxp);
    CHECK(seq.integers == std::vector<std::int32_t>{3, 4, 5, 6, 7});
}

TEST_CASE("rdata: malformed streams say what and where", "[runtime][rdata]") {
    bytes bad = strsxp_with_na_and_latin1();
    bad[0] = 'Y';
    CHECK_THAT(error_of([&] { rdata::unserialize(bad, "t"); }), Contains("bad magic"));
    bad[0] = 'A';
    CHECK_THAT(error_of([&] { rdata::unserialize(bad, "t"); }), Contains("ASCII"));

    rwriter v4;
    v4.raw("X\n").i32(4).i32(0).i32(0);
    CHECK_THAT(error_of([&] { rdata::unserialize(v4.out); }), Contains("version 4"));

    // The header is 2 + 12 + 4 + 5 = 23 bytes: the item's flags are at byte 23.
    rwriter env;
    env.header().i32(4).i32(0);
    const std::string e = error_of([&] { rdata::unserialize(env.out, "t"); });
    CHECK_THAT(e, Contains("SEXP type 4"));
    CHECK_THAT(e, Contains("at byte 23"));
    rwriter unknown;
    unknown.header().i32(19).i32(1).i32(99);  // a list whose element has type 99
    const std::string u = error_of([&] { rdata::unserialize(unknown.out, "t"); });
    CHECK_THAT(u, Contains("SEXP type 99"));
    CHECK_THAT(u, Contains("at byte 31"));

    rwriter ref;
    ref.header().i32(19).i32(1).ref(3);
    CHECK_THAT(error_of([&] { rdata::unserialize(ref.out); }), Contains("REFSXP index 3"));

    bytes cut = named_list_with_attributes();
    cut.resize(cut.size() - 6);
    CHECK_THAT(error_of([&] { rdata::unserialize(cut); }), Contains("truncated"));
    bytes extra = strsxp_with_na_and_latin1();
    extra.push_back(0);
    CHECK_THAT(error_of([&] { rdata::unserialize(extra); }), Contains("1 bytes after"));
}

// ---------------------------------------------------------------------------------------
// Lazy-load databases

TEST_CASE("rdata: a lazy-load database written here", "[runtime][rdata]") {
    kiln::test::temp_dir dir("rdata_db");
    write_database(dir / "Rdata", {{"letters", strsxp_with_na_and_latin1()},
                                   {"stats", named_list_with_attributes()}});
    for (const auto& where : {dir.path, dir / "Rdata", dir / "Rdata.rdb"}) {
        const rdata::database db(where);
        CHECK(db.stored_as() == rdata::compression::zlib);
        CHECK(db.names() == std::vector<std::string>{"letters", "stats"});
        CHECK(db.contains("stats"));
        CHECK(db.get("stats").member("sizes")->reals == std::vector<double>{1.5, -0.25});
    }
    const rdata::database db(dir.path);
    CHECK_THAT(error_of([&] { db.strings("letters"); }), Contains("element 2 is NA"));
    CHECK_THAT(error_of([&] { db.strings("stats"); }), Contains("expected a character vector"));
    CHECK_THAT(error_of([&] { db.get("nope"); }), Contains("letters, stats"));

    // compressed = 3: each entry has a type byte; 'Z' reads, '2' and 'X' say they are not read.
    write_database(dir / "typed", {{"z", strsxp_with_na_and_latin1(), 'Z'},
                                   {"b", strsxp_with_na_and_latin1(), '2'},
                                   {"x", strsxp_with_na_and_latin1(), 'X'},
                                   {"q", strsxp_with_na_and_latin1(), 'Q'}}, 3);
    const rdata::database typed(dir / "typed");
    CHECK(typed.stored_as() == rdata::compression::typed);
    CHECK(typed.get("z").strings[2] == std::optional<std::string>("caf\xC3\xA9"));
    CHECK_THAT(error_of([&] { typed.get("b"); }), Contains("bzip2"));
    CHECK_THAT(error_of([&] { typed.get("x"); }), Contains("xz"));
    CHECK_THAT(error_of([&] { typed.get("q"); }), Contains("type byte 0x51"));
}

TEST_CASE("rdata: truncated and corrupt databases", "[runtime][rdata]") {
    kiln::test::temp_dir dir("rdata_bad");
    const bytes first = strsxp_with_na_and_latin1(), second = named_list_with_attributes();
    const std::size_t first_size = 4 + deflate_bytes(first).size();
    // The .rdb ends 10 bytes into the second entry.
    write_database(dir / "cut", {{"a", first}, {"b", second}}, 1, first_size + 10);
    const rdata::database cut(dir / "cut");
    CHECK(cut.get("a").size() == 4);
    const std::string e = error_of([&] { cut.get("b"); });
    CHECK_THAT(e, Contains("entry 'b' at byte " + std::to_string(first_size)));
    CHECK_THAT(e, Contains("runs past the end of the file (10 bytes left)"));

    // A zlib stream that stops early: the index's length is right, the stream is cut.
    {
        const bytes body = deflate_bytes(second);
        rwriter entry;
        entry.i32(std::int64_t(second.size())).raw(
            std::string_view(reinterpret_cast<const char*>(body.data()), body.size() / 2));
        write_file(dir / "short.rdb", entry.out);
        write_file(dir / "short.rdx",
                   deflate_bytes(make_index({"b"}, {0}, {std::uint32_t(entry.out.size())}, 1), 31));
        CHECK_THAT(error_of([&] { rdata::database(dir / "short").get("b"); }),
                   Contains("cannot decompress"));
    }
    // A length header that disagrees with the data.
    {
        const bytes body = deflate_bytes(second);
        rwriter entry;
        entry.i32(std::int64_t(second.size()) + 7);
        entry.out.insert(entry.out.end(), body.begin(), body.end());
        write_file(dir / "len.rdb", entry.out);
        write_file(dir / "len.rdx",
                   deflate_bytes(make_index({"b"}, {0}, {std::uint32_t(entry.out.size())}, 1), 31));
        CHECK_THAT(error_of([&] { rdata::database(dir / "len").get("b"); }),
                   Contains("the header says " + std::to_string(second.size() + 7)));
    }
    // An index that is not gzip / zlib / serialization.
    write_file(dir / "junk.rdx", bytes{'P', 'K', 3, 4, 0, 0});
    write_file(dir / "junk.rdb", bytes{});
    CHECK_THAT(error_of([&] { rdata::database(dir / "junk"); }), Contains("bad magic"));
    CHECK_THAT(error_of([&] { rdata::database(dir / "absent"); }), Contains("no such file"));
}

// ---------------------------------------------------------------------------------------
// Jane Austen

namespace {

// Reads data/janeaustenr with Python's gzip, zlib and struct only: prints
// "variable lines bytes" per novel in austen_books() order and writes the joined text.
constexpr const char* austen_python = R"PY(
import gzip, struct, sys, zlib
src, out = sys.argv[1], sys.argv[2]
def reader(b):
    pos = [0]
    def take(n):
        s = b[pos[0]:pos[0] + n]; pos[0] += n
        assert len(s) == n, 'truncated'
        return s
    def i32():
        return struct.unpack('>i', take(4))[0]
    assert take(2) == b'X\n'
    version = i32(); i32(); i32()
    if version == 3:
        take(i32())
    refs = []
    def item():
        flags = i32(); t = flags & 0xFF
        if t == 254: return None
        if t == 255:
            k = flags >> 8 or i32(); return refs[k - 1]
        if t == 1:
            i32(); s = take(i32()).decode(); refs.append(s); return s
        if t == 9:
            n = i32()
            if n < 0: return None
            s = take(n)
            return s.decode('latin-1') if (flags >> 12) & 4 else s.decode('utf-8')
        if t == 2:
            cells = []
            while True:
                attrs = item() if flags & 0x200 else None
                tag = item() if flags & 0x400 else None
                cells.append((tag, item()))
                flags = i32()
                if flags & 0xFF == 254: return cells
        n = i32()
        if t in (10, 13): v = [i32() for _ in range(n)]
        elif t == 14: v = [struct.unpack('>d', take(8))[0] for _ in range(n)]
        elif t in (16, 19): v = [item() for _ in range(n)]
        else: raise ValueError('type %d' % t)
        if flags & 0x200:
            attrs = dict(item())
            if 'names' in attrs: v = dict(zip(attrs['names'], v))
        return v
    return item()
index = reader(gzip.open(src + '/Rdata.rdx').read())
rdb = open(src + '/Rdata.rdb', 'rb').read()
assert index['compressed'] == [1]
order = ['sensesensibility', 'prideprejudice', 'mansfieldpark', 'emma',
         'northangerabbey', 'persuasion']
lines = []
for name in order:
    off, n = index['variables'][name]
    entry = rdb[off:off + n]
    data = zlib.decompress(entry[4:])
    assert len(data) == struct.unpack('>I', entry[:4])[0]
    novel = reader(data)
    print(name, len(novel), sum(len(s.encode()) for s in novel))
    lines += novel
text = '\n'.join(lines)
open(out, 'wb').write(text.encode())
print('characters', len(text))
print('vocabulary', ' '.join('%X' % c for c in sorted(set(map(ord, text)))))
)PY";

}  // namespace

TEST_CASE("load_jane_austen: the six novels against janeaustenr's facts and Python",
          "[runtime][datasets][text]") {
    const auto dir = default_text_data_dir() / "janeaustenr";
    if (!std::filesystem::exists(dir / "Rdata.rdb")) {
        WARN("not run: data/janeaustenr missing: run scripts/fetch-text.sh");
        return;
    }
    const rdata::database db(dir);
    const std::vector<std::string> names = db.names();
    CHECK(std::set<std::string>(names.begin(), names.end()) ==
          std::set<std::string>{"emma", "mansfieldpark", "northangerabbey", "persuasion",
                                "prideprejudice", "sensesensibility"});

    const std::vector<austen_novel> novels = load_austen_novels(dir);
    REQUIRE(novels.size() == 6);
    // austen_books(): the factor levels in this order (the package's own test) and its row
    // counts per book, 73,422 in all ("Text Mining with R", chapter 1).
    const std::vector<std::string> titles = {"Sense & Sensibility", "Pride & Prejudice",
                                             "Mansfield Park",      "Emma",
                                             "Northanger Abbey",    "Persuasion"};
    const std::vector<std::size_t> published = {12624, 13030, 15349, 16235, 7856, 8328};
    // The title page's first line in the Project Gutenberg texts.
    const std::vector<std::string> first = {"SENSE AND SENSIBILITY", "PRIDE AND PREJUDICE",
                                            "MANSFIELD PARK",        "EMMA",
                                            "NORTHANGER ABBEY",      "Persuasion"};
    std::size_t total = 0;
    for (std::size_t i = 0; i < 6; ++i) {
        CHECK(novels[i].title == titles[i]);
        CHECK(novels[i].lines.size() == published[i]);
        CHECK(novels[i].lines.front() == first[i]);
        total += novels[i].lines.size();
    }
    CHECK(total == 73422);
    CHECK(novels[3].lines[2] == "By Jane Austen");  // Emma: title, blank line, author
    CHECK(novels[1].lines.size() > novels[5].lines.size());

    const std::string text = load_jane_austen(dir);
    if (!kiln::test::python_has("gzip, zlib, struct")) {
        WARN("independent check not run: " << kiln::test::system_python << " is missing");
        return;
    }
    kiln::test::temp_dir tmp("austen");
    write_file(tmp / "read.py", bytes(austen_python, austen_python + std::strlen(austen_python)));
    REQUIRE(kiln::test::run(std::string(kiln::test::system_python) + " " +
                            (tmp / "read.py").string() + " " + dir.string() + " " +
                            (tmp / "joined.txt").string() + " > " + (tmp / "facts.txt").string()));
    std::istringstream facts(read_text(tmp / "facts.txt"));
    for (std::size_t i = 0; i < 6; ++i) {
        std::string name;
        std::size_t lines = 0, bytes_in_lines = 0;
        facts >> name >> lines >> bytes_in_lines;
        CHECK(name == std::string(austen_novels[i].variable));
        CHECK(lines == novels[i].lines.size());
        std::size_t ours = 0;
        for (const auto& l : novels[i].lines) ours += l.size();
        CHECK(ours == bytes_in_lines);
    }
    std::string key;
    std::size_t characters = 0;
    facts >> key >> characters;
    REQUIRE(key == "characters");
    // Python's len(str) counts code points; the vocabulary decodes the same text.
    const std::u32string code_points = utf8_decode(text);
    CHECK(code_points.size() == characters);
    const std::string joined = read_text(tmp / "joined.txt");
    CHECK(text.size() == joined.size());
    const auto [ours, theirs] = std::mismatch(text.begin(), text.end(), joined.begin(), joined.end());
    CHECK(std::size_t(ours - text.begin()) == text.size());  // the first differing byte, if any

    facts >> key;
    REQUIRE(key == "vocabulary");
    std::u32string python_chars;
    for (std::string hex; facts >> hex;) python_chars += char32_t(std::stoul(hex, nullptr, 16));
    const char_vocabulary vocab = char_vocabulary::from_text(text);
    CHECK(std::vector<std::uint32_t>(vocab.chars().begin(), vocab.chars().end()) ==
          std::vector<std::uint32_t>(python_chars.begin(), python_chars.end()));
    CHECK(vocab.contains(U'\u00A3'));  // the one '£' in Mansfield Park
    CHECK(vocab.char_at(std::size_t(vocab.fallback_index())) == U' ');
}

TEST_CASE("load_jane_austen: a missing folder names the fetch script",
          "[runtime][datasets][text]") {
    CHECK_THAT(error_of([] { load_jane_austen("/nonexistent/janeaustenr"); }),
               Contains("scripts/fetch-text.sh"));
}

// ---------------------------------------------------------------------------------------
// Vocabulary and windows

TEST_CASE("char_vocabulary: sorted code points, round trip, fallback, file",
          "[runtime][datasets][text]") {
    // "Ab£é🦕 \n": code points written out by hand.
    const std::string text = "b\xC2\xA3 A\xC3\xA9\xF0\x9F\xA6\x95\nbA";
    const std::u32string expected_chars = {U'\n', U' ', U'A', U'b', 0xA3, 0xE9, 0x1F995};
    const std::u32string decoded = {U'b', 0xA3, U' ', U'A', 0xE9, 0x1F995, U'\n', U'b', U'A'};
    CHECK(utf8_decode(text) == decoded);
    CHECK(utf8_encode(decoded) == text);

    const char_vocabulary v = char_vocabulary::from_text(text);
    CHECK(v.chars() == expected_chars);
    CHECK(v.size() == 7);
    CHECK(v.fallback_index() == 1);  // ' '
    const std::vector<std::int32_t> idx = v.encode(text);
    REQUIRE(idx.size() == decoded.size());
    for (std::size_t i = 0; i < idx.size(); ++i) CHECK(v.char_at(std::size_t(idx[i])) == decoded[i]);
    CHECK(v.decode(idx) == text);
    CHECK(v.encode("Az") == std::vector<std::int32_t>{2, 1});  // 'z' unknown -> ' '
    CHECK(char_vocabulary::from_text("xy", U'#').fallback_index() == 0);

    kiln::test::temp_dir dir("vocab");
    v.save(dir / "vocab.txt");
    const std::string file = read_text(dir / "vocab.txt");
    CHECK(file.rfind("kiln-char-vocabulary 1\nsize 7\nfallback 1\nU+000A\nU+0020\nU+0041 A\n", 0) == 0);
    CHECK(char_vocabulary::load(dir / "vocab.txt") == v);

    std::ofstream(dir / "bad.txt") << "kiln-char-vocabulary 1\nsize 2\nfallback 0\nU+0062\nU+0061\n";
    CHECK_THAT(error_of([&] { char_vocabulary::load(dir / "bad.txt"); }), Contains("sorted"));
    std::ofstream(dir / "short.txt") << "kiln-char-vocabulary 1\nsize 3\nfallback 0\nU+0061\n";
    CHECK_THAT(error_of([&] { char_vocabulary::load(dir / "short.txt"); }), Contains("line 5"));
    CHECK_THAT(error_of([] { utf8_decode("ab\xE9z"); }), Contains("byte 3"));
    CHECK_THAT(error_of([] { utf8_decode("ab\xC3"); }), Contains("cut off"));
    CHECK_THAT(error_of([] { utf8_decode("\xC0\x80"); }), Contains("overlong"));
    CHECK_THAT(error_of([&] { v.decode(std::vector<std::int32_t>{7}); }), Contains("index 7"));
}

TEST_CASE("text windows: (F, T, N) one-hot layout against a naive loop",
          "[runtime][datasets][text]") {
    const std::size_t F = 5, T = 7, N = 6, L = 60;
    std::vector<std::int32_t> encoded(L);
    for (std::size_t i = 0; i < L; ++i) encoded[i] = std::int32_t((i * i + 3 * i) % F);

    rng r1(42), r2(42), r3(43);
    const auto offsets = random_window_offsets(L, T, N, r1);
    CHECK(offsets == random_window_offsets(L, T, N, r2));
    CHECK(offsets != random_window_offsets(L, T, N, r3));
    for (const std::size_t o : offsets) CHECK(o + T < L);

    const index_batch ib = make_windows(encoded, offsets, T);
    const one_hot_batch b = one_hot(ib, F);
    REQUIRE(b.x.size() == F * T * N);
    REQUIRE(b.y.size() == F * T * N);
    std::size_t mismatches = 0;
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t t = 0; t < T; ++t) {
            const auto want_x = std::size_t(encoded[offsets[n] + t]);
            const auto want_y = std::size_t(encoded[offsets[n] + t + 1]);
            mismatches += ib.x[n * T + t] != std::int32_t(want_x);
            mismatches += b.y_index[n * T + t] != std::int32_t(want_y);
            for (std::size_t f = 0; f < F; ++f) {
                mismatches += b.x[(n * T + t) * F + f] != (f == want_x ? 1.0f : 0.0f);
                mismatches += b.y[(n * T + t) * F + f] != (f == want_y ? 1.0f : 0.0f);
            }
        }
    CHECK(mismatches == 0);

    // Consecutive windows: K = (60 - 1) / 7 = 8 windows at 0, 7, ..., 49; from 6, wrapping.
    CHECK(consecutive_window_offsets(L, T, 4, 6) == std::vector<std::size_t>{42, 49, 0, 7});
    CHECK_THAT(error_of([&] { random_window_offsets(T, T, 1, r1); }), Contains("T + 1"));
    const std::vector<std::size_t> late = {L - T};
    CHECK_THAT(error_of([&] { make_windows(encoded, late, T); }), Contains("the text has 60"));
    CHECK_THAT(error_of([&] { one_hot(ib, F - 1); }), Contains("outside [0, F = 4)"));
}

// ---------------------------------------------------------------------------------------
// Dinosaur names

TEST_CASE("dinosaurs: the course's 27-character vocabulary and example form",
          "[runtime][datasets][dinosaurs]") {
    const char_vocabulary v = dinosaur_vocabulary();
    REQUIRE(v.size() == 27);
    CHECK(v.char_at(0) == U'\n');
    for (char32_t c = U'a'; c <= U'z'; ++c) CHECK(v.index_of(c) == std::int32_t(c - U'a' + 1));
    CHECK(v.index_of(U'Q') == 0);

    // "trex": t = 20, r = 18, e = 5, x = 24.
    const name_example e = make_name_example("trex");
    CHECK(e.x == std::vector<std::int32_t>{no_input, 20, 18, 5, 24});
    CHECK(e.y == std::vector<std::int32_t>{20, 18, 5, 24, 0});
    const std::vector<std::int32_t> encoded = v.encode("trex\n");
    CHECK(std::vector<std::int32_t>(e.x.begin() + 1, e.x.end()) ==
          std::vector<std::int32_t>(encoded.begin(), encoded.end() - 1));
    CHECK(e.y == encoded);
    CHECK_THAT(error_of([] { make_name_example("T-rex"); }), Contains("lowercase a-z"));
    CHECK_THAT(error_of([] { make_name_example(""); }), Contains("lowercase a-z"));
}

TEST_CASE("dinosaurs: the generator is seeded, lowercase, distinct and not the real list",
          "[runtime][datasets][dinosaurs]") {
    const std::vector<std::string> real = {"tyrannosaurus", "stegosaurus", "velociraptor"};
    const auto a = generate_dinosaur_names(2000, 7, real);
    CHECK(a == generate_dinosaur_names(2000, 7, real));
    CHECK(a != generate_dinosaur_names(2000, 8, real));
    CHECK(std::set<std::string>(a.begin(), a.end()).size() == 2000);
    std::size_t bad = 0, excluded = 0;
    for (const auto& name : a) {
        bad += name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz") != std::string::npos;
        excluded += std::find(real.begin(), real.end(), name) != real.end();
    }
    CHECK(bad == 0);
    CHECK(excluded == 0);
    // Every name is root (+ root) + suffix from the documented tables.
    std::size_t parsed = 0;
    for (const auto& name : a)
        for (const auto& s : dinosaur_suffixes)
            if (name.size() > s.form.size() && name.ends_with(s.form)) {
                const std::string stem = name.substr(0, name.size() - s.form.size());
                bool ok = false;
                for (const auto& r1 : dinosaur_roots) {
                    if (stem == r1.form) ok = true;
                    for (const auto& r2 : dinosaur_roots)
                        if (r1.form != r2.form && stem == std::string(r1.form) + std::string(r2.form))
                            ok = true;
                }
                if (ok) { ++parsed; break; }
            }
    CHECK(parsed == a.size());
    CHECK_THAT(error_of([] { generate_dinosaur_names(1000000, 1); }), Contains("distinct names"));
}

TEST_CASE("dinosaurs: the real genus names from WordNet and web2", "[runtime][datasets][dinosaurs]") {
    if (!std::filesystem::exists(default_dinosaur_names_path())) {
        WARN("not run: data/dinosaurs/real.txt missing: run scripts/fetch-text.sh");
        CHECK_THAT(error_of([] { load_dinosaur_names(true); }), Contains("scripts/fetch-text.sh"));
        return;
    }
    const std::vector<std::string> real = load_dinosaur_names(true);
    // The rule in scripts/fetch-text.sh gives 52 from WordNet 3.0 and web2; allow small changes.
    CHECK(real.size() >= 45);
    CHECK(real.size() <= 80);
    CHECK(std::is_sorted(real.begin(), real.end()));
    CHECK(std::set<std::string>(real.begin(), real.end()).size() == real.size());
    for (const char* genus : {"tyrannosaurus", "triceratops", "velociraptor", "stegosaurus",
                              "brachiosaurus", "diplodocus", "iguanodon", "allosaurus"})
        CHECK(std::find(real.begin(), real.end(), genus) != real.end());
    // Not dinosaurs, though web2 lists them beside the dinosaurs.
    for (const char* other : {"ichthyosaurus", "plesiosaurus", "mosasaurus", "pterodactylus"})
        CHECK(std::find(real.begin(), real.end(), other) == real.end());

    const std::vector<std::string> all = load_dinosaur_names(false, 1536, 3);
    REQUIRE(all.size() == 1536);
    CHECK(std::equal(real.begin(), real.end(), all.begin()));
    const std::set<std::string> distinct(all.begin(), all.end());
    CHECK(distinct.size() == 1536);
    CHECK(all == load_dinosaur_names(false, 1536, 3));
    CHECK(load_dinosaur_names(false, 10, 3) == real);  // fewer than the real ones: all real
}
