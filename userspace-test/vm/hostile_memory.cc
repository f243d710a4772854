// SPDX-License-Identifier: MIT
// hostile_memory.cc - a guest that attacks coshare through Xen's ordinary
// memory hypercalls, on two vCPUs at once.  Its pages hold content another
// guest holds too, so they are shared with that guest's; one vCPU keeps
// hinting and unhinting them in every class, while the other takes them
// out of the physmap (remove_from_physmap, decrease_reservation), moves
// them to other gfns (add_to_physmap, XENMAPSPACE_gmfn), puts pages back
// (populate_physmap), and populates gfns far apart (so that the p2m needs
// new tables while the hints split superpages).  Xen must survive all of
// it; dom0 audits meanwhile and checks the other guest's data.
#include "hostile_memory.h"

#include <sched.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <iostream>
#include <map>
#include <thread>

namespace coshare::vm {
namespace {

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
    if (op == "decrease")   // extents done; 0 when the gfn was taken meanwhile
        return rc == 1 || rc == 0;
    if (op == "populate" || op == "far")    // 0: max_pages reached
        return rc == 1 || rc == 0;
    if (op == "move")       // -EXDEV: the page is not the gfn's own any more
        return rc == 0 || rc == -EXDEV || rc == -EBUSY || rc == -EAGAIN ||
               rc == -ENOMEM || rc == -EINVAL;
    return false;
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
    hint_gfns(pc, gfns);    // shared with the other guest's copy

    // The second vCPU: hints of every class and unhints, on these gfns.
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> batches{0};
    std::thread hinter([&] {
        pin_to_cpu(1);
        std::mt19937_64 rng(h.seed * 7919);
        while (!stop) {
            std::vector<uint64_t> some;
            for (unsigned n = 1 + rng() % 16; n; --n)
                some.push_back(gfns[rng() % gfns.size()]);
            std::sort(some.begin(), some.end());
            some.erase(std::unique(some.begin(), some.end()), some.end());
            if (rng() % 4)
                hint_gfns(pc, some, rng() % XEN_COSHARE_CLASS_NR);
            else
                batch_gfns(pc, some, XENMEM_sharing_op_coshare_unhint);
            ++batches;
        }
    });

    pin_to_cpu(0);
    std::mt19937_64 rng(h.seed);
    std::map<std::string, std::map<long, uint64_t>> results;
    uint64_t wrong = 0;
    auto note = [&](const std::string& op, long rc) {
        results[op][rc]++;
        if (!allowed(op, rc) && wrong++ < 10)
            std::cerr << op << ": unexpected " << rc << '\n';
    };
    const uint64_t far_base = 0x100000;     // 4 GiB: beyond the guest's RAM
    for (unsigned r = 0; r < h.rounds; ++r) {
        size_t i = rng() % h.pages;
        unsigned what = rng() % 100;
        if (!present[i]) {
            long rc = pc.memop(COSHARE_PROBE_MEM_POPULATE, gfns[i]);
            note("populate", rc);
            present[i] = rc == 1;
        } else if (what < 2) {
            long rc = pc.memop(COSHARE_PROBE_MEM_REMOVE, gfns[i]);
            note("remove", rc);
            present[i] = rc != 0;
        } else if (what < 50) {
            long rc = pc.memop(COSHARE_PROBE_MEM_DECREASE, gfns[i]);
            note("decrease", rc);
            present[i] = rc != 1;
        } else if (what < 80) {
            size_t j = rng() % h.pages;
            if (j == i)
                continue;
            long rc = pc.memop(COSHARE_PROBE_MEM_MOVE, gfns[i], gfns[j]);
            note("move", rc);
            if (rc == 0) {
                present[i] = false;
                present[j] = true;
            }
        } else {
            uint64_t far = far_base + (rng() % 0x40000) * 512 + rng() % 512;
            long rc = pc.memop(COSHARE_PROBE_MEM_POPULATE, far);
            note("far", rc);
            if (rc == 1) {
                hint_gfns(pc, {far}, rng() % XEN_COSHARE_CLASS_NR);
                note("decrease", pc.memop(COSHARE_PROBE_MEM_DECREASE, far));
            }
        }
    }
    stop = true;
    hinter.join();

    // Every gfn is the guest's RAM again before Linux frees these pages.
    uint64_t missing = 0;
    for (size_t i = 0; i < h.pages; ++i)
        if (!present[i])
            missing += pc.memop(COSHARE_PROBE_MEM_POPULATE, gfns[i]) != 1;
    batch_gfns(pc, gfns, XENMEM_sharing_op_coshare_unhint);

    nlohmann::json j{{"rounds", h.rounds}, {"hint_batches", batches.load()},
                     {"wrong", wrong}, {"missing", missing}};
    for (const auto& [op, rcs] : results)
        for (auto [rc, n] : rcs)
            j["results"][op][std::to_string(rc)] = n;
    std::cout << j.dump() << std::endl;
    return wrong == 0 && missing == 0 ? 0 : 1;
}

}  // namespace coshare::vm
