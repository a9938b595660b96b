#pragma once
/*  Element-wise functions every lowering shares, written so that they vectorise.
    Halide 14 lowers exp_f32 to its own polynomial, in vectors, but tanh_f32 to one call of
    libm's tanhf per lane: a vector of 16 tanh cost 16 calls. math::tanh is built on
    Halide's exp instead (text_lstm's training step, batch 32: 2.2x faster).          */
#include <Halide.h>

namespace kiln::codegen::math {

using Halide::Expr;

inline Expr sigmoid(const Expr& v) {
    const Halide::Type t = v.type();
    return Halide::cast(t, 1) / (Halide::cast(t, 1) + Halide::exp(-v));
}

/*  tanh x = sign(x) (1 - e) / (1 + e), e = exp(-2 |x|), which is exact in the limits (e
    goes to 0 for large |x|, NaN stays NaN). Below |x| = 1/16, where 1 - e would cancel, the
    odd Taylor series up to x^11 (its first omitted term is below 2e-17 relative there).
    Error: within a few ulp of float32 (the 1 - e at |x| = 1/16 costs ~4 ulp), ~1e-15 in
    float64.                                                                           */
inline Expr tanh(const Expr& x) {
    const Halide::Type t = x.type();
    auto k = [&](double v) { return Halide::cast(t, Expr(v)); };
    const Expr a = Halide::abs(x);
    const Expr e = Halide::exp(k(-2) * a);
    const Expr large = (k(1) - e) / (k(1) + e);
    const Expr x2 = x * x;
    const Expr series =
        x * (k(1) + x2 * (k(-1.0 / 3) + x2 * (k(2.0 / 15) + x2 * (k(-17.0 / 315) +
                                                                x2 * (k(62.0 / 2835) + x2 * k(-1382.0 / 155925))))));
    return Halide::select(a < k(1.0 / 16), series, Halide::select(x < k(0), -large, large));
}

}  // namespace kiln::codegen::math
