// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs.c - /sys/kernel/mm/coshare/, in KSM's style: one value per file.
 * Knobs come from the portable knob table (bad writes return -EINVAL and
 * change nothing); counters are per class and global; mode is read-only;
 * fingerprints is a binary file of struct cs_fingerprint records.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "coshare_module.h"

/*
 * Counters: one read-only file each, declared by name as KSM declares its
 * attributes, so that grep finds every file.  Per-class counters are
 * <counter>_<class>, in the classes' XEN_COSHARE_CLASS_* order.
 */
#define CS_COUNTER(_name, _value)					\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	u64 v;								\
									\
	mutex_lock(&cs->lock);						\
	v = (_value);							\
	mutex_unlock(&cs->lock);					\
	return sysfs_emit(buf, "%llu\n", v);				\
}									\
static struct kobj_attribute _name##_attr = __ATTR_RO(_name)

#define KT XEN_COSHARE_CLASS_KERNEL_TEXT
#define KR XEN_COSHARE_CLASS_KERNEL_RODATA
#define PT XEN_COSHARE_CLASS_PROCESS_TEXT
#define FR XEN_COSHARE_CLASS_ZERO
#define IU XEN_COSHARE_CLASS_IN_USE
CS_COUNTER(hinted_kernel_text, cs->c.hinted[KT]);
CS_COUNTER(hinted_kernel_rodata, cs->c.hinted[KR]);
CS_COUNTER(hinted_process_text, cs->c.hinted[PT]);
CS_COUNTER(hinted_free, cs->c.hinted[FR]);
CS_COUNTER(hinted_in_use, cs->c.hinted[IU]);
CS_COUNTER(shared_kernel_text, cs->c.shared[KT]);
CS_COUNTER(shared_kernel_rodata, cs->c.shared[KR]);
CS_COUNTER(shared_process_text, cs->c.shared[PT]);
CS_COUNTER(shared_free, cs->c.shared[FR]);
CS_COUNTER(shared_in_use, cs->c.shared[IU]);
CS_COUNTER(inserted_kernel_text, cs->c.inserted[KT]);
CS_COUNTER(inserted_kernel_rodata, cs->c.inserted[KR]);
CS_COUNTER(inserted_process_text, cs->c.inserted[PT]);
CS_COUNTER(inserted_free, cs->c.inserted[FR]);
CS_COUNTER(inserted_in_use, cs->c.inserted[IU]);
CS_COUNTER(skipped_kernel_text, cs->c.skipped[KT]);
CS_COUNTER(skipped_kernel_rodata, cs->c.skipped[KR]);
CS_COUNTER(skipped_process_text, cs->c.skipped[PT]);
CS_COUNTER(skipped_free, cs->c.skipped[FR]);
CS_COUNTER(skipped_in_use, cs->c.skipped[IU]);
CS_COUNTER(errors_kernel_text, cs->c.errors[KT]);
CS_COUNTER(errors_kernel_rodata, cs->c.errors[KR]);
CS_COUNTER(errors_process_text, cs->c.errors[PT]);
CS_COUNTER(errors_free, cs->c.errors[FR]);
CS_COUNTER(errors_in_use, cs->c.errors[IU]);
#undef KT
#undef KR
#undef PT
#undef FR
#undef IU
CS_COUNTER(backed_off, cs->c.backed_off);
CS_COUNTER(unshared_seen, cs->c.unshared_seen);
CS_COUNTER(hypercall_errors, cs->c.hypercall_errors);
CS_COUNTER(full_scans, cs->c.full_scans);
CS_COUNTER(need_volatile, cs->c.need_volatile);
CS_COUNTER(not_allowed, cs->c.not_allowed);
CS_COUNTER(cow_faults, cs->hv_cow_faults);
CS_COUNTER(fifo_depth, cs->fifo.len);
CS_COUNTER(fifo_orphans, cs->fifo.orphans);
CS_COUNTER(bonus, cs->fifo.bonus);
CS_COUNTER(reclaimed, cs->fifo.reclaimed);
CS_COUNTER(notifications, READ_ONCE(cs->notifications));
CS_COUNTER(refill_stalls, cs->refill_stalls);
CS_COUNTER(given_back, cs->given_back);
CS_COUNTER(cpu_us, div_u64(cs_cpu_ns(), NSEC_PER_USEC));

static ssize_t mode_show(struct kobject *kobj, struct kobj_attribute *ka,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  cs->mode == CS_MODE_XEN ? "xen" : "estimate");
}
static struct kobj_attribute mode_attr = __ATTR_RO(mode);

static struct attribute *cs_counter_attrs[] = {
	&hinted_kernel_text_attr.attr,
	&hinted_kernel_rodata_attr.attr,
	&hinted_process_text_attr.attr,
	&hinted_free_attr.attr,
	&hinted_in_use_attr.attr,
	&shared_kernel_text_attr.attr,
	&shared_kernel_rodata_attr.attr,
	&shared_process_text_attr.attr,
	&shared_free_attr.attr,
	&shared_in_use_attr.attr,
	&inserted_kernel_text_attr.attr,
	&inserted_kernel_rodata_attr.attr,
	&inserted_process_text_attr.attr,
	&inserted_free_attr.attr,
	&inserted_in_use_attr.attr,
	&skipped_kernel_text_attr.attr,
	&skipped_kernel_rodata_attr.attr,
	&skipped_process_text_attr.attr,
	&skipped_free_attr.attr,
	&skipped_in_use_attr.attr,
	&errors_kernel_text_attr.attr,
	&errors_kernel_rodata_attr.attr,
	&errors_process_text_attr.attr,
	&errors_free_attr.attr,
	&errors_in_use_attr.attr,
	&backed_off_attr.attr,
	&unshared_seen_attr.attr,
	&hypercall_errors_attr.attr,
	&full_scans_attr.attr,
	&need_volatile_attr.attr,
	&not_allowed_attr.attr,
	&cow_faults_attr.attr,
	&fifo_depth_attr.attr,
	&fifo_orphans_attr.attr,
	&bonus_attr.attr,
	&reclaimed_attr.attr,
	&notifications_attr.attr,
	&refill_stalls_attr.attr,
	&given_back_attr.attr,
	&cpu_us_attr.attr,
	&mode_attr.attr,
	NULL,
};

/* Knobs: one read-write file per entry of the portable knob table. */
struct cs_knob_attr {
	struct kobj_attribute ka;
	unsigned int knob;		/* CS_KNOB_* */
};

static struct cs_knob_attr cs_knob_attrs[CS_KNOB_NR];
static struct attribute *cs_knob_attr_ptrs[CS_KNOB_NR + 1];

static ssize_t cs_knob_show(struct kobject *kobj, struct kobj_attribute *ka,
			    char *buf)
{
	struct cs_knob_attr *a = container_of(ka, struct cs_knob_attr, ka);
	u64 v;

	mutex_lock(&cs->lock);
	v = cs->knob[a->knob];
	mutex_unlock(&cs->lock);
	return sysfs_emit(buf, "%llu\n", v);
}

static ssize_t cs_knob_store(struct kobject *kobj, struct kobj_attribute *ka,
			     const char *buf, size_t count)
{
	struct cs_knob_attr *a = container_of(ka, struct cs_knob_attr, ka);
	u64 v, old;
	int rc = cs_knob_parse(a->knob, buf, count, &v);

	if (rc)
		return rc;
	mutex_lock(&cs->lock);
	old = cs->knob[a->knob];
	cs->knob[a->knob] = v;
	if (a->knob == CS_KNOB_RUN && v)
		cs_scanner_wake();
	mutex_unlock(&cs->lock);
	/*
	 * Free page reporting idles after a round it could not hint (run off,
	 * or hint_free off): have it offer the free blocks again now.
	 */
	if ((a->knob == CS_KNOB_RUN || a->knob == CS_KNOB_HINT_FREE) &&
	    v == 1 && old != 1)
		cs_free_report_poke();
	return count;
}

static ssize_t fingerprints_read(struct file *f, struct kobject *kobj,
				 struct bin_attribute *ba, char *buf,
				 loff_t off, size_t count)
{
	ssize_t rc;

	mutex_lock(&cs->lock);
	rc = cs_fp_read(buf, off, count);
	mutex_unlock(&cs->lock);
	return rc;
}
/* Root only: hashes of page cache and slab tell what this guest holds. */
static struct bin_attribute bin_attr_fingerprints =
	__BIN_ATTR(fingerprints, 0400, fingerprints_read, NULL, 0);

static struct bin_attribute *cs_bin_attrs[] = { &bin_attr_fingerprints, NULL };

static const struct attribute_group cs_knob_group = {
	.attrs = cs_knob_attr_ptrs,
};

static const struct attribute_group cs_counter_group = {
	.attrs = cs_counter_attrs,
	.bin_attrs = cs_bin_attrs,
};

static const struct attribute_group *cs_groups[] = {
	&cs_knob_group, &cs_counter_group, NULL,
};

int cs_sysfs_init(void)
{
	unsigned int k;
	int rc;

	for (k = 0; k < CS_KNOB_NR; k++) {
		struct cs_knob_attr *a = &cs_knob_attrs[k];

		sysfs_attr_init(&a->ka.attr);
		a->ka.attr.name = cs_knobs[k].name;
		a->ka.attr.mode = 0644;
		a->ka.show = cs_knob_show;
		a->ka.store = cs_knob_store;
		a->knob = k;
		cs_knob_attr_ptrs[k] = &a->ka.attr;
	}

	cs->kobj = kobject_create_and_add("coshare", mm_kobj);
	if (!cs->kobj)
		return -ENOMEM;
	rc = sysfs_create_groups(cs->kobj, cs_groups);
	if (rc)
		kobject_put(cs->kobj);
	return rc;
}

void cs_sysfs_exit(void)
{
	sysfs_remove_groups(cs->kobj, cs_groups);
	kobject_put(cs->kobj);
}
