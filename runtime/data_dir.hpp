#pragma once
/*  data_dir: where a binary finds the data scripts/fetch-*.sh put in the source tree's data/.
    Built in as that folder's absolute path (KILN_DATA_DIR, set by CMake on the sources that
    read data); the environment variable KILN_DATA_DIR, where set and not empty, takes its
    place: for binaries run away from the tree they were built in (a GPU machine's bundle,
    scripts/gpu-bundle.sh, carries data/digits.png in its own data/).                      */
#include <cstdlib>
#include <filesystem>

namespace kiln {

inline std::filesystem::path data_dir(const char* built_in) {
    const char* v = std::getenv("KILN_DATA_DIR");
    return std::filesystem::path(v != nullptr && *v != 0 ? v : built_in);
}

}  // namespace kiln
