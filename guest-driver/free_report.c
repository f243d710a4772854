// SPDX-License-Identifier: GPL-2.0
/*
 * free_report.c - free pages, from Linux's free page reporting: the buddy
 * allocator reports free blocks (pageblock order) in batches, and coshare
 * hints them as logically zero, so the hypervisor frees their frames and
 * a later write needs no copy.  Only one reporting device can exist; if
 * another (virtio-balloon) holds it, free pages are simply not hinted.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/page_reporting.h>
#include <linux/scatterlist.h>

#include "coshare.h"

static int cs_report(struct page_reporting_dev_info *prd,
		     struct scatterlist *sgl, unsigned int nents)
{
	struct scatterlist *sg;
	unsigned int i;

	mutex_lock(&cs->lock);
	if (cs->knob[CS_KNOB_RUN] != 1 || !cs->knob[CS_KNOB_HINT_FREE]) {
		mutex_unlock(&cs->lock);
		return -EAGAIN;	/* left unreported: offered again later */
	}
	for_each_sg(sgl, sg, nents, i) {
		unsigned long pfn = page_to_pfn(sg_page(sg));
		unsigned long n = sg->length >> PAGE_SHIFT, j;

		for (j = 0; j < n; j++)
			cs_submit(XEN_COSHARE_CLASS_ZERO, pfn + j);
	}
	cs_submit_flush();
	mutex_unlock(&cs->lock);
	return 0;
}

int cs_free_report_init(void)
{
	int rc;

	cs->reporting.report = cs_report;
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
