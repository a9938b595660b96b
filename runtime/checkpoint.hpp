#pragma once
/*  Checkpoints in the safetensors layout, so PyTorch users can read and write them.
    FORMAT      bytes 0..7   N, the JSON header length, little-endian u64
                bytes 8..8+N JSON: {"__metadata__": {str: str},
                                    "<name>": {"dtype": "F32"|"F64"|"I32"|"I64"|"U8",
                                               "shape": [outermost first, as PyTorch],
                                               "data_offsets": [begin, end]}, ...}
                             padded with spaces so the data starts 8-byte aligned
                then         raw little-endian tensor bytes; offsets count from the header's end.
    GUARANTEES  save_checkpoint is atomic: it writes "<path>.tmp.<pid>" in the same directory,
                fsyncs it, renames it over <path> and fsyncs the directory. On any failure the
                temp file is removed and an existing checkpoint is left as it was.
                load_checkpoint checks everything (header, offsets, names, shapes, dtypes,
                NaN/Inf) before it writes a single byte into the caller's memory: when it
                throws, the caller's tensors are untouched. A name/shape/dtype mismatch
                lists every difference in one kiln::error.
    REQUIRES    a little-endian host (static_assert); each tensor_ref::data points to
                product(shape) elements of its dtype.                                      */
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

enum class dtype { f32, f64, i32, i64, u8 };

std::string_view dtype_name(dtype type);  // safetensors spelling: "F32", "F64", ...
std::size_t dtype_size(dtype type);       // bytes per element

struct tensor_ref {
    std::string name;
    std::vector<std::int64_t> shape;  // outermost-first, as in the file
    dtype type;
    void* data;
};

void save_checkpoint(const std::filesystem::path& path, std::span<const tensor_ref> tensors,
                     const std::map<std::string, std::string>& metadata = {});

// Fills each expected tensor's data from the file; returns the file's __metadata__.
std::map<std::string, std::string> load_checkpoint(const std::filesystem::path& path,
                                                   std::span<const tensor_ref> expected);

struct checkpoint_listing {
    std::string name;
    std::vector<std::int64_t> shape;
    dtype type;
};

// The tensors a checkpoint holds, in file (offset) order; validates the header as load does.
std::vector<checkpoint_listing> list_checkpoint(const std::filesystem::path& path);

}  // namespace kiln
