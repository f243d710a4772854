// SPDX-License-Identifier: MIT
// probe_device.h - what coshare-probe's commands share: the test module's
// device (raw coshare ops, page tables, Xen's memory ops), locked buffers
// whose guest frames stay put, and batched hints with tallied results.
#pragma once

#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/hvm/hvm_op.h>

#include "coshare.h"
#include "coshare_probe_uapi.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <istream>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace coshare::vm {

constexpr size_t kPage = 4096;

// Pages whose guest frames are hinted: populated and locked, so that each
// stays on the frame /proc/self/pagemap reported.
class LockedBuffer {
public:
    explicit LockedBuffer(size_t bytes)
        : size_((bytes + kPage - 1) / kPage * kPage)
    {
        void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED,
                       -1, 0);
        if (p == MAP_FAILED)
            throw std::runtime_error("mmap: " + std::string(strerror(errno)));
        data_ = static_cast<std::byte*>(p);
    }
    ~LockedBuffer() { munmap(data_, size_); }
    LockedBuffer(const LockedBuffer&) = delete;
    LockedBuffer& operator=(const LockedBuffer&) = delete;

    std::byte* page(size_t i) { return data_ + i * kPage; }
    size_t size() const { return size_; }

private:
    size_t size_;
    std::byte* data_;
};

class ProbeDevice {
public:
    ProbeDevice() : fd_(open("/dev/coshare_probe", O_RDWR | O_CLOEXEC))
    {
        if (fd_ < 0)
            throw std::runtime_error("/dev/coshare_probe: " +
                                     std::string(strerror(errno)) +
                                     " (load coshare_probe.ko in a Xen guest)");
    }
    ~ProbeDevice() { close(fd_); }
    ProbeDevice(const ProbeDevice&) = delete;
    ProbeDevice& operator=(const ProbeDevice&) = delete;

    // Issues op with buf (entries or stats) copied through the kernel, or
    // with op's own handles when raw.  Returns the hypercall's result.
    long op(xen_coshare_op_t& op, void* buf = nullptr, size_t len = 0,
            bool raw = false) const
    {
        coshare_probe_op p{};
        static_assert(sizeof(p.op) == sizeof(op));
        memcpy(p.op, &op, sizeof(op));
        p.buf = reinterpret_cast<uintptr_t>(buf);
        p.len = static_cast<uint32_t>(len);
        p.raw = raw;
        if (ioctl(fd_, COSHARE_PROBE_OP, &p) < 0)
            throw std::runtime_error("ioctl: " + std::string(strerror(errno)));
        memcpy(&op, p.op, sizeof(op));
        return p.rc;
    }

    // One of Xen's memory or grant ops on gfn (and gfn2): the hypercall's
    // result; the whole op (a grant op's status) in *out if asked.
    long memop(coshare_probe_mem op, uint64_t gfn, uint64_t gfn2 = 0,
               coshare_probe_memop* out = nullptr) const
    {
        coshare_probe_memop m{};
        m.op = op;
        m.gfn = gfn;
        m.gfn2 = gfn2;
        if (ioctl(fd_, COSHARE_PROBE_MEMOP, &m) < 0)
            throw std::runtime_error("ioctl: " + std::string(strerror(errno)));
        if (out)
            *out = m;
        return m.rc;
    }

    // The pfns of the kernel's page tables, as coshare.ko finds them.
    std::vector<uint64_t> tables() const
    {
        std::vector<uint64_t> pfns(1 << 16);
        coshare_probe_tables t{};
        t.buf = reinterpret_cast<uintptr_t>(pfns.data());
        t.max = static_cast<uint32_t>(pfns.size());
        if (ioctl(fd_, COSHARE_PROBE_TABLES, &t) < 0)
            throw std::runtime_error("ioctl: " + std::string(strerror(errno)));
        if (t.count > t.max)
            throw std::runtime_error("more page tables than the probe reads");
        pfns.resize(t.count);
        return pfns;
    }

private:
    int fd_;
};

// The guest frame of a virtual address, from /proc/self/pagemap (root).
inline uint64_t gfn_of(const void* va)
{
    static const int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    uint64_t entry = 0;
    off_t off = static_cast<off_t>(reinterpret_cast<uintptr_t>(va) / kPage * 8);
    if (fd < 0 || pread(fd, &entry, 8, off) != 8 || !(entry >> 63))
        throw std::runtime_error("pagemap: page not present or not root");
    return entry & ((1ULL << 55) - 1);
}

inline xen_coshare_entry_t entry(uint64_t gfn)
{
    xen_coshare_entry_t e{};
    e.gfn = gfn;
    return e;
}

inline void fill(std::byte* page, uint32_t pattern, uint64_t index)
{
    std::mt19937_64 rng(pattern * 1000003ULL + index);
    auto* words = reinterpret_cast<uint64_t*>(page);
    for (size_t w = 0; w < kPage / 8; ++w)
        words[w] = rng();
}

// The op and its buffers travel through coshare_probe.ko, which copies
// them into kernel memory: plain user memory will do.
inline xen_coshare_op_t make_op(uint8_t code)
{
    xen_coshare_op_t op{};
    op.op = code;
    op.domain = DOMID_SELF;
    return op;
}

// Hints gfns as process text (Xen hashes and compares them) in full
// batches; tallies the per-entry results by name.
struct HintTally {
    std::map<std::string, uint64_t> results;
    long first_error = 0;
};

inline HintTally batch_gfns(const ProbeDevice& pc, const std::vector<uint64_t>& gfns,
                     uint32_t op_code,
                     unsigned cls = XEN_COSHARE_CLASS_PROCESS_TEXT)
{
    static const std::array<const char*, 6> names{
        "pending", "shared", "inserted", "skipped", "error", "done"};
    static const std::array<const char*, 10> skips{
        "none", "already", "not_ram", "foreign_shared", "volatile",
        "need_volatile", "busy", "not_shared", "collisions", "untracked"};
    std::vector<xen_coshare_entry_t> ents(XEN_COSHARE_BATCH_MAX);
    HintTally t;
    for (size_t base = 0; base < gfns.size(); base += XEN_COSHARE_BATCH_MAX) {
        auto nr = static_cast<uint32_t>(
            std::min<size_t>(XEN_COSHARE_BATCH_MAX, gfns.size() - base));
        for (uint32_t i = 0; i < nr; ++i)
            ents[i] = entry(gfns[base + i]);
        auto op = make_op(op_code);
        if (op_code == XENMEM_sharing_op_coshare_hint)
            op.u.batch.hint_class = static_cast<uint8_t>(cls);
        op.u.batch.nr = nr;
        if (long rc = pc.op(op, ents.data(), nr * sizeof(ents[0])); rc) {
            t.first_error = t.first_error ? t.first_error : rc;
            continue;
        }
        for (uint32_t i = 0; i < nr; ++i) {
            auto r = ents[i].result;
            t.results[r < names.size() ? names[r] : "bad"]++;
            auto why = static_cast<uint32_t>(ents[i].error);
            if (r == XEN_COSHARE_RES_SKIPPED)
                t.results[std::string("skipped_") +
                          (why < skips.size() ? skips[why] : "bad")]++;
            else if (r == XEN_COSHARE_RES_ERROR)
                t.results["error_" + std::to_string(-ents[i].error)]++;
        }
    }
    return t;
}

inline HintTally hint_gfns(const ProbeDevice& pc, const std::vector<uint64_t>& gfns,
                    unsigned cls = XEN_COSHARE_CLASS_PROCESS_TEXT)
{
    return batch_gfns(pc, gfns, XENMEM_sharing_op_coshare_hint, cls);
}

// Whether gfn holds memory: a page of the guest's, shared or private.
inline bool gfn_populated(const ProbeDevice& pc, uint64_t gfn)
{
    long t = pc.memop(COSHARE_PROBE_MEM_TYPE, gfn);
    if (t < 0)
        throw std::runtime_error("HVMOP_get_mem_type: " + std::to_string(t));
    return t != HVMMEM_mmio_dm;
}

// Populates the gfns of [first, end) that hold no memory, one page each,
// appending them to populated, until it holds want gfns or Xen refuses
// one.  Returns 0, or the refusal: Xen's error, or 1 for a populate that
// added no page.
inline long populate_free(const ProbeDevice& pc, uint64_t first, uint64_t end,
                          long want, std::vector<uint64_t>& populated)
{
    for (uint64_t g = first; g < end && long(populated.size()) < want; ++g) {
        if (gfn_populated(pc, g))
            continue;
        long rc = pc.memop(COSHARE_PROBE_MEM_POPULATE, g);
        if (rc != 1)
            return rc == 0 ? 1 : rc;
        populated.push_back(g);
    }
    return 0;
}

// Gives the gfns' pages back to Xen; returns how many it took.
inline long give_back(const ProbeDevice& pc, const std::vector<uint64_t>& gfns)
{
    long n = 0;
    for (uint64_t g : gfns)
        n += pc.memop(COSHARE_PROBE_MEM_DECREASE, g) == 1;
    return n;
}

// Blocks until a non-blank line comes on in (dom0 types it on the console);
// false if in closed first.
inline bool wait_for_line(std::istream& in)
{
    for (std::string line; std::getline(in, line);)
        if (line.find_first_not_of(" \r\t") != std::string::npos)
            return true;
    return false;
}

}  // namespace coshare::vm
