// SPDX-License-Identifier: MIT
// content.h - realistic guest memory for the simulator: guest images built
// from real files on this machine (a Debian kernel image, shared libraries,
// binaries), private anonymous pages and free pages, plus an independent
// full-content oracle of how much perfect sharing could save.
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "host.h"

namespace coshare::sim {

inline constexpr unsigned kNotHinted = 0xff;   // anonymous memory

struct Region {
    std::string name;
    unsigned cls;               // XEN_COSHARE_CLASS_* or kNotHinted
    std::vector<Page> pages;
};

struct GuestImage {
    std::vector<Region> regions;
    size_t pages() const;
};

using GfnsByClass = std::array<std::vector<uint64_t>, XEN_COSHARE_CLASS_NR>;

// Pages of a file, the last one zero-padded; empty if unreadable.
std::vector<Page> file_pages(const std::filesystem::path& path,
                             size_t max_pages = SIZE_MAX);

// Real files guests would share; those missing on this machine are left out.
struct RealFiles {
    std::vector<std::filesystem::path> kernel_text, kernel_rodata, common,
        optional;
    size_t count() const;
};
RealFiles find_real_files();

// Guest `index`: the kernel, the common files, a rotating half of the
// optional ones, `anon` private random pages and `free_pages` free pages
// (garbage content, hinted as zero).
GuestImage make_guest_image(unsigned index, const RealFiles& files,
                            size_t anon, size_t free_pages, uint64_t seed);

// Copies the image into a new guest of `pages` pages (>= image size).
GfnsByClass load_image(Host& host, uint16_t domid, const GuestImage& image,
                       size_t pages);

// Frames perfect full-content sharing of the hinted pages would save, all
// guests in one group; zero-class pages count as zero content.
uint64_t oracle_saved(const std::vector<const GuestImage*>& guests);

// Deterministic pseudo-random page.
Page random_page(uint64_t seed);

}  // namespace coshare::sim
