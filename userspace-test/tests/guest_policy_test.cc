// SPDX-License-Identifier: MIT
// guest_policy_test.cc - the guest module's portable policy: knob parsing,
// batching, result accounting and backoff, as compiled into coshare.ko.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "cs_policy.h"
}

namespace {

int parse(enum cs_knob k, const std::string& s, uint64_t* out)
{
    return cs_knob_parse(k, s.data(), s.size(), out);
}

TEST(GuestPolicy, KnobsAcceptNumbersInRangeOnly)
{
    uint64_t v = 77;
    EXPECT_EQ(parse(CS_KNOB_RUN, "1\n", &v), 0);
    EXPECT_EQ(v, 1u);
    EXPECT_EQ(parse(CS_KNOB_BATCH_SIZE, "512", &v), 0);
    for (const char* bad : {"", "\n", "3", "-1", "1x", " 1", "1\n\n", "0x1",
                            "99999999999999999999999"}) {
        v = 77;
        EXPECT_EQ(parse(CS_KNOB_RUN, bad, &v), -EINVAL) << '"' << bad << '"';
        EXPECT_EQ(v, 77u) << "value changed on a bad write";
    }
    EXPECT_EQ(parse(CS_KNOB_BATCH_SIZE, "513", &v), -EINVAL);
    EXPECT_EQ(parse(CS_KNOB_BATCH_SIZE, "0", &v), -EINVAL);
    EXPECT_EQ(parse(CS_KNOB_PAGES_TO_SCAN, "18446744073709551616", &v),
              -EINVAL);
    for (int k = 0; k < CS_KNOB_NR; ++k) {
        const auto& d = cs_knobs[k];
        EXPECT_LE(d.min, d.def) << d.name;
        EXPECT_LE(d.def, d.max) << d.name;
        EXPECT_EQ(parse(cs_knob(k), std::to_string(d.def), &v), 0) << d.name;
    }
}

// A guest enabled in no group is told so once, not every scan; and again
// if it ever gets there again.
TEST(GuestPolicy, AGuestEnabledInNoGroupIsToldOnce)
{
    u32 said = 0;
    EXPECT_EQ(cs_settings_notice(&said, 0, XEN_COSHARE_GROUP_NONE), nullptr);
    const char* m = cs_settings_notice(&said, XEN_COSHARE_CTL_ENABLE,
                                       XEN_COSHARE_GROUP_NONE);
    ASSERT_NE(m, nullptr);
    EXPECT_NE(std::string(m).find("coshare-ctl group DOMID N"), std::string::npos);
    EXPECT_EQ(cs_settings_notice(&said, XEN_COSHARE_CTL_ENABLE,
                                 XEN_COSHARE_GROUP_NONE), nullptr);
    EXPECT_EQ(cs_settings_notice(&said, XEN_COSHARE_CTL_ENABLE, 3), nullptr);
    EXPECT_NE(cs_settings_notice(&said, XEN_COSHARE_CTL_ENABLE,
                                 XEN_COSHARE_GROUP_NONE), nullptr);
}

TEST(GuestPolicy, BatchesFlushAtBatchSize)
{
    static cs_batch b{};
    EXPECT_FALSE(cs_batch_add(&b, 10, 3));
    EXPECT_FALSE(cs_batch_add(&b, 11, 3));
    EXPECT_TRUE(cs_batch_add(&b, 12, 3));
    EXPECT_EQ(b.nr, 3u);
    EXPECT_EQ(b.ents[2].gfn, 12u);
    EXPECT_EQ(b.ents[2].result, 0);
}

struct Accounting : ::testing::Test {
    cs_counters c{};
    std::vector<uint64_t> words = std::vector<uint64_t>(4);
    cs_bitmap shared{words.data(), 256};
    cs_backoff* bo = new cs_backoff{};
    ~Accounting() override { delete bo; }

    void account(std::vector<xen_coshare_entry_t> ents, uint32_t scan)
    {
        cs_account_batch(&c, bo, &shared, XEN_COSHARE_CLASS_PROCESS_TEXT,
                         ents.data(), uint32_t(ents.size()), scan);
    }
    static xen_coshare_entry_t ent(uint64_t gfn, uint8_t res, int32_t err = 0)
    {
        xen_coshare_entry_t e{};
        e.gfn = gfn;
        e.result = res;
        e.error = err;
        return e;
    }
};

TEST_F(Accounting, ResultsFeedTheCounters)
{
    account({ent(1, XEN_COSHARE_RES_SHARED), ent(2, XEN_COSHARE_RES_INSERTED),
             ent(3, XEN_COSHARE_RES_SKIPPED, XEN_COSHARE_SKIP_NOT_RAM),
             ent(4, XEN_COSHARE_RES_ERROR, -ERANGE)},
            1);
    const unsigned k = XEN_COSHARE_CLASS_PROCESS_TEXT;
    EXPECT_EQ(c.hinted[k], 4u);
    EXPECT_EQ(c.shared[k], 1u);
    EXPECT_EQ(c.inserted[k], 1u);
    EXPECT_EQ(c.skipped[k], 1u);
    EXPECT_EQ(c.errors[k], 1u);
    EXPECT_TRUE(cs_bitmap_test(&shared, 1));
    EXPECT_FALSE(cs_bitmap_test(&shared, 3));
}

// A batch Xen restarted may fail midway (dom0 disabled the domain): the
// entries it ran count, those it stopped before (RES_PENDING) change
// nothing, so a page shared earlier stays known as shared.
TEST_F(Accounting, EntriesTheOpStoppedBeforeChangeNothing)
{
    account({ent(5, XEN_COSHARE_RES_SHARED)}, 1);
    account({ent(1, XEN_COSHARE_RES_SHARED), ent(5, XEN_COSHARE_RES_PENDING),
             ent(6, XEN_COSHARE_RES_PENDING)},
            2);
    const unsigned k = XEN_COSHARE_CLASS_PROCESS_TEXT;
    EXPECT_EQ(c.hinted[k], 2u);
    EXPECT_EQ(c.shared[k], 2u);
    EXPECT_EQ(c.errors[k], 0u);
    EXPECT_TRUE(cs_bitmap_test(&shared, 1));
    EXPECT_TRUE(cs_bitmap_test(&shared, 5));
    EXPECT_FALSE(cs_bitmap_test(&shared, 6));
}

// Pages refused because the volatile pool did not cover them are counted
// apart: the free page path grows the pool by that many and offers them
// again.  Other skips are not.
TEST_F(Accounting, RefusalsForWantOfVolatileCoverAreCounted)
{
    account({ent(1, XEN_COSHARE_RES_SKIPPED, XEN_COSHARE_SKIP_NEED_VOLATILE),
             ent(2, XEN_COSHARE_RES_SKIPPED, XEN_COSHARE_SKIP_NEED_VOLATILE),
             ent(3, XEN_COSHARE_RES_SKIPPED, XEN_COSHARE_SKIP_BUSY),
             ent(4, XEN_COSHARE_RES_SHARED)},
            1);
    EXPECT_EQ(c.need_volatile, 2u);
    EXPECT_EQ(c.skipped[XEN_COSHARE_CLASS_PROCESS_TEXT], 3u);
    EXPECT_FALSE(cs_bitmap_test(&shared, 1));
    EXPECT_TRUE(cs_bitmap_test(&shared, 4));
}

TEST_F(Accounting, PagesThatKeepGettingUnsharedBackOff)
{
    account({ent(7, XEN_COSHARE_RES_INSERTED)}, 1);
    account({ent(7, XEN_COSHARE_RES_SKIPPED, XEN_COSHARE_SKIP_ALREADY)}, 2);
    EXPECT_EQ(c.unshared_seen, 0u);
    EXPECT_FALSE(cs_backoff_skip(bo, 7, 3));
    // A write unshared it: the next hint shares it again.
    account({ent(7, XEN_COSHARE_RES_SHARED)}, 3);
    EXPECT_EQ(c.unshared_seen, 1u);
    EXPECT_TRUE(cs_backoff_skip(bo, 7, 4));
    EXPECT_FALSE(cs_backoff_skip(bo, 7, 5));   // 2 scans later
    account({ent(7, XEN_COSHARE_RES_SHARED)}, 5);
    EXPECT_TRUE(cs_backoff_skip(bo, 7, 8));
    EXPECT_FALSE(cs_backoff_skip(bo, 7, 9));   // then 4 scans
    EXPECT_FALSE(cs_backoff_skip(bo, 8, 5));   // others are not affected
    for (uint32_t s = 10; s < 100; s += 1)
        cs_backoff_unshared(bo, 7, s);
    EXPECT_TRUE(cs_backoff_skip(bo, 7, 99 + (1u << CS_BACKOFF_MAX_LEVEL) - 1));
    EXPECT_FALSE(cs_backoff_skip(bo, 7, 99 + (1u << CS_BACKOFF_MAX_LEVEL)));
}

}  // namespace
