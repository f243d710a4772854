// SPDX-License-Identifier: MIT
// fixture.h - shared test fixture: a simulated host whose audit must be
// clean after every test, and small helpers to make page contents.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <optional>

#include "content.h"
#include "host.h"

namespace coshare::test {

using sim::Host;
using sim::Page;

inline Page page_of(uint64_t tag)
{
    return sim::random_page(tag + 1);
}

inline std::vector<uint64_t> iota(uint64_t from, size_t n)
{
    std::vector<uint64_t> v(n);
    std::iota(v.begin(), v.end(), from);
    return v;
}

inline bool same(std::span<const std::byte> a, const Page& b)
{
    return std::memcmp(a.data(), b.data(), sim::kPage) == 0;
}

inline size_t count_result(const std::vector<xen_coshare_entry_t>& ents,
                           uint8_t result)
{
    return std::count_if(ents.begin(), ents.end(), [&](const auto& e) {
        return e.result == result;
    });
}

class HostTest : public ::testing::Test {
protected:
    // Batches are preempted between every two holds: each restart must
    // give the results an uninterrupted batch would.
    void make_host(size_t frames, cs_config cfg = Host::kDefaultConfig)
    {
        host_.emplace(frames, cfg);
        host_->preempt_batches(true);
    }
    Host& host()
    {
        if (!host_)
            make_host(1 << 14);
        return *host_;
    }
    // A guest of `pages` zeroed pages, hinting enabled, in sharing group 1.
    void add_enabled_guest(uint16_t domid, size_t pages, bool repay = false)
    {
        host().add_guest(domid, pages);
        ASSERT_EQ(host().enable(domid, 1, repay), 0);
    }
    void expect_clean_audit()
    {
        std::vector<std::string> msgs;
        EXPECT_EQ(host().audit(&msgs), 0u) << (msgs.empty() ? "" : msgs[0]);
    }
    // A simulated Xen crash fails every test, whichever thread hit it.
    void TearDown() override
    {
        if (!host_)
            return;
        expect_clean_audit();
        auto crashes = host_->xen_crashes();
        EXPECT_TRUE(crashes.empty()) << crashes.front();
    }
    std::optional<Host> host_;
};

}  // namespace coshare::test
