// SPDX-License-Identifier: GPL-2.0
/*
 * collect_kernel.c - kernel text and rodata, found as the "Kernel code" and
 * "Kernel rodata" resources x86 registers under System RAM at boot (the
 * section symbols are not exported to modules).  These resources are
 * created once at boot and never change, so reading the tree without
 * resource_lock (not exported either) is safe.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioport.h>
#include <linux/mm.h>

#include "coshare.h"

static const struct resource *cs_find_resource(const struct resource *parent,
					       const char *name)
{
	const struct resource *r, *found;

	for (r = parent->child; r; r = r->sibling) {
		if (r->name && !strcmp(r->name, name))
			return r;
		found = cs_find_resource(r, name);
		if (found)
			return found;
	}
	return NULL;
}

unsigned long cs_ram_end_pfn(void)
{
	const struct resource *r;
	unsigned long end = 0;

	for (r = iomem_resource.child; r; r = r->sibling)
		if (r->name && !strcmp(r->name, "System RAM"))
			end = max_t(unsigned long, end, PFN_UP(r->end + 1));
	return end;
}

static void cs_collect_range(const char *name, unsigned int cls)
{
	const struct resource *r = cs_find_resource(&iomem_resource, name);
	unsigned long pfn;

	if (!r) {
		pr_warn_once("no \"%s\" resource: %s not hinted\n", name,
			     cs_class_names[cls]);
		return;
	}
	for (pfn = PFN_UP(r->start); pfn < PFN_DOWN(r->end + 1); pfn++)
		cs_submit(cls, pfn);
}

void cs_collect_kernel(void)
{
	if (cs->knob[CS_KNOB_HINT_KERNEL_TEXT])
		cs_collect_range("Kernel code", XEN_COSHARE_CLASS_KERNEL_TEXT);
	if (cs->knob[CS_KNOB_HINT_KERNEL_RODATA])
		cs_collect_range("Kernel rodata",
				 XEN_COSHARE_CLASS_KERNEL_RODATA);
}
