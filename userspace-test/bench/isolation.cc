// SPDX-License-Identifier: MIT
// isolation.cc - I2 and I3 of issue 19: how long one tenant's hint holds
// the engine lock, and whether two groups hint in parallel, measured on the
// simulator.  The attacker's worst case is a full batch of in-use pages
// whose content its own group holds already: every entry is protected,
// hashed and compared in full, all under one lock hold.  (I1, a victim's
// fault latency beside an attacker, needs the simulator's lock to be fair
// as Xen's ticket lock is: its std::mutex lets the attacker take it back
// first every time.)
#include "isolation.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "content.h"
#include "host.h"

namespace coshare::bench {
namespace {

using Clock = std::chrono::steady_clock;
using sim::Host;

constexpr size_t kPages = 4096;
constexpr size_t kBatch = XEN_COSHARE_BATCH_MAX;
constexpr uint16_t kAttacker = 3, kAttackerPeer = 4;

double since_us(Clock::time_point t0)
{
    return std::chrono::duration<double, std::micro>(Clock::now() - t0)
        .count();
}

std::vector<uint64_t> range(uint64_t from, size_t n)
{
    std::vector<uint64_t> v(n);
    for (size_t i = 0; i < n; ++i)
        v[i] = from + i;
    return v;
}

// Guests `a` and `b` of `group` with the same kPages distinct pages (seeded
// by `salt`); b's are hinted, so a's hints are duplicates.
void add_pair(Host& h, uint16_t a, uint16_t b, uint32_t group, uint64_t salt)
{
    for (uint16_t d : {a, b}) {
        h.add_guest(d, kPages);
        h.enable(d, group);
        for (uint64_t g = 0; g < kPages; ++g)
            h.fill(d, g, sim::random_page(salt + g));
    }
    h.hint(b, XEN_COSHARE_CLASS_IN_USE, range(0, kPages));
}

// The attacker's worst-case batches, each followed by an unhint of the
// same gfns, over all its pages: the longest single batch, which holds the
// engine lock from start to end.
double longest_batch_us(Host& h)
{
    double longest = 0;
    std::vector<xen_coshare_entry_t> un(kBatch);
    for (uint64_t at = 0; at < kPages; at += kBatch) {
        auto t0 = Clock::now();
        h.hint(kAttacker, XEN_COSHARE_CLASS_IN_USE, range(at, kBatch));
        longest = std::max(longest, since_us(t0));
        for (size_t i = 0; i < kBatch; ++i)
            un[i] = {at + i, 0, {}, 0};
        h.batch(kAttacker, XENMEM_sharing_op_coshare_unhint, 0, un);
    }
    return longest;
}

// Pages per second hinting `domains` (each of its own group, distinct
// content), one thread per domain.
double hint_rate(std::initializer_list<uint16_t> domains)
{
    Host h(domains.size() * kPages * 2 + 64, Host::kReleaseConfig);
    uint32_t group = 10;
    for (uint16_t d : domains) {
        h.add_guest(d, kPages * 2);
        h.enable(d, group++);
        for (uint64_t g = 0; g < kPages * 2; ++g)
            h.fill(d, g, sim::random_page(d * 1000003ULL + g));
    }
    auto t0 = Clock::now();
    std::vector<std::thread> threads;
    for (uint16_t d : domains)
        threads.emplace_back([&h, d] {
            for (uint64_t at = 0; at < kPages * 2; at += kBatch)
                h.hint(d, XEN_COSHARE_CLASS_PROCESS_TEXT, range(at, kBatch));
        });
    for (auto& t : threads)
        t.join();
    return double(domains.size() * kPages * 2) / (since_us(t0) / 1e6);
}

}  // namespace

std::vector<Ratio> isolation_ratios()
{
    Host h(2 * kPages + 64, Host::kReleaseConfig);
    add_pair(h, kAttacker, kAttackerPeer, 2, 0);
    double longest = longest_batch_us(h);
    double one = hint_rate({5});
    double two = hint_rate({5, 6});
    std::printf("isolation: longest worst-case batch %.0f us; hint rate %.0f "
                "pages/s on one thread, %.0f on two (two groups)\n",
                longest, one, two);
    return {{"I2: longest engine-lock hold of a worst-case batch (us)",
             longest, "<= 50", longest <= 50},
            {"I3: two groups hinting on two threads / one thread rate",
             two / one, ">= 1.7", two / one >= 1.7}};
}

}  // namespace coshare::bench
