// SPDX-License-Identifier: MIT
// cli.cc - the subcommands (CLI11), their checks, and what each one does.
#include "cli.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <optional>
#include <string_view>

#include <CLI/CLI.hpp>

#include "csv.h"
#include "errors.h"
#include "fields.h"
#include "format.h"
#include "metrics.h"
#include "ops.h"
#include "plot.h"

namespace coshare::ctl {

namespace {

// A decimal number in [lo, hi], or a message saying what is expected.
std::string check_number(const std::string& s, unsigned long lo,
                         unsigned long hi, const std::string& what)
{
    unsigned long v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || v < lo || v > hi)
        return what + " is a decimal number " + std::to_string(lo) + ".." +
               std::to_string(hi) + ", not \"" + s + "\"";
    return {};
}

// A domain id (digits, in range) or a name, as xl takes either.
CLI::Validator domain_check()
{
    return CLI::Validator(
        [](std::string& s) {
            if (s.empty())
                return std::string("a domain is an id or a name, not \"\"");
            if (s.find_first_not_of("0123456789") != std::string::npos)
                return s[0] == '-'
                           ? "a domain id is a decimal number 0.." +
                                 std::to_string(kDomidMax) + ", not \"" + s +
                                 "\""
                           : std::string();
            return check_number(s, 0, kDomidMax, "a domain id");
        },
        "");
}

CLI::Validator group_check()
{
    return CLI::Validator(
        [](std::string& s) {
            if (s == "0")
                return std::string(
                    "group 0 means \"none\" and cannot be set: the "
                    "hypervisor moves a domain only into a group 1..65535 "
                    "(use `disable` to stop a domain hinting)");
            return check_number(s, 1, XEN_COSHARE_GROUP_MAX, "a sharing group");
        },
        "");
}

// "all", "none" or comma-separated kClassKeys, as a mask of
// 1 << XEN_COSHARE_CLASS_*; nullopt (and `error` says why) otherwise.
std::optional<uint32_t> parse_classes(const std::string& s, std::string& error)
{
    if (s == "all")
        return XEN_COSHARE_CLASSES_ALL;
    if (s == "none")
        return 0;
    uint32_t mask = 0;
    size_t at = 0;
    while (at <= s.size()) {
        size_t end = std::min(s.find(',', at), s.size());
        std::string_view name(s.data() + at, end - at);
        auto it = std::find(kClassKeys.begin(), kClassKeys.end(), name);
        if (it == kClassKeys.end()) {
            error = "unknown hint class \"" + std::string(name) +
                    "\": the classes are all, none, or any of ";
            for (size_t i = 0; i < kClassKeys.size(); ++i)
                error.append(i ? "," : "").append(kClassKeys[i]);
            return std::nullopt;
        }
        mask |= 1u << (it - kClassKeys.begin());
        at = end + 1;
    }
    return mask;
}

CLI::Validator classes_check()
{
    return CLI::Validator(
        [](std::string& s) {
            std::string error;
            parse_classes(s, error);
            return error;
        },
        "");
}

struct Args {
    std::string domain;     // an id or a name: resolve_domain() says which
    unsigned group = 0;
    bool repay = false, no_repay = false, lend = false, no_lend = false;
    bool quiet = false, no_quiet = false;
    bool json = false;
    std::string format = "table";
    double interval = 0;
    uint64_t count = 0;
    uint64_t reserve_mib = 0;
    std::string classes;
    std::string output, csv, gnuplot = "gnuplot";
};

struct Commands {
    CLI::App *enable, *disable, *group, *stats, *watch, *plot, *audit,
        *reserve, *classes, *version;
};

void add_domid(CLI::App* cmd, Args& a, bool required = true)
{
    auto* o = cmd->add_option("DOMAIN", a.domain,
                              "domain id, or name as xl shows it")
                  ->type_name("")
                  ->check(domain_check());
    if (required)
        o->required();
}

// --NAME and --no-NAME: set or clear one control flag, never both.
void add_flag_pair(CLI::App* cmd, const std::string& name, bool& on,
                   const std::string& on_help, bool& off,
                   const std::string& off_help)
{
    cmd->add_flag("--" + name, on, on_help)
        ->excludes(cmd->add_flag("--no-" + name, off, off_help));
}

void add_control_flags(CLI::App* cmd, Args& a)
{
    add_flag_pair(cmd, "repay", a.repay,
                  "also switch repayment on (XEN_COSHARE_CTL_REPAY: the "
                  "guest keeps volatile pages >= its bonus)",
                  a.no_repay, "also switch repayment off");
    add_flag_pair(cmd, "lend", a.lend,
                  "also let its spare volatile pages pay other sharing "
                  "groups' copy-on-write faults (XEN_COSHARE_CTL_LEND; "
                  "default: its own group only)",
                  a.no_lend, "also keep its volatile pages to its own group");
    add_flag_pair(cmd, "quiet", a.quiet,
                  "also hide from it whether other domains hold what it "
                  "hints (XEN_COSHARE_CTL_QUIET: every merge or insert "
                  "reads as shared; repayment covers all its mappings)",
                  a.no_quiet, "also let it see merges and inserts apart");
}

Commands build(CLI::App& app, Args& a)
{
    app.require_subcommand(1);
    app.footer(std::string(exit_codes_help()));
    Commands c{};

    c.enable = app.add_subcommand(
        "enable", "let a domain hint pages for sharing (needs a group too)");
    add_domid(c.enable, a);
    add_control_flags(c.enable, a);

    c.disable = app.add_subcommand(
        "disable", "stop a domain hinting (its shared pages stay shared)");
    add_domid(c.disable, a);
    add_control_flags(c.disable, a);

    c.group = app.add_subcommand(
        "group", "put a domain that shares nothing into a sharing group; "
                 "pages share only within a group");
    add_domid(c.group, a);
    c.group->add_option("N", a.group, "sharing group, 1..65535")
        ->type_name("")
        ->required()
        ->check(group_check());

    c.stats = app.add_subcommand(
        "stats", "counters of one domain, or of the host and every domain");
    add_domid(c.stats, a, false);
    auto* json = c.stats->add_flag("--json", a.json,
                                   "print JSON (the same as --format json)");
    c.stats->add_option("--format", a.format,
                        "table, json, or metrics for a scrape: prometheus "
                        "(text format 0.0.4, as node_exporter's textfile "
                        "collector reads it) or openmetrics")
        ->type_name("FORMAT")
        ->check(CLI::IsMember({"table", "json", "prometheus", "openmetrics"}))
        ->excludes(json)
        ->capture_default_str();

    c.watch = app.add_subcommand(
        "watch", "sample the host's and every domain's counters to CSV");
    c.watch->add_option("--interval", a.interval, "seconds between samples")
        ->type_name("SEC")
        ->required()
        ->check(CLI::Range(0.01, 86400.0));
    c.watch->add_option("--count", a.count,
                        "samples to take (default: until interrupted)")
        ->type_name("N")
        ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 32));
    c.watch->add_option("--output", a.output, "CSV file (default: stdout)")
        ->type_name("FILE.csv");

    c.plot = app.add_subcommand(
        "plot", "draw saved memory over time from a watch CSV (gnuplot)");
    c.plot->add_option("CSV", a.csv, "CSV written by watch")
        ->type_name("")
        ->required();
    c.plot->add_option("--output", a.output, "PNG to write")
        ->type_name("PNG")
        ->required();
    c.plot->add_option("--gnuplot", a.gnuplot, "gnuplot program")
        ->type_name("PROGRAM")
        ->capture_default_str();

    c.audit = app.add_subcommand(
        "audit", "check every invariant of the sharing engine; exit 0 only "
                 "if none is violated");
    c.reserve = app.add_subcommand(
        "reserve", "free host memory copy-on-write leaves alone: below it, "
                   "faults are paid by reclaiming volatile pages first");
    c.reserve->add_option("MIB", a.reserve_mib,
                          "new reserve in MiB (default: show it)")
        ->type_name("")
        ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 40));
    c.classes = app.add_subcommand(
        "classes", "the hint classes a domain may use: show them, or allow "
                   "only those given (zero only: no content is shared)");
    add_domid(c.classes, a);
    c.classes->add_option("CLASSES", a.classes,
                          "all, none, or some of kernel_text,kernel_rodata,"
                          "process_text,zero,in_use (default: show them)")
        ->type_name("")
        ->check(classes_check());
    c.version = app.add_subcommand(
        "version", "the hypervisor's coshare ABI version");
    return c;
}

// Every command that talks to Xen starts here.
Connection open(Env& env)
{
    Connection c = env.connect();
    require_coshare(c.hv);
    return c;
}

Exit do_control(Env& env, const Args& a, bool enable)
{
    Connection c = open(env);
    uint16_t domid = resolve_domain(c.domains, a.domain);
    uint32_t set = (a.repay ? XEN_COSHARE_CTL_REPAY : 0) |
                   (a.lend ? XEN_COSHARE_CTL_LEND : 0) |
                   (a.quiet ? XEN_COSHARE_CTL_QUIET : 0);
    uint32_t clear = (a.no_repay ? XEN_COSHARE_CTL_REPAY : 0) |
                     (a.no_lend ? XEN_COSHARE_CTL_LEND : 0) |
                     (a.no_quiet ? XEN_COSHARE_CTL_QUIET : 0);
    (enable ? set : clear) |= XEN_COSHARE_CTL_ENABLE;
    uint32_t flags = control(c.hv, domid, set, clear);
    auto s = try_domain_stats(c.hv, domid);
    env.out << control_text(domid, flags, s ? &*s : nullptr);
    return Exit::ok;
}

Exit do_group(Env& env, const Args& a)
{
    Connection c = open(env);
    uint16_t domid = resolve_domain(c.domains, a.domain);
    set_group(c.hv, domid, a.group);
    env.out << "domain " << domid << ": sharing group " << a.group << '\n';
    return Exit::ok;
}

Exit do_stats(Env& env, const Args& a, bool one)
{
    const std::string format = a.json ? "json" : a.format;
    const auto metrics_format = format == "openmetrics"
                                    ? MetricsFormat::openmetrics
                                    : MetricsFormat::prometheus;
    const bool metrics = format == "prometheus" || format == "openmetrics";
    Connection c = open(env);
    if (one) {
        DomainStats d = domain_stats(c, resolve_domain(c.domains, a.domain));
        if (format == "json")
            env.out << domain_json(d).dump(2) << '\n';
        else if (metrics)
            env.out << domain_metrics(d, metrics_format);
        else
            env.out << domain_table(d);
    } else {
        Snapshot snap = snapshot(c);
        if (format == "json")
            env.out << snapshot_json(snap).dump(2) << '\n';
        else if (metrics)
            env.out << snapshot_metrics(snap, metrics_format);
        else
            env.out << snapshot_table(snap);
    }
    return Exit::ok;
}

Exit do_watch(Env& env, const Args& a, bool counted)
{
    Connection c = open(env);
    WatchOptions opt;
    opt.interval = std::chrono::duration<double>(a.interval);
    if (counted)
        opt.count = a.count;
    if (a.output.empty()) {
        watch(c, env.clock(), opt, env.out);
        return Exit::ok;
    }
    std::ofstream f(a.output, std::ios::trunc);
    if (!f)
        throw Error(Exit::failure, "cannot write " + a.output + ": " +
                                       describe_errno(errno));
    watch(c, env.clock(), opt, f);
    return Exit::ok;
}

Exit do_plot(Env& env, const Args& a)
{
    render_png(plot_data(read_csv(a.csv)), a.output, a.gnuplot);
    env.out << "wrote " << a.output << '\n';
    return Exit::ok;
}

Exit do_audit(Env& env)
{
    Connection c = open(env);
    AuditResult r = audit(c.hv);
    env.out << audit_text(r);
    return r.errors ? Exit::audit_errors : Exit::ok;
}

Exit do_reserve(Env& env, const Args& a, bool set)
{
    constexpr uint64_t kFramesPerMib = (1 << 20) / kPageBytes;
    Connection c = open(env);
    Reserve r = reserve(c.hv, set ? std::optional(a.reserve_mib * kFramesPerMib)
                                  : std::nullopt);
    env.out << "copy-on-write reserve " << mib(r.frames) << " MiB ("
            << r.frames << " frames); host free " << mib(r.free) << " MiB\n";
    return Exit::ok;
}

Exit do_classes(Env& env, const Args& a, bool set)
{
    Connection c = open(env);
    std::string error;
    std::optional<uint32_t> mask;
    if (set)
        mask = parse_classes(a.classes, error);
    uint16_t domid = resolve_domain(c.domains, a.domain);
    uint32_t now = classes(c.hv, domid, mask);
    env.out << "domain " << domid << ": hint classes "
            << classes_text(now) << '\n';
    return Exit::ok;
}

Exit do_version(Env& env)
{
    Connection c = env.connect();
    Version v = query_version(c.hv);
    env.out << version_text(v);
    check_abi(v);
    return Exit::ok;
}

Exit dispatch(const Commands& c, const Args& a, Env& env)
{
    if (c.enable->parsed())
        return do_control(env, a, true);
    if (c.disable->parsed())
        return do_control(env, a, false);
    if (c.group->parsed())
        return do_group(env, a);
    if (c.stats->parsed())
        return do_stats(env, a, c.stats->count("DOMAIN") > 0);
    if (c.watch->parsed())
        return do_watch(env, a, c.watch->count("--count") > 0);
    if (c.plot->parsed())
        return do_plot(env, a);
    if (c.audit->parsed())
        return do_audit(env);
    if (c.reserve->parsed())
        return do_reserve(env, a, c.reserve->count("MIB") > 0);
    if (c.classes->parsed())
        return do_classes(env, a, c.classes->count("CLASSES") > 0);
    return do_version(env);
}

}  // namespace

int run(int argc, const char* const* argv, Env& env)
{
    CLI::App app{"coshare-ctl: dom0 control of coshare, guest-hinted page "
                 "sharing for Xen",
                 "coshare-ctl"};
    Args args;
    Commands cmds = build(app, args);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e, env.out, env.err) == 0 ? int(Exit::ok)
                                                  : int(Exit::usage);
    }
    Exit code = Exit::failure;
    try {
        code = dispatch(cmds, args, env);
    } catch (const Error& e) {
        env.err << "coshare-ctl: " << e.what() << '\n';
        code = e.code();
    } catch (const std::exception& e) {
        env.err << "coshare-ctl: " << e.what() << '\n';
        code = Exit::failure;
    }
    env.out.flush();
    if (!env.out && code == Exit::ok) {
        env.err << "coshare-ctl: cannot write the output\n";
        code = Exit::failure;
    }
    return int(code);
}

int run(const std::vector<std::string>& args, Env& env)
{
    std::vector<const char*> argv{"coshare-ctl"};
    for (const auto& a : args)
        argv.push_back(a.c_str());
    return run(static_cast<int>(argv.size()), argv.data(), env);
}

}  // namespace coshare::ctl
