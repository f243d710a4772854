/* SPDX-License-Identifier: MIT */
/*
 * cs_rmap.c - shared frames, their refcount and reverse map.
 *
 * A frame's rmap is a ring of (domain, gfn) mappings, singly linked; the
 * ring's head is the frame's owner, every other mapping is a frame saved
 * and counts as its domain's bonus.  Any mapping is found in O(1) through
 * the gfn table, and removed in O(1) without knowing its predecessor: the
 * successor's contents move into the removed record, and the successor's
 * record is freed instead.  So sharing degree never slows anything down.
 */
#include "cs_internal.h"

int cs_frame_new(struct cs_engine *e, cs_mfn_t mfn, uint64_t hash,
                 uint16_t group, uint8_t flags, uint32_t *out)
{
    uint32_t fid = cs_slab_get(e, &e->frames);
    struct cs_frame *f;

    if ( fid == CS_NIL )
        return -ENOMEM;
    f = cs_frame(e, fid);
    f->hash_lo = (uint32_t)hash;
    f->hash_hi = (uint32_t)(hash >> 32);
    f->mfn_lo = (uint32_t)mfn;
    f->mfn_hi = (uint8_t)(mfn >> 32);
    f->flags = flags;
    f->group = group;
    if ( cs_env_frame_set_tag(e->env, mfn, fid) )
    {
        cs_slab_put(&e->frames, fid);   /* cannot be told apart: not shared */
        return -ENOSPC;
    }
    if ( !(flags & CS_FRAME_UNINDEXED) )
        cs_lh_insert(e, &e->index, fid);
    *out = fid;
    return 0;
}

cs_mfn_t cs_frame_drop(struct cs_engine *e, uint32_t fid)
{
    cs_mfn_t mfn = cs_frame_mfn(cs_frame(e, fid));

    if ( !(cs_frame(e, fid)->flags & CS_FRAME_UNINDEXED) )
        cs_lh_remove(e, &e->index, fid);
    cs_env_frame_set_tag(e->env, mfn, CS_NIL);
    cs_slab_put(&e->frames, fid);
    return mfn;
}

int cs_rmap_add(struct cs_engine *e, uint32_t fid, struct cs_domain *d,
                uint64_t gfn)
{
    uint32_t mid = cs_slab_get(e, &e->maps);
    struct cs_frame *f = cs_frame(e, fid);
    struct cs_mapping *m;

    if ( mid == CS_NIL )
        return -ENOMEM;
    if ( cs_gt_set(e, d, gfn, mid) )
    {
        cs_map(e, mid)->dom = CS_MAP_FREE;
        cs_slab_put(&e->maps, mid);
        return -ENOMEM;
    }
    m = cs_map(e, mid);
    m->gfn = (uint32_t)gfn;
    m->dom = d->slot;

    if ( f->rmap == CS_NIL )
    {
        m->rnext = mid;
        f->rmap = mid;
        d->owned++;
    }
    else
    {
        struct cs_mapping *head = cs_map(e, f->rmap);

        m->rnext = head->rnext;
        head->rnext = mid;
        d->bonus++;
        e->saved++;
    }
    f->refs++;
    d->mappings++;
    return 0;
}

struct cs_domain *cs_rmap_debtor(const struct cs_engine *e, uint32_t fid,
                                 uint32_t mid)
{
    const struct cs_frame *f = cs_frame(e, fid);

    if ( f->refs < 2 )
        return NULL;
    if ( mid != f->rmap )
        return cs_dom_of_slot(e, cs_map(e, mid)->dom);
    return cs_dom_of_slot(e, cs_map(e, cs_map(e, mid)->rnext)->dom);
}

cs_mfn_t cs_rmap_del(struct cs_engine *e, uint32_t fid, uint32_t mid)
{
    struct cs_frame *f = cs_frame(e, fid);
    struct cs_mapping *x = cs_map(e, mid);
    struct cs_domain *d = cs_dom_of_slot(e, x->dom);
    uint32_t nid = x->rnext;

    /* Ledger: who stops owning, whose bonus retires. */
    if ( f->refs == 1 )
        d->owned--;
    else if ( mid == f->rmap )
    {
        struct cs_domain *heir = cs_dom_of_slot(e, cs_map(e, nid)->dom);

        d->owned--;
        heir->owned++;
        heir->bonus--;
        e->saved--;
    }
    else
    {
        d->bonus--;
        e->saved--;
    }
    d->mappings--;
    f->refs--;

    cs_gt_set(e, d, x->gfn, 0);
    if ( nid == mid )
    {
        f->rmap = CS_NIL;
    }
    else
    {
        struct cs_mapping *n = cs_map(e, nid);

        /* Record mid takes over nid's identity (its entry exists). */
        cs_gt_set(e, cs_dom_of_slot(e, n->dom), n->gfn, mid);
        x->gfn = n->gfn;
        x->dom = n->dom;
        x->rnext = n->rnext;
        if ( f->rmap == nid )
            f->rmap = mid;
        mid = nid;
    }
    cs_map(e, mid)->dom = CS_MAP_FREE;
    cs_slab_put(&e->maps, mid);

    if ( f->refs )
        return CS_INVALID_MFN;
    return cs_frame_drop(e, fid);
}

cs_mfn_t cs_rmap_move_lone(struct cs_engine *e, uint32_t from, uint32_t to,
                           uint32_t mid)
{
    struct cs_frame *f = cs_frame(e, from), *t = cs_frame(e, to);
    struct cs_mapping *m = cs_map(e, mid), *head = cs_map(e, t->rmap);
    struct cs_domain *d = cs_dom_of_slot(e, m->dom);

    /* The mapping joins to's ring behind its head: a bonus for d. */
    m->rnext = head->rnext;
    head->rnext = mid;
    t->refs++;
    d->owned--;
    d->bonus++;
    e->saved++;

    f->refs = 0;
    f->rmap = CS_NIL;
    return cs_frame_drop(e, from);
}
