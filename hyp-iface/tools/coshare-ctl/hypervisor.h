// SPDX-License-Identifier: MIT
// hypervisor.h - what coshare-ctl needs from Xen, as two small interfaces,
// so the command logic runs unchanged against libxencall in dom0 and
// against the simulated engine in the tests.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <xen/xen.h>

#include "coshare.h"

namespace coshare::ctl {

// Issues coshare ops: the XENMEM_sharing_op sub-ops of public/coshare.h.
class Hypervisor {
public:
    virtual ~Hypervisor() = default;
    // Runs `op`; `entries` is the buffer of a batch op, `stats` that of the
    // stats op (the backend points the op's guest handle at it).  OUT fields
    // come back in place.  Returns 0 or -errno.
    virtual int call(xen_coshare_op_t& op,
                     std::span<xen_coshare_entry_t> entries,
                     xen_coshare_stats_t* stats) = 0;
};

// The domains that exist, in ascending order, and their names.  Throws
// Error if it cannot list them.
class DomainLister {
public:
    virtual ~DomainLister() = default;
    virtual std::vector<uint16_t> list() = 0;
    // The name the toolstack gave the domain (as xl shows it), or "" if it
    // has none or it cannot be read.
    virtual std::string name(uint16_t domid) = 0;
};

// What a command talks to.
struct Connection {
    Hypervisor& hv;
    DomainLister& domains;
};

}  // namespace coshare::ctl
