// SPDX-License-Identifier: MIT
// metrics.cc - coshare-ctl stats --format prometheus|openmetrics.
#include "metrics.h"

#include <optional>
#include <vector>

#include "fields.h"

namespace coshare::ctl {
namespace {

// One family's series: its label set (without braces) and value.
struct Sample {
    std::string labels;
    uint64_t value;
};

class Writer {
public:
    explicit Writer(MetricsFormat f) : f_(f) {}

    void family(std::string_view name, std::string_view help, Kind kind,
                const std::vector<Sample>& samples)
    {
        if (samples.empty())
            return;
        const bool counter = kind == Kind::counter;
        const std::string base = "coshare_" + std::string(name);
        const std::string sample = counter ? base + "_total" : base;
        const std::string& family =
            counter && f_ == MetricsFormat::openmetrics ? base : sample;
        out_ += "# HELP " + family + ' ' + std::string(help) + '\n';
        out_ += "# TYPE " + family + (counter ? " counter\n" : " gauge\n");
        for (const auto& s : samples) {
            out_ += sample;
            if (!s.labels.empty())
                out_ += '{' + s.labels + '}';
            out_ += ' ' + std::to_string(s.value) + '\n';
        }
    }

    std::string finish()
    {
        if (f_ == MetricsFormat::openmetrics)
            out_ += "# EOF\n";
        return std::move(out_);
    }

private:
    MetricsFormat f_;
    std::string out_;
};

std::string domain_label(uint16_t domid)
{
    return "domain=\"" + std::to_string(domid) + '"';
}

std::string class_label(size_t cls)
{
    return "class=\"" + std::string(kClassKeys[cls]) + '"';
}

// The families of one scope: host-wide (no domain label) or per domain.
void scope_families(Writer& w, Scope scope, const xen_coshare_stats_t* host,
                    const std::vector<DomainStats>& doms)
{
    const bool global = scope == Scope::global;
    const std::string prefix = global ? "host_" : "domain_";
    auto each = [&](auto value) {
        std::vector<Sample> v;
        if (global) {
            value(v, std::string(), *host);
            return v;
        }
        for (const auto& d : doms)
            if (d.tracked)
                value(v, domain_label(d.domid), d.s);
        return v;
    };
    for (const auto& f : kPerClassFields)
        w.family(prefix + std::string(f.key), f.label, Kind::counter,
                 each([&](std::vector<Sample>& v, const std::string& dom,
                          const xen_coshare_stats_t& s) {
                     for (size_t c = 0; c < XEN_COSHARE_CLASS_NR; ++c)
                         v.push_back({(dom.empty() ? "" : dom + ',') +
                                          class_label(c),
                                      (s.*f.member)[c]});
                 }));
    for (const auto& f : kScalarFields) {
        if (!applies(f.scope, scope))
            continue;
        w.family(prefix + std::string(f.key), f.label, f.kind,
                 each([&](std::vector<Sample>& v, const std::string& dom,
                          const xen_coshare_stats_t& s) {
                     v.push_back({dom, s.*f.member});
                 }));
    }
}

// What dom0 set for each domain, as labels of a constant 1.
void domain_settings(Writer& w, const std::vector<DomainStats>& doms)
{
    std::vector<Sample> v;
    for (const auto& d : doms)
        if (d.tracked)
            v.push_back({domain_label(d.domid) + ",group=\"" +
                             std::to_string(d.s.group) + "\",flags=\"" +
                             flags_text(d.s.flags) + "\",classes=\"" +
                             classes_text(d.s.classes) + '"',
                         1});
    w.family("domain_settings",
             "dom0's settings of a domain (flags, sharing group, hint "
             "classes), as labels",
             Kind::gauge, v);
}

std::string metrics(const xen_coshare_stats_t* host,
                    const std::vector<DomainStats>& doms, MetricsFormat f)
{
    Writer w(f);
    if (host) {
        w.family("host_domains", "domains known to coshare", Kind::gauge,
                 {{"", host->domains}});
        scope_families(w, Scope::global, host, doms);
    }
    domain_settings(w, doms);
    scope_families(w, Scope::domain, nullptr, doms);
    return w.finish();
}

}  // namespace

std::string snapshot_metrics(const Snapshot& snap, MetricsFormat f)
{
    return metrics(&snap.global, snap.domains, f);
}

std::string domain_metrics(const DomainStats& d, MetricsFormat f)
{
    return metrics(nullptr, {d}, f);
}

}  // namespace coshare::ctl
