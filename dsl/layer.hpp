#pragma once
/*  The layer contract: what every layer type in dsl/layers/ provides. No Halide here.
    A layer is a value-less type, configured by its template arguments:
      static constexpr fixed_string<> name();   "dense<10>", used in every message
      static constexpr const char* kind;        "dense", stem of node and parameter names
      static constexpr shape_rule infer(shape); output shape, or the sentence that says why not
      static constexpr auto params(shape in);   std::array<param_spec, K> (K may be 0)
    Optional: static constexpr bool is_loss (terminal node: cost + fused activation).
    Shape rules return an error instead of asserting, so that the failure is reported at the
    user's `>>` with the sentence in the compiler's note (see graph.hpp).                  */
#include <array>
#include <concepts>

#include "dsl/fixed_string.hpp"
#include "dsl/shape.hpp"

namespace kiln {

struct shape_rule {
    bool ok = true;
    shape out{};
    fixed_string<> message{};
};
constexpr shape_rule accept(shape out) { return {true, out, {}}; }
constexpr shape_rule reject(const fixed_string<>& why) { return {false, {}, why}; }

// How a parameter is initialised by default; the runtime may override weights per run.
// Only `weight` parameters are drawn by the initialisation scheme and take L2 decay.
enum class param_init { weight, zeros, ones };

struct param_spec {
    const char* role = "";                 // "W", "b": the name is "<node>.<role>"
    int rank = 1;
    std::array<int, 4> dims{1, 1, 1, 1};    // innermost-first (Halide order)
    param_init init = param_init::zeros;
    int fan_in = 1, fan_out = 1;            // for Xavier / He scaling
    bool trainable = true;                  // false: state the training step recomputes
                                            // (batch norm's running averages), no gradient
    bool frozen = false;                    // true: held fixed (dsl/frozen.hpp): no gradient
                                            // buffer, no optimizer state, never written
    constexpr std::size_t size() const {
        std::size_t n = 1;
        for (int i = 0; i < rank; ++i) n *= static_cast<std::size_t>(dims[static_cast<std::size_t>(i)]);
        return n;
    }
};

template <class L>
concept layer = requires(shape s) {
    { L::name() } -> std::convertible_to<fixed_string<>>;
    { L::kind } -> std::convertible_to<const char*>;
    { L::infer(s) } -> std::same_as<shape_rule>;
    L::params(s);
};

template <class L>
constexpr bool is_loss_layer() {
    if constexpr (requires { L::is_loss; }) return L::is_loss;
    else return false;
}

template <class L>
constexpr std::size_t param_count(shape in) { return L::params(in).size(); }

}  // namespace kiln
