// SPDX-License-Identifier: MIT
// host.cc - the simulated hypervisor and the userspace cs_env shim.
#include "host.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace coshare::sim {

Host::Host(size_t frames, cs_config cfg) : tags_(frames, 0)
{
    bytes_ = frames * kPage;
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        throw std::runtime_error("host: cannot map frame pool");
    base_ = static_cast<std::byte*>(p);
    free_.reserve(frames);
    for (size_t i = frames; i-- > 0;)
        free_.push_back(i);
    if (int rc = cs_engine_create(&env_, &cfg, &engine_); rc)
        throw std::runtime_error("host: engine create failed: " +
                                 std::to_string(rc));
}

Host::~Host()
{
    for (auto it = guests_.begin(); it != guests_.end();)
        destroy_guest((it++)->first);
    cs_engine_destroy(engine_);
    munmap(base_, bytes_);
}

void Host::add_guest(uint16_t domid, size_t pages)
{
    if (guests_.count(domid))
        throw std::invalid_argument("guest exists");
    if (free_.size() < pages)
        throw std::runtime_error("host: not enough free frames for guest");
    auto& p2m = guests_[domid];
    p2m.resize(pages);
    for (auto& e : p2m) {
        e.mfn = env_alloc();
        e.type = CS_P2M_RAM;
        std::memset(frame(e.mfn), 0, kPage);
    }
}

unsigned Host::destroy_guest(uint16_t domid, unsigned long budget)
{
    unsigned calls = 0;
    for (;;) {
        unsigned long b = budget;
        ++calls;
        int rc = cs_domain_teardown(engine_, domid, &b);
        if (rc == 0)
            break;
        if (rc != -ERESTART)
            throw std::runtime_error("teardown failed: " + std::to_string(rc));
    }
    auto it = guests_.find(domid);
    if (it == guests_.end())
        return calls;
    for (auto& e : it->second)
        if (e.type == CS_P2M_RAM || e.type == CS_P2M_BUSY)
            env_free(e.mfn);
        else if (e.type == CS_P2M_SHARED)
            throw std::logic_error("teardown left a shared gfn mapped");
    guests_.erase(it);
    return calls;
}

size_t Host::guest_pages(uint16_t domid) const
{
    return guests_.at(domid).size();
}

P2mEntry& Host::p2m(uint16_t domid, uint64_t gfn)
{
    return guests_.at(domid).at(gfn);
}

std::span<const std::byte> Host::read(uint16_t domid, uint64_t gfn) const
{
    const auto& e = guests_.at(domid).at(gfn);
    if (e.mfn == CS_INVALID_MFN)
        throw std::out_of_range("read of an unmapped gfn");
    return {base_ + e.mfn * kPage, kPage};
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
    auto& e = p2m(domid, gfn);
    if (e.type == CS_P2M_SHARED) {
        if (int rc = cs_unshare(engine_, domid, gfn); rc)
            return rc;
    }
    if (e.type != CS_P2M_RAM && e.type != CS_P2M_BUSY)
        return -EFAULT;
    if (offset + data.size() > kPage)
        throw std::out_of_range("write beyond page");
    std::memcpy(frame(e.mfn) + offset, data.data(), data.size());
    return 0;
}

int Host::op(uint16_t caller, bool privileged, xen_coshare_op_t& o,
             xen_coshare_entry_t* ents, xen_coshare_stats_t* stats)
{
    cs_caller c{.domid = caller, .privileged = privileged};
    return cs_op(engine_, &c, &o, ents, stats);
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

size_t Host::hog(size_t n)
{
    size_t got = 0;
    for (; got < n && !free_.empty(); ++got) {
        hogged_.push_back(free_.back());
        free_.pop_back();
    }
    return got;
}

void Host::unhog()
{
    free_.insert(free_.end(), hogged_.begin(), hogged_.end());
    hogged_.clear();
}

// ---- cs_env ----------------------------------------------------------------

// The engine's contract (cs_env.h): inside a hold, p2m calls name the held
// domain only, and holds do not nest.
void Host::check_hold(uint16_t domid) const
{
    if (held_ && *held_ != domid)
        throw std::logic_error("p2m call for another domain inside a hold");
}

void Host::env_hold(uint16_t domid)
{
    if (held_)
        throw std::logic_error("nested p2m hold");
    held_ = domid;
}

void Host::env_release(uint16_t domid)
{
    if (held_ != domid)
        throw std::logic_error("release of a p2m hold not held");
    held_.reset();
}

cs_p2m_type Host::env_query(uint16_t domid, uint64_t gfn, cs_mfn_t* mfn)
{
    check_hold(domid);
    auto it = guests_.find(domid);
    if (it == guests_.end() || gfn >= it->second.size())
        return CS_P2M_OTHER;
    *mfn = it->second[gfn].mfn;
    return it->second[gfn].type;
}

int Host::env_share(uint16_t domid, uint64_t gfn, cs_mfn_t expect, cs_mfn_t f)
{
    check_hold(domid);
    auto& e = p2m(domid, gfn);
    if (e.mfn != expect || e.type == CS_P2M_OTHER || e.type == CS_P2M_BUSY)
        return -EBUSY;
    if (e.type == CS_P2M_RAM && e.mfn != f)
        env_free(e.mfn);
    e.mfn = f;
    e.type = CS_P2M_SHARED;
    return 0;
}

int Host::env_private(uint16_t domid, uint64_t gfn, cs_mfn_t mfn)
{
    check_hold(domid);
    auto& e = p2m(domid, gfn);
    e.mfn = mfn;
    e.type = CS_P2M_RAM;
    return 0;
}

cs_mfn_t Host::env_remove(uint16_t domid, uint64_t gfn)
{
    check_hold(domid);
    auto& e = p2m(domid, gfn);
    cs_mfn_t mfn = e.mfn;
    e.mfn = CS_INVALID_MFN;
    e.type = CS_P2M_OTHER;
    return mfn;
}

uint64_t Host::env_gfn_end(uint16_t domid) const
{
    auto it = guests_.find(domid);
    return it == guests_.end() ? 0 : it->second.size();
}

void Host::frame_unmapped()
{
    ++frame_unmaps_;
    if (auto hook = std::exchange(on_unmap_, nullptr))
        hook();
}

void Host::write_racing(uint16_t domid, uint64_t gfn, const Page& data)
{
    const auto& e = p2m(domid, gfn);
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
    if (free_.empty())
        return CS_INVALID_MFN;
    cs_mfn_t m = free_.back();
    free_.pop_back();
    return m;
}

void Host::env_free(cs_mfn_t mfn)
{
    if (mfn >= tags_.size())
        throw std::logic_error("free of a bad mfn");
    free_.push_back(mfn);
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
cs_mfn_t cs_env_frame_alloc(cs_env* env) { return env->host->env_alloc(); }
void cs_env_frame_free(cs_env* env, cs_mfn_t m) { env->host->env_free(m); }
void* cs_env_frame_map(cs_env* env, cs_mfn_t m)
{
    return env->host->frame(m);
}
void cs_env_frame_unmap(cs_env* env, void*) { env->host->frame_unmapped(); }
uint32_t cs_env_frame_tag(cs_env* env, cs_mfn_t m)
{
    return env->host->tag(m);
}
void cs_env_frame_set_tag(cs_env* env, cs_mfn_t m, uint32_t t)
{
    env->host->tag(m) = t;
}
void* cs_env_alloc(cs_env*, size_t size) { return calloc(1, size); }
void cs_env_free(cs_env*, void* p, size_t) { free(p); }
uint64_t cs_env_free_frames(cs_env* env) { return env->host->free_frames(); }
void cs_env_notify(cs_env* env, uint16_t domid) { env->host->env_notify(domid); }
void cs_env_lock(cs_env* env) { env->host->lock().lock(); }
bool cs_env_trylock(cs_env* env) { return env->host->lock().try_lock(); }
void cs_env_unlock(cs_env* env) { env->host->lock().unlock(); }

}  // extern "C"
