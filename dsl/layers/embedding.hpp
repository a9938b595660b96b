#pragma once
/*  embedding<V, D>: word indices -> vectors, a lookup in a (D, V) table (Keras' Embedding,
    PyTorch's nn.Embedding; C5W2A2's pretrained_embedding_layer under frozen()).
    REQUIRES  V > 0, D > 0; input a sequence (1, T) of indices 0 .. V-1 stored as floats
              (an index outside is clamped to the range: the runtime's encoders map unknown
              words to an index of their own)
    SHAPE     (1, T) -> (D, T)
    PARAMS    W (D, V) weight-init: row v of PyTorch's weight [V, D] is W(:, v), the same bytes
    GRADIENT  dW(:, v) = sum of dy over the steps whose index is v; none to the indices    */
#include "dsl/layer.hpp"

namespace kiln {

template <int V, int D>
struct embedding_t {
    static_assert(V > 0 && D > 0, "embedding<V, D>: V (vocabulary) and D (dimension) must be positive");
    static constexpr const char* kind = "embedding";
    static constexpr int vocabulary = V, dimension = D;
    static constexpr fixed_string<> name() { return cat("embedding<", V, ", ", D, ">"); }
    static constexpr shape_rule infer(shape in) {
        if (in.kind != shape_kind::sequence || in[0] != 1)
            return reject(cat(name(), ": expects a sequence of indices (F=1, T), got ", describe(in),
                              "; declare the input as sequence<1, T>"));
        return accept(make_sequence(D, in[1]));
    }
    static constexpr std::array<param_spec, 1> params(shape) {
        return {{{"W", 2, {D, V, 1, 1}, param_init::weight, V, D}}};
    }
};

template <int V, int D>
inline constexpr embedding_t<V, D> embedding{};

}  // namespace kiln
