// SPDX-License-Identifier: GPL-2.0
/*
 * submit.c - hands collected pages to the hypervisor in batches, one batch
 * per class, and feeds each entry's result to the counters and backoff.
 * In estimate mode nothing is sent: each page is only fingerprinted.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>

#include "coshare_module.h"

#include <xen/interface/memory.h>
#include <asm/xen/hypercall.h>

static int cs_memop(xen_coshare_op_t *op)
{
	return HYPERVISOR_memory_op(XENMEM_sharing_op, op);
}

int cs_hyp_version(struct xen_coshare_version *v)
{
	xen_coshare_op_t op = {
		.op = XENMEM_sharing_op_coshare_version,
		.domain = DOMID_SELF,
	};
	int rc = cs_memop(&op);

	if (!rc)
		*v = op.u.version;
	return rc;
}

int cs_hyp_batch(u8 opcode, unsigned int cls, xen_coshare_entry_t *ents,
		 u32 nr)
{
	xen_coshare_op_t op = {
		.op = opcode,
		.domain = DOMID_SELF,
		.u.batch.hint_class = opcode == XENMEM_sharing_op_coshare_hint ?
				      cls : 0,
		.u.batch.nr = nr,
	};
	int rc;

	set_xen_guest_handle(op.u.batch.entries, ents);
	rc = cs_memop(&op);
	if (rc)
		cs->c.hypercall_errors++;
	/* Refused by dom0's settings: not enabled, or not sharable now. */
	if (rc == -EACCES || rc == -EXDEV)
		cs->denied = true;
	else if (rc)
		pr_warn_ratelimited("batch op %u (class %u, %u entries) failed: %d\n",
				    opcode, cls, nr, rc);
	return rc;
}

int cs_hyp_stats(xen_coshare_stats_t *st)
{
	xen_coshare_op_t op = {
		.op = XENMEM_sharing_op_coshare_stats,
		.domain = DOMID_SELF,
	};
	int rc;

	set_xen_guest_handle(op.u.stats.buf, st);
	rc = cs_memop(&op);
	if (rc)
		cs->c.hypercall_errors++;
	return rc;
}

static void cs_flush(unsigned int cls)
{
	struct cs_batch *b = &cs->batch[cls];
	u64 refused = cs->c.need_volatile;

	if (!b->nr)
		return;
	/* Unless they were lost (-EFAULT), the entries Xen ran have results
	 * even when the op failed midway (a batch Xen restarted). */
	if (cs_hyp_batch(XENMEM_sharing_op_coshare_hint, cls, b->ents,
			 b->nr) != -EFAULT)
		cs_account_batch(&cs->c, cs->backoff, &cs->shared, cls, b->ents,
				 b->nr, cs->scan);
	b->nr = 0;
	/* Repayment refused what the pool did not cover: grow it by as much. */
	refused = cs->c.need_volatile - refused;
	cs->fifo.deficit += refused;
	cs->refused_unflushed += refused;
}

void cs_submit(unsigned int cls, unsigned long pfn)
{
	if (!cs_fp_record(cls, pfn))
		return;
	if (cs->mode == CS_MODE_ESTIMATE) {
		cs->c.hinted[cls]++;
		return;
	}
	if (!(cs->classes & BIT(cls))) {
		cs->c.not_allowed++;
		return;
	}
	if ((cls == XEN_COSHARE_CLASS_PROCESS_TEXT ||
	     cls == XEN_COSHARE_CLASS_IN_USE) &&
	    cs_backoff_skip(cs->backoff, pfn, cs->scan)) {
		cs->c.backed_off++;
		return;
	}
	if (cs_batch_add(&cs->batch[cls], pfn,
			 cs->knob[CS_KNOB_BATCH_SIZE]))
		cs_flush(cls);
}

u64 cs_submit_flush(void)
{
	unsigned int cls;
	u64 refused;

	if (cs->mode == CS_MODE_ESTIMATE)
		return 0;
	for (cls = 0; cls < XEN_COSHARE_CLASS_NR; cls++)
		cs_flush(cls);
	refused = cs->refused_unflushed;
	cs->refused_unflushed = 0;
	return refused;
}

/* run=2: every gfn this guest saw shared is unshared again. */
int cs_unhint_all(void)
{
	struct cs_batch *b = cs->op_batch;
	unsigned long pfn;
	int rc = 0;

	cs_submit_flush();
	if (cs->mode == CS_MODE_ESTIMATE)
		return 0;
	for (pfn = 0; pfn < cs->max_pfn; pfn++) {
		if (!cs_bitmap_test(&cs->shared, pfn))
			continue;
		cs_bitmap_assign(&cs->shared, pfn, false);
		if (!cs_batch_add(b, pfn, XEN_COSHARE_BATCH_MAX))
			continue;
		rc = rc ?: cs_hyp_batch(XENMEM_sharing_op_coshare_unhint, 0,
					b->ents, b->nr);
		b->nr = 0;
	}
	if (b->nr)
		rc = rc ?: cs_hyp_batch(XENMEM_sharing_op_coshare_unhint, 0,
					b->ents, b->nr);
	b->nr = 0;
	return rc;
}
