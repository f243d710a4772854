/* SPDX-License-Identifier: MIT */
/*
 * cs_unshare.c - copy-on-write: a write to a shared gfn gives the domain a
 * private frame again.  The last mapping takes the frame back without a
 * copy; an all-zero frame is unshared into a zeroed frame, never copied.
 * When the host is down to its reserve, the repayment ledger reclaims one.
 *
 * The p2m changes before the engine forgets the mapping (and, for the last
 * one, the frame and its tag): Xen's fault path reads the p2m and the tag
 * without the engine lock, and must never find a shared entry whose frame
 * has no tag, or it takes the stock unshare path on a coshare frame.
 *
 * A frame someone else still holds (a read-only grant of a gfn that mapped
 * it, a foreign map) is never handed to a domain to write: the domain gets
 * a copy, and the frame goes when the last holder lets go.
 */
#include "cs_internal.h"

int cs_do_unshare(struct cs_engine *e, struct cs_domain *d, uint64_t gfn)
{
    uint32_t mid, fid;
    struct cs_frame *f;
    cs_mfn_t mfn, fresh;
    void *dst;

    if ( gfn > XEN_COSHARE_GFN_MAX )
        return -ENOENT;
    mid = cs_mapping_find(e, d->slot, gfn);
    if ( mid == CS_NIL )
        return -ENOENT;
    if ( cs_env_p2m_query(e->env, d->domid, gfn, &mfn) != CS_P2M_SHARED )
        return -EFAULT;
    fid = cs_env_frame_tag(e->env, mfn);
    if ( fid == CS_NIL || fid >= e->frames.next_new ||
         cs_frame(e, fid)->refs == 0 )
        return -EFAULT;
    f = cs_frame(e, fid);

    if ( f->refs == 1 )
    {
        int rc = cs_env_p2m_private(e->env, d->domid, gfn, mfn);

        if ( !rc )
        {
            cs_rmap_del(e, fid, mid);     /* the frame is d's page now */
            CS_COUNT(e, d, cow_nocopy);
            return 0;
        }
        if ( rc != -EBUSY )
            return rc;
        /* Held by others: copied below, like a frame other gfns map. */
    }

    fresh = cs_cow_frame(e, cs_rmap_debtor(e, fid, mid), f->group);
    if ( fresh == CS_INVALID_MFN )
    {
        CS_COUNT(e, d, cow_enomem);
        return -ENOMEM;
    }

    dst = cs_env_frame_map(e->env, fresh);
    if ( f->flags & CS_FRAME_ZERO )
    {
        memset(dst, 0, CS_PAGE_SIZE);
        CS_COUNT(e, d, cow_zero);
    }
    else
    {
        void *src = cs_env_frame_map(e->env, mfn);

        memcpy(dst, src, CS_PAGE_SIZE);
        cs_env_frame_unmap(e->env, src);
        CS_COUNT(e, d, cow_copy);
    }
    cs_env_frame_unmap(e->env, dst);

    if ( cs_env_p2m_private(e->env, d->domid, gfn, fresh) )
    {
        cs_env_frame_free(e->env, fresh);
        return -EFAULT;
    }
    mfn = cs_rmap_del(e, fid, mid);
    if ( mfn != CS_INVALID_MFN )  /* the last mapping: its holders keep it */
        cs_env_frame_free(e->env, mfn);
    return 0;
}

int cs_unhint_one(struct cs_engine *e, struct cs_domain *d,
                  xen_coshare_entry_t *ent)
{
    int rc;

    if ( cs_mapping_find(e, d->slot, ent->gfn) == CS_NIL )
    {
        cs_entry_skip(ent, XEN_COSHARE_SKIP_NOT_SHARED);
        return 0;
    }
    rc = cs_do_unshare(e, d, ent->gfn);
    if ( rc )
        return rc;
    ent->result = XEN_COSHARE_RES_DONE;
    CS_COUNT(e, d, unhinted);
    return 0;
}
