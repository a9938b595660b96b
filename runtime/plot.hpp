#pragma once
/*  Plots drawn with cairo, written as PNG (640 x 480 pixels).
    plot_curve              line plot of ys[i] at x = i * x_step (the course's cost curve:
                            "cost" vs "iterations (per hundreds)"); axes with ticks and labels.
                            Non-finite values break the line instead of spoiling the scale.
    plot_decision_boundary  regions where prob(x, y) > 0.5 and <= 0.5 in two soft colours
                            (prob is evaluated at the centres of a 300 x 300 grid spanning the
                            data's bounds +-1; a NaN counts as <= 0.5), then the points
                            coloured by label (0: red, 1: blue), axes with ticks.
    REQUIRES                ys non-empty; xy.size() == 2 * labels.size() > 0, all finite.
    ERRORS                  kiln::error for bad input or a PNG that cannot be written.        */
#include <filesystem>
#include <functional>
#include <span>
#include <string_view>

namespace kiln {

void plot_curve(const std::filesystem::path& path, std::span<const float> ys, double x_step,
                std::string_view title, std::string_view xlabel, std::string_view ylabel);

void plot_decision_boundary(const std::filesystem::path& path,
                            std::function<float(float, float)> prob,
                            std::span<const float> xy /* m*2 */,
                            std::span<const float> labels /* m, 0/1 */, std::string_view title);

}  // namespace kiln
