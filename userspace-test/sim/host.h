// SPDX-License-Identifier: MIT
// host.h - the simulated hypervisor: a pool of real 4 KiB frames, guests as
// p2m arrays, and the coshare engine driven through the same cs_op() entry
// point Xen uses.  It implements the engine's cs_env shim for userspace.
//
// It is also a model of what a multi-vCPU guest and Xen do around the
// engine, safe to drive from many threads at once:
//  - a vCPU reads and writes guest memory through the p2m without a lock,
//    as the MMU does; a write to a read-only (shared) entry faults into a
//    model of Xen's HAP fault handler (write_fault), which unshares under
//    the p2m lock with the engine lock only tried, then again from its exit
//    without locks, exactly as the patched hvm.c and mem_sharing.c do;
//  - each domain has Xen's p2m lock (recursive, as Xen's mm locks are) and
//    a "TLB" lock: vCPU accesses hold it shared, every p2m change holds it
//    exclusive, as a change's TLB flush waits for every vCPU;
//  - what would crash Xen itself (the stock unshare path meeting a coshare
//    frame, a BUG_ON on an unshare result) is recorded, not thrown, so a
//    test on any thread can report it (xen_crashes());
//  - named points (at_point) let a test stop a thread where the engine or
//    Xen would be at that moment, for deterministic interleavings.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
#include "cs_internal.h"
}

#include "engine_lock.h"

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
    // The default config: real hash, seed 0, default compare cap, and every
    // op's gfns audited after it, as in Xen's debug build.
    static constexpr cs_config kDefaultConfig{~0ULL, 0, 0, false, true};
    // As Xen's release build (no audit after ops): for the benchmarks.
    static constexpr cs_config kReleaseConfig{~0ULL, 0, 0, false, false};
    // tagged: frames the tag table covers (default all); those above were
    // hot-added after boot, as Xen's table is sized at boot.
    explicit Host(size_t frames, cs_config cfg = kDefaultConfig,
                  size_t tagged = SIZE_MAX);
    ~Host();
    Host(const Host&) = delete;
    Host& operator=(const Host&) = delete;

    cs_engine* engine() { return engine_; }

    // Guests.  add_guest populates every gfn with a zeroed private frame.
    void add_guest(uint16_t domid, size_t pages);
    // The domain dies (CS_ENV_DOM_LIVE goes), the engine tears it down in
    // chunks of `budget` (point "dying" between the two), then its frames
    // are freed.  Returns the number of teardown calls it took.  The
    // domain's own vCPUs must have stopped (other domains' may run).
    unsigned destroy_guest(uint16_t domid, unsigned long budget = 4096);
    // What cs_env_domain_flags reports (default live HVM with HAP).
    void set_domain_flags(uint16_t domid, uint32_t flags);
    bool has_guest(uint16_t domid) const;
    size_t guest_pages(uint16_t domid) const;

    // Guest memory, through the p2m.  read() is for single-threaded tests;
    // guest_read() is a vCPU's read (-EFAULT: the gfn maps nothing).
    std::span<const std::byte> read(uint16_t domid, uint64_t gfn) const;
    int guest_read(uint16_t domid, uint64_t gfn, Page& out) const;
    // Initial content of a private page (no fault).
    void fill(uint16_t domid, uint64_t gfn, std::span<const std::byte> data);
    // A vCPU's write: a shared gfn faults (write_fault) and the write is
    // retried.  0, or -errno: -ENOMEM or another error with which Xen would
    // crash the domain, -EFAULT when the gfn maps nothing.
    int write(uint16_t domid, uint64_t gfn, size_t offset,
              std::span<const std::byte> data);

    // Xen's memory paths outside coshare's ops, as patched Xen runs them.
    // decrease_reservation's guest_remove_page: 0 when the gfn maps nothing
    // afterwards, else the -errno the hypercall would fail with.
    int remove_page(uint16_t domid, uint64_t gfn);
    // populate_physmap of one gfn that maps nothing: a fresh zeroed page.
    int populate_page(uint16_t domid, uint64_t gfn);
    // XENMEM_remove_from_physmap: the gfn maps nothing afterwards; its
    // page stays the domain's (freed when the domain goes).  0, -ENOENT.
    int physmap_remove(uint16_t domid, uint64_t gfn);
    // Another domain maps granter's gfn read-only (a grant map): the frame
    // gfn maps now stays readable through the grant until it is unmapped.
    cs_mfn_t grant_map(uint16_t granter, uint64_t gfn);
    void grant_unmap(cs_mfn_t mfn);
    std::span<const std::byte> grant_read(cs_mfn_t mfn) { return {frame(mfn), kPage}; }
    // The next n p2m shares of domid fail with -ENOMEM, as a superpage
    // split does when the domain's p2m pool is empty.
    void fail_p2m_shares(uint16_t domid, unsigned n);

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
    size_t total_frames() const { return frames_; }
    size_t free_frames() const;
    // Whether a free frame still holds content: one Xen freed without a
    // scrub (a live domain's page), which the next allocation, any tenant's,
    // gets as it is.  Frames Xen scrubs before reuse never match.
    bool free_frame_holds(std::span<const std::byte> content) const;
    // Takes frames out of the pool (another tenant); returns how many.
    size_t hog(size_t n);
    void unhog();

    // VIRQ_COSHARE notifications the engine sent to a guest.
    unsigned notifications(uint16_t domid) const;

    // What would have crashed Xen itself, in the order it happened.
    std::vector<std::string> xen_crashes() const;

    // Test hook: runs on the first `times` threads that reach the named
    // point (a hook may block there to stop that thread).  Points:
    //   "p2m_share", "p2m_private", "p2m_remove": a cs_env p2m change,
    //       before it takes the p2m lock;
    //   "frame_unmap": the engine let go of a page it read;
    //   "fault_exit": a write fault whose unshare under the p2m lock failed,
    //       before it unshares again without locks (hvm.c's exit);
    //   "teardown-chunk": destroy_guest between two teardown calls (a
    //       hypercall continuation); "dying": after the last of them;
    //   "engine_lock": the engine is about to take its lock (a hook may
    //       call the engine: the lock is not held there);
    //   "relax": a long walk (the whole audit) between two holds of the
    //       engine lock (a hook may call the engine);
    //   "continuation": op() between a preempted batch and its restart
    //       (a hook may rewrite the entries or call the engine).
    void at_point(std::string name, std::function<void()> hook,
                  unsigned times = 1);
    void on_next_unmap(std::function<void()> hook)
    {
        at_point("frame_unmap", std::move(hook));
    }
    // Frame mappings the engine has released so far: one per page it read.
    uint64_t frame_unmaps() const { return frame_unmaps_; }
    // A write by another vCPU while the engine holds its lock (from a hook
    // on the engine's own thread): a writable gfn takes it at once; a
    // read-only one faults, and the write is queued until the engine lets
    // go (finish_racing_writes then does it).
    void write_racing(uint16_t domid, uint64_t gfn, const Page& data);
    // The queued writes, through copy-on-write: how many there were, or the
    // first failure's -errno (-ENOMEM: the domain would crash).
    int finish_racing_writes();

    // Test hooks: the p2m entry, and raw frame memory.
    P2mEntry& p2m(uint16_t domid, uint64_t gfn);
    std::byte* frame(cs_mfn_t mfn) { return base_ + mfn * kPage; }
    // The engine lock, as Xen's spinlock: a test may hold it to keep the
    // engine busy.
    EngineLock& lock() { return lock_; }
    uint32_t& tag(cs_mfn_t mfn) { return tags_.at(mfn); }

    // cs_env implementation.
    void env_lock();
    cs_p2m_type env_query(uint16_t domid, uint64_t gfn, cs_mfn_t* mfn);
    int env_share(uint16_t domid, uint64_t gfn, cs_mfn_t expect, cs_mfn_t frame);
    void env_hold(uint16_t domid);
    void env_release(uint16_t domid);
    int env_private(uint16_t domid, uint64_t gfn, cs_mfn_t mfn);
    cs_mfn_t env_remove(uint16_t domid, uint64_t gfn);
    uint64_t env_gfn_end(uint16_t domid) const;
    cs_mfn_t env_alloc();
    void env_free(cs_mfn_t mfn);
    // Xen's free of a live domain's page: no scrub (the guest clears what
    // it frees, if it cares).
    void free_unscrubbed(cs_mfn_t mfn);
    uint32_t env_tag(cs_mfn_t mfn) const;
    int env_set_tag(cs_mfn_t mfn, uint32_t tag);
    uint32_t env_domain_flags(uint16_t domid) const;
    void env_notify(uint16_t domid);
    void env_relax() { point("relax"); }
    bool env_preempt() const { return preempt_batches_; }
    // Whether batches are preempted between every two holds, as Xen may
    // (op() restarts them as Xen's continuation does).  Off by default, as
    // on a Xen CPU with no other work; the tests' fixture turns it on.
    void preempt_batches(bool on) { preempt_batches_ = on; }
    // Batches op() restarted so far.
    uint64_t continuations() const { return continuations_; }
    void frame_unmapped();

private:
    struct Guest {
        explicit Guest(size_t pages) : p2m(pages) {}
        std::vector<P2mEntry> p2m;
        std::vector<cs_mfn_t> unmapped;    // pages it holds outside its p2m
        std::atomic<uint32_t> flags{CS_ENV_DOM_LIVE | CS_ENV_DOM_HVM |
                                    CS_ENV_DOM_HAP};
        std::atomic<unsigned> failing_shares{0};
        std::recursive_mutex p2m_lock;
        std::shared_mutex tlb;
    };
    Guest& guest(uint16_t domid) const;
    Guest* find_guest(uint16_t domid) const;
    // Changes one entry: the caller holds the p2m lock.
    static void set_entry(Guest& g, uint64_t gfn, cs_mfn_t mfn,
                          cs_p2m_type type);
    static P2mEntry entry_unlocked(Guest& g, uint64_t gfn);
    // Xen's write-fault path (hvm_hap_nested_page_fault with P2M_UNSHARE,
    // mem_sharing_unshare_page, then coshare_unshare_fault at its exit).
    int write_fault(uint16_t domid, Guest& g, uint64_t gfn);
    // xen_glue.c's coshare_unshare_fault: no lock held.
    int unshare_without_locks(uint16_t domid, Guest& g, uint64_t gfn);
    // xen_glue.c's coshare_remove_page, before the gfn lock: -ENOENT when
    // the gfn maps no coshare frame.
    int coshare_remove_page(uint16_t domid, Guest& g, uint64_t gfn);
    void xen_crash(std::string what);
    void point(std::string_view name);
    void check_hold(uint16_t domid) const;

    std::byte* base_ = nullptr;
    size_t bytes_ = 0;
    size_t frames_;
    std::vector<uint32_t> tags_;
    mutable std::mutex frames_lock_;    // free_, hogged_, unscrubbed_, grants_, freed_held_
    std::vector<cs_mfn_t> free_, hogged_;
    std::vector<bool> unscrubbed_;          // free and still holding content
    std::map<cs_mfn_t, unsigned> grants_;   // read-only grant maps per frame
    std::vector<cs_mfn_t> freed_held_;      // freed, but still granted
    mutable std::shared_mutex guests_lock_;
    std::map<uint16_t, std::unique_ptr<Guest>> guests_;
    mutable std::mutex misc_lock_;      // notified_, crashes_, points_
    std::map<uint16_t, unsigned> notified_;
    std::vector<std::string> crashes_;
    struct Point {
        std::function<void()> hook;
        unsigned times;
    };
    std::map<std::string, Point, std::less<>> points_;
    std::atomic<size_t> npoints_{0};
    cs_env env_{this};
    cs_engine* engine_ = nullptr;
    EngineLock lock_;
    std::atomic<uint64_t> frame_unmaps_{0};
    bool preempt_batches_ = false;
    std::atomic<uint64_t> continuations_{0};
    std::optional<uint16_t> held_;   // the domain of the engine's p2m hold
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
