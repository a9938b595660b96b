#include "runtime/lr_schedule.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

#include "runtime/error.hpp"

namespace kiln {

namespace {

constexpr const char* accepted =
    "expected constant, exponential:<decay_rate> or interval:<decay_rate>:<time_interval> "
    "(e.g. exponential:1.0, interval:1.0:1000)";

std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        const std::size_t end = text.find(sep, start);
        parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
        if (end == std::string_view::npos) return parts;
        start = end + 1;
    }
}

[[noreturn]] void fail(std::string_view spec, const std::string& why) {
    throw error("learning-rate schedule '" + std::string(spec) + "': " + why + "; " + accepted);
}

float parse_rate(std::string_view spec, std::string_view text) {
    // std::from_chars for float is in libstdc++ 11+; strtof would accept trailing junk.
    float v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
        fail(spec, "decay_rate '" + std::string(text) + "' is not a number");
    if (!(v >= 0) || !std::isfinite(v)) fail(spec, "decay_rate must be >= 0, got " + std::string(text));
    return v;
}

std::size_t parse_interval(std::string_view spec, std::string_view text) {
    std::size_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty() || v == 0)
        fail(spec, "time_interval must be a whole number of epochs >= 1, got '" + std::string(text) + "'");
    return v;
}

}  // namespace

float lr_schedule::at(std::size_t epoch) const {
    const double e = static_cast<double>(epoch);
    switch (type) {
        case exponential: return static_cast<float>(initial_rate / (1.0 + decay_rate * e));
        case interval:
            return static_cast<float>(initial_rate /
                                      (1.0 + decay_rate * static_cast<double>(epoch / time_interval)));
        case constant: break;
    }
    return initial_rate;
}

std::string lr_schedule::to_string() const {
    char rate[32];
    std::snprintf(rate, sizeof rate, "%g", static_cast<double>(decay_rate));
    switch (type) {
        case exponential: return std::string("exponential:") + rate;
        case interval: return std::string("interval:") + rate + ":" + std::to_string(time_interval);
        case constant: break;
    }
    return "constant";
}

lr_schedule parse_lr_schedule(std::string_view spec, float initial_rate) {
    if (!(initial_rate > 0) || !std::isfinite(initial_rate))
        throw error("learning-rate schedule: the initial learning rate must be a positive number, got " +
                    std::to_string(initial_rate));
    const std::vector<std::string_view> parts = split(spec, ':');
    lr_schedule s;
    s.initial_rate = initial_rate;
    if (parts[0] == "constant" && parts.size() == 1) return s;
    if (parts[0] == "exponential" && parts.size() == 2) {
        s.type = lr_schedule::exponential;
        s.decay_rate = parse_rate(spec, parts[1]);
        return s;
    }
    if (parts[0] == "interval" && parts.size() == 3) {
        s.type = lr_schedule::interval;
        s.decay_rate = parse_rate(spec, parts[1]);
        s.time_interval = parse_interval(spec, parts[2]);
        return s;
    }
    if (parts[0] == "constant" || parts[0] == "exponential" || parts[0] == "interval")
        fail(spec, "wrong number of ':'-separated fields for '" + std::string(parts[0]) + "'");
    fail(spec, "unknown kind '" + std::string(parts[0]) + "'");
}

}  // namespace kiln
