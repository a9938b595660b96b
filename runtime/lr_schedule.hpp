#pragma once
/*  lr_schedule: the learning rate as a function of the epoch (course C2W2, learning-rate
    decay). The trainer sets optimizer::set_learning_rate(schedule.at(epoch)) each epoch.
      constant     lr0
      exponential  lr0 / (1 + decay_rate * epoch)                        (the course's update_lr)
      interval     lr0 / (1 + decay_rate * floor(epoch / time_interval)) (schedule_lr_decay)
    ("exponential" is the course notebook's name; the formula is inverse-time decay.)
    REQUIRES  initial_rate > 0, decay_rate >= 0, time_interval >= 1 (parse checks them).
    PARSE     "constant" | "exponential:<decay_rate>" | "interval:<decay_rate>:<time_interval>"
              e.g. --lr-schedule exponential:1.0 or interval:1.0:1000; anything else throws
              kiln::error quoting the text and the accepted forms.                      */
#include <cstddef>
#include <string>
#include <string_view>

namespace kiln {

struct lr_schedule {
    enum kind { constant, exponential, interval };
    kind type = constant;
    float initial_rate = 0.01f;
    float decay_rate = 0;
    std::size_t time_interval = 1000;

    float at(std::size_t epoch) const;
    // The text parse_lr_schedule accepts for this schedule ("interval:1:1000").
    std::string to_string() const;
};

lr_schedule parse_lr_schedule(std::string_view spec, float initial_rate);

}  // namespace kiln
