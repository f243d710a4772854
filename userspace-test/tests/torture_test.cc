// SPDX-License-Identifier: MIT
// torture_test.cc - real threads drive the engine as multi-vCPU guests and
// Xen would: per domain, writer vCPUs that read back every write they make,
// and a vCPU hinting (every class), unhinting and keeping a volatile pool;
// beside them another tenant taking the host's free frames (so faults are
// paid by reclaim), the guests ballooning pages out and in, dom0 auditing,
// and one domain destroyed while the others run on the frames it shared.
// `make test` runs it under ThreadSanitizer as well (build/tsan).
//
// A failure names its seed; COSHARE_TORTURE_SECONDS sets the duration.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <random>
#include <sstream>
#include <thread>

#include "fixture.h"

namespace coshare::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint16_t kDomains = 3;
constexpr unsigned kWriters = 2;        // writer vCPUs per domain
// Each domain's gfns, by role.
constexpr uint64_t kWritten = 48;       // [0, 48): owned by one writer each
constexpr uint64_t kFree = 16;          // then free pages (hinted ZERO)
constexpr uint64_t kPool = 24;          // then the volatile pool
constexpr uint64_t kBalloon = 16;       // then pages ballooned out and in
constexpr uint64_t kFreeAt = kWritten, kPoolAt = kFreeAt + kFree,
                   kBalloonAt = kPoolAt + kPool,
                   kPages = kBalloonAt + kBalloon;

double torture_seconds()
{
    const char* s = std::getenv("COSHARE_TORTURE_SECONDS");
    return s ? std::atof(s) : 2.0;
}

// Words and numbers into one message.
template <typename... Parts>
std::string say(const Parts&... parts)
{
    std::ostringstream out;
    (out << ... << parts);
    return out.str();
}

// The first failure any thread saw; the others stop soon after.
class Failures {
public:
    void add(std::string what)
    {
        std::lock_guard l(m_);
        if (first_.empty())
            first_ = std::move(what);
        failed_ = true;
    }
    bool any() const { return failed_; }
    std::string first() const
    {
        std::lock_guard l(m_);
        return first_;
    }

private:
    mutable std::mutex m_;
    std::string first_;
    std::atomic<bool> failed_{false};
};

class Torture {
public:
    Torture(uint64_t seed) : seed_(seed), host_(kDomains * kPages + 64)
    {
        host_.preempt_batches(seed & 1);    // Xen's continuations, or none
        for (uint16_t d = 1; d <= kDomains; ++d) {
            host_.add_guest(d, kPages);
            if (host_.enable(d, 1, /*repay=*/true))
                throw std::runtime_error("enable failed");
            std::vector<uint64_t> pool;
            for (uint64_t g = kPoolAt; g < kBalloonAt; ++g)
                pool.push_back(g);
            host_.vol_add(d, pool);
        }
    }

    std::string run(double seconds)
    {
        auto until = Clock::now() + std::chrono::duration<double>(seconds);
        auto half = Clock::now() + std::chrono::duration<double>(seconds / 2);
        std::vector<std::thread> dying, others;
        std::atomic<bool> stop_dying{false}, stop{false};
        for (uint16_t d = 1; d <= kDomains; ++d) {
            auto& pool = d == kDomains ? dying : others;
            auto& flag = d == kDomains ? stop_dying : stop;
            for (unsigned w = 0; w < kWriters; ++w)
                pool.emplace_back([=, this, &flag] { writer(d, w, flag); });
            pool.emplace_back([=, this, &flag] { hinter(d, flag); });
        }
        others.emplace_back([&] { host_side(stop); });

        while (Clock::now() < half && !failures_.any())
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        stop_dying = true;
        for (auto& t : dying)
            t.join();
        host_.destroy_guest(kDomains, 7);
        while (Clock::now() < until && !failures_.any())
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        stop = true;
        for (auto& t : others)
            t.join();
        host_.unhog();
        if (!failures_.any())
            final_checks();
        std::ostringstream out;
        if (failures_.any())
            out << "seed " << seed_ << ": " << failures_.first();
        return out.str();
    }

    uint64_t writes() const { return writes_; }
    uint64_t faults_paid() const { return host_stats_.cow_copy + host_stats_.cow_zero + host_stats_.cow_nocopy; }
    const xen_coshare_stats_t& stats() const { return host_stats_; }

private:
    // A writer vCPU: owns gfns w, w + kWriters, ... below kWritten, and
    // reads back each write at once and all its pages now and then.
    void writer(uint16_t d, unsigned w, const std::atomic<bool>& stop)
    {
        std::mt19937_64 rng(seed_ * 131 + d * 7 + w);
        std::vector<uint64_t> gfns;
        std::vector<Page> want;
        for (uint64_t g = w; g < kWritten; g += kWriters) {
            gfns.push_back(g);
            want.emplace_back();    // add_guest zeroed it
        }
        Page got;
        for (uint64_t n = 0; !stop && !failures_.any(); ++n) {
            size_t i = rng() % gfns.size();
            uint64_t g = gfns[i];
            unsigned kind = rng() % 4;
            int rc;
            if (kind < 2) {         // content other guests have too
                want[i] = sim::random_page(rng() % 6);
                rc = host_.write(d, g, 0, want[i]);
            } else if (kind == 2) { // back to zero
                want[i] = Page{};
                rc = host_.write(d, g, 0, want[i]);
            } else {                // a few bytes: the page is unique now
                size_t off = rng() % (sim::kPage - 8);
                uint64_t v = rng();
                std::memcpy(want[i].data() + off, &v, 8);
                rc = host_.write(d, g, off,
                                 std::span(want[i]).subspan(off, 8));
            }
            if (rc) {
                failures_.add(say("d", d, " gfn ", g, ": write failed with ", rc, " (the domain crashes)"));
                return;
            }
            ++writes_;
            if (!check(d, g, want[i], got))
                return;
            if (n % 64 == 0)
                for (size_t j = 0; j < gfns.size(); ++j)
                    if (!check(d, gfns[j], want[j], got))
                        return;
        }
        for (size_t j = 0; j < gfns.size(); ++j)
            if (!check(d, gfns[j], want[j], got))
                return;
    }

    bool check(uint16_t d, uint64_t g, const Page& want, Page& got)
    {
        if (int rc = host_.guest_read(d, g, got)) {
            failures_.add(say("d", d, " gfn ", g, ": read failed with ", rc));
            return false;
        }
        if (got != want) {
            failures_.add(say("d", d, " gfn ", g, ": a write was lost"));
            return false;
        }
        return true;
    }

    // The guest's other vCPU: hints of every class on its written and
    // ballooned pages, the free pages as zero, unhints, its pool, and its
    // balloon driver giving pages back and taking them again.
    void hinter(uint16_t d, const std::atomic<bool>& stop)
    {
        static constexpr unsigned kContentClasses[] = {
            XEN_COSHARE_CLASS_KERNEL_TEXT, XEN_COSHARE_CLASS_KERNEL_RODATA,
            XEN_COSHARE_CLASS_PROCESS_TEXT, XEN_COSHARE_CLASS_IN_USE};
        std::mt19937_64 rng(seed_ * 977 + d);
        auto pick = [&](uint64_t from, uint64_t n, size_t count) {
            std::vector<xen_coshare_entry_t> ents;
            std::vector<bool> seen(kPages);
            for (size_t i = 0; i < count; ++i) {
                uint64_t g = from + rng() % n;
                if (!seen[g]) {
                    seen[g] = true;
                    ents.push_back({});
                    ents.back().gfn = g;
                }
            }
            return ents;
        };
        auto content_gfns = [&](size_t count) {
            auto ents = pick(0, kWritten + kBalloon, count);
            for (auto& e : ents)
                if (e.gfn >= kWritten)
                    e.gfn += kBalloonAt - kWritten;
            return ents;
        };
        while (!stop && !failures_.any()) {
            unsigned r = rng() % 100;
            std::vector<xen_coshare_entry_t> ents;
            uint8_t op = XENMEM_sharing_op_coshare_hint;
            unsigned cls = 0;
            if (r < 55) {
                ents = content_gfns(1 + rng() % 32);
                cls = kContentClasses[rng() % 4];
            } else if (r < 70) {
                ents = content_gfns(1 + rng() % 16);
                op = XENMEM_sharing_op_coshare_unhint;
            } else if (r < 80) {
                ents = pick(kFreeAt, kFree, 1 + rng() % 8);
                cls = XEN_COSHARE_CLASS_ZERO;
            } else if (r < 88) {
                balloon(d, kBalloonAt + rng() % kBalloon, rng() % 2);
                continue;
            } else if (r < 96) {
                // Reclaimed pool pages come back, as the guest's refill.
                ents = pick(kPoolAt, kPool, 1 + rng() % 8);
                for (auto& e : ents)
                    host_.populate_page(d, e.gfn);
                op = XENMEM_sharing_op_coshare_vol_add;
            } else {
                ents = pick(kPoolAt, kPool, 1 + rng() % 4);
                op = XENMEM_sharing_op_coshare_vol_del;
            }
            if (int rc = host_.batch(d, op, cls, ents)) {
                failures_.add(say("d", d, ": batch op ", unsigned(op), " failed with ", rc));
                return;
            }
            for (const auto& e : ents)
                if (e.result == XEN_COSHARE_RES_ERROR &&
                    op != XENMEM_sharing_op_coshare_vol_add &&
                    op != XENMEM_sharing_op_coshare_vol_del) {
                    failures_.add(say("d", d, " gfn ", e.gfn, ": op ", unsigned(op), " entry error ", e.error));
                    return;
                }
        }
    }

    // decrease_reservation or populate_physmap of one page.  Linux's
    // balloon driver crashes the guest when the first fails.
    void balloon(uint16_t d, uint64_t g, bool out)
    {
        int rc = out ? host_.remove_page(d, g) : host_.populate_page(d, g);
        if (rc && rc != -ENOENT && rc != -EEXIST && rc != -ENOMEM)
            failures_.add(say("d", d, " gfn ", g,
                              out ? ": decrease_reservation"
                                  : ": populate_physmap",
                              " failed with ", rc));
    }

    // What happens around the guests: another tenant takes and returns the
    // host's free frames, dom0 audits.
    void host_side(const std::atomic<bool>& stop)
    {
        std::mt19937_64 rng(seed_ * 31337);
        std::vector<std::string> msgs;
        while (!stop && !failures_.any()) {
            unsigned r = rng() % 100;
            if (r < 40) {
                host_.hog(rng() % 64);
            } else if (r < 60) {
                host_.unhog();
            } else {
                msgs.clear();
                if (host_.audit(&msgs)) {
                    failures_.add(say("audit: ", msgs.front()));
                    return;
                }
            }
            for (auto& c : host_.xen_crashes()) {
                failures_.add(say("Xen crash: ", c));
                return;
            }
        }
    }

    void final_checks()
    {
        for (auto& c : host_.xen_crashes())
            return failures_.add(say("Xen crash: ", c));
        std::vector<std::string> msgs;
        if (host_.audit(&msgs))
            return failures_.add(say("final audit: ", msgs.front()));
        // Every frame is somewhere: free, a guest's private page, or a
        // shared frame of the engine.
        size_t private_pages = 0;
        for (uint16_t d = 1; d < kDomains; ++d)
            for (uint64_t g = 0; g < kPages; ++g)
                private_pages += host_.p2m(d, g).type == CS_P2M_RAM;
        host_stats_ = host_.global_stats();
        size_t held = host_.free_frames() + private_pages + host_stats_.frames;
        if (held != host_.total_frames())
            failures_.add(say("frames: ", held, " accounted of ", host_.total_frames()));
    }

    uint64_t seed_;
    Host host_;
    Failures failures_;
    std::atomic<uint64_t> writes_{0};
    xen_coshare_stats_t host_stats_{};
};

TEST(TortureTest, MultiVcpuGuestsLoseNoWriteAndCrashNothing)
{
    double seconds = torture_seconds();
    xen_coshare_stats_t all{};
    uint64_t writes = 0;
    for (uint64_t seed = 1; seed <= 2; ++seed) {
        Torture t(seed);
        std::string failure = t.run(seconds / 2);
        ASSERT_EQ(failure, "");
        const auto& s = t.stats();
        std::printf("torture seed %lu: %lu writes verified, %lu hinted, "
                    "%lu merged, %lu CoW faults paid (%lu by reclaim)\n",
                    (unsigned long)seed, (unsigned long)t.writes(),
                    (unsigned long)(s.hinted[0] + s.hinted[1] + s.hinted[2] +
                                    s.hinted[3] + s.hinted[4]),
                    (unsigned long)(s.shared[0] + s.shared[1] + s.shared[2] +
                                    s.shared[3] + s.shared[4]),
                    (unsigned long)t.faults_paid(),
                    (unsigned long)s.reclaims);
        writes += t.writes();
        all.shared[XEN_COSHARE_CLASS_IN_USE] += s.shared[XEN_COSHARE_CLASS_IN_USE];
        all.shared[XEN_COSHARE_CLASS_ZERO] += s.shared[XEN_COSHARE_CLASS_ZERO];
        all.cow_copy += s.cow_copy;
        all.cow_zero += s.cow_zero;
        all.cow_nocopy += s.cow_nocopy;
        all.reclaims += s.reclaims;
    }
    // The runs must have exercised what they claim to.
    EXPECT_GT(writes, 1000u);
    EXPECT_GT(all.shared[XEN_COSHARE_CLASS_IN_USE], 0u);
    EXPECT_GT(all.shared[XEN_COSHARE_CLASS_ZERO], 0u);
    EXPECT_GT(all.cow_copy, 0u);
    EXPECT_GT(all.cow_zero, 0u);
    EXPECT_GT(all.cow_nocopy, 0u);
    EXPECT_GT(all.reclaims, 0u);
}

}  // namespace
}  // namespace coshare::test
