// SPDX-License-Identifier: MIT
// fields.cc - the counter table behind fields.h.
#include "fields.h"

#include <cstdio>

namespace coshare::ctl {

using S = xen_coshare_stats_t;

uint64_t PerClassField::total(const xen_coshare_stats_t& s) const
{
    uint64_t t = 0;
    for (uint64_t v : s.*member)
        t += v;
    return t;
}

const std::array<PerClassField, 4> kPerClassFields{{
    {"hinted", "pages hinted", &S::hinted},
    {"shared", "hints merged with a frame another gfn holds", &S::shared},
    {"inserted", "hints that became a shared frame of their own",
     &S::inserted},
    {"skipped", "hints skipped (already shared, not RAM, busy, ...)",
     &S::skipped},
}};

constexpr Kind C = Kind::counter, G = Kind::gauge;

const std::array<ScalarField, 15> kScalarFields{{
    {"errors", "entries with errors", &S::errors, Scope::both, C},
    {"compare_fail", "equal hash, other content", &S::compare_fail,
     Scope::both, C},
    {"frames", "shared frames owned", &S::frames, Scope::both, G},
    {"mappings", "gfns mapping a shared frame", &S::mappings, Scope::both, G},
    {"saved", "frames saved", &S::saved, Scope::both, G},
    {"bonus", "bonus (repayment due)", &S::bonus, Scope::both, G},
    {"cow_copy", "unshares by copy", &S::cow_copy, Scope::both, C},
    {"cow_zero", "unshares into a zeroed frame", &S::cow_zero, Scope::both,
     C},
    {"cow_nocopy", "unshares of a last mapping", &S::cow_nocopy, Scope::both,
     C},
    {"cow_enomem", "unshares without a frame", &S::cow_enomem, Scope::both,
     C},
    {"reclaims", "volatile pages reclaimed", &S::reclaims, Scope::both, C},
    {"fifo_depth", "volatile pages registered", &S::fifo_depth, Scope::both,
     G},
    {"unhinted", "pages unhinted", &S::unhinted, Scope::both, C},
    {"notified", "refill notifications", &S::notified, Scope::both, C},
    {"meta_bytes", "engine metadata bytes", &S::meta_bytes, Scope::global,
     G},
}};

std::string mib(uint64_t pages)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f",
                  static_cast<double>(pages) * kPageBytes / (1024.0 * 1024.0));
    return buf;
}

std::string flags_text(uint32_t flags)
{
    std::string s;
    if (flags & XEN_COSHARE_CTL_ENABLE)
        s = "enable";
    if (flags & XEN_COSHARE_CTL_REPAY)
        s += s.empty() ? "repay" : ",repay";
    if (flags & XEN_COSHARE_CTL_LEND)
        s += s.empty() ? "lend" : ",lend";
    if (flags & XEN_COSHARE_CTL_QUIET)
        s += s.empty() ? "quiet" : ",quiet";
    return s.empty() ? "-" : s;
}

std::string classes_text(uint32_t mask)
{
    if ((mask & XEN_COSHARE_CLASSES_ALL) == XEN_COSHARE_CLASSES_ALL)
        return "all";
    std::string s;
    for (size_t i = 0; i < XEN_COSHARE_CLASS_NR; ++i)
        if (mask & (1u << i))
            s.append(s.empty() ? "" : ",").append(kClassKeys[i]);
    return s.empty() ? "none" : s;
}

}  // namespace coshare::ctl
