// SPDX-License-Identifier: GPL-2.0
/*
 * free_report.c - free pages, from Linux's free page reporting: the buddy
 * allocator reports free blocks (pageblock order) in batches, and coshare
 * hints them as logically zero, so the hypervisor frees their frames and
 * a later write needs no copy.  free_order picks the smallest block
 * reported: lower orders find more free memory in a fragmented guest, at
 * the cost of more copy-on-write faults when it is reused.  Pages Xen
 * refuses for want of volatile cover (repayment on) are offered again once
 * the pool has grown by as much.  Only one reporting device can exist; if
 * another (virtio-balloon) holds it, free pages are simply not hinted.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/page_reporting.h>
#include <linux/scatterlist.h>

#include "coshare_module.h"

static unsigned int free_order = pageblock_order;
module_param(free_order, uint, 0444);
MODULE_PARM_DESC(free_order, "smallest free block hinted, as a buddy order (1..pageblock_order; default pageblock_order)");

static int cs_report(struct page_reporting_dev_info *prd,
		     struct scatterlist *sgl, unsigned int nents)
{
	struct scatterlist *sg;
	unsigned int i;
	u64 refused, t0;

	mutex_lock(&cs->lock);
	if (cs->knob[CS_KNOB_RUN] != 1 || !cs->knob[CS_KNOB_HINT_FREE]) {
		mutex_unlock(&cs->lock);
		return -EAGAIN;	/* left unreported: offered again later */
	}
	t0 = cs_work_begin();
	for_each_sg(sgl, sg, nents, i) {
		unsigned long pfn = page_to_pfn(sg_page(sg));
		unsigned long n = sg->length >> PAGE_SHIFT, j;

		for (j = 0; j < n; j++)
			cs_submit(XEN_COSHARE_CLASS_ZERO, pfn + j);
	}
	/*
	 * Repayment is on and the pool did not cover some of these pages:
	 * refill it now, and have them offered again once it has grown (an
	 * error leaves the whole batch unreported; the hinted ones come back
	 * as already shared).
	 */
	refused = cs_submit_flush();
	if (refused)
		cs_volatile_kick();
	cs_work_end(t0);
	mutex_unlock(&cs->lock);
	return refused ? -EAGAIN : 0;
}

/*
 * Has free page reporting run again soon: it goes idle after an error and
 * wakes only when the buddy allocator frees a block of at least free_order,
 * so free one, of an order the per-cpu lists do not hold back (they keep
 * orders up to PAGE_ALLOC_COSTLY_ORDER, and pageblock_order for THP).
 */
void cs_free_report_poke(void)
{
	unsigned int order = max_t(unsigned int, free_order,
				   PAGE_ALLOC_COSTLY_ORDER + 1);
	struct page *page;

	if (!cs->reporting_on)
		return;
	if (order == pageblock_order && order + 1 < MAX_ORDER)
		order++;
	page = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, order);
	if (page)
		__free_pages(page, order);
}

int cs_free_report_init(void)
{
	int rc;

	if (free_order < 1 || free_order > pageblock_order) {
		pr_err("free_order=%u: must be 1..%u\n", free_order,
		       pageblock_order);
		return -EINVAL;
	}
	cs->reporting.report = cs_report;
	cs->reporting.order = free_order;
	rc = page_reporting_register(&cs->reporting);
	if (rc) {
		pr_warn("free page reporting is taken (%d): free pages will not be hinted\n",
			rc);
		return 0;
	}
	cs->reporting_on = true;
	return 0;
}

void cs_free_report_exit(void)
{
	if (cs->reporting_on)
		page_reporting_unregister(&cs->reporting);
	cs->reporting_on = false;
}
