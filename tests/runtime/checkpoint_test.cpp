// Checkpoints: round trip, the exact bytes of the safetensors layout (parsed independently
// here), every mismatch listed, damaged files, atomic saving, and PyTorch interop.
#include "runtime/checkpoint.hpp"

#include <signal.h>
#include <sys/resource.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace kiln;
using kiln::test::error_of;
namespace fs = std::filesystem;

namespace {

std::string read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A safetensors file from a header text and a data blob, built by hand.
std::string hand_made(const std::string& header, const std::string& data) {
    std::uint64_t n = header.size();
    std::string out(8, '\0');
    std::memcpy(out.data(), &n, 8);
    return out + header + data;
}

struct sample_model {
    std::vector<float> w{1.5f, -2.0f, 0.25f, 3.0f, 4.5f, -0.125f};  // [2, 3]
    std::vector<double> b{0.1, 0.2, 0.3, 0.4};                      // [4]
    std::int32_t step = 42;                                           // []
    std::vector<std::int64_t> ids{-5, 1LL << 40};                     // [2]
    std::vector<std::uint8_t> mask{0, 7, 255};                        // [3]
    std::vector<tensor_ref> refs() {
        return {{"w", {2, 3}, dtype::f32, w.data()},
                {"b", {4}, dtype::f64, b.data()},
                {"step", {}, dtype::i32, &step},
                {"ids", {2}, dtype::i64, ids.data()},
                {"mask", {3}, dtype::u8, mask.data()}};
    }
};

}  // namespace

TEST_CASE("checkpoint: save writes the safetensors layout and load reads it back",
          "[runtime][checkpoint]") {
    kiln::test::temp_dir dir("ckpt_roundtrip");
    const fs::path path = dir / "model.safetensors";
    sample_model saved;
    const auto refs = saved.refs();
    save_checkpoint(path, refs, {{"epoch", "3"}, {"network", "planar"}});

    // Parse the file independently of kiln's reader.
    const std::string bytes = read_bytes(path);
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    CHECK(n % 8 == 0);
    const auto header = nlohmann::json::parse(bytes.substr(8, n));
    CHECK(header["__metadata__"]["epoch"] == "3");
    CHECK(header["w"]["dtype"] == "F32");
    CHECK(header["w"]["shape"] == nlohmann::json({2, 3}));
    CHECK(header["step"]["shape"] == nlohmann::json::array());
    const std::string data = bytes.substr(8 + n);
    CHECK(data.size() == 24 + 32 + 4 + 16 + 3);
    const auto begin = header["b"]["data_offsets"][0].get<std::size_t>();
    CHECK(std::memcmp(data.data() + begin, saved.b.data(), 32) == 0);

    sample_model loaded;
    std::fill(loaded.w.begin(), loaded.w.end(), 0.0f);
    loaded.b.assign(4, 0.0);
    loaded.step = 0;
    loaded.ids.assign(2, 0);
    loaded.mask.assign(3, 0);
    const auto meta = load_checkpoint(path, loaded.refs());
    CHECK(meta == std::map<std::string, std::string>{{"epoch", "3"}, {"network", "planar"}});
    CHECK(loaded.w == saved.w);
    CHECK(loaded.b == saved.b);
    CHECK(loaded.step == 42);
    CHECK(loaded.ids == saved.ids);
    CHECK(loaded.mask == saved.mask);

    const auto listing = list_checkpoint(path);
    REQUIRE(listing.size() == 5);
    CHECK(listing[0].name == "w");  // file order = save order
    CHECK(listing[4].name == "mask");
    CHECK(listing[4].type == dtype::u8);
    CHECK(listing[0].shape == std::vector<std::int64_t>{2, 3});
}

TEST_CASE("checkpoint: a mismatch lists every difference and touches nothing",
          "[runtime][checkpoint]") {
    kiln::test::temp_dir dir("ckpt_mismatch");
    const fs::path path = dir / "model.safetensors";
    sample_model saved;
    save_checkpoint(path, saved.refs());

    std::vector<float> w(6, 9.0f), extra(2, 9.0f);
    std::vector<float> b(4, 9.0f);
    std::int32_t step = 9;
    std::vector<std::uint8_t> mask(3, 9);
    const std::vector<tensor_ref> expected = {
        {"w", {3, 2}, dtype::f32, w.data()},        // shape differs
        {"b", {4}, dtype::f32, b.data()},           // dtype differs
        {"step", {}, dtype::i32, &step},            // fine
        {"mask", {3}, dtype::u8, mask.data()},      // fine
        {"extra", {2}, dtype::f32, extra.data()}};  // missing; "ids" is unexpected
    const std::string msg = error_of([&] { load_checkpoint(path, expected); });
    CHECK_THAT(msg, Catch::Contains(path.string()));
    CHECK_THAT(msg, Catch::Contains("4 differences"));
    CHECK_THAT(msg, Catch::Contains("tensor 'w': shape [2, 3] in the file vs [3, 2] expected"));
    CHECK_THAT(msg, Catch::Contains("tensor 'b': dtype F64 in the file vs F32 expected"));
    CHECK_THAT(msg, Catch::Contains("missing tensor 'extra'"));
    CHECK_THAT(msg, Catch::Contains("unexpected tensor 'ids'"));
    CHECK_THAT(msg, Catch::Contains("hint:"));
    CHECK(step == 9);  // nothing was loaded
    CHECK(mask == std::vector<std::uint8_t>(3, 9));
}

TEST_CASE("checkpoint: damaged files give a clear error", "[runtime][checkpoint]") {
    kiln::test::temp_dir dir("ckpt_damaged");
    const fs::path good = dir / "good.safetensors";
    std::vector<float> w{1, 2, 3, 4};
    const std::vector<tensor_ref> refs = {{"w", {4}, dtype::f32, w.data()}};
    save_checkpoint(good, refs);
    const std::string bytes = read_bytes(good);
    std::vector<float> out(4, -1.0f);
    const std::vector<tensor_ref> into = {{"w", {4}, dtype::f32, out.data()}};
    auto load = [&](const fs::path& p) { return error_of([&] { load_checkpoint(p, into); }); };

    CHECK_THAT(load(dir / "absent.safetensors"), Catch::Contains("file not found"));

    write_bytes(dir / "truncated", bytes.substr(0, bytes.size() - 3));
    CHECK_THAT(load(dir / "truncated"), Catch::Contains("truncated"));

    write_bytes(dir / "tiny", bytes.substr(0, 5));
    CHECK_THAT(load(dir / "tiny"), Catch::Contains("shorter than the 8-byte header length"));

    std::string huge = bytes;
    const std::uint64_t big = 1ULL << 40;
    std::memcpy(huge.data(), &big, 8);
    write_bytes(dir / "huge", huge);
    CHECK_THAT(load(dir / "huge"), Catch::Contains("100 MB limit"));

    std::string past_end = bytes;
    const std::uint64_t too_long = bytes.size();
    std::memcpy(past_end.data(), &too_long, 8);
    write_bytes(dir / "past_end", past_end);
    CHECK_THAT(load(dir / "past_end"), Catch::Contains("truncated"));

    write_bytes(dir / "bad_json", hand_made("{\"w\": [1, 2", std::string(16, '\0')));
    CHECK_THAT(load(dir / "bad_json"), Catch::Contains("not valid JSON"));

    write_bytes(dir / "overlap",
                hand_made(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                          R"("w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                          std::string(16, '\0')));
    CHECK_THAT(load(dir / "overlap"), Catch::Contains("overlap"));

    write_bytes(dir / "out_of_range",
                hand_made(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})",
                          std::string(16, '\0')));
    CHECK_THAT(load(dir / "out_of_range"), Catch::Contains("ends at data byte 24"));

    write_bytes(dir / "size_mismatch",
                hand_made(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,12]}})",
                          std::string(16, '\0')));
    CHECK_THAT(load(dir / "size_mismatch"), Catch::Contains("needs 16"));

    write_bytes(dir / "bf16",
                hand_made(R"({"w":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]}})",
                          std::string(8, '\0')));
    CHECK_THAT(load(dir / "bf16"), Catch::Contains("dtype BF16"));

    std::vector<float> with_nan{1, std::numeric_limits<float>::quiet_NaN(), 3, 4};
    const std::vector<tensor_ref> nan_refs = {{"w", {4}, dtype::f32, with_nan.data()}};
    save_checkpoint(dir / "nan", nan_refs);
    CHECK_THAT(load(dir / "nan"), Catch::Contains("checkpoint holds NaN in w"));
    std::vector<double> with_inf{1, std::numeric_limits<double>::infinity()};
    const std::vector<tensor_ref> inf_refs = {{"w", {2}, dtype::f64, with_inf.data()}};
    save_checkpoint(dir / "inf", inf_refs);
    std::vector<double> inf_out(2);
    CHECK_THAT(error_of([&] {
                   load_checkpoint(dir / "inf", std::vector<tensor_ref>{
                                                    {"w", {2}, dtype::f64, inf_out.data()}});
               }),
               Catch::Contains("checkpoint holds Inf in w"));

    CHECK(out == std::vector<float>(4, -1.0f));  // no failed load wrote anything
}

TEST_CASE("checkpoint: a failed save leaves the previous checkpoint and no temp file",
          "[runtime][checkpoint]") {
    kiln::test::temp_dir dir("ckpt_atomic");
    const fs::path path = dir / "model.safetensors";
    std::vector<float> w{1, 2, 3, 4};
    save_checkpoint(path, std::vector<tensor_ref>{{"w", {4}, dtype::f32, w.data()}});
    const std::string before = read_bytes(path);

    // Make write() fail with EFBIG: limit this process's file size (SIGXFSZ ignored).
    std::vector<float> big(1 << 16, 1.0f);
    rlimit old{};
    getrlimit(RLIMIT_FSIZE, &old);
    auto old_handler = signal(SIGXFSZ, SIG_IGN);
    rlimit small = old;
    small.rlim_cur = 4096;
    setrlimit(RLIMIT_FSIZE, &small);
    const std::string msg = error_of([&] {
        save_checkpoint(path, std::vector<tensor_ref>{{"w", {1 << 16}, dtype::f32, big.data()}});
    });
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_handler);
    CHECK_THAT(msg, Catch::Contains("write failed"));
    CHECK_THAT(msg, Catch::Contains("unchanged"));
    CHECK(read_bytes(path) == before);
    std::size_t files = 0;
    for (const auto& e : fs::directory_iterator(dir.path)) files += (void(e), 1);
    CHECK(files == 1);  // the temp file is gone

    CHECK_THAT(error_of([&] {
                   save_checkpoint(dir / "no_such_dir" / "m.safetensors",
                                   std::vector<tensor_ref>{{"w", {4}, dtype::f32, w.data()}});
               }),
               Catch::Contains("does not exist"));
    CHECK_THAT(error_of([&] {
                   save_checkpoint(path, std::vector<tensor_ref>{
                                             {"w", {4}, dtype::f32, w.data()},
                                             {"w", {4}, dtype::f32, w.data()}});
               }),
               Catch::Contains("repeats"));
    CHECK(read_bytes(path) == before);
}

TEST_CASE("checkpoint: PyTorch reads kiln's files and kiln reads PyTorch's",
          "[runtime][checkpoint][torch]") {
    if (!kiln::test::python_has("torch")) {
        WARN("not run: /usr/bin/python3 cannot import torch (install Debian's python3-torch)");
        return;
    }
    kiln::test::temp_dir dir("ckpt_torch");
    const std::string script = std::string(KILN_SOURCE_DIR) + "/tests/runtime/torch_safetensors.py";
    const std::string python = std::string(kiln::test::system_python) + " " + script;

    const fs::path from_torch = dir / "torch.safetensors";
    REQUIRE(kiln::test::run(python + " write " + from_torch.string()));
    std::vector<float> weight(6);
    std::vector<double> bias(2);
    std::vector<std::int64_t> step(2);
    const auto meta = load_checkpoint(from_torch, std::vector<tensor_ref>{
                                                      {"layer1.weight", {2, 3}, dtype::f32, weight.data()},
                                                      {"layer1.bias", {2}, dtype::f64, bias.data()},
                                                      {"step", {2}, dtype::i64, step.data()}});
    CHECK(meta.at("format") == "pt");
    for (int i = 0; i < 6; ++i) CHECK(weight[i] == static_cast<float>(i) / 4 - 0.5f);
    CHECK(bias == std::vector<double>{1.5, -2.25});
    CHECK(step == std::vector<std::int64_t>{7, -3});

    const fs::path from_kiln = dir / "kiln.safetensors";
    std::vector<float> w(12);
    for (int i = 0; i < 12; ++i) w[i] = static_cast<float>(i) * 0.5f - 1;
    std::vector<std::int32_t> b{-1, 0, 1};
    save_checkpoint(from_kiln,
                    std::vector<tensor_ref>{{"w", {3, 4}, dtype::f32, w.data()},
                                            {"b", {3}, dtype::i32, b.data()}},
                    {{"source", "kiln"}});
    CHECK(kiln::test::run(python + " read " + from_kiln.string()));
}
