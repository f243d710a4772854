// SPDX-License-Identifier: MIT
// coshare_probe.cc - a guest-side test driver for the coshare hypercalls,
// run inside PVH guests by the nested-VM tests.  It issues the ops raw,
// through the test module coshare_probe.ko (guest-driver/probe), so it can
// also behave as a hostile guest:
//   coshare-probe version
//   coshare-probe share --pattern P --pages N [--write] [--delay S] [--hold S]
//   coshare-probe hint --first GFN --count N [--rounds R [--paced]] (own gfns, timed)
//   coshare-probe hostile --ops N [--seed S]
//   coshare-probe hostile-memory --rounds N --pattern P [--seed S] [--grantee D]
//                                [--wait-line]
//   coshare-probe pagetables        (none of the kernel's tables is shared)
//   coshare-probe kernel-text       (how much of the kernel text is shared)
//   coshare-probe fill-at-limit --first GFN --pages N   (stock CoW at max_pages)
//   coshare-probe writers --file F --pages N --seconds S   (every vCPU)
//   coshare-probe exec-rewrite --file F --pages N --seconds S
// Every command prints one JSON line (paced hint rounds one more each,
// hostile-memory its grants first, each line led by its name) and
// exits 0 only when its checks held.
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xen/xen.h>

#include "hostile_memory.h"
#include "probe_device.h"
#include "stock_at_limit.h"
#include "writers.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace coshare::vm;

int cmd_version(const ProbeDevice& pc)
{
    auto op = make_op(XENMEM_sharing_op_coshare_version);
    long rc = pc.op(op);
    nlohmann::json j{{"rc", rc}};
    if (rc == 0)
        j["version"] = op.u.version.version;
    std::cout << j.dump() << '\n';
    return rc == 0 && (op.u.version.version >> 16) == (XEN_COSHARE_VERSION >> 16)
               ? 0 : 1;
}

int cmd_share(const ProbeDevice& pc, uint32_t pattern, size_t pages, bool write,
              unsigned delay, unsigned hold, bool wait_line)
{
    LockedBuffer data(pages * kPage);
    for (size_t i = 0; i < pages; ++i)
        fill(data.page(i), pattern, i);

    std::vector<uint64_t> gfns(pages);
    for (size_t i = 0; i < pages; ++i)
        gfns[i] = gfn_of(data.page(i));
    auto [results, first_error] = hint_gfns(pc, gfns);

    if (delay) {
        // Lets the test change the host (e.g. use up its free memory)
        // between the hints and the writes.
        std::cout << nlohmann::json{{"phase", "hinted"}, {"rc", first_error},
                                    {"results", results}}.dump()
                  << std::endl;
        std::this_thread::sleep_for(std::chrono::seconds(delay));
    }
    if (wait_line) {
        std::cout << nlohmann::json{{"phase", "waiting"}, {"rc", first_error},
                                    {"results", results}}.dump()
                  << std::endl;
        if (!wait_for_line(std::cin))
            throw std::runtime_error("stdin closed before the line came");
    }

    // Copy-on-write: every page must still read back as written.
    uint64_t intact = 0;
    std::array<std::byte, kPage> expect;
    for (size_t i = 0; i < pages; ++i) {
        fill(expect.data(), pattern, i);
        if (write) {
            data.page(i)[17] = std::byte{0xa5};
            expect[17] = std::byte{0xa5};
        }
        intact += memcmp(data.page(i), expect.data(), kPage) == 0;
    }
    nlohmann::json j{{"pages", pages}, {"rc", first_error}, {"intact", intact},
                     {"results", results}};
    std::cout << j.dump() << std::endl;
    if (hold)
        std::this_thread::sleep_for(std::chrono::seconds(hold));
    return first_error == 0 && intact == pages ? 0 : 1;
}

double ms_between(std::chrono::steady_clock::time_point a,
                  std::chrono::steady_clock::time_point b)
{
    return std::chrono::duration<double, std::milli>(b - a).count();
}

// A nonblank line: a console may turn one typed line into "go\r\n".

// Hints a range of this guest's own gfns as process text (hashed and
// compared by Xen, whatever they hold) and times it: the hint path of the
// stock-vs-hint comparison.  With rounds > 1 the range is unhinted (made
// private again, untimed) between rounds and "ms" is the median round, so
// one slow round on a noisy host does not decide the figure.  Paced, each
// round waits for a line on stdin (dom0 writes it to the guest's console
// when its own stock sample is done) and prints its own JSON line, so that
// both paths are timed side by side on a host whose speed drifts.
int cmd_hint(const ProbeDevice& pc, uint64_t first, uint64_t count,
             unsigned rounds, bool paced)
{
    std::vector<uint64_t> gfns(count);
    for (uint64_t i = 0; i < count; ++i)
        gfns[i] = first + i;
    std::vector<double> round_ms;
    HintTally t;
    for (unsigned r = 0; r < rounds && t.first_error == 0; ++r) {
        if (paced && !wait_for_line(std::cin)) {
            std::cerr << "coshare-probe: stdin closed before round " << r
                      << " (paced rounds wait for a line each)\n";
            return 1;
        }
        auto u0 = std::chrono::steady_clock::now();
        if (r > 0) {
            HintTally u = batch_gfns(pc, gfns, XENMEM_sharing_op_coshare_unhint);
            if (u.first_error) {
                t.first_error = u.first_error;
                break;
            }
        }
        auto t0 = std::chrono::steady_clock::now();
        HintTally h = hint_gfns(pc, gfns);
        round_ms.push_back(ms_between(t0, std::chrono::steady_clock::now()));
        if (paced)
            std::cout << nlohmann::json{{"round", r}, {"ms", round_ms.back()},
                                        {"unhint_ms", ms_between(u0, t0)},
                                        {"shared", h.results.contains("shared")
                                                       ? h.results.at("shared") : 0},
                                        {"rc", h.first_error}}.dump()
                      << std::endl;
        if (r == 0 || h.first_error)
            t = h;  // the first round's results (later ones repeat them)
    }
    std::vector<double> sorted = round_ms;
    std::sort(sorted.begin(), sorted.end());
    double ms = sorted.empty() ? 0 : sorted[sorted.size() / 2];
    std::cout << nlohmann::json{{"pages", count}, {"rc", t.first_error},
                                {"ms", ms}, {"round_ms", round_ms},
                                {"results", t.results}}.dump()
              << std::endl;
    return t.first_error == 0 ? 0 : 1;
}

// The kernel's page tables must never be shared (the CPU and Xen write
// them on every walk): each is unhinted, and none may have been shared.
int cmd_pagetables(const ProbeDevice& pc)
{
    auto pfns = pc.tables();
    std::sort(pfns.begin(), pfns.end());
    pfns.erase(std::unique(pfns.begin(), pfns.end()), pfns.end());
    HintTally t = batch_gfns(pc, pfns, XENMEM_sharing_op_coshare_unhint);
    uint64_t shared = t.results.contains("done") ? t.results.at("done") : 0;
    std::cout << nlohmann::json{{"tables", pfns.size()}, {"shared", shared},
                                {"rc", t.first_error},
                                {"results", t.results}}.dump()
              << std::endl;
    return t.first_error == 0 && shared == 0 && !pfns.empty() ? 0 : 1;
}

// The kernel text's pfns, from /proc/iomem's "Kernel code" (root reads the
// real addresses).
std::vector<uint64_t> kernel_text_pfns()
{
    std::ifstream iomem("/proc/iomem");
    for (std::string line; std::getline(iomem, line);) {
        if (line.find(" : Kernel code") == std::string::npos)
            continue;
        uint64_t start = std::stoull(line, nullptr, 16);
        uint64_t end = std::stoull(line.substr(line.find('-') + 1), nullptr, 16);
        std::vector<uint64_t> pfns;
        for (uint64_t pfn = (start + kPage - 1) / kPage; pfn < (end + 1) / kPage; ++pfn)
            pfns.push_back(pfn);
        return pfns;
    }
    throw std::runtime_error("/proc/iomem has no \"Kernel code\" (not root?)");
}

// How much of the kernel text is shared now: hinted again as kernel text,
// a shared page is "already" shared, and a page equal to another guest's
// is merged on the spot.  Neither changes what the guest sees.
int cmd_kernel_text(const ProbeDevice& pc)
{
    auto pfns = kernel_text_pfns();
    HintTally t = hint_gfns(pc, pfns, XEN_COSHARE_CLASS_KERNEL_TEXT);
    auto get = [&](const char* k) {
        return t.results.contains(k) ? t.results.at(k) : uint64_t{0};
    };
    uint64_t shared = get("skipped_already");
    std::cout << nlohmann::json{{"pages", pfns.size()},
                                {"text_shared", shared},
                                {"text_merged_now", get("shared")},
                                {"rc", t.first_error},
                                {"results", t.results}}.dump()
              << std::endl;
    return t.first_error == 0 ? 0 : 1;
}

// Random malformed and foreign ops: each must fail with the errno the ABI
// documents, and the hypervisor must survive them all.
int cmd_hostile(const ProbeDevice& pc, unsigned ops, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::vector<xen_coshare_entry_t> ents(XEN_COSHARE_BATCH_MAX);
    std::map<long, uint64_t> errnos;
    uint64_t wrong = 0;

    for (unsigned n = 0; n < ops; ++n) {
        auto o = make_op(0);
        auto* op = &o;
        unsigned kind = rng() % 10;
        long want = 0;          // 0: any result is fine
        bool entries_fail = false;  // every entry must come back RES_ERROR
        size_t len = 0;         // entry bytes passed through the module
        bool raw = false;
        switch (kind) {
        case 0:                 // a batch op on another domain
            op->op = XENMEM_sharing_op_coshare_hint + rng() % 4;
            // dom0, or ids far above the test guests' own
            op->domain = rng() % 2 ? 0 : static_cast<domid_t>(100 + rng() % 0x7f00);
            op->u.batch.nr = 1;
            len = sizeof(ents[0]);
            want = -EPERM;
            break;
        case 1:                 // too big a batch
            op->op = XENMEM_sharing_op_coshare_hint;
            op->u.batch.nr = XEN_COSHARE_BATCH_MAX + 1 + rng() % 100000;
            len = sizeof(ents[0]);
            want = -E2BIG;
            break;
        case 2:                 // nonzero padding
            op->op = XENMEM_sharing_op_coshare_hint;
            op->pad1 = 1 + rng() % 1000;
            want = -EINVAL;
            break;
        case 3:                 // dom0-only ops from a guest
            op->op = XENMEM_sharing_op_coshare_control +
                     rng() % (XENMEM_sharing_op_coshare_classes -
                              XENMEM_sharing_op_coshare_control + 1);
            op->domain = static_cast<domid_t>(rng() % 4 + 1);
            want = -EPERM;
            break;
        case 4: {               // random gfns: hint (never as zero) or unhint
            // A guest can hurt only itself, but this one must keep running:
            // no zero-class hints and no volatile registrations of its pages.
            op->op = rng() % 2 ? XENMEM_sharing_op_coshare_hint
                               : XENMEM_sharing_op_coshare_unhint;
            op->u.batch.hint_class =
                op->op == XENMEM_sharing_op_coshare_hint ? rng() % 3 : 0;
            op->u.batch.nr = rng() % (XEN_COSHARE_BATCH_MAX + 1);
            for (uint32_t i = 0; i < op->u.batch.nr; ++i)
                ents[i] = entry(rng() >> (rng() % 64));
            len = op->u.batch.nr * sizeof(ents[0]);
            break;
        }
        case 5:                 // bad class
            op->op = XENMEM_sharing_op_coshare_hint;
            op->u.batch.hint_class = XEN_COSHARE_CLASS_NR + rng() % 200;
            op->u.batch.nr = 1;
            len = sizeof(ents[0]);
            want = -EINVAL;
            break;
        case 8:                 // volatile gfns never registered (above
                                // the guest's memory, so never its own)
            op->op = XENMEM_sharing_op_coshare_vol_del;
            op->u.batch.nr = 1 + rng() % XEN_COSHARE_BATCH_MAX;
            for (uint32_t i = 0; i < op->u.batch.nr; ++i)
                ents[i] = entry((1ULL << 24) + (rng() >> (rng() % 40)));
            len = op->u.batch.nr * sizeof(ents[0]);
            entries_fail = true;
            break;
        case 9:                 // volatile gfns beyond any guest's memory
            op->op = XENMEM_sharing_op_coshare_vol_add;
            op->u.batch.nr = 1 + rng() % XEN_COSHARE_BATCH_MAX;
            for (uint32_t i = 0; i < op->u.batch.nr; ++i)
                ents[i] = entry((1ULL << 30) + (rng() >> (rng() % 34)));
            len = op->u.batch.nr * sizeof(ents[0]);
            entries_fail = true;
            break;
        case 6:                 // unknown sub-op
            op->op = XENMEM_sharing_op_coshare_classes + 1 + rng() % 200;
            want = -EOPNOTSUPP;
            break;
        default:                // entries pointer into nowhere
            op->op = XENMEM_sharing_op_coshare_vol_del;
            op->u.batch.nr = 1 + rng() % 8;
            set_xen_guest_handle(op->u.batch.entries,
                reinterpret_cast<xen_coshare_entry_t*>(0x10000ULL + (rng() % 64) * kPage));
            raw = true;
            want = -EFAULT;
            break;
        }
        long rc = pc.op(*op, len ? ents.data() : nullptr, len, raw);
        errnos[rc]++;
        if (entries_fail) {
            // Disabled guests get -EACCES for vol_add; otherwise each entry
            // must fail on its own (-ENOENT, -ERANGE, -EEXIST).
            bool ok = rc == 0 || (rc == -EACCES && op->op == XENMEM_sharing_op_coshare_vol_add);
            for (uint32_t i = 0; ok && rc == 0 && i < op->u.batch.nr; ++i)
                ok = ents[i].result == XEN_COSHARE_RES_ERROR && ents[i].error < 0;
            if (!ok) {
                if (wrong < 10)
                    std::cerr << "op " << unsigned(op->op) << " kind " << kind
                              << ": an unregistered or out-of-range gfn was accepted\n";
                ++wrong;
            }
            continue;
        }
        if (want && rc != want) {
            if (wrong < 10)
                std::cerr << "op " << unsigned(op->op) << " kind " << kind
                          << ": got " << rc << ", want " << want << '\n';
            ++wrong;
        }
    }
    nlohmann::json j{{"ops", ops}, {"wrong", wrong}};
    for (auto [rc, count] : errnos)
        j["rc"][std::to_string(rc)] = count;
    std::cout << j.dump() << std::endl;
    return wrong == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"coshare-probe: drive coshare hypercalls from inside a guest"};
    app.require_subcommand(1);
    auto* version = app.add_subcommand("version", "query the coshare ABI version");
    uint32_t pattern = 1;
    size_t pages = 256;
    bool write = false;
    unsigned hold = 0;
    auto* share = app.add_subcommand("share", "hint pages of known content");
    share->add_option("--pattern", pattern, "content seed")->capture_default_str();
    share->add_option("--pages", pages, "pages to hint")
        ->check(CLI::Range(1, 1 << 20))->capture_default_str();
    share->add_flag("--write", write, "write each page after hinting (CoW)");
    share->add_option("--hold", hold, "seconds to keep the pages afterwards");
    unsigned delay = 0;
    share->add_option("--delay", delay, "seconds between hinting and writing");
    bool wait_line = false;
    share->add_flag("--wait-line", wait_line,
                    "then wait for a line on stdin (dom0 types it)");
    uint64_t first = 0, count = 0;
    auto* hint = app.add_subcommand("hint", "hint a range of own gfns, timed");
    hint->add_option("--first", first, "first gfn")->required();
    hint->add_option("--count", count, "gfns")->required()
        ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 24));
    unsigned rounds = 1;
    hint->add_option("--rounds", rounds,
                     "hint, unhint and hint again; report the median round")
        ->check(CLI::Range(1u, 10000u))->capture_default_str();
    bool paced = false;
    hint->add_flag("--paced", paced,
                   "wait for a line on stdin before each round; print each "
                   "round's JSON line as it ends");
    unsigned ops = 10000;
    uint64_t seed = 1;
    auto* hostile = app.add_subcommand("hostile", "malformed and foreign ops");
    hostile->add_option("--ops", ops, "ops to issue")->capture_default_str();
    hostile->add_option("--seed", seed, "random seed")->capture_default_str();
    coshare::vm::HostileMemory hm;
    auto* hostile_memory = app.add_subcommand(
        "hostile-memory", "attack through Xen's memory ops, on two vCPUs");
    hostile_memory->add_option("--rounds", hm.rounds, "memory ops")
        ->capture_default_str();
    hostile_memory->add_option("--pattern", hm.pattern,
                               "content seed another guest holds too")
        ->capture_default_str();
    hostile_memory->add_option("--pages", hm.pages, "pages attacked")
        ->check(CLI::Range(size_t{2}, size_t{1} << 16))->capture_default_str();
    hostile_memory->add_option("--seed", hm.seed, "random seed")
        ->capture_default_str();
    hostile_memory->add_option("--grantee", hm.grantee,
                               "domain granted pages and sent transfers")
        ->capture_default_str();
    hostile_memory->add_option("--grants", hm.grants,
                               "pages granted (half read-only)")
        ->capture_default_str();
    hostile_memory->add_flag("--wait-line", hm.wait_line,
                             "after the rounds, wait for a line on stdin "
                             "(the grantee has stopped) before ending grants");
    app.add_subcommand("pagetables",
                       "unhint the kernel's page tables: none may be shared");
    app.add_subcommand("kernel-text",
                       "how many kernel text pages are shared (hinted again)");
    uint64_t limit_first = 0x10000;
    size_t limit_pages = 16384;
    auto* fill_at_limit = app.add_subcommand(
        "fill-at-limit", "populate up to max_pages, wait for a line on stdin "
        "(dom0 shares our pages), then write fresh memory");
    fill_at_limit->add_option("--first", limit_first,
                              "first gfn to populate (above the guest's RAM)")
        ->capture_default_str();
    fill_at_limit->add_option("--pages", limit_pages, "pages to write")
        ->check(CLI::Range(size_t{1}, size_t{1} << 20))->capture_default_str();
    coshare::vm::WriteLoad load;
    auto add_load = [&](CLI::App* c) {
        c->add_option("--file", load.file, "file to create (in a tmpfs)")
            ->required();
        c->add_option("--pages", load.pages, "pages of the file")
            ->check(CLI::Range(size_t{1}, size_t{1} << 20))->capture_default_str();
        c->add_option("--seconds", load.seconds, "how long to write")
            ->check(CLI::Range(0.1, 86400.0))->capture_default_str();
        c->add_option("--seed", load.seed, "random seed")->capture_default_str();
        return c;
    };
    auto* writers = add_load(app.add_subcommand(
        "writers", "every vCPU rewrites and reads back pages of a shared file"));
    writers->add_option("--threads", load.threads,
                        "writer threads (default: one per online CPU)");
    auto* exec_rewrite = add_load(app.add_subcommand(
        "exec-rewrite", "pwrite a file another process maps PROT_EXEC"));
    CLI11_PARSE(app, argc, argv);

    try {
        if (*writers)
            return coshare::vm::run_file_writers(load);
        if (*exec_rewrite)
            return coshare::vm::run_exec_rewrite(load);
        ProbeDevice pc;
        if (app.got_subcommand("pagetables"))
            return cmd_pagetables(pc);
        if (app.got_subcommand("kernel-text"))
            return cmd_kernel_text(pc);
        if (*hostile_memory)
            return coshare::vm::run_hostile_memory(pc, hm);
        if (*fill_at_limit)
            return coshare::vm::fill_at_limit(pc, limit_first, limit_pages,
                                              std::cin, std::cout) ? 0 : 1;
        if (*version)
            return cmd_version(pc);
        if (*share)
            return cmd_share(pc, pattern, pages, write, delay, hold, wait_line);
        if (*hint)
            return cmd_hint(pc, first, count, rounds, paced);
        return cmd_hostile(pc, ops, seed);
    } catch (const std::exception& e) {
        std::cerr << "coshare-probe: " << e.what() << '\n';
        return 2;
    }
}
