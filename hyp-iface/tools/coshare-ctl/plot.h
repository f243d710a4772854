// SPDX-License-Identifier: MIT
// plot.h - a PNG of saved memory over time from a watch CSV, drawn by
// gnuplot run as a subprocess on a generated script.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "csv.h"

namespace coshare::ctl {

// One line of the plot: (seconds since the first sample, MiB saved).
struct Series {
    std::string title;
    std::vector<std::pair<double, double>> points;
};

struct PlotData {
    std::string start;            // timestamp of the first sample
    std::vector<Series> series;   // the host first, then domains by id
};

// The host's saved frames and each domain's (its bonus), in MiB.  Throws
// Error if columns are missing, a cell is not a number, or there are no rows.
PlotData plot_data(const CsvTable& csv);

// The gnuplot script: data inline, output to `png`.
std::string gnuplot_script(const PlotData& data, const std::string& png);

// Runs `gnuplot` (a name looked up in PATH, or a path) on the script and
// replaces `png` only once a PNG was written.  Throws Error(no_gnuplot) if
// the program is missing, Error(failure) if it fails.
void render_png(const PlotData& data, const std::filesystem::path& png,
                const std::string& gnuplot);

}  // namespace coshare::ctl
