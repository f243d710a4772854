/* SPDX-License-Identifier: GPL-2.0 */
/*
 * coshare_module.h - state shared by the files of coshare.ko (the ABI is
 * coshare.h, in hyp-iface/include/public).
 *
 * One instance per guest.  The collectors find likely-shareable pages,
 * submit.c hints them in batches (or, in estimate mode, only fingerprints
 * them), volatile.c keeps the repayment pool, sysfs.c shows it all.
 */
#ifndef COSHARE_MODULE_H
#define COSHARE_MODULE_H

#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/shrinker.h>
#include <linux/page_reporting.h>
#include <linux/sched.h>

#include "cs_policy.h"
#include "cs_vfifo.h"

#define CS_NAME "coshare"

enum cs_mode { CS_MODE_XEN, CS_MODE_ESTIMATE };

/* One fingerprint per pfn: the content hash and class of a hinted page. */
struct cs_fingerprint {
	u64 hash;
	u32 cls;		/* XEN_COSHARE_CLASS_*, or CS_FP_NONE */
	u32 flags;		/* 0 */
};
#define CS_FP_NONE	0xffffffffu

struct cs_state {
	enum cs_mode mode;
	struct mutex lock;		/* knobs, counters, batches, pool */
	u64 knob[CS_KNOB_NR];
	struct cs_counters c;
	struct cs_batch *batch;		/* hints: one per class */
	struct cs_batch *op_batch;	/* vol_add and unhint */
	struct cs_backoff *backoff;
	struct cs_bitmap shared;	/* gfns last seen shared */
	u32 scan;			/* full scans started */
	bool denied;			/* a hint got -EACCES: not enabled yet */
	u32 classes;			/* XEN_COSHARE_CLASSES_* dom0 allows us */
	u32 notice;			/* cs_settings_notice()'s state */
	unsigned long max_pfn;

	struct cs_fingerprint *fp;	/* indexed by pfn */

	struct cs_vfifo fifo;
	struct page **pool;		/* pages of the FIFO, by ring slot */
	xen_coshare_stats_t hv_stats;	/* the stats op's buffer */
	u64 hv_cow_faults;		/* from the hypervisor's stats */
	u64 notifications;		/* VIRQ_COSHARE received */
	u64 refill_stalls;		/* refills that did not gain ground */
	unsigned long refill_after;	/* jiffies: no refill before */
	u64 given_back;			/* reclaimed gfns repopulated */
	u64 reclaimed_seen;		/* fifo.reclaimed at the last look */
	unsigned long give_back_after;	/* jiffies: no give-back before */
	int virq_irq;			/* irq of the bound VIRQ_COSHARE */
	u64 refused_unflushed;		/* hints repayment refused since the
					 * last cs_submit_flush(), which every
					 * lock hold that submits ends with */
	bool reoffer_free;		/* the pool grew past refused free
					 * pages: the scanner re-offers them */
	u64 work_ns;			/* time of work in other threads */

	struct task_struct *scanner;
	struct kobject *kobj;
	struct shrinker shrinker;
	struct page_reporting_dev_info reporting;
	bool reporting_on;
};

extern struct cs_state *cs;

/*
 * The module's CPU time (cpu_us): its scanner thread's runtime, plus the
 * time its work in other threads (refills, free page reports, the
 * shrinker) holds cs->lock, bracketed by these two.
 */
static inline u64 cs_work_begin(void)
{
	lockdep_assert_held(&cs->lock);
	return ktime_get_ns();
}

static inline void cs_work_end(u64 t0)
{
	cs->work_ns += ktime_get_ns() - t0;
}

static inline u64 cs_cpu_ns(void)
{
	lockdep_assert_held(&cs->lock);
	return cs->work_ns +
	       (cs->scanner ? READ_ONCE(cs->scanner->se.sum_exec_runtime) : 0);
}

/*
 * Has the scanner run a pass now (a knob changed, refused free pages fit).
 * Lock held: the scanner exists from the end of cs_init() to the start of
 * cs_exit() only, and sysfs and the pool's refill live longer than that.
 */
static inline void cs_scanner_wake(void)
{
	lockdep_assert_held(&cs->lock);
	if (cs->scanner)
		wake_up_process(cs->scanner);
}

/* sysfs.c */
int cs_sysfs_init(void);
void cs_sysfs_exit(void);

/* collect_kernel.c: kernel text and rodata, as pfn ranges. */
void cs_collect_kernel(void);
unsigned long cs_ram_end_pfn(void);
/* The System RAM pfn range [*start, *end) holding pfn, or the next one. */
bool cs_ram_range(unsigned long pfn, unsigned long *start, unsigned long *end);
/* Calls fn for each 4 KiB page mapped in [start, end) of kernel space. */
void cs_walk_kernel_range(unsigned long start, unsigned long end,
			  void (*fn)(unsigned long pfn, pte_t pte));

/* collect_process.c: page cache of executable file mappings. */
void cs_collect_process(unsigned long budget);
void cs_collect_process_exit(void);

/* collect_memory.c: in-use pages that are file page cache or all zero. */
void cs_collect_memory(unsigned long budget);
void cs_collect_memory_exit(void);

/* free_report.c: free pages, through free page reporting. */
int cs_free_report_init(void);
void cs_free_report_exit(void);

/* submit.c: one page of a class; flushes full batches.  Lock held. */
void cs_submit(unsigned int cls, unsigned long pfn);
/*
 * Sends every class's batch.  Returns the hints repayment refused since
 * the last call (the pool did not cover them): the pool's deficit has grown
 * by as much, for its next refill.
 */
u64 cs_submit_flush(void);
int cs_unhint_all(void);
int cs_hyp_version(struct xen_coshare_version *v);
int cs_hyp_batch(u8 op, unsigned int cls, xen_coshare_entry_t *ents, u32 nr);
/*
 * Whether Xen ran entry e of a batch that returned rc and it is done:
 * unless the results were lost (-EFAULT), the entries a batch ran keep
 * them even when it failed midway (a restarted batch that dom0 stopped).
 */
static inline bool cs_entry_done(int rc, const xen_coshare_entry_t *e)
{
	return rc != -EFAULT && e->result == XEN_COSHARE_RES_DONE;
}
int cs_hyp_stats(xen_coshare_stats_t *st);

/* fingerprint.c */
int cs_fp_init(void);
void cs_fp_exit(void);
/* Records pfn's fingerprint; false if the page cannot be read now (it
 * is on its way out: not worth a hint). */
bool cs_fp_record(unsigned int cls, unsigned long pfn);
ssize_t cs_fp_read(char *buf, loff_t off, size_t count);

/* volatile.c: the repayment pool (Xen mode only). */
int cs_volatile_init(void);
void cs_volatile_exit(void);
void cs_volatile_balance(void);
/* free_report.c: free pages refused earlier are offered again soon (the
 * scanner calls it when the pool says cs->reoffer_free). */
void cs_free_report_poke(void);
/* Refills the pool soon, from a work item (callers may hold cs->lock). */
void cs_volatile_kick(void);

#endif /* COSHARE_MODULE_H */
