// SPDX-License-Identifier: GPL-2.0
/*
 * fingerprint.c - the content hash and class of every page this guest
 * hinted (or, in estimate mode, would hint), one slot per pfn, exported
 * through sysfs so that a tool can measure sharing across guests offline.
 * The hash is the one the hypervisor's engine uses (cs_hash.c).
 *
 * A page is hashed from a copy made with copy_from_kernel_nofault(): the
 * direct map of a page can be invalid for a moment (module memory being
 * freed resets its permissions that way), and a plain read would oops.
 */
#include <linux/mm.h>
#include <linux/page_ref.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "coshare_module.h"
#include "cs_hash.h"

/* The copy of the page being hashed (cs->lock held). */
static void *cs_fp_copy;

int cs_fp_init(void)
{
	unsigned long pfn;

	cs->fp = vmalloc(array_size(cs->max_pfn, sizeof(*cs->fp)));
	cs_fp_copy = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!cs->fp || !cs_fp_copy) {
		cs_fp_exit();
		return -ENOMEM;
	}
	for (pfn = 0; pfn < cs->max_pfn; pfn++)
		cs->fp[pfn] = (struct cs_fingerprint){ .cls = CS_FP_NONE };
	return 0;
}

void cs_fp_exit(void)
{
	vfree(cs->fp);
	kfree(cs_fp_copy);
	cs->fp = NULL;
	cs_fp_copy = NULL;
}

bool cs_fp_record(unsigned int cls, unsigned long pfn)
{
	struct cs_fingerprint *f;

	if (pfn >= cs->max_pfn || !pfn_valid(pfn))
		return false;
	f = &cs->fp[pfn];
	f->flags = 0;
	if (cls == XEN_COSHARE_CLASS_ZERO) {
		f->cls = cls;
		f->hash = 0;	/* content is void; readers treat it as zero */
		return true;
	}
	if (copy_from_kernel_nofault(cs_fp_copy, page_address(pfn_to_page(pfn)),
				     PAGE_SIZE)) {
		f->cls = CS_FP_NONE;
		return false;
	}
	f->cls = cls;
	f->hash = cs_hash_page(cs_fp_copy);
	return true;
}

/* A free page reported earlier and allocated since is no longer free. */
static bool cs_fp_stale(unsigned long pfn)
{
	return cs->fp[pfn].cls == XEN_COSHARE_CLASS_ZERO &&
	       page_ref_count(pfn_to_page(pfn)) != 0;
}

/*
 * The records present, in pfn order, as a flat array of
 * struct cs_fingerprint; off counts bytes of that array.
 */
ssize_t cs_fp_read(char *buf, loff_t off, size_t count)
{
	const size_t rec = sizeof(struct cs_fingerprint);
	loff_t skip = off / rec;
	unsigned long pfn;
	size_t done = 0;

	if (off % rec || count < rec)
		return -EINVAL;
	for (pfn = 0; pfn < cs->max_pfn && done + rec <= count; pfn++) {
		if (cs_fp_stale(pfn))
			cs->fp[pfn].cls = CS_FP_NONE;
		if (cs->fp[pfn].cls == CS_FP_NONE)
			continue;
		if (skip) {
			skip--;
			continue;
		}
		memcpy(buf + done, &cs->fp[pfn], rec);
		done += rec;
	}
	return done;
}
