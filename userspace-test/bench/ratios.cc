// SPDX-License-Identifier: MIT
// ratios.cc - collecting reporter and the ratio table.
#include "ratios.h"

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace coshare::bench {

void CollectingReporter::ReportRuns(const std::vector<Run>& runs)
{
    for (const auto& r : runs)
        runs_[r.benchmark_name()] = r;
    ConsoleReporter::ReportRuns(runs);
}

static const benchmark::BenchmarkReporter::Run& find(
    const std::map<std::string, benchmark::BenchmarkReporter::Run>& runs,
    const std::string& name)
{
    auto it = runs.find(name);
    if (it == runs.end())
        throw std::runtime_error("benchmark not run: " + name);
    return it->second;
}

double CollectingReporter::seconds(const std::string& name) const
{
    const auto& r = find(runs_, name);
    return r.real_accumulated_time / double(r.iterations);
}

double CollectingReporter::counter(const std::string& name,
                                   const std::string& key) const
{
    const auto& r = find(runs_, name);
    auto it = r.counters.find(key);
    if (it == r.counters.end())
        throw std::runtime_error("no counter " + key + " in " + name);
    return it->second.value;
}

bool report_ratios(const std::vector<Ratio>& ratios,
                   const std::string& json_path)
{
    bool ok = true;
    nlohmann::json out = nlohmann::json::array();
    std::printf("\n%-58s %10s  %-10s %s\n", "ratio (measured in this run)",
                "value", "target", "");
    for (const auto& r : ratios) {
        std::printf("%-58s %10.3f  %-10s %s\n", r.what.c_str(), r.value,
                    r.target.c_str(), r.met ? "met" : "MISSED");
        ok = ok && r.met;
        out.push_back({{"what", r.what},
                       {"value", r.value},
                       {"target", r.target},
                       {"met", r.met}});
    }
    if (!json_path.empty()) {
        std::ofstream(json_path) << out.dump(2) << "\n";
        std::printf("written: %s\n", json_path.c_str());
    }
    return ok;
}

}  // namespace coshare::bench
