// SPDX-License-Identifier: MIT
// ledger_test.cc - the repayment ledger: FIFO >= bonus is enforced, and an
// overcommitted copy-on-write storm is paid for entirely by reclaim.
#include "fixture.h"

namespace coshare::test {
namespace {

constexpr unsigned kText = XEN_COSHARE_CLASS_PROCESS_TEXT;

TEST_F(HostTest, MergesWaitForVolatilePagesWhenRepaymentIsOn)
{
    for (uint16_t d = 1; d <= 2; ++d) {
        host().add_guest(d, 64);
        ASSERT_EQ(host().enable(d, 1, /*repay=*/true), 0);
        for (uint64_t g = 0; g < 16; ++g)
            host().fill(d, g, page_of(g));
    }
    host().hint(1, kText, iota(0, 16));
    auto r = host().hint(2, kText, iota(0, 16));
    EXPECT_EQ(count_result(r, XEN_COSHARE_RES_SKIPPED), 16u);
    EXPECT_EQ(r[0].error, XEN_COSHARE_SKIP_NEED_VOLATILE);

    auto v = host().vol_add(2, iota(32, 10));
    EXPECT_EQ(count_result(v, XEN_COSHARE_RES_DONE), 10u);
    r = host().hint(2, kText, iota(0, 16));
    EXPECT_EQ(count_result(r, XEN_COSHARE_RES_SHARED), 10u);
    auto s = host().stats(2);
    EXPECT_EQ(s.bonus, 10u);
    EXPECT_EQ(s.fifo_depth, 10u);

    // Removing a volatile page now would leave the FIFO short.
    std::vector<xen_coshare_entry_t> del(1);
    del[0].gfn = 32;
    ASSERT_EQ(host().batch(2, XENMEM_sharing_op_coshare_vol_del, 0, del), 0);
    EXPECT_EQ(del[0].result, XEN_COSHARE_RES_ERROR);
    EXPECT_EQ(del[0].error, -ENOSPC);
}

TEST_F(HostTest, RepaymentCannotBeSwitchedOnForAnUncoveredBonus)
{
    for (uint16_t d = 1; d <= 2; ++d) {
        host().add_guest(d, 8);
        ASSERT_EQ(host().enable(d, 1), 0);
        host().fill(d, 0, page_of(0));
        host().hint(d, kText, {0});
    }
    EXPECT_EQ(host().stats(2).bonus, 1u);
    xen_coshare_op_t o{};
    o.op = XENMEM_sharing_op_coshare_control;
    o.domain = 2;
    o.u.control.set = XEN_COSHARE_CTL_REPAY;
    EXPECT_EQ(host().op(0, true, o), -EBUSY);
    host().vol_add(2, {5});
    EXPECT_EQ(host().op(0, true, o), 0);
    EXPECT_EQ(o.u.control.flags, XEN_COSHARE_CTL_ENABLE | XEN_COSHARE_CTL_REPAY);
}

TEST_F(HostTest, VolatileRegistrationErrors)
{
    host().add_guest(1, 8);
    ASSERT_EQ(host().enable(1, 1), 0);
    host().fill(1, 0, page_of(0));
    host().hint(1, kText, {0});
    host().p2m(1, 5).type = CS_P2M_OTHER;
    auto r = host().vol_add(1, {0, 1, 1, 5, 8});
    EXPECT_EQ(r[0].error, -EBUSY);     // shared
    EXPECT_EQ(r[1].result, XEN_COSHARE_RES_DONE);
    EXPECT_EQ(r[2].error, -EEXIST);    // twice in the batch
    EXPECT_EQ(r[3].error, -EINVAL);    // not RAM
    EXPECT_EQ(r[4].error, -ERANGE);    // beyond the domain
    host().p2m(1, 5).type = CS_P2M_RAM;
    auto h = host().hint(1, kText, {1});
    EXPECT_EQ(h[0].error, XEN_COSHARE_SKIP_VOLATILE);
    std::vector<xen_coshare_entry_t> del(2);
    del[0].gfn = 1;
    del[1].gfn = 2;
    ASSERT_EQ(host().batch(1, XENMEM_sharing_op_coshare_vol_del, 0, del), 0);
    EXPECT_EQ(del[0].result, XEN_COSHARE_RES_DONE);
    EXPECT_EQ(del[1].error, -ENOENT);
}

// Four guests share everything, the saving is handed to a fifth tenant so
// the host has no free frame left, then every guest writes every page.
TEST_F(HostTest, OvercommittedCowStormIsPaidByReclaim)
{
    constexpr size_t kPages = 1024, kShared = 512;
    make_host(4 * kPages + 64);
    for (uint16_t d = 1; d <= 4; ++d) {
        host().add_guest(d, kPages);
        ASSERT_EQ(host().enable(d, 1, /*repay=*/true), 0);
        for (uint64_t g = 0; g < kShared; ++g)
            host().fill(d, g, page_of(g % 256));   // 2 copies inside too
        host().vol_add(d, iota(kShared, kShared));
        host().hint(d, kText, iota(0, kShared));
    }
    auto before = host().global_stats();
    EXPECT_EQ(before.saved, 4 * kShared - 256);
    EXPECT_EQ(host().audit(), 0u);
    host().hog(host().free_frames());           // the fifth tenant
    ASSERT_EQ(host().free_frames(), 0u);

    const std::byte x{0x42};
    for (uint16_t d = 1; d <= 4; ++d)
        for (uint64_t g = 0; g < kShared; ++g)
            ASSERT_EQ(host().write(d, g, 17, {&x, 1}), 0)
                << "d" << d << " gfn " << g << " not paid";
    auto after = host().global_stats();
    EXPECT_EQ(after.cow_enomem, 0u);
    EXPECT_EQ(after.saved, 0u);
    EXPECT_EQ(after.reclaims, before.saved);
    EXPECT_EQ(after.cow_copy + after.cow_nocopy, 4 * kShared);
    for (uint16_t d = 1; d <= 4; ++d) {
        Page expect = page_of(7);
        expect[17] = x;
        EXPECT_TRUE(same(host().read(d, 7), expect));
    }
}

// Guests 1 (64 pages) and 2 (`pages2`) under REPAY in one group, sharing 8
// text pages, each with volatile gfns [32, 48); then no free frame is left,
// so every copy-on-write fault is paid by reclaim.
void two_repaying_guests(Host& h, uint64_t pages2)
{
    h.add_guest(1, 64);
    h.add_guest(2, pages2);
    for (uint16_t d = 1; d <= 2; ++d) {
        ASSERT_EQ(h.enable(d, 1, /*repay=*/true), 0);
        for (uint64_t g = 0; g < 8; ++g)
            h.fill(d, g, page_of(g));
        h.vol_add(d, iota(32, 16));
        h.hint(d, kText, iota(0, 8));
    }
    h.hog(h.free_frames());
}

// A reclaim notifies the guest that lost the page, once: the next one comes
// only after the guest read its stats or registered more volatile pages.
TEST_F(HostTest, ReclaimNotifiesTheGuestOncePerLook)
{
    make_host(2 * 64 + 8);
    two_repaying_guests(host(), 64);
    const std::byte x{9};
    auto write = [&](uint64_t g) {
        ASSERT_EQ(host().write(2, g, 0, {&x, 1}), 0);
    };
    write(0);
    write(1);
    EXPECT_EQ(host().global_stats().reclaims, 2u);
    EXPECT_EQ(host().notifications(2), 1u);
    EXPECT_EQ(host().notifications(1), 0u);

    xen_coshare_op_t o{};
    xen_coshare_stats_t st{};
    o.op = XENMEM_sharing_op_coshare_stats;
    o.domain = 2;
    ASSERT_EQ(host().op(0, true, o, nullptr, &st), 0);  // dom0: no re-arm
    write(2);
    EXPECT_EQ(host().notifications(2), 1u);
    o.domain = DOMID_SELF;
    ASSERT_EQ(host().op(2, false, o, nullptr, &st), 0); // the guest looks
    write(3);
    EXPECT_EQ(host().notifications(2), 2u);
    host().vol_add(2, iota(48, 4));                     // or refills
    write(4);
    EXPECT_EQ(host().notifications(2), 3u);
    EXPECT_EQ(host().stats(2).notified, 3u);
    EXPECT_EQ(host().global_stats().notified, 3u);
    EXPECT_EQ(host().audit(), 0u);
}

// A refill re-arms the notification in each of its engine-lock holds: a
// reclaim between two holds of one vol_add used it up, and the rest of the
// refill must arm it again for the next reclaim.
TEST_F(HostTest, ARefillReArmsTheNotificationInEachOfItsHolds)
{
    constexpr uint64_t kRefill = 3 * CS_BATCH_HOLD_ENTRIES;
    make_host(64 + 64 + kRefill + 8);
    two_repaying_guests(host(), 64 + kRefill);
    const std::byte x{9};
    int first_write = 1;
    unsigned takes = 0;
    host().at_point("engine_lock", [&] {
        if (++takes == 2)       // between the refill's first two holds
            first_write = host().write(2, 0, 0, {&x, 1});
    }, 2);      // gone after the second: it refers to this test's locals
    std::vector<xen_coshare_entry_t> refill(kRefill);
    for (uint64_t i = 0; i < kRefill; ++i)
        refill[i].gfn = 64 + i;
    ASSERT_EQ(host().batch(2, XENMEM_sharing_op_coshare_vol_add, 0, refill), 0);
    EXPECT_EQ(first_write, 0);
    EXPECT_EQ(host().notifications(2), 1u);
    ASSERT_EQ(host().write(2, 1, 0, {&x, 1}), 0);
    EXPECT_EQ(host().global_stats().reclaims, 2u);
    EXPECT_EQ(host().notifications(2), 2u);
    EXPECT_EQ(host().audit(), 0u);
}

// A fault whose debtor has no volatile page takes one from a domain that can
// spare it, never from one whose FIFO only just covers its bonus.
TEST_F(HostTest, ReclaimNeverBreaksAnotherDomainsPromise)
{
    make_host(3 * 64 + 8);
    for (uint16_t d = 1; d <= 3; ++d) {
        host().add_guest(d, 64);
        ASSERT_EQ(host().enable(d, 1, /*repay=*/d == 2), 0);
        for (uint64_t g = 0; g < 4; ++g)
            host().fill(d, g, page_of(d == 3 ? 10 + g : g));
    }
    host().vol_add(2, iota(32, 4));
    host().hint(1, kText, iota(0, 4));
    host().hint(2, kText, iota(0, 4));      // d2: bonus 4, FIFO 4
    host().vol_add(3, iota(32, 1));         // d3 shares nothing: spare
    EXPECT_EQ(host().stats(2).bonus, 4u);
    host().hog(host().free_frames());

    // d1 owns the frames, so its writes retire d2's bonus: d2 pays.
    const std::byte x{5};
    ASSERT_EQ(host().write(1, 0, 0, {&x, 1}), 0);
    EXPECT_EQ(host().stats(2).reclaims, 1u);
    // d2 writes its own mapping of frame 1: again its own page.
    ASSERT_EQ(host().write(2, 1, 0, {&x, 1}), 0);
    EXPECT_EQ(host().stats(2).reclaims, 2u);

    // d4 without repayment shares with d2, then faults with no FIFO of
    // its own: d3's spare page pays, d2's pages are left alone.
    host().unhog();
    host().add_guest(4, 8);
    ASSERT_EQ(host().enable(4, 1), 0);
    host().fill(4, 0, page_of(2));
    host().fill(4, 1, page_of(3));
    auto h = host().hint(4, kText, {0, 1});
    EXPECT_EQ(count_result(h, XEN_COSHARE_RES_SHARED), 2u);
    host().hog(host().free_frames());
    ASSERT_EQ(host().write(4, 0, 0, {&x, 1}), 0);
    EXPECT_EQ(host().stats(3).reclaims, 1u);
    EXPECT_EQ(host().write(4, 1, 0, {&x, 1}), -ENOMEM);  // d2 cannot spare
    EXPECT_EQ(host().stats(2).reclaims, 2u);
    EXPECT_EQ(host().audit(), 0u);
}

// A fault is paid within the faulting domain's group: another tenant's
// volatile pages are not taken (nor is it notified) unless dom0 lets that
// domain lend them (XEN_COSHARE_CTL_LEND).  Within the group the domain
// with the most to spare pays, however old the other group's pages are.
TEST_F(HostTest, ReclaimStaysInTheFaultingDomainsGroup)
{
    make_host(4 * 64 + 8);
    for (uint16_t d = 1; d <= 4; ++d) {
        host().add_guest(d, 64);
        ASSERT_EQ(host().enable(d, d == 3 ? 2 : 1), 0);
        for (uint64_t g = 0; g < 4; ++g)
            host().fill(d, g, page_of(d == 3 || d == 4 ? 20 * d + g : g));
    }
    host().vol_add(3, iota(32, 4));         // group 2, registered first
    host().vol_add(4, iota(32, 1));         // group 1
    host().hint(1, kText, iota(0, 4));
    host().hint(2, kText, iota(0, 4));      // d2 shares d1's frames
    host().hog(host().free_frames());

    // d2's write retires its own bonus; it has no FIFO: d4 pays.
    const std::byte x{7};
    ASSERT_EQ(host().write(2, 0, 0, {&x, 1}), 0);
    EXPECT_EQ(host().stats(4).reclaims, 1u);
    EXPECT_EQ(host().stats(3).reclaims, 0u);
    // Group 1 has nothing left to spare: the fault fails, d3 keeps its pages.
    EXPECT_EQ(host().write(2, 1, 0, {&x, 1}), -ENOMEM);
    EXPECT_EQ(host().stats(3).reclaims, 0u);
    EXPECT_EQ(host().stats(3).notified, 0u);
    EXPECT_EQ(host().stats(3).fifo_depth, 4u);

    // dom0 lets d3 lend: now its pages pay group 1's faults.
    xen_coshare_op_t o{};
    o.op = XENMEM_sharing_op_coshare_control;
    o.domain = 3;
    o.u.control.set = XEN_COSHARE_CTL_LEND;
    ASSERT_EQ(host().op(0, true, o), 0);
    EXPECT_EQ(o.u.control.flags, XEN_COSHARE_CTL_ENABLE | XEN_COSHARE_CTL_LEND);
    ASSERT_EQ(host().write(2, 1, 0, {&x, 1}), 0);
    EXPECT_EQ(host().stats(3).reclaims, 1u);
    EXPECT_EQ(host().audit(), 0u);
}

// Below dom0's reserve, copy-on-write takes volatile pages before free
// frames, and dips into the reserve only when none are left.
TEST_F(HostTest, ReserveIsKeptByReclaimingFirst)
{
    make_host(2 * 64 + 32);
    for (uint16_t d = 1; d <= 2; ++d) {
        host().add_guest(d, 64);
        ASSERT_EQ(host().enable(d, 1), 0);
        for (uint64_t g = 0; g < 8; ++g)
            host().fill(d, g, page_of(g));
        host().hint(d, kText, iota(0, 8));
    }
    host().vol_add(2, iota(32, 3));
    xen_coshare_op_t o{};
    o.op = XENMEM_sharing_op_coshare_reserve;
    o.u.reserve.frames = 1000;
    EXPECT_EQ(host().op(2, false, o), -EPERM);
    ASSERT_EQ(host().op(0, true, o), 0);
    const uint64_t free_before = host().free_frames();
    EXPECT_EQ(o.u.reserve.frames, 1000u);
    EXPECT_EQ(o.u.reserve.free, free_before);

    const std::byte x{3};
    for (uint64_t g = 0; g < 5; ++g)
        ASSERT_EQ(host().write(2, g, 0, {&x, 1}), 0);
    EXPECT_EQ(host().stats(2).reclaims, 3u);            // the FIFO first,
    EXPECT_EQ(host().free_frames(), free_before - 2);   // then the reserve
    EXPECT_EQ(host().stats(2).cow_enomem, 0u);

    o = {};
    o.op = XENMEM_sharing_op_coshare_reserve;
    o.u.reserve.frames = XEN_COSHARE_RESERVE_QUERY;
    ASSERT_EQ(host().op(0, true, o), 0);
    EXPECT_EQ(o.u.reserve.frames, 1000u);
    EXPECT_EQ(o.u.reserve.free, free_before - 2);
    EXPECT_EQ(host().audit(), 0u);
}

// The same storm without repayment: the host runs out and faults fail,
// which is what crashes domains in stock Xen.
TEST_F(HostTest, CowStormWithoutRepaymentRunsOut)
{
    make_host(2 * 256 + 16);
    for (uint16_t d = 1; d <= 2; ++d) {
        host().add_guest(d, 256);
        ASSERT_EQ(host().enable(d, 1), 0);
        for (uint64_t g = 0; g < 256; ++g)
            host().fill(d, g, page_of(g));
        host().hint(d, kText, iota(0, 256));
    }
    host().hog(host().free_frames());
    const std::byte x{1};
    int failures = 0;
    for (uint64_t g = 0; g < 256; ++g)
        failures += host().write(1, g, 0, {&x, 1}) == -ENOMEM;
    EXPECT_EQ(failures, 256);
    // Each fault tried twice, as in Xen: under the p2m lock, then again
    // from the fault handler's exit before the domain is crashed.
    EXPECT_EQ(host().global_stats().cow_enomem, 2 * 256u);
}

}  // namespace
}  // namespace coshare::test
