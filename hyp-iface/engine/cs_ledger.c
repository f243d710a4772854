/* SPDX-License-Identifier: MIT */
/*
 * cs_ledger.c - the repayment ledger: volatile FIFOs and reclaim.
 *
 * A domain's bonus is the frames its sharing saved (its mappings that are
 * not a frame's owner).  With XEN_COSHARE_CTL_REPAY the engine keeps its
 * FIFO of registered volatile gfns at least that long: a merge that would
 * break it is skipped, a removal that would break it refused.  Volatile
 * gfns are private frames the guest let go of, so reclaiming one always
 * yields a frame: every copy-on-write fault can be paid.  A domain that
 * loses one is notified once (cs_env_notify), then again only after it
 * looked at its FIFO (stats) or refilled it (vol_add): an edge, not a storm.
 */
#include "cs_internal.h"

static void cs_volatile_link(struct cs_engine *e, struct cs_domain *d,
                             uint32_t vid)
{
    struct cs_volatile *v = cs_vol(e, vid);

    v->dprev = d->fifo_tail;
    v->dnext = CS_NIL;
    if ( d->fifo_tail != CS_NIL )
        cs_vol(e, d->fifo_tail)->dnext = vid;
    else
        d->fifo_head = vid;
    d->fifo_tail = vid;
    d->fifo_len++;
}

void cs_volatile_unlink(struct cs_engine *e, struct cs_domain *d,
                        uint32_t vid)
{
    struct cs_volatile *v = cs_vol(e, vid);

    if ( v->dprev != CS_NIL )
        cs_vol(e, v->dprev)->dnext = v->dnext;
    else
        d->fifo_head = v->dnext;
    if ( v->dnext != CS_NIL )
        cs_vol(e, v->dnext)->dprev = v->dprev;
    else
        d->fifo_tail = v->dprev;

    cs_gt_set(e, d, v->gfn, 0);
    d->fifo_len--;
    v->dom = CS_MAP_FREE;
    cs_slab_put(&e->vols, vid);
}

/*
 * The volatile page to take: the oldest of `first` (the domain whose bonus
 * the fault retires, so its FIFO >= bonus still holds), else the oldest of
 * the domain with the most to spare, within the faulting domain's sharing
 * group or among domains dom0 lets lend to any (XEN_COSHARE_CTL_LEND): one
 * tenant's faults never take another's pages unless dom0 said so.  Another
 * domain's repayment promise is never broken to pay for this one's.  The
 * walk is over domain slots, never over volatile pages.  Inside a p2m hold,
 * only the held domain's pages can be taken.
 */
/* Volatile pages d can give to a fault of `group` (none for another group
 * unless dom0 lets d lend). */
static uint64_t cs_spare_for(const struct cs_domain *d, uint16_t group)
{
    if ( d->group != group && !(d->flags & XEN_COSHARE_CTL_LEND) )
        return 0;
    return cs_repay_spare(d);
}

static uint32_t cs_reclaim_pick(const struct cs_engine *e,
                                const struct cs_domain *first, uint16_t group)
{
    const struct cs_domain *held = e->held, *best = NULL;
    uint64_t most = 0;
    unsigned int slot;

    if ( held )
        return held == first || cs_spare_for(held, group) ? held->fifo_head
                                                          : CS_NIL;
    if ( first && first->fifo_head != CS_NIL )
        return first->fifo_head;
    for ( slot = 0; slot < CS_MAX_DOMAINS; slot++ )
    {
        const struct cs_domain *d = e->dom[slot];
        uint64_t spare = d ? cs_spare_for(d, group) : 0;

        if ( spare > most )
        {
            best = d;
            most = spare;
        }
    }
    return best ? best->fifo_head : CS_NIL;
}

/* Takes a volatile page out of its domain's p2m: a frame for a fault. */
cs_mfn_t cs_reclaim(struct cs_engine *e, struct cs_domain *first,
                    uint16_t group)
{
    for ( ;; )
    {
        uint32_t vid = cs_reclaim_pick(e, first, group);
        struct cs_volatile *v;
        struct cs_domain *d;
        uint64_t gfn;
        cs_mfn_t mfn;

        if ( vid == CS_NIL )
            return CS_INVALID_MFN;
        v = cs_vol(e, vid);
        d = cs_dom_of_slot(e, v->dom);
        gfn = v->gfn;
        cs_volatile_unlink(e, d, vid);

        /* The guest may have given the gfn away since registering it. */
        if ( cs_env_p2m_query(e->env, d->domid, gfn, &mfn) != CS_P2M_RAM )
            continue;
        mfn = cs_env_p2m_remove(e->env, d->domid, gfn);
        if ( mfn == CS_INVALID_MFN )
            continue;
        CS_COUNT(e, d, reclaims);
        if ( d->flags & CS_DOM_NOTIFY )
        {
            d->flags &= ~CS_DOM_NOTIFY;
            CS_COUNT(e, d, notified);
            cs_env_notify(e->env, d->domid);
        }
        return mfn;
    }
}

/*
 * A frame to copy into: a free one while the host keeps its reserve, else a
 * reclaimed volatile page, else whatever free frame is left.
 */
cs_mfn_t cs_cow_frame(struct cs_engine *e, struct cs_domain *debtor,
                      uint16_t group)
{
    cs_mfn_t mfn = CS_INVALID_MFN;

    if ( cs_env_free_frames(e->env) > e->reserve )
        mfn = cs_env_frame_alloc(e->env);
    if ( mfn == CS_INVALID_MFN )
        mfn = cs_reclaim(e, debtor, group);
    if ( mfn == CS_INVALID_MFN && e->reserve )
        mfn = cs_env_frame_alloc(e->env);
    return mfn;
}

int cs_vol_add_one(struct cs_engine *e, struct cs_domain *d,
                   xen_coshare_entry_t *ent)
{
    cs_mfn_t mfn;
    uint32_t vid;

    if ( cs_volatile_find(e, d->slot, ent->gfn) != CS_NIL )
        return -EEXIST;
    if ( cs_mapping_find(e, d->slot, ent->gfn) != CS_NIL )
        return -EBUSY;
    switch ( cs_env_p2m_query(e->env, d->domid, ent->gfn, &mfn) )
    {
    case CS_P2M_RAM:
        break;
    case CS_P2M_SHARED:
    case CS_P2M_BUSY:
        return -EBUSY;
    default:
        return -EINVAL;
    }

    vid = cs_slab_get(e, &e->vols);
    if ( vid == CS_NIL )
        return -ENOMEM;
    if ( cs_gt_set(e, d, ent->gfn, vid | CS_GT_VOLATILE) )
    {
        cs_vol(e, vid)->dom = CS_MAP_FREE;
        cs_slab_put(&e->vols, vid);
        return -ENOMEM;
    }
    cs_vol(e, vid)->gfn = (uint32_t)ent->gfn;
    cs_vol(e, vid)->dom = d->slot;
    cs_volatile_link(e, d, vid);
    ent->result = XEN_COSHARE_RES_DONE;
    return 0;
}

int cs_vol_del_one(struct cs_engine *e, struct cs_domain *d,
                   xen_coshare_entry_t *ent)
{
    uint32_t vid = cs_volatile_find(e, d->slot, ent->gfn);

    if ( vid == CS_NIL )
        return -ENOENT;
    if ( !cs_repay_covers(d, 1) )
        return -ENOSPC;
    cs_volatile_unlink(e, d, vid);
    ent->result = XEN_COSHARE_RES_DONE;
    return 0;
}
