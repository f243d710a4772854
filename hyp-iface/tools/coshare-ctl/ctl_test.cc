// SPDX-License-Identifier: MIT
// ctl_test.cc - coshare-ctl against the real engine in the simulator:
// enable, group, stats, audit and watch with pages really shared; the
// mapping of errnos to messages and exit codes; argument checks; the CSV
// and the plot; and the built binary on a machine that is not a dom0.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run_command.h"
#include "scratch_dir.h"
#include "backend_sim.h"
#include "cli.h"
#include "csv.h"
#include "errors.h"
#include "fields.h"
#include "plot.h"

namespace fs = std::filesystem;
using namespace std::chrono;
using namespace coshare::ctl;
using nlohmann::json;

namespace {

constexpr unsigned KT = XEN_COSHARE_CLASS_KERNEL_TEXT;
constexpr unsigned PT = XEN_COSHARE_CLASS_PROCESS_TEXT;
constexpr unsigned ZERO = XEN_COSHARE_CLASS_ZERO;

// Starts on 2026-11-23 06:00:00 UTC; sleeping only moves time on.
class FakeClock final : public Clock {
public:
    system_clock::time_point wall() override { return wall_; }
    steady_clock::time_point steady() override { return steady_; }
    bool sleep_until(steady_clock::time_point t) override
    {
        if (t > steady_) {
            wall_ += duration_cast<system_clock::duration>(t - steady_);
            steady_ = t;
        }
        ++sleeps;
        if (on_sleep)
            on_sleep(sleeps);
        return !(stop_after && sleeps >= *stop_after);
    }

    std::function<void(int)> on_sleep;
    std::optional<int> stop_after;
    int sleeps = 0;

private:
    system_clock::time_point wall_ =
        sys_days{year{2026} / 11 / 23} + hours{6};
    steady_clock::time_point steady_{};
};

// A hypervisor whose answers the test writes.
class ScriptedHypervisor final : public Hypervisor {
public:
    explicit ScriptedHypervisor(std::function<int(xen_coshare_op_t&)> f)
        : f_(std::move(f))
    {
    }
    int call(xen_coshare_op_t& op, std::span<xen_coshare_entry_t>,
             xen_coshare_stats_t*) override
    {
        return f_(op);
    }

private:
    std::function<int(xen_coshare_op_t&)> f_;
};

struct Outcome {
    int code = -1;
    std::string out, err;
};

std::vector<uint64_t> gfns(uint64_t first, uint64_t n)
{
    std::vector<uint64_t> v(n);
    for (uint64_t i = 0; i < n; ++i)
        v[i] = first + i;
    return v;
}

class Ctl : public coshare::testing::ScratchDirTest {
protected:

    // Runs the tool's command logic in-process on `hv` (default: the
    // simulator as dom0).
    Outcome run(const std::vector<std::string>& args, Hypervisor* hv = nullptr)
    {
        std::ostringstream out, err;
        Env env{out, err,
                [&]() -> Connection {
                    ++connects;
                    return {hv ? *hv : sim_hv, sim_domains};
                },
                [&]() -> Clock& { return clock; }};
        Outcome r;
        r.code = coshare::ctl::run(args, env);
        r.out = out.str();
        r.err = err.str();
        return r;
    }

    json run_json(const std::vector<std::string>& args)
    {
        Outcome r = run(args);
        EXPECT_EQ(r.code, 0) << r.err;
        return json::parse(r.out);
    }

    // Guest pages with content that depends only on (gfn, salt), so equal
    // gfns of two guests are duplicates.
    void add_guest(uint16_t domid, size_t pages, uint8_t salt = 0)
    {
        host.add_guest(domid, pages);
        std::vector<std::byte> page(coshare::sim::kPage);
        for (uint64_t g = 0; g < pages; ++g) {
            for (size_t i = 0; i < page.size(); ++i)
                page[i] = std::byte(static_cast<uint8_t>(g * 31 + i * 7 + salt));
            host.fill(domid, g, page);
        }
    }

    // Guests 1 and 2 in group 7, sharing `n` kernel-text pages; guest 2
    // joins second, so the saved frames are its bonus.
    void share_two_guests(uint64_t n = 16)
    {
        add_guest(1, 64);
        add_guest(2, 64);
        for (const char* d : {"1", "2"}) {
            ASSERT_EQ(run({"enable", d}).code, 0);
            ASSERT_EQ(run({"group", d, "7"}).code, 0);
        }
        for (const auto& e : host.hint(1, KT, gfns(0, n)))
            ASSERT_EQ(e.result, XEN_COSHARE_RES_INSERTED);
        for (const auto& e : host.hint(2, KT, gfns(0, n)))
            ASSERT_EQ(e.result, XEN_COSHARE_RES_SHARED);
    }

    coshare::sim::Host host{8192};
    SimHypervisor sim_hv{host};
    SimDomains sim_domains{host};
    FakeClock clock;
    int connects = 0;
};

bool contains(const std::string& s, const std::string& part)
{
    return s.find(part) != std::string::npos;
}

// ---- enable, disable, group ------------------------------------------------

TEST_F(Ctl, EnableAndGroupLetGuestsShare)
{
    add_guest(1, 64);
    add_guest(2, 64);
    // Not enabled yet: the guest may not hint.
    auto op = coshare::sim::make_batch_op(XENMEM_sharing_op_coshare_hint, KT, 1);
    xen_coshare_entry_t e{};
    EXPECT_EQ(host.op(1, false, op, &e), -EACCES);

    Outcome en = run({"enable", "1"});
    ASSERT_EQ(en.code, 0) << en.err;
    EXPECT_EQ(en.out, "domain 1: hinting enabled, repayment off, no sharing "
                      "group\nnote: domain 1 cannot hint until it has a "
                      "group: coshare-ctl group 1 N\n");
    Outcome gr = run({"group", "1", "7"});
    ASSERT_EQ(gr.code, 0) << gr.err;
    EXPECT_EQ(gr.out, "domain 1: sharing group 7\n");
    ASSERT_EQ(run({"group", "2", "7"}).code, 0);
    Outcome en2 = run({"enable", "2"});
    ASSERT_EQ(en2.code, 0);
    EXPECT_EQ(en2.out, "domain 2: hinting enabled, repayment off, sharing "
                       "group 7\n");

    for (const auto& r : host.hint(1, KT, gfns(0, 16)))
        EXPECT_EQ(r.result, XEN_COSHARE_RES_INSERTED);
    for (const auto& r : host.hint(2, KT, gfns(0, 16)))
        EXPECT_EQ(r.result, XEN_COSHARE_RES_SHARED);
    EXPECT_EQ(host.p2m(2, 5).type, CS_P2M_SHARED);
    EXPECT_EQ(host.p2m(1, 5).mfn, host.p2m(2, 5).mfn);
    EXPECT_EQ(host.global_stats().saved, 16u);
    EXPECT_EQ(host.audit(), 0u);
}

TEST_F(Ctl, GroupsIsolateTenants)
{
    add_guest(1, 8);
    add_guest(2, 8);
    ASSERT_EQ(run({"group", "1", "1"}).code, 0);
    ASSERT_EQ(run({"group", "2", "65535"}).code, 0);
    ASSERT_EQ(run({"enable", "1"}).code, 0);
    ASSERT_EQ(run({"enable", "2"}).code, 0);
    host.hint(1, KT, gfns(0, 8));
    for (const auto& r : host.hint(2, KT, gfns(0, 8)))
        EXPECT_EQ(r.result, XEN_COSHARE_RES_INSERTED);   // other group
    EXPECT_EQ(host.global_stats().saved, 0u);
}

TEST_F(Ctl, RepayFlagsAndDisable)
{
    add_guest(3, 16);
    Outcome on = run({"enable", "3", "--repay"});
    ASSERT_EQ(on.code, 0) << on.err;
    EXPECT_TRUE(contains(on.out, "hinting enabled, repayment on")) << on.out;
    EXPECT_EQ(host.stats(3).flags,
              XEN_COSHARE_CTL_ENABLE | XEN_COSHARE_CTL_REPAY);

    Outcome off = run({"disable", "3", "--no-repay"});
    ASSERT_EQ(off.code, 0) << off.err;
    EXPECT_EQ(off.out, "domain 3: hinting disabled, repayment off, no sharing "
                       "group\n");
    EXPECT_EQ(host.stats(3).flags, 0u);

    ASSERT_EQ(run({"enable", "3"}).code, 0);
    ASSERT_EQ(run({"disable", "3", "--repay"}).code, 0);
    EXPECT_EQ(host.stats(3).flags, XEN_COSHARE_CTL_REPAY);
}

TEST_F(Ctl, LendFlag)
{
    add_guest(3, 16);
    Outcome on = run({"enable", "3", "--lend"});
    ASSERT_EQ(on.code, 0) << on.err;
    EXPECT_EQ(on.out, "domain 3: hinting enabled, repayment off, lends to "
                      "other groups, no sharing group\n"
                      "note: domain 3 cannot hint until it has a group: "
                      "coshare-ctl group 3 N\n");
    EXPECT_EQ(host.stats(3).flags,
              XEN_COSHARE_CTL_ENABLE | XEN_COSHARE_CTL_LEND);
    ASSERT_EQ(run({"enable", "3", "--no-lend"}).code, 0);
    EXPECT_EQ(host.stats(3).flags, unsigned(XEN_COSHARE_CTL_ENABLE));
    EXPECT_NE(run({"enable", "3", "--lend", "--no-lend"}).code, 0);
}

TEST_F(Ctl, DisableKeepsSharedPagesShared)
{
    share_two_guests();
    ASSERT_EQ(run({"disable", "2"}).code, 0);
    EXPECT_EQ(host.p2m(2, 0).type, CS_P2M_SHARED);
    EXPECT_EQ(host.global_stats().saved, 16u);
    auto op = coshare::sim::make_batch_op(XENMEM_sharing_op_coshare_hint, KT, 1);
    xen_coshare_entry_t e{20, 0, {}, 0};
    EXPECT_EQ(host.op(2, false, op, &e), -EACCES);
}

TEST_F(Ctl, RepayRefusedWhileFifoIsShort)
{
    share_two_guests();
    ASSERT_GT(host.stats(2).bonus, host.stats(2).fifo_depth);
    Outcome r = run({"enable", "2", "--repay"});
    EXPECT_EQ(r.code, int(Exit::failure));
    EXPECT_TRUE(contains(r.err, "cannot promise repayment for domain 2: "
                                "its volatile FIFO is shorter than its bonus"))
        << r.err;
    EXPECT_EQ(host.stats(2).flags & XEN_COSHARE_CTL_REPAY, 0u);

    // Once the guest registers enough volatile pages, it works.
    host.vol_add(2, gfns(32, 16));
    EXPECT_EQ(run({"enable", "2", "--repay"}).code, 0);
    EXPECT_TRUE(host.stats(2).flags & XEN_COSHARE_CTL_REPAY);
}

// Quiet: the guest stops telling merges from inserts; under repayment its
// FIFO must cover all its mappings, not only its bonus.
TEST_F(Ctl, QuietHidesWhatOthersHold)
{
    share_two_guests();
    // Guest 1 owns the 16 frames: bonus 0, but 16 mappings.
    host.vol_add(1, gfns(32, 8));
    ASSERT_EQ(run({"enable", "1", "--repay"}).code, 0);
    Outcome r = run({"enable", "1", "--quiet"});
    EXPECT_EQ(r.code, int(Exit::failure));
    EXPECT_TRUE(contains(r.err, "(a quiet domain's: all its mappings)"))
        << r.err;
    EXPECT_EQ(host.stats(1).flags & XEN_COSHARE_CTL_QUIET, 0u);

    host.vol_add(1, gfns(40, 8));
    Outcome q = run({"enable", "1", "--quiet"});
    ASSERT_EQ(q.code, 0) << q.err;
    EXPECT_EQ(q.out, "domain 1: hinting enabled, repayment on, quiet, "
                     "sharing group 7\n");
    json j = run_json({"stats", "1", "--json"});
    EXPECT_EQ(j["flags"]["quiet"], true);
    EXPECT_EQ(j["flags"]["repay"], true);
    EXPECT_TRUE(contains(run({"stats"}).out, "enable,repay,quiet"));
    EXPECT_EQ(run({"disable", "1", "--no-quiet"}).out,
              "domain 1: hinting disabled, repayment on, sharing group 7\n");
}

TEST_F(Ctl, GroupChangeRefusedWhileSharing)
{
    share_two_guests();
    Outcome r = run({"group", "2", "8"});
    EXPECT_EQ(r.code, int(Exit::failure));
    EXPECT_TRUE(contains(r.err, "domain 2 has shared pages in its current "
                                "group"))
        << r.err;
    EXPECT_EQ(host.stats(2).group, 7u);
    EXPECT_EQ(run({"group", "2", "7"}).code, 0);   // same group: fine
}

// ---- stats -----------------------------------------------------------------

void expect_counters(const json& j, const xen_coshare_stats_t& s)
{
    for (const auto& f : kPerClassFields) {
        uint64_t total = 0;
        for (size_t c = 0; c < XEN_COSHARE_CLASS_NR; ++c) {
            EXPECT_EQ(j[std::string(f.key)][std::string(kClassKeys[c])],
                      (s.*f.member)[c])
                << f.key << " " << kClassKeys[c];
            total += (s.*f.member)[c];
        }
        EXPECT_EQ(j[std::string(f.key)]["total"], total) << f.key;
    }
    for (const auto& k : {"errors", "compare_fail", "frames", "mappings",
                          "saved", "bonus", "cow_copy", "cow_zero",
                          "cow_nocopy", "cow_enomem", "reclaims",
                          "fifo_depth", "unhinted", "notified"})
        ASSERT_TRUE(j.contains(k)) << k;
    EXPECT_EQ(j["errors"], s.errors);
    EXPECT_EQ(j["compare_fail"], s.compare_fail);
    EXPECT_EQ(j["frames"], s.frames);
    EXPECT_EQ(j["mappings"], s.mappings);
    EXPECT_EQ(j["saved"], s.saved);
    EXPECT_EQ(j["saved_bytes"], s.saved * 4096);
    EXPECT_EQ(j["bonus"], s.bonus);
    EXPECT_EQ(j["cow_copy"], s.cow_copy);
    EXPECT_EQ(j["cow_zero"], s.cow_zero);
    EXPECT_EQ(j["cow_nocopy"], s.cow_nocopy);
    EXPECT_EQ(j["reclaims"], s.reclaims);
    EXPECT_EQ(j["fifo_depth"], s.fifo_depth);
    EXPECT_EQ(j["unhinted"], s.unhinted);
    EXPECT_EQ(j["notified"], s.notified);
}

// A mix: duplicates of two classes, free pages, skips, errors, a CoW.
void make_activity(coshare::sim::Host& host)
{
    host.hint(1, PT, gfns(16, 8));
    host.hint(2, PT, gfns(16, 8));
    host.hint(2, ZERO, gfns(40, 10));
    host.hint(2, KT, {0, 1, 1000000});   // already shared, twice; ERANGE
    host.vol_add(2, gfns(50, 4));
    std::byte b{0x42};
    ASSERT_EQ(host.write(2, 3, 0, {&b, 1}), 0);
}

TEST_F(Ctl, StatsJsonOfOneDomainMatchesEngine)
{
    share_two_guests();
    make_activity(host);
    for (uint16_t d : {1, 2}) {
        json j = run_json({"stats", std::to_string(d), "--json"});
        xen_coshare_stats_t s = host.stats(d);
        EXPECT_EQ(j["domain"], d);
        EXPECT_EQ(j["tracked"], true);
        EXPECT_EQ(j["group"], 7);
        EXPECT_EQ(j["flags"]["enable"], true);
        EXPECT_EQ(j["flags"]["repay"], false);
        expect_counters(j, s);
        EXPECT_FALSE(j.contains("meta_bytes"));
    }
    // And numbers known from the activity itself, not only the engine's.
    json j2 = run_json({"stats", "2", "--json"});
    EXPECT_EQ(j2["shared"]["kernel_text"], 16);
    EXPECT_EQ(j2["shared"]["process_text"], 8);
    EXPECT_EQ(j2["hinted"]["zero"], 10);
    EXPECT_EQ(j2["skipped"]["kernel_text"], 2);
    EXPECT_EQ(j2["errors"], 1);
    EXPECT_EQ(j2["cow_copy"], 1);
    EXPECT_EQ(j2["fifo_depth"], 4);
}

TEST_F(Ctl, StatsJsonOfHostAndEveryDomain)
{
    share_two_guests();
    make_activity(host);
    add_guest(5, 4);   // exists, never enabled
    json j = run_json({"stats", "--json"});
    xen_coshare_stats_t g = host.global_stats();
    expect_counters(j["global"], g);
    EXPECT_EQ(j["global"]["domains"], g.domains);
    EXPECT_EQ(j["global"]["meta_bytes"], g.meta_bytes);
    // kernel text, process text, the zero frame's 9 extra, less the CoW.
    EXPECT_EQ(j["global"]["saved"], 16 + 8 + 9 - 1);
    ASSERT_EQ(j["domains"].size(), 2u);
    for (const auto& d : j["domains"]) {
        uint16_t id = d["domain"];
        expect_counters(d, host.stats(id));
    }
    EXPECT_EQ(j["domains"][0]["domain"], 1);
    EXPECT_EQ(j["domains"][1]["domain"], 2);
    EXPECT_EQ(j["untracked"], json::array({0, 5}));
}

// A metrics text as a scraper reads it: each sample's value by its name
// and labels ("name{labels}"), and each family's TYPE.  Fails the test on
// a line that is neither a comment nor "NAME[{LABELS}] VALUE", on a sample
// whose family has no TYPE line before it, and on a family typed twice.
struct Metrics {
    std::map<std::string, uint64_t> samples;
    std::map<std::string, std::string> types;
    bool eof = false;
};

Metrics parse_metrics(const std::string& text, bool openmetrics)
{
    Metrics m;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        EXPECT_FALSE(m.eof) << "a line after # EOF: " << line;
        if (line == "# EOF") {
            m.eof = true;
            continue;
        }
        if (line.rfind("# HELP ", 0) == 0)
            continue;
        if (line.rfind("# TYPE ", 0) == 0) {
            std::istringstream t(line.substr(7));
            std::string name, type;
            t >> name >> type;
            EXPECT_TRUE(m.types.emplace(name, type).second)
                << "typed twice: " << name;
            EXPECT_TRUE(type == "counter" || type == "gauge") << line;
            continue;
        }
        auto space = line.rfind(' ');
        if (space == std::string::npos) {
            ADD_FAILURE() << "not a sample: " << line;
            continue;
        }
        std::string key = line.substr(0, space);
        std::string name = key.substr(0, key.find('{'));
        for (char c : name)
            EXPECT_TRUE(std::islower(c) || c == '_') << line;
        std::string family = name;
        if (openmetrics && name.ends_with("_total"))
            family.resize(name.size() - 6);
        auto type = m.types.find(family);
        EXPECT_NE(type, m.types.end()) << "no TYPE before " << line;
        if (type != m.types.end()) {
            EXPECT_EQ(type->second == "counter", name.ends_with("_total"))
                << line;
        }
        m.samples[key] = std::stoull(line.substr(space + 1));
    }
    return m;
}

// A sample's value; a failure if the text has no such sample.
uint64_t sample(const Metrics& m, const std::string& key)
{
    auto it = m.samples.find(key);
    if (it == m.samples.end()) {
        ADD_FAILURE() << "no sample " << key;
        return ~0ull;
    }
    return it->second;
}

// stats --format prometheus|openmetrics: the counters of the JSON, each a
// family with HELP and TYPE, host-wide apart from per-domain, levels as
// gauges and growing counts as counters (named _total as each format
// wants), dom0's settings as labels; a domain coshare does not know is
// left out.
TEST_F(Ctl, StatsMetricsForAScrape)
{
    share_two_guests();
    make_activity(host);
    add_guest(5, 4);   // exists, never enabled
    for (bool om : {false, true}) {
        SCOPED_TRACE(om ? "openmetrics" : "prometheus");
        Outcome r = run({"stats", "--format", om ? "openmetrics" : "prometheus"});
        ASSERT_EQ(r.code, 0) << r.err;
        Metrics m = parse_metrics(r.out, om);
        EXPECT_EQ(m.eof, om);
        xen_coshare_stats_t g = host.global_stats();
        EXPECT_EQ(sample(m, "coshare_host_domains"), g.domains);
        EXPECT_EQ(sample(m, "coshare_host_saved"), g.saved);
        EXPECT_EQ(sample(m, "coshare_host_meta_bytes"), g.meta_bytes);
        EXPECT_EQ(sample(m, "coshare_host_reclaims_total"), g.reclaims);
        EXPECT_EQ(m.types[om ? "coshare_host_reclaims"
                             : "coshare_host_reclaims_total"],
                  "counter");
        EXPECT_EQ(m.types["coshare_host_frames"], "gauge");
        for (uint16_t d : {1, 2}) {
            xen_coshare_stats_t s = host.stats(d);
            std::string dom = "domain=\"" + std::to_string(d) + '"';
            EXPECT_EQ(sample(m, "coshare_domain_fifo_depth{" + dom + '}'),
                      s.fifo_depth);
            EXPECT_EQ(sample(m, "coshare_domain_cow_copy_total{" + dom + '}'),
                      s.cow_copy);
            EXPECT_EQ(sample(m, "coshare_domain_shared_total{" + dom +
                                ",class=\"kernel_text\"}"),
                      s.shared[XEN_COSHARE_CLASS_KERNEL_TEXT]);
            EXPECT_EQ(sample(m, "coshare_domain_settings{" + dom +
                                ",group=\"7\",flags=\"enable\",classes=\"all\"}"),
                      1u);
        }
        EXPECT_EQ(sample(m, "coshare_domain_hinted_total{domain=\"2\","
                            "class=\"zero\"}"),
                  10u);
        EXPECT_FALSE(contains(r.out, "domain=\"5\"")) << r.out;
        EXPECT_FALSE(contains(r.out, "coshare_domain_meta_bytes")) << r.out;
    }

    Outcome one = run({"stats", "2", "--format", "openmetrics"});
    ASSERT_EQ(one.code, 0) << one.err;
    Metrics m = parse_metrics(one.out, true);
    EXPECT_TRUE(m.eof);
    EXPECT_EQ(sample(m, "coshare_domain_reclaims_total{domain=\"2\"}"),
              host.stats(2).reclaims);
    EXPECT_FALSE(contains(one.out, "coshare_host_")) << one.out;
    EXPECT_FALSE(contains(one.out, "domain=\"1\"")) << one.out;

    EXPECT_EQ(run({"stats", "--format", "xml"}).code, int(Exit::usage));
    EXPECT_EQ(run({"stats", "--json", "--format", "json"}).code,
              int(Exit::usage));
}

// dom0 keeps a guest that must not share content to zero pages: its other
// hints are refused whole, what it shared stays, and it can read its mask.
TEST_F(Ctl, ClassesKeepADomainToZeroPages)
{
    share_two_guests(8);
    Outcome show = run({"classes", "2"});
    ASSERT_EQ(show.code, 0) << show.err;
    EXPECT_EQ(show.out, "domain 2: hint classes all\n");

    Outcome zero = run({"classes", "2", "zero"});
    ASSERT_EQ(zero.code, 0) << zero.err;
    EXPECT_EQ(zero.out, "domain 2: hint classes zero\n");
    auto op = coshare::sim::make_batch_op(XENMEM_sharing_op_coshare_hint, KT, 1);
    xen_coshare_entry_t e{};
    e.gfn = 20;
    EXPECT_EQ(host.op(2, false, op, &e), -EACCES);
    EXPECT_EQ(host.stats(2).classes, 1u << XEN_COSHARE_CLASS_ZERO);
    EXPECT_EQ(host.stats(2).mappings, 8u);       // shared before: stays
    host.fill(2, 30, std::vector<std::byte>(coshare::sim::kPage));
    auto z = host.hint(2, XEN_COSHARE_CLASS_ZERO, {30});
    EXPECT_EQ(z[0].result, XEN_COSHARE_RES_INSERTED);
    // Guest 1 is not affected.
    e = {};
    e.gfn = 40;
    auto op1 = coshare::sim::make_batch_op(XENMEM_sharing_op_coshare_hint, KT, 1);
    EXPECT_EQ(host.op(1, false, op1, &e), 0);

    EXPECT_EQ(run_json({"stats", "2", "--json"})["classes"], "zero");
    EXPECT_EQ(run({"classes", "2", "kernel_text,process_text"}).out,
              "domain 2: hint classes kernel_text,process_text\n");
    EXPECT_EQ(run({"classes", "2", "none"}).out,
              "domain 2: hint classes none\n");
    EXPECT_EQ(run({"classes", "2", "all"}).out,
              "domain 2: hint classes all\n");

    Outcome bad = run({"classes", "2", "zero,text"});
    EXPECT_EQ(bad.code, int(Exit::usage));
    EXPECT_TRUE(contains(bad.err, "unknown hint class \"text\"")) << bad.err;
    EXPECT_EQ(host.stats(2).classes, XEN_COSHARE_CLASSES_ALL);  // unchanged
    Outcome gone = run({"classes", "9", "zero"});
    EXPECT_EQ(gone.code, int(Exit::no_domain)) << gone.err;
}

TEST_F(Ctl, StatsTables)
{
    share_two_guests();
    Outcome all = run({"stats"});
    ASSERT_EQ(all.code, 0) << all.err;
    EXPECT_TRUE(contains(all.out, "host: 2 domains known to coshare, 16 "
                                  "shared frames, 32 mappings, 16 frames "
                                  "saved (0.06 MiB)"))
        << all.out;
    EXPECT_TRUE(contains(all.out, "domain  flags   group  hinted  shared"))
        << all.out;
    EXPECT_TRUE(contains(all.out, "\nglobal  -           -      32      16"))
        << all.out;
    EXPECT_TRUE(contains(all.out, "\n     2  enable      7      16      16"))
        << all.out;
    EXPECT_TRUE(contains(all.out, "not known to coshare: 0\n")) << all.out;

    Outcome one = run({"stats", "2"});
    ASSERT_EQ(one.code, 0) << one.err;
    EXPECT_TRUE(contains(one.out, "domain 2: hinting enabled, repayment off, "
                                  "sharing group 7, hint classes all\n"))
        << one.out;
    EXPECT_TRUE(contains(one.out, "kernel text        16      16         0"))
        << one.out;
    EXPECT_TRUE(contains(one.out, "\nframes saved" + std::string(18, ' ') + "16  "
                                  "(0.06 MiB)\n"))
        << one.out;
}

TEST_F(Ctl, StatsOfADomainCoshareHasNotMet)
{
    add_guest(4, 4);
    Outcome t = run({"stats", "4"});
    ASSERT_EQ(t.code, 0) << t.err;
    EXPECT_EQ(t.out, "domain 4: not known to coshare (never enabled or "
                     "grouped)\n");
    json j = run_json({"stats", "4", "--json"});
    EXPECT_EQ(j["tracked"], false);
    EXPECT_EQ(j["saved"], 0);
}

// ---- audit and version -----------------------------------------------------

TEST_F(Ctl, AuditCleanThenCorrupted)
{
    share_two_guests();
    Outcome ok = run({"audit"});
    EXPECT_EQ(ok.code, 0) << ok.err;
    EXPECT_EQ(ok.out, "audit: 0 violations, 16 frames and 32 mappings "
                      "checked\n");

    // A shared frame whose content no longer matches its hash.
    std::byte* frame = host.frame(host.p2m(1, 0).mfn);
    frame[100] ^= std::byte{1};
    unsigned expected = host.audit();
    ASSERT_GT(expected, 0u);
    Outcome bad = run({"audit"});
    EXPECT_EQ(bad.code, int(Exit::audit_errors));
    EXPECT_TRUE(contains(bad.out, "audit: " + std::to_string(expected) +
                                      (expected == 1 ? " violation," :
                                                       " violations,")))
        << bad.out;
    frame[100] ^= std::byte{1};
    EXPECT_EQ(run({"audit"}).code, 0);
}

TEST_F(Ctl, Version)
{
    Outcome r = run({"version"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "coshare ABI 3.0 (batch max 512, gfn max 0xffffffff)\n");
}

TEST_F(Ctl, ReserveIsSetInMibAndShown)
{
    Outcome r = run({"reserve", "8"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "copy-on-write reserve 8.00 MiB (2048 "
                                "frames); host free "))
        << r.out;
    xen_coshare_op_t o{};
    o.op = XENMEM_sharing_op_coshare_reserve;
    o.u.reserve.frames = XEN_COSHARE_RESERVE_QUERY;
    ASSERT_EQ(host.op(0, true, o), 0);
    EXPECT_EQ(o.u.reserve.frames, 2048u);
    Outcome shown = run({"reserve"});
    EXPECT_EQ(shown.code, 0) << shown.err;
    EXPECT_EQ(shown.out, r.out);
    ScriptedHypervisor denied([](xen_coshare_op_t& op) {
        if (op.op == XENMEM_sharing_op_coshare_version) {
            op.u.version.version = XEN_COSHARE_VERSION;
            return 0;
        }
        return -EPERM;
    });
    EXPECT_EQ(run({"reserve", "1"}, &denied).code, int(Exit::permission));
}

// ---- error mapping ---------------------------------------------------------

TEST_F(Ctl, MissingDomain)
{
    for (auto args : std::vector<std::vector<std::string>>{
             {"stats", "42"}, {"stats", "42", "--json"}, {"enable", "42"},
             {"disable", "42"}, {"group", "42", "3"}}) {
        Outcome r = run(args);
        EXPECT_EQ(r.code, int(Exit::no_domain)) << args[0];
        EXPECT_TRUE(contains(r.err, "coshare-ctl: domain 42 does not exist"))
            << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
    }
}

TEST_F(Ctl, StockHypervisorHasNoCoshare)
{
    // Stock Xen: -ENOSYS without mem_sharing, -ESRCH from its DOMID_SELF
    // lookup (not "missing domain"), -EOPNOTSUPP, -EINVAL, -EPERM.
    for (int err : {ENOSYS, ESRCH, EOPNOTSUPP, EINVAL, EPERM}) {
        ScriptedHypervisor stock([&](xen_coshare_op_t&) { return -err; });
        for (auto args : std::vector<std::vector<std::string>>{
                 {"version"}, {"stats"}, {"enable", "1"}, {"audit"}}) {
            Outcome r = run(args, &stock);
            EXPECT_EQ(r.code, int(Exit::no_coshare)) << args[0] << " " << err;
            EXPECT_TRUE(contains(r.err, "coshare-ctl: this hypervisor has no "
                                        "coshare support (stock Xen?)"))
                << r.err;
            EXPECT_TRUE(contains(r.err, strerrorname_np(err))) << r.err;
        }
    }
}

TEST_F(Ctl, OtherAbiMajorIsRefused)
{
    ScriptedHypervisor other([](xen_coshare_op_t& op) {
        op.u.version.version = 0x00040001;
        return 0;
    });
    Outcome r = run({"stats"}, &other);
    EXPECT_EQ(r.code, int(Exit::no_coshare));
    EXPECT_TRUE(contains(r.err, "speaks coshare ABI 4.1, this tool ABI 3.x"))
        << r.err;
    Outcome v = run({"version"}, &other);
    EXPECT_EQ(v.code, int(Exit::no_coshare));
    EXPECT_TRUE(contains(v.out, "coshare ABI 4.1")) << v.out;
}

TEST_F(Ctl, GuestIsNotAllowed)
{
    add_guest(1, 8);
    add_guest(5, 8);
    SimHypervisor guest(host, 5, false);   // run inside domU 5
    for (auto args : std::vector<std::vector<std::string>>{
             {"enable", "1"}, {"group", "1", "2"}, {"audit"}, {"stats"}}) {
        Outcome r = run(args, &guest);
        EXPECT_EQ(r.code, int(Exit::permission)) << args[0];
        EXPECT_TRUE(contains(r.err, "permission denied by the hypervisor"))
            << r.err;
        EXPECT_TRUE(contains(r.err, "only the control domain (dom0)"))
            << r.err;
    }
}

TEST_F(Ctl, SpecificRefusals)
{
    auto failing = [&](int op_code, int err) {
        return ScriptedHypervisor([=](xen_coshare_op_t& op) {
            if (op.op == XENMEM_sharing_op_coshare_version) {
                op.u.version.version = XEN_COSHARE_VERSION;
                return 0;
            }
            return op.op == op_code ? -err : 0;
        });
    };
    auto pv = failing(XENMEM_sharing_op_coshare_control, EOPNOTSUPP);
    Outcome r = run({"enable", "9"}, &pv);
    EXPECT_EQ(r.code, int(Exit::failure));
    EXPECT_TRUE(contains(r.err, "domain 9 is a PV guest")) << r.err;

    auto nohap = failing(XENMEM_sharing_op_coshare_control, ENODEV);
    r = run({"enable", "9"}, &nohap);
    EXPECT_TRUE(contains(r.err, "hardware-assisted paging")) << r.err;

    auto views = failing(XENMEM_sharing_op_coshare_control, EXDEV);
    r = run({"enable", "9"}, &views);
    EXPECT_TRUE(contains(r.err, "passthrough devices or alternate p2m views"))
        << r.err;

    auto eio = failing(XENMEM_sharing_op_coshare_audit, EIO);
    r = run({"audit"}, &eio);
    EXPECT_EQ(r.code, int(Exit::failure));
    EXPECT_EQ(r.err, "coshare-ctl: run the coshare audit failed: "
                     "Input/output error (EIO)\n");
}

TEST(CtlErrors, OpErrorMapping)
{
    Error e = op_error("read", -ESRCH, uint16_t{3});
    EXPECT_EQ(e.code(), Exit::no_domain);
    EXPECT_STREQ(e.what(), "domain 3 does not exist (read)");
    EXPECT_EQ(op_error("x", -EPERM, std::nullopt).code(), Exit::permission);
    EXPECT_EQ(op_error("x", -EACCES, std::nullopt).code(), Exit::permission);
    EXPECT_EQ(op_error("x", -EIO, std::nullopt).code(), Exit::failure);
    EXPECT_EQ(describe_errno(-ENOSYS), "Function not implemented (ENOSYS)");
}

// A domain may be named as xl names it, wherever an id is taken; the
// output says the id.  A name no domain has, or several have, is an error
// of its own, after the lookup.
TEST_F(Ctl, DomainsByName)
{
    share_two_guests();
    sim_domains.set_name(1, "web");
    sim_domains.set_name(2, "db");
    json j = run_json({"stats", "db", "--json"});
    EXPECT_EQ(j["domain"], 2);
    Outcome c = run({"classes", "web", "zero"});
    ASSERT_EQ(c.code, 0) << c.err;
    EXPECT_EQ(c.out, "domain 1: hint classes zero\n");
    Outcome g = run({"disable", "web"});
    ASSERT_EQ(g.code, 0) << g.err;
    EXPECT_EQ(host.stats(1).flags & XEN_COSHARE_CTL_ENABLE, 0u);
    EXPECT_NE(host.stats(2).flags & XEN_COSHARE_CTL_ENABLE, 0u);
    EXPECT_EQ(run_json({"stats", "Domain-0", "--json"})["domain"], 0);

    Outcome none = run({"enable", "mail"});
    EXPECT_EQ(none.code, int(Exit::no_domain));
    EXPECT_TRUE(contains(none.err, "no domain is named \"mail\"")) << none.err;
    sim_domains.set_name(2, "web");
    Outcome two = run({"group", "web", "3"});
    EXPECT_EQ(two.code, int(Exit::failure));
    EXPECT_TRUE(contains(two.err, "several domains are named \"web\": 1, 2"))
        << two.err;
}

// ---- arguments -------------------------------------------------------------

TEST_F(Ctl, BadArgumentsNeverReachXen)
{
    struct Case {
        std::vector<std::string> args;
        std::string message;
    };
    const std::vector<Case> cases{
        {{}, "A subcommand is required"},
        {{"frobnicate"}, "A subcommand is required"},
        {{"enable"}, "DOMAIN is required"},
        {{"enable", "-1"}, "a domain id is a decimal number 0..32751, not "
                           "\"-1\""},
        {{"enable", ""}, "a domain is an id or a name"},
        {{"enable", "32752"}, "not \"32752\""},
        {{"enable", "1", "--repay", "--no-repay"}, "excludes"},
        {{"disable", "1", "2"}, "not expected: 2"},
        {{"group", "1"}, "N is required"},
        {{"group", "1", "0"}, "group 0 means \"none\" and cannot be set"},
        {{"group", "1", "65536"}, "a sharing group is a decimal number "
                                  "1..65535"},
        {{"group", "1", "x"}, "not \"x\""},
        {{"stats", "1", "2"}, "not expected: 2"},
        {{"stats", "--csv"}, "--csv"},
        {{"watch"}, "--interval is required"},
        {{"watch", "--interval", "0"}, "--interval"},
        {{"watch", "--interval", "-1"}, "--interval"},
        {{"watch", "--interval", "1", "--count", "0"}, "--count"},
        {{"plot", "x.csv"}, "--output is required"},
        {{"audit", "1"}, "not expected: 1"},
        {{"version", "--json"}, "--json"},
        {{"reserve", "-5"}, "MIB"},
        {{"reserve", "lots"}, "MIB"},
        {{"reserve", "1", "2"}, "not expected: 2"},
    };
    for (const auto& c : cases) {
        Outcome r = run(c.args);
        std::string shown;
        for (const auto& a : c.args)
            shown += a + " ";
        EXPECT_EQ(r.code, int(Exit::usage)) << shown;
        EXPECT_TRUE(contains(r.err, c.message)) << shown << ": " << r.err;
    }
    EXPECT_EQ(connects, 0);
}

TEST_F(Ctl, HelpEverywhere)
{
    Outcome top = run({"--help"});
    EXPECT_EQ(top.code, 0);
    for (const char* cmd : {"enable", "disable", "group", "stats", "watch",
                            "plot", "audit", "reserve", "version"}) {
        EXPECT_TRUE(contains(top.out, cmd)) << cmd;
        Outcome r = run({cmd, "--help"});
        EXPECT_EQ(r.code, 0) << cmd;
        EXPECT_TRUE(contains(r.out, std::string("Usage: coshare-ctl ") + cmd))
            << r.out;
        EXPECT_TRUE(contains(r.out, "Exit status:")) << r.out;
    }
    EXPECT_EQ(connects, 0);
}

// ---- watch -----------------------------------------------------------------

std::vector<std::vector<std::string>> csv_rows_of(const std::string& text,
                                                  std::string* header)
{
    std::istringstream in(text);
    std::string line;
    std::getline(in, *header);
    std::vector<std::vector<std::string>> rows;
    while (std::getline(in, line)) {
        std::vector<std::string> cells;
        std::stringstream ls(line);
        std::string c;
        while (std::getline(ls, c, ','))
            cells.push_back(c);
        if (!line.empty() && line.back() == ',')
            cells.emplace_back();
        rows.push_back(cells);
    }
    return rows;
}

TEST_F(Ctl, WatchWritesCsvOnTheClock)
{
    share_two_guests(8);
    // Between samples guest 2 shares 8 more pages each time.
    std::vector<uint64_t> saved{host.global_stats().saved};
    clock.on_sleep = [&](int n) {
        host.hint(1, KT, gfns(8 * n + 8, 8));
        host.hint(2, KT, gfns(8 * n + 8, 8));
        saved.push_back(host.global_stats().saved);
    };
    Outcome r = run({"watch", "--interval", "2.5", "--count", "3"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(clock.sleeps, 2);   // none after the last sample

    std::string header;
    auto rows = csv_rows_of(r.out, &header);
    EXPECT_EQ(header + "\n", csv_header());
    EXPECT_TRUE(header.starts_with("timestamp,elapsed_s,domain,flags,group,"
                                   "hinted_kernel_text,"))
        << header;
    const size_t ncol = std::count(header.begin(), header.end(), ',') + 1;
    CsvTable t;
    std::stringstream hs(header);
    for (std::string c; std::getline(hs, c, ',');)
        t.header.push_back(c);
    const size_t saved_col = t.column("saved"), flags_col = t.column("flags"),
                 meta_col = t.column("meta_bytes");

    ASSERT_EQ(rows.size(), 9u);   // 3 samples x (host + 2 domains)
    const char* stamps[] = {"2026-11-23T06:00:00.000Z",
                            "2026-11-23T06:00:02.500Z",
                            "2026-11-23T06:00:05.000Z"};
    const char* elapsed[] = {"0.000", "2.500", "5.000"};
    for (size_t i = 0; i < rows.size(); ++i) {
        const auto& row = rows[i];
        size_t sample = i / 3;
        ASSERT_EQ(row.size(), ncol) << i;
        EXPECT_EQ(row[0], stamps[sample]);
        EXPECT_EQ(row[1], elapsed[sample]);
        EXPECT_EQ(row[2], i % 3 == 0 ? "global" : std::to_string(i % 3));
        if (i % 3 == 0) {
            EXPECT_EQ(row[saved_col], std::to_string(saved[sample]));
            EXPECT_EQ(row[flags_col], "");
            EXPECT_NE(row[meta_col], "");
        } else {
            EXPECT_EQ(row[flags_col], "1");
            EXPECT_EQ(row[meta_col], "");
        }
    }
    EXPECT_EQ(saved, (std::vector<uint64_t>{8, 16, 24}));
    // Domain 2's saved column is its bonus: all of it.
    EXPECT_EQ(rows[8][saved_col], "24");
}

TEST_F(Ctl, WatchToFileUntilStopped)
{
    add_guest(1, 8);
    ASSERT_EQ(run({"enable", "1"}).code, 0);
    clock.stop_after = 4;   // SIGINT during the fourth sleep
    fs::path csv = dir_ / "w.csv";
    Outcome r = run({"watch", "--interval", "60", "--output", csv.string()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "");
    CsvTable t = read_csv(csv);
    ASSERT_EQ(t.rows.size(), 8u);   // 4 samples x (host + domain 1)
    EXPECT_EQ(t.rows[6][t.column("elapsed_s")], "180.000");
    EXPECT_EQ(t.rows[7][t.column("domain")], "1");

    Outcome bad = run({"watch", "--interval", "1", "--count", "1", "--output",
                   (dir_ / "no" / "such" / "dir.csv").string()});
    EXPECT_EQ(bad.code, int(Exit::failure));
    EXPECT_TRUE(contains(bad.err, "cannot write")) << bad.err;
}

// ---- plot ------------------------------------------------------------------

bool have_gnuplot()
{
    const char* path = std::getenv("PATH");
    std::stringstream ps(path ? path : "");
    for (std::string d; std::getline(ps, d, ':');)
        if (!d.empty() && ::access((fs::path(d) / "gnuplot").c_str(), X_OK) == 0)
            return true;
    return false;
}

bool is_png(const fs::path& p)
{
    std::ifstream in(p, std::ios::binary);
    std::string head(8, '\0');
    in.read(head.data(), 8);
    return in && head == std::string("\x89PNG\r\n\x1a\n", 8);
}

TEST_F(Ctl, PlotWritesPng)
{
    if (!have_gnuplot())
        GTEST_SKIP() << "gnuplot is not installed (ci/install-deps.sh "
                        "installs gnuplot-nox)";
    share_two_guests(8);
    clock.on_sleep = [&](int n) {
        host.hint(1, KT, gfns(8 * n + 8, 8));
        host.hint(2, KT, gfns(8 * n + 8, 8));
    };
    fs::path csv = dir_ / "w.csv", png = dir_ / "saved 'it'.png";
    ASSERT_EQ(run({"watch", "--interval", "1", "--count", "4", "--output",
                   csv.string()})
                  .code,
              0);
    Outcome r = run({"plot", csv.string(), "--output", png.string()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "wrote " + png.string() + "\n");
    EXPECT_TRUE(is_png(png));
    EXPECT_GT(fs::file_size(png), 1000u);
    // Only the PNG is left behind.
    EXPECT_EQ(std::distance(fs::directory_iterator(dir_),
                            fs::directory_iterator{}),
              2);
}

TEST_F(Ctl, PlotWithoutGnuplot)
{
    fs::path csv = dir_ / "w.csv", png = dir_ / "out.png";
    ASSERT_EQ(run({"watch", "--interval", "1", "--count", "2", "--output",
                   csv.string()})
                  .code,
              0);
    Outcome r = run({"plot", csv.string(), "--output", png.string(), "--gnuplot",
                 (dir_ / "no-gnuplot").string()});
    EXPECT_EQ(r.code, int(Exit::no_gnuplot));
    EXPECT_TRUE(contains(r.err, "plot needs gnuplot")) << r.err;
    EXPECT_TRUE(contains(r.err, "apt-get install gnuplot-nox")) << r.err;
    EXPECT_FALSE(fs::exists(png));
    EXPECT_EQ(connects, 1);   // watch only: plot never opens Xen
}

TEST_F(Ctl, PlotRejectsBadCsv)
{
    auto write = [&](const std::string& name, const std::string& text) {
        fs::path p = dir_ / name;
        std::ofstream(p) << text;
        return p.string();
    };
    std::string png = (dir_ / "x.png").string();
    Outcome missing = run({"plot", (dir_ / "none.csv").string(), "--output", png});
    EXPECT_EQ(missing.code, int(Exit::failure));
    EXPECT_TRUE(contains(missing.err, "cannot read")) << missing.err;

    Outcome ragged = run({"plot",
                      write("r.csv", "timestamp,elapsed_s,domain,saved\n"
                                     "t,0,global,1\nt,1,global\n"),
                      "--output", png});
    EXPECT_EQ(ragged.code, int(Exit::failure));
    EXPECT_TRUE(contains(ragged.err, "r.csv:3: 3 fields, the header has 4"))
        << ragged.err;

    Outcome nocol = run({"plot", write("n.csv", "a,b\n1,2\n"), "--output", png});
    EXPECT_EQ(nocol.code, int(Exit::failure));
    EXPECT_TRUE(contains(nocol.err, "no column \"timestamp\"")) << nocol.err;

    Outcome nan = run({"plot",
                   write("x.csv", "timestamp,elapsed_s,domain,saved\n"
                                  "t,0,global,lots\n"),
                   "--output", png});
    EXPECT_EQ(nan.code, int(Exit::failure));
    EXPECT_TRUE(contains(nan.err, "saved is not a number: \"lots\""))
        << nan.err;

    Outcome empty = run({"plot", write("e.csv", "timestamp,elapsed_s,domain,"
                                            "saved\n"),
                     "--output", png});
    EXPECT_TRUE(contains(empty.err, "no samples")) << empty.err;
    EXPECT_FALSE(fs::exists(png));
}

TEST(CtlPlot, ScriptHasDataAndQuotedOutput)
{
    CsvTable t;
    t.header = {"timestamp", "elapsed_s", "domain", "saved"};
    t.rows = {{"T0", "0.000", "global", "256"},
              {"T0", "0.000", "3", "256"},
              {"T1", "1.500", "global", "512"},
              {"T1", "1.500", "3", "512"}};
    PlotData d = plot_data(t);
    ASSERT_EQ(d.series.size(), 2u);
    EXPECT_EQ(d.start, "T0");
    EXPECT_EQ(d.series[1].title, "domain 3");
    EXPECT_EQ(d.series[0].points[1], (std::pair<double, double>{1.5, 2.0}));
    std::string s = gnuplot_script(d, "/tmp/it's.png");
    EXPECT_TRUE(contains(s, "$s0 << EOD\n0.000 1.000000\n1.500 2.000000\nEOD"))
        << s;
    EXPECT_TRUE(contains(s, "set output '/tmp/it''s.png'")) << s;
    EXPECT_TRUE(contains(s, "title 'domain 3'")) << s;
}

TEST(CtlCsv, Timestamps)
{
    auto t = sys_days{year{2026} / 1 / 2} + hours{3} + minutes{4} +
             seconds{5} + milliseconds{67};
    EXPECT_EQ(iso8601_utc(t), "2026-01-02T03:04:05.067Z");
}

// ---- the binary ------------------------------------------------------------

Outcome run_binary(const std::string& args)
{
    auto c = coshare::testing::run_command(std::string(CTL_BIN) + " " + args + " 2>&1");
    Outcome r;
    r.code = c.status;
    r.out = c.out;
    return r;
}

TEST(CtlBinary, OutsideDom0)
{
    if (fs::exists("/dev/xen/privcmd") || fs::exists("/proc/xen/privcmd"))
        GTEST_SKIP() << "this machine has privcmd";
    for (const char* cmd : {"version", "stats", "stats 1 --json",
                            "enable 1", "audit", "watch --interval 1"}) {
        Outcome r = run_binary(cmd);
        EXPECT_EQ(r.code, int(Exit::not_dom0)) << cmd;
        EXPECT_EQ(r.out, "coshare-ctl: not in a Xen dom0: /dev/xen/privcmd "
                         "does not exist (coshare-ctl runs in dom0 of a Xen "
                         "host, with the xen-privcmd driver)\n")
            << cmd;
    }
    // Arguments are checked first; help needs no Xen.
    EXPECT_EQ(run_binary("group 1 0").code, int(Exit::usage));
    Outcome help = run_binary("--help");
    EXPECT_EQ(help.code, 0);
    EXPECT_TRUE(contains(help.out, "Usage: coshare-ctl")) << help.out;
}

}  // namespace
