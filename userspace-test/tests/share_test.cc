// SPDX-License-Identifier: MIT
// share_test.cc - what shares and what must never share.
#include "fixture.h"

namespace coshare::test {
namespace {

constexpr unsigned kText = XEN_COSHARE_CLASS_PROCESS_TEXT;

TEST_F(HostTest, IdenticalPagesShareAcrossGuests)
{
    for (uint16_t d = 1; d <= 3; ++d) {
        host().add_guest(d, 64);
        ASSERT_EQ(host().enable(d, 7), 0);
        for (uint64_t g = 0; g < 32; ++g)
            host().fill(d, g, page_of(g));
    }
    size_t before = host().free_frames();
    auto r1 = host().hint(1, kText, iota(0, 32));
    EXPECT_EQ(count_result(r1, XEN_COSHARE_RES_INSERTED), 32u);
    for (uint16_t d = 2; d <= 3; ++d) {
        auto r = host().hint(d, kText, iota(0, 32));
        EXPECT_EQ(count_result(r, XEN_COSHARE_RES_SHARED), 32u);
    }
    EXPECT_EQ(host().free_frames(), before + 64);
    auto s = host().global_stats();
    EXPECT_EQ(s.saved, 64u);
    EXPECT_EQ(s.frames, 32u);
    EXPECT_EQ(s.mappings, 96u);
    for (uint16_t d = 1; d <= 3; ++d)
        for (uint64_t g = 0; g < 32; ++g) {
            EXPECT_EQ(host().p2m(d, g).type, CS_P2M_SHARED);
            EXPECT_TRUE(same(host().read(d, g), page_of(g)));
        }
    auto again = host().hint(2, kText, iota(0, 4));
    EXPECT_EQ(count_result(again, XEN_COSHARE_RES_SKIPPED), 4u);
    EXPECT_EQ(again[0].error, XEN_COSHARE_SKIP_ALREADY);
}

// Another vCPU balloons the page out and back in between the engine's look
// at the p2m and its protect (an environment that does not hold the p2m):
// the new page, which the engine never saw, must not become a frame.
TEST_F(HostTest, APageReplacedBeforeItIsProtectedIsNotTaken)
{
    for (uint16_t d = 1; d <= 2; ++d) {
        host().add_guest(d, 4);
        ASSERT_EQ(host().enable(d, 7), 0);
        host().fill(d, 0, page_of(5));
    }
    ASSERT_EQ(host().hint(1, kText, {0})[0].result, XEN_COSHARE_RES_INSERTED);
    host().at_point("p2m_share", [&] {
        auto& e = host().p2m(2, 0);
        cs_mfn_t fresh = host().env_alloc();
        ASSERT_NE(fresh, CS_INVALID_MFN);
        host().env_free(std::exchange(e.mfn, fresh));
        host().fill(2, 0, page_of(6));
    });
    auto r = host().hint(2, kText, {0});
    EXPECT_EQ(r[0].result, XEN_COSHARE_RES_SKIPPED);
    EXPECT_EQ(r[0].error, XEN_COSHARE_SKIP_BUSY);
    EXPECT_EQ(host().p2m(2, 0).type, CS_P2M_RAM);
    EXPECT_TRUE(same(host().read(2, 0), page_of(6)));
    EXPECT_EQ(host().global_stats().saved, 0u);
    // Hinted again, the new page is hashed and stays apart.
    EXPECT_EQ(host().hint(2, kText, {0})[0].result, XEN_COSHARE_RES_INSERTED);
}

// The engine's word-wise page compare, against a byte of difference anywhere.
TEST(PageEqual, FindsADifferenceInAnyByte)
{
    alignas(8) Page a = page_of(7);
    alignas(8) Page b = a;
    EXPECT_TRUE(cs_page_equal(a.data(), b.data()));
    for (size_t at : {size_t{0}, size_t{7}, size_t{8}, size_t{2049}, sim::kPage - 1}) {
        b = a;
        b[at] ^= std::byte{0x10};
        EXPECT_FALSE(cs_page_equal(a.data(), b.data())) << "byte " << at;
    }
}

TEST_F(HostTest, ForcedCollisionsNeverShareDifferentPages)
{
    make_host(4096, {.hash_mask = 0, .hash_seed = 0, .max_compares = 100,
                     .no_prefetch = false, .audit_each_op = true});
    for (uint16_t d = 1; d <= 2; ++d) {
        host().add_guest(d, 40);
        ASSERT_EQ(host().enable(d, 1), 0);
        for (uint64_t g = 0; g < 40; ++g)
            host().fill(d, g, page_of(d * 1000 + g));
    }
    host().fill(2, 39, page_of(1000 + 39));   // one real duplicate
    auto r1 = host().hint(1, kText, iota(0, 40));
    auto r2 = host().hint(2, kText, iota(0, 40));
    EXPECT_EQ(count_result(r1, XEN_COSHARE_RES_INSERTED), 40u);
    EXPECT_EQ(count_result(r2, XEN_COSHARE_RES_INSERTED), 39u);
    EXPECT_EQ(r2[39].result, XEN_COSHARE_RES_SHARED);
    auto s = host().global_stats();
    EXPECT_EQ(s.saved, 1u);
    EXPECT_GT(s.compare_fail, 40u * 39u / 2);   // the compares were done
    for (uint16_t d = 1; d <= 2; ++d)
        for (uint64_t g = 0; g < 39; ++g)
            EXPECT_TRUE(same(host().read(d, g), page_of(d * 1000 + g)));
}

// The prefetch of the next entry's page (off in Xen) changes no outcome.
TEST_F(HostTest, HintsWithoutPrefetchGiveTheSameResults)
{
    std::vector<std::vector<xen_coshare_entry_t>> results;
    for (bool no_prefetch : {false, true}) {
        make_host(4096, {.hash_mask = ~0ULL, .hash_seed = 0, .max_compares = 0,
                         .no_prefetch = no_prefetch, .audit_each_op = true});
        for (uint16_t d = 1; d <= 2; ++d) {
            host().add_guest(d, 64);
            ASSERT_EQ(host().enable(d, 1), 0);
            for (uint64_t g = 0; g < 64; ++g)
                host().fill(d, g, page_of(g % 3 == 0 ? 5000 + d * 100 + g : g));
        }
        host().hint(1, kText, iota(0, 64));
        results.push_back(host().hint(2, kText, iota(0, 64)));
        EXPECT_EQ(host().global_stats().saved, 64u - 22u);
        EXPECT_EQ(host().audit(), 0u);
    }
    ASSERT_EQ(results[0].size(), results[1].size());
    for (size_t i = 0; i < results[0].size(); ++i) {
        EXPECT_EQ(results[0][i].result, results[1][i].result) << "entry " << i;
        EXPECT_EQ(results[0][i].error, results[1][i].error) << "entry " << i;
    }
}

// A guest that makes every lookup collide costs each hint a bounded number
// of full compares, never a walk of the whole chain.
TEST_F(HostTest, CollidingPagesCostBoundedCompares)
{
    make_host(4096, {.hash_mask = 0, .hash_seed = 0, .max_compares = 0,
                     .no_prefetch = false, .audit_each_op = true});
    host().add_guest(1, 64);
    ASSERT_EQ(host().enable(1, 1), 0);
    for (uint64_t g = 0; g < 64; ++g)
        host().fill(1, g, page_of(g));
    auto r = host().hint(1, kText, iota(0, 64));
    EXPECT_EQ(count_result(r, XEN_COSHARE_RES_INSERTED),
              size_t(CS_DEFAULT_MAX_COMPARES) + 1);
    EXPECT_EQ(r[63].result, XEN_COSHARE_RES_SKIPPED);
    EXPECT_EQ(r[63].error, XEN_COSHARE_SKIP_COLLISIONS);
    EXPECT_LE(host().global_stats().compare_fail,
              64u * CS_DEFAULT_MAX_COMPARES);
}

TEST_F(HostTest, GroupsIsolateTenants)
{
    for (uint16_t d = 1; d <= 3; ++d) {
        host().add_guest(d, 16);
        ASSERT_EQ(host().enable(d, d == 3 ? 2 : 1), 0);
        for (uint64_t g = 0; g < 16; ++g)
            host().fill(d, g, page_of(g));
    }
    host().hint(1, kText, iota(0, 16));
    auto r2 = host().hint(2, kText, iota(0, 16));
    auto r3 = host().hint(3, kText, iota(0, 16));
    EXPECT_EQ(count_result(r2, XEN_COSHARE_RES_SHARED), 16u);
    EXPECT_EQ(count_result(r3, XEN_COSHARE_RES_INSERTED), 16u);
    for (uint64_t g = 0; g < 16; ++g)
        EXPECT_NE(host().p2m(3, g).mfn, host().p2m(1, g).mfn);
    // A domain that shares cannot change group.
    xen_coshare_op_t o{};
    o.op = XENMEM_sharing_op_coshare_group;
    o.domain = 3;
    o.u.group.group = 1;
    EXPECT_EQ(host().op(0, true, o), -EBUSY);
}

TEST(PageZero, FindsANonzeroByteAnywhere)
{
    alignas(8) Page z{};
    EXPECT_TRUE(cs_page_zero(z.data()));
    for (size_t at : {size_t{0}, size_t{7}, size_t{8}, size_t{2049}, sim::kPage - 1}) {
        z = Page{};
        z[at] = std::byte{0x01};
        EXPECT_FALSE(cs_page_zero(z.data())) << "byte " << at;
    }
}

// A zero page hinted as text joins the zero frame on a zero scan alone,
// reading one page where a duplicate with content reads two (hash, then
// the compare with its frame).  A page with one nonzero byte anywhere, in
// either class that reads content, never joins it.
TEST_F(HostTest, ZeroTextPagesJoinTheZeroFrameWithoutACompare)
{
    for (uint16_t d = 1; d <= 3; ++d) {
        host().add_guest(d, 8);
        ASSERT_EQ(host().enable(d, 1), 0);
        host().fill(d, 1, page_of(3));
    }
    ASSERT_EQ(host().hint(1, kText, {0, 1})[0].result, XEN_COSHARE_RES_INSERTED);

    uint64_t before = host().frame_unmaps();
    ASSERT_EQ(host().hint(2, kText, {0})[0].result, XEN_COSHARE_RES_SHARED);
    EXPECT_EQ(host().frame_unmaps() - before, 1u);
    before = host().frame_unmaps();
    ASSERT_EQ(host().hint(2, kText, {1})[0].result, XEN_COSHARE_RES_SHARED);
    EXPECT_EQ(host().frame_unmaps() - before, 2u);

    uint64_t gfn = 2;
    for (size_t at : {size_t{0}, size_t{2049}, sim::kPage - 1})
        for (unsigned cls : {kText, unsigned{XEN_COSHARE_CLASS_IN_USE}}) {
            Page p{};
            p[at] = std::byte(cls == kText ? 0x80 : 0x40);
            host().fill(3, gfn, p);
            auto r = host().hint(3, cls, {gfn});
            EXPECT_EQ(r[0].result, XEN_COSHARE_RES_INSERTED)
                << "byte " << at << ", class " << cls;
            EXPECT_TRUE(same(host().read(3, gfn), p));
            ++gfn;
        }
    auto s = host().global_stats();
    EXPECT_EQ(s.frames, 2u + 6u);
    EXPECT_EQ(s.saved, 2u);
}

TEST_F(HostTest, ZeroClassPagesShareOneZeroFrame)
{
    host().add_guest(1, 300);
    host().add_guest(2, 300);
    for (uint16_t d = 1; d <= 2; ++d) {
        ASSERT_EQ(host().enable(d, 1), 0);
        for (uint64_t g = 0; g < 300; ++g)
            host().fill(d, g, page_of(d * 7777 + g));   // garbage: free
    }
    host().hint(1, XEN_COSHARE_CLASS_ZERO, iota(0, 300));
    host().hint(2, XEN_COSHARE_CLASS_ZERO, iota(0, 300));
    auto s = host().global_stats();
    EXPECT_EQ(s.frames, 1u);
    EXPECT_EQ(s.saved, 599u);
    static const Page zero{};
    EXPECT_TRUE(same(host().read(2, 123), zero));
    // A text page that happens to be zero joins the same frame.
    host().add_guest(3, 1);
    ASSERT_EQ(host().enable(3, 1), 0);
    auto r = host().hint(3, kText, {0});
    EXPECT_EQ(r[0].result, XEN_COSHARE_RES_SHARED);
}

// Real files of this machine in four guests; the engine must save exactly
// what an independent full-content count says is possible.
TEST_F(HostTest, RealContentMatchesFullContentOracle)
{
    auto files = sim::find_real_files();
    ASSERT_GT(files.count(), 3u) << "no real files found to build guests";
    std::vector<sim::GuestImage> images;
    for (unsigned i = 0; i < 4; ++i)
        images.push_back(sim::make_guest_image(i, files, 200, 800, 42));
    size_t pages = 0;
    for (const auto& g : images)
        pages = std::max(pages, g.pages());
    make_host(4 * pages + 1024);
    for (unsigned i = 0; i < 4; ++i) {
        uint16_t d = static_cast<uint16_t>(i + 1);
        auto gfns = sim::load_image(host(), d, images[i], pages);
        ASSERT_EQ(host().enable(d, 1), 0);
        for (unsigned c = 0; c < XEN_COSHARE_CLASS_NR; ++c)
            host().hint(d, c, gfns[c]);
    }
    std::vector<const sim::GuestImage*> ptrs;
    for (const auto& g : images)
        ptrs.push_back(&g);
    uint64_t oracle = sim::oracle_saved(ptrs);
    EXPECT_GT(oracle, 3 * 800u);
    EXPECT_EQ(host().global_stats().saved, oracle);
    // Every guest still reads its own content.
    for (unsigned i = 0; i < 4; ++i) {
        uint64_t gfn = 0;
        for (const auto& r : images[i].regions) {
            for (const auto& p : r.pages) {
                if (r.cls != XEN_COSHARE_CLASS_ZERO) {
                    ASSERT_TRUE(same(host().read(i + 1, gfn), p))
                        << r.name << " gfn " << gfn;
                }
                ++gfn;
            }
        }
    }
}

}  // namespace
}  // namespace coshare::test
