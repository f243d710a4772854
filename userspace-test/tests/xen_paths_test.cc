// SPDX-License-Identifier: MIT
// xen_paths_test.cc - Xen's own memory paths meeting coshare frames: what a
// guest (or Xen itself) does to a shared gfn through the ordinary memory
// hypercalls, outside coshare's ops, must leave the engine and the p2m in
// agreement and crash nothing.
#include "fixture.h"

namespace coshare::test {
namespace {

constexpr unsigned kText = XEN_COSHARE_CLASS_KERNEL_TEXT;
// A live HVM guest on hardware-assisted paging, as the fixture makes them.
constexpr uint32_t kHap = CS_ENV_DOM_LIVE | CS_ENV_DOM_HVM | CS_ENV_DOM_HAP;

class XenPathsTest : public HostTest {
protected:
    void SetUp() override
    {
        add_enabled_guest(1, 16);
        add_enabled_guest(2, 16);
    }
    // Content X at gfn of both guests, merged: guest 1 owns the frame
    // (unless an earlier gfn of its own holds X already).
    void share_both(uint64_t gfn, uint64_t content)
    {
        host().fill(1, gfn, page_of(content));
        host().fill(2, gfn, page_of(content));
        ASSERT_NE(host().hint(1, kText, {gfn})[0].result,
                  XEN_COSHARE_RES_SKIPPED);
        ASSERT_EQ(host().hint(2, kText, {gfn})[0].result,
                  XEN_COSHARE_RES_SHARED);
    }
};

// A guest takes a shared gfn out of its physmap (XENMEM_remove_from_physmap),
// then is destroyed; the other guest then writes its own mapping of the
// frame.  Xen 4.17 removed the p2m entry behind the engine's back, the
// engine's teardown then left the mapping on the frame's ring, and the
// write followed it to a freed domain: a hypervisor crash.
TEST_F(XenPathsTest, RemovingASharedGfnFromThePhysmapKeepsTheEngineRight)
{
    share_both(0, 5);
    ASSERT_EQ(host().physmap_remove(2, 0), 0);
    EXPECT_EQ(host().p2m(2, 0).type, CS_P2M_OTHER);
    expect_clean_audit();
    EXPECT_EQ(host().stats(2).mappings, 0u);
    host().destroy_guest(2);
    expect_clean_audit();
    Page mine = page_of(6);
    EXPECT_EQ(host().write(1, 0, 0, mine), 0);
    EXPECT_TRUE(same(host().read(1, 0), mine));
}

// A balloon driver giving back shared pages while the host has no free
// frame: each shared gfn just drops its mapping.  Xen 4.17 unshared each
// (a copy, or a zeroed frame) only to free it: under shortage that took
// other guests' volatile pages, then failed the balloon (which Linux
// answers with BUG_ON).
TEST_F(XenPathsTest, BallooningOutSharedPagesTakesNoFrame)
{
    for (uint64_t g = 0; g < 8; ++g)
        share_both(g, g < 4 ? 100 + g : 100);   // some content, some twice
    ASSERT_EQ(host().hint(2, XEN_COSHARE_CLASS_ZERO, iota(8, 8)).size(), 8u);
    host().hog(host().free_frames());
    auto before = host().global_stats();
    for (uint64_t g = 0; g < 16; ++g)
        EXPECT_EQ(host().remove_page(2, g), 0) << "gfn " << g;
    auto after = host().global_stats();
    EXPECT_EQ(after.cow_copy + after.cow_zero + after.cow_enomem,
              before.cow_copy + before.cow_zero + before.cow_enomem);
    EXPECT_EQ(after.reclaims, before.reclaims);
    EXPECT_EQ(host().stats(2).mappings, 0u);
    for (uint64_t g = 0; g < 8; ++g)
        EXPECT_TRUE(same(host().read(1, g), page_of(g < 4 ? 100 + g : 100)));
    host().unhog();
}

// A free page hinted into the zero frame leaves the guest's own page to
// Xen.  Xen scrubs a page it frees only for a dying domain (a live one
// clears what it frees itself), but the guest never freed this one: its
// stale data went, unscrubbed, to whichever tenant allocated next.
TEST_F(XenPathsTest, AFreePageJoiningTheZeroFrameLeavesNoDataBehind)
{
    ASSERT_EQ(host().hint(1, XEN_COSHARE_CLASS_ZERO, {0})[0].result,
              XEN_COSHARE_RES_INSERTED);
    Page stale = page_of(42);
    host().fill(2, 0, stale);
    ASSERT_EQ(host().hint(2, XEN_COSHARE_CLASS_ZERO, {0})[0].result,
              XEN_COSHARE_RES_SHARED);
    EXPECT_FALSE(host().free_frame_holds(stale));
}

// A read-only grant of a shared gfn (netback sending page cache, or a
// colluding domain) holds the frame.  Once the other sharers copied away,
// the last mapping may not take the frame back writable without a copy:
// the grantee would read that domain's private writes.
TEST_F(XenPathsTest, AGrantedFrameIsNeverHandedToAWriter)
{
    share_both(0, 7);
    cs_mfn_t granted = host().grant_map(2, 0);
    ASSERT_NE(granted, CS_INVALID_MFN);
    Page b = page_of(8), a = page_of(9);
    ASSERT_EQ(host().write(2, 0, 0, b), 0);     // a copy: others map it
    size_t free_before = host().free_frames();
    ASSERT_EQ(host().write(1, 0, 0, a), 0);     // the last mapping
    EXPECT_TRUE(same(host().read(1, 0), a));
    EXPECT_TRUE(same(host().read(2, 0), b));
    EXPECT_TRUE(same(host().grant_read(granted), page_of(7)));
    EXPECT_NE(host().p2m(1, 0).mfn, granted);
    EXPECT_EQ(host().free_frames(), free_before - 1);
    host().grant_unmap(granted);                // its last holder
    EXPECT_EQ(host().free_frames(), free_before);
}

// Making a page read-only in place can split a superpage, which takes a
// page from the domain's p2m pool; a guest can empty that pool.  The
// failure fails the entry, and nothing is left half done (Xen 4.17:
// BUG_ON, a host crash).
TEST_F(XenPathsTest, AP2mUpdateThatFailsFailsTheEntryNotTheHost)
{
    host().fill(2, 3, page_of(3));
    host().fail_p2m_shares(2, 1);
    auto r = host().hint(2, XEN_COSHARE_CLASS_IN_USE, {3});
    EXPECT_EQ(r[0].result, XEN_COSHARE_RES_ERROR);
    EXPECT_EQ(r[0].error, -ENOMEM);
    EXPECT_EQ(host().p2m(2, 3).type, CS_P2M_RAM);
    EXPECT_TRUE(same(host().read(2, 3), page_of(3)));
    EXPECT_EQ(host().global_stats().frames, 0u);
    // A free page joining the zero frame, and one becoming it.
    ASSERT_EQ(host().hint(1, XEN_COSHARE_CLASS_ZERO, {5})[0].result,
              XEN_COSHARE_RES_INSERTED);
    host().fail_p2m_shares(2, 1);
    r = host().hint(2, XEN_COSHARE_CLASS_ZERO, {5});
    EXPECT_EQ(r[0].result, XEN_COSHARE_RES_ERROR);
    EXPECT_EQ(host().p2m(2, 5).type, CS_P2M_RAM);
    EXPECT_EQ(host().hint(2, XEN_COSHARE_CLASS_IN_USE, {3})[0].result,
              XEN_COSHARE_RES_INSERTED);
}

// Memory hot-added after boot lies beyond Xen's tag table (sized at boot):
// its frames can never be told apart, so they are never made shared
// frames (Xen 4.17: BUG_ON at the first one).
TEST(HotAdd, FramesBeyondTheTagTableAreNeverShared)
{
    Host host(128, Host::kDefaultConfig, /*tagged=*/96);
    host.add_guest(1, 128);     // its top 32 pages are hot-added memory
    ASSERT_EQ(host.enable(1, 1), 0);
    for (uint64_t g = 0; g < 128; ++g)
        host.fill(1, g, page_of(g % 4));
    uint64_t high = 0;
    for (uint64_t g = 0; g < 128; ++g)
        if (host.p2m(1, g).mfn >= 96)
            high = g;
    ASSERT_GE(host.p2m(1, high).mfn, 96u);
    host.fill(1, high, page_of(1000));  // content nobody else has
    auto r = host.hint(1, XEN_COSHARE_CLASS_PROCESS_TEXT, {high});
    EXPECT_EQ(r[0].result, XEN_COSHARE_RES_SKIPPED);
    EXPECT_EQ(r[0].error, XEN_COSHARE_SKIP_UNTRACKED);
    EXPECT_EQ(host.p2m(1, high).type, CS_P2M_RAM);
    // Content a tracked frame holds: it merges, its own page is freed.
    host.fill(1, high, page_of(2));
    auto lows = host.hint(1, XEN_COSHARE_CLASS_PROCESS_TEXT, iota(0, 4));
    r = host.hint(1, XEN_COSHARE_CLASS_PROCESS_TEXT, {high});
    EXPECT_NE(r[0].result, XEN_COSHARE_RES_ERROR);
    Page mine = page_of(77);
    EXPECT_EQ(host.write(1, high, 0, mine), 0);
    EXPECT_TRUE(same(host.read(1, high), mine));
    std::vector<std::string> msgs;
    EXPECT_EQ(host.audit(&msgs), 0u) << (msgs.empty() ? "" : msgs[0]);
}

// Devices of a passthrough domain would DMA into gfns coshare made read-
// only in the IOMMU: those writes would be lost.  An alternate p2m view
// (altp2m) may map a gfn's page without holding a reference: once coshare
// freed or moved that page, the view would still reach it.  dom0 can
// enable neither.
TEST_F(XenPathsTest, ADomainWithOtherViewsOfItsMemoryCannotBeEnabled)
{
    host().add_guest(3, 4);
    host().set_domain_flags(3, kHap | CS_ENV_DOM_PASSTHROUGH);
    EXPECT_EQ(host().enable(3, 1), -EXDEV);
    host().set_domain_flags(3, kHap | CS_ENV_DOM_ALTP2M);
    EXPECT_EQ(host().enable(3, 1), -EXDEV);
    host().set_domain_flags(3, CS_ENV_DOM_LIVE);    // PV
    EXPECT_EQ(host().enable(3, 1), -EOPNOTSUPP);
    host().set_domain_flags(3, CS_ENV_DOM_LIVE | CS_ENV_DOM_HVM);
    EXPECT_EQ(host().enable(3, 1), -ENODEV);
}

// dom0 gives an enabled domain a device or alternate p2m views: from then
// on no hint and no volatile page runs for it (the whole batch refused,
// as the ABI promises), and the guest can still undo what it had.
TEST_F(XenPathsTest, DevicesOrViewsGivenLaterStopNewSharing)
{
    share_both(0, 5);
    for (uint32_t other : {CS_ENV_DOM_PASSTHROUGH, CS_ENV_DOM_ALTP2M}) {
        SCOPED_TRACE(other);
        host().set_domain_flags(2, kHap | other);
        host().fill(2, 1, page_of(5));
        std::vector<xen_coshare_entry_t> ents(2);
        ents[0].gfn = 1;
        ents[1].gfn = 2;
        EXPECT_EQ(host().batch(2, XENMEM_sharing_op_coshare_hint, kText, ents),
                  -EXDEV);
        EXPECT_EQ(host().batch(2, XENMEM_sharing_op_coshare_vol_add, 0, ents),
                  -EXDEV);
        for (const auto& e : ents)
            EXPECT_EQ(e.result, XEN_COSHARE_RES_PENDING);
        EXPECT_EQ(host().stats(2).mappings, 1u);
        EXPECT_EQ(host().stats(2).fifo_depth, 0u);
        EXPECT_EQ(host().p2m(2, 1).type, CS_P2M_RAM);
        expect_clean_audit();
        host().set_domain_flags(2, kHap);
    }
    host().set_domain_flags(2, kHap | CS_ENV_DOM_ALTP2M);
    std::vector<xen_coshare_entry_t> undo(1);
    undo[0].gfn = 0;
    EXPECT_EQ(host().batch(2, XENMEM_sharing_op_coshare_unhint, 0, undo), 0);
    EXPECT_EQ(undo[0].result, XEN_COSHARE_RES_DONE);
    EXPECT_EQ(host().stats(2).mappings, 0u);
    expect_clean_audit();
}

// dom0 names a domain that is dying, its teardown done: nothing may be
// made for it, or a new domain reusing its id would inherit its settings.
TEST_F(XenPathsTest, ControlOfADyingDomainLeavesNothingForItsSuccessor)
{
    host().add_guest(3, 4);
    ASSERT_EQ(host().enable(3, 7), 0);
    int rc = 0;
    host().at_point("dying", [&] { rc = host().enable(3, 7); });
    host().destroy_guest(3);
    EXPECT_EQ(rc, -ESRCH);
    EXPECT_EQ(host().global_stats().domains, 2u);
    host().add_guest(3, 4);
    auto r = host().batch(3, XENMEM_sharing_op_coshare_hint,
                          XEN_COSHARE_CLASS_ZERO, *std::make_unique<
                              std::vector<xen_coshare_entry_t>>(1));
    EXPECT_EQ(r, -EACCES);
}

// A gfn near the top of the range: the gfn table costs a few KiB, not
// tens of MiB sized to reach it, whatever gfn a guest names.
TEST_F(XenPathsTest, AHighGfnCostsLittleMetadata)
{
    cs_domain* d = cs_domain_get(host().engine(), 1);
    uint64_t before = host().engine()->meta_bytes;
    ASSERT_EQ(cs_gt_set(host().engine(), d, 0xfffffffeULL, 1), 0);
    EXPECT_LT(host().engine()->meta_bytes - before, 64u << 10);
    EXPECT_EQ(cs_gt_get(d, 0xfffffffeULL), 1u);
    ASSERT_EQ(cs_gt_set(host().engine(), d, 0xfffffffeULL, 0), 0);
    EXPECT_LT(host().engine()->meta_bytes - before, 64u << 10);
}

}  // namespace
}  // namespace coshare::test
