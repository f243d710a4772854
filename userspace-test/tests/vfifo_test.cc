// SPDX-License-Identifier: MIT
// vfifo_test.cc - the guest's volatile pool: it tracks the bonus, never
// shrinks below it, and learns which pages the hypervisor reclaimed.
#include <gtest/gtest.h>

#include <vector>

#include "content.h"

extern "C" {
#include "cs_vfifo.h"
}

namespace {

// A pool of 64 slots; a test may init it again with fewer.
struct VolatileFifo : ::testing::Test {
    std::vector<uint64_t> store = std::vector<uint64_t>(64);
    cs_vfifo f{};
    VolatileFifo() { cs_vfifo_init(&f, store.data(), 64); }
};

TEST_F(VolatileFifo, TargetsBonusPlusSlackAndShrinksOnlyAboveBonus)
{
    f.bonus = 10;
    EXPECT_EQ(cs_vfifo_want(&f, 5), 15u);
    for (uint64_t g = 100; g < 115; ++g)
        ASSERT_EQ(cs_vfifo_push(&f, g), 0);
    EXPECT_EQ(cs_vfifo_want(&f, 5), 0u);
    EXPECT_EQ(cs_vfifo_shrinkable(&f), 5u);
    uint64_t g = 0;
    for (int i = 0; i < 5; ++i)
        ASSERT_EQ(cs_vfifo_pop_newest(&f, &g), 0);
    EXPECT_EQ(g, 110u);   // newest first
    EXPECT_EQ(cs_vfifo_pop_newest(&f, &g), -EBUSY);
    EXPECT_EQ(f.len, 10u);
    f.bonus = 1000;   // more than the storage holds
    EXPECT_EQ(cs_vfifo_want(&f, 0), 54u);
}

// repay_percent scales the floor (rounded up): the guest keeps fewer
// volatile pages and saves more, leaning on the host's reserve.
TEST_F(VolatileFifo, RepayPercentScalesTheFloor)
{
    EXPECT_EQ(f.repay_percent, 100u);
    f.bonus = 41;
    f.repay_percent = 10;
    EXPECT_EQ(cs_vfifo_floor(&f), 5u);
    EXPECT_EQ(cs_vfifo_want(&f, 3), 8u);
    for (uint64_t g = 0; g < 8; ++g)
        ASSERT_EQ(cs_vfifo_push(&f, g), 0);
    EXPECT_EQ(cs_vfifo_shrinkable(&f), 3u);
    f.repay_percent = 0;
    EXPECT_EQ(cs_vfifo_floor(&f), 0u);
    EXPECT_EQ(cs_vfifo_shrinkable(&f), 8u);
    f.repay_percent = 100;      // dom0 switched repayment on
    EXPECT_EQ(cs_vfifo_shrinkable(&f), 0u);
    EXPECT_EQ(cs_vfifo_want(&f, 0), 33u);
}

// A deficit (hints refused for want of cover) raises the refill target
// by as much, within the storage, but not the floor the shrinker keeps.
TEST_F(VolatileFifo, DeficitRaisesTheTargetNotTheFloor)
{
    EXPECT_EQ(f.deficit, 0u);
    f.bonus = 10;
    f.deficit = 20;
    EXPECT_EQ(cs_vfifo_want(&f, 5), 35u);
    for (uint64_t g = 0; g < 35; ++g)
        ASSERT_EQ(cs_vfifo_push(&f, g), 0);
    EXPECT_EQ(cs_vfifo_want(&f, 5), 0u);
    EXPECT_EQ(cs_vfifo_shrinkable(&f), 25u);
    f.deficit = 100;    // more than the storage holds
    EXPECT_EQ(cs_vfifo_want(&f, 5), 29u);
}

TEST_F(VolatileFifo, SyncNamesExactlyTheReclaimedPages)
{
    std::vector<uint64_t> out(8);
    cs_vfifo_init(&f, store.data(), 8);
    for (uint64_t g = 1; g <= 8; ++g)
        cs_vfifo_push(&f, g);
    EXPECT_EQ(cs_vfifo_sync(&f, 5, 4, out.data(), 8), 3);
    EXPECT_EQ(out[0], 1u);
    EXPECT_EQ(out[2], 3u);
    EXPECT_EQ(f.len, 5u);
    EXPECT_EQ(f.bonus, 4u);
    EXPECT_EQ(f.reclaimed, 3u);
    cs_vfifo_push(&f, 9);   // wraps around the ring
    EXPECT_EQ(cs_vfifo_sync(&f, 7, 4, out.data(), 8), -EIO);
    EXPECT_EQ(cs_vfifo_sync(&f, 6, 4, out.data(), 8), 0);
}

// cs_vfifo_slot() names where each page's gfn sits, oldest first, across
// the ring's wrap; slot len is where the next push lands and the last pop
// came from (the module keeps its struct page pointers by slot).
TEST_F(VolatileFifo, SlotsFollowTheRingAcrossItsWrap)
{
    std::vector<uint64_t> out(8);
    cs_vfifo_init(&f, store.data(), 4);
    for (uint64_t g = 1; g <= 4; ++g)
        cs_vfifo_push(&f, g);
    ASSERT_EQ(cs_vfifo_sync(&f, 2, 0, out.data(), 8), 2);    // 1, 2 went
    uint32_t next = cs_vfifo_slot(&f, f.len);
    cs_vfifo_push(&f, 5);
    cs_vfifo_push(&f, 6);
    EXPECT_EQ(store[next], 5u);
    for (uint32_t i = 0; i < f.len; ++i)
        EXPECT_EQ(store[cs_vfifo_slot(&f, i)], 3 + i);
    uint64_t gfn = 0;
    ASSERT_EQ(cs_vfifo_pop_newest(&f, &gfn), 0);
    EXPECT_EQ(gfn, 6u);
    EXPECT_EQ(store[cs_vfifo_slot(&f, f.len)], 6u);
}

// The guest's FIFO and the engine's agree on which pages a CoW storm
// reclaimed: the guest learns them from the depth the engine reports.
TEST_F(VolatileFifo, AgreesWithTheEngineAfterReclaim)
{
    using coshare::sim::Host;
    Host h(3 * 64 + 8);
    for (uint16_t d = 1; d <= 2; ++d) {
        h.add_guest(d, 64);
        ASSERT_EQ(h.enable(d, 1, true), 0);
        for (uint64_t gfn = 0; gfn < 32; ++gfn)
            h.fill(d, gfn, coshare::sim::random_page(gfn));
    }
    std::vector<uint64_t> out(64);
    std::vector<uint64_t> vols;
    for (uint64_t gfn = 40; gfn < 64; ++gfn)
        vols.push_back(gfn);
    auto r = h.vol_add(2, vols);
    for (size_t i = 0; i < r.size(); ++i)
        if (r[i].result == XEN_COSHARE_RES_DONE)
            cs_vfifo_push(&f, vols[i]);
    std::vector<uint64_t> text(32);
    for (uint64_t gfn = 0; gfn < 32; ++gfn)
        text[gfn] = gfn;
    h.hint(1, XEN_COSHARE_CLASS_PROCESS_TEXT, text);
    h.hint(2, XEN_COSHARE_CLASS_PROCESS_TEXT, text);
    h.hog(h.free_frames());
    const std::byte x{1};
    for (uint64_t gfn = 0; gfn < 10; ++gfn)
        ASSERT_EQ(h.write(2, gfn, 0, {&x, 1}), 0);
    auto s = h.stats(2);
    int gone = cs_vfifo_sync(&f, s.fifo_depth, s.bonus, out.data(), 64);
    ASSERT_EQ(gone, 10);
    for (int i = 0; i < gone; ++i)
        EXPECT_EQ(h.p2m(2, out[i]).type, CS_P2M_OTHER) << out[i];
    EXPECT_EQ(h.p2m(2, f.gfns[f.head]).type, CS_P2M_RAM);
    EXPECT_GE(f.len, f.bonus);
    EXPECT_EQ(h.audit(), 0u);
}

}  // namespace
