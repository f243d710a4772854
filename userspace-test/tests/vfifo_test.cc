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
    // More than we registered: one orphan, ahead of ours (cs_vfifo.h).
    EXPECT_EQ(cs_vfifo_sync(&f, 7, 4, out.data(), 8), 0);
    EXPECT_EQ(f.orphans, 1u);
    EXPECT_EQ(cs_vfifo_depth(&f), 7u);
    EXPECT_EQ(cs_vfifo_sync(&f, 6, 4, out.data(), 8), 0);   // reclaimed
    EXPECT_EQ(f.orphans, 0u);
    EXPECT_EQ(f.len, 6u);
    EXPECT_EQ(f.reclaimed, 3u);
}

// Orphans count towards the floor and the refill target but can never be
// given back by the shrinker (their gfns are not known).
TEST_F(VolatileFifo, OrphansCoverTheFloorButAreNeverShrunk)
{
    std::vector<uint64_t> out(8);
    f.bonus = 10;
    ASSERT_EQ(cs_vfifo_sync(&f, 8, 10, out.data(), 8), 0);
    EXPECT_EQ(f.orphans, 8u);
    EXPECT_EQ(cs_vfifo_want(&f, 5), 7u);
    for (uint64_t g = 0; g < 7; ++g)
        ASSERT_EQ(cs_vfifo_push(&f, g), 0);
    EXPECT_EQ(cs_vfifo_shrinkable(&f), 5u);
    f.bonus = 0;                // all of ours may go, no orphan
    EXPECT_EQ(cs_vfifo_shrinkable(&f), 7u);
    f.bonus = 1000;             // capped by our storage, not the orphans
    EXPECT_EQ(cs_vfifo_want(&f, 0), 64u - 7u);
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

// Guests 1 and 2 of 64 pages, enabled under repayment in group 1, with
// the same random content at gfns [0, pages).
void add_two_repaying_guests(coshare::sim::Host& h, uint64_t pages)
{
    for (uint16_t d = 1; d <= 2; ++d) {
        h.add_guest(d, 64);
        ASSERT_EQ(h.enable(d, 1, true), 0);
        for (uint64_t gfn = 0; gfn < pages; ++gfn)
            h.fill(d, gfn, coshare::sim::random_page(gfn));
    }
}

// The guest's FIFO and the engine's agree on which pages a CoW storm
// reclaimed: the guest learns them from the depth the engine reports.
TEST_F(VolatileFifo, AgreesWithTheEngineAfterReclaim)
{
    coshare::sim::Host h(3 * 64 + 8);
    add_two_repaying_guests(h, 32);
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

// The module unloads while its guest shares: Xen lets go of the volatile
// pages the bonus does not need, keeps the rest.  The next load sees them
// as orphans: it registers only what the floor still lacks (not the whole
// bonus again, which would take that much more of the guest's memory on
// every reload), and when copy-on-write faults reclaim, it knows the
// orphans went first and its own pages are still there.
TEST_F(VolatileFifo, AReloadCountsWhatTheLastLoadLeftRegistered)
{
    coshare::sim::Host h(3 * 64 + 8);
    add_two_repaying_guests(h, 16);
    auto register_pages = [&](cs_vfifo& fifo, std::vector<uint64_t> gfns) {
        auto r = h.vol_add(2, gfns);
        for (size_t i = 0; i < r.size(); ++i) {
            ASSERT_EQ(r[i].result, XEN_COSHARE_RES_DONE) << gfns[i];
            ASSERT_EQ(cs_vfifo_push(&fifo, gfns[i]), 0);
        }
    };
    // First load: 24 volatile pages, then 16 pages shared with guest 1.
    std::vector<uint64_t> first;
    for (uint64_t gfn = 40; gfn < 64; ++gfn)
        first.push_back(gfn);
    register_pages(f, first);
    std::vector<uint64_t> text;
    for (uint64_t gfn = 0; gfn < 16; ++gfn)
        text.push_back(gfn);
    h.hint(1, XEN_COSHARE_CLASS_PROCESS_TEXT, text);
    h.hint(2, XEN_COSHARE_CLASS_PROCESS_TEXT, text);
    const uint64_t bonus = h.stats(2).bonus;
    ASSERT_EQ(bonus, 16u);

    // Unload (cs_volatile_exit): newest first, until Xen refuses.
    std::vector<uint64_t> out(64);
    ASSERT_EQ(cs_vfifo_sync(&f, h.stats(2).fifo_depth, bonus, out.data(), 64), 0);
    f.bonus = 0;
    uint64_t gfn = 0;
    while (cs_vfifo_pop_newest(&f, &gfn) == 0) {
        std::vector<xen_coshare_entry_t> e(1);
        e[0].gfn = gfn;
        ASSERT_EQ(h.batch(2, XENMEM_sharing_op_coshare_vol_del, 0, e), 0);
        if (e[0].result != XEN_COSHARE_RES_DONE)
            break;
    }
    ASSERT_EQ(h.stats(2).fifo_depth, bonus);    // what the bonus needs stays

    // Reload: a fresh pool that knows no gfn.
    std::vector<uint64_t> store2(64);
    cs_vfifo g{};
    cs_vfifo_init(&g, store2.data(), 64);
    auto s = h.stats(2);
    ASSERT_EQ(cs_vfifo_sync(&g, s.fifo_depth, s.bonus, out.data(), 64), 0);
    EXPECT_EQ(g.orphans, bonus);
    EXPECT_EQ(cs_vfifo_want(&g, 4), 4u);        // the slack, not the bonus
    register_pages(g, {20, 21, 22, 23});
    ASSERT_EQ(g.len, 4u);

    // A storm on a full host: 16 faults, paid by the 16 orphans.
    h.hog(h.free_frames());
    const std::byte x{1};
    for (uint64_t w = 0; w < 16; ++w)
        ASSERT_EQ(h.write(2, w, 0, {&x, 1}), 0);
    s = h.stats(2);
    EXPECT_EQ(s.fifo_depth, 4u);
    ASSERT_EQ(cs_vfifo_sync(&g, s.fifo_depth, s.bonus, out.data(), 64), 0);
    EXPECT_EQ(g.orphans, 0u);
    EXPECT_EQ(g.len, 4u);
    for (uint64_t v = 20; v < 24; ++v)
        EXPECT_EQ(h.p2m(2, v).type, CS_P2M_RAM) << v;
    h.unhog();
    EXPECT_EQ(h.audit(), 0u);
}

}  // namespace
