/* SPDX-License-Identifier: MIT */
/*
 * cs_hint.c - the share-hint op: each hinted gfn is hashed by the engine
 * (never by the guest), looked up in the content index of the domain's
 * group, confirmed by a full compare, then merged into the existing frame
 * (its own frame freed) or inserted as a new read-only shared frame.
 */
#include "cs_internal.h"

static bool cs_page_is_zero(const void *va)
{
    return !memcmp(va, cs_zero_page, CS_PAGE_SIZE);
}

void cs_batch_begin(struct cs_engine *e)
{
    if ( ++e->batch_gen == 0 )
    {
        memset(e->seen_gen, 0, sizeof(e->seen_gen));
        e->batch_gen = 1;
    }
}

/* True if gfn was already seen in this batch; remembers it otherwise. */
bool cs_batch_seen(struct cs_engine *e, uint64_t gfn)
{
    const uint32_t mask = 2 * XEN_COSHARE_BATCH_MAX - 1;
    uint32_t i = cs_mix64(gfn) & mask;

    for ( ; e->seen_gen[i] == e->batch_gen; i = (i + 1) & mask )
        if ( e->seen_gfn[i] == gfn )
            return true;
    e->seen_gen[i] = e->batch_gen;
    e->seen_gfn[i] = gfn;
    return false;
}

#define CS_TOO_MANY_COLLISIONS 0xffffffffu

/*
 * The frame of d's group holding exactly the content at va (or, for a
 * logically zero page, va == NULL, all-zero content), CS_NIL, or
 * CS_TOO_MANY_COLLISIONS when max_compares full compares all failed.
 */
static uint32_t cs_index_match(struct cs_engine *e, struct cs_domain *d,
                               uint64_t hash, const void *va)
{
    uint32_t fid = cs_lh_first(e, &e->index, cs_index_key(hash, d->group));
    uint32_t compares = 0;

    for ( ; fid != CS_NIL; fid = cs_frame(e, fid)->hnext )
    {
        const struct cs_frame *f = cs_frame(e, fid);
        bool same;

        if ( f->group != d->group || cs_frame_hash(f) != hash )
            continue;
        if ( !va )
            same = f->flags & CS_FRAME_ZERO;
        else
        {
            void *fva;

            if ( compares++ == e->cfg.max_compares )
                return CS_TOO_MANY_COLLISIONS;
            fva = cs_env_frame_map(e->env, cs_frame_mfn(f));
            same = !memcmp(va, fva, CS_PAGE_SIZE);
            cs_env_frame_unmap(e->env, fva);
        }
        if ( same )
            return fid;
        CS_COUNT(e, d, compare_fail);
    }
    return CS_NIL;
}

static void cs_skip(xen_coshare_entry_t *ent, int32_t why)
{
    ent->result = XEN_COSHARE_RES_SKIPPED;
    ent->error = why;
}

/* Common per-entry checks of every batch op: 0 or the entry's -errno. */
int cs_entry_check(struct cs_engine *e, struct cs_domain *d,
                   const xen_coshare_entry_t *ent)
{
    if ( ent->pad[0] | ent->pad[1] | ent->pad[2] )
        return -EINVAL;
    if ( ent->gfn > XEN_COSHARE_GFN_MAX ||
         ent->gfn >= cs_env_gfn_end(e->env, d->domid) )
        return -ERANGE;
    if ( cs_batch_seen(e, ent->gfn) )
        return -EEXIST;
    return 0;
}

static int cs_hint_one(struct cs_engine *e, struct cs_domain *d,
                       unsigned int cls, xen_coshare_entry_t *ent)
{
    uint64_t gfn = ent->gfn;
    bool zero_class = cls == XEN_COSHARE_CLASS_ZERO;
    cs_mfn_t mfn;
    uint64_t hash;
    uint32_t fid;
    void *va = NULL;
    int rc;

    if ( cs_mapping_find(e, d->slot, gfn) != CS_NIL )
        return cs_skip(ent, XEN_COSHARE_SKIP_ALREADY), 0;
    if ( cs_volatile_find(e, d->slot, gfn) != CS_NIL )
        return cs_skip(ent, XEN_COSHARE_SKIP_VOLATILE), 0;
    switch ( cs_env_p2m_query(e->env, d->domid, gfn, &mfn) )
    {
    case CS_P2M_RAM:
        break;
    case CS_P2M_SHARED:
        return cs_skip(ent, XEN_COSHARE_SKIP_FOREIGN_SHARED), 0;
    case CS_P2M_BUSY:
        return cs_skip(ent, XEN_COSHARE_SKIP_BUSY), 0;
    default:
        return cs_skip(ent, XEN_COSHARE_SKIP_NOT_RAM), 0;
    }

    if ( zero_class )
        hash = e->zero_hash;
    else
    {
        va = cs_env_frame_map(e->env, mfn);
        hash = cs_content_hash(e, va);
    }

    fid = cs_index_match(e, d, hash, va);
    if ( fid == CS_TOO_MANY_COLLISIONS )
    {
        cs_skip(ent, XEN_COSHARE_SKIP_COLLISIONS);
        rc = 0;
        goto out;
    }
    if ( fid != CS_NIL )
    {
        struct cs_frame *f;

        if ( (d->flags & XEN_COSHARE_CTL_REPAY) && d->fifo_len <= d->bonus )
        {
            cs_skip(ent, XEN_COSHARE_SKIP_NEED_VOLATILE);
            rc = 0;
            goto out;
        }
        rc = cs_rmap_add(e, fid, d, gfn);
        if ( rc )
            goto out;
        f = cs_frame(e, fid);
        rc = cs_env_p2m_share(e->env, d->domid, gfn, cs_frame_mfn(f));
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
        uint8_t flags = 0;

        if ( zero_class )
        {
            /* The guest declared the content void: make it really zero. */
            va = cs_env_frame_map(e->env, mfn);
            memset(va, 0, CS_PAGE_SIZE);
            flags = CS_FRAME_ZERO;
        }
        else if ( hash == e->zero_hash && cs_page_is_zero(va) )
            flags = CS_FRAME_ZERO;

        fid = cs_frame_new(e, mfn, hash, d->group, flags);
        if ( fid == CS_NIL )
        {
            rc = -ENOMEM;
            goto out;
        }
        rc = cs_rmap_add(e, fid, d, gfn);
        if ( !rc )
        {
            rc = cs_env_p2m_share(e->env, d->domid, gfn, mfn);
            if ( rc )
                mfn = cs_rmap_del(e, fid, cs_mapping_find(e, d->slot, gfn));
        }
        else
        {
            /* No mapping yet: drop the lone frame record by hand. */
            cs_lh_remove(e, &e->index, fid);
            cs_env_frame_set_tag(e->env, mfn, CS_NIL);
            cs_slab_put(&e->frames, fid);
        }
        if ( rc )
            goto out;
        ent->result = XEN_COSHARE_RES_INSERTED;
        CS_COUNT(e, d, inserted[cls]);
    }
    rc = 0;

 out:
    if ( va )
        cs_env_frame_unmap(e->env, va);
    return rc;
}

/*
 * Starts loading the page a later entry will hash, so that its memory
 * streams in while this entry's candidate frame is being compared.
 */
static void cs_prefetch_gfn(struct cs_engine *e, struct cs_domain *d,
                            uint64_t gfn)
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

int cs_do_hint(struct cs_engine *e, struct cs_domain *d, unsigned int cls,
               xen_coshare_entry_t *ents, uint32_t nr)
{
    uint32_t i;

    cs_batch_begin(e);
    for ( i = 0; i < nr; i++ )
    {
        xen_coshare_entry_t *ent = &ents[i];
        int rc = cs_entry_check(e, d, ent);

        if ( i + 1 < nr && cls != XEN_COSHARE_CLASS_ZERO )
            cs_prefetch_gfn(e, d, ents[i + 1].gfn);

        CS_COUNT(e, d, hinted[cls]);
        if ( !rc )
            rc = cs_hint_one(e, d, cls, ent);
        if ( rc )
        {
            ent->result = XEN_COSHARE_RES_ERROR;
            ent->error = rc;
            CS_COUNT(e, d, errors);
        }
        else if ( ent->result == XEN_COSHARE_RES_SKIPPED )
            CS_COUNT(e, d, skipped[cls]);
        else
            ent->error = 0;
    }
    return 0;
}
