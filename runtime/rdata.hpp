#pragma once
/*  kiln::rdata: R's serialization format and R's lazy-load databases, read without R - enough
    for the data R packages ship (Debian's r-cran-janeaustenr: six character vectors).
    LAZY-LOAD DATABASE  a pair <prefix>.rdx (index) + <prefix>.rdb (values), as R's
                makeLazyLoadDB writes them for R/<pkg>.rd[bx] and data/Rdata.rd[bx].
      .rdx      gzip (as saveRDS writes it; zlib or no compression are read too) around one
                serialized object: a VECSXP of 3 with names attribute
                  variables   VECSXP named by variable; each element an INTSXP (offset, length):
                              the entry's byte range in the .rdb
                  references  VECSXP named "env::N" (environments the values refer to; the
                              values read here never do, so this is ignored)
                  compressed  LGLSXP TRUE (zlib) or FALSE (none), or REALSXP/INTSXP 2 (bzip2)
                              or 3 (xz): how every entry of the .rdb is stored
                janeaustenr 1.0.0 (R 4.2.1) writes serialization version 3, compressed = TRUE.
      .rdb      entries back to back, each:
                  compressed TRUE   u32 big-endian uncompressed length, then a zlib stream
                  compressed 2 / 3  u32 big-endian length, one type byte - 'Z' zlib, '0' stored,
                                    '2' bzip2, 'X' xz - then the data; bzip2 and xz are not
                                    read here and say so
                  compressed FALSE  the serialized bytes as they are
    SERIALIZATION  XDR binary ("X\n"), versions 2 and 3: ints i32 big-endian, doubles IEEE
                big-endian; header: version, writer's R version, oldest reader's R version,
                and in version 3 the writer's native encoding (i32 length + bytes). Then one
                item: i32 flags = type (bits 0-7) | is-object (bit 8) | has-attributes (bit 9)
                | has-tag (bit 10) | levels << 12 (for CHARSXP the encoding: 2 bytes,
                4 latin1, 8 UTF-8, 64 ASCII). Read here:
                  NILVALUE (254); SYMSXP (1, a CHARSXP; enters the reference table);
                  REFSXP (255: table index in flags >> 8, or 0 and an i32 after; 1-based);
                  LISTSXP (2: [attributes] [tag] car cdr - attributes FIRST for pairlists);
                  CHARSXP (9: i32 length, -1 = NA_STRING; latin1 converted to UTF-8, also
                  unflagged strings when the header's native encoding is latin1);
                  LGLSXP (10), INTSXP (13), REALSXP (14), STRSXP (16), VECSXP (19),
                  EXPRSXP (20), RAWSXP (24): i32 length (-1: then two i32, high and low), the
                  values, then [attributes] (a pairlist of tag = value);
                  ALTREP (238: class info, state, attributes) of the classes compact_intseq
                  and compact_realseq (state (n, first, step)). janeaustenr's data uses none.
                Anything else (environments, closures, language, bytecode, S4, complex,
                other ALTREP classes) throws, naming the type number and the byte offset.
    VALUES      robject: one struct for every type read (see the fields). Logical and
                integer NA is INT32_MIN (R's NA_INTEGER); NA_STRING is an empty optional.
    ERRORS      kiln::error naming the file (or the stream), the entry, the byte offset, what
                was expected and what was found: a missing .rdx/.rdb, a bad magic or version,
                an entry whose range runs past the end of the .rdb (the file is truncated), a
                zlib stream that does not inflate to the stated length, an unsupported
                compression, an unknown SEXP type, a REFSXP index outside the table, a
                character vector read as strings() that holds NA or is not one.          */
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln::rdata {

// SEXPTYPE numbers (R's Rinternals.h) and the serialization-only pseudo types (serialize.c).
enum sexp_type : int {
    nilsxp = 0, symsxp = 1, listsxp = 2, closxp = 3, envsxp = 4, promsxp = 5, langsxp = 6,
    specialsxp = 7, builtinsxp = 8, charsxp = 9, lglsxp = 10, intsxp = 13, realsxp = 14,
    cplxsxp = 15, strsxp = 16, dotsxp = 17, vecsxp = 19, exprsxp = 20, bcodesxp = 21,
    extptrsxp = 22, weakrefsxp = 23, rawsxp = 24, s4sxp = 25,
    altrep_sxp = 238, refsxp = 255, nilvalue_sxp = 254
};

inline constexpr std::int32_t na_integer = INT32_MIN;  // R's NA_INTEGER and NA_LOGICAL

struct robject {
    int type = nilsxp;                               // a sexp_type; nilsxp for NULL
    std::vector<std::optional<std::string>> strings; // STRSXP (UTF-8); nullopt = NA
    std::vector<std::int32_t> integers;              // LGLSXP, INTSXP
    std::vector<double> reals;                       // REALSXP
    std::vector<std::uint8_t> raw;                   // RAWSXP
    std::vector<robject> elements;                   // VECSXP, EXPRSXP; LISTSXP values
    std::vector<std::string> tags;                   // LISTSXP: one per element, "" = none
    std::string name;                                // SYMSXP: the symbol's name
    std::vector<std::pair<std::string, robject>> attributes;  // in stream order

    bool is_null() const { return type == nilsxp; }
    std::size_t size() const;  // length(): elements, strings, values (0 for NULL)
    const robject* attribute(std::string_view tag) const;  // nullptr when absent
    // The "names" attribute as strings (NA -> "NA"); empty when there is none.
    std::vector<std::string> names() const;
    // The element named `tag` of a named VECSXP / LISTSXP; nullptr when absent.
    const robject* member(std::string_view tag) const;
};

// Decodes one serialized object ("X\n" header included). `where` names the source in errors.
robject unserialize(std::span<const std::uint8_t> bytes, std::string_view where = "stream");

// How a lazy-load database stores its entries (the index's "compressed").
enum class compression { none, zlib, typed /* 2 or 3: a type byte per entry */ };

class database {
public:
    // A prefix ("…/data/Rdata", "…/R/janeaustenr"), either of the two files, or a directory
    // holding Rdata.rdx or exactly one *.rdx.
    explicit database(const std::filesystem::path& dir_or_prefix);

    const std::filesystem::path& rdx_path() const { return rdx_; }
    const std::filesystem::path& rdb_path() const { return rdb_; }
    compression stored_as() const { return compression_; }

    std::vector<std::string> names() const;  // variables, in the index's order
    bool contains(std::string_view name) const;
    robject get(std::string_view name) const;
    // The character vector `name`, UTF-8; throws when it is not a STRSXP or holds NA.
    std::vector<std::string> strings(std::string_view name) const;

private:
    struct entry {
        std::string name;
        std::uint64_t offset = 0, length = 0;
    };
    const entry& find(std::string_view name) const;

    std::filesystem::path rdx_, rdb_;
    compression compression_ = compression::zlib;
    std::vector<entry> entries_;
};

}  // namespace kiln::rdata
