#pragma once
/*  kiln::error: the one exception type the runtime throws.
    WHAT IT REPRESENTS  a failure a user can act on: bad input, a missing or malformed file,
                        a mismatched checkpoint, a Halide pipeline error.
    CONVENTION          the message says what was expected, what was found, where, and what
                        to do - in that order where it applies.                              */
#include <stdexcept>
#include <string>

namespace kiln {

struct error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace kiln
