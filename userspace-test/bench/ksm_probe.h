// SPDX-License-Identifier: MIT
// ksm_probe.h - measures this host's Linux KSM deduplicating a buffer, so
// that coshare's hint path can be compared with it on the same content.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace coshare::bench {

struct KsmParams {
    unsigned pages_to_scan;
    unsigned sleep_millisecs;
    std::string label;
};

struct KsmResult {
    std::string label;
    unsigned pages_to_scan = 0, sleep_millisecs = 0;
    double seconds = 0;           // madvise until pages_sharing is reached
    double ksmd_cpu_seconds = -1; // ksmd's CPU time meanwhile, -1 unknown
    uint64_t pages_shared = 0, pages_sharing = 0;
    bool reached = false;
};

// Why KSM cannot be measured here, or "" if it can.
std::string ksm_unavailable_reason();

// Every distinct non-zero page appears exactly `dup` times.
void fill_duplicated(std::span<std::byte> buf, size_t dup);

// KSM merging `bytes` of fill_duplicated(dup) content, with its settings
// saved and restored around the run.  Throws std::runtime_error.
KsmResult measure_ksm(size_t bytes, size_t dup, const KsmParams& p,
                      std::chrono::seconds timeout);

}  // namespace coshare::bench
