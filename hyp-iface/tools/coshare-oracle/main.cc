// SPDX-License-Identifier: MIT
// coshare-oracle (dom0): reads the memory of running guests through
// libxenforeignmemory, read-only and in large batches (so shared pages stay
// shared), and prints how much perfect full-content sharing would save.
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
extern "C" {
#include <xenforeignmemory.h>   // no extern "C" of its own
}

#include "content_census.h"
#include "guest_memory.h"
#include "xenctrl_domains.h"

namespace {

using coshare::oracle::ContentCensus;
using coshare::oracle::kPageBytes;

struct DomainScan {
    uint16_t domid;
    uint64_t read = 0, holes = 0;
};

// Reads every gfn of domid up to its highest; gfns Xen refuses are holes.
DomainScan scan(xenforeignmemory_handle* fmem, uint16_t domid,
                unsigned batch, ContentCensus& census)
{
    DomainScan s{domid};
    uint64_t max = 0;
    if (int rc = coshare_oracle_max_gfn(domid, &max); rc < 0)
        throw std::runtime_error("domain " + std::to_string(domid) +
                                 ": no highest gfn (" + std::strerror(-rc) + ")");
    std::vector<xen_pfn_t> gfns(batch);
    std::vector<int> errs(batch);
    for (uint64_t g = 0; g <= max; g += batch) {
        size_t n = std::min<uint64_t>(batch, max + 1 - g);
        for (size_t i = 0; i < n; ++i)
            gfns[i] = g + i;
        void* p = xenforeignmemory_map(fmem, domid, PROT_READ, n, gfns.data(),
                                       errs.data());
        if (!p) {
            s.holes += n;
            continue;
        }
        const auto* base = static_cast<const std::byte*>(p);
        for (size_t i = 0; i < n; ++i) {
            if (errs[i]) {
                ++s.holes;
                continue;
            }
            census.add(std::span<const std::byte, kPageBytes>(
                base + i * kPageBytes, kPageBytes));
            ++s.read;
        }
        xenforeignmemory_unmap(fmem, p, n);
    }
    return s;
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"coshare-oracle: how much memory perfect full-content "
                 "sharing of running guests would save (dom0)",
                 "coshare-oracle"};
    std::vector<unsigned> domids;
    unsigned batch = 1024;
    app.add_option("DOMID", domids, "guests to read (default: every domain "
                                    "but dom0)")
        ->check(CLI::Range(1u, 32751u));
    app.add_option("--batch", batch, "gfns mapped per call")
        ->check(CLI::Range(1u, 65536u))
        ->capture_default_str();
    app.footer("Prints JSON: per domain the pages read and holes, and for "
               "all of them together the zero pages, distinct non-zero "
               "contents and the frames perfect sharing would save.  Exit "
               "status 1 on any error.");
    CLI11_PARSE(app, argc, argv);

    try {
        if (domids.empty()) {
            std::vector<uint16_t> all(4096);
            char msg[256];
            int n = coshare_ctl_list_domains(all.data(), all.size(), msg,
                                             sizeof msg);
            if (n < 0)
                throw std::runtime_error(std::string("cannot list domains: ") +
                                         (msg[0] ? msg : std::strerror(-n)));
            for (int i = 0; i < n; ++i)
                if (all[i] != 0)
                    domids.push_back(all[i]);
        }
        xenforeignmemory_handle* fmem = xenforeignmemory_open(nullptr, 0);
        if (!fmem)
            throw std::runtime_error(std::string("xenforeignmemory_open: ") +
                                     std::strerror(errno) + " (run in dom0 as root)");
        ContentCensus census;
        nlohmann::json doms = nlohmann::json::array();
        for (unsigned d : domids) {
            DomainScan s = scan(fmem, static_cast<uint16_t>(d), batch, census);
            doms.push_back({{"domid", d}, {"pages", s.read}, {"holes", s.holes}});
        }
        xenforeignmemory_close(fmem);
        nlohmann::json out = coshare::oracle::to_json(census.census());
        out["domains"] = doms;
        std::cout << out.dump() << '\n';
    } catch (const std::exception& e) {
        std::cerr << "coshare-oracle: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
