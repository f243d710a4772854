// SPDX-License-Identifier: MIT
// ops.h - the coshare ops dom0 issues, typed: each builds its
// xen_coshare_op_t, calls the backend and turns -errno into an Error with
// the message that fits that op.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "hypervisor.h"

namespace coshare::ctl {

// Domain ids a command may name: below DOMID_FIRST_RESERVED.
inline constexpr unsigned kDomidMax = DOMID_FIRST_RESERVED - 1;
inline constexpr unsigned kToolAbiMajor = XEN_COSHARE_VERSION >> 16;

struct Version {
    uint32_t version = 0;
    uint32_t batch_max = 0;
    uint64_t gfn_max = 0;

    unsigned major() const { return version >> 16; }
    unsigned minor() const { return version & 0xffff; }
};

struct AuditResult {
    uint32_t errors = 0;
    uint64_t frames = 0;
    uint64_t mappings = 0;
};

// One domain's counters.  A domain coshare has never been told about
// (never enabled or grouped) is untracked: it exists, all counters are 0.
struct DomainStats {
    uint16_t domid = 0;
    bool tracked = false;
    xen_coshare_stats_t s{};
};

// The host and every domain the engine tracks, at one moment.
struct Snapshot {
    xen_coshare_stats_t global{};
    std::vector<DomainStats> domains;     // tracked, ascending domid
    std::vector<uint16_t> untracked;      // exist, unknown to coshare
};

// The version op.  Any failure means no coshare: stock Xen answers this
// sub-op with -ENOSYS (no mem_sharing), -ESRCH or -EPERM (its DOMID_SELF
// lookup), -EOPNOTSUPP or -EINVAL.
Version query_version(Hypervisor& hv);
// Throws Error(no_coshare) unless v has the ABI major this tool speaks.
void check_abi(const Version& v);
// query_version and check_abi: every command that talks to Xen starts here.
Version require_coshare(Hypervisor& hv);

// Sets, then clears, XEN_COSHARE_CTL_* flags; returns the resulting flags.
// A domain given on the command line: digits are its id; anything else is
// the name of exactly one existing domain.  Throws Error(no_domain) if no
// domain has that name, Error(failure) if several do.
uint16_t resolve_domain(DomainLister& domains, const std::string& arg);
uint32_t control(Hypervisor& hv, uint16_t domid, uint32_t set, uint32_t clear);
void set_group(Hypervisor& hv, uint16_t domid, uint32_t group);
xen_coshare_stats_t global_stats(Hypervisor& hv);
// nullopt when the engine does not know the domain (-ESRCH).
std::optional<xen_coshare_stats_t> try_domain_stats(Hypervisor& hv,
                                                    uint16_t domid);
// A domain's stats: untracked if it exists but coshare does not know it,
// Error(no_domain) if it does not exist.
DomainStats domain_stats(Connection& c, uint16_t domid);
Snapshot snapshot(Connection& c);
AuditResult audit(Hypervisor& hv);

// The host's copy-on-write reserve, in frames, and its free frames now.
struct Reserve {
    uint64_t frames = 0;
    uint64_t free = 0;
};
// Sets the reserve to `frames` (nullopt: only reads it).
Reserve reserve(Hypervisor& hv, std::optional<uint64_t> frames);

// Sets the hint classes a domain may use, a mask of 1 << XEN_COSHARE_CLASS_*
// (nullopt: only reads it); returns the domain's mask.
uint32_t classes(Hypervisor& hv, uint16_t domid,
                 std::optional<uint32_t> allowed);

}  // namespace coshare::ctl
