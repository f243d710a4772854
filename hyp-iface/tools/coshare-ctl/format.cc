// SPDX-License-Identifier: MIT
// format.cc - text tables and JSON for version, audit, control and stats.
#include "format.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "fields.h"

namespace coshare::ctl {

namespace {

using nlohmann::json;

// Columns padded to their widest cell; `right` marks numeric columns.
class Table {
public:
    explicit Table(std::vector<bool> right) : right_(std::move(right)) {}
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    std::string str() const
    {
        std::vector<size_t> w(right_.size(), 0);
        for (const auto& r : rows_)
            for (size_t i = 0; i < r.size(); ++i)
                w[i] = std::max(w[i], r[i].size());
        std::string out;
        for (const auto& r : rows_) {
            std::string line;
            for (size_t i = 0; i < r.size(); ++i) {
                std::string pad(w[i] - r[i].size(), ' ');
                if (i)
                    line += "  ";
                line += right_[i] ? pad + r[i] : r[i] + pad;
            }
            line.erase(line.find_last_not_of(' ') + 1);
            out += line + '\n';
        }
        return out;
    }

private:
    std::vector<bool> right_;
    std::vector<std::vector<std::string>> rows_;
};

std::string num(uint64_t v) { return std::to_string(v); }

std::string hex(uint64_t v)
{
    char buf[24];
    std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(v));
    return buf;
}

json counters_json(const xen_coshare_stats_t& s, Scope scope)
{
    json j = json::object();
    for (const auto& f : kPerClassFields) {
        json c = json::object();
        for (size_t i = 0; i < XEN_COSHARE_CLASS_NR; ++i)
            c[std::string(kClassKeys[i])] = uint64_t{(s.*f.member)[i]};
        c["total"] = f.total(s);
        j[std::string(f.key)] = c;
    }
    for (const auto& f : kScalarFields)
        if (applies(f.scope, scope))
            j[std::string(f.key)] = uint64_t{s.*f.member};
    j["saved_bytes"] = s.saved * kPageBytes;
    return j;
}

uint64_t unshares(const xen_coshare_stats_t& s)
{
    return s.cow_copy + s.cow_zero + s.cow_nocopy;
}

}  // namespace

std::string version_text(const Version& v)
{
    return "coshare ABI " + std::to_string(v.major()) + "." +
           std::to_string(v.minor()) + " (batch max " + num(v.batch_max) +
           ", gfn max " + hex(v.gfn_max) + ")\n";
}

std::string audit_text(const AuditResult& a)
{
    std::string s = "audit: " + num(a.errors) +
                    (a.errors == 1 ? " violation" : " violations") + ", " +
                    num(a.frames) + " frames and " + num(a.mappings) +
                    " mappings checked\n";
    if (a.errors)
        s += "each violation is reported on the hypervisor console "
             "(xl dmesg)\n";
    return s;
}

std::string control_text(uint16_t domid, uint32_t flags,
                         const xen_coshare_stats_t* s)
{
    std::string t = "domain " + std::to_string(domid) + ": hinting " +
                    (flags & XEN_COSHARE_CTL_ENABLE ? "enabled" : "disabled") +
                    ", repayment " +
                    (flags & XEN_COSHARE_CTL_REPAY ? "on" : "off");
    if (flags & XEN_COSHARE_CTL_LEND)
        t += ", lends to other groups";
    if (flags & XEN_COSHARE_CTL_QUIET)
        t += ", quiet";
    if (s)
        t += s->group ? ", sharing group " + num(s->group)
                      : ", no sharing group";
    t += '\n';
    if ((flags & XEN_COSHARE_CTL_ENABLE) && s && !s->group)
        t += "note: domain " + std::to_string(domid) +
             " cannot hint until it has a group: coshare-ctl group " +
             std::to_string(domid) + " N\n";
    return t;
}

json global_json(const xen_coshare_stats_t& s)
{
    json j = counters_json(s, Scope::global);
    j["domains"] = s.domains;
    return j;
}

json domain_json(const DomainStats& d)
{
    json j = {{"domain", d.domid}, {"tracked", d.tracked}};
    j["flags"] = {{"enable", bool(d.s.flags & XEN_COSHARE_CTL_ENABLE)},
                  {"repay", bool(d.s.flags & XEN_COSHARE_CTL_REPAY)},
                  {"lend", bool(d.s.flags & XEN_COSHARE_CTL_LEND)},
                  {"quiet", bool(d.s.flags & XEN_COSHARE_CTL_QUIET)}};
    j["group"] = d.s.group;
    j["classes"] = classes_text(d.s.classes);
    j.update(counters_json(d.s, Scope::domain));
    return j;
}

json snapshot_json(const Snapshot& snap)
{
    json doms = json::array();
    for (const auto& d : snap.domains)
        doms.push_back(domain_json(d));
    return {{"global", global_json(snap.global)},
            {"domains", doms},
            {"untracked", snap.untracked}};
}

std::string domain_table(const DomainStats& d)
{
    const auto& s = d.s;
    std::string out = "domain " + std::to_string(d.domid);
    if (!d.tracked)
        return out + ": not known to coshare (never enabled or grouped)\n";
    out += ": hinting " +
           std::string(s.flags & XEN_COSHARE_CTL_ENABLE ? "enabled"
                                                        : "disabled") +
           ", repayment " + (s.flags & XEN_COSHARE_CTL_REPAY ? "on" : "off") +
           ", " + (s.group ? "sharing group " + num(s.group)
                           : std::string("no sharing group")) +
           ", hint classes " + classes_text(s.classes) + "\n\n";

    Table classes({false, true, true, true, true});
    std::vector<std::string> head{"class"};
    for (const auto& f : kPerClassFields)
        head.emplace_back(f.key);
    classes.add(head);
    for (size_t i = 0; i <= XEN_COSHARE_CLASS_NR; ++i) {
        bool total = i == XEN_COSHARE_CLASS_NR;
        std::vector<std::string> row{
            total ? std::string("total") : std::string(kClassNames[i])};
        for (const auto& f : kPerClassFields)
            row.push_back(num(total ? f.total(s) : (s.*f.member)[i]));
        classes.add(row);
    }
    out += classes.str() + '\n';

    Table scalars({false, true, false});
    for (const auto& f : kScalarFields) {
        if (!applies(f.scope, Scope::domain))
            continue;
        uint64_t v = s.*f.member;
        bool pages = f.key == "saved" || f.key == "bonus";
        scalars.add({std::string(f.label), num(v),
                     pages ? std::string("(") + mib(v) + " MiB)" : ""});
    }
    return out + scalars.str();
}

std::string snapshot_table(const Snapshot& snap)
{
    const auto& g = snap.global;
    std::string out = "host: " + num(g.domains) + " domains known to coshare, " +
                      num(g.frames) + " shared frames, " + num(g.mappings) +
                      " mappings, " + num(g.saved) + " frames saved (" +
                      mib(g.saved) + " MiB), metadata " + num(g.meta_bytes) +
                      " bytes\n\n";

    Table t({true, false, true, true, true, true, true, true, true, true,
             true, true, true, true, true});
    t.add({"domain", "flags", "group", "hinted", "shared", "inserted",
           "skipped", "frames", "mappings", "saved", "MiB", "fifo",
           "unshares", "reclaims", "errors"});
    auto row = [&](std::string dom, std::string flags, std::string group,
                   const xen_coshare_stats_t& s) {
        t.add({std::move(dom), std::move(flags), std::move(group),
               num(kPerClassFields[0].total(s)),
               num(kPerClassFields[1].total(s)),
               num(kPerClassFields[2].total(s)),
               num(kPerClassFields[3].total(s)), num(s.frames),
               num(s.mappings), num(s.saved), mib(s.saved),
               num(s.fifo_depth), num(unshares(s)), num(s.reclaims),
               num(s.errors)});
    };
    row("global", "-", "-", g);
    for (const auto& d : snap.domains)
        row(std::to_string(d.domid), flags_text(d.s.flags),
            d.s.group ? num(d.s.group) : "-", d.s);
    out += t.str();

    if (!snap.untracked.empty()) {
        out += "\nnot known to coshare:";
        for (uint16_t d : snap.untracked)
            out.append(" ").append(std::to_string(d));
        out += '\n';
    }
    return out;
}

}  // namespace coshare::ctl
