// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs.c - /sys/kernel/mm/coshare/, in KSM's style: one value per file.
 * Knobs come from the portable knob table (bad writes return -EINVAL and
 * change nothing); counters are per class and global; mode is read-only;
 * fingerprints is a binary file of struct cs_fingerprint records.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "coshare_module.h"

enum cs_attr_kind { CS_ATTR_KNOB, CS_ATTR_CLASS, CS_ATTR_GLOBAL };

/* Per-class counters, in struct cs_counters order. */
static const char *const cs_class_counters[] = {
	"hinted", "shared", "inserted", "skipped", "errors",
};

enum cs_global {
	CS_G_BACKED_OFF, CS_G_UNSHARED_SEEN, CS_G_HYPERCALL_ERRORS,
	CS_G_FULL_SCANS, CS_G_COW_FAULTS, CS_G_FIFO_DEPTH, CS_G_BONUS,
	CS_G_RECLAIMED, CS_G_NOTIFICATIONS, CS_G_REFILL_STALLS,
	CS_G_NEED_VOLATILE, CS_G_NR
};

static const char *const cs_global_names[CS_G_NR] = {
	"backed_off", "unshared_seen", "hypercall_errors", "full_scans",
	"cow_faults", "fifo_depth", "bonus", "reclaimed", "notifications",
	"refill_stalls", "need_volatile",
};

struct cs_attr {
	struct kobj_attribute ka;
	enum cs_attr_kind kind;
	unsigned int idx, cls;
};

#define CS_NR_ATTRS (CS_KNOB_NR + ARRAY_SIZE(cs_class_counters) * \
		     XEN_COSHARE_CLASS_NR + CS_G_NR)

static struct cs_attr *cs_attrs;
static struct attribute *cs_attr_ptrs[CS_NR_ATTRS + 2];
static struct attribute_group cs_group = { .attrs = cs_attr_ptrs };

static u64 cs_global_value(unsigned int idx)
{
	switch (idx) {
	case CS_G_BACKED_OFF:
		return cs->c.backed_off;
	case CS_G_UNSHARED_SEEN:
		return cs->c.unshared_seen;
	case CS_G_HYPERCALL_ERRORS:
		return cs->c.hypercall_errors;
	case CS_G_FULL_SCANS:
		return cs->c.full_scans;
	case CS_G_COW_FAULTS:
		return cs->hv_cow_faults;
	case CS_G_FIFO_DEPTH:
		return cs->fifo.len;
	case CS_G_BONUS:
		return cs->fifo.bonus;
	case CS_G_NOTIFICATIONS:
		return READ_ONCE(cs->notifications);
	case CS_G_REFILL_STALLS:
		return cs->refill_stalls;
	case CS_G_NEED_VOLATILE:
		return cs->c.need_volatile;
	default:
		return cs->fifo.reclaimed;
	}
}

static ssize_t cs_show(struct kobject *kobj, struct kobj_attribute *ka,
		       char *buf)
{
	struct cs_attr *a = container_of(ka, struct cs_attr, ka);
	const u64 *per_class[] = { cs->c.hinted, cs->c.shared, cs->c.inserted,
				   cs->c.skipped, cs->c.errors };
	u64 v;

	mutex_lock(&cs->lock);
	if (a->kind == CS_ATTR_KNOB)
		v = cs->knob[a->idx];
	else if (a->kind == CS_ATTR_CLASS)
		v = per_class[a->idx][a->cls];
	else
		v = cs_global_value(a->idx);
	mutex_unlock(&cs->lock);
	return sysfs_emit(buf, "%llu\n", v);
}

static ssize_t cs_store(struct kobject *kobj, struct kobj_attribute *ka,
			const char *buf, size_t count)
{
	struct cs_attr *a = container_of(ka, struct cs_attr, ka);
	u64 v, old;
	int rc = cs_knob_parse(a->idx, buf, count, &v);

	if (rc)
		return rc;
	mutex_lock(&cs->lock);
	old = cs->knob[a->idx];
	cs->knob[a->idx] = v;
	mutex_unlock(&cs->lock);
	if (a->idx == CS_KNOB_RUN && v)
		wake_up_process(cs->scanner);
	/*
	 * Free page reporting idles after a round it could not hint (run off,
	 * or hint_free off): have it offer the free blocks again now.
	 */
	if ((a->idx == CS_KNOB_RUN || a->idx == CS_KNOB_HINT_FREE) &&
	    v == 1 && old != 1)
		cs_free_report_poke();
	return count;
}

static ssize_t mode_show(struct kobject *kobj, struct kobj_attribute *ka,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  cs->mode == CS_MODE_XEN ? "xen" : "estimate");
}
static struct kobj_attribute cs_mode_attr = __ATTR_RO(mode);

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

static void cs_attr_set(struct cs_attr *a, const char *name, bool rw,
			enum cs_attr_kind kind, unsigned int idx,
			unsigned int cls)
{
	sysfs_attr_init(&a->ka.attr);
	a->ka.attr.name = name;
	a->ka.attr.mode = rw ? 0644 : 0444;
	a->ka.show = cs_show;
	a->ka.store = rw ? cs_store : NULL;
	a->kind = kind;
	a->idx = idx;
	a->cls = cls;
}

static void cs_free_names(void)
{
	unsigned int i;

	for (i = CS_KNOB_NR; cs_attrs && i < CS_NR_ATTRS; i++)
		kfree(cs_attrs[i].ka.attr.name);
	kfree(cs_attrs);
	cs_attrs = NULL;
}

int cs_sysfs_init(void)
{
	unsigned int i = 0, k, c;
	int rc = -ENOMEM;

	cs_attrs = kcalloc(CS_NR_ATTRS, sizeof(*cs_attrs), GFP_KERNEL);
	if (!cs_attrs)
		return -ENOMEM;
	for (k = 0; k < CS_KNOB_NR; k++, i++)
		cs_attr_set(&cs_attrs[i], cs_knobs[k].name, true,
			    CS_ATTR_KNOB, k, 0);
	for (k = 0; k < ARRAY_SIZE(cs_class_counters); k++)
		for (c = 0; c < XEN_COSHARE_CLASS_NR; c++, i++) {
			char *name = kasprintf(GFP_KERNEL, "%s_%s",
					       cs_class_counters[k],
					       cs_class_names[c]);

			if (!name)
				goto free;
			cs_attr_set(&cs_attrs[i], name, false, CS_ATTR_CLASS,
				    k, c);
		}
	for (k = 0; k < CS_G_NR; k++, i++) {
		char *name = kstrdup(cs_global_names[k], GFP_KERNEL);

		if (!name)
			goto free;
		cs_attr_set(&cs_attrs[i], name, false, CS_ATTR_GLOBAL, k, 0);
	}
	for (i = 0; i < CS_NR_ATTRS; i++)
		cs_attr_ptrs[i] = &cs_attrs[i].ka.attr;
	cs_attr_ptrs[i] = &cs_mode_attr.attr;
	cs_group.bin_attrs = cs_bin_attrs;

	cs->kobj = kobject_create_and_add("coshare", mm_kobj);
	if (!cs->kobj)
		goto free;
	rc = sysfs_create_group(cs->kobj, &cs_group);
	if (rc) {
		kobject_put(cs->kobj);
		goto free;
	}
	return 0;

free:
	cs_free_names();
	return rc;
}

void cs_sysfs_exit(void)
{
	sysfs_remove_group(cs->kobj, &cs_group);
	kobject_put(cs->kobj);
	cs_free_names();
}
