// SPDX-License-Identifier: MIT
// backend_xencall.h - the real backend: coshare ops through libxencall
// (/dev/xen/privcmd) in hypercall buffers, domains through libxenctrl.
#pragma once

#include <memory>
#include <string>

#include "hypervisor.h"

struct xencall_handle;

namespace coshare::ctl {

class XencallHypervisor final : public Hypervisor {
public:
    // Throws Error(not_dom0), or Error(permission) if privcmd exists but
    // may not be opened.
    XencallHypervisor();
    ~XencallHypervisor() override;
    XencallHypervisor(const XencallHypervisor&) = delete;
    XencallHypervisor& operator=(const XencallHypervisor&) = delete;

    int call(xen_coshare_op_t& op, std::span<xen_coshare_entry_t> entries,
             xen_coshare_stats_t* stats) override;

private:
    struct Logger;
    std::unique_ptr<Logger> logger_;   // libxencall keeps a pointer to it
    xencall_handle* h_ = nullptr;
};

class XenctrlDomains final : public DomainLister {
public:
    std::vector<uint16_t> list() override;
    std::string name(uint16_t domid) override;   // from xenstore
};

}  // namespace coshare::ctl
