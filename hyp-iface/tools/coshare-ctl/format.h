// SPDX-License-Identifier: MIT
// format.h - what coshare-ctl prints: tables for people, JSON for scripts.
// Pure functions of the op results, so the tests check them directly.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "ops.h"

namespace coshare::ctl {

std::string version_text(const Version& v);
std::string audit_text(const AuditResult& a);
// What control left set: "domain 3: hinting enabled, repayment off, ...".
std::string control_text(uint16_t domid, uint32_t flags,
                         const xen_coshare_stats_t* s);

nlohmann::json global_json(const xen_coshare_stats_t& s);
nlohmann::json domain_json(const DomainStats& d);
nlohmann::json snapshot_json(const Snapshot& snap);

std::string domain_table(const DomainStats& d);
std::string snapshot_table(const Snapshot& snap);

}  // namespace coshare::ctl
