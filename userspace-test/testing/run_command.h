// SPDX-License-Identifier: MIT
// run_command.h - runs a shell command for the tests of a built tool and
// returns its exit status and standard output.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace coshare::testing {

struct CommandResult {
    int status = -1;        // exit status, -1 if it did not exit normally
    std::string out;
};

inline CommandResult run_command(const std::string& cmd)
{
    CommandResult r;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p)
        return r;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        r.out.append(buf, n);
    int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

}  // namespace coshare::testing
