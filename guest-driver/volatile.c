// SPDX-License-Identifier: GPL-2.0
/*
 * volatile.c - the repayment pool, Xen mode: pages taken out of the
 * guest's allocator and registered as volatile, so the hypervisor can pay
 * any copy-on-write fault by reclaiming one.  The ring logic lives in
 * volatile-pages/cs_vfifo.c; this file allocates, registers, gives back
 * under memory pressure (never below its floor) and keeps reclaimed pages
 * out of use while their gfns have no memory behind them: once the host
 * has stopped reclaiming, they get memory again (as the balloon driver
 * gets it) and go back to the allocator.  Xen's VIRQ_COSHARE after a
 * reclaim triggers a refill at once, without waiting for the next scan.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <xen/events.h>
#include <xen/interface/hvm/hvm_op.h>
#include <xen/mem-reservation.h>
#include <asm/xen/hypercall.h>

#include "coshare_module.h"

#define CS_REFILL_CHUNK 64		/* pages registered per hypercall */
#define CS_POOL_KEEP_AVAILABLE 8	/* refills leave 1/8 of RAM available */
#define CS_REFILL_BACKOFF_MS 5000	/* after a refill that did not gain */
#define CS_REFILL_MAX_REFUSED 4096	/* refused pages held by one refill */
#define CS_GIVE_BACK_CHUNK 64		/* gfns repopulated per hypercall */
#define CS_GIVE_BACK_QUIET_MS 5000	/* since Xen last reclaimed ours */

static u64 *cs_fifo_gfns;
static LIST_HEAD(cs_reclaimed);		/* pages whose frames Xen took */
static u64 cs_nr_reclaimed;
static LIST_HEAD(cs_maybe_held);	/* Xen may hold them: never reused */
static u64 cs_nr_maybe_held;

/* The pool page of the slot the next push fills, or the last pop emptied. */
static struct page **cs_pool_at_tail(void)
{
	return &cs->pool[cs_vfifo_slot(&cs->fifo, cs->fifo.len)];
}

/* Learns what Xen reclaimed; those pages must never be touched again. */
static void cs_volatile_sync(void)
{
	/* Xen writes it: a buffer the in-use walk never hints. */
	const xen_coshare_stats_t *st = &cs->hv_stats;
	const char *notice;
	u64 gone[64];
	int n, i;

	if (cs_hyp_stats(&cs->hv_stats))
		return;
	cs->hv_cow_faults = st->cow_copy + st->cow_zero + st->cow_nocopy;
	cs->classes = st->classes;	/* dom0 may allow none */
	notice = cs_settings_notice(&cs->notice, st->flags, st->group);
	if (notice)
		pr_warn("%s\n", notice);
	/* With dom0's repay flag, Xen refuses a FIFO below the bonus. */
	cs->fifo.repay_percent = (st->flags & XEN_COSHARE_CTL_REPAY) ? 100 :
				 cs->knob[CS_KNOB_REPAY_PERCENT];
	do {
		const struct cs_vfifo was = cs->fifo;	/* its oldest went */

		n = cs_vfifo_sync(&cs->fifo, st->fifo_depth, st->bonus, gone,
				  ARRAY_SIZE(gone));
		for (i = 0; i < n; i++) {
			struct page *page = cs->pool[cs_vfifo_slot(&was, i)];

			list_add(&page->lru, &cs_reclaimed);
			cs_nr_reclaimed++;
		}
	} while (n == ARRAY_SIZE(gone));
}

/*
 * Pool pages may lose their memory at any moment (a reclaim), so they are
 * offline while in the pool, as ballooned pages are: page walkers, the
 * in-use walk among them, never read them.
 */
static struct page *cs_pool_page_alloc(void)
{
	/*
	 * No direct reclaim: it would run with cs->lock held, so the
	 * shrinker (which only trylocks) could not give pool pages back
	 * meanwhile and the guest could go out of memory with pages to
	 * spare.  kswapd is woken; the next refill (the next scan, or a VIRQ)
	 * finds what it freed.
	 */
	struct page *page = alloc_page((GFP_KERNEL & ~__GFP_DIRECT_RECLAIM) |
				       __GFP_NORETRY | __GFP_NOWARN);

	if (page)
		__SetPageOffline(page);
	return page;
}

static void cs_pool_page_free(struct page *page)
{
	__ClearPageOffline(page);
	__free_page(page);
}

/*
 * Registers up to n fresh pages; returns how many Xen accepted and sets
 * *allocated.  Pages Xen refuses (a free page hinted earlier still maps a
 * shared frame) go to *refused, so that the next chunk gets other pages.
 * After -EFAULT Xen may hold any of them (the ABI: results lost), so none
 * may go back to the allocator, nor get memory again: they are kept aside
 * for good, and the next sync counts those Xen holds as orphans (rightly
 * in number, not in their place in Xen's FIFO: harmless, as a pool page
 * goes back to the allocator only once Xen has confirmed its vol_del).
 */
static u32 cs_volatile_add(u32 n, u32 *allocated, struct list_head *refused)
{
	struct cs_batch *b = cs->op_batch;
	struct page *pages[CS_REFILL_CHUNK];
	u32 i, added = 0;
	int rc = 0;

	b->nr = 0;
	for (i = 0; i < n; i++) {
		pages[i] = cs_pool_page_alloc();
		if (!pages[i])
			break;
		cs_batch_add(b, page_to_pfn(pages[i]), n);
	}
	n = i;
	*allocated = n;
	if (n)
		rc = cs_hyp_batch(XENMEM_sharing_op_coshare_vol_add, 0, b->ents, n);
	for (i = 0; i < n; i++) {
		if (cs_entry_done(rc, &b->ents[i])) {
			*cs_pool_at_tail() = pages[i];
			cs_vfifo_push(&cs->fifo, b->ents[i].gfn);
			added++;
		} else if (rc == -EFAULT) {
			list_add(&pages[i]->lru, &cs_maybe_held);
			cs_nr_maybe_held++;
		} else {
			list_add(&pages[i]->lru, refused);
		}
	}
	b->nr = 0;
	return added;
}

/*
 * Tops the pool up to floor + slack (+ deficit), a chunk at a time, while
 * the guest keeps 1/CS_POOL_KEEP_AVAILABLE of its RAM available: the floor
 * grows with the bonus, which for a guest that shares most of its memory
 * is more than the guest can give, and the pool never shrinks below it.
 * A pool that stops short only means fewer merges (the hypervisor refuses
 * what it does not cover, under repayment), never an out-of-memory guest.
 * When the host is short of memory, the free pages this takes may be
 * shared zero pages whose first write is itself paid from the pool: then
 * refilling only drains the guest, so it stops and waits
 * CS_REFILL_BACKOFF_MS.  Refused pages are held until the end, up to
 * CS_REFILL_MAX_REFUSED, and then freed.
 */
static void cs_volatile_refill(void)
{
	LIST_HEAD(refused);
	struct page *page, *next;
	u32 want, nr_refused = 0, gained = 0;
	bool covering = cs->fifo.deficit;

	if (time_before(jiffies, cs->refill_after))
		return;
	while ((want = cs_vfifo_want(&cs->fifo,
				     cs->knob[CS_KNOB_FIFO_SLACK])) &&
	       si_mem_available() >
	       totalram_pages() / CS_POOL_KEEP_AVAILABLE) {
		u64 before = cs->fifo.reclaimed;
		u32 n = min_t(u32, want, CS_REFILL_CHUNK), added, allocated;

		added = cs_volatile_add(n, &allocated, &refused);
		gained += added;
		nr_refused += allocated - added;
		cs_volatile_sync();
		if (added && cs->fifo.reclaimed - before >= (added + 1) / 2) {
			cs->refill_stalls++;
			cs->refill_after = jiffies +
					   msecs_to_jiffies(CS_REFILL_BACKOFF_MS);
			break;
		}
		if (allocated < n || nr_refused >= CS_REFILL_MAX_REFUSED)
			break;		/* the guest is short of private memory */
	}
	cs->fifo.deficit = 0;
	list_for_each_entry_safe(page, next, &refused, lru) {
		list_del(&page->lru);
		cs_pool_page_free(page);
	}
	if (covering && gained) {
		/* The refused pages fit now: the scanner re-offers them. */
		cs->reoffer_free = true;
		cs_scanner_wake();
	}
}

/* Whether gfn has memory behind it, as Xen says: 1, 0, or -errno. */
static int cs_gfn_populated(unsigned long gfn)
{
	struct xen_hvm_get_mem_type a = { .domid = DOMID_SELF, .pfn = gfn };
	int rc = HYPERVISOR_hvm_op(HVMOP_get_mem_type, &a);

	return rc ?: a.mem_type != HVMMEM_mmio_dm;
}

/*
 * Gives up to CS_GIVE_BACK_CHUNK reclaimed gfns memory again
 * (XENMEM_populate_physmap, within the domain's max_pages) and their pages
 * back to the allocator.  Returns how many; fewer when the host is short.
 * Only a gfn Xen shows empty is populated: one that still has memory was
 * not reclaimed after all (Xen's FIFO changed behind our back, or the
 * domain was restored), may still be registered, and is kept aside.
 */
static int cs_give_back_chunk(void)
{
	struct page *pages[CS_GIVE_BACK_CHUNK], *page, *next;
	xen_pfn_t frames[CS_GIVE_BACK_CHUNK];
	int n = 0, done, i, populated;

	list_for_each_entry_safe(page, next, &cs_reclaimed, lru) {
		if (n == CS_GIVE_BACK_CHUNK)
			break;
		populated = cs_gfn_populated(page_to_xen_pfn(page));
		if (populated < 0)
			break;		/* asked again next time */
		if (populated) {
			list_move(&page->lru, &cs_maybe_held);
			cs_nr_reclaimed--;
			cs_nr_maybe_held++;
			continue;
		}
		pages[n] = page;
		frames[n] = page_to_xen_pfn(page);
		n++;
	}
	if (!n)
		return 0;
	done = xenmem_reservation_increase(n, frames);
	for (i = 0; i < done; i++) {
		list_del(&pages[i]->lru);
		cs_nr_reclaimed--;
		cs->given_back++;
		cs_pool_page_free(pages[i]);
	}
	return max(done, 0);
}

/*
 * Reclaimed pages come back once Xen has reclaimed none of ours for
 * CS_GIVE_BACK_QUIET_MS: while the host is short, the memory would only be
 * reclaimed again at the next fault.  A short populate waits as long.
 */
static void cs_give_back(void)
{
	if (cs->fifo.reclaimed != cs->reclaimed_seen) {
		cs->reclaimed_seen = cs->fifo.reclaimed;
		cs->give_back_after = jiffies +
				      msecs_to_jiffies(CS_GIVE_BACK_QUIET_MS);
		return;
	}
	if (list_empty(&cs_reclaimed) ||
	    time_before(jiffies, cs->give_back_after))
		return;
	if (cs_give_back_chunk() < CS_GIVE_BACK_CHUNK && cs_nr_reclaimed)
		cs->give_back_after = jiffies +
				      msecs_to_jiffies(CS_GIVE_BACK_QUIET_MS);
}

void cs_volatile_balance(void)
{
	cs_volatile_sync();
	cs_give_back();
	cs_volatile_refill();
}

static unsigned long cs_shrink_count(struct shrinker *s,
				     struct shrink_control *sc)
{
	return cs_vfifo_shrinkable(&cs->fifo);
}

static unsigned long cs_shrink_scan(struct shrinker *s,
				    struct shrink_control *sc)
{
	unsigned long freed = 0;
	xen_coshare_entry_t ent;
	u64 t0;

	if (!mutex_trylock(&cs->lock))
		return SHRINK_STOP;
	t0 = cs_work_begin();
	while (freed < sc->nr_to_scan && cs_vfifo_shrinkable(&cs->fifo)) {
		u64 gfn;
		struct page *page;

		cs_vfifo_pop_newest(&cs->fifo, &gfn);
		page = *cs_pool_at_tail();
		memset(&ent, 0, sizeof(ent));
		ent.gfn = gfn;
		if (cs_hyp_batch(XENMEM_sharing_op_coshare_vol_del, 0, &ent, 1) ||
		    ent.result != XEN_COSHARE_RES_DONE) {
			/* Xen still counts on it: keep it in the pool. */
			cs_vfifo_push(&cs->fifo, gfn);
			break;
		}
		cs_pool_page_free(page);
		freed++;
	}
	cs_work_end(t0);
	mutex_unlock(&cs->lock);
	return freed ? freed : SHRINK_STOP;
}

static void cs_refill_fn(struct work_struct *work)
{
	u64 t0;

	mutex_lock(&cs->lock);
	t0 = cs_work_begin();
	cs_volatile_balance();
	cs_work_end(t0);
	mutex_unlock(&cs->lock);
}
static DECLARE_WORK(cs_refill_work, cs_refill_fn);

void cs_volatile_kick(void)
{
	if (cs->mode == CS_MODE_XEN)
		schedule_work(&cs_refill_work);
}

static irqreturn_t cs_virq_handler(int irq, void *unused)
{
	WRITE_ONCE(cs->notifications, cs->notifications + 1);
	schedule_work(&cs_refill_work);
	return IRQ_HANDLED;
}

int cs_volatile_init(void)
{
	u32 cap;
	int rc;

	if (cs->mode != CS_MODE_XEN)
		return 0;
	cap = min_t(unsigned long, cs->max_pfn, U32_MAX);
	cs_fifo_gfns = vmalloc(array_size(cap, sizeof(*cs_fifo_gfns)));
	cs->pool = vmalloc(array_size(cap, sizeof(*cs->pool)));
	rc = -ENOMEM;
	if (!cs_fifo_gfns || !cs->pool)
		goto free;
	cs_vfifo_init(&cs->fifo, cs_fifo_gfns, cap);
	cs->shrinker.count_objects = cs_shrink_count;
	cs->shrinker.scan_objects = cs_shrink_scan;
	cs->shrinker.seeks = DEFAULT_SEEKS;
	rc = register_shrinker(&cs->shrinker, "coshare-volatile");
	if (rc)
		goto free;
	cs->virq_irq = bind_virq_to_irqhandler(VIRQ_COSHARE, 0, cs_virq_handler,
					       0, CS_NAME, NULL);
	if (cs->virq_irq < 0) {
		rc = cs->virq_irq;
		pr_err("cannot bind VIRQ_COSHARE: %d\n", rc);
		unregister_shrinker(&cs->shrinker);
		goto free;
	}
	return 0;
free:
	vfree(cs->pool);
	vfree(cs_fifo_gfns);
	return rc;
}

void cs_volatile_exit(void)
{
	if (cs->mode != CS_MODE_XEN)
		return;
	unbind_from_irqhandler(cs->virq_irq, NULL);
	cancel_work_sync(&cs_refill_work);
	unregister_shrinker(&cs->shrinker);
	/*
	 * Pages still registered stay with Xen's FIFO until the domain dies
	 * (the next load counts them as orphans), and reclaimed ones have no
	 * memory behind them: neither may go back to the allocator.
	 * Unregister what Xen lets go of, newest first, a batch at a time;
	 * keep the rest.
	 */
	cs->fifo.bonus = 0;		/* every page of ours may go */
	while (cs->fifo.len) {
		struct cs_batch *b = cs->op_batch;
		u32 i, kept = 0;
		u64 gfn;
		int rc;

		b->nr = 0;
		while (b->nr < XEN_COSHARE_BATCH_MAX &&
		       !cs_vfifo_pop_newest(&cs->fifo, &gfn))
			cs_batch_add(b, gfn, XEN_COSHARE_BATCH_MAX);
		rc = cs_hyp_batch(XENMEM_sharing_op_coshare_vol_del, 0, b->ents,
				  b->nr);
		/* The i-th popped sat nr - 1 - i slots above the new tail. */
		for (i = 0; i < b->nr; i++) {
			if (!cs_entry_done(rc, &b->ents[i]))
				kept++;
			else
				cs_pool_page_free(cs->pool[cs_vfifo_slot(&cs->fifo,
						  cs->fifo.len + b->nr - 1 - i)]);
		}
		if (kept) {
			pr_info("%u volatile pages stay with the hypervisor (the bonus needs them)\n",
				cs->fifo.len + kept);
			break;
		}
	}
	/* Reclaimed pages get memory now if the host has it. */
	while (cs_nr_reclaimed) {
		u64 before = cs_nr_reclaimed;

		cs_give_back_chunk();
		if (cs_nr_reclaimed == before)
			break;
	}
	if (cs_nr_reclaimed)
		pr_warn("%llu reclaimed pages stay out of use (the host is short of memory)\n",
			cs_nr_reclaimed);
	if (cs_nr_maybe_held)
		pr_warn("%llu pages stay out of use (Xen may still hold them)\n",
			cs_nr_maybe_held);
	vfree(cs->pool);
	vfree(cs_fifo_gfns);
}
