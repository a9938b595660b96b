// Says whether CUDA works here, for CTest: exit 0 when a GPU answered, 77 (CTest's skip
// code for this test) with the reason otherwise. The CPU-against-CUDA cases in
// kiln_cuda_tests pass without a GPU; this test shows "Skipped" in the summary instead.
#include <cstdio>

#include "runtime/device.hpp"

int main() {
    const std::string why = kiln::cuda_status();
    if (why.empty()) {
        std::printf("cuda: a GPU answered; kiln_cuda_tests compare every network on it\n");
        return 0;
    }
    std::printf("cuda: skipped: %s\n", why.c_str());
    return 77;
}
