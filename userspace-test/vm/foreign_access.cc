// SPDX-License-Identifier: MIT
// coshare-foreign-access: dom0's side of the hostile phase.  While a hostile
// guest attacks its own pages (coshare-probe hostile-memory), dom0 reaches
// the same pages the ways backends and toolstacks do:
//   foreign maps (privcmd, read-only and writable: a PV dom0's mod_l1_entry
//   meets the shared frame), grant maps (read-only and writable, of the
//   guest's read-only and writable grants) and grant copies (from and to).
// It writes through every writable access.  A write that reached a shared
// frame would show in the partner guest's copy, which checks its pages at
// the end; here only results the ABI forbids count as wrong: a writable map
// or a copy into a read-only grant that succeeds.
//
//   coshare-foreign-access DOMID GRANTS_JSON [--seconds S] [--seed N]
//
// GRANTS_JSON holds the guest's "hostile-grants" lines (gfns, refs_ro,
// refs_rw), one or more copies: the first intact one counts.
// Runs until SIGTERM or S seconds, then prints one JSON line of results.
#include <signal.h>
#include <sys/mman.h>

extern "C" {    // these headers declare no C linkage of their own
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xen/grant_table.h>
}

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

std::atomic<bool> stopping{false};

struct Grants {
    std::vector<uint64_t> gfns;
    std::vector<uint32_t> ro, rw;
};

class Access {
public:
    Access(uint16_t domid, Grants g, uint64_t seed)
        : domid_(domid), g_(std::move(g)), rng_(seed),
          fmem_(xenforeignmemory_open(nullptr, 0)),
          xgt_(xengnttab_open(nullptr, 0))
    {
        if (!fmem_ || !xgt_)
            throw std::runtime_error(std::string("libxenforeignmemory or "
                                     "libxengnttab: ") + strerror(errno));
        if (g_.gfns.empty() || g_.ro.empty() || g_.rw.empty())
            throw std::runtime_error("the grants line lists no gfns or refs");
    }
    ~Access()
    {
        xengnttab_close(xgt_);
        xenforeignmemory_close(fmem_);
    }

    void step()
    {
        switch (rng_() % 6) {
        case 0: foreign(false); break;
        case 1: foreign(true); break;
        case 2: grant_map(false); break;
        case 3: grant_map(true); break;
        case 4: grant_copy(false); break;
        case 5: grant_copy(true); break;
        }
        ++steps_;
    }

    nlohmann::json report() const
    {
        return {{"steps", steps_}, {"wrong", wrong_}, {"results", results_}};
    }
    uint64_t wrong() const { return wrong_; }

private:
    void note(const std::string& op, const std::string& outcome, bool ok = true)
    {
        results_[op][outcome]++;
        if (!ok && wrong_++ < 10)
            std::cerr << op << ": " << outcome << " is not allowed\n";
    }

    template <class T> const T& pick(const std::vector<T>& v)
    {
        return v[rng_() % v.size()];
    }

    void touch(volatile uint64_t* page, bool write)
    {
        size_t w = rng_() % (4096 / 8);
        if (write)
            page[w] = rng_();
        else
            (void)page[w];
    }

    // privcmd: a PV dom0 maps the gfn's frame into its own page tables.
    void foreign(bool write)
    {
        const char* op = write ? "foreign_rw" : "foreign_ro";
        xen_pfn_t gfn = pick(g_.gfns);
        int err = 0;
        void* p = xenforeignmemory_map(fmem_, domid_,
                                       PROT_READ | (write ? PROT_WRITE : 0), 1,
                                       &gfn, &err);
        if (!p) {
            note(op, "map_errno_" + std::to_string(errno));
            return;
        }
        if (err) {
            note(op, "err_" + std::to_string(-err));
        } else {
            touch(static_cast<uint64_t*>(p), write);
            note(op, "ok");
        }
        xenforeignmemory_unmap(fmem_, p, 1);
    }

    // Refused by design, and a debug Xen logs each refusal on its serial
    // console (slow under emulation): one writable access in 8 tries a
    // read-only grant, half of the read-only ones do.
    bool pick_ro_ref(bool write) { return write ? rng_() % 8 == 0 : rng_() % 2; }

    // A writable map of a read-only grant must fail.
    void grant_map(bool write)
    {
        bool ro_ref = pick_ro_ref(write);
        uint32_t ref = pick(ro_ref ? g_.ro : g_.rw);
        std::string op = std::string(write ? "gmap_rw" : "gmap_ro") +
                         (ro_ref ? "_of_ro" : "_of_rw");
        void* p = xengnttab_map_grant_ref(xgt_, domid_, ref,
                                          PROT_READ | (write ? PROT_WRITE : 0));
        if (!p) {
            note(op, "errno_" + std::to_string(errno));
            return;
        }
        touch(static_cast<uint64_t*>(p), write);
        note(op, "ok", !(write && ro_ref));
        xengnttab_unmap(xgt_, p, 1);
    }

    // GNTTABOP_copy, a page's worth; into a read-only grant must fail.
    void grant_copy(bool to_guest)
    {
        bool ro_ref = pick_ro_ref(to_guest);
        uint32_t ref = pick(ro_ref ? g_.ro : g_.rw);
        std::string op = std::string(to_guest ? "copy_to" : "copy_from") +
                         (ro_ref ? "_ro" : "_rw");
        std::vector<uint64_t> buf(512);
        for (auto& w : buf)
            w = rng_();
        xengnttab_grant_copy_segment_t seg{};
        seg.len = 4096;
        if (to_guest) {
            seg.flags = GNTCOPY_dest_gref;
            seg.source.virt = buf.data();
            seg.dest.foreign.ref = ref;
            seg.dest.foreign.domid = domid_;
        } else {
            seg.flags = GNTCOPY_source_gref;
            seg.dest.virt = buf.data();
            seg.source.foreign.ref = ref;
            seg.source.foreign.domid = domid_;
        }
        if (xengnttab_grant_copy(xgt_, 1, &seg)) {
            note(op, "errno_" + std::to_string(errno));
            return;
        }
        note(op, "gntst_" + std::to_string(seg.status),
             !(to_guest && ro_ref && seg.status == GNTST_okay));
    }

    uint16_t domid_;
    Grants g_;
    std::mt19937_64 rng_;
    xenforeignmemory_handle* fmem_;
    xengnttab_handle* xgt_;
    uint64_t steps_ = 0, wrong_ = 0;
    std::map<std::string, std::map<std::string, uint64_t>> results_;
};

// The first intact copy of the line: the guest prints it more than once,
// since its console may split a long line with a kernel message.
Grants read_grants(const std::string& path)
{
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error(path + ": cannot read");
    for (std::string line; std::getline(in, line);) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_object() && j.contains("gfns") && j.contains("refs_ro") &&
            j.contains("refs_rw"))
            return {j["gfns"].get<std::vector<uint64_t>>(),
                    j["refs_ro"].get<std::vector<uint32_t>>(),
                    j["refs_rw"].get<std::vector<uint32_t>>()};
    }
    throw std::runtime_error(path + ": no intact line of grants (gfns, "
                             "refs_ro, refs_rw)");
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"dom0 maps and copies a hostile guest's pages while it "
                 "attacks them (foreign maps, grant maps, grant copies)"};
    unsigned domid = 0, seconds = 3600;
    uint64_t seed = 1;
    std::string grants;
    app.add_option("domid", domid, "the hostile guest")->required()
        ->check(CLI::Range(1u, 0x7fefu));
    app.add_option("grants", grants,
                   "a file with the guest's hostile-grants JSON")->required();
    app.add_option("--seconds", seconds, "stop after this long (or SIGTERM)")
        ->capture_default_str();
    app.add_option("--seed", seed, "random seed")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    struct sigaction sa{};
    sa.sa_handler = [](int) { stopping = true; };
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    try {
        Access a(static_cast<uint16_t>(domid), read_grants(grants), seed);
        auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
        while (!stopping && std::chrono::steady_clock::now() < end)
            a.step();
        std::cout << a.report().dump() << std::endl;
        return a.wrong() ? 1 : 0;
    } catch (const std::exception& e) {
        std::cerr << "coshare-foreign-access: " << e.what() << '\n';
        return 2;
    }
}
