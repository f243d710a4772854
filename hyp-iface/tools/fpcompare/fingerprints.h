// SPDX-License-Identifier: MIT
// fingerprints.h - guests' fingerprint dumps (/sys/kernel/mm/coshare/
// fingerprints) and what sharing them all would save, per class and per
// guest: the library behind coshare-fpcompare and the nested-VM oracle.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <xen/xen.h>

#include "coshare.h"

namespace coshare::fpcompare {

inline constexpr uint64_t kPageSize = 4096;
inline constexpr size_t kRecordSize = 16;   // bytes on disk, little-endian

// Hint classes: the public ABI's XEN_COSHARE_CLASS_*.
inline constexpr uint32_t kClassKernelText = XEN_COSHARE_CLASS_KERNEL_TEXT;
inline constexpr uint32_t kClassKernelRodata = XEN_COSHARE_CLASS_KERNEL_RODATA;
inline constexpr uint32_t kClassProcessText = XEN_COSHARE_CLASS_PROCESS_TEXT;
inline constexpr uint32_t kClassFree = XEN_COSHARE_CLASS_ZERO;   // the zero page
inline constexpr size_t kClassCount = XEN_COSHARE_CLASS_NR;

// Display names ("kernel text") and JSON keys ("kernel_text") by class.
extern const std::array<std::string_view, kClassCount> kClassNames;
extern const std::array<std::string_view, kClassCount> kClassKeys;

// One record of a dump: { u64 hash; u32 cls; u32 flags; }, no header.
struct Record {
    uint64_t hash = 0;
    uint32_t cls = 0;
    uint32_t flags = 0;   // reserved, must be 0

    friend bool operator==(const Record&, const Record&) = default;
};

// A malformed dump: which file, which record, and why.  The record index
// of a truncated file is that of its incomplete last record.
class FormatError : public std::runtime_error {
public:
    FormatError(std::string file, uint64_t record, const std::string& why);
    const std::string& file() const { return file_; }
    uint64_t record() const { return record_; }

private:
    std::string file_;
    uint64_t record_;
};

// Decodes a whole dump; `name` only labels errors.  Throws FormatError.
std::vector<Record> decode_fingerprints(std::span<const std::byte> bytes,
                                        const std::string& name);

// Reads and decodes a dump.  Reads to end of file rather than trusting its
// size, which sysfs does not report.  Throws std::runtime_error if the file
// cannot be read, FormatError (a std::runtime_error) if it is malformed.
std::vector<Record> read_fingerprints(const std::filesystem::path& path);

// cs_hash_page() of an all-zero page: the default zero hash.
uint64_t default_zero_hash();

// "0x%016x", and its inverse: 1-16 hex digits, optional 0x; nullopt if bad.
std::string hex64(uint64_t v);
std::optional<uint64_t> parse_hex64(std::string_view s);

// Pages, and how they split into kept copies (`distinct`: contents whose
// first occurrence is here) and pages that would share (`saved` frames);
// pages == distinct + saved at every level, and levels sum to the total.
struct Counts {
    uint64_t pages = 0;
    uint64_t distinct = 0;
    uint64_t saved = 0;

    double saved_percent() const
    {
        return pages ? 100.0 * static_cast<double>(saved) /
                           static_cast<double>(pages)
                     : 0.0;
    }
    friend bool operator==(const Counts&, const Counts&) = default;
};

struct GuestReport {
    Counts total;
    std::array<Counts, kClassCount> by_class{};
};

struct Report {
    uint64_t zero_hash = 0;
    std::array<Counts, kClassCount> by_class{};
    std::vector<GuestReport> guests;   // in the order given
    Counts total;
};

// All guests share one content space: pages with equal hashes share, across
// guests and classes; free-class pages have content `zero_hash` whatever
// their hash field says.  The first occurrence of a content (guest order,
// then record order) is kept; every other occurrence saves one frame,
// counted in its own class and guest.  Records must be valid (as decoded).
Report compare(const std::vector<std::vector<Record>>& guests,
               uint64_t zero_hash);

// Human table and JSON.  `names` label the guests (usually their files);
// missing names become "guest N".
std::string to_text(const Report& report,
                    const std::vector<std::string>& names);
nlohmann::json to_json(const Report& report,
                       const std::vector<std::string>& names);

}  // namespace coshare::fpcompare
