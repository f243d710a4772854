// SPDX-License-Identifier: MIT
// backend_xencall.cc - XENMEM_sharing_op through libxencall, with RAII for
// the handle and the hypercall buffers Xen reads and writes.
#include "backend_xencall.h"

#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <type_traits>

#include <xen/memory.h>
extern "C" {   // the headers declare C functions without saying so
#include <xencall.h>
#include <xentoollog.h>
}

#include "errors.h"
#include "xenctrl_domains.h"
#include "xenstore_names.h"

namespace coshare::ctl {

namespace {

constexpr const char* kPrivcmd = "/dev/xen/privcmd";

// The op travels where Xen expects a xen_mem_sharing_op.
static_assert(sizeof(xen_coshare_op_t) == 48);
static_assert(sizeof(xen_coshare_op_t) == sizeof(xen_mem_sharing_op_t));

// Memory the hypervisor may access: from xencall_alloc_buffer, freed on
// scope exit.
template <typename T>
class HypercallBuffer {
public:
    HypercallBuffer(xencall_handle* h, size_t n) : h_(h)
    {
        if (n)
            p_ = static_cast<T*>(xencall_alloc_buffer(h, n * sizeof(T)));
        ok_ = !n || p_;
    }
    ~HypercallBuffer()
    {
        if (p_)
            xencall_free_buffer(h_, p_);
    }
    HypercallBuffer(const HypercallBuffer&) = delete;
    HypercallBuffer& operator=(const HypercallBuffer&) = delete;

    explicit operator bool() const { return ok_; }
    T* get() const { return p_; }

private:
    xencall_handle* h_;
    T* p_ = nullptr;
    bool ok_ = false;
};

bool is_batch(uint8_t op)
{
    return op >= XENMEM_sharing_op_coshare_hint &&
           op <= XENMEM_sharing_op_coshare_vol_del;
}

}  // namespace

// Keeps libxencall's last message for the error we report, instead of
// letting it print to stderr.
struct XencallHypervisor::Logger {
    xentoollog_logger base{};   // first: libxencall sees only this
    std::string last;
    int err = 0;

    Logger()
    {
        base.vmessage = &vmessage;
        base.destroy = [](xentoollog_logger*) {};
    }

    __attribute__((format(printf, 5, 0))) static void vmessage(
        xentoollog_logger* l, xentoollog_level, int errnoval, const char*,
        const char* format, va_list al)
    {
        auto* self = reinterpret_cast<Logger*>(l);
        char buf[512];
        std::vsnprintf(buf, sizeof buf, format, al);
        self->last = buf;
        if (errnoval > 0)
            self->err = errnoval;
    }
};

XencallHypervisor::XencallHypervisor() : logger_(std::make_unique<Logger>())
{
    static_assert(std::is_standard_layout_v<Logger>);   // base is at offset 0
    errno = 0;
    h_ = xencall_open(&logger_->base, 0);
    if (h_)
        return;
    int err = logger_->err ? logger_->err : errno;
    bool present = ::access(kPrivcmd, F_OK) == 0;
    if (present && (err == EACCES || err == EPERM))
        throw Error(Exit::permission,
                    std::string("cannot open ") + kPrivcmd + ": " +
                        describe_errno(err) + "; run coshare-ctl as root");
    std::string why = present ? std::string("cannot open ") + kPrivcmd +
                                    (err ? ": " + describe_errno(err) : "")
                              : std::string(kPrivcmd) + " does not exist";
    throw Error(Exit::not_dom0,
                "not in a Xen dom0: " + why +
                    " (coshare-ctl runs in dom0 of a Xen host, with the "
                    "xen-privcmd driver)");
}

XencallHypervisor::~XencallHypervisor()
{
    if (h_)
        xencall_close(h_);
}

int XencallHypervisor::call(xen_coshare_op_t& op,
                            std::span<xen_coshare_entry_t> entries,
                            xen_coshare_stats_t* stats)
{
    const bool batch = is_batch(op.op);
    const bool want_stats = op.op == XENMEM_sharing_op_coshare_stats;
    // The handles share a union: only the op's own buffer may be passed.
    if ((!batch && !entries.empty()) || (want_stats && !stats))
        return -EINVAL;
    HypercallBuffer<xen_coshare_op_t> obuf(h_, 1);
    HypercallBuffer<xen_coshare_entry_t> ebuf(h_, entries.size());
    HypercallBuffer<xen_coshare_stats_t> sbuf(h_, want_stats ? 1 : 0);
    if (!obuf || !ebuf || !sbuf)
        return -ENOMEM;

    *obuf.get() = op;
    if (!entries.empty())
        std::memcpy(ebuf.get(), entries.data(), entries.size_bytes());
    if (batch)
        set_xen_guest_handle(obuf.get()->u.batch.entries, ebuf.get());
    if (want_stats) {
        *sbuf.get() = *stats;
        set_xen_guest_handle(obuf.get()->u.stats.buf, sbuf.get());
    }

    int rc = xencall2(h_, __HYPERVISOR_memory_op, XENMEM_sharing_op,
                      reinterpret_cast<uintptr_t>(obuf.get()));
    if (rc < 0)
        rc = errno ? -errno : -EIO;

    // Results come back whatever rc: batch entries carry their own.  The
    // caller's handles stay as they were, not pointing at freed buffers.
    const xen_coshare_op_t in = op;
    op = *obuf.get();
    if (batch)
        op.u.batch.entries = in.u.batch.entries;
    if (want_stats)
        op.u.stats.buf = in.u.stats.buf;
    if (!entries.empty())
        std::memcpy(entries.data(), ebuf.get(), entries.size_bytes());
    if (want_stats)
        *stats = *sbuf.get();
    return rc;
}

std::vector<uint16_t> XenctrlDomains::list()
{
    std::vector<uint16_t> ids(DOMID_FIRST_RESERVED);
    char msg[512];
    int n = coshare_ctl_list_domains(ids.data(),
                                     static_cast<unsigned>(ids.size()), msg,
                                     sizeof msg);
    if (n < 0) {
        std::string detail = describe_errno(n);
        if (msg[0])
            detail += std::string("; libxenctrl: ") + msg;
        if (n == -EPERM || n == -EACCES)
            throw Error(Exit::permission, "cannot list domains: " + detail);
        throw Error(Exit::not_dom0, "not in a Xen dom0: cannot list domains: " +
                                        detail);
    }
    ids.resize(static_cast<size_t>(n));
    return ids;
}

std::string XenctrlDomains::name(uint16_t domid)
{
    char buf[256];
    return coshare_ctl_domain_name(domid, buf, sizeof buf) ? std::string()
                                                            : std::string(buf);
}

}  // namespace coshare::ctl
