// SPDX-License-Identifier: MIT
// content_census_test.cc - the oracle's arithmetic on known page sets.
#include <gtest/gtest.h>

#include <array>

#include "content_census.h"

namespace coshare::oracle {
namespace {

using Page = std::array<std::byte, kPageBytes>;

Page page(int seed, size_t at = 0)
{
    Page p{};
    if (seed)
        p[at] = std::byte(seed);
    return p;
}

TEST(ContentCensus, CountsZeroAndDuplicateContents)
{
    ContentCensus c;
    for (int i = 0; i < 5; ++i)
        c.add(page(0));                 // 5 zero pages: 4 saved
    for (int i = 0; i < 3; ++i)
        c.add(page(7));                 // 3 copies: 2 saved
    c.add(page(7, 4095));               // same byte elsewhere: distinct
    c.add(page(9));
    const Census& r = c.census();
    EXPECT_EQ(r.pages, 10u);
    EXPECT_EQ(r.zero_pages, 5u);
    EXPECT_EQ(r.distinct_nonzero, 3u);
    EXPECT_EQ(r.zero_saved(), 4u);
    EXPECT_EQ(r.nonzero_saved(), 2u);
    EXPECT_EQ(r.max_saved(), 6u);
    auto j = to_json(r);
    EXPECT_EQ(j["max_saved"], 6u);
    EXPECT_EQ(j["distinct_nonzero"], 3u);
}

TEST(ContentCensus, NearlyEqualPagesStayApart)
{
    ContentCensus c;
    for (size_t at = 0; at < kPageBytes; at += 8) {
        c.add(page(1, at));
        c.add(page(2, at));
    }
    EXPECT_EQ(c.census().distinct_nonzero, c.census().pages);
    EXPECT_EQ(c.census().max_saved(), 0u);
}

TEST(ContentCensus, NoPagesNoSaving)
{
    ContentCensus c;
    EXPECT_EQ(c.census().max_saved(), 0u);
    c.add(page(0));
    EXPECT_EQ(c.census().max_saved(), 0u);   // one zero page is kept
}

}  // namespace
}  // namespace coshare::oracle
