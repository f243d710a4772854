// SPDX-License-Identifier: GPL-2.0
/*
 * collect_kernel.c - kernel text and rodata, found as the "Kernel code" and
 * "Kernel rodata" resources x86 registers under System RAM at boot (the
 * section symbols are not exported to modules).  These resources are
 * created once at boot and never change, so reading the tree without
 * resource_lock (not exported either) is safe.
 *
 * Loaded modules' text and rodata are the read-only pages mapped in the
 * module area: executable ones are text, the others rodata.  A module
 * unloading meanwhile can only make a hint name a page whose content
 * changed, which the hypervisor's own compare and copy-on-write make
 * harmless.
 *
 * Also the helpers other collectors share for the same tables: the
 * System RAM ranges, and a walk over mapped kernel address ranges.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched.h>

#include "coshare_module.h"

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

static bool cs_is_system_ram(const struct resource *r)
{
	return r->name && !strcmp(r->name, "System RAM");
}

unsigned long cs_ram_end_pfn(void)
{
	const struct resource *r;
	unsigned long end = 0;

	for (r = iomem_resource.child; r; r = r->sibling)
		if (cs_is_system_ram(r))
			end = max_t(unsigned long, end, PFN_UP(r->end + 1));
	return end;
}

bool cs_ram_range(unsigned long pfn, unsigned long *start, unsigned long *end)
{
	const struct resource *r;
	bool found = false;

	for (r = iomem_resource.child; r; r = r->sibling) {
		unsigned long s = PFN_UP(r->start), e = PFN_DOWN(r->end + 1);

		if (!cs_is_system_ram(r) || e <= max(s, pfn))
			continue;
		s = max(s, pfn);
		if (!found || s < *start) {
			*start = s;
			*end = e;
			found = true;
		}
	}
	return found;
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

/*
 * How far the walk may skip from addr: the mapping's size when lookup_address
 * found one, else the size of the empty entry one level below the deepest
 * present one it reports.
 */
static unsigned long cs_walk_step(const pte_t *pte, unsigned int level)
{
	switch (level) {
	case PG_LEVEL_NONE:
		return P4D_SIZE;
	case PG_LEVEL_512G:
		return PUD_SIZE;
	case PG_LEVEL_1G:
		return pte ? PUD_SIZE : PMD_SIZE;
	case PG_LEVEL_2M:
		return PMD_SIZE;
	default:
		return PAGE_SIZE;
	}
}

void cs_walk_kernel_range(unsigned long start, unsigned long end,
			  void (*fn)(unsigned long pfn, pte_t pte))
{
	unsigned long addr = start;

	while (addr < end) {
		unsigned int level;
		pte_t *pte = lookup_address(addr, &level);
		unsigned long step = cs_walk_step(pte, level);
		unsigned long next = ALIGN_DOWN(addr, step) + step;

		if (pte && level == PG_LEVEL_4K && pte_present(*pte))
			fn(pte_pfn(*pte), *pte);
		if (next <= addr)	/* wrapped past the top */
			break;
		addr = next;
		cond_resched();
	}
}

static void cs_module_page(unsigned long pfn, pte_t pte)
{
	bool text = pte_exec(pte);
	unsigned int cls = text ? XEN_COSHARE_CLASS_KERNEL_TEXT :
				  XEN_COSHARE_CLASS_KERNEL_RODATA;

	if (!pte_write(pte) &&
	    cs->knob[text ? CS_KNOB_HINT_KERNEL_TEXT : CS_KNOB_HINT_KERNEL_RODATA])
		cs_submit(cls, pfn);
}

void cs_collect_kernel(void)
{
	if (cs->knob[CS_KNOB_HINT_KERNEL_TEXT])
		cs_collect_range("Kernel code", XEN_COSHARE_CLASS_KERNEL_TEXT);
	if (cs->knob[CS_KNOB_HINT_KERNEL_RODATA])
		cs_collect_range("Kernel rodata",
				 XEN_COSHARE_CLASS_KERNEL_RODATA);
	cs_walk_kernel_range(MODULES_VADDR, MODULES_END, cs_module_page);
}
