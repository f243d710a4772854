// SPDX-License-Identifier: MIT
// teardown_test.cc - destroying domains under heavy sharing: preemptible,
// every frame accounted for, sharers left intact.
#include "fixture.h"

namespace coshare::test {
namespace {

TEST_F(HostTest, TeardownOfOneFrameWith100kMappings)
{
    constexpr size_t kPages = 100000;
    make_host(2 * kPages + 16);
    host().add_guest(1, kPages);
    host().add_guest(2, 16);
    for (uint16_t d = 1; d <= 2; ++d)
        ASSERT_EQ(host().enable(d, 1), 0);
    host().hint(2, XEN_COSHARE_CLASS_ZERO, iota(0, 16));
    host().hint(1, XEN_COSHARE_CLASS_ZERO, iota(0, kPages));
    EXPECT_EQ(host().global_stats().frames, 1u);
    EXPECT_EQ(host().global_stats().mappings, kPages + 16);
    expect_clean_audit();

    unsigned calls = host().destroy_guest(1, /*budget=*/10000);
    EXPECT_GE(calls, 10u);   // it yielded, as a hypercall continuation would
    EXPECT_EQ(host().global_stats().mappings, 16u);
    EXPECT_EQ(host().global_stats().saved, 15u);
    EXPECT_EQ(host().free_frames(), host().total_frames() - 16 + 15);
    host().destroy_guest(2);
    EXPECT_EQ(host().free_frames(), host().total_frames());
    EXPECT_EQ(host().global_stats().frames, 0u);
    EXPECT_EQ(host().global_stats().domains, 0u);
}

TEST_F(HostTest, TeardownKeepsOtherSharersAndHandsOverOwnership)
{
    for (uint16_t d = 1; d <= 3; ++d) {
        host().add_guest(d, 64);
        ASSERT_EQ(host().enable(d, 1), 0);
        for (uint64_t g = 0; g < 64; ++g)
            host().fill(d, g, page_of(g % 16));
        host().vol_add(d, iota(60, 4));
        host().hint(d, XEN_COSHARE_CLASS_PROCESS_TEXT, iota(0, 60));
    }
    host().destroy_guest(1, 7);   // owner of every frame, tiny chunks
    expect_clean_audit();
    for (uint16_t d = 2; d <= 3; ++d)
        for (uint64_t g = 0; g < 60; ++g)
            EXPECT_TRUE(same(host().read(d, g), page_of(g % 16)));
    EXPECT_EQ(host().global_stats().saved, 2 * 60u - 16);
    EXPECT_EQ(host().global_stats().fifo_depth, 8u);
    host().destroy_guest(2);
    host().destroy_guest(3);
    EXPECT_EQ(host().free_frames(), host().total_frames());
}

// A REPAY domain torn down in chunks: its volatile pool (low gfns) goes
// before the shared pages it covered (high gfns).  A dying domain owes
// nothing, so an audit between the chunks stays clean.  (The torture test
// hit this once the simulator's lock was fair and its audit thread got in.)
TEST_F(HostTest, ADyingRepayDomainOwesNothingBetweenTeardownChunks)
{
    for (uint16_t d = 1; d <= 2; ++d) {
        host().add_guest(d, 64);
        ASSERT_EQ(host().enable(d, 1, /*repay=*/true), 0);
        for (uint64_t g = 0; g < 64; ++g)
            host().fill(d, g, page_of(100 + d * 64 + g));
        host().vol_add(d, iota(0, 16));
    }
    for (uint64_t g = 16; g < 64; ++g)
        host().fill(2, g, page_of(100 + 64 + g));   // d1's content
    host().hint(1, XEN_COSHARE_CLASS_PROCESS_TEXT, iota(16, 48));
    host().hint(2, XEN_COSHARE_CLASS_PROCESS_TEXT, iota(16, 48));
    ASSERT_EQ(host().stats(2).bonus, 16u);   // as much as its FIFO covers
    std::vector<std::string> bad;
    unsigned chunks = 0;
    host().at_point("teardown-chunk", [&] {
        ++chunks;
        std::vector<std::string> msgs;
        if (host().audit(&msgs))
            bad.insert(bad.end(), msgs.begin(), msgs.end());
    }, ~0u);
    host().destroy_guest(2, 4);
    host().at_point("teardown-chunk", nullptr);  // it refers to locals
    EXPECT_GE(chunks, 4u);
    EXPECT_TRUE(bad.empty()) << bad.front();
    expect_clean_audit();
}

// Domains come and go in any order; the engine always finds the live ones.
TEST_F(HostTest, ManyDomainsComeAndGo)
{
    make_host(4096);
    std::vector<uint16_t> ids;
    for (uint16_t i = 0; i < 600; ++i)
        ids.push_back(uint16_t(1 + (i * 2053u) % 32000));   // probe clashes
    for (uint16_t d : ids) {
        host().add_guest(d, 2);
        ASSERT_EQ(host().enable(d, 1 + d % 3), 0);
    }
    for (size_t i = 0; i < ids.size(); i += 2)
        host().destroy_guest(ids[i]);
    for (size_t i = 0; i < ids.size(); ++i) {
        xen_coshare_stats_t s{};
        int rc = cs_stats(host().engine(), ids[i], &s);
        if (i % 2 == 0) {
            EXPECT_EQ(rc, -ESRCH) << ids[i];
        } else {
            ASSERT_EQ(rc, 0) << ids[i];
            EXPECT_EQ(s.group, 1u + ids[i] % 3);
        }
    }
    EXPECT_EQ(host().global_stats().domains, ids.size() / 2);
}

}  // namespace
}  // namespace coshare::test
