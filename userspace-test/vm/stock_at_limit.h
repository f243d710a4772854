// SPDX-License-Identifier: MIT
// stock_at_limit.h - a guest at its max_pages whose pages dom0 shares with
// Xen's stock ops, and which then writes them: every stock copy-on-write
// fault needs a new page, which Xen must find room for (the pages sharing
// took out of tot_pages), however coshare charges its own frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <ostream>

#include <nlohmann/json.hpp>

#include "probe_device.h"

namespace coshare::vm {

// Populates free gfns from `first` up until Xen refuses (tot_pages reaches
// max_pages) and reports that ("phase":"at-limit"); waits for a line on
// `in` (dom0 has shared our pages); then allocates and writes `fill_pages`
// pages of fresh memory and reads them back, gives the populated gfns back
// and reports ("phase":"filled").  Each report goes to `out` as one JSON
// line.  Returns whether the guest reached its limit and read back every
// page it wrote.
bool fill_at_limit(const ProbeDevice& pc, uint64_t first, size_t fill_pages,
                   std::istream& in, std::ostream& out);

}  // namespace coshare::vm
