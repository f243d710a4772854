// SPDX-License-Identifier: MIT
// cow_test.cc - copy-on-write: content kept, other sharers untouched, and
// the two no-copy paths (last mapping, logically zero).
#include <future>

#include "fixture.h"

namespace coshare::test {
namespace {

constexpr unsigned kText = XEN_COSHARE_CLASS_PROCESS_TEXT;

class CowTest : public HostTest {
protected:
    void SetUp() override
    {
        for (uint16_t d = 1; d <= 3; ++d) {
            add_enabled_guest(d, 8);
            for (uint64_t g = 0; g < 8; ++g)
                host().fill(d, g, page_of(g));
            host().hint(d, kText, iota(0, 8));
        }
    }
};

TEST_F(CowTest, WriteKeepsContentAndLeavesOtherSharersAlone)
{
    cs_mfn_t shared = host().p2m(2, 5).mfn;
    const std::byte x{0x5a};
    ASSERT_EQ(host().write(2, 5, 100, {&x, 1}), 0);
    EXPECT_EQ(host().p2m(2, 5).type, CS_P2M_RAM);
    EXPECT_NE(host().p2m(2, 5).mfn, shared);
    Page expect = page_of(5);
    expect[100] = x;
    EXPECT_TRUE(same(host().read(2, 5), expect));
    for (uint16_t d : {1, 3}) {
        EXPECT_EQ(host().p2m(d, 5).mfn, shared);
        EXPECT_TRUE(same(host().read(d, 5), page_of(5)));
    }
    auto s = host().stats(2);
    EXPECT_EQ(s.cow_copy, 1u);
    EXPECT_EQ(host().global_stats().saved, 15u);
}

TEST_F(CowTest, LastMappingIsTakenBackWithoutCopy)
{
    const std::byte x{1};
    ASSERT_EQ(host().write(1, 3, 0, {&x, 1}), 0);
    ASSERT_EQ(host().write(2, 3, 0, {&x, 1}), 0);
    cs_mfn_t shared = host().p2m(3, 3).mfn;
    size_t free_before = host().free_frames();
    ASSERT_EQ(host().write(3, 3, 0, {&x, 1}), 0);
    EXPECT_EQ(host().p2m(3, 3).mfn, shared);   // same frame, now private
    EXPECT_EQ(host().free_frames(), free_before);
    EXPECT_EQ(host().stats(3).cow_nocopy, 1u);
    EXPECT_EQ(host().stats(3).cow_copy, 0u);
    Page expect = page_of(3);
    expect[0] = x;
    EXPECT_TRUE(same(host().read(3, 3), expect));
}

TEST_F(HostTest, LogicallyZeroPagesUnshareIntoZeroedFrames)
{
    for (uint16_t d = 1; d <= 2; ++d) {
        host().add_guest(d, 4);
        ASSERT_EQ(host().enable(d, 1), 0);
        for (uint64_t g = 0; g < 4; ++g)
            host().fill(d, g, page_of(99 + g));
        host().hint(d, XEN_COSHARE_CLASS_ZERO, iota(0, 4));
    }
    const std::byte x{7};
    ASSERT_EQ(host().write(1, 2, 9, {&x, 1}), 0);
    Page expect{};
    expect[9] = x;
    EXPECT_TRUE(same(host().read(1, 2), expect));
    auto s = host().stats(1);
    EXPECT_EQ(s.cow_zero, 1u);
    EXPECT_EQ(s.cow_copy, 0u);
}

TEST_F(CowTest, UnhintGivesPagesBack)
{
    auto ents = std::vector<xen_coshare_entry_t>(3);
    for (int i = 0; i < 3; ++i)
        ents[i].gfn = i;
    ASSERT_EQ(host().batch(2, XENMEM_sharing_op_coshare_unhint, 0, ents), 0);
    EXPECT_EQ(count_result(ents, XEN_COSHARE_RES_DONE), 3u);
    EXPECT_EQ(host().p2m(2, 0).type, CS_P2M_RAM);
    EXPECT_TRUE(same(host().read(2, 0), page_of(0)));
    auto again = ents;
    ASSERT_EQ(host().batch(2, XENMEM_sharing_op_coshare_unhint, 0, again), 0);
    EXPECT_EQ(again[0].result, XEN_COSHARE_RES_SKIPPED);
    EXPECT_EQ(again[0].error, XEN_COSHARE_SKIP_NOT_SHARED);
    EXPECT_EQ(host().stats(2).unhinted, 3u);
}

// Xen's fault path holds p2m locks, which the engine takes inside its own
// lock: there the unshare must not wait, and the fault is retried instead.
TEST_F(CowTest, NowaitUnshareBacksOffWhileTheEngineIsBusy)
{
    cs_mfn_t shared = host().p2m(2, 5).mfn;
    std::promise<void> held, release;
    auto holder = std::async(std::launch::async, [&] {
        std::lock_guard guard(host().lock());
        held.set_value();
        release.get_future().wait();
    });
    held.get_future().wait();
    EXPECT_EQ(cs_unshare_nowait(host().engine(), 2, 5), -EAGAIN);
    EXPECT_EQ(host().p2m(2, 5).mfn, shared);
    release.set_value();
    holder.get();

    EXPECT_EQ(cs_unshare_nowait(host().engine(), 2, 5), 0);
    EXPECT_EQ(host().p2m(2, 5).type, CS_P2M_RAM);
    EXPECT_TRUE(same(host().read(2, 5), page_of(5)));
    // Done already (another vCPU's fault got there first): nothing to do.
    EXPECT_EQ(cs_unshare_nowait(host().engine(), 2, 5), 0);
    EXPECT_EQ(host().audit(), 0u);
}

}  // namespace
}  // namespace coshare::test
