// SPDX-License-Identifier: MIT
// ksm_compare.cc - coshare against the real KSM of this host's kernel on
// the same content: 256 MiB of 4-way duplicated pages.  KSM runs at its
// defaults and at pages_to_scan=10000, sleep_millisecs=0; the engine
// deduplicates the same pages through hints.  Without KSM it says so.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <span>
#include <sys/resource.h>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "host.h"
#include "ksm_probe.h"

using namespace coshare;

namespace {

struct EngineRun {
    double seconds, cpu_seconds;
    uint64_t saved;
};

double cpu_now()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           1e-6 * (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

// The same buffer, loaded into one guest and hinted as process text.
EngineRun engine_dedup(std::span<const std::byte> buf)
{
    size_t pages = buf.size() / sim::kPage;
    sim::Host h(pages + 64, sim::Host::kReleaseConfig);
    h.add_guest(1, pages);
    h.enable(1, 1);
    for (size_t g = 0; g < pages; ++g)
        h.fill(1, g, buf.subspan(g * sim::kPage, sim::kPage));
    std::vector<uint64_t> gfns(pages);
    for (size_t g = 0; g < pages; ++g)
        gfns[g] = g;
    double c0 = cpu_now();
    auto t0 = std::chrono::steady_clock::now();
    h.hint(1, XEN_COSHARE_CLASS_PROCESS_TEXT, gfns);
    double s = std::chrono::duration<double>(
                   std::chrono::steady_clock::now() - t0).count();
    return {s, cpu_now() - c0, h.global_stats().saved};
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"Compare coshare's hint path with this host's KSM on 4-way "
                 "duplicated memory"};
    size_t mib = 256;
    unsigned timeout = 180;
    std::string json = "ksm-results.json";
    app.add_option("--mib", mib, "buffer size in MiB")->check(CLI::Range(4, 4096));
    app.add_option("--timeout", timeout, "seconds to wait for KSM per run");
    app.add_option("--json", json, "where to write the results");
    CLI11_PARSE(app, argc, argv);

    const size_t bytes = mib << 20, dup = 4;
    std::vector<std::byte> buf(bytes);
    bench::fill_duplicated(buf, dup);
    auto eng = engine_dedup(buf);
    std::printf("coshare engine: %zu MiB, 4-way duplicated: %.3f s "
                "(%.3f CPU-s), %llu frames saved\n",
                mib, eng.seconds, eng.cpu_seconds,
                (unsigned long long)eng.saved);
    nlohmann::json out = {{"mib", mib},
                          {"engine", {{"seconds", eng.seconds},
                                      {"cpu_seconds", eng.cpu_seconds},
                                      {"saved", eng.saved}}}};

    std::string why = bench::ksm_unavailable_reason();
    if (!why.empty()) {
        std::printf("KSM: not measured here: %s\n", why.c_str());
        out["ksm"] = {{"skipped", why}};
    } else {
        for (const auto& p : {bench::KsmParams{100, 20, "defaults"},
                              bench::KsmParams{10000, 0, "fast"}}) {
            auto r = bench::measure_ksm(bytes, dup, p,
                                        std::chrono::seconds(timeout));
            std::printf("KSM %-8s (pages_to_scan=%u, sleep_millisecs=%u): "
                        "%s %.2f s, ksmd %.2f CPU-s, pages_sharing %llu; "
                        "coshare is %.0fx faster\n",
                        r.label.c_str(), r.pages_to_scan, r.sleep_millisecs,
                        r.reached ? "merged in" : "NOT merged after",
                        r.seconds, r.ksmd_cpu_seconds,
                        (unsigned long long)r.pages_sharing,
                        r.seconds / eng.seconds);
            out["ksm"][r.label] = {{"seconds", r.seconds},
                                   {"ksmd_cpu_seconds", r.ksmd_cpu_seconds},
                                   {"pages_sharing", r.pages_sharing},
                                   {"reached", r.reached},
                                   {"speedup", r.seconds / eng.seconds}};
        }
    }
    std::ofstream(json) << out.dump(2) << "\n";
    std::printf("written: %s\n", json.c_str());
    return 0;
}
