// SPDX-License-Identifier: MIT
// engine_lock.h - the simulator's engine lock, as Xen's spinlock is: a
// ticket lock, so waiters get it in the order they asked for it (a
// std::mutex lets the thread that just dropped it take it straight back),
// and it keeps its longest hold and a histogram of its holds, for the
// isolation benchmarks.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace coshare::sim {

class EngineLock {
public:
    void lock()
    {
        const uint32_t ticket = next_.fetch_add(1, std::memory_order_relaxed);
        while (serving_.load(std::memory_order_acquire) != ticket)
            std::this_thread::yield();
        taken_ = Clock::now();
    }

    // Takes it only if nobody holds it or waits for it.
    bool try_lock()
    {
        uint32_t now = serving_.load(std::memory_order_acquire);
        uint32_t expect = now;
        if (!next_.compare_exchange_strong(expect, now + 1,
                                           std::memory_order_acquire,
                                           std::memory_order_relaxed))
            return false;
        taken_ = Clock::now();
        return true;
    }

    void unlock()
    {
        const int64_t held =
            std::chrono::duration_cast<std::chrono::nanoseconds>(
                Clock::now() - taken_).count();
        if (held > longest_ns_.load(std::memory_order_relaxed))
            longest_ns_.store(held, std::memory_order_relaxed);
        const auto bucket = std::min<int64_t>(held / kBucketNs, kBuckets - 1);
        holds_[bucket].fetch_add(1, std::memory_order_relaxed);
        serving_.store(serving_.load(std::memory_order_relaxed) + 1,
                       std::memory_order_release);
    }

    // Threads waiting for it now.
    uint32_t waiters() const
    {
        // serving_ first: it never passes next_, so this cannot wrap.
        const uint32_t now = serving_.load();
        const uint32_t queued = next_.load() - now;
        return queued ? queued - 1 : 0;
    }

    // The longest hold since the last reset, in nanoseconds.
    int64_t longest_hold_ns() const
    {
        return longest_ns_.load(std::memory_order_relaxed);
    }
    // The hold that `fraction` of all holds since the reset were no longer
    // than, to kBucketNs (the longest bucket counts everything beyond it).
    int64_t hold_quantile_ns(double fraction) const
    {
        uint64_t total = 0, seen = 0;
        for (const auto& n : holds_)
            total += n.load(std::memory_order_relaxed);
        for (int b = 0; b < kBuckets; ++b) {
            seen += holds_[b].load(std::memory_order_relaxed);
            if (total && seen >= fraction * double(total))
                return int64_t(b + 1) * kBucketNs;
        }
        return 0;
    }
    void reset_hold_stats()
    {
        longest_ns_.store(0);
        for (auto& n : holds_)
            n.store(0);
    }

private:
    using Clock = std::chrono::steady_clock;
    std::atomic<uint32_t> next_{0};
    std::atomic<uint32_t> serving_{0};
    Clock::time_point taken_;            // written by the holder only
    std::atomic<int64_t> longest_ns_{0};
    static constexpr int64_t kBucketNs = 1000;
    static constexpr int kBuckets = 1000;  // 1 us each, up to 1 ms
    std::array<std::atomic<uint64_t>, kBuckets> holds_{};
};

}  // namespace coshare::sim
