// SPDX-License-Identifier: MIT
// demo.cc - `make demo` until the nested-Xen demo lands: four simulated
// guests built from real files of this machine hint their pages, and the
// engine shows what it shared, per class and per guest, against the
// full-content oracle.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "content.h"

using namespace coshare;

static const char* kClassNames[XEN_COSHARE_CLASS_NR] = {
    "kernel text", "kernel rodata", "process text", "zero/free"};

int main(int argc, char** argv)
{
    CLI::App app{"coshare demo: guest-hinted sharing in the simulator, on "
                 "real files of this machine"};
    unsigned guests = 4;
    size_t free_pages = 8192, anon = 2048;
    app.add_option("-g,--guests", guests, "guests to start")
        ->check(CLI::Range(1, 64));
    app.add_option("--free", free_pages, "free pages per guest (hinted zero)");
    app.add_option("--anon", anon, "private anonymous pages per guest");
    CLI11_PARSE(app, argc, argv);

    auto files = sim::find_real_files();
    std::printf("Building %u guests from %zu real files:\n", guests,
                files.count());
    for (const auto* list : {&files.kernel_text, &files.kernel_rodata,
                             &files.common, &files.optional})
        for (const auto& f : *list)
            std::printf("  %s\n", f.c_str());

    std::vector<sim::GuestImage> images;
    size_t pages = 0;
    for (unsigned i = 0; i < guests; ++i) {
        images.push_back(sim::make_guest_image(i, files, anon, free_pages, 7));
        pages = std::max(pages, images.back().pages());
    }
    sim::Host host(guests * pages + 1024);
    std::printf("\n%-6s %10s %10s %10s %10s %9s\n", "guest", "pages",
                "hinted", "shared", "inserted", "time ms");
    for (unsigned i = 0; i < guests; ++i) {
        uint16_t d = static_cast<uint16_t>(i + 1);
        auto gfns = sim::load_image(host, d, images[i], pages);
        host.enable(d, 1);
        auto t0 = std::chrono::steady_clock::now();
        for (unsigned c = 0; c < XEN_COSHARE_CLASS_NR; ++c)
            host.hint(d, c, gfns[c]);
        double ms = std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - t0).count();
        auto s = host.stats(d);
        uint64_t h = 0, sh = 0, in = 0;
        for (unsigned c = 0; c < XEN_COSHARE_CLASS_NR; ++c) {
            h += s.hinted[c];
            sh += s.shared[c];
            in += s.inserted[c];
        }
        std::printf("d%-5u %10zu %10llu %10llu %10llu %9.1f\n", d, pages,
                    (unsigned long long)h, (unsigned long long)sh,
                    (unsigned long long)in, ms);
    }

    auto g = host.global_stats();
    std::printf("\n%-14s %10s %10s %10s\n", "class", "hinted", "shared",
                "inserted");
    for (unsigned c = 0; c < XEN_COSHARE_CLASS_NR; ++c)
        std::printf("%-14s %10llu %10llu %10llu\n", kClassNames[c],
                    (unsigned long long)g.hinted[c],
                    (unsigned long long)g.shared[c],
                    (unsigned long long)g.inserted[c]);

    std::vector<const sim::GuestImage*> ptrs;
    for (const auto& im : images)
        ptrs.push_back(&im);
    uint64_t oracle = sim::oracle_saved(ptrs);
    uint64_t total = uint64_t(guests) * pages;
    std::printf("\nframes saved: %llu of %llu guest pages (%.1f%%); "
                "full-content oracle: %llu (captured %.1f%%)\n",
                (unsigned long long)g.saved, (unsigned long long)total,
                100.0 * g.saved / total, (unsigned long long)oracle,
                oracle ? 100.0 * g.saved / oracle : 100.0);
    std::printf("shared frames %llu, mappings %llu, compare failures %llu, "
                "engine metadata %.1f bytes per tracked page\n",
                (unsigned long long)g.frames,
                (unsigned long long)g.mappings,
                (unsigned long long)g.compare_fail,
                double(g.meta_bytes) / double(g.mappings));
    unsigned errors = host.audit();
    std::printf("audit: %u violations\n", errors);
    return errors || g.saved != oracle ? 1 : 0;
}
