// The kiln-<model> binaries as a user runs them: the course-layout HDF5 path end to end,
// the JSON result line, and a clear error (never a crash, never a damaged checkpoint) for
// each kind of bad input.
#include <catch2/catch.hpp>
#include <hdf5.h>
#include <sys/wait.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../runtime/test_support.hpp"
#include "runtime/device.hpp"
#include "runtime/random.hpp"

namespace fs = std::filesystem;

namespace {

struct result {
    int status;
    std::string output;  // stdout and stderr together
};

result run(const std::string& args) {
    const std::string cmd = args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string out;
    std::array<char, 4096> buf{};
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
    const int status = pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

const std::string logistic = KILN_LOGISTIC_BIN;
const std::string planar = KILN_PLANAR_BIN;
const std::string signs_cnn = KILN_SIGNS_CNN_BIN;
const std::string happy_house = KILN_HAPPY_HOUSE_BIN;

// A course-layout file: <prefix>_set_x u8 [m, side, side, 3], <prefix>_set_y i64 [m],
// Class 1 images are bright on the left half, class 0 on the right, with per-pixel noise.
void write_course_h5(const fs::path& path, const std::string& prefix, int m, int side, std::uint64_t seed) {
    const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(file >= 0);
    std::vector<std::uint8_t> x(static_cast<std::size_t>(m) * side * side * 3);
    std::vector<std::int64_t> y(static_cast<std::size_t>(m));
    kiln::rng gen(seed);
    for (int i = 0; i < m; ++i) {
        y[static_cast<std::size_t>(i)] = i % 2;
        for (std::size_t k = 0; k < static_cast<std::size_t>(side) * side * 3; ++k) {
            const int noise = static_cast<int>(gen.below(64));
            const bool left = static_cast<int>(k / 3) % side < side / 2;
            x[static_cast<std::size_t>(i) * side * side * 3 + k] =
                static_cast<std::uint8_t>((left == (i % 2 == 1) ? 150 : 60) + noise);
        }
    }
    const hsize_t xd[4] = {hsize_t(m), hsize_t(side), hsize_t(side), 3}, yd[1] = {hsize_t(m)};
    hid_t s = H5Screate_simple(4, xd, nullptr);
    hid_t d = H5Dcreate2(file, (prefix + "_set_x").c_str(), H5T_STD_U8LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, x.data());
    H5Dclose(d);
    H5Sclose(s);
    s = H5Screate_simple(1, yd, nullptr);
    d = H5Dcreate2(file, (prefix + "_set_y").c_str(), H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, y.data());
    H5Dclose(d);
    H5Sclose(s);
    H5Fclose(file);
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("a model trains on the course's HDF5 layout and reports one JSON line", "[cli]") {
    kiln::test::temp_dir dir("cli_h5");
    write_course_h5(dir / "train_catvnoncat.h5", "train", 40, 64, 1);
    write_course_h5(dir / "test_catvnoncat.h5", "test", 20, 64, 2);
    const result r = run(logistic + " train --data " + (dir / "train_catvnoncat.h5").string() +
                         " --iterations 300 --learning-rate 0.001 --checkpoint " + (dir / "lr.safetensors").string() + " --plot " +
                         (dir / "plots").string());
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK_THAT(r.output, Catch::Contains("Cost after iteration 100:"));
    CHECK_THAT(r.output, Catch::Contains("{\"model\":\"logistic-regression\",\"train_accuracy\":1,\"test_accuracy\":1,"));
    CHECK(fs::file_size(dir / "plots" / "cost.png") > 1000);
    // eval reads the checkpoint back and finds the same accuracy
    const result e = run(logistic + " eval --checkpoint " + (dir / "lr.safetensors").string() + " --data " +
                         (dir / "train_catvnoncat.h5").string());
    INFO(e.output);
    CHECK(e.status == 0);
    CHECK_THAT(e.output, Catch::Contains("\"test_accuracy\":1,"));
}

TEST_CASE("the Happy House model reads the course's train_happy.h5 and test_happy.h5", "[cli]") {
    kiln::test::temp_dir dir("cli_happy");
    write_course_h5(dir / "train_happy.h5", "train", 32, 64, 3);
    const std::string train = happy_house + " train --quiet --epochs 1 --data " + (dir / "train_happy.h5").string();
    // alone, the training file gives up a quarter of its images for testing, and says so
    const result alone = run(train);
    INFO(alone.output);
    REQUIRE(alone.status == 0);
    CHECK_THAT(alone.output, Catch::Contains("holding out 25% of the training set"));
    // with its sibling, that is the test set
    write_course_h5(dir / "test_happy.h5", "test", 16, 64, 4);
    const result r = run(train);
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK_THAT(r.output, Catch::StartsWith("{\"model\":\"happy-house\","));
    CHECK_THAT(r.output, !Catch::Contains("holding out"));
}

TEST_CASE("the --dataset flag picks a compiled network, and a wrong name says which exist", "[cli]") {
    const result info = run(signs_cnn + " --dataset fashion-mnist info");
    INFO(info.output);
    CHECK(info.status == 0);
    CHECK_THAT(info.output, Catch::Contains("image(C=1, W=28, H=28)") && Catch::Contains("features(F=10)"));
    const result digits = run(signs_cnn + " info");
    CHECK_THAT(digits.output, Catch::Contains("image(C=3, W=64, H=64)") && Catch::Contains("features(F=6)"));
    const result wrong = run(signs_cnn + " --dataset mnist train");
    CHECK(wrong.status == 2);
    CHECK_THAT(wrong.output, Catch::Contains("unknown --dataset 'mnist'; choose digits or fashion-mnist"));
    const result empty = run(signs_cnn + " info --dataset");
    CHECK(empty.status == 2);
    CHECK_THAT(empty.output, Catch::Contains("--dataset needs a value"));
}

TEST_CASE("predict classifies real photos with the trained class names", "[cli]") {
    const fs::path photos = "/usr/lib/python3/dist-packages/skimage/data";
    if (!fs::exists(photos / "chelsea.png") || !fs::exists(photos / "astronaut.png")) {
        WARN("skipped: scikit-image's sample photos are missing (scripts/install-deps.sh installs python3-skimage)");
        return;
    }
    kiln::test::temp_dir dir("cli_predict");
    const std::string ckpt = (dir / "faces.safetensors").string();
    REQUIRE(run(logistic + " train --quiet --checkpoint " + ckpt).status == 0);
    const result r = run(logistic + " predict --checkpoint " + ckpt + " " + (photos / "chelsea.png").string() + " " +
                         (photos / "astronaut.png").string());
    INFO(r.output);
    REQUIRE(r.status == 0);
    // one line per photo: "<path>: <probability>  -> <class>"
    CHECK_THAT(r.output, Catch::Matches("(.*chelsea.png: 0\\.[0-9]{4}  -> (face|non-face)\n)"
                                        "(.*astronaut.png: 0\\.[0-9]{4}  -> (face|non-face)\n)"));
}

TEST_CASE("bad input gets a clear error, not a crash", "[cli]") {
    kiln::test::temp_dir dir("cli_bad");
    SECTION("an unknown flag") {
        const result r = run(planar + " train --learning-rat 0.1");
        CHECK(r.status != 0);
        CHECK_THAT(r.output, Catch::Contains("--learning-rat"));
    }
    SECTION("a missing data file") {
        const result r = run(logistic + " train --data " + (dir / "nope.h5").string());
        CHECK(r.status != 0);
        CHECK_THAT(r.output, Catch::Contains("nope.h5"));
    }
    SECTION("a file that is not HDF5") {
        std::ofstream(dir / "train.h5") << "this is text";
        const result r = run(logistic + " train --data " + (dir / "train.h5").string());
        CHECK(r.status == 1);
        CHECK_THAT(r.output, Catch::StartsWith("error: ") && Catch::Contains("train.h5"));
    }
    SECTION("HDF5 images of the wrong size") {
        write_course_h5(dir / "train_small.h5", "train", 6, 32, 1);
        const result r = run(logistic + " train --data " + (dir / "train_small.h5").string());
        CHECK(r.status == 1);
        CHECK_THAT(r.output, Catch::Contains("images are 32x32x3") && Catch::Contains("64x64x3"));
    }
    SECTION("an unknown initialisation") {
        const result r = run(planar + " train --init gaussian");
        CHECK(r.status == 1);
        CHECK_THAT(r.output, Catch::Contains("unknown initialisation 'gaussian'"));
    }
    SECTION("a keep_prob outside (0, 1] or a negative lambda") {
        const result r = run(planar + " train --keep-prob 1.5");
        CHECK(r.status == 1);
        CHECK_THAT(r.output, Catch::Contains("keep_prob must be in (0, 1], got 1.5"));
        const result l = run(planar + " train --l2 -0.5");
        CHECK(l.status == 1);
        CHECK_THAT(l.output, Catch::Contains("l2 (lambda) must be a finite number >= 0, got -0.5"));
    }
    SECTION("an unknown optimizer") {
        const result r = run(planar + " train --optimizer adamw");
        CHECK(r.status == 1);
        CHECK_THAT(r.output, Catch::Contains("adamw") && Catch::Contains("sgd, momentum, rmsprop, adam"));
    }
    SECTION("predict on a file that is not an image") {
        run(planar + " train --iterations 10 --quiet --checkpoint " + (dir / "p.safetensors").string());
        std::ofstream(dir / "x.png") << "not a png";
        const result r = run(logistic + " predict --checkpoint " + (dir / "p.safetensors").string() + " " +
                             (dir / "x.png").string());
        CHECK(r.status == 1);
        CHECK_THAT(r.output, Catch::StartsWith("error: "));
    }
}

TEST_CASE("a failed run leaves the saved checkpoint as it was", "[cli][checkpoint]") {
    kiln::test::temp_dir dir("cli_ckpt");
    const std::string ckpt = (dir / "planar.safetensors").string();
    REQUIRE(run(planar + " train --iterations 50 --quiet --checkpoint " + ckpt).status == 0);
    const std::string before = slurp(ckpt);
    SECTION("training diverges") {
        const result r = run(planar + " train --learning-rate 3e38 --iterations 200 --quiet --checkpoint " + ckpt);
        INFO(r.output);
        CHECK(r.status == 1);
        CHECK_THAT(r.output, Catch::Contains("lower the learning rate"));
    }
    SECTION("the checkpoint belongs to another network") {
        const result r = run(logistic + " eval --checkpoint " + ckpt);
        CHECK(r.status == 1);
        CHECK_THAT(r.output, Catch::Contains("dense1.W"));
    }
    SECTION("a truncated checkpoint is refused") {
        const std::string cut = (dir / "cut.safetensors").string();
        std::ofstream(cut, std::ios::binary) << before.substr(0, before.size() - 8);
        const result r = run(planar + " eval --checkpoint " + cut);
        CHECK(r.status == 1);
        CHECK_THAT(r.output, Catch::Contains("cut.safetensors"));
    }
    CHECK(slurp(ckpt) == before);
    for (const auto& entry : fs::directory_iterator(dir.path))  // no temp files left behind
        CHECK(entry.path().string().find(".tmp.") == std::string::npos);
}

TEST_CASE("a bad command line exits 2 with CLI11's message, and --help exits 0", "[cli]") {
    const result unknown = run(logistic + " train --bogus 1");
    INFO(unknown.output);
    CHECK(unknown.status == 2);
    CHECK_THAT(unknown.output, Catch::Contains("--bogus") && Catch::Contains("--help"));
    const result device = run(logistic + " train --device gpu");
    INFO(device.output);
    CHECK(device.status == 2);
    CHECK_THAT(device.output, Catch::Contains("gpu not in {cpu,cuda,opencl}"));
    const result missing = run(logistic + " eval");
    CHECK(missing.status == 2);
    CHECK_THAT(missing.output, Catch::Contains("--checkpoint is required"));
    const result help = run(logistic + " train --help");
    CHECK(help.status == 0);
    CHECK_THAT(help.output, Catch::Contains("--learning-rate") && Catch::Contains("--device"));
}

// The same training run on the CPU and on OpenCL (pocl runs it on the CPU here): the same
// final cost, to float32 summation order.
TEST_CASE("training on OpenCL reaches the cost it reaches on the cpu", "[cli][opencl]") {
    if (const std::string why = kiln::device_status(kiln::device_kind::opencl); !why.empty()) {
        WARN("skipped: " << why);
        return;
    }
    auto final_cost = [](const std::string& device) {
        // (the kernels compiled unoptimised, as tests/gpu does: seconds less on pocl)
        const result r = run("HL_OCL_BUILD_OPTIONS=-cl-opt-disable " + logistic + " train --iterations 300 --quiet --device " + device);
        INFO(r.output);
        REQUIRE(r.status == 0);
        const std::size_t at = r.output.find("\"final_cost\":");
        REQUIRE(at != std::string::npos);
        return std::stod(r.output.substr(at + 13));
    };
    const double cpu = final_cost("cpu"), opencl = final_cost("opencl");
    INFO("final cost: cpu " << cpu << ", opencl " << opencl);
    CHECK(std::abs(cpu - opencl) <= 1e-4 * cpu);
    CHECK(cpu < 0.2);  // it trained: 300 steps from 0.69 (zeros) to 0.13
}
