// SPDX-License-Identifier: MIT
// max_pages_attack.h - a guest that has its own pages shared, then uses the
// room that leaves in its tot_pages to populate more gfns: the host would
// hold the shared copies and the new pages, beyond what dom0 gave it.  Xen
// must count the shared pages a domain maps against its max_pages.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "probe_device.h"

namespace coshare::vm {

// What the caller's gfns hold now: its own pages (tot_pages) and the
// shared frames they map (coshare's mappings).  The least of a few reads,
// as the guest's own hints move pages between the two as we read.
long charged_pages(const ProbeDevice& pc);

// Hints `pages` pages of fresh content (no other domain holds it: they are
// inserted, shared frames that only we map), then populates free gfns of
// the 2 MiB blocks of `tabled` (gfns whose p2m table exists, so that no
// populate fails for want of one) while Xen allows, up to the room we had
// plus `pages`.  Gives everything back and reports what it got, and
// whether the guest's charge stayed within max_pages ("within").
nlohmann::json max_pages_attack(const ProbeDevice& pc,
                                const std::vector<uint64_t>& tabled,
                                size_t pages, uint64_t seed);

}  // namespace coshare::vm
