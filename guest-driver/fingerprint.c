// SPDX-License-Identifier: GPL-2.0
/*
 * fingerprint.c - the content hash and class of every page this guest
 * hinted (or, in estimate mode, would hint), one slot per pfn, exported
 * through sysfs so that a tool can measure sharing across guests offline.
 * The hash is the one the hypervisor's engine uses (cs_hash.c).
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/page_ref.h>
#include <linux/vmalloc.h>

#include "coshare.h"
#include "cs_hash.h"

int cs_fp_init(void)
{
	unsigned long pfn;

	cs->fp = vmalloc(array_size(cs->max_pfn, sizeof(*cs->fp)));
	if (!cs->fp)
		return -ENOMEM;
	for (pfn = 0; pfn < cs->max_pfn; pfn++)
		cs->fp[pfn] = (struct cs_fingerprint){ .cls = CS_FP_NONE };
	return 0;
}

void cs_fp_exit(void)
{
	vfree(cs->fp);
	cs->fp = NULL;
}

void cs_fp_record(unsigned int cls, unsigned long pfn)
{
	struct cs_fingerprint *f;
	void *va;

	if (pfn >= cs->max_pfn || !pfn_valid(pfn))
		return;
	f = &cs->fp[pfn];
	f->cls = cls;
	f->flags = 0;
	if (cls == XEN_COSHARE_CLASS_ZERO) {
		f->hash = 0;	/* content is void; readers treat it as zero */
		return;
	}
	va = kmap_local_page(pfn_to_page(pfn));
	f->hash = cs_hash_page(va);
	kunmap_local(va);
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
