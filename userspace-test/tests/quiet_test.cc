// SPDX-License-Identifier: MIT
// quiet_test.cc - what a QUIET guest learns about the other domains of its
// group: nothing that depends on whether they hold what it hints.  Without
// QUIET, a hint's result, the guest's own counters and repayment's refusals
// each tell it (the deduplication side channel; docs/security.md).
#include "fixture.h"

namespace coshare::test {
namespace {

constexpr unsigned kText = XEN_COSHARE_CLASS_PROCESS_TEXT;

class QuietTest : public HostTest {
protected:
    // Guest 1 holds contents 100..131 at gfns 0..31, all hinted.  Guest 2,
    // the prober, holds at each even gfn a copy of guest 1's page there and
    // at each odd gfn a content nobody else has.
    void SetUp() override { make_guests(false); }
    void make_guests(bool repay)
    {
        add_enabled_guest(1, 32);
        add_enabled_guest(2, 32, repay);
        for (uint64_t g = 0; g < 32; ++g) {
            host().fill(1, g, page_of(100 + g));
            host().fill(2, g, page_of(g % 2 ? 900 + g : 100 + g));
        }
        host().hint(1, kText, iota(0, 32));
    }
    int control(uint16_t domid, uint32_t set, uint32_t clear = 0)
    {
        xen_coshare_op_t o{};
        o.op = XENMEM_sharing_op_coshare_control;
        o.domain = domid;
        o.u.control.set = set;
        o.u.control.clear = clear;
        return host().op(0, true, o);
    }
    // What the guest itself reads (dom0's host().stats() sees the truth).
    xen_coshare_stats_t own_stats(uint16_t domid)
    {
        xen_coshare_op_t o{};
        o.op = XENMEM_sharing_op_coshare_stats;
        o.domain = DOMID_SELF;
        xen_coshare_stats_t s{};
        EXPECT_EQ(host().op(domid, false, o, nullptr, &s), 0);
        return s;
    }
};

TEST_F(QuietTest, HintResultsAndCountersDoNotTellWhatOthersHold)
{
    // Loud: the results tell the even gfns (held by guest 1) from the odd.
    auto loud = host().hint(2, kText, iota(0, 16));
    for (uint64_t g = 0; g < 16; ++g)
        EXPECT_EQ(loud[g].result, g % 2 ? XEN_COSHARE_RES_INSERTED
                                        : XEN_COSHARE_RES_SHARED);
    EXPECT_EQ(own_stats(2).inserted[kText], 8u);

    ASSERT_EQ(control(2, XEN_COSHARE_CTL_QUIET), 0);
    auto quiet = host().hint(2, kText, iota(16, 16));
    EXPECT_EQ(count_result(quiet, XEN_COSHARE_RES_SHARED), 16u);
    xen_coshare_stats_t own = own_stats(2);
    EXPECT_EQ(own.shared[kText], 32u);
    EXPECT_EQ(own.inserted[kText], 0u);
    EXPECT_EQ(own.frames, 0u);
    EXPECT_EQ(own.mappings, 32u);
    EXPECT_EQ(own.bonus, 32u);
    EXPECT_EQ(own.saved, 32u);
    EXPECT_EQ(own.flags & XEN_COSHARE_CTL_QUIET, XEN_COSHARE_CTL_QUIET);

    // dom0 sees what happened: 16 merged, 16 inserted.
    xen_coshare_stats_t real = host().stats(2);
    EXPECT_EQ(real.shared[kText], 16u);
    EXPECT_EQ(real.inserted[kText], 16u);
    EXPECT_EQ(real.frames, 16u);
    EXPECT_EQ(real.bonus, 16u);

    // Guest 1 drops its copies: a loud guest 2 would see its own frames
    // and bonus move; a quiet one sees the same numbers as before.
    std::vector<xen_coshare_entry_t> un(32);
    for (uint64_t g = 0; g < 32; ++g)
        un[g].gfn = g;
    ASSERT_EQ(host().batch(1, XENMEM_sharing_op_coshare_unhint, 0, un), 0);
    EXPECT_NE(host().stats(2).frames, real.frames);
    xen_coshare_stats_t after = own_stats(2);
    EXPECT_EQ(after.frames, own.frames);
    EXPECT_EQ(after.bonus, own.bonus);
}

class QuietRepayTest : public QuietTest {
protected:
    void SetUp() override { make_guests(true); }
};

// Under repayment a loud guest with an empty FIFO may insert new content
// but not merge: the refusal tells held content from new.  A quiet guest's
// FIFO covers every mapping, so both are refused alike, and both pass once
// its FIFO has grown.
TEST_F(QuietRepayTest, RepaymentRefusalsDoNotTellWhatOthersHold)
{
    auto loud = host().hint(2, kText, {0, 1});
    EXPECT_EQ(loud[0].result, XEN_COSHARE_RES_SKIPPED);
    EXPECT_EQ(loud[0].error, XEN_COSHARE_SKIP_NEED_VOLATILE);
    EXPECT_EQ(loud[1].result, XEN_COSHARE_RES_INSERTED);

    // gfn 1 is mapped and the FIFO empty: QUIET cannot be promised yet.
    EXPECT_EQ(control(2, XEN_COSHARE_CTL_QUIET), -EBUSY);
    EXPECT_EQ(host().stats(2).flags & XEN_COSHARE_CTL_QUIET, 0u);
    host().vol_add(2, {30});
    ASSERT_EQ(control(2, XEN_COSHARE_CTL_QUIET), 0);

    auto quiet = host().hint(2, kText, {2, 3});
    for (const auto& e : quiet) {
        EXPECT_EQ(e.result, XEN_COSHARE_RES_SKIPPED);
        EXPECT_EQ(e.error, XEN_COSHARE_SKIP_NEED_VOLATILE);
    }
    host().vol_add(2, {28, 29});
    quiet = host().hint(2, kText, {2, 3});
    EXPECT_EQ(count_result(quiet, XEN_COSHARE_RES_SHARED), 2u);
    EXPECT_EQ(host().stats(2).mappings, 3u);
    EXPECT_EQ(host().stats(2).fifo_depth, 3u);
}

}  // namespace
}  // namespace coshare::test
