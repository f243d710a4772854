// SPDX-License-Identifier: MIT
#include "content_census.h"

#include <cstring>

namespace coshare::oracle {

namespace {

// Two 64-bit hashes with unrelated constants: together a 128-bit key.
uint64_t mix(uint64_t h, uint64_t w, uint64_t k)
{
    h ^= w * k;
    h = (h << 31) | (h >> 33);
    return h * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
}

}  // namespace

uint64_t Census::max_saved() const { return zero_saved() + nonzero_saved(); }

void ContentCensus::add(std::span<const std::byte, kPageBytes> page)
{
    uint64_t w[kPageBytes / 8];
    std::memcpy(w, page.data(), kPageBytes);
    uint64_t a = 0x243f6a8885a308d3ULL, b = 0x13198a2e03707344ULL, any = 0;
    for (size_t i = 0; i < kPageBytes / 8; ++i) {
        any |= w[i];
        a = mix(a, w[i] + i, 0xff51afd7ed558ccdULL);
        b = mix(b, w[i] ^ (i * 0x2545f4914f6cdd1dULL), 0xc4ceb9fe1a85ec53ULL);
    }
    ++c_.pages;
    if (!any) {
        ++c_.zero_pages;
        return;
    }
    if (seen_.insert(Key{a, b}).second)
        ++c_.distinct_nonzero;
}

nlohmann::json to_json(const Census& c)
{
    return {{"pages", c.pages},
            {"zero_pages", c.zero_pages},
            {"distinct_nonzero", c.distinct_nonzero},
            {"max_saved", c.max_saved()},
            {"zero_saved", c.zero_saved()},
            {"nonzero_saved", c.nonzero_saved()}};
}

}  // namespace coshare::oracle
