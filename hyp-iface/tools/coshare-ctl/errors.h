// SPDX-License-Identifier: MIT
// errors.h - coshare-ctl's exit codes and the one exception type commands
// throw, so every failure reaches the user as one line and a distinct code.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace coshare::ctl {

enum class Exit : int {
    ok = 0,
    failure = 1,        // anything else: I/O, a refused op, gnuplot failed
    usage = 2,          // bad arguments
    not_dom0 = 3,       // no usable /dev/xen/privcmd
    no_coshare = 4,     // the hypervisor has no coshare (stock Xen)
    no_domain = 5,      // ESRCH
    permission = 6,     // EPERM / EACCES
    audit_errors = 7,   // the audit found violations
    no_gnuplot = 8,     // plot: gnuplot is not installed
};

class Error : public std::runtime_error {
public:
    Error(Exit code, const std::string& msg)
        : std::runtime_error(msg), code_(code)
    {
    }
    Exit code() const { return code_; }

private:
    Exit code_;
};

// "No such process (ESRCH)" for -ESRCH or ESRCH.
std::string describe_errno(int err);

// The Error for an op that failed with -errno rc.  `what` names the op
// ("enable domain 3"); `domid` is its target, if it has one.
Error op_error(std::string_view what, int rc, std::optional<uint16_t> domid);

// The exit codes, for --help.
std::string_view exit_codes_help();

}  // namespace coshare::ctl
