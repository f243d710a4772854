// SPDX-License-Identifier: MIT
// isolation.h - what one tenant's hinting costs another (issue 19's I1-I3),
// as ratios measured in one run.
#pragma once

#include <vector>

#include "ratios.h"

namespace coshare::bench {

// I1: a victim's copy-on-write fault latency (p99) beside an attacker in
// another group, against alone.  I2: the longest engine-lock hold of a
// worst-case batch.  I3: two groups hinting on two threads against one.
std::vector<Ratio> isolation_ratios();

}  // namespace coshare::bench
