#pragma once
/*  bidirectional(rnn<H>), bidirectional(lstm<H>(return_sequences)), ...: Keras'
    Bidirectional with merge_mode="concat". Two layers of the same kind, with their own
    weights: one reads the steps in order, the other in reverse; their states are
    concatenated per step, [forward; backward].
    SHAPE     (F, T) -> (2H, T) with return_sequences (the backward layer's states put back
              in step order), else (2H): the forward layer's last state and the backward
              layer's last state (the one after reading x_0)
    PARAMS    the two layers' ("lstm1.*" forward, "lstm2.*" backward, in declaration order)
    A block: `node >> bidirectional(lstm<64>(return_sequences))` (dsl/graph.hpp).          */
#include "dsl/graph.hpp"
#include "dsl/layers/recurrent.hpp"
#include "dsl/layers/reverse_steps.hpp"

namespace kiln {

template <cell_kind Cell, int H, bool Sequences>
constexpr auto bidirectional(recurrent_t<Cell, H, Sequences> layer) {
    if constexpr (Sequences) return concat(layer, reverse_steps >> layer >> reverse_steps);
    else return concat(layer, reverse_steps >> layer);
}

}  // namespace kiln
