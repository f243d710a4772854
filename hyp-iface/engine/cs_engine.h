/* SPDX-License-Identifier: MIT */
/*
 * cs_engine.h - the coshare sharing engine's API.
 *
 * Called by Xen's memory_op glue and by the userspace simulator.  Every call
 * takes the engine lock, so callers need no locking of their own.  Functions
 * return 0 or -errno; batch functions fill each entry's result.
 */
#ifndef COSHARE_CS_ENGINE_H
#define COSHARE_CS_ENGINE_H

#include "cs_env.h"
#include "cs_hash.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cs_engine;

struct cs_config {
    /* ANDed into every content hash; 0 forces all pages to collide. */
    uint64_t hash_mask;
    /* Keys the content hash; the hypervisor picks a secret one per boot. */
    uint64_t hash_seed;
    /* Full compares one lookup may make (0: CS_DEFAULT_MAX_COMPARES). */
    uint32_t max_compares;
    /*
     * Don't prefetch the page the next hint entry will hash.  For hosts
     * whose p2m lookup (the prefetch needs one) costs more than the memory
     * latency it hides: Xen, whose lookup takes the p2m lock.
     */
    bool no_prefetch;
    /*
     * After every op, check the invariants of each gfn it was asked about
     * (cs_audit_gfn): a bad state that a later op repairs is still caught,
     * and the next audit reports it.  For debug builds and the tests.
     */
    bool audit_each_op;
};

#define CS_DEFAULT_MAX_COMPARES 16

/* Who issues an op: the hypervisor's view of the calling domain. */
struct cs_caller {
    uint16_t domid;
    bool privileged;        /* dom0 / control domain */
};

int cs_engine_create(struct cs_env *env, const struct cs_config *cfg,
                     struct cs_engine **out);
/* Every domain must have been torn down first; returns -EBUSY otherwise. */
int cs_engine_destroy(struct cs_engine *e);

/* The ops that carry entries (op->u.batch). */
static inline bool cs_op_is_batch(unsigned int op)
{
    return op >= XENMEM_sharing_op_coshare_hint &&
           op <= XENMEM_sharing_op_coshare_vol_del;
}

/*
 * The ABI entry point: checks permissions and arguments of *op as the
 * hypervisor received it, then runs it.  ents holds op->u.batch.nr entries
 * for batch ops; stats receives the counters for the stats op.  A batch
 * takes the engine lock once per few entries, never for all of it, and
 * returns -ERESTART when cs_env_preempt() says so between two holds: the
 * caller copies the results and op->u.batch.done back and calls again
 * with them (Xen's hypercall continuation).
 */
int cs_op(struct cs_engine *e, const struct cs_caller *caller,
          xen_coshare_op_t *op, xen_coshare_entry_t *ents,
          xen_coshare_stats_t *stats);

/*
 * Write fault on a gfn mapping a coshare frame: give it a private copy.
 * 0 also when the gfn maps no coshare frame any more (another vCPU's fault
 * or an unhint got there first): the access is then retried.  -ENOMEM: no
 * frame even after reclaim; -EFAULT: the p2m disagrees with the engine.
 */
int cs_unshare(struct cs_engine *e, uint16_t domid, uint64_t gfn);
/*
 * The same for callers that may hold p2m locks (which the engine takes
 * inside its own lock): -EAGAIN instead of waiting for the engine lock, and
 * any other failure reported as -ENOMEM, the one Xen's callers expect.
 */
int cs_unshare_nowait(struct cs_engine *e, uint16_t domid, uint64_t gfn);

/*
 * The domain gives gfn up (Xen's guest_remove_page, for a balloon or a
 * physmap change): if the gfn maps a coshare frame, that mapping goes with
 * no copy and no allocation, and the gfn maps nothing.  -ENOENT: the gfn
 * maps no coshare frame, the caller removes whatever it maps.  The nowait
 * form, for callers that may hold p2m locks, gives -EAGAIN when busy.
 */
int cs_remove(struct cs_engine *e, uint16_t domid, uint64_t gfn);
int cs_remove_nowait(struct cs_engine *e, uint16_t domid, uint64_t gfn);

/*
 * Domain teardown, preemptible: does at most *budget units of work, then
 * returns -ERESTART with the position saved; call again to continue.
 * 0 when the engine holds nothing of the domain any more.
 */
int cs_domain_teardown(struct cs_engine *e, uint16_t domid,
                       unsigned long *budget);

/*
 * Audit: every invariant; each violation goes to report (may be NULL).
 * Takes the engine lock itself, a few frames per hold, then once for the
 * totals: other ops go on between its holds.
 */
typedef void cs_audit_report_t(void *arg, const char *msg);
unsigned int cs_audit(struct cs_engine *e, struct xen_coshare_audit *res,
                      cs_audit_report_t *report, void *arg);

/* Stats of one domain, or of the host with domid == DOMID_INVALID. */
int cs_stats(struct cs_engine *e, uint16_t domid, xen_coshare_stats_t *out);


#ifdef __cplusplus
}
#endif

#endif /* COSHARE_CS_ENGINE_H */
