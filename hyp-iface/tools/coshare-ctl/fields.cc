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
    {"hinted", &S::hinted},
    {"shared", &S::shared},
    {"inserted", &S::inserted},
    {"skipped", &S::skipped},
}};

const std::array<ScalarField, 15> kScalarFields{{
    {"errors", "entries with errors", &S::errors, Scope::both},
    {"compare_fail", "equal hash, other content", &S::compare_fail,
     Scope::both},
    {"frames", "shared frames owned", &S::frames, Scope::both},
    {"mappings", "gfns mapping a shared frame", &S::mappings, Scope::both},
    {"saved", "frames saved", &S::saved, Scope::both},
    {"bonus", "bonus (repayment due)", &S::bonus, Scope::both},
    {"cow_copy", "unshares by copy", &S::cow_copy, Scope::both},
    {"cow_zero", "unshares into a zeroed frame", &S::cow_zero, Scope::both},
    {"cow_nocopy", "unshares of a last mapping", &S::cow_nocopy, Scope::both},
    {"cow_enomem", "unshares without a frame", &S::cow_enomem, Scope::both},
    {"reclaims", "volatile pages reclaimed", &S::reclaims, Scope::both},
    {"fifo_depth", "volatile pages registered", &S::fifo_depth, Scope::both},
    {"unhinted", "pages unhinted", &S::unhinted, Scope::both},
    {"notified", "refill notifications", &S::notified, Scope::both},
    {"meta_bytes", "engine metadata bytes", &S::meta_bytes, Scope::global},
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
