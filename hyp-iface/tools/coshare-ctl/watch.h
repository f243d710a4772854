// SPDX-License-Identifier: MIT
// watch.h - periodic sampling of the host's and every domain's counters to
// CSV, on a Clock the tests replace with a fake one.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>

#include "hypervisor.h"

namespace coshare::ctl {

class Clock {
public:
    virtual ~Clock() = default;
    // Timestamps come from the wall clock, the schedule from the steady one.
    virtual std::chrono::system_clock::time_point wall() = 0;
    virtual std::chrono::steady_clock::time_point steady() = 0;
    // Sleeps until t; false when asked to stop first.
    virtual bool sleep_until(std::chrono::steady_clock::time_point t) = 0;
};

// The real clocks; sleeping ends early once *stop is set (by a signal
// handler).
class SystemClock final : public Clock {
public:
    explicit SystemClock(const std::atomic<bool>* stop = nullptr)
        : stop_(stop)
    {
    }
    std::chrono::system_clock::time_point wall() override;
    std::chrono::steady_clock::time_point steady() override;
    bool sleep_until(std::chrono::steady_clock::time_point t) override;

private:
    const std::atomic<bool>* stop_;
};

struct WatchOptions {
    std::chrono::duration<double> interval{1.0};
    std::optional<uint64_t> count;   // nullopt: until stopped
};

// Writes the CSV header, then the rows of each sample, flushing each; one
// sample every interval on a fixed schedule (no drift).  Returns the number
// of samples.  Throws Error if a sample fails or the output does.
uint64_t watch(Connection& c, Clock& clock, const WatchOptions& opt,
               std::ostream& out);

}  // namespace coshare::ctl
