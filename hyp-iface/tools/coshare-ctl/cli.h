// SPDX-License-Identifier: MIT
// cli.h - coshare-ctl's command line: parsing, validation and the commands,
// independent of how Xen is reached, so the binary and the tests share it.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "hypervisor.h"
#include "watch.h"

namespace coshare::ctl {

struct Env {
    std::ostream& out;
    std::ostream& err;
    // Reaches the hypervisor; called only by commands that need it, after
    // their arguments were checked.  Throws Error (e.g. not in dom0).
    std::function<Connection()> connect;
    // The clock of `watch`.
    std::function<Clock&()> clock;
};

// Parses argv (argv[0] is the program name), runs the command, and
// returns the exit status (see Exit).
int run(int argc, const char* const* argv, Env& env);
// The same with the arguments after the program name.
int run(const std::vector<std::string>& args, Env& env);

}  // namespace coshare::ctl
