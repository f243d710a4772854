/* SPDX-License-Identifier: MIT */
/*
 * cs_hint.c - the share-hint op: each hinted gfn is hashed by the engine
 * (never by the guest), looked up in the content index of the domain's
 * group, confirmed by a full compare, then merged into the existing frame
 * (its own frame freed) or inserted as a new read-only shared frame.
 *
 * Every page is made read-only before the engine reads it ("protect
 * first"): it becomes a frame of its own in place, and only then is it
 * hashed, looked up and, if the group holds an equal frame, moved onto
 * that one.  Another vCPU of the guest may write any page at any moment,
 * whatever its class says (text is patched at run time, page cache is
 * written by write(2)); a write racing the hint faults, waits for the
 * engine lock, and unshares as any other, so it is never lost, and what
 * the engine compared is what the frame keeps.  The gfn always maps a
 * frame with its content, so a read on another vCPU never sees another.
 *
 * A page found all zero is looked up as the zero frame: it needs neither
 * the hash nor a compare (zero frames are read-only, so stay zero).  A
 * free page (ZERO class) is not read at all: it joins the zero frame, or
 * becomes it, zeroed after it was protected.
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
static int cs_protect(struct cs_engine *e, struct cs_domain *d, uint64_t gfn,
                      cs_mfn_t mfn, uint64_t hash, uint8_t flags,
                      uint32_t *fid)
{
    uint32_t id;
    int rc = cs_frame_new(e, mfn, hash, d->group, flags, &id);

    if ( rc )
        return rc;
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

/* Frame fid, read now, goes in the index under hash, with its zero flag. */
static void cs_frame_key(struct cs_engine *e, uint32_t fid, uint64_t hash,
                         bool zero)
{
    struct cs_frame *f = cs_frame(e, fid);

    if ( !(f->flags & CS_FRAME_UNINDEXED) )
        cs_lh_remove(e, &e->index, fid);
    f->hash_lo = (uint32_t)hash;
    f->hash_hi = (uint32_t)(hash >> 32);
    f->flags = zero ? CS_FRAME_ZERO : 0;
    cs_lh_insert(e, &e->index, fid);
}

/*
 * The protected page goes back to the domain, writable, and its frame is
 * forgotten: the p2m changes first, so no p2m entry ever maps a shared
 * frame the engine no longer knows.  rc (or -EBUSY) if it cannot be: then
 * the frame stays, keyed by the content read, a duplicate at worst.
 */
static int cs_unprotect(struct cs_engine *e, struct cs_domain *d,
                        uint64_t gfn, cs_mfn_t mfn, uint32_t own,
                        uint64_t hash, bool zero, int rc)
{
    if ( cs_env_p2m_private(e->env, d->domid, gfn, mfn) )
    {
        cs_frame_key(e, own, hash, zero);
        return rc ?: -EBUSY;
    }
    cs_rmap_del(e, own, cs_mapping_find(e, d->slot, gfn));
    return rc;
}

/*
 * A free page: its content is void, so it is never read.  It joins the
 * group's zero frame (its own page is freed), or becomes that frame: made
 * read-only first, then zeroed, so no write of another vCPU can leave
 * content in a frame other guests' free pages will map.
 */
static int cs_hint_free(struct cs_engine *e, struct cs_domain *d,
                        xen_coshare_entry_t *ent, cs_mfn_t mfn)
{
    unsigned int cls = XEN_COSHARE_CLASS_ZERO;
    uint32_t fid = cs_index_match(e, d, e->zero_hash, NULL, CS_NIL);
    void *va;
    int rc;

    if ( fid != CS_NIL )
    {
        if ( !cs_repay_covers(d, 1) )
            return cs_entry_skip(ent, XEN_COSHARE_SKIP_NEED_VOLATILE), 0;
        rc = cs_rmap_add(e, fid, d, ent->gfn);
        if ( rc )
            return rc;
        rc = cs_env_p2m_share(e->env, d->domid, ent->gfn, mfn,
                              cs_frame_mfn(cs_frame(e, fid)));
        if ( rc )
        {
            cs_rmap_del(e, fid, cs_mapping_find(e, d->slot, ent->gfn));
            return rc;
        }
        ent->result = XEN_COSHARE_RES_SHARED;
        CS_COUNT(e, d, shared[cls]);
        return 0;
    }

    rc = cs_protect(e, d, ent->gfn, mfn, e->zero_hash, CS_FRAME_ZERO, &fid);
    if ( rc )
        return rc;
    va = cs_env_frame_map(e->env, mfn);
    memset(va, 0, CS_PAGE_SIZE);
    cs_env_frame_unmap(e->env, va);
    ent->result = XEN_COSHARE_RES_INSERTED;
    CS_COUNT(e, d, inserted[cls]);
    return 0;
}

/*
 * A page with content: protected in place as a new frame (out of the index
 * until its content is stable), then read, and merged into an equal frame
 * if the group has one, or keyed and indexed itself.  The p2m moves to
 * that frame before the engine forgets the page's own, so the gfn always
 * maps a tagged frame.
 */
static int cs_hint_content(struct cs_engine *e, struct cs_domain *d,
                           unsigned int cls, xen_coshare_entry_t *ent,
                           cs_mfn_t mfn)
{
    uint64_t gfn = ent->gfn, hash;
    uint32_t own, match;
    bool zero;
    void *va;
    int rc;

    rc = cs_protect(e, d, gfn, mfn, 0, CS_FRAME_UNINDEXED, &own);
    if ( rc )
        return rc;

    /* Read-only now: what is read here is what the frame keeps. */
    va = cs_env_frame_map(e->env, mfn);
    zero = cs_page_zero(va);
    hash = zero ? e->zero_hash : cs_content_hash(e, va);
    match = cs_index_match(e, d, hash, zero ? NULL : va, own);
    cs_env_frame_unmap(e->env, va);

    if ( match == CS_NIL )
    {
        cs_frame_key(e, own, hash, zero);
        ent->result = XEN_COSHARE_RES_INSERTED;
        CS_COUNT(e, d, inserted[cls]);
        return 0;
    }

    /*
     * An equal frame exists but the page may not join it, or may exist
     * beyond the compare cap: the page must not stay a second frame of that
     * content, so the domain gets it back, writable.
     */
    if ( match == CS_TOO_MANY_COLLISIONS )
        return cs_entry_skip(ent, XEN_COSHARE_SKIP_COLLISIONS),
               cs_unprotect(e, d, gfn, mfn, own, hash, zero, 0);
    if ( !cs_repay_covers(d, 1) )
        return cs_entry_skip(ent, XEN_COSHARE_SKIP_NEED_VOLATILE),
               cs_unprotect(e, d, gfn, mfn, own, hash, zero, 0);

    rc = cs_env_p2m_share(e->env, d->domid, gfn, mfn,
                          cs_frame_mfn(cs_frame(e, match)));
    if ( rc )
        return cs_unprotect(e, d, gfn, mfn, own, hash, zero, rc);
    cs_env_frame_free(e->env,
                      cs_rmap_move_lone(e, own, match,
                                        cs_mapping_find(e, d->slot, gfn)));
    ent->result = XEN_COSHARE_RES_SHARED;
    CS_COUNT(e, d, shared[cls]);
    return 0;
}

int cs_hint_one(struct cs_engine *e, struct cs_domain *d, unsigned int cls,
                xen_coshare_entry_t *ent)
{
    cs_mfn_t mfn;
    int rc;

    if ( cs_mapping_find(e, d->slot, ent->gfn) != CS_NIL )
        return cs_entry_skip(ent, XEN_COSHARE_SKIP_ALREADY), 0;
    if ( cs_volatile_find(e, d->slot, ent->gfn) != CS_NIL )
        return cs_entry_skip(ent, XEN_COSHARE_SKIP_VOLATILE), 0;
    switch ( cs_env_p2m_query(e->env, d->domid, ent->gfn, &mfn) )
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
    /* A QUIET domain's cover counts every mapping: refused before anything
     * depends on whether the content exists elsewhere. */
    if ( (d->flags & XEN_COSHARE_CTL_QUIET) && !cs_repay_covers(d, 1) )
        return cs_entry_skip(ent, XEN_COSHARE_SKIP_NEED_VOLATILE), 0;

    rc = cls == XEN_COSHARE_CLASS_ZERO ? cs_hint_free(e, d, ent, mfn)
                                       : cs_hint_content(e, d, cls, ent, mfn);
    if ( rc == -EBUSY )     /* the page changed hands meanwhile */
        return cs_entry_skip(ent, XEN_COSHARE_SKIP_BUSY), 0;
    if ( rc == -ENOSPC )    /* memory the hypervisor cannot track */
        return cs_entry_skip(ent, XEN_COSHARE_SKIP_UNTRACKED), 0;
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
