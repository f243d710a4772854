// SPDX-License-Identifier: MIT
// stock_at_limit.cc - see stock_at_limit.h.
#include "stock_at_limit.h"

#include <xen/hvm/hvm_op.h>

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
    long refused = 0;
    for (uint64_t g = first; !refused && long(populated.size()) < most; ++g) {
        if (pc.memop(COSHARE_PROBE_MEM_TYPE, g) != HVMMEM_mmio_dm)
            continue;       // present already
        long rc = pc.memop(COSHARE_PROBE_MEM_POPULATE, g);
        if (rc != 1)
            refused = rc == 0 ? 1 : rc;
        else
            populated.push_back(g);
    }
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

    long given_back = 0;
    for (uint64_t g : populated)
        given_back += pc.memop(COSHARE_PROBE_MEM_DECREASE, g) == 1;
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
