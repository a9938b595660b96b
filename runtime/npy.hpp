#pragma once
/*  NPY reader (NumPy's .npy, format versions 1.0, 2.0 and 3.0).
    READS       little-endian or byte-order-free dtypes '<f8' '<f4' '<i8' '<i4' '|u1' '|b1'
                ('<u1' and '|i1'-style spellings with the same meaning are accepted too),
                C order only.
    GIVES       shape outermost-first as NumPy prints it; values converted to double in
                C (row-major) order; dtype as written in the file (e.g. "<f8").
    REJECTS     with a kiln::error naming the file and what to do: bad magic, unknown version,
                fortran_order True, big-endian, object/structured/other dtypes, a malformed
                header, and data shorter (truncated) or longer than the shape says.          */
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace kiln {

struct npy_array {
    std::vector<std::size_t> shape;
    std::vector<double> values;
    std::string dtype;
};

npy_array read_npy(const std::filesystem::path& path);

}  // namespace kiln
