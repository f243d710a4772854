// SPDX-License-Identifier: MIT
// content_census.h - counts how much memory perfect full-content sharing
// would save: every page is keyed by a 128-bit content hash (two independent
// 64-bit hashes), all-zero pages are recognised exactly.  The oracle that
// coshare's real saving is measured against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_set>

#include <nlohmann/json.hpp>

namespace coshare::oracle {

inline constexpr size_t kPageBytes = 4096;

struct Census {
    uint64_t pages = 0;             // pages read
    uint64_t zero_pages = 0;        // all-zero pages
    uint64_t distinct_nonzero = 0;  // different non-zero contents
    // Frames perfect sharing saves: one frame per content remains.
    uint64_t max_saved() const;
    uint64_t zero_saved() const { return zero_pages ? zero_pages - 1 : 0; }
    uint64_t nonzero_saved() const
    {
        return pages - zero_pages - distinct_nonzero;
    }
};

class ContentCensus {
public:
    void add(std::span<const std::byte, kPageBytes> page);
    const Census& census() const { return c_; }

private:
    struct Key {
        uint64_t a, b;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        size_t operator()(const Key& k) const { return k.a; }
    };
    std::unordered_set<Key, KeyHash> seen_;
    Census c_;
};

nlohmann::json to_json(const Census& c);

}  // namespace coshare::oracle
