// SPDX-License-Identifier: GPL-2.0
/*
 * volatile.c - the repayment pool, Xen mode: pages taken out of the
 * guest's allocator and registered as volatile, so the hypervisor can pay
 * any copy-on-write fault by reclaiming one.  The ring logic lives in
 * volatile-pages/cs_vfifo.c; this file allocates, registers, gives back
 * under memory pressure (never below the bonus) and keeps reclaimed pages
 * out of use, since their gfns no longer have memory behind them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "coshare.h"

#define CS_REFILL_CHUNK 64		/* pages registered per hypercall */

static u64 *cs_fifo_gfns;
static LIST_HEAD(cs_reclaimed);		/* pages whose frames Xen took */
static u64 cs_nr_reclaimed;

static u32 cs_slot_of_newest(void)
{
	return (cs->fifo.head + cs->fifo.len) % cs->fifo.cap;
}

/* Learns what Xen reclaimed; those pages must never be touched again. */
static void cs_volatile_sync(void)
{
	xen_coshare_stats_t st;
	u64 gone[64];
	int n, i;

	if (cs_hyp_stats(&st))
		return;
	cs->hv_cow_faults = st.cow_copy + st.cow_zero + st.cow_nocopy;
	do {
		u32 first = cs->fifo.head;

		n = cs_vfifo_sync(&cs->fifo, st.fifo_depth, st.bonus, gone,
				  ARRAY_SIZE(gone));
		for (i = 0; i < n; i++) {
			struct page *page = cs->pool[(first + i) % cs->fifo.cap];

			list_add(&page->lru, &cs_reclaimed);
			cs_nr_reclaimed++;
		}
	} while (n == ARRAY_SIZE(gone));
	if (n < 0)
		pr_err_ratelimited("hypervisor holds more volatile pages than registered\n");
}

static void cs_volatile_refill(void)
{
	u32 want = cs_vfifo_want(&cs->fifo, cs->knob[CS_KNOB_FIFO_SLACK]);
	struct cs_batch *b = &cs->batch[0];

	while (want) {
		struct page *pages[CS_REFILL_CHUNK];
		u32 n = min_t(u32, want, CS_REFILL_CHUNK), i;

		b->nr = 0;
		for (i = 0; i < n; i++) {
			pages[i] = alloc_page(GFP_KERNEL | __GFP_NORETRY |
					      __GFP_NOWARN);
			if (!pages[i])
				break;
			cs_batch_add(b, page_to_pfn(pages[i]), n);
		}
		n = i;
		if (n && cs_hyp_batch(XENMEM_sharing_op_coshare_vol_add, 0,
				      b->ents, n))
			b->nr = 0;
		for (i = 0; i < n; i++) {
			if (i < b->nr &&
			    b->ents[i].result == XEN_COSHARE_RES_DONE) {
				cs->pool[cs_slot_of_newest()] = pages[i];
				cs_vfifo_push(&cs->fifo, b->ents[i].gfn);
			} else {
				__free_page(pages[i]);
			}
		}
		b->nr = 0;
		if (n < min_t(u32, want, CS_REFILL_CHUNK))
			break;		/* the guest is short of memory */
		want -= n;
	}
}

void cs_volatile_balance(void)
{
	cs_volatile_sync();
	cs_volatile_refill();
}

static unsigned long cs_shrink_count(struct shrinker *s,
				     struct shrink_control *sc)
{
	return READ_ONCE(cs->fifo.len) > READ_ONCE(cs->fifo.bonus) ?
	       cs->fifo.len - cs->fifo.bonus : 0;
}

static unsigned long cs_shrink_scan(struct shrinker *s,
				    struct shrink_control *sc)
{
	unsigned long freed = 0;
	xen_coshare_entry_t ent;

	if (!mutex_trylock(&cs->lock))
		return SHRINK_STOP;
	while (freed < sc->nr_to_scan && cs_vfifo_shrinkable(&cs->fifo)) {
		u64 gfn;
		struct page *page;

		cs_vfifo_pop_newest(&cs->fifo, &gfn);
		page = cs->pool[cs_slot_of_newest()];
		memset(&ent, 0, sizeof(ent));
		ent.gfn = gfn;
		if (cs_hyp_batch(XENMEM_sharing_op_coshare_vol_del, 0, &ent, 1) ||
		    ent.result != XEN_COSHARE_RES_DONE) {
			/* Xen still counts on it: keep it in the pool. */
			cs_vfifo_push(&cs->fifo, gfn);
			break;
		}
		__free_page(page);
		freed++;
	}
	mutex_unlock(&cs->lock);
	return freed ? freed : SHRINK_STOP;
}

int cs_volatile_init(void)
{
	u32 cap;

	if (cs->mode != CS_MODE_XEN)
		return 0;
	cap = min_t(unsigned long, cs->max_pfn, U32_MAX);
	cs_fifo_gfns = vmalloc(array_size(cap, sizeof(*cs_fifo_gfns)));
	cs->pool = vmalloc(array_size(cap, sizeof(*cs->pool)));
	if (!cs_fifo_gfns || !cs->pool) {
		vfree(cs_fifo_gfns);
		vfree(cs->pool);
		return -ENOMEM;
	}
	cs_vfifo_init(&cs->fifo, cs_fifo_gfns, cap);
	cs->shrinker.count_objects = cs_shrink_count;
	cs->shrinker.scan_objects = cs_shrink_scan;
	cs->shrinker.seeks = DEFAULT_SEEKS;
	return register_shrinker(&cs->shrinker, "coshare-volatile");
}

void cs_volatile_exit(void)
{
	if (cs->mode != CS_MODE_XEN)
		return;
	unregister_shrinker(&cs->shrinker);
	/*
	 * Pages still registered stay with Xen's FIFO until the domain dies,
	 * and reclaimed ones have no memory behind them: neither may go back
	 * to the allocator.  Unregister what Xen lets go of, keep the rest.
	 */
	while (cs->fifo.len) {
		xen_coshare_entry_t ent = { 0 };
		u64 gfn;

		cs->fifo.bonus = 0;
		cs_vfifo_pop_newest(&cs->fifo, &gfn);
		ent.gfn = gfn;
		if (cs_hyp_batch(XENMEM_sharing_op_coshare_vol_del, 0, &ent, 1) ||
		    ent.result != XEN_COSHARE_RES_DONE) {
			pr_warn("%u volatile pages stay with the hypervisor\n",
				cs->fifo.len + 1);
			break;
		}
		__free_page(cs->pool[cs_slot_of_newest()]);
	}
	if (cs_nr_reclaimed)
		pr_warn("%llu reclaimed pages stay out of use\n", cs_nr_reclaimed);
	vfree(cs->pool);
	vfree(cs_fifo_gfns);
}
