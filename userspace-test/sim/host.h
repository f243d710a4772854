// SPDX-License-Identifier: MIT
// host.h - the simulated hypervisor: a pool of real 4 KiB frames, guests as
// p2m arrays, and the coshare engine driven through the same cs_op() entry
// point Xen uses.  It implements the engine's cs_env shim for userspace.
#pragma once

#include <cstddef>
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

extern "C" {
#include "cs_internal.h"
}

namespace coshare::sim {
class Host;
}

struct cs_env {
    coshare::sim::Host* host;
};

namespace coshare::sim {

inline constexpr size_t kPage = CS_PAGE_SIZE;
using Page = std::array<std::byte, kPage>;

struct P2mEntry {
    cs_mfn_t mfn = CS_INVALID_MFN;
    cs_p2m_type type = CS_P2M_OTHER;
};

class Host {
public:
    // The default config: real hash, seed 0, default compare cap.
    static constexpr cs_config kDefaultConfig{~0ULL, 0, 0, false};
    explicit Host(size_t frames, cs_config cfg = kDefaultConfig);
    ~Host();
    Host(const Host&) = delete;
    Host& operator=(const Host&) = delete;

    cs_engine* engine() { return engine_; }

    // Guests.  add_guest populates every gfn with a zeroed private frame.
    void add_guest(uint16_t domid, size_t pages);
    // Engine teardown in chunks of `budget`, then the domain's frames are
    // freed.  Returns the number of teardown calls it took.
    unsigned destroy_guest(uint16_t domid, unsigned long budget = 4096);
    bool has_guest(uint16_t domid) const { return guests_.count(domid); }
    size_t guest_pages(uint16_t domid) const;

    // Guest memory, through the p2m.
    std::span<const std::byte> read(uint16_t domid, uint64_t gfn) const;
    // Initial content of a private page (no fault).
    void fill(uint16_t domid, uint64_t gfn, std::span<const std::byte> data);
    // A guest write: a shared gfn faults and is unshared by the engine.
    // 0, -ENOMEM (the domain would crash), -EFAULT (gfn not mapped).
    int write(uint16_t domid, uint64_t gfn, size_t offset,
              std::span<const std::byte> data);

    // Hypercalls.  As dom0 (privileged) or as the guest itself.
    int op(uint16_t caller, bool privileged, xen_coshare_op_t& op,
           xen_coshare_entry_t* ents = nullptr,
           xen_coshare_stats_t* stats = nullptr);
    int enable(uint16_t domid, uint32_t group, bool repay = false);
    // Batch op of the guest on itself, split into XEN_COSHARE_BATCH_MAX.
    int batch(uint16_t domid, uint8_t op_code, unsigned cls,
              std::vector<xen_coshare_entry_t>& ents);
    std::vector<xen_coshare_entry_t> hint(uint16_t domid, unsigned cls,
                                          const std::vector<uint64_t>& gfns);
    std::vector<xen_coshare_entry_t> vol_add(uint16_t domid,
                                             const std::vector<uint64_t>& gfns);
    xen_coshare_stats_t stats(uint16_t domid);
    xen_coshare_stats_t global_stats();
    unsigned audit(std::vector<std::string>* messages = nullptr);

    // Frames.
    size_t total_frames() const { return tags_.size(); }
    size_t free_frames() const { return free_.size(); }
    // Takes frames out of the pool (another tenant); returns how many.
    size_t hog(size_t n);
    void unhog();

    // VIRQ_COSHARE notifications the engine sent to a guest.
    unsigned notifications(uint16_t domid) const
    {
        auto it = notified_.find(domid);
        return it == notified_.end() ? 0 : it->second;
    }

    // Test hook: runs once, at the engine's next frame unmap, as if another
    // vCPU acted while the engine holds its lock (see write_racing).
    void on_next_unmap(std::function<void()> hook) { on_unmap_ = std::move(hook); }
    void frame_unmapped();
    // Frame mappings the engine has released so far: one per page it read.
    uint64_t frame_unmaps() const { return frame_unmaps_; }
    // A write by another vCPU while the engine holds its lock: a writable
    // gfn takes it at once; a read-only one faults, and the write is queued
    // until the engine lets go (finish_racing_writes then does it).
    void write_racing(uint16_t domid, uint64_t gfn, const Page& data);
    // The queued writes, through copy-on-write: how many there were, or the
    // first failure's -errno (-ENOMEM: the domain would crash).
    int finish_racing_writes();

    // Test hooks: the p2m entry, and raw frame memory.
    P2mEntry& p2m(uint16_t domid, uint64_t gfn);
    std::byte* frame(cs_mfn_t mfn) { return base_ + mfn * kPage; }

    // cs_env implementation.
    cs_p2m_type env_query(uint16_t domid, uint64_t gfn, cs_mfn_t* mfn);
    int env_share(uint16_t domid, uint64_t gfn, cs_mfn_t expect, cs_mfn_t frame);
    void env_hold(uint16_t domid);
    void env_release(uint16_t domid);
    int env_private(uint16_t domid, uint64_t gfn, cs_mfn_t mfn);
    cs_mfn_t env_remove(uint16_t domid, uint64_t gfn);
    uint64_t env_gfn_end(uint16_t domid) const;
    cs_mfn_t env_alloc();
    void env_free(cs_mfn_t mfn);
    uint32_t& tag(cs_mfn_t mfn) { return tags_.at(mfn); }
    void env_notify(uint16_t domid) { ++notified_[domid]; }
    std::mutex& lock() { return lock_; }

private:
    std::byte* base_ = nullptr;
    size_t bytes_ = 0;
    std::vector<uint32_t> tags_;
    std::vector<cs_mfn_t> free_, hogged_;
    std::map<uint16_t, std::vector<P2mEntry>> guests_;
    std::map<uint16_t, unsigned> notified_;
    cs_env env_{this};
    cs_engine* engine_ = nullptr;
    std::mutex lock_;
    std::function<void()> on_unmap_;
    uint64_t frame_unmaps_ = 0;
    std::optional<uint16_t> held_;   // the domain of the engine's p2m hold
    void check_hold(uint16_t domid) const;
    struct RacingWrite {
        uint16_t domid;
        uint64_t gfn;
        Page data;
    };
    std::vector<RacingWrite> racing_;
};

// Builds one batch op struct for the guest calling on itself.
xen_coshare_op_t make_batch_op(uint8_t op_code, unsigned cls, uint32_t nr);

}  // namespace coshare::sim
