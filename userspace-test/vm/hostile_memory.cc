// SPDX-License-Identifier: MIT
// hostile_memory.cc - a guest that attacks coshare through Xen's ordinary
// memory and grant hypercalls, on two vCPUs at once.  Its pages hold content
// another guest holds too, so they are shared with that guest's; one vCPU
// keeps hinting and unhinting them in every class and registering them as
// volatile pages (and taking them back), while the other:
// - takes them out of the physmap (remove_from_physmap, decrease_reservation)
//   and puts pages back (populate_physmap);
// - moves them to other gfns (add_to_physmap, XENMAPSPACE_gmfn), and maps
//   a frame of its grant table over them (XENMAPSPACE_grant_table: Xen
//   holds the gfn's lock while it gives the page up), then removes it;
// - maps the shared info page over them and back home
//   (XENMAPSPACE_shared_info: the gfn's own page goes, under its lock);
// - exchanges them for new pages (XENMEM_exchange: Xen unshares the gfn,
//   then refuses to take a page from an HVM guest);
// - tries to give them away (GNTTABOP_transfer, which Xen refuses HVM
//   guests: shown, not assumed);
// - populates over present gfns, and maps a grant of its own over them
//   (an HVM grantee's map replaces the gfn's entry, and Xen removes the
//   granted gfn's own entry as an alias of the same page);
// - populates gfns far apart, so that the p2m needs new tables while the
//   hints split superpages, until the domain's p2m pool is empty (shown: a
//   gfn far away fails while one beside an earlier one succeeds);
// - populates 2 MiB superpages and hints a page inside each, so that the
//   hint has to split a superpage (from an empty pool, once it is empty).
// At the end it has pages of fresh content shared and populates more gfns
// with the room that leaves in its tot_pages (max_pages_attack.h).
// Its first pages are granted to the grantee (dom0), which maps and copies
// them meanwhile (coshare-foreign-access).  Xen must survive all of it;
// dom0 audits meanwhile and checks the other guest's data.
#include "hostile_memory.h"
#include "max_pages_attack.h"

#include <sched.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

namespace coshare::vm {
namespace {

// Copies of the hostile-grants line (see where it is printed).
constexpr int kGrantCopies = 3;

void pin_to_cpu(unsigned cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % std::thread::hardware_concurrency(), &set);
    sched_setaffinity(0, sizeof(set), &set);
}

// What each op may answer: anything else is counted as wrong.
bool allowed(const std::string& op, long rc)
{
    if (op == "remove")     // -EBUSY: the other vCPU hinted the gfn anew
        return rc == 0 || rc == -EBUSY || rc == -EAGAIN;
    if (op == "decrease")   // a present gfn: its page always goes
        return rc == 1;
    if (op == "split_decrease" ||   // 0: no p2m page to split the superpage
        op == "stuck_decrease")
        return rc == 1 || rc == 0;
    if (op == "populate" || op == "far" || op == "far_beside" ||
        op == "split")      // 0: max_pages reached, or no p2m table page
        return rc == 1 || rc == 0;
    if (op == "move")       // -EXDEV: the page is not the gfn's own any more
        return rc == 0 || rc == -EXDEV || rc == -EBUSY || rc == -EAGAIN ||
               rc == -ENOMEM;
    if (op == "exchange")   // Xen unshares the gfn (-ENOMEM: it could
        return rc == -EOPNOTSUPP ||     // not), then cannot take a page
               rc == -ENOMEM;           // from an HVM guest
    if (op == "transfer")   // HVM guests may not transfer pages
        return rc == -ENOSYS;
    if (op == "populate_over")  // a present gfn: its page goes, or -EBUSY
        return rc == 1 || rc == 0;
    if (op == "grant_map_at")   // the map's status, GNTST_*
        return rc <= 0 && rc >= -12;
    if (op == "grant_unmap")
        return rc == 0;
    if (op == "map_grant_frame" ||  // -EBUSY: the engine was busy
        op == "map_shared_info")
        return rc == 0 || rc == -EBUSY || rc == -EAGAIN || rc == -ENOMEM;
    if (op == "unmap_grant_frame")
        return rc == 0;
    if (op == "shared_info_home")   // the page must always get back
        return rc == 0;
    return false;
}

// Where the kernel keeps HYPERVISOR_shared_info (Linux does not export it).
uint64_t shared_info_symbol()
{
    std::ifstream in("/proc/kallsyms");
    std::string addr, type, name;
    while (in >> addr >> type >> name)
        if (name == "HYPERVISOR_shared_info")
            if (uint64_t a = std::stoull(addr, nullptr, 16))
                return a;
    throw std::runtime_error("no address of HYPERVISOR_shared_info in "
                             "/proc/kallsyms (kptr_restrict?)");
}

}  // namespace

int run_hostile_memory(const ProbeDevice& pc, const HostileMemory& h)
{
    LockedBuffer data(h.pages * kPage);
    std::vector<uint64_t> gfns(h.pages);
    for (size_t i = 0; i < h.pages; ++i) {
        fill(data.page(i), h.pattern, i);
        gfns[i] = gfn_of(data.page(i));
    }
    std::vector<bool> present(h.pages, true);
    const long tot_before = pc.memop(COSHARE_PROBE_MEM_RESERVATION, 0);
    const long max_pages = pc.memop(COSHARE_PROBE_MEM_RESERVATION, 1);
    hint_gfns(pc, gfns);    // shared with the other guest's copy

    // The grantee's refs: the first pages, half read-only, half writable.
    nlohmann::json granted{{"gfns", gfns}};
    std::vector<uint64_t> refs;
    for (size_t i = 0; i < std::min(h.grants, h.pages); ++i) {
        bool ro = i < h.grants / 2;
        long ref = pc.memop(ro ? COSHARE_PROBE_MEM_GRANT_RO :
                                 COSHARE_PROBE_MEM_GRANT_RW, gfns[i], h.grantee);
        if (ref < 0)
            throw std::runtime_error("grant: " + std::to_string(ref));
        refs.push_back(static_cast<uint64_t>(ref));
        granted[ro ? "refs_ro" : "refs_rw"].push_back(ref);
    }
    // A kernel message can split this long console line (it did once in
    // CI): three copies, and dom0 takes the first intact one.
    for (int copy = 0; copy < kGrantCopies; ++copy)
        std::cout << "hostile-grants " << granted.dump() << std::endl;
    // guest.sh echoes them to the console after we go on: let it, before
    // the hinter's volatile pages make coshare.ko warn (about ten a second,
    // rate-limited), which split all three copies in a CI run.
    std::this_thread::sleep_for(std::chrono::seconds(3));

    // The second vCPU: hints of every class and unhints, on these gfns.
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> batches{0};
    std::map<std::string, uint64_t> hinter_results;
    std::thread hinter([&] {
        pin_to_cpu(1);
        std::mt19937_64 rng(h.seed * 7919);
        while (!stop) {
            std::vector<uint64_t> some;
            for (unsigned n = 1 + rng() % 16; n; --n)
                some.push_back(gfns[rng() % gfns.size()]);
            std::sort(some.begin(), some.end());
            some.erase(std::unique(some.begin(), some.end()), some.end());
            static const uint32_t others[] = {
                XENMEM_sharing_op_coshare_unhint,
                XENMEM_sharing_op_coshare_vol_add,      // volatile gfns the
                XENMEM_sharing_op_coshare_vol_del};     // other vCPU hits
            HintTally t = rng() % 4 ?
                hint_gfns(pc, some, rng() % XEN_COSHARE_CLASS_NR) :
                batch_gfns(pc, some, others[rng() % 3]);
            for (const auto& [what, n] : t.results)
                hinter_results[what] += n;
            ++batches;
        }
    });

    pin_to_cpu(0);
    std::mt19937_64 rng(h.seed);
    std::map<std::string, std::map<long, uint64_t>> results;
    std::map<std::string, uint64_t> split_hints;
    uint64_t wrong = 0, pool_empty = 0;
    // The last ops on each gfn, told with a wrong answer on it.
    std::vector<std::deque<std::string>> history(h.pages);
    auto remember = [&](size_t k, const std::string& what) {
        history[k].push_back(what);
        if (history[k].size() > 8)
            history[k].pop_front();
    };
    auto note = [&](const std::string& op, long rc, size_t at = SIZE_MAX) {
        results[op][rc]++;
        if (!allowed(op, rc) && wrong++ < 10) {
            std::cerr << op << ": unexpected " << rc;
            if (at < h.pages) {
                std::cerr << " at gfn 0x" << std::hex << gfns[at] << std::dec
                          << " (type now " << pc.memop(COSHARE_PROBE_MEM_TYPE,
                                                       gfns[at]) << "; before:";
                for (const auto& was : history[at])
                    std::cerr << ' ' << was;
                std::cerr << ')';
            }
            std::cerr << '\n';
        }
        if (at < h.pages)
            remember(at, op + "=" + std::to_string(rc));
        return rc;
    };
    // What an op left at gfn k, as Xen tells it (not as we guess it).
    auto look = [&](size_t k) {
        present[k] = gfn_populated(pc, gfns[k]);
        remember(k, present[k] ? "present" : "absent");
    };
    const uint64_t shared_info = shared_info_symbol();
    const uint64_t far_base = 0x100000;     // 4 GiB: beyond the guest's RAM
    auto far_gfn = [&] { return far_base + (rng() % 0x40000) * 512; };
    std::vector<uint64_t> far_tabled;       // far gfns that got a table
    // Superpages whose hint and decrease both needed a table the empty pool
    // could not give: they stay populated (1 MiB each, charged to us), so
    // after kStuck of them the hints go into those instead.
    constexpr size_t kStuck = 2;
    constexpr uint64_t kGrantFrame = 20;
    std::vector<uint64_t> stuck;
    for (unsigned r = 0; r < h.rounds; ++r) {
        size_t i = rng() % h.pages, j = i;
        unsigned what = rng() % 100;
        if (!present[i]) {
            note("populate", pc.memop(COSHARE_PROBE_MEM_POPULATE, gfns[i]), i);
        } else if (what < 2) {
            note("remove", pc.memop(COSHARE_PROBE_MEM_REMOVE, gfns[i]), i);
        } else if (what < 40) {
            note("decrease", pc.memop(COSHARE_PROBE_MEM_DECREASE, gfns[i]), i);
        } else if (what < 58) {
            j = rng() % h.pages;
            if (j != i)
                note("move", pc.memop(COSHARE_PROBE_MEM_MOVE, gfns[i], gfns[j]), i);
        } else if (what < 60) {
            coshare_probe_memop m{};
            if (note("map_shared_info",
                     pc.memop(COSHARE_PROBE_MEM_MAP_SHARED_INFO, gfns[i],
                              shared_info, &m), i) == 0)
                note("shared_info_home", m.status, i);
        } else if (what < 62) {
            // A frame Linux does not use (it grows its table from frame 0).
            long rc = note("map_grant_frame",
                           pc.memop(COSHARE_PROBE_MEM_MAP_GRANT_FRAME, gfns[i],
                                    kGrantFrame), i);
            if (rc == 0)
                note("unmap_grant_frame",
                     pc.memop(COSHARE_PROBE_MEM_REMOVE, gfns[i]), i);
        } else if (what < 70) {
            note("exchange", pc.memop(COSHARE_PROBE_MEM_EXCHANGE, gfns[i]), i);
        } else if (what < 73) {
            note("transfer", pc.memop(COSHARE_PROBE_MEM_TRANSFER, gfns[i],
                                      h.grantee), i);
        } else if (what < 75) {
            note("populate_over", pc.memop(COSHARE_PROBE_MEM_POPULATE, gfns[i]), i);
        } else if (what < 78) {
            // Our own page j granted to us and mapped at i: Xen takes
            // that as an alias of j's page and removes j's entry
            // (p2m_add_page()), so j is looked up again below too.
            coshare_probe_memop m{};
            j = rng() % h.pages;
            long rc = pc.memop(COSHARE_PROBE_MEM_GRANT_MAP_AT, gfns[i],
                               gfns[j], &m);
            note("grant_map_at", m.status, i);
            if (m.status == 0)
                note("grant_unmap", rc, i);
            if (j != i)
                remember(j, "granted_to_map=" + std::to_string(m.status));
        } else if (what < 84) {
            // A superpage, and a hint inside it: the p2m must split it.
            uint64_t base;
            if (stuck.size() < kStuck) {
                base = far_gfn();
                if (note("split", pc.memop(COSHARE_PROBE_MEM_POPULATE, base, 9)) != 1)
                    continue;
            } else {
                base = stuck[rng() % stuck.size()];
            }
            HintTally t = hint_gfns(pc, {base + rng() % 512},
                                    rng() % XEN_COSHARE_CLASS_NR);
            for (const auto& [res, n] : t.results)
                split_hints[res] += n;
            if (stuck.size() < kStuck &&
                note("split_decrease",
                     pc.memop(COSHARE_PROBE_MEM_DECREASE, base, 9)) != 1)
                stuck.push_back(base);
        } else {
            uint64_t far = far_gfn() + rng() % 512;
            long rc = note("far", pc.memop(COSHARE_PROBE_MEM_POPULATE, far));
            if (rc == 0 && !far_tabled.empty()) {
                // Beside an earlier far gfn, whose table exists: if that
                // works, it was the table that was missing, not memory.
                uint64_t beside = far_tabled[rng() % far_tabled.size()] ^ 1;
                if (note("far_beside",
                         pc.memop(COSHARE_PROBE_MEM_POPULATE, beside)) == 1) {
                    ++pool_empty;
                    note("decrease", pc.memop(COSHARE_PROBE_MEM_DECREASE, beside));
                }
            }
            if (rc == 1) {
                far_tabled.push_back(far);
                hint_gfns(pc, {far}, rng() % XEN_COSHARE_CLASS_NR);
                note("decrease", pc.memop(COSHARE_PROBE_MEM_DECREASE, far));
            }
        }
        look(i);
        if (j != i)
            look(j);
    }
    stop = true;
    hinter.join();
    std::cout << "hostile-rounds-done {}" << std::endl;
    if (h.wait_line && !wait_for_line(std::cin))
        throw std::runtime_error("stdin closed before the grantee's line");

    // Every grant ended (a grantee still at work maps briefly: retry), and
    // every gfn the guest's RAM again, before Linux frees these pages.
    uint64_t grants_left = 0;
    for (uint64_t ref : refs) {
        int tries = 0;
        while (pc.memop(COSHARE_PROBE_MEM_UNGRANT, ref) != 1 && ++tries < 1000)
            usleep(10000);
        grants_left += tries == 1000;
    }
    batch_gfns(pc, gfns, XENMEM_sharing_op_coshare_vol_del);  // ours again
    // Superpages left populated take room our own gfns need back.
    for (uint64_t base : stuck)
        note("stuck_decrease", pc.memop(COSHARE_PROBE_MEM_DECREASE, base, 9));
    uint64_t missing = 0;
    for (size_t i = 0; i < h.pages; ++i)
        if (!gfn_populated(pc, gfns[i]))
            missing += pc.memop(COSHARE_PROBE_MEM_POPULATE, gfns[i]) != 1;
    batch_gfns(pc, gfns, XENMEM_sharing_op_coshare_unhint);
    // What Xen charges us now: within max_pages, whatever we did.
    const long tot_after = pc.memop(COSHARE_PROBE_MEM_RESERVATION, 0);
    const long charged_after = charged_pages(pc);
    // Then the attack on max_pages itself.
    nlohmann::json attack = max_pages_attack(pc, far_tabled, 1024, h.seed);
    std::cout << "max-pages-attack " << attack.dump() << std::endl;

    nlohmann::json j{{"tot_pages_before", tot_before},
                     {"tot_pages_after", tot_after}, {"max_pages", max_pages},
                     {"charged_after", charged_after},
                     {"rounds", h.rounds}, {"hint_batches", batches.load()},
                     {"wrong", wrong}, {"missing", missing},
                     {"grants", refs.size()}, {"grants_left", grants_left},
                     {"p2m_pool_empty", pool_empty},
                     {"stuck_superpages", stuck.size()},
                     {"hinter", hinter_results}, {"split_hints", split_hints}};
    for (const auto& [op, rcs] : results)
        for (auto [rc, n] : rcs)
            j["results"][op][std::to_string(rc)] = n;
    std::cout << "hostile-memory " << j.dump() << std::endl;
    return wrong == 0 && missing == 0 && grants_left == 0 &&
           charged_after <= max_pages && attack["within"] ? 0 : 1;
}

}  // namespace coshare::vm
