/* SPDX-License-Identifier: MIT */
/*
 * cs_domain.c - the engine's view of domains: dom0's controls (enable,
 * repayment, sharing group), per-domain counters and teardown.
 *
 * Teardown walks the domain's gfn table with a work budget and a saved
 * position, so the hypervisor can preempt it (hypercall continuation);
 * each removal is O(1) whatever the frame's sharing degree.
 */
#include "cs_internal.h"

/* domid -> slot: a small linear-probing table of slot + 1 (0 = empty). */
#define CS_SLOT_MASK (2 * CS_MAX_DOMAINS - 1)

static unsigned int cs_slot_home(uint16_t domid)
{
    return (domid * 0x9e37u) & CS_SLOT_MASK;
}

struct cs_domain *cs_domain_get(const struct cs_engine *e, uint16_t domid)
{
    unsigned int i;

    for ( i = cs_slot_home(domid); e->slot_hash[i];
          i = (i + 1) & CS_SLOT_MASK )
    {
        struct cs_domain *d = e->dom[e->slot_hash[i] - 1];

        if ( d->domid == domid )
            return d;
    }
    return NULL;
}

static void cs_slot_remove(struct cs_engine *e, const struct cs_domain *d)
{
    unsigned int i = cs_slot_home(d->domid), j;

    while ( e->slot_hash[i] != d->slot + 1 )
        i = (i + 1) & CS_SLOT_MASK;
    /* Backward-shift deletion keeps every probe sequence unbroken. */
    for ( j = (i + 1) & CS_SLOT_MASK; e->slot_hash[j];
          j = (j + 1) & CS_SLOT_MASK )
    {
        unsigned int home =
            cs_slot_home(e->dom[e->slot_hash[j] - 1]->domid);

        if ( ((j - home) & CS_SLOT_MASK) >= ((j - i) & CS_SLOT_MASK) )
        {
            e->slot_hash[i] = e->slot_hash[j];
            i = j;
        }
    }
    e->slot_hash[i] = 0;
}

struct cs_domain *cs_domain_get_or_create(struct cs_engine *e,
                                          uint16_t domid)
{
    struct cs_domain *d = cs_domain_get(e, domid);
    unsigned int i;
    uint16_t slot;

    if ( d || domid >= CS_DOMID_LIMIT )
        return d;
    for ( slot = 0; slot < CS_MAX_DOMAINS && e->dom[slot]; slot++ )
        ;
    if ( slot == CS_MAX_DOMAINS )
        return NULL;
    d = cs_meta_alloc(e, sizeof(*d));
    if ( !d )
        return NULL;
    d->domid = domid;
    d->slot = slot;
    d->flags = CS_DOM_NOTIFY;
    d->classes = XEN_COSHARE_CLASSES_ALL;
    d->fifo_head = d->fifo_tail = CS_NIL;
    e->dom[slot] = d;
    for ( i = cs_slot_home(domid); e->slot_hash[i];
          i = (i + 1) & CS_SLOT_MASK )
        ;
    e->slot_hash[i] = slot + 1;
    e->ndoms++;
    return d;
}

static void cs_domain_free(struct cs_engine *e, struct cs_domain *d)
{
    cs_gt_fini(e, d);
    cs_slot_remove(e, d);
    e->dom[d->slot] = NULL;
    e->ndoms--;
    cs_meta_free(e, d, sizeof(*d));
}

/*
 * Mapping mid of (d, gfn) goes, and the gfn maps nothing: no copy, no
 * allocation.  The p2m changes first (see cs_unshare.c); a frame whose
 * last mapping this was is freed.
 */
void cs_drop_mapping(struct cs_engine *e, struct cs_domain *d, uint64_t gfn,
                     uint32_t mid)
{
    cs_mfn_t mfn = cs_env_p2m_remove(e->env, d->domid, gfn);
    uint32_t fid = mfn == CS_INVALID_MFN ? CS_NIL :
                   cs_env_frame_tag(e->env, mfn);

    if ( fid != CS_NIL && fid < e->frames.next_new &&
         cs_frame(e, fid)->refs )
    {
        mfn = cs_rmap_del(e, fid, mid);
        if ( mfn != CS_INVALID_MFN )
            cs_env_frame_free(e->env, mfn);
    }
}

/* Drops whatever the engine holds at (d, gfn); returns work done. */
static unsigned long cs_teardown_gfn(struct cs_engine *e,
                                     struct cs_domain *d, uint64_t gfn)
{
    unsigned long work = 0;
    uint32_t mid = cs_mapping_find(e, d->slot, gfn);
    uint32_t vid = cs_volatile_find(e, d->slot, gfn);

    if ( mid == CS_NIL && vid == CS_NIL )
        return 0;

    if ( mid != CS_NIL )
    {
        cs_drop_mapping(e, d, gfn, mid);
        work++;
    }
    if ( vid != CS_NIL )
    {
        cs_volatile_unlink(e, d, vid);
        work++;
    }
    return work;
}

int cs_domain_teardown(struct cs_engine *e, uint16_t domid,
                       unsigned long *budget)
{
    struct cs_domain *d;
    int rc = 0;

    cs_env_lock(e->env);
    d = cs_domain_get(e, domid);
    if ( !d )
        goto out;
    d->flags |= CS_DOM_DYING;

    while ( d->mappings || d->fifo_len )
    {
        uint64_t l = cs_gt_next_leaf(d, d->teardown_gfn >> CS_GT_LEAF_SHIFT);

        if ( l == CS_GT_NO_LEAF )
            break;          /* nothing left to find: counters say otherwise */
        if ( *budget == 0 )
        {
            rc = -ERESTART;
            goto out;
        }
        (*budget)--;
        if ( (d->teardown_gfn >> CS_GT_LEAF_SHIFT) != l )
            d->teardown_gfn = l << CS_GT_LEAF_SHIFT;
        *budget -= min_t(unsigned long, *budget,
                         cs_teardown_gfn(e, d, d->teardown_gfn));
        d->teardown_gfn++;
    }
    cs_domain_free(e, d);

 out:
    cs_env_unlock(e->env);
    return rc;
}

/*
 * The live domain dom0 names, known to the engine from now on.  A dying
 * one is refused before anything is made for it: its teardown may be done
 * already, and a record made now would outlive it and pass its settings to
 * the next domain with its id.  *flags: what the environment says it is.
 */
static int cs_dom0_target(struct cs_engine *e, uint16_t domid,
                          struct cs_domain **out, uint32_t *flags)
{
    *flags = domid < CS_DOMID_LIMIT ? cs_env_domain_flags(e->env, domid) : 0;
    if ( !(*flags & CS_ENV_DOM_LIVE) )
        return -ESRCH;
    *out = cs_domain_get_or_create(e, domid);
    if ( !*out )
        return -ENOSPC;
    return ((*out)->flags & CS_DOM_DYING) ? -ESRCH : 0;
}

int cs_domain_control(struct cs_engine *e, uint16_t domid,
                      struct xen_coshare_control *c)
{
    struct cs_domain *d;
    uint32_t flags, old;
    int rc;

    if ( c->pad || ((c->set | c->clear) & ~XEN_COSHARE_CTL_ALL) )
        return -EINVAL;
    rc = cs_dom0_target(e, domid, &d, &flags);
    if ( rc )
        return rc;
    if ( c->set & ~c->clear & XEN_COSHARE_CTL_ENABLE )
    {
        /* PV: its m2p is global, so sharing cannot be transparent. */
        if ( !(flags & CS_ENV_DOM_HVM) )
            return -EOPNOTSUPP;
        if ( !(flags & CS_ENV_DOM_HAP) )
            return -ENODEV;
        /* Devices would DMA into read-only shared gfns (writes lost),
         * alternate views would map pages coshare freed. */
        if ( flags & CS_ENV_DOM_OTHER_VIEWS )
            return -EXDEV;
    }
    old = d->flags;
    d->flags = (d->flags | c->set) & ~c->clear;
    /* Repayment cannot be promised for more than the FIFO covers. */
    if ( (d->flags & ~old & (XEN_COSHARE_CTL_REPAY | XEN_COSHARE_CTL_QUIET)) &&
         !cs_repay_covers(d, 0) )
    {
        d->flags = old;
        return -EBUSY;
    }
    c->flags = d->flags & XEN_COSHARE_CTL_ALL;
    return 0;
}

int cs_domain_set_group(struct cs_engine *e, uint16_t domid,
                        const struct xen_coshare_group *g)
{
    struct cs_domain *d;
    uint32_t flags;
    int rc;

    if ( g->pad || g->group == XEN_COSHARE_GROUP_NONE ||
         g->group > XEN_COSHARE_GROUP_MAX )
        return -EINVAL;
    rc = cs_dom0_target(e, domid, &d, &flags);
    if ( rc )
        return rc;
    if ( d->group != g->group && d->mappings )
        return -EBUSY;
    d->group = g->group;
    return 0;
}

int cs_domain_set_classes(struct cs_engine *e, uint16_t domid,
                          struct xen_coshare_classes *c)
{
    struct cs_domain *d;
    uint32_t flags;
    int rc;

    if ( c->pad || (c->allowed != XEN_COSHARE_CLASSES_QUERY &&
                    (c->allowed & ~XEN_COSHARE_CLASSES_ALL)) )
        return -EINVAL;
    rc = cs_dom0_target(e, domid, &d, &flags);
    if ( rc )
        return rc;
    if ( c->allowed != XEN_COSHARE_CLASSES_QUERY )
        d->classes = c->allowed;
    c->allowed = d->classes;
    return 0;
}

static void cs_stats_fill_domain(const struct cs_domain *d,
                                 xen_coshare_stats_t *out)
{
    *out = d->st;
    out->frames = d->owned;
    out->mappings = d->mappings;
    out->saved = d->bonus;
    out->bonus = d->bonus;
    out->fifo_depth = d->fifo_len;
    out->flags = d->flags & XEN_COSHARE_CTL_ALL;
    out->group = d->group;
    out->classes = d->classes;
}

int cs_stats_locked(struct cs_engine *e, uint16_t domid,
                    xen_coshare_stats_t *out)
{
    if ( domid == DOMID_INVALID )
    {
        *out = e->st;
        out->frames = e->frames.live;
        out->mappings = e->maps.live;
        out->saved = e->saved;
        out->bonus = e->saved;
        out->fifo_depth = e->vols.live;
        out->meta_bytes = e->meta_bytes;
        out->domains = e->ndoms;
        return 0;
    }
    else
    {
        const struct cs_domain *d = cs_domain_get(e, domid);

        if ( !d )
            return -ESRCH;
        cs_stats_fill_domain(d, out);
        return 0;
    }
}

int cs_stats(struct cs_engine *e, uint16_t domid, xen_coshare_stats_t *out)
{
    int rc;

    cs_env_lock(e->env);
    rc = cs_stats_locked(e, domid, out);
    cs_env_unlock(e->env);
    return rc;
}
