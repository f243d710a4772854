/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * cs_vfifo.h - the guest's side of the repayment ledger, independent of
 * the kernel: the pool of volatile pages registered with the hypervisor,
 * oldest first, in the same order as the hypervisor's FIFO.
 *
 * Invariant: the pool never holds fewer pages than the bonus (frames this
 * guest's sharing saved).  The pool aims at bonus + slack; the shrinker
 * may give back only what lies above the bonus.  The hypervisor reclaims
 * oldest first, so when its FIFO is shorter than ours, our oldest pages
 * are exactly the ones it took.
 */
#ifndef COSHARE_CS_VFIFO_H
#define COSHARE_CS_VFIFO_H

#include "cs_port.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cs_vfifo {
	u64 *gfns;		/* ring of registered gfns, caller's storage */
	u32 cap, head, len;
	u64 bonus;		/* as the hypervisor last reported it */
	u64 reclaimed;		/* pages the hypervisor took, ever */
};

void cs_vfifo_init(struct cs_vfifo *f, u64 *storage, u32 cap);

/* Pages to register so that the pool reaches bonus + slack (capped). */
u32 cs_vfifo_want(const struct cs_vfifo *f, u64 slack);
/* Pages the shrinker may give back without breaking the invariant. */
u32 cs_vfifo_shrinkable(const struct cs_vfifo *f);

/* A gfn the hypervisor accepted (vol_add returned DONE). */
int cs_vfifo_push(struct cs_vfifo *f, u64 gfn);
/* The newest gfn, removed: the shrinker unregisters it and frees it. */
int cs_vfifo_pop_newest(struct cs_vfifo *f, u64 *gfn);

/*
 * The hypervisor says it holds hv_depth of our volatile pages and that
 * our bonus is hv_bonus.  Our oldest (len - hv_depth) pages were
 * reclaimed: up to max of them go to out[] (the caller must never touch
 * them again until it repopulates them).  Returns how many, or -EIO if
 * the hypervisor claims more pages than we registered.
 */
int cs_vfifo_sync(struct cs_vfifo *f, u64 hv_depth, u64 hv_bonus,
		  u64 *out, u32 max);

#ifdef __cplusplus
}
#endif

#endif /* COSHARE_CS_VFIFO_H */
