// SPDX-License-Identifier: MIT
// csv.cc - writing and reading the watch CSV.
#include "csv.h"

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <fstream>

#include "errors.h"
#include "fields.h"

namespace coshare::ctl {

namespace {

void cell(std::string& row, std::string_view v)
{
    row += ',';
    row += v;
}

}  // namespace

std::string csv_header()
{
    std::string h = "timestamp,elapsed_s,domain,flags,group";
    for (const auto& f : kPerClassFields)
        for (auto cls : kClassKeys) {
            cell(h, f.key);
            h += '_';
            h += cls;
        }
    for (const auto& f : kScalarFields)
        cell(h, f.key);
    cell(h, "domains");
    return h + '\n';
}

namespace {

// Domain-only cells (flags, group) are empty in the host's row, host-only
// ones (meta_bytes, domains) in a domain's.
std::string row(std::string_view prefix, std::string_view domain,
                const xen_coshare_stats_t& s, Scope scope)
{
    const bool dom = scope == Scope::domain;
    std::string r(prefix);
    cell(r, domain);
    cell(r, dom ? std::to_string(s.flags) : "");
    cell(r, dom ? std::to_string(s.group) : "");
    for (const auto& f : kPerClassFields)
        for (uint64_t v : s.*f.member)
            cell(r, std::to_string(v));
    for (const auto& f : kScalarFields)
        cell(r, applies(f.scope, scope) ? std::to_string(s.*f.member) : "");
    cell(r, dom ? "" : std::to_string(s.domains));
    return r + '\n';
}

}  // namespace

std::string iso8601_utc(std::chrono::system_clock::time_point t)
{
    using namespace std::chrono;
    auto secs = floor<seconds>(t);
    auto ms = duration_cast<milliseconds>(t - secs).count();
    std::time_t tt = system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                  tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return buf;
}

std::string csv_rows(std::chrono::system_clock::time_point when,
                     double elapsed_s, const Snapshot& snap)
{
    char el[32];
    std::snprintf(el, sizeof el, "%.3f", elapsed_s);
    std::string prefix = iso8601_utc(when);
    cell(prefix, el);
    std::string out = row(prefix, "global", snap.global, Scope::global);
    for (const auto& d : snap.domains)
        out += row(prefix, std::to_string(d.domid), d.s, Scope::domain);
    return out;
}

size_t CsvTable::column(std::string_view name) const
{
    for (size_t i = 0; i < header.size(); ++i)
        if (header[i] == name)
            return i;
    throw Error(Exit::failure,
                "the CSV has no column \"" + std::string(name) +
                    "\"; was it written by coshare-ctl watch?");
}

CsvTable read_csv(const std::filesystem::path& path)
{
    std::ifstream in(path);
    if (!in)
        throw Error(Exit::failure, "cannot read " + path.string() + ": " +
                                       describe_errno(errno));
    auto split = [](std::string line) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        std::vector<std::string> cells;
        size_t at = 0;
        for (;;) {
            size_t comma = line.find(',', at);
            cells.push_back(line.substr(at, comma - at));
            if (comma == std::string::npos)
                return cells;
            at = comma + 1;
        }
    };
    CsvTable t;
    std::string line;
    for (size_t n = 1; std::getline(in, line); ++n) {
        if (line.empty() || line == "\r")
            continue;
        auto cells = split(line);
        if (t.header.empty()) {
            t.header = std::move(cells);
            continue;
        }
        if (cells.size() != t.header.size())
            throw Error(Exit::failure,
                        path.string() + ":" + std::to_string(n) + ": " +
                            std::to_string(cells.size()) + " fields, the " +
                            "header has " + std::to_string(t.header.size()));
        t.rows.push_back(std::move(cells));
    }
    if (in.bad())
        throw Error(Exit::failure, "cannot read " + path.string());
    if (t.header.empty())
        throw Error(Exit::failure, path.string() + " is empty");
    return t;
}

}  // namespace coshare::ctl
