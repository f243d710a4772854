// SPDX-License-Identifier: MIT
// race_test.cc - one deterministic interleaving per window a multi-vCPU
// guest can hit: another vCPU writes or faults exactly while the engine is
// between two steps.  Writes race on the engine's own thread
// (write_racing, as in in_use_test.cc) or on a real second thread stopped
// and started at the simulator's named points.
#include <chrono>
#include <condition_variable>
#include <thread>

#include "fixture.h"

namespace coshare::test {
namespace {

using namespace std::chrono_literals;

// A one-way flag between threads, with a timeout so that a broken
// interleaving fails the test instead of hanging it.
class Signal {
public:
    void raise()
    {
        std::lock_guard l(m_);
        up_ = true;
        cv_.notify_all();
    }
    bool wait(std::chrono::milliseconds timeout = 5s)
    {
        std::unique_lock l(m_);
        return cv_.wait_for(l, timeout, [&] { return up_; });
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    bool up_ = false;
};

constexpr unsigned kTextClasses[] = {XEN_COSHARE_CLASS_KERNEL_TEXT,
                                     XEN_COSHARE_CLASS_KERNEL_RODATA,
                                     XEN_COSHARE_CLASS_PROCESS_TEXT};

class RaceTest : public HostTest {
protected:
    void SetUp() override
    {
        add_enabled_guest(1, 16);
        add_enabled_guest(2, 16);
    }
};

// Another vCPU writes a text-class page right after the engine read it.
// The page must already be read-only then: the write faults, waits for the
// engine and lands after the hint, whatever the hint did.
TEST_F(RaceTest, AWriteRightAfterATextHintReadThePageIsNeverLost)
{
    uint64_t gfn = 0;
    for (unsigned cls : kTextClasses)
        for (bool zero : {false, true}) {
            Page content = zero ? Page{} : page_of(10 + gfn);
            host().fill(1, gfn, content);
            host().fill(2, gfn, content);
            auto first = host().hint(1, cls, {gfn});
            ASSERT_TRUE(first[0].result == XEN_COSHARE_RES_INSERTED ||
                        (zero && first[0].result == XEN_COSHARE_RES_SHARED));
            host().on_next_unmap(
                [&] { host().write_racing(2, gfn, page_of(2)); });
            auto r = host().hint(2, cls, {gfn});
            EXPECT_EQ(r[0].result, XEN_COSHARE_RES_SHARED);
            EXPECT_EQ(host().finish_racing_writes(), 1) << "class " << cls;
            EXPECT_TRUE(same(host().read(2, gfn), page_of(2)))
                << "class " << cls << (zero ? ", zero page" : "");
            EXPECT_TRUE(same(host().read(1, gfn), content));
            ++gfn;
        }
}

// A free page's old content is void: the engine zeroes it.  A vCPU that
// writes it meanwhile (a guest breaking its own promise, or a hostile one)
// must not leave that content in the group's zero frame, which other
// guests' free pages then map.
TEST_F(RaceTest, AWriteDuringAFreePageHintNeverReachesTheZeroFrame)
{
    host().fill(1, 3, page_of(5));      // stale content of a freed page
    host().at_point("p2m_share",
                    [&] { host().write_racing(1, 3, page_of(7)); });
    ASSERT_EQ(host().hint(1, XEN_COSHARE_CLASS_ZERO, {3})[0].result,
              XEN_COSHARE_RES_INSERTED);
    host().finish_racing_writes();
    auto r = host().hint(2, XEN_COSHARE_CLASS_ZERO, {3});
    ASSERT_EQ(r[0].result, XEN_COSHARE_RES_SHARED);
    EXPECT_TRUE(same(host().read(2, 3), Page{}));
}

// The last mapping of a frame is unhinted (the frame goes back to the
// guest without a copy) while another vCPU write-faults on the same gfn.
// Stopped between the engine's bookkeeping and its p2m change, the
// faulting vCPU must still see a coshare frame (Xen's stock unshare would
// follow a wild pointer on it), wait for the engine, and find its work
// done: no crash of Xen or the guest, and the write lands.
TEST_F(RaceTest, AWriteFaultDuringANoCopyUnshareWaitsForIt)
{
    host().fill(1, 4, page_of(4));
    ASSERT_EQ(host().hint(1, XEN_COSHARE_CLASS_IN_USE, {4})[0].result,
              XEN_COSHARE_RES_INSERTED);

    Signal engine_stopped, vcpu_waits;
    host().at_point("p2m_private", [&] {
        engine_stopped.raise();
        vcpu_waits.wait();
    });
    host().at_point("fault_exit", [&] { vcpu_waits.raise(); });

    std::vector<xen_coshare_entry_t> unhint(1);
    unhint[0].gfn = 4;
    int unhint_rc = -1;
    std::thread engine([&] {
        unhint_rc = host().batch(1, XENMEM_sharing_op_coshare_unhint, 0,
                                 unhint);
    });
    ASSERT_TRUE(engine_stopped.wait());
    Page mine = page_of(40);
    int write_rc = -1;
    std::thread vcpu([&] {
        write_rc = host().write(1, 4, 0, mine);
        vcpu_waits.raise();     // done, or failed: let the engine go on
    });
    vcpu.join();
    engine.join();

    EXPECT_EQ(write_rc, 0);
    EXPECT_EQ(unhint_rc, 0);
    EXPECT_EQ(unhint[0].result, XEN_COSHARE_RES_DONE);
    EXPECT_EQ(host().p2m(1, 4).type, CS_P2M_RAM);
    EXPECT_TRUE(same(host().read(1, 4), mine));
}

// Two vCPUs write the same shared gfn while the engine is busy (another
// domain's batch holds its lock).  Both fail the engine trylock under the
// p2m lock and unshare again from the fault's exit; the second finds the
// first's work done.  Neither may crash the domain, and both writes land.
TEST_F(RaceTest, TwoVcpusUnsharingOneGfnAtTheFaultExitBothSucceed)
{
    host().fill(1, 6, page_of(6));
    host().fill(2, 6, page_of(6));
    ASSERT_EQ(host().hint(1, XEN_COSHARE_CLASS_PROCESS_TEXT, {6})[0].result,
              XEN_COSHARE_RES_INSERTED);
    ASSERT_EQ(host().hint(2, XEN_COSHARE_CLASS_PROCESS_TEXT, {6})[0].result,
              XEN_COSHARE_RES_SHARED);

    std::mutex m;
    std::condition_variable cv;
    unsigned at_exit = 0;
    host().at_point("fault_exit", [&] {
        std::lock_guard l(m);
        ++at_exit;
        cv.notify_all();
    }, 2);

    std::unique_lock busy(host().lock());
    const std::array<std::byte, 8> a{std::byte{0xaa}}, b{std::byte{0xbb}};
    int rc_a = -1, rc_b = -1;
    std::thread vcpu_a([&] { rc_a = host().write(2, 6, 0, a); });
    std::thread vcpu_b([&] { rc_b = host().write(2, 6, 8, b); });
    {
        std::unique_lock l(m);
        EXPECT_TRUE(cv.wait_for(l, 5s, [&] { return at_exit == 2; }));
    }
    busy.unlock();
    vcpu_a.join();
    vcpu_b.join();

    EXPECT_EQ(rc_a, 0);
    EXPECT_EQ(rc_b, 0);
    Page want = page_of(6);
    std::copy(a.begin(), a.end(), want.begin());
    std::copy(b.begin(), b.end(), want.begin() + 8);
    EXPECT_TRUE(same(host().read(2, 6), want));
    EXPECT_TRUE(same(host().read(1, 6), page_of(6)));
    EXPECT_EQ(host().global_stats().cow_copy, 1u);
}

// A batch takes the engine lock a few entries at a time: another domain's
// copy-on-write fault that queued while the batch held the lock is served
// between two of its holds, not after all of its entries (as Xen's ticket
// lock serves waiters, so does the simulator's).
TEST_F(RaceTest, AnotherDomainsFaultGetsInBetweenTwoHoldsOfABatch)
{
    constexpr uint64_t kN = XEN_COSHARE_BATCH_MAX;
    for (uint16_t d = 3; d <= 4; ++d) {
        add_enabled_guest(d, kN);
        for (uint64_t g = 0; g < kN; ++g)
            host().fill(d, g, page_of(1000 + g));
    }
    host().hint(4, XEN_COSHARE_CLASS_PROCESS_TEXT, iota(0, kN));
    host().fill(1, 0, page_of(7));
    host().fill(2, 0, page_of(7));
    host().hint(1, XEN_COSHARE_CLASS_PROCESS_TEXT, iota(0, 1));
    host().hint(2, XEN_COSHARE_CLASS_PROCESS_TEXT, iota(0, 1));
    ASSERT_EQ(host().global_stats().saved, 1u);

    std::atomic<unsigned> shares{0}, served_at{0};
    std::thread victim;
    int victim_rc = -1;
    // On the victim's thread, whose unshare holds the engine lock: the
    // batch's count stands still there.
    static thread_local bool on_victim = false;
    host().at_point("p2m_private", [&] {
        if (on_victim)
            served_at = shares.load();
    }, ~0u);
    host().at_point("p2m_share", [&] {
        if (shares++ != 0)
            return;
        victim = std::thread([&] {
            const std::byte one{1};
            on_victim = true;
            victim_rc = host().write(2, 0, 0, std::span(&one, 1));
        });
        // The victim's fault queues for the engine lock behind this hold.
        auto until = std::chrono::steady_clock::now() + 5s;
        while (host().lock().waiters() == 0 &&
               std::chrono::steady_clock::now() < until)
            std::this_thread::yield();
    }, ~0u);
    auto res = host().hint(3, XEN_COSHARE_CLASS_PROCESS_TEXT, iota(0, kN));
    victim.join();
    host().at_point("p2m_private", nullptr);    // they refer to locals
    host().at_point("p2m_share", nullptr);

    for (const auto& r : res)
        EXPECT_EQ(r.result, XEN_COSHARE_RES_SHARED);
    EXPECT_EQ(victim_rc, 0);
    // p2m changes the batch had made when the victim's fault unshared:
    // some, far from all (with one hold per batch, it would be all).
    EXPECT_GE(served_at.load(), 1u);
    EXPECT_LT(served_at.load(), shares.load() / 2);
    EXPECT_EQ(host().global_stats().cow_copy, 1u);
}

// A restarted batch is read from the guest again, and .done is the
// guest's to write: between a preemption and the restart another vCPU
// rewrites entries the first call checked, and a forged .done starts a
// batch midway.  Each is checked as a new batch would be: a gfn out of
// range is refused, a gfn the batch hinted before the restart is still a
// duplicate (run again, it would read "already shared"), and one whose
// only earlier entry failed its padding check is not; a domain dom0 never
// enabled runs nothing.
TEST_F(RaceTest, ARestartedBatchIsCheckedAgain)
{
    constexpr uint64_t kN = 2 * CS_BATCH_HOLD_ENTRIES;
    add_enabled_guest(3, kN);
    std::vector<xen_coshare_entry_t> ents(kN);
    for (uint64_t g = 0; g < kN; ++g)
        ents[g].gfn = g;
    ents[1].pad[0] = 1;                     // refused: -EINVAL
    host().at_point("continuation", [&] {
        ents[kN - 1].gfn = XEN_COSHARE_GFN_MAX + 1;
        ents[kN - 2].gfn = 0;               // hinted before the restart
        ents[kN - 3].error = 0;             // as if the check passed it
        ents[kN - 3].gfn = kN + 5;          // beyond the domain's gfns
        ents[kN - 4].gfn = 1;               // its earlier entry was refused
    });
    EXPECT_EQ(host().batch(3, XENMEM_sharing_op_coshare_hint,
                           XEN_COSHARE_CLASS_ZERO, ents),
              0);
    EXPECT_GE(host().continuations(), 1u);
    EXPECT_EQ(ents[1].error, -EINVAL);
    EXPECT_EQ(ents[kN - 1].error, -ERANGE);
    EXPECT_EQ(ents[kN - 2].error, -EEXIST);
    EXPECT_EQ(ents[kN - 3].error, -ERANGE);
    for (uint64_t i : {uint64_t(0), kN - 4})
        EXPECT_TRUE(ents[i].result == XEN_COSHARE_RES_SHARED ||
                    ents[i].result == XEN_COSHARE_RES_INSERTED)
            << "entry " << i << ": " << int(ents[i].result) << ", "
            << ents[i].error;

    // A forged .done: past the end is refused; midway, on a domain dom0
    // never enabled, nothing runs.
    host().add_guest(5, kN);
    std::vector<xen_coshare_entry_t> other(kN);
    for (uint64_t g = 0; g < kN; ++g)
        other[g].gfn = g;
    auto o = sim::make_batch_op(XENMEM_sharing_op_coshare_vol_add, 0, kN);
    o.u.batch.done = kN + 1;
    EXPECT_EQ(host().op(5, false, o, other.data()), -EINVAL);
    o.u.batch.done = CS_BATCH_HOLD_ENTRIES;
    EXPECT_EQ(host().op(5, false, o, other.data()), -EACCES);
    EXPECT_EQ(o.u.batch.done, CS_BATCH_HOLD_ENTRIES);
    for (const auto& e : other)
        EXPECT_NE(e.result, XEN_COSHARE_RES_DONE);
    expect_clean_audit();
}

// dom0 disables a domain between two holds of its vol_add batch.  Within
// one call the batch, allowed in its first hold, runs to its end; a batch
// Xen preempted there is checked again when it restarts, and stops with
// -EACCES, .done saying how far it got: the entries before .done are
// registered (a guest that took the error for "no entry ran" would free
// pages the engine holds, to be reclaimed under its feet), none after.
TEST_F(RaceTest, Dom0DisablingADomainStopsItsBatchOnlyAtARestart)
{
    constexpr uint64_t kN = 3 * CS_BATCH_HOLD_ENTRIES;
    for (bool preempt : {false, true}) {
        SCOPED_TRACE(preempt ? "preempted between holds" : "never preempted");
        host().preempt_batches(preempt);
        const uint16_t dom = preempt ? 4 : 3;
        add_enabled_guest(dom, kN + 1);
        unsigned holds = 0;
        int disabled = 1;
        host().at_point("engine_lock", [&] {
            if (++holds != 2)       // the batch's second hold is next
                return;
            xen_coshare_op_t o{};
            o.op = XENMEM_sharing_op_coshare_control;
            o.domain = dom;
            o.u.control.clear = XEN_COSHARE_CTL_ENABLE;
            disabled = host().op(0, true, o);
        }, 2);      // gone after the second: it refers to this test's locals
        std::vector<xen_coshare_entry_t> ents(kN);
        for (uint64_t g = 0; g < kN; ++g)
            ents[g].gfn = g;
        xen_coshare_op_t o = sim::make_batch_op(XENMEM_sharing_op_coshare_vol_add,
                                           0, kN);
        int rc = host().op(dom, false, o, ents.data());
        EXPECT_EQ(disabled, 0);
        const uint32_t ran = preempt ? CS_BATCH_HOLD_ENTRIES : kN;
        EXPECT_EQ(rc, preempt ? -EACCES : 0);
        EXPECT_EQ(o.u.batch.done, ran);
        for (uint64_t g = 0; g < kN; ++g)
            if (g < ran)
                EXPECT_EQ(ents[g].result, XEN_COSHARE_RES_DONE) << "gfn " << g;
            else
                EXPECT_NE(ents[g].result, XEN_COSHARE_RES_DONE) << "gfn " << g;
        EXPECT_EQ(host().stats(dom).fifo_depth, ran);
        std::vector<xen_coshare_entry_t> more(1);
        more[0].gfn = kN;
        EXPECT_EQ(host().batch(dom, XENMEM_sharing_op_coshare_vol_add, 0, more),
                  -EACCES);
        expect_clean_audit();
    }
}

}  // namespace
}  // namespace coshare::test
