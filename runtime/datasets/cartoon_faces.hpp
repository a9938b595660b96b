#pragma once
/*  Procedural smile / no-smile cartoon faces: the stand-in for C4W1's Happy House set
    (train_happy.h5 / test_happy.h5: 600 / 150 RGB photos 64x64 of people at the house's
    door, label 1 = happy). The course's files are not available here, so this generator
    makes a task of the same form, where the label is one geometric fact of the image.
    THE LABEL    the mouth is a parabolic stroke; in the face's own frame (u right, v down,
                 origin at the mouth's middle) it is v(u) = -bend (u / w)^2 for |u| <= w.
                 bend is the corners' rise in pixels: label 1 ("happy", corners up) draws
                 bend ~ U[min_smile_bend, max_bend]; label 0 draws a flat or frowning mouth,
                 bend ~ U[-max_bend, 0]. So label = (bend > 0), and the gentlest smile lifts
                 its corners min_smile_bend pixels.
    THE REST     (nuisance, drawn independently of the label; see cartoon_faces.cpp)
                 background: a vertical gradient between two random colours, 0-3 clutter
                 shapes (ellipses, rotated rectangles, arcs that bend either way);
                 face: an ellipse of one of nine skin tones, centre within +-3 px of the
                 image centre, radii 16-20 px (x) by 1.05-1.25 times that (y), tilted up to
                 +-0.12 rad, hair on 70%; eyes, eyebrows (bent either way), a nose;
                 the mouth 3-4 px thick, 0.4-0.6 of the face's half-width wide, at 0.42-0.52
                 of its half-height below the centre, the skin darkened and reddened;
                 lighting: global brightness 0.75-1.15 times a linear gradient of up to
                 +-25% across the image, then Gaussian pixel noise (sigma 2-8).
    HARDNESS     tuned so that the course's Keras model (PyTorch twin, 10 epochs, Adam 1e-3,
                 batch 16) reaches ~95% on 1000 fresh test faces, over-fitting the 600
                 training faces (100%); thinner mouths (2.5-3.5 px) with smiles from 2 px
                 left it near 90%, and wider jitter (face centre +-7 px) near 70%.
    RENDERING    anti-aliased: each shape covers a pixel by clamp(0.5 - d, 0, 1), d the
                 signed distance from the pixel centre to its edge; shapes are painted in
                 order over the background. A face's image is a function of its parameters
                 alone (the noise has its own seed), so two renders are equal.
    DRAW ORDER   one kiln::rng stream seeded with `seed`: the train labels (n/2 of each, the
                 odd one a 0, shuffled), then each train face's parameters in sample order,
                 then the same for the test set.
    GIVES        labelled_images (as read_course_h5 gives the course's files): 64x64x3 u8,
                 HWC; labels 0/1; classes {"not happy", "happy"}. from_labelled_images turns
                 them into a dataset with features / 255 and one 0/1 output.
    REQUIRES     0 < min_smile_bend <= max_bend; else kiln::error.                         */
#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/hdf5_dataset.hpp"
#include "runtime/image.hpp"
#include "runtime/random.hpp"

namespace kiln {

inline constexpr int cartoon_face_side = 64;

// Everything that decides one image. Lengths in pixels; x right, y down, pixel (i, j)
// covers [i, i + 1) x [j, j + 1). Face parts are placed in the face's frame, rotated by
// `tilt` (radians, clockwise on screen) about the face's centre.
struct cartoon_face {
    struct rgb {
        float r = 0, g = 0, b = 0;  // 0..255
    };
    struct shape {
        enum kind_t { ellipse, rectangle, arc } kind = ellipse;
        double x = 0, y = 0;        // centre
        double w = 0, h = 0;        // half extents; an arc: half width and bend (as the mouth's)
        double angle = 0;           // radians
        double thickness = 1;       // arcs only
        rgb colour;
    };
    rgb background_top, background_bottom;
    std::vector<shape> clutter;

    double cx = 32, cy = 32, rx = 18, ry = 21, tilt = 0;
    rgb skin, hair;
    bool has_hair = false;
    double eye_dx = 6, eye_dy = -5, eye_r = 2.5;  // each eye at (+-eye_dx, eye_dy)
    double brow_rise = 4, brow_half_width = 4, brow_bend = 0;
    double nose_length = 3;
    // The mouth: its middle at (mouth_dx, mouth_dy) in the face frame; see THE LABEL.
    double mouth_dx = 0, mouth_dy = 10, mouth_half_width = 7, mouth_bend = 3, mouth_thickness = 2.5;
    rgb lips;

    double light = 1, light_gx = 0, light_gy = 0;  // factor light * (1 + gx (x-32)/32 + gy (y-32)/32)
    double noise_sigma = 4;
    std::uint64_t noise_seed = 0;
};

struct cartoon_faces_options {
    std::size_t train = 600, test = 150;  // the course's sizes
    double min_smile_bend = 2.5;          // pixels: the gentlest smile's corner rise
    double max_bend = 6.0;                // pixels: the widest smile's rise, the deepest frown's drop
    std::uint64_t seed = 1;
};

struct cartoon_faces_data {
    labelled_images train, test;
};

// 1 when the mouth's corners are above its middle (bend > 0), else 0.
inline int cartoon_face_label(const cartoon_face& face) { return face.mouth_bend > 0 ? 1 : 0; }

// The parameters of one face with the given label (0 or 1), drawn from `random`.
cartoon_face random_cartoon_face(rng& random, int label, const cartoon_faces_options& options = {});

// 64x64 RGB, HWC.
image_u8 render_cartoon_face(const cartoon_face& face);

cartoon_faces_data load_cartoon_faces(const cartoon_faces_options& options = {});

}  // namespace kiln
