// SPDX-License-Identifier: MIT
// metrics.h - the counters as metrics for a Prometheus scrape or
// node_exporter's textfile collector: one family per counter, HELP and
// TYPE lines, host-wide families (coshare_host_*) apart from per-domain
// ones (coshare_domain_*, labelled domain="N").  Pure functions of the op
// results, like format.h.
#pragma once

#include <string>

#include "ops.h"

namespace coshare::ctl {

// The two text formats differ in how a counter is named: Prometheus's
// 0.0.4 (what the textfile collector reads) names the family and its
// sample "..._total"; OpenMetrics names the family without the suffix,
// gives it to the sample only, and ends with "# EOF".
enum class MetricsFormat { prometheus, openmetrics };

// The host and every domain of the snapshot.
std::string snapshot_metrics(const Snapshot& snap, MetricsFormat f);
// One domain.
std::string domain_metrics(const DomainStats& d, MetricsFormat f);

}  // namespace coshare::ctl
