#pragma once
/*  Image data augmentation: Keras' RandomFlip("horizontal") then RandomRotation(f), as the
    course's C4W2A2 (MobileNetV2 transfer learning) puts them in front of the network.
    LAYOUT      a batch is n float images, sample i at x[i * features ...], each HWC
                (channel fastest, then x, then y) as runtime/dataset.hpp documents;
                features = width * height * channels.
    draw_transform(aug, seed, i)  sample i's draws, from its own kiln::rng stream seeded
                with a mix of (seed, i) - so they do not depend on n or on the other samples.
                Two uniforms u_flip, u_angle in [0, 1) are always drawn in this order, so
                turning one augmentation off does not change the other's draws:
                flip  = horizontal_flip && u_flip < 1/2;
                angle = (2 u_angle - 1) * max_rotation * 2 pi radians (0 when max_rotation = 0),
                i.e. uniform in [-f, f) * 2 pi as Keras' factor f.
    transform_image(in, out, geometry, t, fill)  out = rotate(flip(in)), flip if t.flip:
                flip   flip(img)(x, y) = img(W-1-x, y);
                rotate about the centre c = ((W-1)/2, (H-1)/2) (TF-Keras' get_rotation_matrix):
                       rotate(img)(p) = img(c + R(angle) (p - c)) bilinearly, R = [cos -sin;
                       sin cos] in (x right, y down) pixel coordinates. A POSITIVE angle turns
                       the picture COUNTER-CLOCKWISE as displayed (Keras' convention: "a
                       positive value means rotating counter clock-wise"); a quarter turn of a
                       square image is numpy's rot90: out[y][x] = in[x][W-1-y].
                fill   what the bilinear taps outside the image read (Keras' fill_mode):
                       "reflect"  d c b a | a b c d | d c b a (mirror about the edge of the
                                  last pixel: index -1 reads 0, index W reads W-1);
                       "nearest"  a a a a | a b c d | d d d d (the index clamped);
                       "constant" k k k k | a b c d | k k k k (k = fill_value, Keras' 0).
                Bilinear over these extended images is what TensorFlow's
                ImageProjectiveTransformV3 computes for the three modes, and SciPy's
                ndimage.rotate(img, degrees, reshape=False, order=1, mode=reflect | nearest |
                grid-constant) - the tests compare with SciPy. An angle of exactly 0 copies
                (or flips) without resampling.
    augment_batch(x, n, geometry, aug, seed)  in place: sample i becomes
                transform_image(sample i, draw_transform(aug, seed, i)). Cost: one sample of
                scratch memory; time in the contract's BENCH line below.
    augmenter(geometry, aug)  the same as a callback for fit_options::augment
                (runtime/train.hpp), checked once when it is made.
    ERRORS      kiln::error naming what was expected and found: a geometry with a side or
                channel count <= 0, x.size() != n * features, max_rotation outside [0, 0.5]
                (Keras' factor as a fraction of a full turn; 0.5 is already +-180 degrees),
                an unknown fill.
    BENCH       32 x 160x160x3 (the C4W2A2 batch), flip + max_rotation 0.2: 3.3 ms (reflect),
                3.5 ms (nearest), 4.1 ms (constant), flip alone 0.8 ms - medians of 30 calls on
                one AMD EPYC core of the build machine, -O3 for plain x86-64 (a batch memcpy:
                0.3 ms). Single-threaded: fit() calls it between steps.                    */
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace kiln {

struct image_geometry {
    int width = 0, height = 0, channels = 0;
    std::size_t features() const {
        return static_cast<std::size_t>(width) * static_cast<std::size_t>(height) *
               static_cast<std::size_t>(channels);
    }
};

struct augmentation {
    bool horizontal_flip = false;  // Keras RandomFlip("horizontal"): mirror x with probability 1/2
    double max_rotation = 0;       // Keras RandomRotation factor f: angle uniform in [-f, f] * 2 pi
    std::string fill = "reflect";  // reflect | constant | nearest (Keras' fill_mode)
    float fill_value = 0;          // what "constant" reads outside the image (Keras' fill_value)
};

// One sample's draw: flip first, then rotate by `angle` radians (counter-clockwise > 0).
struct sample_transform {
    bool flip = false;
    double angle = 0;
};

// Throws kiln::error unless geometry and options are usable (see ERRORS).
void validate(const image_geometry& geometry, const augmentation& aug);

sample_transform draw_transform(const augmentation& aug, std::uint64_t seed, std::size_t sample);

// One image: in and out hold geometry.features() floats each and must not overlap.
void transform_image(std::span<const float> in, std::span<float> out, const image_geometry& geometry,
                     const sample_transform& t, std::string_view fill = "reflect", float fill_value = 0);

void augment_batch(std::span<float> x, std::size_t n, const image_geometry& geometry, const augmentation& aug,
                   std::uint64_t seed);

using augment_function = std::function<void(std::span<float> x, std::size_t n, std::uint64_t seed)>;
augment_function augmenter(const image_geometry& geometry, const augmentation& aug);

}  // namespace kiln
