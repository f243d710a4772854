// SPDX-License-Identifier: MIT
// abi_test.cc - the ABI's layout, permissions and malformed requests: each
// bad request gets its own clear errno and changes nothing.
#include "fixture.h"

#include <xen/memory.h>

namespace coshare::test {
namespace {

using sim::make_batch_op;

static_assert(sizeof(xen_coshare_op_t) == sizeof(xen_mem_sharing_op_t));
static_assert(offsetof(xen_coshare_op_t, domain) ==
              offsetof(xen_mem_sharing_op_t, domain));
static_assert(sizeof(xen_coshare_entry_t) == 16);
static_assert(sizeof(xen_coshare_stats_t) % 8 == 0);

class AbiTest : public HostTest {
protected:
    void SetUp() override
    {
        host().add_guest(1, 32);
        host().add_guest(2, 32);
        ASSERT_EQ(host().enable(1, 1), 0);
        for (uint64_t g = 0; g < 32; ++g)
            host().fill(1, g, page_of(g));
    }
    int hint_as(uint16_t caller, xen_coshare_op_t o,
                std::vector<xen_coshare_entry_t>& ents)
    {
        return host().op(caller, false, o, ents.data());
    }
    void expect_nothing_changed()
    {
        auto s = host().global_stats();
        EXPECT_EQ(s.frames, 0u);
        EXPECT_EQ(s.mappings, 0u);
    }
};

TEST_F(AbiTest, VersionIsAnswered)
{
    xen_coshare_op_t o{};
    o.op = XENMEM_sharing_op_coshare_version;
    o.domain = DOMID_SELF;
    ASSERT_EQ(host().op(1, false, o), 0);
    EXPECT_EQ(o.u.version.version, unsigned(XEN_COSHARE_VERSION));
    EXPECT_EQ(o.u.version.batch_max, unsigned(XEN_COSHARE_BATCH_MAX));
}

TEST_F(AbiTest, BadEntriesEachGetTheirOwnError)
{
    std::vector<xen_coshare_entry_t> ents(5);
    ents[0].gfn = 1;
    ents[1].gfn = 32;                        // beyond the domain
    ents[2].gfn = 1;                         // duplicate
    ents[3].gfn = XEN_COSHARE_GFN_MAX + 1;   // beyond coshare's gfn space
    ents[4].gfn = 2;
    ents[4].pad[1] = 1;                      // nonzero padding
    auto o = make_batch_op(XENMEM_sharing_op_coshare_hint,
                           XEN_COSHARE_CLASS_PROCESS_TEXT, 5);
    ASSERT_EQ(hint_as(1, o, ents), 0);
    EXPECT_EQ(ents[0].result, XEN_COSHARE_RES_INSERTED);
    EXPECT_EQ(ents[1].error, -ERANGE);
    EXPECT_EQ(ents[2].error, -EEXIST);
    EXPECT_EQ(ents[3].error, -ERANGE);
    EXPECT_EQ(ents[4].error, -EINVAL);
    for (int i = 1; i < 5; ++i)
        EXPECT_EQ(ents[i].result, XEN_COSHARE_RES_ERROR);
    EXPECT_EQ(host().stats(1).errors, 4u);
}

TEST_F(AbiTest, WholeOpErrors)
{
    std::vector<xen_coshare_entry_t> ents(XEN_COSHARE_BATCH_MAX + 1);
    for (size_t i = 0; i < ents.size(); ++i)
        ents[i].gfn = i % 32;
    auto big = make_batch_op(XENMEM_sharing_op_coshare_hint, 0,
                             XEN_COSHARE_BATCH_MAX + 1);
    EXPECT_EQ(hint_as(1, big, ents), -E2BIG);

    auto bad_class = make_batch_op(XENMEM_sharing_op_coshare_hint,
                                   XEN_COSHARE_CLASS_NR, 1);
    EXPECT_EQ(hint_as(1, bad_class, ents), -EINVAL);

    auto foreign = make_batch_op(XENMEM_sharing_op_coshare_hint, 0, 1);
    foreign.domain = 2;
    EXPECT_EQ(hint_as(1, foreign, ents), -EPERM);

    auto not_enabled = make_batch_op(XENMEM_sharing_op_coshare_hint, 0, 1);
    EXPECT_EQ(hint_as(2, not_enabled, ents), -EACCES);

    auto padded = make_batch_op(XENMEM_sharing_op_coshare_hint, 0, 1);
    padded.u.batch.pad2 = 1;
    EXPECT_EQ(hint_as(1, padded, ents), -EINVAL);

    auto unknown = make_batch_op(99, 0, 1);
    EXPECT_EQ(hint_as(1, unknown, ents), -EOPNOTSUPP);

    auto no_buffer = make_batch_op(XENMEM_sharing_op_coshare_hint, 0, 1);
    EXPECT_EQ(host().op(1, false, no_buffer, nullptr), -EFAULT);
    expect_nothing_changed();
}

TEST_F(AbiTest, OnlyDom0Controls)
{
    xen_coshare_op_t o{};
    o.op = XENMEM_sharing_op_coshare_control;
    o.domain = 2;
    o.u.control.set = XEN_COSHARE_CTL_ENABLE;
    EXPECT_EQ(host().op(1, false, o), -EPERM);
    o.op = XENMEM_sharing_op_coshare_group;
    o.u.group.group = 1;
    EXPECT_EQ(host().op(1, false, o), -EPERM);
    o.op = XENMEM_sharing_op_coshare_audit;
    EXPECT_EQ(host().op(1, false, o), -EPERM);
    o.op = XENMEM_sharing_op_coshare_reserve;
    EXPECT_EQ(host().op(1, false, o), -EPERM);

    xen_coshare_op_t c{};
    c.op = XENMEM_sharing_op_coshare_control;
    c.domain = 77;   // no such domain
    c.u.control.set = XEN_COSHARE_CTL_ENABLE;
    EXPECT_EQ(host().op(0, true, c), -ESRCH);
    c.domain = 2;
    c.u.control.set = 1u << 7;
    EXPECT_EQ(host().op(0, true, c), -EINVAL);
    xen_coshare_op_t g{};
    g.op = XENMEM_sharing_op_coshare_group;
    g.domain = 2;
    g.u.group.group = XEN_COSHARE_GROUP_MAX + 1;
    EXPECT_EQ(host().op(0, true, g), -EINVAL);
}

// Which classes a domain may hint: dom0's alone to set; a malformed or
// misdirected request changes nothing; a refused class refuses the batch.
TEST_F(AbiTest, HintClassesAreDom0s)
{
    xen_coshare_op_t o{};
    o.op = XENMEM_sharing_op_coshare_classes;
    o.domain = DOMID_SELF;
    o.u.classes.allowed = 1u << XEN_COSHARE_CLASS_ZERO;
    EXPECT_EQ(host().op(1, false, o), -EPERM);
    o.domain = 1;
    o.u.classes.allowed = XEN_COSHARE_CLASSES_ALL + 1;
    EXPECT_EQ(host().op(0, true, o), -EINVAL);
    o.u.classes.allowed = 1u << XEN_COSHARE_CLASS_ZERO;
    o.u.classes.pad = 1;
    EXPECT_EQ(host().op(0, true, o), -EINVAL);
    o.u.classes.pad = 0;
    o.domain = 77;
    EXPECT_EQ(host().op(0, true, o), -ESRCH);
    EXPECT_EQ(host().stats(1).classes, XEN_COSHARE_CLASSES_ALL);

    o.domain = 1;
    ASSERT_EQ(host().op(0, true, o), 0);
    EXPECT_EQ(o.u.classes.allowed, 1u << XEN_COSHARE_CLASS_ZERO);
    xen_coshare_op_t q{};
    q.op = XENMEM_sharing_op_coshare_classes;
    q.domain = 1;
    q.u.classes.allowed = XEN_COSHARE_CLASSES_QUERY;
    ASSERT_EQ(host().op(0, true, q), 0);
    EXPECT_EQ(q.u.classes.allowed, 1u << XEN_COSHARE_CLASS_ZERO);

    for (unsigned cls = 0; cls < XEN_COSHARE_CLASS_NR; ++cls) {
        std::vector<xen_coshare_entry_t> ents(1);
        ents[0].gfn = 3 + cls;
        int rc = hint_as(1, make_batch_op(XENMEM_sharing_op_coshare_hint, cls, 1), ents);
        if (cls == XEN_COSHARE_CLASS_ZERO) {
            EXPECT_EQ(rc, 0);
            EXPECT_EQ(ents[0].result, XEN_COSHARE_RES_INSERTED);
        } else {
            EXPECT_EQ(rc, -EACCES) << "class " << cls;
            EXPECT_EQ(ents[0].result, XEN_COSHARE_RES_PENDING);
        }
    }
    EXPECT_EQ(host().stats(1).hinted[XEN_COSHARE_CLASS_KERNEL_TEXT], 0u);
}

TEST_F(AbiTest, GuestsSeeOnlyTheirOwnStats)
{
    xen_coshare_stats_t s{};
    xen_coshare_op_t o{};
    o.op = XENMEM_sharing_op_coshare_stats;
    o.domain = DOMID_SELF;
    EXPECT_EQ(host().op(1, false, o, nullptr, &s), 0);
    EXPECT_EQ(s.group, 1u);
    o.domain = 2;
    EXPECT_EQ(host().op(1, false, o, nullptr, &s), -EPERM);
    o.domain = DOMID_SELF;
    o.u.stats.flags = XEN_COSHARE_STATS_GLOBAL;
    EXPECT_EQ(host().op(1, false, o, nullptr, &s), -EPERM);
    EXPECT_EQ(host().op(0, true, o, nullptr, &s), 0);
    o.op = XENMEM_sharing_op_coshare_audit;
    EXPECT_EQ(host().op(0, true, o), 0);
    EXPECT_EQ(o.u.audit.errors, 0u);
}

TEST_F(AbiTest, SkipsExplainWhy)
{
    host().p2m(1, 3).type = CS_P2M_OTHER;
    host().p2m(1, 4).type = CS_P2M_BUSY;
    host().p2m(1, 5).type = CS_P2M_SHARED;   // shared by the stock ops
    auto r = host().hint(1, XEN_COSHARE_CLASS_PROCESS_TEXT, {3, 4, 5});
    EXPECT_EQ(r[0].error, XEN_COSHARE_SKIP_NOT_RAM);
    EXPECT_EQ(r[1].error, XEN_COSHARE_SKIP_BUSY);
    EXPECT_EQ(r[2].error, XEN_COSHARE_SKIP_FOREIGN_SHARED);
    host().p2m(1, 3).type = CS_P2M_RAM;
    host().p2m(1, 4).type = CS_P2M_RAM;
    host().p2m(1, 5).type = CS_P2M_RAM;
}

}  // namespace
}  // namespace coshare::test
