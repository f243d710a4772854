// SPDX-License-Identifier: MIT
// ksm_probe.h - measures this host's real Linux KSM deduplicating a buffer of
// known duplication (wall time to full merge, ksmd's CPU), so that coshare's
// benchmarks can be compared with it on the same content.
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
    unsigned pages_to_scan = 0;
    unsigned sleep_millisecs = 0;
    // Wall time from madvise(MADV_MERGEABLE) until pages_sharing reached
    // the expected count (or until the timeout).  Where the kernel has
    // /proc/self/ksm_merging_pages, every page of the buffer must also be
    // merged, so other mergeable processes cannot end the wait early.
    double seconds = 0;
    // CPU time of the ksmd kernel thread over that interval, from
    // /proc/<ksmd>/stat utime+stime; -1 if ksmd was not found.
    double ksmd_cpu_seconds = -1;
    uint64_t pages_shared = 0, pages_sharing = 0;  // final KSM counters
    bool reached = false;                          // false if it timed out
};

// Why KSM cannot be measured here (no /sys/kernel/mm/ksm, its files not
// writable, not root), or "" if it can.
std::string ksm_unavailable_reason();

// Fills `buf`, n_pages = buf.size() / page size, so that each of n_pages/dup
// distinct non-zero pages appears exactly `dup` times: page i holds pattern
// i % (n_pages/dup), a splitmix64 stream seeded by that distinct index.  KSM
// only sees the duplicates if `buf` is page-aligned.  Throws
// std::invalid_argument unless buf.size() is a whole number of pages and
// n_pages is a non-zero multiple of dup.
void fill_duplicated(std::span<std::byte> buf, size_t dup);

// KSM merging a fresh anonymous mapping of `bytes` filled by
// fill_duplicated(dup).  run, pages_to_scan and sleep_millisecs are saved and
// restored on return or throw; merge_across_nodes, use_zero_pages and the
// rest are left alone.  It first sets run=2 and waits for pages_sharing to be
// 0, then applies `p`, sets run=1 and times from madvise(MADV_MERGEABLE)
// until pages_sharing >= n_pages - n_pages/dup (KSM counts the mappings
// beyond the first) and the buffer is wholly merged, polling every 10 ms;
// after `timeout` it gives up with reached=false.  At the end it unmaps the
// buffer and sets run=2 so the memory is released.  Throws
// std::invalid_argument on bad sizes, std::runtime_error when KSM cannot be
// used or driven.
KsmResult measure_ksm(size_t bytes, size_t dup, const KsmParams& p,
                      std::chrono::seconds timeout);

}  // namespace coshare::bench
