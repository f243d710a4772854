// SPDX-License-Identifier: MIT
// coshare-stockshare (dom0): shares the equal pages of a gfn range of two
// domains through Xen's stock dom0 ops, page by page (read and compare,
// nominate, nominate, share), and prints the time and pages per second as
// JSON: the baseline for the hint op.
#include <chrono>
#include <cstring>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "stock_share.h"

int main(int argc, char** argv)
{
    CLI::App app{"coshare-stockshare: share the equal pages of a gfn range of two "
                 "domains with Xen's stock nominate + share, page by page, "
                 "timed",
                 "coshare-stockshare"};
    unsigned a = 0, b = 0;
    uint64_t first = 0, count = 0;
    app.add_option("DOMA", a, "domain whose frames stay")->required()
        ->check(CLI::Range(1u, 32751u));
    app.add_option("DOMB", b, "domain whose gfns are shared into DOMA's")
        ->required()->check(CLI::Range(1u, 32751u));
    app.add_option("--first", first, "first gfn (0x... accepted)")->required();
    app.add_option("--count", count, "gfns")->required()
        ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 32));
    uint64_t stride = 1;
    app.add_option("--stride", stride,
                   "gfns first, first + stride, ...: a sample of a range "
                   "with the same mix of pages")
        ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 32))->capture_default_str();
    app.footer("Pause both domains: a page that changes between the "
               "compare and the share would be merged anyway.  Exit status "
               "1 if Xen could not be reached or no page was shared.");
    CLI11_PARSE(app, argc, argv);
    if (count - 1 > ((uint64_t{1} << 52) - 1 - first) / stride) {
        std::cerr << "coshare-stockshare: --first + (--count - 1) * --stride "
                     "is beyond any gfn\n";
        return 2;
    }

    char msg[256] = "";
    stock_share* s = stock_share_open(static_cast<uint16_t>(a),
                                      static_cast<uint16_t>(b), msg, sizeof msg);
    if (!s) {
        std::cerr << "coshare-stockshare: " << msg << '\n';
        return 1;
    }
    // Timed: the sharing only, not opening Xen's interfaces.
    stock_share_result r{};
    auto t0 = std::chrono::steady_clock::now();
    stock_share_range(s, first, count, stride, &r);
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - t0).count();
    stock_share_close(s);
    nlohmann::json j{{"pages", count}, {"stride", stride}, {"equal", r.equal},
                     {"shared", r.shared}, {"failed", r.failed},
                     {"ms", ms}, {"pages_per_s", ms > 0 ? r.shared * 1000.0 / ms : 0}};
    if (r.failed)
        j["first_error"] = std::strerror(r.first_errno);
    std::cout << j.dump() << '\n';
    return r.shared ? 0 : 1;
}
