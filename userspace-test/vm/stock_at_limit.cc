// SPDX-License-Identifier: MIT
// stock_at_limit.cc - see stock_at_limit.h.
#include "stock_at_limit.h"

#include <cstring>
#include <vector>

namespace coshare::vm {

bool fill_at_limit(const ProbeDevice& pc, uint64_t first, size_t fill_pages,
                   std::istream& in, std::ostream& out)
{
    const long max_pages = pc.memop(COSHARE_PROBE_MEM_RESERVATION, 1);
    const long tot_before = pc.memop(COSHARE_PROBE_MEM_RESERVATION, 0);
    // Never more than the room we were told of, plus a margin: a Xen that
    // did not refuse at max_pages must not be fed the guest's memory.
    const long most = max_pages - tot_before + 64;
    std::vector<uint64_t> populated;
    const long refused = populate_free(pc, first, UINT64_MAX, most, populated);
    const long tot_at_limit = pc.memop(COSHARE_PROBE_MEM_RESERVATION, 0);
    const bool at_limit = refused && tot_at_limit == max_pages;
    out << nlohmann::json{{"phase", "at-limit"}, {"max_pages", max_pages},
                          {"tot_before", tot_before},
                          {"populated", populated.size()},
                          {"refused", refused},
                          {"tot_at_limit", tot_at_limit},
                          {"at_limit", at_limit}}.dump()
        << std::endl;

    bool lined = wait_for_line(in);
    const long tot_shared = pc.memop(COSHARE_PROBE_MEM_RESERVATION, 0);

    // Fresh memory: the free pages dom0 shared among them.  Their first
    // write (the kernel's zeroing, or ours) is a stock copy-on-write fault.
    size_t intact = 0;
    {
        LockedBuffer data(fill_pages * kPage);
        for (size_t i = 0; i < fill_pages; ++i)
            fill(data.page(i), 0x5eed, i);
        std::vector<std::byte> expect(kPage);
        for (size_t i = 0; i < fill_pages; ++i) {
            fill(expect.data(), 0x5eed, i);
            intact += std::memcmp(data.page(i), expect.data(), kPage) == 0;
        }
    }
    const long tot_filled = pc.memop(COSHARE_PROBE_MEM_RESERVATION, 0);

    const long given_back = give_back(pc, populated);
    out << nlohmann::json{{"phase", "filled"}, {"line", lined},
                          {"tot_shared", tot_shared},
                          {"tot_filled", tot_filled},
                          {"max_pages", pc.memop(COSHARE_PROBE_MEM_RESERVATION, 1)},
                          {"pages", fill_pages}, {"intact", intact},
                          {"given_back", given_back}}.dump()
        << std::endl;
    return at_limit && lined && intact == fill_pages &&
           given_back == long(populated.size());
}

}  // namespace coshare::vm
