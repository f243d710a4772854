/* SPDX-License-Identifier: MIT */
/*
 * cs_hint.c - the share-hint op: each hinted gfn is hashed by the engine
 * (never by the guest), looked up in the content index of the domain's
 * group, confirmed by a full compare, then merged into the existing frame
 * (its own frame freed) or inserted as a new read-only shared frame.
 *
 * A page found all zero is looked up as the zero frame: it needs neither
 * the hash nor a compare (zero frames are read-only, so stay zero).
 *
 * Pages of the in-use class may be written by another vCPU at any moment,
 * so they are made read-only first (inserted as a frame of their own) and
 * only then hashed and compared: a racing write faults and waits for the
 * engine lock, then unshares as any other.
 */
#include "cs_internal.h"

#define CS_TOO_MANY_COLLISIONS 0xffffffffu

/*
 * The frame of d's group holding exactly the content at va (or, for a
 * logically zero page, va == NULL, all-zero content), other than self,
 * CS_NIL, or CS_TOO_MANY_COLLISIONS when max_compares full compares all
 * failed.
 */
static uint32_t cs_index_match(struct cs_engine *e, struct cs_domain *d,
                               uint64_t hash, const void *va, uint32_t self)
{
    uint32_t fid = cs_lh_first(e, &e->index, cs_index_key(hash, d->group));
    uint32_t compares = 0;

    for ( ; fid != CS_NIL; fid = cs_frame(e, fid)->hnext )
    {
        const struct cs_frame *f = cs_frame(e, fid);
        bool same;

        if ( fid == self || f->group != d->group || cs_frame_hash(f) != hash )
            continue;
        if ( !va )
            same = f->flags & CS_FRAME_ZERO;
        else
        {
            void *fva;

            if ( compares++ == e->cfg.max_compares )
                return CS_TOO_MANY_COLLISIONS;
            fva = cs_env_frame_map(e->env, cs_frame_mfn(f));
            same = cs_page_equal(va, fva);
            cs_env_frame_unmap(e->env, fva);
        }
        if ( same )
            return fid;
        CS_COUNT(e, d, compare_fail);
    }
    return CS_NIL;
}

/*
 * gfn's own page mfn becomes a new shared frame, read-only in the p2m; its
 * id goes to *fid.  On failure nothing is left behind.
 */
static int cs_insert_in_place(struct cs_engine *e, struct cs_domain *d,
                              uint64_t gfn, cs_mfn_t mfn, uint64_t hash,
                              uint8_t flags, uint32_t *fid)
{
    uint32_t id = cs_frame_new(e, mfn, hash, d->group, flags);
    int rc;

    if ( id == CS_NIL )
        return -ENOMEM;
    rc = cs_rmap_add(e, id, d, gfn);
    if ( rc )
    {
        cs_frame_drop(e, id);   /* no mapping yet */
        return rc;
    }
    rc = cs_env_p2m_share(e->env, d->domid, gfn, mfn, mfn);
    if ( rc )
    {
        cs_rmap_del(e, id, cs_mapping_find(e, d->slot, gfn));
        return rc;
    }
    *fid = id;
    return 0;
}

/* Moves frame fid to the index chain of hash, with its zero flag. */
static void cs_frame_rekey(struct cs_engine *e, uint32_t fid, uint64_t hash,
                           bool zero)
{
    struct cs_frame *f = cs_frame(e, fid);

    cs_lh_remove(e, &e->index, fid);
    f->hash_lo = (uint32_t)hash;
    f->hash_hi = (uint32_t)(hash >> 32);
    f->flags = zero ? CS_FRAME_ZERO : 0;
    cs_lh_insert(e, &e->index, fid);
}

/*
 * An in-use page: protected in place as a new frame (keyed by a placeholder
 * until its content is stable), then hashed, keyed, and merged into an
 * equal frame if the group has one.  The p2m moves to that frame before the
 * engine forgets the page's own, so the gfn always maps a tagged frame.
 */
static int cs_hint_in_use(struct cs_engine *e, struct cs_domain *d,
                          xen_coshare_entry_t *ent, cs_mfn_t mfn)
{
    unsigned int cls = XEN_COSHARE_CLASS_IN_USE;
    uint64_t gfn = ent->gfn, hash;
    uint32_t own, match;
    bool zero;
    void *va;
    int rc;

    /* Under repayment nothing may be merged without cover: wait for it. */
    if ( (d->flags & XEN_COSHARE_CTL_REPAY) && d->fifo_len <= d->bonus )
        return cs_entry_skip(ent, XEN_COSHARE_SKIP_NEED_VOLATILE), 0;

    rc = cs_insert_in_place(e, d, gfn, mfn, 0, 0, &own);
    if ( rc )
        return rc;

    /* Read-only now: what is read here is what the frame keeps. */
    va = cs_env_frame_map(e->env, mfn);
    zero = cs_page_zero(va);
    hash = zero ? e->zero_hash : cs_content_hash(e, va);
    match = cs_index_match(e, d, hash, zero ? NULL : va, own);
    cs_env_frame_unmap(e->env, va);
    cs_frame_rekey(e, own, hash, zero);

    if ( match == CS_NIL )
    {
        ent->result = XEN_COSHARE_RES_INSERTED;
        CS_COUNT(e, d, inserted[cls]);
        return 0;
    }
    if ( match != CS_TOO_MANY_COLLISIONS )
    {
        rc = cs_env_p2m_share(e->env, d->domid, gfn, mfn,
                              cs_frame_mfn(cs_frame(e, match)));
        if ( !rc )
        {
            cs_env_frame_free(e->env,
                              cs_rmap_move_lone(e, own, match,
                                                cs_mapping_find(e, d->slot,
                                                                gfn)));
            ent->result = XEN_COSHARE_RES_SHARED;
            CS_COUNT(e, d, shared[cls]);
            return 0;
        }
    }

    /*
     * An equal frame exists but the page could not join it, or may exist
     * beyond the compare cap: the page must not stay a second frame of that
     * content, so the domain gets it back, writable.
     */
    if ( cs_env_p2m_private(e->env, d->domid, gfn, mfn) )
        return rc ?: -EBUSY;  /* stays inserted: a duplicate, never wrong */
    cs_rmap_del(e, own, cs_mapping_find(e, d->slot, gfn));
    if ( rc )
        return rc;
    return cs_entry_skip(ent, XEN_COSHARE_SKIP_COLLISIONS), 0;
}

int cs_hint_one(struct cs_engine *e, struct cs_domain *d, unsigned int cls,
                xen_coshare_entry_t *ent)
{
    uint64_t gfn = ent->gfn;
    bool zero_class = cls == XEN_COSHARE_CLASS_ZERO, zero = zero_class;
    cs_mfn_t mfn;
    uint64_t hash;
    uint32_t fid;
    void *va = NULL;
    int rc;

    if ( cs_mapping_find(e, d->slot, gfn) != CS_NIL )
        return cs_entry_skip(ent, XEN_COSHARE_SKIP_ALREADY), 0;
    if ( cs_volatile_find(e, d->slot, gfn) != CS_NIL )
        return cs_entry_skip(ent, XEN_COSHARE_SKIP_VOLATILE), 0;
    switch ( cs_env_p2m_query(e->env, d->domid, gfn, &mfn) )
    {
    case CS_P2M_RAM:
        break;
    case CS_P2M_SHARED:
        return cs_entry_skip(ent, XEN_COSHARE_SKIP_FOREIGN_SHARED), 0;
    case CS_P2M_BUSY:
        return cs_entry_skip(ent, XEN_COSHARE_SKIP_BUSY), 0;
    default:
        return cs_entry_skip(ent, XEN_COSHARE_SKIP_NOT_RAM), 0;
    }
    if ( cls == XEN_COSHARE_CLASS_IN_USE )
        return cs_hint_in_use(e, d, ent, mfn);

    if ( !zero_class )
    {
        va = cs_env_frame_map(e->env, mfn);
        zero = cs_page_zero(va);
    }
    hash = zero ? e->zero_hash : cs_content_hash(e, va);

    fid = cs_index_match(e, d, hash, zero ? NULL : va, CS_NIL);
    if ( fid == CS_TOO_MANY_COLLISIONS )
    {
        cs_entry_skip(ent, XEN_COSHARE_SKIP_COLLISIONS);
        rc = 0;
        goto out;
    }
    if ( fid != CS_NIL )
    {
        struct cs_frame *f;

        if ( (d->flags & XEN_COSHARE_CTL_REPAY) && d->fifo_len <= d->bonus )
        {
            cs_entry_skip(ent, XEN_COSHARE_SKIP_NEED_VOLATILE);
            rc = 0;
            goto out;
        }
        rc = cs_rmap_add(e, fid, d, gfn);
        if ( rc )
            goto out;
        f = cs_frame(e, fid);
        rc = cs_env_p2m_share(e->env, d->domid, gfn, mfn, cs_frame_mfn(f));
        if ( rc )
        {
            cs_rmap_del(e, fid, cs_mapping_find(e, d->slot, gfn));
            goto out;
        }
        ent->result = XEN_COSHARE_RES_SHARED;
        CS_COUNT(e, d, shared[cls]);
    }
    else
    {
        if ( zero_class )
        {
            /* The guest declared the content void: make it really zero. */
            va = cs_env_frame_map(e->env, mfn);
            memset(va, 0, CS_PAGE_SIZE);
        }

        rc = cs_insert_in_place(e, d, gfn, mfn, hash,
                                zero ? CS_FRAME_ZERO : 0, &fid);
        if ( rc )
            goto out;
        ent->result = XEN_COSHARE_RES_INSERTED;
        CS_COUNT(e, d, inserted[cls]);
    }
    rc = 0;

 out:
    if ( va )
        cs_env_frame_unmap(e->env, va);
    if ( rc == -EBUSY )     /* the page changed hands meanwhile */
        return cs_entry_skip(ent, XEN_COSHARE_SKIP_BUSY), 0;
    return rc;
}

/*
 * Starts loading the page a later entry will hash, so that its memory
 * streams in while this entry's candidate frame is being compared.
 */
void cs_hint_prefetch(struct cs_engine *e, struct cs_domain *d, uint64_t gfn)
{
    cs_mfn_t mfn;
    const char *va;
    unsigned int off;

    if ( gfn >= cs_env_gfn_end(e->env, d->domid) ||
         cs_env_p2m_query(e->env, d->domid, gfn, &mfn) != CS_P2M_RAM )
        return;
    va = cs_env_frame_map(e->env, mfn);
    for ( off = 0; off < CS_PAGE_SIZE; off += 64 )
        __builtin_prefetch(va + off);
    cs_env_frame_unmap(e->env, (void *)va);
}
