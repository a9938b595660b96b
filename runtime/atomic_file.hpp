#pragma once
/*  write_file_atomically: the one way runtime/ writes a file that must never be seen half
    written (checkpoints, MIDI files, vocabularies).
    WHAT IT DOES  writes the pieces one after another to "<path>.tmp.<pid>" in the target's
                  directory, fsyncs it, renames it over `path` and fsyncs the directory. A
                  reader sees the old file or the whole new one, never a part.
    ERRORS        kiln::error beginning with `context` ("midi: song.mid: "): the directory is
                  missing, the temporary file cannot be created, or a write / fsync / close /
                  rename fails (the temporary file is removed and any previous file at `path`
                  is unchanged; the message says so, naming it as `what`: "checkpoint").   */
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>

namespace kiln {

struct byte_range {
    const void* data;
    std::size_t size;
};

void write_file_atomically(const std::filesystem::path& path, std::span<const byte_range> pieces,
                           const std::string& context, const std::string& what = "file");

}  // namespace kiln
