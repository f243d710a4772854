// SPDX-License-Identifier: MIT
// in_use_test.cc - the in-use class: pages the guest may still write are
// made read-only before the engine reads them, so no write is ever lost.
#include "fixture.h"

namespace coshare::test {
namespace {

constexpr unsigned kInUse = XEN_COSHARE_CLASS_IN_USE;
constexpr unsigned kFree = XEN_COSHARE_CLASS_ZERO;

class InUseTest : public HostTest {
protected:
    void SetUp() override
    {
        add_enabled_guest(1, 64);
        add_enabled_guest(2, 64);
    }
};

TEST_F(InUseTest, EqualPagesMergeAndUnequalOnesStayTheirOwn)
{
    for (uint16_t d = 1; d <= 2; ++d)
        for (uint64_t g = 0; g < 16; ++g)
            host().fill(d, g, page_of(g < 12 ? g : d * 100 + g));
    size_t before = host().free_frames();
    auto r1 = host().hint(1, kInUse, iota(0, 16));
    auto r2 = host().hint(2, kInUse, iota(0, 16));
    EXPECT_EQ(count_result(r1, XEN_COSHARE_RES_INSERTED), 16u);
    EXPECT_EQ(count_result(r2, XEN_COSHARE_RES_SHARED), 12u);
    EXPECT_EQ(count_result(r2, XEN_COSHARE_RES_INSERTED), 4u);
    EXPECT_EQ(host().free_frames(), before + 12);
    auto s = host().global_stats();
    EXPECT_EQ(s.saved, 12u);
    EXPECT_EQ(s.frames, 20u);
    EXPECT_EQ(s.shared[kInUse], 12u);
    EXPECT_EQ(s.inserted[kInUse], 20u);
    for (uint16_t d = 1; d <= 2; ++d)
        for (uint64_t g = 0; g < 16; ++g) {
            EXPECT_EQ(host().p2m(d, g).type, CS_P2M_SHARED);
            EXPECT_TRUE(same(host().read(d, g), page_of(g < 12 ? g : d * 100 + g)));
        }
    // Inserted frames are indexed by their real content: a later guest
    // with the same page merges into them.
    add_enabled_guest(3, 4);
    host().fill(3, 0, page_of(200 + 12));
    auto r3 = host().hint(3, XEN_COSHARE_CLASS_PROCESS_TEXT, {0});
    EXPECT_EQ(r3[0].result, XEN_COSHARE_RES_SHARED);
}

// An allocated page that happens to be zero joins the frame free pages map.
TEST_F(InUseTest, AZeroPageInUseJoinsTheZeroFrame)
{
    host().fill(1, 5, page_of(5));          // a free page's old content
    auto r1 = host().hint(1, kFree, {5});
    ASSERT_EQ(r1[0].result, XEN_COSHARE_RES_INSERTED);
    auto r2 = host().hint(2, kInUse, {7});  // add_guest zeroed it
    EXPECT_EQ(r2[0].result, XEN_COSHARE_RES_SHARED);
    EXPECT_EQ(host().p2m(2, 7).mfn, host().p2m(1, 5).mfn);
    // A write unshares it into a zeroed frame, never a copy.
    Page one{};
    one[0] = std::byte{1};
    ASSERT_EQ(host().write(2, 7, 0, std::span(one).first(1)), 0);
    EXPECT_TRUE(same(host().read(2, 7), one));
    EXPECT_EQ(host().global_stats().cow_zero, 1u);
}

// Another vCPU writes the page while the engine compares it.  The page is
// read-only by then, so the write faults, waits, and lands after the merge:
// the guest sees its write, the other guest keeps its content.
TEST_F(InUseTest, AWriteRacingTheCompareIsNeverLost)
{
    host().fill(1, 0, page_of(1));
    host().fill(2, 0, page_of(1));
    ASSERT_EQ(host().hint(1, kInUse, {0})[0].result, XEN_COSHARE_RES_INSERTED);
    // The first unmap of the next hint comes after the candidate compare.
    host().on_next_unmap([&] { host().write_racing(2, 0, page_of(2)); });
    auto r = host().hint(2, kInUse, {0});
    EXPECT_EQ(r[0].result, XEN_COSHARE_RES_SHARED);
    EXPECT_EQ(host().finish_racing_writes(), 1);   // it had to wait
    EXPECT_TRUE(same(host().read(2, 0), page_of(2)));
    EXPECT_TRUE(same(host().read(1, 0), page_of(1)));
    EXPECT_EQ(host().global_stats().cow_copy, 1u);
}

// The same race before anything is compared: the write waits as well, and
// the page, merged with nothing, is taken back without a copy.
TEST_F(InUseTest, AWriteRacingTheHashIsNeverLost)
{
    host().fill(2, 3, page_of(3));
    host().on_next_unmap([&] { host().write_racing(2, 3, page_of(4)); });
    auto r = host().hint(2, kInUse, {3});
    EXPECT_EQ(r[0].result, XEN_COSHARE_RES_INSERTED);
    EXPECT_EQ(host().finish_racing_writes(), 1);
    EXPECT_TRUE(same(host().read(2, 3), page_of(4)));
    EXPECT_EQ(host().p2m(2, 3).type, CS_P2M_RAM);
    EXPECT_EQ(host().global_stats().cow_nocopy, 1u);
}

// Repayment without cover: nothing is merged.  A page whose content the
// group holds goes back to the guest, writable and unchanged, and the
// guest learns why; a page of new content saves nothing, so it becomes a
// frame of its own.
TEST_F(InUseTest, WithoutVolatileCoverRepaymentMergesNothing)
{
    host().fill(1, 1, page_of(1));
    ASSERT_EQ(host().hint(1, kInUse, {1})[0].result, XEN_COSHARE_RES_INSERTED);
    add_enabled_guest(3, 8, /*repay=*/true);
    host().fill(3, 1, page_of(1));
    host().fill(3, 2, page_of(2));
    auto r = host().hint(3, kInUse, {1, 2});
    EXPECT_EQ(r[0].result, XEN_COSHARE_RES_SKIPPED);
    EXPECT_EQ(r[0].error, XEN_COSHARE_SKIP_NEED_VOLATILE);
    EXPECT_EQ(host().p2m(3, 1).type, CS_P2M_RAM);
    EXPECT_TRUE(same(host().read(3, 1), page_of(1)));
    EXPECT_EQ(r[1].result, XEN_COSHARE_RES_INSERTED);
    EXPECT_EQ(host().stats(3).bonus, 0u);
    EXPECT_EQ(host().global_stats().frames, 2u);
}

TEST_F(InUseTest, PagesWithExtraReferencesAreSkipped)
{
    host().p2m(1, 9).type = CS_P2M_BUSY;
    auto r = host().hint(1, kInUse, {9});
    EXPECT_EQ(r[0].result, XEN_COSHARE_RES_SKIPPED);
    EXPECT_EQ(r[0].error, XEN_COSHARE_SKIP_BUSY);
    host().p2m(1, 9).type = CS_P2M_RAM;
}

}  // namespace
}  // namespace coshare::test
