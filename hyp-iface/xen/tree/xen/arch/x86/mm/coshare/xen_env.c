/* SPDX-License-Identifier: MIT */
/*
 * xen_env.c - the coshare engine's environment (cs_env.h) inside Xen.
 *
 * coshare frames use stock mem_sharing's representation, so that the rest of
 * Xen (p2m code, grant tables, the fault path) treats them as shared pages:
 * owner dom_cow, type PGT_shared_page with one type and one general
 * reference per mapping gfn, p2m_ram_shared, SHARED_M2P_ENTRY.  What sets
 * them apart is a nonzero engine tag, kept in a table indexed by pdx.
 */
#include <xen/domain_page.h>
#include <xen/event.h>
#include <xen/iommu.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <xen/softirq.h>
#include <xen/spinlock.h>
#include <xen/vmap.h>
#include <xen/xmalloc.h>
#include <asm/altp2m.h>
#include <asm/hap.h>
#include <asm/mem_sharing.h>
#include <asm/p2m.h>
#include <asm/paging.h>
#include <public/hvm/params.h>

#include "../mm-locks.h"
#include "cs_env.h"
#include "xen_env.h"

/* A guest page nobody else holds: the only state coshare may take over. */
static bool plain_ram(const struct domain *d, const struct page_info *pg)
{
    return page_get_owner(pg) == d && !is_special_page(pg) &&
           (pg->count_info & (PGC_count_mask | PGC_allocated)) ==
           (PGC_allocated | 1) &&
           !(pg->u.inuse.type_info & PGT_count_mask);
}

/* domid's domain: the held one, or one locked for this call. */
static struct domain *env_get_domain(struct cs_env *env, uint16_t domid)
{
    if ( env->held && env->held->domain_id == domid )
        return env->held;
    ASSERT(!env->held);     /* a hold covers one domain's calls only */
    return rcu_lock_domain_by_id(domid);
}

static void env_put_domain(struct cs_env *env, struct domain *d)
{
    if ( d != env->held )
        rcu_unlock_domain(d);
}

/*
 * Inside a hold, the p2m lock stays taken, so a change's TLB flush (which
 * EPT defers to the unlock) is done here: before the engine reads a page it
 * made read-only, or frees one the guest mapped.
 */
static void env_flush(struct cs_env *env, struct domain *d)
{
    if ( d == env->held )
        p2m_tlb_flush_sync(p2m_get_hostp2m(d));
}

void cs_env_p2m_hold(struct cs_env *env, uint16_t domid)
{
    struct domain *d = rcu_lock_domain_by_id(domid);

    ASSERT(!env->held);
    if ( !d )
        return;
    if ( !hap_enabled(d) )
    {
        rcu_unlock_domain(d);
        return;
    }
    p2m_lock(p2m_get_hostp2m(d));
    env->held = d;
}

void cs_env_p2m_release(struct cs_env *env, uint16_t domid)
{
    struct domain *d = env->held;

    if ( !d )
        return;
    ASSERT(d->domain_id == domid);
    env->held = NULL;
    env->seen.valid = false;
    p2m_unlock(p2m_get_hostp2m(d));
    rcu_unlock_domain(d);
}

/* What gfn maps now, with the entry's access and order.  gfn locked. */
struct entry {
    mfn_t mfn;
    p2m_type_t t;
    p2m_access_t a;
    unsigned int order;
};

static void lookup(struct domain *d, uint64_t gfn, struct entry *e)
{
    struct p2m_domain *p2m = p2m_get_hostp2m(d);

    e->mfn = p2m->get_entry(p2m, _gfn(gfn), &e->t, &e->a, 0, &e->order,
                            NULL);
}

enum cs_p2m_type cs_env_p2m_query(struct cs_env *env, uint16_t domid,
                                  uint64_t gfn, cs_mfn_t *mfn)
{
    struct domain *d = env_get_domain(env, domid);
    enum cs_p2m_type type = CS_P2M_OTHER;
    bool held = d && d == env->held;
    struct entry e;

    *mfn = CS_INVALID_MFN;
    if ( !d )
        return type;
    /* Held: the lock is ours already, and the entry cannot change. */
    if ( !held )
        gfn_lock(p2m_get_hostp2m(d), gfn, 0);
    lookup(d, gfn, &e);
    if ( held )
        env->seen = (typeof(env->seen)){ gfn, e.a, e.order, true };
    else
        gfn_unlock(p2m_get_hostp2m(d), gfn, 0);
    if ( mfn_valid(e.mfn) )
    {
        *mfn = mfn_x(e.mfn);
        if ( p2m_is_shared(e.t) )
            type = CS_P2M_SHARED;
        else if ( e.t == p2m_ram_rw )
            type = plain_ram(d, mfn_to_page(e.mfn)) ? CS_P2M_RAM
                                                     : CS_P2M_BUSY;
    }
    env_put_domain(env, d);
    return type;
}

/*
 * gfn's private page becomes the new shared frame itself.  The caller holds
 * the gfn and has seen it map e->mfn as p2m_ram_rw: the type changes with
 * no second walk (p2m_change_type_one would look it up again).  A superpage
 * is split first, while nothing has changed yet: the split takes a page
 * from the domain's p2m pool, which the guest itself can empty (-ENOMEM).
 * After it, every change is to a 4K entry that exists.
 */
static int share_in_place(struct domain *d, uint64_t gfn,
                          const struct entry *e)
{
    struct p2m_domain *p2m = p2m_get_hostp2m(d);
    struct page_info *pg = mfn_to_page(e->mfn);
    int rc;

    if ( e->order )
    {
        rc = p2m_set_entry(p2m, _gfn(gfn), e->mfn, PAGE_ORDER_4K, e->t, e->a);
        if ( rc )
            return rc;
    }
    rc = mem_sharing_make_sharable(d, pg);
    if ( rc )
        return rc;
    rc = p2m_set_entry(p2m, _gfn(gfn), e->mfn, PAGE_ORDER_4K, p2m_ram_shared,
                       e->a);
    if ( rc )
    {
        /*
         * Nothing can hold the page but d's gfn (it is dom_cow's now, and
         * the gfn lock is held): should it fail anyway, crash d rather
         * than leave its gfn mapping a page it no longer owns unnoticed.
         */
        if ( mem_sharing_make_private(d, pg) )
        {
            ASSERT_UNREACHABLE();
            domain_crash(d);
        }
        return rc;
    }
    set_gpfn_from_mfn(mfn_x(e->mfn), SHARED_M2P_ENTRY);
    return 0;
}

/*
 * gfn maps an existing shared frame.  Its private page is returned in *old
 * with a reference held: the caller scrubs and frees it after the gfn lock
 * is dropped, when the p2m change has been flushed from the guest's TLBs.
 */
static int share_merge(struct domain *d, uint64_t gfn, mfn_t omfn,
                       p2m_access_t a, mfn_t frame, struct page_info **old)
{
    struct p2m_domain *p2m = p2m_get_hostp2m(d);
    struct page_info *fpg = mfn_to_page(frame), *opg = mfn_to_page(omfn);
    int rc;

    if ( !get_page(opg, d) )
        return -EBUSY;
    if ( !get_page_and_type(fpg, dom_cow, PGT_shared_page) )
    {
        put_page(opg);
        return -EINVAL;
    }
    rc = p2m_set_entry(p2m, _gfn(gfn), frame, PAGE_ORDER_4K, p2m_ram_shared,
                       a);
    if ( rc )
    {
        put_page_and_type(fpg);
        put_page(opg);
        return rc;
    }
    set_gpfn_from_mfn(mfn_x(omfn), INVALID_M2P_ENTRY);
    *old = opg;
    return 0;
}

/*
 * gfn leaves one shared frame for another.  The mapping's references on the
 * old frame are dropped; its allocation reference keeps it until the engine
 * frees it, after the gfn lock is dropped and the change flushed.
 */
static int share_move(struct domain *d, uint64_t gfn, mfn_t from,
                      p2m_access_t a, mfn_t to)
{
    struct p2m_domain *p2m = p2m_get_hostp2m(d);
    struct page_info *tpg = mfn_to_page(to);
    int rc;

    if ( !get_page_and_type(tpg, dom_cow, PGT_shared_page) )
        return -EINVAL;
    rc = p2m_set_entry(p2m, _gfn(gfn), to, PAGE_ORDER_4K, p2m_ram_shared, a);
    if ( rc )
    {
        put_page_and_type(tpg);
        return rc;
    }
    put_page_and_type(mfn_to_page(from));
    return 0;
}

/*
 * What gfn maps, known without a walk inside a hold: the engine queried it
 * in the same hold, so it still maps expect, shared if dom_cow owns that
 * (a private page's reference count may still change: callers check it),
 * with the access and order the query saw (or the engine's own change
 * left).  Anything else is looked up.
 */
static void held_entry(struct cs_env *env, uint64_t gfn, cs_mfn_t expect,
                       struct entry *e)
{
    if ( !env->seen.valid || env->seen.gfn != gfn )
    {
        lookup(env->held, gfn, e);
        return;
    }
#ifndef NDEBUG
    lookup(env->held, gfn, e);
    ASSERT(mfn_eq(e->mfn, _mfn(expect)) && e->a == env->seen.a);
#endif
    e->mfn = _mfn(expect);
    e->a = env->seen.a;
    e->order = env->seen.order;
    if ( !mfn_valid(_mfn(expect)) )
        e->t = p2m_invalid;
    else if ( page_get_owner(mfn_to_page(_mfn(expect))) == dom_cow )
        e->t = p2m_ram_shared;
    else
        e->t = p2m_ram_rw;
}

/*
 * A gfn of d starts or stops mapping a coshare frame: Xen's count of the
 * shared pages d maps, and of those coshare's, which max_pages bounds with
 * d's own pages (domain_charged_pages(), patch 0006).
 */
static void count_shared(struct domain *d)
{
    atomic_inc(&d->shr_pages);
    atomic_inc(&d->coshare_pages);
}

static void uncount_shared(struct domain *d)
{
    atomic_dec(&d->coshare_pages);
    atomic_dec(&d->shr_pages);
}

int cs_env_p2m_share(struct cs_env *env, uint16_t domid, uint64_t gfn,
                     cs_mfn_t expect, cs_mfn_t frame)
{
    struct domain *d = env_get_domain(env, domid);
    bool held = d && d == env->held;
    struct page_info *old = NULL;
    struct entry e;
    int rc = -EBUSY;

    if ( !d )
        return -ESRCH;
    if ( held )
        held_entry(env, gfn, expect, &e);
    else
    {
        gfn_lock(p2m_get_hostp2m(d), gfn, 0);
        lookup(d, gfn, &e);
    }
    if ( mfn_x(e.mfn) != expect )
        rc = -EBUSY;    /* it changed hands since the engine read it */
    else if ( e.t == p2m_ram_rw && mfn_valid(e.mfn) &&
              plain_ram(d, mfn_to_page(e.mfn)) )
    {
        /*
         * Counted before the page leaves tot_pages: assign_pages() bounds
         * their sum by max_pages (domain_charged_pages()), and a populate
         * on another vCPU must never see it one too low.
         */
        count_shared(d);
        rc = mfn_x(e.mfn) == frame ? share_in_place(d, gfn, &e)
                                   : share_merge(d, gfn, e.mfn, e.a,
                                                 _mfn(frame), &old);
        if ( rc )
            uncount_shared(d);
    }
    else if ( p2m_is_shared(e.t) && mfn_valid(e.mfn) &&
              mfn_x(e.mfn) != frame &&
              cs_env_frame_tag(env, mfn_x(e.mfn)) ) /* not stock sharing's */
        rc = share_move(d, gfn, e.mfn, e.a, _mfn(frame));
    if ( !rc && held )     /* a 4K entry now, its access kept */
        env->seen.order = 0;
    if ( held )
        env_flush(env, d);
    else
        gfn_unlock(p2m_get_hostp2m(d), gfn, 0);
    if ( old )
    {
        /*
         * Xen scrubs a live domain's freed page only if told to (the guest
         * clears what it frees), but d never freed this one: a free page
         * hinted into the zero frame still holds its stale data.
         */
        scrub_one_page(old);
        put_page_alloc_ref(old);
        put_page(old);
    }
    env_put_domain(env, d);
    return rc;
}

/*
 * Hands an anonymous frame to d.  An unshare must not fail once it has a
 * frame, and needs no room under max_pages: the gfn, charged to d as a
 * shared page until now, is charged as its own page instead
 * (domain_charged_pages(); tot_pages goes up before the gfn is uncounted).
 */
static void assign_to(struct domain *d, struct page_info *pg)
{
    spin_lock(&d->page_alloc_lock);
    page_set_owner(pg, d);
    smp_wmb();
    pg->count_info = (pg->count_info & PGC_extra) | PGC_allocated | 1;
    if ( domain_adjust_tot_pages(d, 1) == 1 )
        get_knownalive_domain(d);
    page_list_add_tail(pg, &d->page_list);
    spin_unlock(&d->page_alloc_lock);
}

int cs_env_p2m_private(struct cs_env *env, uint16_t domid, uint64_t gfn,
                       cs_mfn_t mfn)
{
    struct domain *d = env_get_domain(env, domid);
    struct p2m_domain *p2m;
    struct entry e;
    int rc = -EINVAL;

    if ( !d )
        return -ESRCH;
    p2m = p2m_get_hostp2m(d);
    gfn_lock(p2m, gfn, 0);
    lookup(d, gfn, &e);
    if ( !p2m_is_shared(e.t) )
        goto out;
    if ( mfn_x(e.mfn) == mfn )
    {
        struct page_info *pg = mfn_to_page(e.mfn);

        /*
         * The last mapping takes the frame back, unless someone else holds
         * it too (a read-only grant, a foreign map): besides the allocation
         * reference, the mapping's own is the only one allowed.  (-EBUSY
         * means just that to the engine: any other failure is -EFAULT.)
         */
        if ( (pg->count_info & PGC_count_mask) != 2 )
            rc = -EBUSY;
        else if ( mem_sharing_make_private(d, pg) )
            rc = -EFAULT;
        else
        {
            rc = p2m_set_entry(p2m, _gfn(gfn), e.mfn, PAGE_ORDER_4K,
                               p2m_ram_rw, e.a);
            BUG_ON(rc);     /* a 4K entry that exists: nothing to allocate */
        }
    }
    else
    {
        /* The entry first: it is the step that could fail. */
        rc = p2m_set_entry(p2m, _gfn(gfn), _mfn(mfn), PAGE_ORDER_4K,
                           p2m_ram_rw, e.a);
        if ( !rc )
        {
            assign_to(d, mfn_to_page(_mfn(mfn)));
            put_page_and_type(mfn_to_page(e.mfn));
        }
    }
    if ( !rc )
    {
        set_gpfn_from_mfn(mfn, gfn);
        paging_mark_dirty(d, _mfn(mfn));
        uncount_shared(d);
    }
 out:
    env_flush(env, d);
    gfn_unlock(p2m, gfn, 0);
    env_put_domain(env, d);
    return rc;
}

/* Takes a plain page away from d, leaving it anonymous (as steal_page). */
static bool detach_from(struct domain *d, struct page_info *pg)
{
    unsigned long x, y = pg->count_info;
    bool drop_dom_ref;

    do {
        x = y;
        if ( (x & (PGC_count_mask | PGC_allocated)) != (PGC_allocated | 1) )
            return false;
        y = cmpxchg(&pg->count_info, x,
                    x & ~(PGC_count_mask | PGC_allocated));
    } while ( y != x );

    spin_lock(&d->page_alloc_lock);
    pg->u.inuse.type_info = 0;
    page_set_owner(pg, NULL);
    page_list_del(pg, &d->page_list);
    drop_dom_ref = !domain_adjust_tot_pages(d, -1);
    spin_unlock(&d->page_alloc_lock);
    if ( drop_dom_ref )
        put_domain(d);
    return true;
}

cs_mfn_t cs_env_p2m_remove(struct cs_env *env, uint16_t domid, uint64_t gfn)
{
    struct domain *d = env_get_domain(env, domid);
    cs_mfn_t out = CS_INVALID_MFN;
    struct p2m_domain *p2m;
    struct entry e;

    if ( !d )
        return out;
    p2m = p2m_get_hostp2m(d);
    gfn_lock(p2m, gfn, 0);
    lookup(d, gfn, &e);
    if ( !mfn_valid(e.mfn) )
        goto out;
    if ( p2m_is_shared(e.t) ||
         (e.t == p2m_ram_rw && plain_ram(d, mfn_to_page(e.mfn))) )
    {
        /* Inside a superpage, this splits it: it may fail (-ENOMEM). */
        if ( p2m_set_entry(p2m, _gfn(gfn), INVALID_MFN, PAGE_ORDER_4K,
                           p2m_invalid, p2m->default_access) )
            goto out;
        if ( p2m_is_shared(e.t) )
        {
            put_page_and_type(mfn_to_page(e.mfn));
            uncount_shared(d);
        }
        else
        {
            set_gpfn_from_mfn(mfn_x(e.mfn), INVALID_M2P_ENTRY);
            if ( !detach_from(d, mfn_to_page(e.mfn)) )
            {
                /* Someone took a reference meanwhile: put it back (a 4K
                 * entry now, nothing to allocate). */
                BUG_ON(p2m_set_entry(p2m, _gfn(gfn), e.mfn, PAGE_ORDER_4K,
                                     p2m_ram_rw, e.a));
                set_gpfn_from_mfn(mfn_x(e.mfn), gfn);
                goto out;
            }
        }
        out = mfn_x(e.mfn);
    }
 out:
    env_flush(env, d);
    gfn_unlock(p2m, gfn, 0);
    env_put_domain(env, d);
    return out;
}

uint32_t cs_env_domain_flags(struct cs_env *env, uint16_t domid)
{
    struct domain *d = env_get_domain(env, domid);
    uint32_t flags = 0;

    if ( !d )
        return 0;
    if ( !d->is_dying )
        flags |= CS_ENV_DOM_LIVE;
    if ( is_hvm_domain(d) )
        flags |= CS_ENV_DOM_HVM;
    if ( hap_enabled(d) )
        flags |= CS_ENV_DOM_HAP;
    if ( is_iommu_enabled(d) )
        flags |= CS_ENV_DOM_PASSTHROUGH;
    /* A view may map a gfn's page without a reference (change_gfn). */
    if ( is_hvm_domain(d) &&
         (d->arch.hvm.params[HVM_PARAM_ALTP2M] || altp2m_active(d)) )
        flags |= CS_ENV_DOM_ALTP2M;
    env_put_domain(env, d);
    return flags;
}

uint64_t cs_env_gfn_end(struct cs_env *env, uint16_t domid)
{
    struct domain *d = env_get_domain(env, domid);
    uint64_t end = 0;

    if ( d )
    {
        if ( is_hvm_domain(d) && p2m_get_hostp2m(d) )
            end = p2m_get_hostp2m(d)->max_mapped_pfn + 1;
        env_put_domain(env, d);
    }
    return end;
}

cs_mfn_t cs_env_frame_alloc(struct cs_env *env)
{
    struct page_info *pg = alloc_domheap_page(NULL, 0);

    return pg ? mfn_x(page_to_mfn(pg)) : CS_INVALID_MFN;
}

uint64_t cs_env_free_frames(struct cs_env *env)
{
    return avail_domheap_pages();
}

/* Either a coshare frame whose last mapping is gone, or an anonymous one. */
void cs_env_frame_free(struct cs_env *env, cs_mfn_t mfn)
{
    struct page_info *pg = mfn_to_page(_mfn(mfn));

    if ( page_get_owner(pg) != dom_cow )
        free_domheap_page(pg);
    else if ( get_page(pg, dom_cow) )
    {
        /* The allocation reference must not be the last one dropped. */
        put_page_alloc_ref(pg);
        put_page(pg);
    }
}

void *cs_env_frame_map(struct cs_env *env, cs_mfn_t mfn)
{
    return map_domain_page(_mfn(mfn));
}

void cs_env_frame_unmap(struct cs_env *env, void *va)
{
    unmap_domain_page(va);
}

uint32_t cs_env_frame_tag(struct cs_env *env, cs_mfn_t mfn)
{
    unsigned long pdx = mfn_to_pdx(_mfn(mfn));

    return pdx < env->nr_tags ? env->tags[pdx] : 0;
}

/* The table covers the memory present at boot; hot-added frames stay out. */
int cs_env_frame_set_tag(struct cs_env *env, cs_mfn_t mfn, uint32_t tag)
{
    unsigned long pdx = mfn_to_pdx(_mfn(mfn));

    if ( pdx >= env->nr_tags )
        return tag ? -ENOSPC : 0;
    env->tags[pdx] = tag;
    return 0;
}

void *cs_env_alloc(struct cs_env *env, size_t size)
{
    return size > PAGE_SIZE ? vzalloc(size) : xzalloc_bytes(size);
}

void cs_env_free(struct cs_env *env, void *p, size_t size)
{
    if ( size > PAGE_SIZE )
        vfree(p);
    else
        xfree(p);
}

void cs_env_notify(struct cs_env *env, uint16_t domid)
{
    struct domain *d = rcu_lock_domain_by_id(domid);

    if ( d )
    {
        send_guest_global_virq(d, VIRQ_COSHARE);
        rcu_unlock_domain(d);
    }
}

void cs_env_lock(struct cs_env *env)
{
    spin_lock(&env->lock);
}

bool cs_env_trylock(struct cs_env *env)
{
    return spin_trylock(&env->lock);
}

void cs_env_unlock(struct cs_env *env)
{
    spin_unlock(&env->lock);
}

void cs_env_relax(struct cs_env *env)
{
    process_pending_softirqs();
}

bool cs_env_preempt(struct cs_env *env)
{
    return hypercall_preempt_check();
}

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * tab-width: 4
 * indent-tabs-mode: nil
 * End:
 */
