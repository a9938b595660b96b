// Says whether a GPU module works here, for CTest: `kiln_gpu_probe cuda|opencl` exits 0 when
// the device answered, 77 (CTest's skip code for these tests) with the reason otherwise.
// The CPU-against-GPU cases in kiln_gpu_tests pass without the device; this test shows
// "Skipped" in the summary instead.
#include <cstdio>
#include <string>

#include "runtime/device.hpp"
#include "runtime/error.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: kiln_gpu_probe cuda|opencl\n");
        return 2;
    }
    try {
        const kiln::device_kind d = kiln::parse_device(argv[1]);
        const std::string why = kiln::device_status(d);
        if (why.empty()) {
            std::printf("%s: a device answered; kiln_gpu_tests compare every network on it\n", argv[1]);
            return 0;
        }
        std::printf("%s: skipped: %s\n", argv[1], why.c_str());
        return 77;
    } catch (const kiln::error& e) {
        std::fprintf(stderr, "kiln_gpu_probe: %s\n", e.what());
        return 2;
    }
}
