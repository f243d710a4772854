// SPDX-License-Identifier: MIT
// backend_sim.h - the test backend: coshare ops go to the project's engine
// in the userspace simulator (sim::Host), as Xen's glue hands them over.
#pragma once

#include <map>
#include <string>

#include "host.h"
#include "hypervisor.h"

namespace coshare::ctl {

class SimHypervisor final : public Hypervisor {
public:
    // Ops are issued as domain `caller`; dom0 is privileged.
    explicit SimHypervisor(sim::Host& host, uint16_t caller = 0,
                           bool privileged = true)
        : host_(host), caller_(caller), privileged_(privileged)
    {
    }
    int call(xen_coshare_op_t& op, std::span<xen_coshare_entry_t> entries,
             xen_coshare_stats_t* stats) override;

private:
    sim::Host& host_;
    uint16_t caller_;
    bool privileged_;
};

// The simulator's guests, and the caller's own domain (dom0 always exists).
class SimDomains final : public DomainLister {
public:
    explicit SimDomains(sim::Host& host, uint16_t self = 0)
        : host_(host), self_(self)
    {
    }
    std::vector<uint16_t> list() override;
    std::string name(uint16_t domid) override;
    // Names as the toolstack would give them; dom0 is "Domain-0".
    void set_name(uint16_t domid, std::string name)
    {
        names_[domid] = std::move(name);
    }

private:
    sim::Host& host_;
    uint16_t self_;
    std::map<uint16_t, std::string> names_{{0, "Domain-0"}};
};

}  // namespace coshare::ctl
