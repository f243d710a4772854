// SPDX-License-Identifier: MIT
// hostile_memory.h - a guest that attacks coshare through Xen's ordinary
// memory ops rather than coshare's own: see hostile_memory.cc.
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
};

// Prints one JSON line; 0 when every op gave a result the ABI allows and
// every gfn was given back in the end.
int run_hostile_memory(const ProbeDevice& pc, const HostileMemory& h);

}  // namespace coshare::vm
