// SPDX-License-Identifier: MIT
// coshare_probe.cc - a guest-side test driver for the coshare hypercalls,
// run inside PVH guests by the nested-VM tests.  It issues the ops raw,
// through the test module coshare_probe.ko (guest-driver/probe), so it can
// also behave as a hostile guest:
//   coshare-probe version
//   coshare-probe share --pattern P --pages N [--write] [--delay S] [--hold S]
//   coshare-probe hint --first GFN --count N [--rounds R [--paced]] (own gfns, timed)
//   coshare-probe hostile --ops N [--seed S]
//   coshare-probe pagetables        (none of the kernel's tables is shared)
//   coshare-probe writers --file F --pages N --seconds S   (every vCPU)
//   coshare-probe exec-rewrite --file F --pages N --seconds S
// Every command prints one JSON line (paced hint rounds one more each) and
// exits 0 only when its checks held.
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xen/xen.h>

#include "coshare.h"
#include "coshare_probe_uapi.h"
#include "writers.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr size_t kPage = 4096;

// Pages whose guest frames are hinted: populated and locked, so that each
// stays on the frame /proc/self/pagemap reported.
class LockedBuffer {
public:
    explicit LockedBuffer(size_t bytes)
        : size_((bytes + kPage - 1) / kPage * kPage)
    {
        void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED,
                       -1, 0);
        if (p == MAP_FAILED)
            throw std::runtime_error("mmap: " + std::string(strerror(errno)));
        data_ = static_cast<std::byte*>(p);
    }
    ~LockedBuffer() { munmap(data_, size_); }
    LockedBuffer(const LockedBuffer&) = delete;
    LockedBuffer& operator=(const LockedBuffer&) = delete;

    std::byte* page(size_t i) { return data_ + i * kPage; }
    size_t size() const { return size_; }

private:
    size_t size_;
    std::byte* data_;
};

class ProbeDevice {
public:
    ProbeDevice() : fd_(open("/dev/coshare_probe", O_RDWR | O_CLOEXEC))
    {
        if (fd_ < 0)
            throw std::runtime_error("/dev/coshare_probe: " +
                                     std::string(strerror(errno)) +
                                     " (load coshare_probe.ko in a Xen guest)");
    }
    ~ProbeDevice() { close(fd_); }
    ProbeDevice(const ProbeDevice&) = delete;
    ProbeDevice& operator=(const ProbeDevice&) = delete;

    // Issues op with buf (entries or stats) copied through the kernel, or
    // with op's own handles when raw.  Returns the hypercall's result.
    long op(xen_coshare_op_t& op, void* buf = nullptr, size_t len = 0,
            bool raw = false) const
    {
        coshare_probe_op p{};
        static_assert(sizeof(p.op) == sizeof(op));
        memcpy(p.op, &op, sizeof(op));
        p.buf = reinterpret_cast<uintptr_t>(buf);
        p.len = static_cast<uint32_t>(len);
        p.raw = raw;
        if (ioctl(fd_, COSHARE_PROBE_OP, &p) < 0)
            throw std::runtime_error("ioctl: " + std::string(strerror(errno)));
        memcpy(&op, p.op, sizeof(op));
        return p.rc;
    }

    // The pfns of the kernel's page tables, as coshare.ko finds them.
    std::vector<uint64_t> tables() const
    {
        std::vector<uint64_t> pfns(1 << 16);
        coshare_probe_tables t{};
        t.buf = reinterpret_cast<uintptr_t>(pfns.data());
        t.max = static_cast<uint32_t>(pfns.size());
        if (ioctl(fd_, COSHARE_PROBE_TABLES, &t) < 0)
            throw std::runtime_error("ioctl: " + std::string(strerror(errno)));
        if (t.count > t.max)
            throw std::runtime_error("more page tables than the probe reads");
        pfns.resize(t.count);
        return pfns;
    }

private:
    int fd_;
};

// The guest frame of a virtual address, from /proc/self/pagemap (root).
uint64_t gfn_of(const void* va)
{
    static const int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    uint64_t entry = 0;
    off_t off = static_cast<off_t>(reinterpret_cast<uintptr_t>(va) / kPage * 8);
    if (fd < 0 || pread(fd, &entry, 8, off) != 8 || !(entry >> 63))
        throw std::runtime_error("pagemap: page not present or not root");
    return entry & ((1ULL << 55) - 1);
}

xen_coshare_entry_t entry(uint64_t gfn)
{
    xen_coshare_entry_t e{};
    e.gfn = gfn;
    return e;
}

void fill(std::byte* page, uint32_t pattern, uint64_t index)
{
    std::mt19937_64 rng(pattern * 1000003ULL + index);
    auto* words = reinterpret_cast<uint64_t*>(page);
    for (size_t w = 0; w < kPage / 8; ++w)
        words[w] = rng();
}

// The op and its buffers travel through coshare_probe.ko, which copies
// them into kernel memory: plain user memory will do.
xen_coshare_op_t make_op(uint8_t code)
{
    xen_coshare_op_t op{};
    op.op = code;
    op.domain = DOMID_SELF;
    return op;
}

// Hints gfns as process text (Xen hashes and compares them) in full
// batches; tallies the per-entry results by name.
struct HintTally {
    std::map<std::string, uint64_t> results;
    long first_error = 0;
};

HintTally batch_gfns(const ProbeDevice& pc, const std::vector<uint64_t>& gfns,
                     uint32_t op_code)
{
    static const std::array<const char*, 6> names{
        "pending", "shared", "inserted", "skipped", "error", "done"};
    static const std::array<const char*, 10> skips{
        "none", "already", "not_ram", "foreign_shared", "volatile",
        "need_volatile", "busy", "not_shared", "collisions", "untracked"};
    std::vector<xen_coshare_entry_t> ents(XEN_COSHARE_BATCH_MAX);
    HintTally t;
    for (size_t base = 0; base < gfns.size(); base += XEN_COSHARE_BATCH_MAX) {
        auto nr = static_cast<uint32_t>(
            std::min<size_t>(XEN_COSHARE_BATCH_MAX, gfns.size() - base));
        for (uint32_t i = 0; i < nr; ++i)
            ents[i] = entry(gfns[base + i]);
        auto op = make_op(op_code);
        if (op_code == XENMEM_sharing_op_coshare_hint)
            op.u.batch.hint_class = XEN_COSHARE_CLASS_PROCESS_TEXT;
        op.u.batch.nr = nr;
        if (long rc = pc.op(op, ents.data(), nr * sizeof(ents[0])); rc) {
            t.first_error = t.first_error ? t.first_error : rc;
            continue;
        }
        for (uint32_t i = 0; i < nr; ++i) {
            auto r = ents[i].result;
            t.results[r < names.size() ? names[r] : "bad"]++;
            auto why = static_cast<uint32_t>(ents[i].error);
            if (r == XEN_COSHARE_RES_SKIPPED)
                t.results[std::string("skipped_") +
                          (why < skips.size() ? skips[why] : "bad")]++;
        }
    }
    return t;
}

HintTally hint_gfns(const ProbeDevice& pc, const std::vector<uint64_t>& gfns)
{
    return batch_gfns(pc, gfns, XENMEM_sharing_op_coshare_hint);
}

int cmd_version(const ProbeDevice& pc)
{
    auto op = make_op(XENMEM_sharing_op_coshare_version);
    long rc = pc.op(op);
    nlohmann::json j{{"rc", rc}};
    if (rc == 0)
        j["version"] = op.u.version.version;
    std::cout << j.dump() << '\n';
    return rc == 0 && (op.u.version.version >> 16) == (XEN_COSHARE_VERSION >> 16)
               ? 0 : 1;
}

int cmd_share(const ProbeDevice& pc, uint32_t pattern, size_t pages, bool write,
              unsigned delay, unsigned hold)
{
    LockedBuffer data(pages * kPage);
    for (size_t i = 0; i < pages; ++i)
        fill(data.page(i), pattern, i);

    std::vector<uint64_t> gfns(pages);
    for (size_t i = 0; i < pages; ++i)
        gfns[i] = gfn_of(data.page(i));
    auto [results, first_error] = hint_gfns(pc, gfns);

    if (delay) {
        // Lets the test change the host (e.g. use up its free memory)
        // between the hints and the writes.
        std::cout << nlohmann::json{{"phase", "hinted"}, {"rc", first_error},
                                    {"results", results}}.dump()
                  << std::endl;
        std::this_thread::sleep_for(std::chrono::seconds(delay));
    }

    // Copy-on-write: every page must still read back as written.
    uint64_t intact = 0;
    std::array<std::byte, kPage> expect;
    for (size_t i = 0; i < pages; ++i) {
        fill(expect.data(), pattern, i);
        if (write) {
            data.page(i)[17] = std::byte{0xa5};
            expect[17] = std::byte{0xa5};
        }
        intact += memcmp(data.page(i), expect.data(), kPage) == 0;
    }
    nlohmann::json j{{"pages", pages}, {"rc", first_error}, {"intact", intact},
                     {"results", results}};
    std::cout << j.dump() << std::endl;
    if (hold)
        std::this_thread::sleep_for(std::chrono::seconds(hold));
    return first_error == 0 && intact == pages ? 0 : 1;
}

double ms_between(std::chrono::steady_clock::time_point a,
                  std::chrono::steady_clock::time_point b)
{
    return std::chrono::duration<double, std::milli>(b - a).count();
}

// A nonblank line: a console may turn one typed line into "go\r\n".
bool wait_for_line(std::istream& in)
{
    for (std::string line; std::getline(in, line);)
        if (line.find_first_not_of(" \r\t") != std::string::npos)
            return true;
    return false;
}

// Hints a range of this guest's own gfns as process text (hashed and
// compared by Xen, whatever they hold) and times it: the hint path of the
// stock-vs-hint comparison.  With rounds > 1 the range is unhinted (made
// private again, untimed) between rounds and "ms" is the median round, so
// one slow round on a noisy host does not decide the figure.  Paced, each
// round waits for a line on stdin (dom0 writes it to the guest's console
// when its own stock sample is done) and prints its own JSON line, so that
// both paths are timed side by side on a host whose speed drifts.
int cmd_hint(const ProbeDevice& pc, uint64_t first, uint64_t count,
             unsigned rounds, bool paced)
{
    std::vector<uint64_t> gfns(count);
    for (uint64_t i = 0; i < count; ++i)
        gfns[i] = first + i;
    std::vector<double> round_ms;
    HintTally t;
    for (unsigned r = 0; r < rounds && t.first_error == 0; ++r) {
        if (paced && !wait_for_line(std::cin)) {
            std::cerr << "coshare-probe: stdin closed before round " << r
                      << " (paced rounds wait for a line each)\n";
            return 1;
        }
        auto u0 = std::chrono::steady_clock::now();
        if (r > 0) {
            HintTally u = batch_gfns(pc, gfns, XENMEM_sharing_op_coshare_unhint);
            if (u.first_error) {
                t.first_error = u.first_error;
                break;
            }
        }
        auto t0 = std::chrono::steady_clock::now();
        HintTally h = hint_gfns(pc, gfns);
        round_ms.push_back(ms_between(t0, std::chrono::steady_clock::now()));
        if (paced)
            std::cout << nlohmann::json{{"round", r}, {"ms", round_ms.back()},
                                        {"unhint_ms", ms_between(u0, t0)},
                                        {"shared", h.results.contains("shared")
                                                       ? h.results.at("shared") : 0},
                                        {"rc", h.first_error}}.dump()
                      << std::endl;
        if (r == 0 || h.first_error)
            t = h;  // the first round's results (later ones repeat them)
    }
    std::vector<double> sorted = round_ms;
    std::sort(sorted.begin(), sorted.end());
    double ms = sorted.empty() ? 0 : sorted[sorted.size() / 2];
    std::cout << nlohmann::json{{"pages", count}, {"rc", t.first_error},
                                {"ms", ms}, {"round_ms", round_ms},
                                {"results", t.results}}.dump()
              << std::endl;
    return t.first_error == 0 ? 0 : 1;
}

// The kernel's page tables must never be shared (the CPU and Xen write
// them on every walk): each is unhinted, and none may have been shared.
int cmd_pagetables(const ProbeDevice& pc)
{
    auto pfns = pc.tables();
    HintTally t = batch_gfns(pc, pfns, XENMEM_sharing_op_coshare_unhint);
    uint64_t shared = t.results.contains("done") ? t.results.at("done") : 0;
    std::cout << nlohmann::json{{"tables", pfns.size()}, {"shared", shared},
                                {"rc", t.first_error},
                                {"results", t.results}}.dump()
              << std::endl;
    return t.first_error == 0 && shared == 0 && !pfns.empty() ? 0 : 1;
}

// Random malformed and foreign ops: each must fail with the errno the ABI
// documents, and the hypervisor must survive them all.
int cmd_hostile(const ProbeDevice& pc, unsigned ops, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::vector<xen_coshare_entry_t> ents(XEN_COSHARE_BATCH_MAX);
    std::map<long, uint64_t> errnos;
    uint64_t wrong = 0;

    for (unsigned n = 0; n < ops; ++n) {
        auto o = make_op(0);
        auto* op = &o;
        unsigned kind = rng() % 10;
        long want = 0;          // 0: any result is fine
        bool entries_fail = false;  // every entry must come back RES_ERROR
        size_t len = 0;         // entry bytes passed through the module
        bool raw = false;
        switch (kind) {
        case 0:                 // a batch op on another domain
            op->op = XENMEM_sharing_op_coshare_hint + rng() % 4;
            // dom0, or ids far above the test guests' own
            op->domain = rng() % 2 ? 0 : static_cast<domid_t>(100 + rng() % 0x7f00);
            op->u.batch.nr = 1;
            len = sizeof(ents[0]);
            want = -EPERM;
            break;
        case 1:                 // too big a batch
            op->op = XENMEM_sharing_op_coshare_hint;
            op->u.batch.nr = XEN_COSHARE_BATCH_MAX + 1 + rng() % 100000;
            len = sizeof(ents[0]);
            want = -E2BIG;
            break;
        case 2:                 // nonzero padding
            op->op = XENMEM_sharing_op_coshare_hint;
            op->pad1 = 1 + rng() % 1000;
            want = -EINVAL;
            break;
        case 3:                 // dom0-only ops from a guest
            op->op = XENMEM_sharing_op_coshare_control + rng() % 4;
            op->domain = static_cast<domid_t>(rng() % 4 + 1);
            want = -EPERM;
            break;
        case 4: {               // random gfns: hint (never as zero) or unhint
            // A guest can hurt only itself, but this one must keep running:
            // no zero-class hints and no volatile registrations of its pages.
            op->op = rng() % 2 ? XENMEM_sharing_op_coshare_hint
                               : XENMEM_sharing_op_coshare_unhint;
            op->u.batch.hint_class =
                op->op == XENMEM_sharing_op_coshare_hint ? rng() % 3 : 0;
            op->u.batch.nr = rng() % (XEN_COSHARE_BATCH_MAX + 1);
            for (uint32_t i = 0; i < op->u.batch.nr; ++i)
                ents[i] = entry(rng() >> (rng() % 64));
            len = op->u.batch.nr * sizeof(ents[0]);
            break;
        }
        case 5:                 // bad class
            op->op = XENMEM_sharing_op_coshare_hint;
            op->u.batch.hint_class = XEN_COSHARE_CLASS_NR + rng() % 200;
            op->u.batch.nr = 1;
            len = sizeof(ents[0]);
            want = -EINVAL;
            break;
        case 8:                 // volatile gfns never registered (above
                                // the guest's memory, so never its own)
            op->op = XENMEM_sharing_op_coshare_vol_del;
            op->u.batch.nr = 1 + rng() % XEN_COSHARE_BATCH_MAX;
            for (uint32_t i = 0; i < op->u.batch.nr; ++i)
                ents[i] = entry((1ULL << 24) + (rng() >> (rng() % 40)));
            len = op->u.batch.nr * sizeof(ents[0]);
            entries_fail = true;
            break;
        case 9:                 // volatile gfns beyond any guest's memory
            op->op = XENMEM_sharing_op_coshare_vol_add;
            op->u.batch.nr = 1 + rng() % XEN_COSHARE_BATCH_MAX;
            for (uint32_t i = 0; i < op->u.batch.nr; ++i)
                ents[i] = entry((1ULL << 30) + (rng() >> (rng() % 34)));
            len = op->u.batch.nr * sizeof(ents[0]);
            entries_fail = true;
            break;
        case 6:                 // unknown sub-op
            op->op = XENMEM_sharing_op_coshare_reserve + 1 + rng() % 200;
            want = -EOPNOTSUPP;
            break;
        default:                // entries pointer into nowhere
            op->op = XENMEM_sharing_op_coshare_vol_del;
            op->u.batch.nr = 1 + rng() % 8;
            set_xen_guest_handle(op->u.batch.entries,
                reinterpret_cast<xen_coshare_entry_t*>(0x10000ULL + (rng() % 64) * kPage));
            raw = true;
            want = -EFAULT;
            break;
        }
        long rc = pc.op(*op, len ? ents.data() : nullptr, len, raw);
        errnos[rc]++;
        if (entries_fail) {
            // Disabled guests get -EACCES for vol_add; otherwise each entry
            // must fail on its own (-ENOENT, -ERANGE, -EEXIST).
            bool ok = rc == 0 || (rc == -EACCES && op->op == XENMEM_sharing_op_coshare_vol_add);
            for (uint32_t i = 0; ok && rc == 0 && i < op->u.batch.nr; ++i)
                ok = ents[i].result == XEN_COSHARE_RES_ERROR && ents[i].error < 0;
            if (!ok) {
                if (wrong < 10)
                    std::cerr << "op " << unsigned(op->op) << " kind " << kind
                              << ": an unregistered or out-of-range gfn was accepted\n";
                ++wrong;
            }
            continue;
        }
        if (want && rc != want) {
            if (wrong < 10)
                std::cerr << "op " << unsigned(op->op) << " kind " << kind
                          << ": got " << rc << ", want " << want << '\n';
            ++wrong;
        }
    }
    nlohmann::json j{{"ops", ops}, {"wrong", wrong}};
    for (auto [rc, count] : errnos)
        j["rc"][std::to_string(rc)] = count;
    std::cout << j.dump() << std::endl;
    return wrong == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"coshare-probe: drive coshare hypercalls from inside a guest"};
    app.require_subcommand(1);
    auto* version = app.add_subcommand("version", "query the coshare ABI version");
    uint32_t pattern = 1;
    size_t pages = 256;
    bool write = false;
    unsigned hold = 0;
    auto* share = app.add_subcommand("share", "hint pages of known content");
    share->add_option("--pattern", pattern, "content seed")->capture_default_str();
    share->add_option("--pages", pages, "pages to hint")
        ->check(CLI::Range(1, 1 << 20))->capture_default_str();
    share->add_flag("--write", write, "write each page after hinting (CoW)");
    share->add_option("--hold", hold, "seconds to keep the pages afterwards");
    unsigned delay = 0;
    share->add_option("--delay", delay, "seconds between hinting and writing");
    uint64_t first = 0, count = 0;
    auto* hint = app.add_subcommand("hint", "hint a range of own gfns, timed");
    hint->add_option("--first", first, "first gfn")->required();
    hint->add_option("--count", count, "gfns")->required()
        ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 24));
    unsigned rounds = 1;
    hint->add_option("--rounds", rounds,
                     "hint, unhint and hint again; report the median round")
        ->check(CLI::Range(1u, 10000u))->capture_default_str();
    bool paced = false;
    hint->add_flag("--paced", paced,
                   "wait for a line on stdin before each round; print each "
                   "round's JSON line as it ends");
    unsigned ops = 10000;
    uint64_t seed = 1;
    auto* hostile = app.add_subcommand("hostile", "malformed and foreign ops");
    hostile->add_option("--ops", ops, "ops to issue")->capture_default_str();
    hostile->add_option("--seed", seed, "random seed")->capture_default_str();
    app.add_subcommand("pagetables",
                       "unhint the kernel's page tables: none may be shared");
    coshare::vm::WriteLoad load;
    auto add_load = [&](CLI::App* c) {
        c->add_option("--file", load.file, "file to create (in a tmpfs)")
            ->required();
        c->add_option("--pages", load.pages, "pages of the file")
            ->check(CLI::Range(size_t{1}, size_t{1} << 20))->capture_default_str();
        c->add_option("--seconds", load.seconds, "how long to write")
            ->check(CLI::Range(0.1, 86400.0))->capture_default_str();
        c->add_option("--seed", load.seed, "random seed")->capture_default_str();
        return c;
    };
    auto* writers = add_load(app.add_subcommand(
        "writers", "every vCPU rewrites and reads back pages of a shared file"));
    writers->add_option("--threads", load.threads,
                        "writer threads (default: one per online CPU)");
    auto* exec_rewrite = add_load(app.add_subcommand(
        "exec-rewrite", "pwrite a file another process maps PROT_EXEC"));
    CLI11_PARSE(app, argc, argv);

    try {
        if (*writers)
            return coshare::vm::run_file_writers(load);
        if (*exec_rewrite)
            return coshare::vm::run_exec_rewrite(load);
        ProbeDevice pc;
        if (app.got_subcommand("pagetables"))
            return cmd_pagetables(pc);
        if (*version)
            return cmd_version(pc);
        if (*share)
            return cmd_share(pc, pattern, pages, write, delay, hold);
        if (*hint)
            return cmd_hint(pc, first, count, rounds, paced);
        return cmd_hostile(pc, ops, seed);
    } catch (const std::exception& e) {
        std::cerr << "coshare-probe: " << e.what() << '\n';
        return 2;
    }
}
