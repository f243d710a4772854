// SPDX-License-Identifier: MIT
// errors.cc - errno to message and exit code, shared by every command.
#include "errors.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace coshare::ctl {

std::string describe_errno(int err)
{
    err = std::abs(err);
    const char* desc = strerrordesc_np(err);
    const char* name = strerrorname_np(err);
    std::string s = desc ? desc : "error " + std::to_string(err);
    if (name)
        s += std::string(" (") + name + ")";
    return s;
}

Error op_error(std::string_view what, int rc, std::optional<uint16_t> domid)
{
    const std::string op(what);
    switch (-rc) {
    case ESRCH:
        if (domid)
            return Error(Exit::no_domain,
                         "domain " + std::to_string(*domid) +
                             " does not exist (" + op + ")");
        return Error(Exit::no_domain, op + ": no such domain");
    case EPERM:
    case EACCES:
        return Error(Exit::permission,
                     op + ": permission denied by the hypervisor: " +
                         describe_errno(rc) +
                         "; only the control domain (dom0) may do this");
    default:
        return Error(Exit::failure, op + " failed: " + describe_errno(rc));
    }
}

std::string_view exit_codes_help()
{
    return "Exit status: 0 ok, 1 failure, 2 bad arguments, 3 not in a Xen "
           "dom0,\n4 hypervisor without coshare, 5 no such domain, "
           "6 permission denied,\n7 audit found violations, "
           "8 gnuplot not installed.";
}

}  // namespace coshare::ctl
