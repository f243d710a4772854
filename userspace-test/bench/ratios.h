// SPDX-License-Identifier: MIT
// ratios.h - turns one Google Benchmark run into the ratios coshare's
// targets are stated in, so that a noisy machine compares like with like.
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

namespace coshare::bench {

// Keeps every run's result by benchmark name, and reports as usual.
class CollectingReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override;
    // Seconds per iteration (real time).
    double seconds(const std::string& name) const;
    // A user counter of the named run.
    double counter(const std::string& name, const std::string& key) const;

private:
    std::map<std::string, Run> runs_;
};

struct Ratio {
    std::string what;
    double value;
    std::string target;   // e.g. ">= 0.5"
    bool met;
};

// Prints the table and writes it as JSON; returns false if a target missed.
bool report_ratios(const std::vector<Ratio>& ratios,
                   const std::string& json_path);

}  // namespace coshare::bench
