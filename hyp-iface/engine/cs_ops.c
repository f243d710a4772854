/* SPDX-License-Identifier: MIT */
/*
 * cs_ops.c - the ABI entry point: who may do what, and argument checks,
 * written once for Xen and the simulator.  Guest ops act on the calling
 * domain only; control, group and audit are dom0's; a guest reads its own
 * stats only.
 */
#include "cs_internal.h"

/* What a QUIET domain is told: merged or inserted, its page is shared. */
static void cs_quiet_results(xen_coshare_entry_t *ents, uint32_t nr)
{
    uint32_t i;

    for ( i = 0; i < nr; i++ )
        if ( ents[i].result == XEN_COSHARE_RES_INSERTED )
            ents[i].result = XEN_COSHARE_RES_SHARED;
}

static void cs_quiet_stats(const struct cs_domain *d, xen_coshare_stats_t *s)
{
    unsigned int c;

    for ( c = 0; c < XEN_COSHARE_CLASS_NR; c++ )
    {
        s->shared[c] += s->inserted[c];
        s->inserted[c] = 0;
    }
    s->cow_copy += s->cow_nocopy;
    s->cow_nocopy = 0;
    s->frames = 0;
    /* The bonus its FIFO must cover: the repayment rule's own figure. */
    s->saved = s->bonus = cs_repay_owed(d);
}

/*
 * May the caller's domain run this batch op?  Asked in the first hold of
 * each call: within one call a batch that began runs to its end, as if
 * dom0's later disable, regroup or class change had come after it, and a
 * restarted batch is asked again.  An error leaves the entries before
 * .done with their results (a guest that took it for "no entry ran" would
 * free registered vol_add pages, to be reclaimed under its feet).
 */
static int cs_batch_allowed(struct cs_engine *e, uint16_t domid,
                            const xen_coshare_op_t *op, struct cs_domain **dp)
{
    bool hint = op->op == XENMEM_sharing_op_coshare_hint;
    bool adds = hint || op->op == XENMEM_sharing_op_coshare_vol_add;
    struct cs_domain *d = cs_domain_get(e, domid);

    if ( !d )
        return -EACCES;
    if ( d->flags & CS_DOM_DYING )
        return -ESRCH;
    /* Undoing (unhint, vol_del) stays possible after dom0 disables. */
    if ( adds && (!(d->flags & XEN_COSHARE_CTL_ENABLE) ||
                  d->group == XEN_COSHARE_GROUP_NONE) )
        return -EACCES;
    if ( hint && !(d->classes & (1u << op->u.batch.hint_class)) )
        return -EACCES;
    /* dom0 gave it devices or alternate views since it enabled it. */
    if ( adds &&
         (cs_env_domain_flags(e->env, domid) & CS_ENV_DOM_OTHER_VIEWS) )
        return -EXDEV;
    *dp = d;
    return 0;
}

/*
 * A batch takes the engine lock once per CS_BATCH_HOLD_ENTRIES entries, so
 * that no batch, however costly its entries, keeps another domain's
 * copy-on-write fault waiting for longer than one hold; and between two
 * holds the hypervisor may preempt it (-ERESTART, .done saying where it
 * goes on), so that it keeps no CPU from its other work for longer than
 * one hold either.  A call's first hold checks the batch as new (whether
 * dom0 allows it, and every entry from .done on): a restarted batch is
 * read from the guest again, and .done is the guest's to write.  Between
 * holds of one call only the domain's death stops it (-ESRCH): in Xen not
 * even that, as a domain is killed only once its vCPUs are out of their
 * hypercalls.
 */
static int cs_batch_op(struct cs_engine *e, const struct cs_caller *caller,
                       xen_coshare_op_t *op, xen_coshare_entry_t *ents)
{
    struct xen_coshare_batch *b = &op->u.batch;
    bool hint = op->op == XENMEM_sharing_op_coshare_hint;
    struct cs_domain *d = NULL;
    uint32_t n, start;
    int rc;

    if ( op->domain != DOMID_SELF && op->domain != caller->domid )
        return -EPERM;
    if ( b->pad[0] | b->pad[1] | b->pad[2] | b->pad2 )
        return -EINVAL;
    if ( hint ? b->hint_class >= XEN_COSHARE_CLASS_NR : b->hint_class )
        return -EINVAL;
    if ( b->nr > XEN_COSHARE_BATCH_MAX )
        return -E2BIG;
    if ( b->done > b->nr )
        return -EINVAL;
    if ( b->nr && !ents )
        return -EFAULT;

    start = b->done;
    for ( ; ; )
    {
        n = b->nr - b->done < CS_BATCH_HOLD_ENTRIES ? b->nr - b->done
                                                    : CS_BATCH_HOLD_ENTRIES;
        cs_env_lock(e->env);
        if ( b->done == start )
        {
            rc = cs_batch_allowed(e, caller->domid, op, &d);
            if ( !rc )
                cs_batch_check(e, d, ents, start, b->nr);
        }
        else
        {
            d = cs_domain_get(e, caller->domid);
            rc = d && !(d->flags & CS_DOM_DYING) ? 0 : -ESRCH;
        }
        if ( !rc )
        {
            /* Refilling re-arms the VIRQ: in every hold, as a reclaim
             * between two holds may have used it up. */
            if ( op->op == XENMEM_sharing_op_coshare_vol_add )
                d->flags |= CS_DOM_NOTIFY;
            if ( n )    /* ents may be NULL for an empty batch */
            {
                cs_do_batch(e, d, op->op, b->hint_class, ents + b->done, n);
                if ( hint && (d->flags & XEN_COSHARE_CTL_QUIET) )
                    cs_quiet_results(ents + b->done, n);
            }
            b->done += n;
        }
        cs_env_unlock(e->env);
        if ( rc || b->done == b->nr )
            return rc;
        if ( cs_env_preempt(e->env) )
            return -ERESTART;
    }
}

/*
 * A guest reads its own stats: it looked at its FIFO, so re-arm the VIRQ.
 * A QUIET one sees nothing that depends on whether others hold its content.
 */
static int cs_own_stats(struct cs_engine *e, uint16_t domid,
                        xen_coshare_stats_t *stats)
{
    struct cs_domain *d = cs_domain_get(e, domid);
    int rc = cs_stats_locked(e, domid, stats);

    if ( d )
        d->flags |= CS_DOM_NOTIFY;
    if ( !rc && d && (d->flags & XEN_COSHARE_CTL_QUIET) )
        cs_quiet_stats(d, stats);
    return rc;
}

/* Every op but the batches, under one engine-lock hold. */
static int cs_op_locked(struct cs_engine *e, const struct cs_caller *caller,
                        xen_coshare_op_t *op, xen_coshare_stats_t *stats)
{
    uint16_t target = op->domain == DOMID_SELF ? caller->domid : op->domain;

    switch ( op->op )
    {
    case XENMEM_sharing_op_coshare_version:
        op->u.version.version = XEN_COSHARE_VERSION;
        op->u.version.batch_max = XEN_COSHARE_BATCH_MAX;
        op->u.version.gfn_max = XEN_COSHARE_GFN_MAX;
        return 0;

    case XENMEM_sharing_op_coshare_stats:
        if ( op->u.stats.pad || (op->u.stats.flags & ~XEN_COSHARE_STATS_GLOBAL) )
            return -EINVAL;
        if ( !stats )
            return -EFAULT;
        if ( op->u.stats.flags & XEN_COSHARE_STATS_GLOBAL )
            return caller->privileged ?
                   cs_stats_locked(e, DOMID_INVALID, stats) : -EPERM;
        if ( target == caller->domid )
            return cs_own_stats(e, target, stats);
        return caller->privileged ? cs_stats_locked(e, target, stats) : -EPERM;

    case XENMEM_sharing_op_coshare_control:
        if ( !caller->privileged )
            return -EPERM;
        return cs_domain_control(e, target, &op->u.control);

    case XENMEM_sharing_op_coshare_group:
        if ( !caller->privileged )
            return -EPERM;
        return cs_domain_set_group(e, target, &op->u.group);

    case XENMEM_sharing_op_coshare_classes:
        if ( !caller->privileged )
            return -EPERM;
        return cs_domain_set_classes(e, target, &op->u.classes);

    case XENMEM_sharing_op_coshare_audit:
        if ( !caller->privileged )
            return -EPERM;
        cs_audit_locked(e, &op->u.audit, NULL, NULL);
        return 0;

    case XENMEM_sharing_op_coshare_reserve:
        if ( !caller->privileged )
            return -EPERM;
        if ( op->u.reserve.frames != XEN_COSHARE_RESERVE_QUERY )
            e->reserve = op->u.reserve.frames;
        op->u.reserve.frames = e->reserve;
        op->u.reserve.free = cs_env_free_frames(e->env);
        return 0;
    }
    return -EOPNOTSUPP;
}

int cs_op(struct cs_engine *e, const struct cs_caller *caller,
          xen_coshare_op_t *op, xen_coshare_entry_t *ents,
          xen_coshare_stats_t *stats)
{
    int rc;

    if ( op->pad0 || op->pad1 )
        return -EINVAL;
    if ( cs_op_is_batch(op->op) )
        return cs_batch_op(e, caller, op, ents);
    cs_env_lock(e->env);
    rc = cs_op_locked(e, caller, op, stats);
    cs_env_unlock(e->env);
    return rc;
}

/*
 * A write fault's unshare.  The gfn may have stopped mapping a coshare
 * frame since the caller looked without the engine lock (another vCPU's
 * fault, an unhint): then there is nothing to do, and the access is simply
 * retried.
 */
static int cs_unshare_locked(struct cs_engine *e, uint16_t domid,
                             uint64_t gfn)
{
    struct cs_domain *d = cs_domain_get(e, domid);
    int rc = d ? cs_do_unshare(e, d, gfn) : -ENOENT;

    if ( d )
        cs_audit_gfn(e, d, gfn);
    return rc == -ENOENT ? 0 : rc;
}

/* The domain gives gfn up: its coshare mapping, if it has one, goes. */
static int cs_remove_locked(struct cs_engine *e, uint16_t domid,
                            uint64_t gfn)
{
    struct cs_domain *d = cs_domain_get(e, domid);
    uint32_t mid = d && gfn <= XEN_COSHARE_GFN_MAX ?
                   cs_mapping_find(e, d->slot, gfn) : CS_NIL;

    if ( mid == CS_NIL )
        return -ENOENT;
    cs_drop_mapping(e, d, gfn, mid);
    cs_audit_gfn(e, d, gfn);
    return 0;
}

int cs_remove(struct cs_engine *e, uint16_t domid, uint64_t gfn)
{
    int rc;

    cs_env_lock(e->env);
    rc = cs_remove_locked(e, domid, gfn);
    cs_env_unlock(e->env);
    return rc;
}

/*
 * Runs op for a caller that may hold domid's p2m lock: the engine lock is
 * only tried, and the engine keeps to that domain's p2m (cs_p2m_hold).
 */
static int cs_nowait(struct cs_engine *e, uint16_t domid, uint64_t gfn,
                     int (*op)(struct cs_engine *, uint16_t, uint64_t))
{
    struct cs_domain *d;
    int rc;

    if ( !cs_env_trylock(e->env) )
        return -EAGAIN;
    d = cs_domain_get(e, domid);
    if ( d )
        cs_p2m_hold(e, d);
    rc = op(e, domid, gfn);
    if ( d )
        cs_p2m_release(e);
    cs_env_unlock(e->env);
    return rc;
}

int cs_remove_nowait(struct cs_engine *e, uint16_t domid, uint64_t gfn)
{
    return cs_nowait(e, domid, gfn, cs_remove_locked);
}

int cs_unshare(struct cs_engine *e, uint16_t domid, uint64_t gfn)
{
    int rc;

    cs_env_lock(e->env);
    rc = cs_unshare_locked(e, domid, gfn);
    cs_env_unlock(e->env);
    return rc;
}

int cs_unshare_nowait(struct cs_engine *e, uint16_t domid, uint64_t gfn)
{
    int rc = cs_nowait(e, domid, gfn, cs_unshare_locked);

    /* Its callers know only "done", "busy" and "no frame": any failure
     * is tried again without locks, where it fails the domain alone. */
    return rc && rc != -EAGAIN ? -ENOMEM : rc;
}
