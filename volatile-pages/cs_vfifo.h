/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * cs_vfifo.h - the guest's side of the repayment ledger, independent of
 * the kernel: the pool of volatile pages registered with the hypervisor,
 * oldest first, in the same order as the hypervisor's FIFO.
 *
 * Invariant: the pool never holds fewer pages than its floor, the bonus
 * (frames this guest's sharing saved) times repay_percent / 100.  At 100
 * (the default, and forced when dom0 set XEN_COSHARE_CTL_REPAY) every
 * copy-on-write fault of this guest can be repaid; below it the guest
 * leans on the host's reserve and saves more.  The pool aims at floor +
 * slack; the shrinker may give back only what lies above the floor.  The
 * hypervisor reclaims oldest first, so when its FIFO is shorter than ours,
 * our oldest pages are exactly the ones it took.
 *
 * Orphans: pages an earlier load of the module left registered (an unload
 * unregisters only what the hypervisor lets go of: what the bonus still
 * needs stays).  Their gfns are not known here, but the hypervisor counts
 * them in its FIFO, ahead of ours, and reclaims them first: they count
 * towards the floor, so a reload does not register the bonus twice.
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
	u32 repay_percent;	/* floor = bonus * repay_percent / 100 */
	u64 reclaimed;		/* pages the hypervisor took, ever */
	u64 deficit;		/* hints refused for want of cover, to add */
	u64 orphans;		/* registered before us, ahead of our pages */
};

void cs_vfifo_init(struct cs_vfifo *f, u64 *storage, u32 cap);

/* The pool's floor: bonus * repay_percent / 100, rounded up. */
u64 cs_vfifo_floor(const struct cs_vfifo *f);
/* Pages the hypervisor holds for this guest: orphans and ours. */
static inline u64 cs_vfifo_depth(const struct cs_vfifo *f)
{
	return f->orphans + f->len;
}
/*
 * Pages to register so that the pool (orphans included) reaches floor +
 * slack + deficit (capped): the deficit is what the hypervisor refused to
 * share because the pool did not cover it, so that the next offer of
 * those pages fits.
 */
u32 cs_vfifo_want(const struct cs_vfifo *f, u64 slack);
/*
 * Pages the shrinker may give back without breaking the invariant: only
 * ours, newest first, while the pool with its orphans stays at its floor.
 */
u32 cs_vfifo_shrinkable(const struct cs_vfifo *f);

/*
 * The ring slot of the i-th oldest page (gfns[] index), for callers that
 * keep data of their own per page beside it: i == len is the slot the next
 * push fills, and the one the last pop_newest emptied.
 */
static inline u32 cs_vfifo_slot(const struct cs_vfifo *f, u32 i)
{
	return (f->head + i) % f->cap;
}

/* A gfn the hypervisor accepted (vol_add returned DONE). */
int cs_vfifo_push(struct cs_vfifo *f, u64 gfn);
/* The newest gfn, removed: the shrinker unregisters it and frees it. */
int cs_vfifo_pop_newest(struct cs_vfifo *f, u64 *gfn);

/*
 * The hypervisor says it holds hv_depth volatile pages of this guest and
 * that its bonus is hv_bonus.  What it holds beyond our len are orphans;
 * if it holds fewer than len, the orphans are gone and our oldest
 * (len - hv_depth) pages were reclaimed: up to max of them go to out[]
 * (the caller must never touch them again until it repopulates them).
 * Returns how many.
 */
int cs_vfifo_sync(struct cs_vfifo *f, u64 hv_depth, u64 hv_bonus,
		  u64 *out, u32 max);

#ifdef __cplusplus
}
#endif

#endif /* COSHARE_CS_VFIFO_H */
