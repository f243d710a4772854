/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * cs_policy.h - the guest's policy, independent of the kernel: the sysfs
 * knobs and their validation, the counters, batching of hints per class,
 * accounting of per-entry results, and backoff for pages that writes keep
 * unsharing.  Compiled into coshare.ko and into the userspace tests.
 */
#ifndef COSHARE_CS_POLICY_H
#define COSHARE_CS_POLICY_H

#include "cs_port.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Hint classes are the ABI's XEN_COSHARE_CLASS_*; their sysfs names. */
extern const char *const cs_class_names[XEN_COSHARE_CLASS_NR];

/* Knobs: one value per sysfs file, as KSM does. */
enum cs_knob {
	CS_KNOB_RUN,			/* 0 stop, 1 hint, 2 unhint all */
	CS_KNOB_HINT_KERNEL_TEXT,
	CS_KNOB_HINT_KERNEL_RODATA,
	CS_KNOB_HINT_PROCESS_TEXT,
	CS_KNOB_HINT_FREE,
	CS_KNOB_HINT_IN_USE,
	CS_KNOB_PAGES_TO_SCAN,
	CS_KNOB_IN_USE_PAGES_TO_SCAN,
	CS_KNOB_SLEEP_MILLISECS,
	CS_KNOB_BATCH_SIZE,
	CS_KNOB_FIFO_SLACK,
	CS_KNOB_REPAY_PERCENT,
	CS_KNOB_NR
};

struct cs_knob_desc {
	const char *name;
	u64 min, max, def;
	const char *help;
};

extern const struct cs_knob_desc cs_knobs[CS_KNOB_NR];

/*
 * Parses a sysfs write for knob k: a decimal number, optionally followed
 * by one newline, within the knob's range.  -EINVAL otherwise.
 */
int cs_knob_parse(enum cs_knob k, const char *buf, size_t len, u64 *out);

/* Counters, one value per sysfs file. */
struct cs_counters {
	u64 hinted[XEN_COSHARE_CLASS_NR];
	u64 shared[XEN_COSHARE_CLASS_NR];
	u64 inserted[XEN_COSHARE_CLASS_NR];
	u64 skipped[XEN_COSHARE_CLASS_NR];
	u64 errors[XEN_COSHARE_CLASS_NR];	/* entries the hypervisor refused */
	u64 backed_off;			/* hints withheld by backoff */
	u64 unshared_seen;		/* re-hints that found a page unshared */
	u64 need_volatile;		/* refused: the FIFO did not cover them */
	u64 not_allowed;		/* withheld: dom0 does not allow the class */
	u64 hypercall_errors;
	u64 full_scans;
};

/* A batch being filled for one class. */
struct cs_batch {
	u32 nr;
	xen_coshare_entry_t ents[XEN_COSHARE_BATCH_MAX];
};

/* Adds gfn; true when the batch holds batch_size entries (flush it). */
bool cs_batch_add(struct cs_batch *b, u64 gfn, u32 batch_size);

/*
 * Backoff: a page that keeps being unshared by writes is hinted again
 * only after 2, 4, 8, ... scans (up to 2^CS_BACKOFF_MAX_LEVEL).  A fixed,
 * direct-mapped table: a page that lands on an occupied slot replaces it.
 */
#define CS_BACKOFF_SLOTS	4096
#define CS_BACKOFF_MAX_LEVEL	10

struct cs_backoff {
	struct {
		u64 gfn;
		u32 until;	/* scan number when it may be hinted again */
		u8 level;	/* 0: slot empty */
	} slot[CS_BACKOFF_SLOTS];
};

bool cs_backoff_skip(const struct cs_backoff *bo, u64 gfn, u32 scan);
void cs_backoff_unshared(struct cs_backoff *bo, u64 gfn, u32 scan);

/* One bit per gfn: shared when this guest last hinted it. */
struct cs_bitmap {
	u64 *words;
	u64 bits;
};

bool cs_bitmap_test(const struct cs_bitmap *b, u64 bit);
void cs_bitmap_assign(struct cs_bitmap *b, u64 bit, bool value);

/*
 * Accounts a processed batch of class cls; entries the op stopped before
 * (RES_PENDING) are left out.  A gfn this guest saw shared before that
 * comes back shared or inserted (not "already shared") was unshared by a
 * write in between: it backs off.
 */
void cs_account_batch(struct cs_counters *c, struct cs_backoff *bo,
		      struct cs_bitmap *shared, unsigned int cls,
		      const xen_coshare_entry_t *ents, u32 nr, u32 scan);

/*
 * What dom0's settings (the guest's stats: flags, group) leave the guest
 * unable to do, for its log: the message to print now, once per change of
 * *said, or NULL.
 */
const char *cs_settings_notice(u32 *said, u32 flags, u32 group);

#ifdef __cplusplus
}
#endif

#endif /* COSHARE_CS_POLICY_H */
