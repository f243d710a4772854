// SPDX-License-Identifier: MIT
// host.cc - the simulated hypervisor and the userspace cs_env shim.
#include "host.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace coshare::sim {

namespace {

// A write retried this often is stuck: the model reports it rather than
// spin for ever (the guest itself may hint the page again meanwhile).
constexpr unsigned kMaxFaultsPerWrite = 10000;

}  // namespace

Host::Host(size_t frames, cs_config cfg, size_t tagged)
    : frames_(frames), tags_(std::min(frames, tagged), 0)
{
    bytes_ = frames * kPage;
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        throw std::runtime_error("host: cannot map frame pool");
    base_ = static_cast<std::byte*>(p);
    free_.reserve(frames);
    unscrubbed_.assign(frames, false);
    for (size_t i = frames; i-- > 0;)
        free_.push_back(i);
    if (int rc = cs_engine_create(&env_, &cfg, &engine_); rc)
        throw std::runtime_error("host: engine create failed: " +
                                 std::to_string(rc));
}

Host::~Host()
{
    std::vector<uint16_t> domids;
    for (const auto& [domid, g] : guests_)
        domids.push_back(domid);
    for (uint16_t domid : domids)
        destroy_guest(domid);
    cs_engine_destroy(engine_);
    munmap(base_, bytes_);
}

Host::Guest* Host::find_guest(uint16_t domid) const
{
    std::shared_lock l(guests_lock_);
    auto it = guests_.find(domid);
    return it == guests_.end() ? nullptr : it->second.get();
}

Host::Guest& Host::guest(uint16_t domid) const
{
    if (Guest* g = find_guest(domid))
        return *g;
    throw std::out_of_range("no guest " + std::to_string(domid));
}

bool Host::has_guest(uint16_t domid) const { return find_guest(domid); }

void Host::add_guest(uint16_t domid, size_t pages)
{
    if (has_guest(domid))
        throw std::invalid_argument("guest exists");
    if (free_frames() < pages)
        throw std::runtime_error("host: not enough free frames for guest");
    auto g = std::make_unique<Guest>(pages);
    for (auto& e : g->p2m) {
        e.mfn = env_alloc();
        e.type = CS_P2M_RAM;
        std::memset(frame(e.mfn), 0, kPage);
    }
    std::unique_lock l(guests_lock_);
    guests_.emplace(domid, std::move(g));
}

void Host::set_domain_flags(uint16_t domid, uint32_t flags)
{
    guest(domid).flags = flags;
}

uint32_t Host::env_domain_flags(uint16_t domid) const
{
    Guest* g = find_guest(domid);
    return g ? g->flags.load() : 0;
}

unsigned Host::destroy_guest(uint16_t domid, unsigned long budget)
{
    unsigned calls = 0;
    if (Guest* g = find_guest(domid))
        g->flags &= ~CS_ENV_DOM_LIVE;
    for (;;) {
        unsigned long b = budget;
        ++calls;
        int rc = cs_domain_teardown(engine_, domid, &b);
        if (rc == 0)
            break;
        if (rc != -ERESTART)
            throw std::runtime_error("teardown failed: " + std::to_string(rc));
        point("teardown-chunk");
    }
    point("dying");
    std::unique_ptr<Guest> g;
    {
        std::unique_lock l(guests_lock_);
        auto it = guests_.find(domid);
        if (it == guests_.end())
            return calls;
        g = std::move(it->second);
        guests_.erase(it);
    }
    for (auto& e : g->p2m)
        if (e.type == CS_P2M_RAM || e.type == CS_P2M_BUSY)
            env_free(e.mfn);
        else if (e.type == CS_P2M_SHARED)
            throw std::logic_error("teardown left a shared gfn mapped");
    for (cs_mfn_t mfn : g->unmapped)
        env_free(mfn);
    return calls;
}

size_t Host::guest_pages(uint16_t domid) const
{
    return guest(domid).p2m.size();
}

P2mEntry& Host::p2m(uint16_t domid, uint64_t gfn)
{
    return guest(domid).p2m.at(gfn);
}

void Host::set_entry(Guest& g, uint64_t gfn, cs_mfn_t mfn, cs_p2m_type type)
{
    std::unique_lock flush(g.tlb);
    g.p2m.at(gfn) = {mfn, type};
}

P2mEntry Host::entry_unlocked(Guest& g, uint64_t gfn)
{
    std::shared_lock tlb(g.tlb);
    return g.p2m.at(gfn);
}

std::span<const std::byte> Host::read(uint16_t domid, uint64_t gfn) const
{
    const auto& e = guest(domid).p2m.at(gfn);
    if (e.mfn == CS_INVALID_MFN)
        throw std::out_of_range("read of an unmapped gfn");
    return {base_ + e.mfn * kPage, kPage};
}

int Host::guest_read(uint16_t domid, uint64_t gfn, Page& out) const
{
    Guest& g = guest(domid);
    std::shared_lock tlb(g.tlb);
    const P2mEntry& e = g.p2m.at(gfn);
    if (e.type == CS_P2M_OTHER)
        return -EFAULT;
    std::memcpy(out.data(), base_ + e.mfn * kPage, kPage);
    return 0;
}

void Host::fill(uint16_t domid, uint64_t gfn, std::span<const std::byte> data)
{
    auto& e = p2m(domid, gfn);
    if (e.type != CS_P2M_RAM || data.size() > kPage)
        throw std::logic_error("fill: gfn is not private RAM");
    std::memcpy(frame(e.mfn), data.data(), data.size());
}

int Host::write(uint16_t domid, uint64_t gfn, size_t offset,
                std::span<const std::byte> data)
{
    if (offset + data.size() > kPage)
        throw std::out_of_range("write beyond page");
    Guest& g = guest(domid);
    for (unsigned faults = 0;; ++faults) {
        {
            std::shared_lock tlb(g.tlb);
            const P2mEntry& e = g.p2m.at(gfn);
            if (e.type == CS_P2M_RAM || e.type == CS_P2M_BUSY) {
                std::memcpy(frame(e.mfn) + offset, data.data(), data.size());
                return 0;
            }
            if (e.type != CS_P2M_SHARED)
                return -EFAULT;
        }
        if (faults == kMaxFaultsPerWrite)
            return -ELOOP;
        if (int rc = write_fault(domid, g, gfn))
            return rc;
    }
}

void Host::xen_crash(std::string what)
{
    std::lock_guard l(misc_lock_);
    crashes_.push_back(std::move(what));
}

std::vector<std::string> Host::xen_crashes() const
{
    std::lock_guard l(misc_lock_);
    return crashes_;
}

// hvm_hap_nested_page_fault() on a write to a p2m_ram_shared gfn: the p2m
// query with P2M_UNSHARE runs mem_sharing_unshare_page() under the gfn
// lock, where coshare may only try its engine lock; if that did not
// unshare, the patched handler calls coshare_unshare_fault() at its exit.
// Nonzero: Xen crashes the domain.
int Host::write_fault(uint16_t domid, Guest& g, uint64_t gfn)
{
    {
        std::lock_guard p2m(g.p2m_lock);
        P2mEntry e = g.p2m.at(gfn);
        if (e.type != CS_P2M_SHARED)
            return 0;   // changed meanwhile: the access is retried
        if (!env_tag(e.mfn)) {
            // Stock __mem_sharing_unshare_page() would follow
            // page->sharing, which a coshare frame does not have.
            xen_crash("write fault: d" + std::to_string(domid) + " gfn " +
                      std::to_string(gfn) +
                      " maps a shared frame without a coshare tag: Xen "
                      "takes the stock unshare path on it");
            return -EFAULT;
        }
        int rc = cs_unshare_nowait(engine_, domid, gfn);
        if (rc && rc != -ENOMEM && rc != -EAGAIN) {
            xen_crash("BUG_ON in mem_sharing_unshare_page(): rc " +
                      std::to_string(rc));
            return rc;
        }
        if (!rc)
            return 0;
    }
    point("fault_exit");
    return unshare_without_locks(domid, g, gfn);
}

int Host::unshare_without_locks(uint16_t domid, Guest& g, uint64_t gfn)
{
    P2mEntry e = entry_unlocked(g, gfn);
    if (e.type != CS_P2M_SHARED)
        return 0;
    if (!env_tag(e.mfn))
        return -ENOENT;     // not coshare's: stock's ENOMEM path
    return cs_unshare(engine_, domid, gfn);
}

int Host::coshare_remove_page(uint16_t domid, Guest& g, uint64_t gfn)
{
    P2mEntry e = entry_unlocked(g, gfn);
    if (e.type != CS_P2M_SHARED || !env_tag(e.mfn))
        return -ENOENT;
    return cs_remove(engine_, domid, gfn);
}

// guest_remove_page() as patched: a gfn mapping a coshare frame drops that
// mapping through the engine (coshare_remove_page(), before the gfn lock);
// any other page goes as in stock Xen.  Should the gfn map a coshare frame
// again under the gfn lock (the guest hinted it meanwhile on another
// vCPU), the lock is dropped and the engine asked again.
int Host::remove_page(uint16_t domid, uint64_t gfn)
{
    Guest& g = guest(domid);
    for (unsigned tries = 0;; ++tries) {
        if (tries == kMaxFaultsPerWrite)
            return -EAGAIN;
        if (int rc = coshare_remove_page(domid, g, gfn); rc != -ENOENT)
            return rc;
        std::lock_guard p2m(g.p2m_lock);
        P2mEntry e = g.p2m.at(gfn);
        if (e.type == CS_P2M_OTHER)
            return -ENOENT;
        if (e.type == CS_P2M_SHARED) {
            if (env_tag(e.mfn))
                continue;
            xen_crash("guest_remove_page: d" + std::to_string(domid) +
                      " gfn " + std::to_string(gfn) +
                      " maps a shared frame without a coshare tag");
            return -EFAULT;
        }
        set_entry(g, gfn, CS_INVALID_MFN, CS_P2M_OTHER);
        free_unscrubbed(e.mfn);
        return 0;
    }
}

// XENMEM_remove_from_physmap as patched: a gfn mapping a coshare frame
// drops it through the engine (coshare_remove_page, before any lock), and
// p2m_remove_page() refuses to take a coshare frame's entry away behind the
// engine's back (-EBUSY: only a guest hinting the gfn anew meanwhile sees
// it).  Any other page is unhooked as in stock Xen.
int Host::physmap_remove(uint16_t domid, uint64_t gfn)
{
    Guest& g = guest(domid);
    if (int rc = coshare_remove_page(domid, g, gfn); rc != -ENOENT)
        return rc;
    std::lock_guard p2m(g.p2m_lock);
    P2mEntry e = g.p2m.at(gfn);
    if (e.type == CS_P2M_OTHER)
        return -ENOENT;
    if (e.type == CS_P2M_SHARED && env_tag(e.mfn))
        return -EBUSY;
    set_entry(g, gfn, CS_INVALID_MFN, CS_P2M_OTHER);
    if (e.type != CS_P2M_SHARED)
        g.unmapped.push_back(e.mfn);
    return 0;
}

cs_mfn_t Host::grant_map(uint16_t granter, uint64_t gfn)
{
    Guest& g = guest(granter);
    std::lock_guard p2m(g.p2m_lock);
    P2mEntry e = g.p2m.at(gfn);
    if (e.type == CS_P2M_OTHER)
        return CS_INVALID_MFN;
    std::lock_guard l(frames_lock_);
    ++grants_[e.mfn];
    return e.mfn;
}

void Host::grant_unmap(cs_mfn_t mfn)
{
    std::lock_guard l(frames_lock_);
    auto it = grants_.find(mfn);
    if (it == grants_.end())
        throw std::logic_error("unmap of a frame not granted");
    if (--it->second)
        return;
    grants_.erase(it);
    auto held = std::find(freed_held_.begin(), freed_held_.end(), mfn);
    if (held != freed_held_.end()) {     // its last holder let go
        freed_held_.erase(held);
        free_.push_back(mfn);
    }
}

void Host::fail_p2m_shares(uint16_t domid, unsigned n)
{
    guest(domid).failing_shares = n;
}

int Host::populate_page(uint16_t domid, uint64_t gfn)
{
    Guest& g = guest(domid);
    std::lock_guard p2m(g.p2m_lock);
    if (g.p2m.at(gfn).type != CS_P2M_OTHER)
        return -EEXIST;
    cs_mfn_t mfn = env_alloc();
    if (mfn == CS_INVALID_MFN)
        return -ENOMEM;
    std::memset(frame(mfn), 0, kPage);
    set_entry(g, gfn, mfn, CS_P2M_RAM);
    return 0;
}

int Host::op(uint16_t caller, bool privileged, xen_coshare_op_t& o,
             xen_coshare_entry_t* ents, xen_coshare_stats_t* stats)
{
    cs_caller c{.domid = caller, .privileged = privileged};
    int rc;

    // Xen's continuation: the same op again, .done saying where it stopped.
    while ((rc = cs_op(engine_, &c, &o, ents, stats)) == -ERESTART) {
        ++continuations_;
        point("continuation");
    }
    return rc;
}

xen_coshare_op_t make_batch_op(uint8_t op_code, unsigned cls, uint32_t nr)
{
    xen_coshare_op_t o{};
    o.op = op_code;
    o.domain = DOMID_SELF;
    o.u.batch.hint_class = static_cast<uint8_t>(cls);
    o.u.batch.nr = nr;
    return o;
}

int Host::enable(uint16_t domid, uint32_t group, bool repay)
{
    xen_coshare_op_t o{};
    o.op = XENMEM_sharing_op_coshare_control;
    o.domain = domid;
    o.u.control.set = XEN_COSHARE_CTL_ENABLE |
                      (repay ? XEN_COSHARE_CTL_REPAY : 0);
    if (int rc = op(0, true, o); rc)
        return rc;
    xen_coshare_op_t g{};
    g.op = XENMEM_sharing_op_coshare_group;
    g.domain = domid;
    g.u.group.group = group;
    return op(0, true, g);
}

int Host::batch(uint16_t domid, uint8_t op_code, unsigned cls,
                std::vector<xen_coshare_entry_t>& ents)
{
    for (size_t at = 0; at < ents.size(); at += XEN_COSHARE_BATCH_MAX) {
        uint32_t nr = static_cast<uint32_t>(
            std::min<size_t>(XEN_COSHARE_BATCH_MAX, ents.size() - at));
        auto o = make_batch_op(op_code, cls, nr);
        if (int rc = op(domid, false, o, ents.data() + at); rc)
            return rc;
    }
    return 0;
}

static std::vector<xen_coshare_entry_t> entries_of(
    const std::vector<uint64_t>& gfns)
{
    std::vector<xen_coshare_entry_t> ents(gfns.size());
    for (size_t i = 0; i < gfns.size(); ++i)
        ents[i].gfn = gfns[i];
    return ents;
}

std::vector<xen_coshare_entry_t> Host::hint(uint16_t domid, unsigned cls,
                                            const std::vector<uint64_t>& gfns)
{
    auto ents = entries_of(gfns);
    if (int rc = batch(domid, XENMEM_sharing_op_coshare_hint, cls, ents); rc)
        throw std::runtime_error("hint op failed: " + std::to_string(rc));
    return ents;
}

std::vector<xen_coshare_entry_t> Host::vol_add(
    uint16_t domid, const std::vector<uint64_t>& gfns)
{
    auto ents = entries_of(gfns);
    if (int rc = batch(domid, XENMEM_sharing_op_coshare_vol_add, 0, ents); rc)
        throw std::runtime_error("vol_add op failed: " + std::to_string(rc));
    return ents;
}

xen_coshare_stats_t Host::stats(uint16_t domid)
{
    xen_coshare_stats_t s{};
    if (int rc = cs_stats(engine_, domid, &s); rc)
        throw std::runtime_error("stats failed: " + std::to_string(rc));
    return s;
}

xen_coshare_stats_t Host::global_stats() { return stats(DOMID_INVALID); }

unsigned Host::audit(std::vector<std::string>* messages)
{
    auto report = [](void* arg, const char* msg) {
        if (arg)
            static_cast<std::vector<std::string>*>(arg)->emplace_back(msg);
    };
    return cs_audit(engine_, nullptr, +report, messages);
}

size_t Host::free_frames() const
{
    std::lock_guard l(frames_lock_);
    return free_.size();
}

size_t Host::hog(size_t n)
{
    std::lock_guard l(frames_lock_);
    size_t got = 0;
    for (; got < n && !free_.empty(); ++got) {
        hogged_.push_back(free_.back());
        free_.pop_back();
    }
    return got;
}

void Host::unhog()
{
    std::lock_guard l(frames_lock_);
    free_.insert(free_.end(), hogged_.begin(), hogged_.end());
    hogged_.clear();
}

unsigned Host::notifications(uint16_t domid) const
{
    std::lock_guard l(misc_lock_);
    auto it = notified_.find(domid);
    return it == notified_.end() ? 0 : it->second;
}

void Host::at_point(std::string name, std::function<void()> hook,
                    unsigned times)
{
    std::lock_guard l(misc_lock_);
    if (hook && times)
        points_.insert_or_assign(std::move(name), Point{std::move(hook), times});
    else
        points_.erase(name);
    npoints_ = points_.size();
}

void Host::point(std::string_view name)
{
    if (!npoints_)
        return;
    std::function<void()> hook;
    {
        std::lock_guard l(misc_lock_);
        auto it = points_.find(name);
        if (it == points_.end())
            return;
        if (--it->second.times) {
            hook = it->second.hook;
        } else {
            hook = std::move(it->second.hook);
            points_.erase(it);
        }
        npoints_ = points_.size();
    }
    hook();
}

// ---- cs_env ----------------------------------------------------------------

void Host::env_lock()
{
    point("engine_lock");
    lock_.lock();
}

// The engine's contract (cs_env.h): inside a hold, p2m calls name the held
// domain only, and holds do not nest.  held_ is the engine's: it changes
// under the engine lock only.
void Host::check_hold(uint16_t domid) const
{
    if (held_ && *held_ != domid)
        throw std::logic_error("p2m call for another domain inside a hold");
}

void Host::env_hold(uint16_t domid)
{
    if (held_)
        throw std::logic_error("nested p2m hold");
    guest(domid).p2m_lock.lock();
    held_ = domid;
}

void Host::env_release(uint16_t domid)
{
    if (held_ != domid)
        throw std::logic_error("release of a p2m hold not held");
    held_.reset();
    guest(domid).p2m_lock.unlock();
}

cs_p2m_type Host::env_query(uint16_t domid, uint64_t gfn, cs_mfn_t* mfn)
{
    check_hold(domid);
    Guest* g = find_guest(domid);
    if (!g || gfn >= g->p2m.size())
        return CS_P2M_OTHER;
    std::lock_guard p2m(g->p2m_lock);
    P2mEntry e = g->p2m[gfn];
    *mfn = e.mfn;
    if (e.type == CS_P2M_RAM) {     // extra references: not plain RAM
        std::lock_guard l(frames_lock_);
        if (grants_.count(e.mfn))
            return CS_P2M_BUSY;
    }
    return e.type;
}

int Host::env_share(uint16_t domid, uint64_t gfn, cs_mfn_t expect, cs_mfn_t f)
{
    check_hold(domid);
    point("p2m_share");
    Guest& g = guest(domid);
    std::lock_guard p2m(g.p2m_lock);
    for (unsigned n = g.failing_shares; n;)
        if (g.failing_shares.compare_exchange_weak(n, n - 1))
            return -ENOMEM;
    P2mEntry e = g.p2m.at(gfn);
    if (e.mfn != expect || e.type == CS_P2M_OTHER || e.type == CS_P2M_BUSY)
        return -EBUSY;
    set_entry(g, gfn, f, CS_P2M_SHARED);
    if (e.type == CS_P2M_RAM && e.mfn != f)
        env_free(e.mfn);    // scrubbed, after the flush: no vCPU writes it any more
    return 0;
}

int Host::env_private(uint16_t domid, uint64_t gfn, cs_mfn_t mfn)
{
    check_hold(domid);
    point("p2m_private");
    Guest& g = guest(domid);
    std::lock_guard p2m(g.p2m_lock);
    P2mEntry e = g.p2m.at(gfn);
    if (e.type != CS_P2M_SHARED)
        return -EINVAL;
    if (e.mfn == mfn) {     // the frame itself: only if nobody else holds it
        std::lock_guard l(frames_lock_);
        if (grants_.count(mfn))
            return -EBUSY;
    }
    set_entry(g, gfn, mfn, CS_P2M_RAM);
    return 0;
}

cs_mfn_t Host::env_remove(uint16_t domid, uint64_t gfn)
{
    check_hold(domid);
    point("p2m_remove");
    Guest& g = guest(domid);
    std::lock_guard p2m(g.p2m_lock);
    P2mEntry e = g.p2m.at(gfn);
    if (e.type != CS_P2M_RAM && e.type != CS_P2M_SHARED)
        return CS_INVALID_MFN;  // as Xen: only plain RAM or a shared frame
    set_entry(g, gfn, CS_INVALID_MFN, CS_P2M_OTHER);
    return e.mfn;
}

uint64_t Host::env_gfn_end(uint16_t domid) const
{
    Guest* g = find_guest(domid);
    return g ? g->p2m.size() : 0;
}

void Host::env_notify(uint16_t domid)
{
    std::lock_guard l(misc_lock_);
    ++notified_[domid];
}

uint32_t Host::env_tag(cs_mfn_t mfn) const
{
    // Read without the engine lock by the fault path, as Xen reads its tag
    // table: one aligned word.
    if (mfn >= tags_.size())
        return 0;
    return std::atomic_ref(const_cast<uint32_t&>(tags_[mfn]))
        .load(std::memory_order_relaxed);
}

int Host::env_set_tag(cs_mfn_t mfn, uint32_t tag)
{
    if (mfn >= frames_)
        throw std::logic_error("tag of a bad mfn");
    if (mfn >= tags_.size())
        return tag ? -ENOSPC : 0;
    std::atomic_ref(tags_[mfn]).store(tag, std::memory_order_relaxed);
    return 0;
}

void Host::frame_unmapped()
{
    ++frame_unmaps_;
    point("frame_unmap");
}

void Host::write_racing(uint16_t domid, uint64_t gfn, const Page& data)
{
    Guest& g = guest(domid);
    std::shared_lock tlb(g.tlb);
    const auto& e = g.p2m.at(gfn);
    if (e.type == CS_P2M_RAM)
        std::memcpy(frame(e.mfn), data.data(), kPage);
    else
        racing_.push_back({domid, gfn, data});
}

int Host::finish_racing_writes()
{
    auto writes = std::exchange(racing_, {});
    for (const auto& w : writes)
        if (int rc = write(w.domid, w.gfn, 0, w.data))
            return rc;
    return static_cast<int>(writes.size());
}

cs_mfn_t Host::env_alloc()
{
    std::lock_guard l(frames_lock_);
    if (free_.empty())
        return CS_INVALID_MFN;
    cs_mfn_t m = free_.back();
    free_.pop_back();
    unscrubbed_[m] = false;
    return m;
}

// Frames the engine frees (coshare's own, or anonymous) and a dying
// domain's pages: Xen scrubs them before anyone gets them again.
void Host::env_free(cs_mfn_t mfn)
{
    if (mfn >= frames_)
        throw std::logic_error("free of a bad mfn");
    std::lock_guard l(frames_lock_);
    if (grants_.count(mfn))
        freed_held_.push_back(mfn);     // goes when its last grant does
    else
        free_.push_back(mfn);
}

void Host::free_unscrubbed(cs_mfn_t mfn)
{
    {
        std::lock_guard l(frames_lock_);
        unscrubbed_.at(mfn) = !grants_.count(mfn);
    }
    env_free(mfn);
}

bool Host::free_frame_holds(std::span<const std::byte> content) const
{
    std::lock_guard l(frames_lock_);
    for (cs_mfn_t m : free_)
        if (unscrubbed_[m] && std::memcmp(base_ + m * kPage, content.data(), kPage) == 0)
            return true;
    return false;
}

}  // namespace coshare::sim

// ---- the C shim the engine links against -----------------------------------

using coshare::sim::Host;

extern "C" {

cs_p2m_type cs_env_p2m_query(cs_env* env, uint16_t d, uint64_t g, cs_mfn_t* m)
{
    return env->host->env_query(d, g, m);
}
int cs_env_p2m_share(cs_env* env, uint16_t d, uint64_t g, cs_mfn_t x,
                     cs_mfn_t f)
{
    return env->host->env_share(d, g, x, f);
}
void cs_env_p2m_hold(cs_env* env, uint16_t d) { env->host->env_hold(d); }
void cs_env_p2m_release(cs_env* env, uint16_t d) { env->host->env_release(d); }
int cs_env_p2m_private(cs_env* env, uint16_t d, uint64_t g, cs_mfn_t m)
{
    return env->host->env_private(d, g, m);
}
cs_mfn_t cs_env_p2m_remove(cs_env* env, uint16_t d, uint64_t g)
{
    return env->host->env_remove(d, g);
}
uint64_t cs_env_gfn_end(cs_env* env, uint16_t d)
{
    return env->host->env_gfn_end(d);
}
uint32_t cs_env_domain_flags(cs_env* env, uint16_t d)
{
    return env->host->env_domain_flags(d);
}
cs_mfn_t cs_env_frame_alloc(cs_env* env) { return env->host->env_alloc(); }
void cs_env_frame_free(cs_env* env, cs_mfn_t m) { env->host->env_free(m); }
void* cs_env_frame_map(cs_env* env, cs_mfn_t m)
{
    return env->host->frame(m);
}
void cs_env_frame_unmap(cs_env* env, void*) { env->host->frame_unmapped(); }
uint32_t cs_env_frame_tag(cs_env* env, cs_mfn_t m)
{
    return env->host->env_tag(m);
}
int cs_env_frame_set_tag(cs_env* env, cs_mfn_t m, uint32_t t)
{
    return env->host->env_set_tag(m, t);
}
void* cs_env_alloc(cs_env*, size_t size) { return calloc(1, size); }
void cs_env_free(cs_env*, void* p, size_t) { free(p); }
uint64_t cs_env_free_frames(cs_env* env) { return env->host->free_frames(); }
void cs_env_notify(cs_env* env, uint16_t domid) { env->host->env_notify(domid); }
void cs_env_lock(cs_env* env) { env->host->env_lock(); }
bool cs_env_trylock(cs_env* env) { return env->host->lock().try_lock(); }
void cs_env_unlock(cs_env* env) { env->host->lock().unlock(); }
void cs_env_relax(cs_env* env) { env->host->env_relax(); }
bool cs_env_preempt(cs_env* env) { return env->host->env_preempt(); }

}  // extern "C"
