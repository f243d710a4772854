// SPDX-License-Identifier: MIT
// fields.h - the counters of xen_coshare_stats, named once, so the table,
// the JSON and the CSV agree on names and on which apply to a domain, the
// host or both.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "hypervisor.h"

namespace coshare::ctl {

inline constexpr uint64_t kPageBytes = 4096;

// Hint classes by XEN_COSHARE_CLASS_*: JSON/CSV keys and display names.
inline constexpr std::array<std::string_view, XEN_COSHARE_CLASS_NR>
    kClassKeys{"kernel_text", "kernel_rodata", "process_text", "zero", "in_use"};
inline constexpr std::array<std::string_view, XEN_COSHARE_CLASS_NR>
    kClassNames{"kernel text", "kernel rodata", "process text", "zero (free)",
                "in use"};

enum class Scope { both, domain, global };
// What a value does over time: a counter only grows, a gauge is a level.
enum class Kind { counter, gauge };

// A per-class counter: hinted, shared, inserted, skipped.
struct PerClassField {
    std::string_view key;
    std::string_view label;   // for metrics' help text
    decltype(&xen_coshare_stats_t::hinted) member;

    uint64_t total(const xen_coshare_stats_t& s) const;
};

// A 64-bit scalar counter or level.
struct ScalarField {
    std::string_view key;
    std::string_view label;   // for the table and metrics' help text
    decltype(&xen_coshare_stats_t::errors) member;
    Scope scope;
    Kind kind;
};

extern const std::array<PerClassField, 4> kPerClassFields;
extern const std::array<ScalarField, 15> kScalarFields;

inline bool applies(Scope field, Scope row)
{
    return field == Scope::both || field == row;
}

// Pages as MiB, two decimals: "12.50".
std::string mib(uint64_t pages);
// XEN_COSHARE_CTL_* as "enable,repay", or "-" for none.
std::string flags_text(uint32_t flags);
// A mask of 1 << XEN_COSHARE_CLASS_* as "kernel_text,zero", "all" or "none".
std::string classes_text(uint32_t mask);

}  // namespace coshare::ctl
