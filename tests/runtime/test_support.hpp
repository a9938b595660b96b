#pragma once
// Helpers shared by the runtime tests: scratch directories, external tools, error text.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "runtime/error.hpp"

namespace kiln::test {

// A fresh directory under the system temp dir, removed with everything in it.
struct temp_dir {
    std::filesystem::path path;
    explicit temp_dir(const std::string& name)
        : path(std::filesystem::temp_directory_path() /
               ("kiln_" + name + "_" + std::to_string(::getpid()))) {
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::filesystem::path operator/(const std::string& file) const { return path / file; }
};

// Debian's interpreter (python3 first on PATH may be another one without these modules).
inline constexpr const char* system_python = "/usr/bin/python3";

inline bool python_has(const std::string& modules) {
    if (!std::filesystem::exists(system_python)) return false;
    const std::string cmd =
        std::string(system_python) + " -c 'import " + modules + "' >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
}

// Runs a shell command; true when it exits 0.
inline bool run(const std::string& command) { return std::system(command.c_str()) == 0; }

// The message of the kiln::error that f throws; FAILs when it throws nothing or another type.
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const kiln::error& e) {
        return e.what();
    }
    FAIL("expected a kiln::error, got none");
    return {};
}

}  // namespace kiln::test
