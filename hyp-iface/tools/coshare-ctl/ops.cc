// SPDX-License-Identifier: MIT
// ops.cc - typed coshare ops over a Hypervisor backend, and the op-specific
// meaning of each errno.
#include "ops.h"

#include <algorithm>
#include <cerrno>
#include <string>

#include "errors.h"

namespace coshare::ctl {

namespace {

xen_coshare_op_t make_op(uint8_t code, uint16_t domain)
{
    xen_coshare_op_t op{};
    op.op = code;
    op.domain = domain;
    return op;
}

int call(Hypervisor& hv, xen_coshare_op_t& op,
         xen_coshare_stats_t* stats = nullptr)
{
    return hv.call(op, {}, stats);
}

std::string dom(uint16_t domid) { return "domain " + std::to_string(domid); }

}  // namespace

Version query_version(Hypervisor& hv)
{
    auto op = make_op(XENMEM_sharing_op_coshare_version, DOMID_SELF);
    if (int rc = call(hv, op); rc < 0)
        throw Error(Exit::no_coshare,
                    "this hypervisor has no coshare support (stock Xen?): "
                    "the version op failed: " + describe_errno(rc));
    return {op.u.version.version, op.u.version.batch_max,
            op.u.version.gfn_max};
}

void check_abi(const Version& v)
{
    if (v.major() != kToolAbiMajor)
        throw Error(Exit::no_coshare,
                    "the hypervisor speaks coshare ABI " +
                        std::to_string(v.major()) + "." +
                        std::to_string(v.minor()) + ", this tool ABI " +
                        std::to_string(kToolAbiMajor) + ".x");
}

Version require_coshare(Hypervisor& hv)
{
    Version v = query_version(hv);
    check_abi(v);
    return v;
}

uint16_t resolve_domain(DomainLister& domains, const std::string& arg)
{
    if (arg.find_first_not_of("0123456789") == std::string::npos)
        return static_cast<uint16_t>(std::stoul(arg));   // checked by the CLI
    std::vector<uint16_t> named;
    for (uint16_t d : domains.list())
        if (domains.name(d) == arg)
            named.push_back(d);
    if (named.empty())
        throw Error(Exit::no_domain,
                    "no domain is named \"" + arg + "\" (xl list shows names)");
    if (named.size() > 1) {
        std::string ids;
        for (uint16_t d : named)
            ids += (ids.empty() ? "" : ", ") + std::to_string(d);
        throw Error(Exit::failure, "several domains are named \"" + arg +
                                       "\": " + ids + "; give the id");
    }
    return named.front();
}

uint32_t control(Hypervisor& hv, uint16_t domid, uint32_t set, uint32_t clear)
{
    auto op = make_op(XENMEM_sharing_op_coshare_control, domid);
    op.u.control.set = set;
    op.u.control.clear = clear;
    int rc = call(hv, op);
    if (rc == 0)
        return op.u.control.flags;
    const bool enabling = set & XEN_COSHARE_CTL_ENABLE;
    switch (-rc) {
    case EBUSY:
        throw Error(Exit::failure,
                    "cannot promise repayment for " + dom(domid) +
                        ": its volatile FIFO is shorter than its bonus (a "
                        "quiet domain's: all its mappings); the guest must "
                        "register more volatile pages first");
    case EOPNOTSUPP:
        if (enabling)
            throw Error(Exit::failure,
                        dom(domid) + " is a PV guest; coshare needs an HVM "
                                     "or PVH guest");
        break;
    case ENODEV:
        throw Error(Exit::failure,
                    dom(domid) + " runs without hardware-assisted paging "
                                 "(HAP), which coshare needs");
    case EXDEV:
        throw Error(Exit::failure,
                    dom(domid) + " has passthrough devices or alternate p2m "
                                 "views (altp2m), which coshare cannot keep "
                                 "in step with what it shares");
    case ENOSPC:
        throw Error(Exit::failure,
                    "the coshare engine has no room for another domain");
    }
    throw op_error("change the coshare flags of " + dom(domid), rc, domid);
}

void set_group(Hypervisor& hv, uint16_t domid, uint32_t group)
{
    auto op = make_op(XENMEM_sharing_op_coshare_group, domid);
    op.u.group.group = group;
    int rc = call(hv, op);
    if (rc == 0)
        return;
    if (rc == -EBUSY)
        throw Error(Exit::failure,
                    dom(domid) + " has shared pages in its current group; "
                                 "a domain changes group only while it "
                                 "shares nothing");
    if (rc == -ENOSPC)
        throw Error(Exit::failure,
                    "the coshare engine has no room for another domain");
    throw op_error("set the sharing group of " + dom(domid), rc, domid);
}

xen_coshare_stats_t global_stats(Hypervisor& hv)
{
    auto op = make_op(XENMEM_sharing_op_coshare_stats, DOMID_SELF);
    op.u.stats.flags = XEN_COSHARE_STATS_GLOBAL;
    xen_coshare_stats_t s{};
    if (int rc = call(hv, op, &s); rc < 0)
        throw op_error("read the host-wide coshare stats", rc, std::nullopt);
    return s;
}

std::optional<xen_coshare_stats_t> try_domain_stats(Hypervisor& hv,
                                                    uint16_t domid)
{
    auto op = make_op(XENMEM_sharing_op_coshare_stats, domid);
    xen_coshare_stats_t s{};
    int rc = call(hv, op, &s);
    if (rc == -ESRCH)
        return std::nullopt;
    if (rc < 0)
        throw op_error("read the coshare stats of " + dom(domid), rc, domid);
    return s;
}

DomainStats domain_stats(Connection& c, uint16_t domid)
{
    if (auto s = try_domain_stats(c.hv, domid))
        return {domid, true, *s};
    // -ESRCH: either no such domain, or one coshare has not met yet.
    std::vector<uint16_t> all;
    try {
        all = c.domains.list();
    } catch (const Error&) {
    }
    if (std::binary_search(all.begin(), all.end(), domid))
        return {domid, false, {}};
    throw op_error("read the coshare stats of " + dom(domid), -ESRCH, domid);
}

Snapshot snapshot(Connection& c)
{
    Snapshot snap;
    snap.global = global_stats(c.hv);
    for (uint16_t d : c.domains.list()) {
        // A domain may vanish between the list and its stats: untracked.
        if (auto s = try_domain_stats(c.hv, d))
            snap.domains.push_back({d, true, *s});
        else
            snap.untracked.push_back(d);
    }
    return snap;
}

AuditResult audit(Hypervisor& hv)
{
    auto op = make_op(XENMEM_sharing_op_coshare_audit, DOMID_SELF);
    if (int rc = call(hv, op); rc < 0)
        throw op_error("run the coshare audit", rc, std::nullopt);
    return {op.u.audit.errors, op.u.audit.frames, op.u.audit.mappings};
}

Reserve reserve(Hypervisor& hv, std::optional<uint64_t> frames)
{
    auto op = make_op(XENMEM_sharing_op_coshare_reserve, DOMID_SELF);
    op.u.reserve.frames = frames.value_or(XEN_COSHARE_RESERVE_QUERY);
    if (int rc = call(hv, op); rc < 0)
        throw op_error(frames ? "set the copy-on-write reserve"
                              : "read the copy-on-write reserve",
                       rc, std::nullopt);
    return {op.u.reserve.frames, op.u.reserve.free};
}

uint32_t classes(Hypervisor& hv, uint16_t domid,
                 std::optional<uint32_t> allowed)
{
    auto op = make_op(XENMEM_sharing_op_coshare_classes, domid);
    op.u.classes.allowed = allowed.value_or(XEN_COSHARE_CLASSES_QUERY);
    int rc = call(hv, op);
    if (rc == -ENOSPC)
        throw Error(Exit::failure,
                    "the coshare engine has no room for another domain");
    if (rc < 0)
        throw op_error(allowed ? "set the hint classes of " + dom(domid)
                               : "read the hint classes of " + dom(domid),
                       rc, domid);
    return op.u.classes.allowed;
}

}  // namespace coshare::ctl
