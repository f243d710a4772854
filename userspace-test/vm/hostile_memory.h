// SPDX-License-Identifier: MIT
// hostile_memory.h - a guest that attacks coshare through Xen's ordinary
// memory and grant ops rather than coshare's own: see hostile_memory.cc.
#pragma once

#include <cstddef>
#include <cstdint>

#include "probe_device.h"

namespace coshare::vm {

struct HostileMemory {
    unsigned rounds = 20000;
    uint64_t seed = 1;
    uint32_t pattern = 7;   // the content another guest holds too
    size_t pages = 512;
    uint16_t grantee = 0;   // maps and copies the granted pages meanwhile
    size_t grants = 32;     // the first pages, granted (half read-only)
    bool wait_line = false; // after the rounds, wait for the grantee's line
};

// Prints "hostile-grants {json}" once its pages are granted (the grantee's
// refs), "hostile-rounds-done {}" after the rounds (then, with wait_line,
// waits for a line on stdin: the grantee has stopped), then ends the grants,
// prints "max-pages-attack {json}" and "hostile-memory {json}".  Returns 0
// when every op gave a result the ABI allows, every gfn was given back,
// every grant ended and its charge (own and shared pages) stayed within
// max_pages.
int run_hostile_memory(const ProbeDevice& pc, const HostileMemory& h);

}  // namespace coshare::vm
