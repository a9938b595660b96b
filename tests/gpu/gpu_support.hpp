#pragma once
// What tests/gpu's two binaries share: random batches a network accepts, and the check of a
// run's kernel launches against CUDA's limits (launch_limits.hpp).
#include <catch2/catch.hpp>

#include <cstddef>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "launch_limits.hpp"
#include "runtime/device.hpp"
#include "runtime/model.hpp"

namespace kiln::test {

// Whether device d is missing here, after a warning saying so.
inline bool skipped(device_kind d) {
    const std::string why = device_status(d);
    if (why.empty()) return false;
    WARN("skipped, no " << target_name(d) << " device to compare with: " << why);
    return true;
}

// Inputs: uniform in [-1, 1], or whole numbers below `indices` (an embedding's input).
template <class Net>
std::vector<float> random_inputs(std::size_t n, std::mt19937& rng, int indices) {
    std::vector<float> x(n * model<Net>::sample_size);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    for (std::size_t i = 0; i < x.size(); ++i)
        x[i] = indices > 0 ? static_cast<float>(rng() % static_cast<unsigned>(indices)) : u(rng);
    return x;
}

// Labels the network's loss accepts: one-hot per step (softmax), 0/1 (sigmoid), any (mse).
template <class Net>
std::vector<float> random_labels(std::size_t n, std::mt19937& rng) {
    constexpr std::size_t O = model<Net>::output_size;
    const std::size_t classes = static_cast<std::size_t>(Net::output_shape[0]);
    std::vector<float> y(n * O, 0.f);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    if constexpr (Net::loss == loss_kind::softmax_cross_entropy) {
        for (std::size_t g = 0; g < y.size(); g += classes) y[g + rng() % classes] = 1.f;
    } else {
        for (float& v : y) v = Net::loss == loss_kind::sigmoid_cross_entropy ? static_cast<float>(rng() % 2) : u(rng);
    }
    return y;
}

// The kernels launched (by default: since the last take_launches()) fit CUDA's blocks: threads x
// registers, and shared memory (launch_limits.hpp; the limits on threads and grid refused
// any launch over them already, failing the case where it ran).
inline void launches_fit(const std::string& network, const std::string& schedule,
                         const std::map<std::string, kernel_launches>& launches) {
    INFO(network << " (" << schedule << "): " << launches.size() << " kernels launched");
    CHECK_FALSE(launches.empty());
    std::string why_not;
    const std::vector<kernel_registers>& table = register_table(&why_not);
    if (table.empty()) {
        WARN("registers a block not checked: " << why_not);
        return;
    }
    for (const std::string& problem : register_problems(launches, table, network, schedule)) FAIL_CHECK(problem);
}
inline void launches_fit(const std::string& network, const std::string& schedule) {
    const std::map<std::string, kernel_launches> launches = take_launches();
    log_launches(launches, network, schedule);
    launches_fit(network, schedule, launches);
}

// An arena's device side, read back buffer by buffer: each view holds its own range of the
// host values, and a device range holds them in device order with zeros in the gaps. On
// OpenCL every piece starts at a multiple of arena::opencl_alignment floats; on CUDA the
// layout is the host's.
inline void arena_layout(device_kind d) {
    if (skipped(d)) return;
    constexpr std::size_t size = 300;
    const std::vector<std::size_t> starts{0, 5, 133, 140};
    arena a(size, d, starts);
    std::span<float> host = a.write();
    for (std::size_t i = 0; i < size; ++i) host[i] = static_cast<float>(i + 1);
    a.to_device();
    auto device_values = [](Halide::Runtime::Buffer<float>& b) {
        Halide::Runtime::Buffer<float> copy(b.number_of_elements());
        b.set_device_dirty(true);  // so the copy reads the device side, not the view's host memory
        REQUIRE(halide_buffer_copy(nullptr, b.raw_buffer(), nullptr, copy.raw_buffer()) == 0);
        return std::vector<float>(copy.data(), copy.data() + copy.number_of_elements());
    };
    for (std::size_t k = 0; k < starts.size(); ++k) {
        const std::size_t end = k + 1 < starts.size() ? starts[k + 1] : size;
        Halide::Runtime::Buffer<float> v = a.view(starts[k], {static_cast<int>(end - starts[k])});
        const std::vector<float> got = device_values(v);
        INFO("the view at " << starts[k]);
        for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(got[i] == static_cast<float>(starts[k] + i + 1));
    }
    const std::size_t align = d == device_kind::opencl ? arena::opencl_alignment : 1;
    Halide::Runtime::Buffer<float> all = a.device_range(0, size);
    const std::vector<float> got = device_values(all);
    std::vector<float> want;
    for (std::size_t k = 0; k < starts.size(); ++k) {
        want.resize((want.size() + align - 1) / align * align, 0.f);  // the gap before piece k
        const std::size_t end = k + 1 < starts.size() ? starts[k + 1] : size;
        for (std::size_t i = starts[k]; i < end; ++i) want.push_back(static_cast<float>(i + 1));
    }
    CHECK(got == want);
    CHECK_THROWS_WITH(a.view(6, {3}), Catch::Contains("not inside one piece"));
    CHECK_THROWS_WITH(a.view(5, {200}), Catch::Contains("not inside one piece"));
}

}  // namespace kiln::test
