/* SPDX-License-Identifier: MIT */
/*
 * xen_glue.c - coshare inside Xen: the engine instance, the XENMEM_sharing_op
 * sub-ops of public/coshare.h, and the hooks asm/coshare.h declares.
 *
 * Lock order: the engine lock, then p2m locks.  A p2m lookup with
 * P2M_UNSHARE that holds no other mm lock unshares without its gfn lock,
 * waiting for the engine (p2m_get_gfn_type_access()); paths that hold p2m
 * locks (nested lookups, add_to_physmap's guest_remove_page) only try the
 * engine lock, and the engine then keeps to that domain's p2m; the fault
 * path retries from its exit.
 */
#include <xen/event.h>
#include <xen/guest_access.h>
#include <xen/init.h>
#include <xen/random.h>
#include <xen/sched.h>
#include <xen/vmap.h>
#include <xen/xmalloc.h>
#include <asm/coshare.h>
#include <asm/hap.h>
#include <asm/mem_sharing.h>
#include <asm/p2m.h>
#include <public/coshare.h>

#include "../mm-locks.h"
#include "cs_engine.h"
#include "xen_env.h"

static struct cs_env env = { .lock = SPIN_LOCK_UNLOCKED };
static struct cs_engine *engine;

/* Preemption granularity of teardown, in engine work units. */
#define RELINQUISH_BUDGET 2048

static int __init cf_check coshare_init(void)
{
    struct cs_config cfg = {
        .hash_mask = ~0ULL,
        .hash_seed = ((uint64_t)get_random() << 32) | get_random(),
        .no_prefetch = true,
        .audit_each_op = IS_ENABLED(CONFIG_DEBUG),
    };
    int rc;

    env.nr_tags = max_pdx;
    env.tags = vzalloc(env.nr_tags * sizeof(*env.tags));
    if ( !env.tags )
        return -ENOMEM;
    rc = cs_engine_create(&env, &cfg, &engine);
    if ( rc )
    {
        vfree(env.tags);
        return rc;
    }
    printk(XENLOG_INFO "coshare: guest-hinted page sharing, ABI %#x\n",
           XEN_COSHARE_VERSION);
    return 0;
}
__initcall(coshare_init);

bool coshare_is_frame(mfn_t mfn)
{
    return engine && mfn_valid(mfn) && cs_env_frame_tag(&env, mfn_x(mfn));
}

int coshare_unshare_nowait(struct domain *d, unsigned long gfn)
{
    return cs_unshare_nowait(engine, d->domain_id, gfn);
}

/*
 * Whether gfn of d maps a coshare frame now (1), a stock mem_sharing one
 * (-ENOENT), or no shared frame at all (0), read without the p2m lock: the
 * engine checks again under its own locks.
 */
static int gfn_maps_coshare(struct domain *d, unsigned long gfn)
{
    p2m_type_t t;
    mfn_t mfn = get_gfn_query_unlocked(d, gfn, &t);

    if ( !p2m_is_shared(t) )
        return 0;
    return coshare_is_frame(mfn) ? 1 : -ENOENT;
}

int coshare_unshare_fault(struct domain *d, unsigned long gfn)
{
    int rc;

    if ( !engine )
        return -ENOENT;
    rc = gfn_maps_coshare(d, gfn);
    if ( rc <= 0 )
        return rc;              /* 0: someone unshared it already */
    return cs_unshare(engine, d->domain_id, gfn);
}

int coshare_remove_page(struct domain *d, unsigned long gfn)
{
    if ( !engine || gfn_maps_coshare(d, gfn) <= 0 )
        return -ENOENT;
    /* Under d's p2m lock (add_to_physmap's) the engine is only tried. */
    if ( p2m_locked_by_me(p2m_get_hostp2m(d)) )
        return cs_remove_nowait(engine, d->domain_id, gfn);
    return cs_remove(engine, d->domain_id, gfn);
}

int coshare_relinquish(struct domain *d)
{
    if ( !engine )
        return 0;
    for ( ; ; )
    {
        unsigned long budget = RELINQUISH_BUDGET;
        int rc = cs_domain_teardown(engine, d->domain_id, &budget);

        if ( rc != -ERESTART )
            return rc;
        if ( hypercall_preempt_check() )
            return -ERESTART;
    }
}

static void cf_check audit_report(void *arg, const char *msg)
{
    printk(XENLOG_ERR "coshare audit: %s\n", msg);
}

/* dom0 ops name a target: it must exist (the engine checks the rest). */
static int check_target(const xen_coshare_op_t *op)
{
    struct domain *d;

    /* The engine refuses guests these ops; don't tell them who exists. */
    if ( !is_control_domain(current->domain) )
        return 0;
    switch ( op->op )
    {
    case XENMEM_sharing_op_coshare_control:
    case XENMEM_sharing_op_coshare_group:
        break;
    case XENMEM_sharing_op_coshare_stats:
        if ( op->domain == DOMID_SELF ||
             (op->u.stats.flags & XEN_COSHARE_STATS_GLOBAL) )
            return 0;
        break;
    default:
        return 0;
    }
    if ( op->domain == DOMID_SELF )
        return -EINVAL;
    d = rcu_lock_domain_by_id(op->domain);
    if ( !d )
        return -ESRCH;
    rcu_unlock_domain(d);
    return 0;
}

/* A domain coshare now shares: the rest of Xen's sharing code must know. */
static void sharing_enabled(domid_t domid)
{
    struct domain *d = rcu_lock_domain_by_id(domid);

    if ( d )
    {
        d->arch.hvm.mem_sharing.enabled = true;
        rcu_unlock_domain(d);
    }
}

int coshare_memop(XEN_GUEST_HANDLE_PARAM(xen_mem_sharing_op_t) arg)
{
    XEN_GUEST_HANDLE_PARAM(xen_coshare_op_t) uop =
        guest_handle_cast(guest_handle_cast(arg, void), xen_coshare_op_t);
    const struct domain *cd = current->domain;
    struct cs_caller caller = {
        .domid = cd->domain_id,
        .privileged = is_control_domain(cd),
    };
    xen_coshare_entry_t *ents = NULL;
    xen_coshare_stats_t stats = {};
    xen_coshare_op_t op;
    unsigned int nr = 0;
    int rc;

    if ( !engine )
        return -EOPNOTSUPP;
    if ( copy_from_guest(&op, uop, 1) )
        return -EFAULT;
    rc = check_target(&op);
    if ( rc )
        return rc;

    if ( cs_op_is_batch(op.op) )
    {
        nr = op.u.batch.nr;
        if ( nr > XEN_COSHARE_BATCH_MAX )
            return -E2BIG;
        if ( nr )
        {
            ents = xmalloc_array(xen_coshare_entry_t, nr);
            if ( !ents )
                return -ENOMEM;
            if ( copy_from_guest(ents, op.u.batch.entries, nr) )
            {
                xfree(ents);
                return -EFAULT;
            }
        }
    }

    if ( op.op == XENMEM_sharing_op_coshare_audit && caller.privileged &&
         !op.pad0 && !op.pad1 )
    {
        /* The engine's audit, reporting each violation, then stock's. */
        int stock;

        cs_audit(engine, &op.u.audit, audit_report, NULL);
        stock = mem_sharing_audit();
        if ( stock > 0 )
            op.u.audit.errors += stock;
        rc = 0;
    }
    else
        rc = cs_op(engine, &caller, &op, ents, &stats);
    if ( !rc && op.op == XENMEM_sharing_op_coshare_control &&
         (op.u.control.flags & XEN_COSHARE_CTL_ENABLE) )
        sharing_enabled(op.domain);

    /* Results go back after the engine lock is dropped: the copies may
     * fault on a shared page of the caller's and unshare it. */
    if ( nr && copy_to_guest(op.u.batch.entries, ents, nr) )
        rc = -EFAULT;
    if ( !rc && op.op == XENMEM_sharing_op_coshare_stats &&
         copy_to_guest(op.u.stats.buf, &stats, 1) )
        rc = -EFAULT;
    if ( __copy_to_guest(uop, &op, 1) )
        rc = -EFAULT;
    xfree(ents);
    /* A preempted batch goes on from .done, which the copy above wrote. */
    if ( rc == -ERESTART )
        rc = hypercall_create_continuation(__HYPERVISOR_memory_op, "lh",
                                           XENMEM_sharing_op, arg);
    return rc;
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
