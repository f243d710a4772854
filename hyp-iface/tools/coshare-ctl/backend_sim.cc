// SPDX-License-Identifier: MIT
// backend_sim.cc - SimHypervisor and SimDomains over sim::Host.
#include "backend_sim.h"

#include <cerrno>

namespace coshare::ctl {

int SimHypervisor::call(xen_coshare_op_t& op,
                        std::span<xen_coshare_entry_t> entries,
                        xen_coshare_stats_t* stats)
{
    // Like the glue: a batch's entries and the stats buffer are copied
    // through guest handles, so a missing buffer is -EFAULT.
    const bool batch = op.op >= XENMEM_sharing_op_coshare_hint &&
                       op.op <= XENMEM_sharing_op_coshare_vol_del;
    if (batch && op.u.batch.nr <= XEN_COSHARE_BATCH_MAX &&
        entries.size() < op.u.batch.nr)
        return -EFAULT;
    if (op.op == XENMEM_sharing_op_coshare_stats && !stats)
        return -EFAULT;
    xen_coshare_stats_t scratch{};
    return host_.op(caller_, privileged_, op,
                    entries.empty() ? nullptr : entries.data(),
                    stats ? stats : &scratch);
}

std::vector<uint16_t> SimDomains::list()
{
    std::vector<uint16_t> ids;
    for (unsigned d = 0; d < DOMID_FIRST_RESERVED; ++d)
        if (d == self_ || host_.has_guest(static_cast<uint16_t>(d)))
            ids.push_back(static_cast<uint16_t>(d));
    return ids;
}

std::string SimDomains::name(uint16_t domid)
{
    auto it = names_.find(domid);
    return it == names_.end() ? std::string() : it->second;
}

}  // namespace coshare::ctl
