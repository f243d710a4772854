// SPDX-License-Identifier: MIT
// content.cc - real-file guest images and the full-content oracle.
#include "content.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <string_view>
#include <unordered_map>

namespace coshare::sim {

namespace fs = std::filesystem;

size_t GuestImage::pages() const
{
    size_t n = 0;
    for (const auto& r : regions)
        n += r.pages.size();
    return n;
}

size_t RealFiles::count() const
{
    return kernel_text.size() + kernel_rodata.size() + common.size() +
           optional.size();
}

std::vector<Page> file_pages(const fs::path& path, size_t max_pages)
{
    std::vector<Page> pages;
    std::ifstream in(path, std::ios::binary);
    while (in && pages.size() < max_pages) {
        Page p{};
        in.read(reinterpret_cast<char*>(p.data()), kPage);
        if (in.gcount() <= 0)
            break;
        pages.push_back(p);
    }
    return pages;
}

static std::vector<fs::path> existing(std::initializer_list<const char*> paths)
{
    std::vector<fs::path> out;
    for (const char* p : paths)
        if (fs::is_regular_file(p))
            out.emplace_back(fs::canonical(p));
    return out;
}

static std::vector<fs::path> glob_boot(std::string_view prefix)
{
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/boot", ec))
        if (e.path().filename().string().starts_with(prefix))
            out.push_back(e.path());
    std::sort(out.begin(), out.end());
    if (out.size() > 1)
        out.erase(out.begin(), out.end() - 1);   // the newest only
    return out;
}

// Modules a Xen guest of the newest installed kernel loads.
static std::vector<fs::path> guest_modules()
{
    std::vector<fs::path> kernels, out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/usr/lib/modules", ec))
        kernels.push_back(e.path());
    if (kernels.empty())
        return out;
    std::sort(kernels.begin(), kernels.end());
    for (const char* m : {"drivers/block/xen-blkfront.ko",
                          "drivers/net/xen-netfront.ko", "fs/ext4/ext4.ko",
                          "fs/jbd2/jbd2.ko", "fs/mbcache.ko",
                          "lib/crc16.ko", "crypto/crc32c_generic.ko"})
        if (fs::is_regular_file(kernels.back() / "kernel" / m))
            out.push_back(kernels.back() / "kernel" / m);
    return out;
}

RealFiles find_real_files()
{
    RealFiles f;
    f.kernel_text = glob_boot("vmlinuz-");
    for (auto& m : guest_modules())
        f.kernel_text.push_back(std::move(m));
    f.kernel_rodata = glob_boot("System.map-");
    f.common = existing({"/usr/lib/x86_64-linux-gnu/libc.so.6",
                         "/usr/lib/x86_64-linux-gnu/libm.so.6",
                         "/lib64/ld-linux-x86-64.so.2", "/usr/bin/bash",
                         "/usr/bin/ls", "/usr/lib/x86_64-linux-gnu/libz.so.1"});
    f.optional = existing({"/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
                           "/usr/lib/x86_64-linux-gnu/libcrypto.so.3",
                           "/usr/lib/x86_64-linux-gnu/libssl.so.3",
                           "/usr/bin/perl", "/usr/bin/gdb", "/usr/bin/cmake",
                           "/usr/bin/git", "/usr/bin/make"});
    // Without a kernel package, a large system binary stands in for it.
    if (f.kernel_text.empty())
        f.kernel_text = existing({"/usr/bin/qemu-system-x86_64",
                                  "/usr/bin/gdb", "/usr/bin/cmake"});
    return f;
}

Page random_page(uint64_t seed)
{
    Page p;
    uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
    for (size_t i = 0; i < kPage; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::memcpy(p.data() + i, &x, 8);
    }
    return p;
}

GuestImage make_guest_image(unsigned index, const RealFiles& files,
                            size_t anon, size_t free_pages, uint64_t seed)
{
    GuestImage g;
    auto add_files = [&](const std::vector<fs::path>& paths, unsigned cls) {
        for (const auto& p : paths)
            g.regions.push_back({p.string(), cls, file_pages(p, 16384)});
    };
    add_files(files.kernel_text, XEN_COSHARE_CLASS_KERNEL_TEXT);
    add_files(files.kernel_rodata, XEN_COSHARE_CLASS_KERNEL_RODATA);
    add_files(files.common, XEN_COSHARE_CLASS_PROCESS_TEXT);
    std::vector<fs::path> mine;
    for (size_t i = 0; i < files.optional.size(); ++i)
        if ((i + index) % 2 == 0)
            mine.push_back(files.optional[i]);
    add_files(mine, XEN_COSHARE_CLASS_PROCESS_TEXT);

    Region a{"anon", kNotHinted, {}}, z{"free", XEN_COSHARE_CLASS_ZERO, {}};
    for (size_t i = 0; i < anon; ++i)
        a.pages.push_back(random_page(seed ^ (index * 1000003ULL + i)));
    for (size_t i = 0; i < free_pages; ++i)
        z.pages.push_back(random_page(~seed ^ (index * 7919ULL + i)));
    g.regions.push_back(std::move(a));
    g.regions.push_back(std::move(z));
    return g;
}

GfnsByClass load_image(Host& host, uint16_t domid, const GuestImage& image,
                       size_t pages)
{
    host.add_guest(domid, std::max(pages, image.pages()));
    GfnsByClass gfns;
    uint64_t gfn = 0;
    for (const auto& r : image.regions)
        for (const auto& p : r.pages) {
            host.fill(domid, gfn, p);
            if (r.cls != kNotHinted)
                gfns[r.cls].push_back(gfn);
            ++gfn;
        }
    return gfns;
}

uint64_t oracle_saved(const std::vector<const GuestImage*>& guests)
{
    static const Page zero{};
    std::unordered_map<std::string_view, uint64_t> seen;
    uint64_t hinted = 0;
    for (const auto* g : guests)
        for (const auto& r : g->regions) {
            if (r.cls == kNotHinted)
                continue;
            for (const auto& p : r.pages) {
                const Page& c = r.cls == XEN_COSHARE_CLASS_ZERO ? zero : p;
                ++seen[std::string_view(
                    reinterpret_cast<const char*>(c.data()), kPage)];
                ++hinted;
            }
        }
    return hinted - seen.size();
}

}  // namespace coshare::sim
