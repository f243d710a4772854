// SPDX-License-Identifier: MIT
// max_pages_attack.cc - see max_pages_attack.h.
#include "max_pages_attack.h"

#include <algorithm>
#include <climits>
#include <set>

namespace coshare::vm {

long charged_pages(const ProbeDevice& pc)
{
    long least = LONG_MAX;
    for (int i = 0; i < 3; ++i) {
        // A hint or an unshare between the two reads moves a page from
        // one count to the other: this sum may read one low or one high
        // then.  A real excess shows in every read, a race in one.
        xen_coshare_stats_t s{};
        auto op = make_op(XENMEM_sharing_op_coshare_stats);
        if (long rc = pc.op(op, &s, sizeof(s)); rc)
            throw std::runtime_error("stats: " + std::to_string(rc));
        long tot = pc.memop(COSHARE_PROBE_MEM_RESERVATION, 0);
        if (tot < 0)
            throw std::runtime_error("current_reservation: " +
                                     std::to_string(tot));
        least = std::min(least, tot + static_cast<long>(s.mappings));
    }
    return least;
}

nlohmann::json max_pages_attack(const ProbeDevice& pc,
                                const std::vector<uint64_t>& tabled,
                                size_t pages, uint64_t seed)
{
    const long max_pages = pc.memop(COSHARE_PROBE_MEM_RESERVATION, 1);
    const long room = max_pages - charged_pages(pc);

    LockedBuffer fresh(pages * kPage);
    std::vector<uint64_t> own(pages);
    for (size_t i = 0; i < pages; ++i) {
        fill(fresh.page(i), static_cast<uint32_t>(seed * 2654435761u), i);
        own[i] = gfn_of(fresh.page(i));
    }
    HintTally hinted = hint_gfns(pc, own);

    // Free gfns where a page needs no new p2m table, in as many blocks as
    // it takes: at most the room we had plus what the hints gave up.
    const long want = std::max(0L, room) + static_cast<long>(pages);
    std::set<uint64_t> blocks;
    for (uint64_t g : tabled)
        blocks.insert(g & ~uint64_t{511});
    std::vector<uint64_t> populated;
    long refused = 0;
    for (auto b = blocks.begin(); b != blocks.end() && !refused &&
                                  long(populated.size()) < want; ++b)
        refused = populate_free(pc, *b, *b + 512, want, populated);
    const long charged = charged_pages(pc);

    const long given_back = give_back(pc, populated);
    batch_gfns(pc, own, XENMEM_sharing_op_coshare_unhint);

    nlohmann::json j{{"max_pages", max_pages},
                     {"room_before", room},
                     {"hinted", pages},
                     {"inserted", hinted.results["inserted"]},
                     {"gfns_wanted", want},
                     {"populated", populated.size()},
                     {"refused", refused},
                     {"charged_after", charged},
                     {"given_back", given_back},
                     {"within", charged <= max_pages}};
    return j;
}

}  // namespace coshare::vm
