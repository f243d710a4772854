/* SPDX-License-Identifier: MIT */
/*
 * cs_batch.c - one loop for every batch op (hint, unhint, vol_add,
 * vol_del): the checks each entry shares (padding, range, duplicates in
 * the batch), the op's own step, and the per-entry result and counters.
 */
#include "cs_internal.h"

static void cs_batch_begin(struct cs_engine *e)
{
    if ( ++e->batch_gen == 0 )
    {
        memset(e->seen_gen, 0, sizeof(e->seen_gen));
        e->batch_gen = 1;
    }
}

/* True if gfn was already seen in this batch; remembers it otherwise. */
static bool cs_batch_seen(struct cs_engine *e, uint64_t gfn)
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

/* Padding and range: what an entry must pass to join the duplicate set. */
static int cs_entry_valid(uint64_t gfn_end, const xen_coshare_entry_t *ent)
{
    if ( ent->pad[0] | ent->pad[1] | ent->pad[2] )
        return -EINVAL;
    if ( ent->gfn > XEN_COSHARE_GFN_MAX || ent->gfn >= gfn_end )
        return -ERANGE;
    return 0;
}

static int cs_entry_check(struct cs_engine *e, uint64_t gfn_end,
                          const xen_coshare_entry_t *ent)
{
    int rc = cs_entry_valid(gfn_end, ent);

    if ( rc )
        return rc;
    if ( cs_batch_seen(e, ent->gfn) )
        return -EEXIST;
    return 0;
}

/*
 * Every entry's own checks, done for the entries from `from` on in the
 * first hold of each call (from is .done: 0 unless Xen restarted the
 * batch).  The entries before it were checked by an earlier call; those
 * that pass padding and range join the duplicate set, as they did then,
 * so that a restart gives the results an uninterrupted batch would (and
 * the set holds only gfns within the domain).  The duplicate set is the
 * engine's, and later holds may interleave with other batches.  An entry
 * that fails keeps its -errno in ent->error.  The domain's gfn range is
 * asked once: a lookup of the domain per entry made this the longest part
 * of the hold.
 */
void cs_batch_check(struct cs_engine *e, struct cs_domain *d,
                    xen_coshare_entry_t *ents, uint32_t from, uint32_t nr)
{
    uint64_t gfn_end = nr ? cs_env_gfn_end(e->env, d->domid) : 0;
    uint32_t i;

    cs_batch_begin(e);
    for ( i = 0; i < from; i++ )
        if ( !cs_entry_valid(gfn_end, &ents[i]) )
            cs_batch_seen(e, ents[i].gfn);
    for ( ; i < nr; i++ )
    {
        int rc = cs_entry_check(e, gfn_end, &ents[i]);

        ents[i].result = rc ? XEN_COSHARE_RES_ERROR : XEN_COSHARE_RES_PENDING;
        ents[i].error = rc;
    }
}

/*
 * One hold's share of a batch (at most CS_BATCH_HOLD_ENTRIES entries, all
 * checked by cs_batch_check): the op's own step and the per-entry result
 * and counters.
 */
void cs_do_batch(struct cs_engine *e, struct cs_domain *d, uint8_t op,
                 unsigned int cls, xen_coshare_entry_t *ents, uint32_t nr)
{
    bool hint = op == XENMEM_sharing_op_coshare_hint;
    uint32_t i;

    if ( hint && nr )
        cs_p2m_hold(e, d);
    for ( i = 0; i < nr; i++ )
    {
        xen_coshare_entry_t *ent = &ents[i];
        int rc = ent->error;

        if ( hint )
        {
            CS_COUNT(e, d, hinted[cls]);
            if ( i + 1 < nr && cls != XEN_COSHARE_CLASS_ZERO &&
                 !e->cfg.no_prefetch )
                cs_hint_prefetch(e, d, ents[i + 1].gfn);
        }
        if ( !rc )
        {
            switch ( op )
            {
            case XENMEM_sharing_op_coshare_hint:
                rc = cs_hint_one(e, d, cls, ent);
                break;
            case XENMEM_sharing_op_coshare_unhint:
                rc = cs_unhint_one(e, d, ent);
                break;
            case XENMEM_sharing_op_coshare_vol_add:
                rc = cs_vol_add_one(e, d, ent);
                break;
            default:
                rc = cs_vol_del_one(e, d, ent);
                break;
            }
        }
        if ( rc )
        {
            ent->result = XEN_COSHARE_RES_ERROR;
            ent->error = rc;
            CS_COUNT(e, d, errors);
        }
        else if ( hint && ent->result == XEN_COSHARE_RES_SKIPPED )
            CS_COUNT(e, d, skipped[cls]);
    }
    if ( hint && nr )
        cs_p2m_release(e);
    for ( i = 0; i < nr; i++ )
        cs_audit_gfn(e, d, ents[i].gfn);
}
