// SPDX-License-Identifier: GPL-2.0
/*
 * collect_memory.c - in-use pages other guests likely hold too: file page
 * cache (initramfs and tmpfs files, data files) and pages that are all zero
 * (allocated but not written since they were zeroed).  With hint_in_use=2
 * (the default), also slab and reserved pages (kernel image, boot
 * allocations).  A walk over System RAM, in_use_pages_to_scan pfns per
 * scan, resuming where it stopped.
 *
 * Such pages may be written at any moment, so they go in the in-use class:
 * the hypervisor makes each read-only before it reads it.  The walk reads
 * page flags without taking references; a page freed or reused meanwhile
 * only makes a hint pointless, never wrong.  It reads a page's content
 * only through copy_from_kernel_nofault(): the direct map of a page can be
 * invalid for a moment (module memory being freed resets its permissions
 * that way), and a plain read of it would oops.  Free pages are free page
 * reporting's; offline pages (ballooned, or in this module's volatile pool,
 * whose memory Xen may have taken) and hwpoisoned pages are never read.
 * A page this guest saw shared is hinted again only every
 * CS_REHINT_PASSES passes: it is most likely still shared.  Pages the text
 * collectors hinted (their fingerprint says so) are theirs.
 *
 * Never hinted, because they are written so often, or in such a way, that
 * a copy-on-write fault would hurt: page tables (the kernel edits them and
 * Xen and the CPU set their accessed and dirty bits on every walk: the
 * PageTable pages, and the kernel's own tables and every top-level table,
 * which kernel_tables.c finds anew each pass), this module's hypercall
 * buffers (Xen writes each result there), the pages behind the CPU entry
 * area (IDT, GDT, TSS, entry and exception stacks) and the boot CPU's idle
 * stack, which the CPU writes while it delivers an interrupt.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/sched/task.h>
#include <linux/page-flags.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <asm/cpu_entry_area.h>

#include "coshare_module.h"
#include "kernel_tables.h"

#define CS_REHINT_PASSES 8

static struct {
	unsigned long pfn;	/* next pfn to look at */
	u32 pass;		/* full passes started */
	struct cs_bitmap never;	/* pfns never hinted (see above) */
	struct cs_bitmap tables;	/* the kernel's page tables, this pass */
} walk;

static void cs_never_hint(unsigned long pfn, pte_t pte)
{
	if (pfn < walk.never.bits)
		cs_bitmap_assign(&walk.never, pfn, true);
}

/* A buffer Xen writes: from the direct map or vmalloc. */
static void cs_never_hint_buffer(const void *buf, size_t len)
{
	const char *p = PTR_ALIGN_DOWN((const char *)buf, PAGE_SIZE);

	for (; p < (const char *)buf + len; p += PAGE_SIZE)
		cs_never_hint(is_vmalloc_addr(p) ? vmalloc_to_pfn(p) :
						   PHYS_PFN(__pa(p)), __pte(0));
}

static void cs_table_found(unsigned long pfn, void *unused)
{
	if (pfn < walk.tables.bits)
		cs_bitmap_assign(&walk.tables, pfn, true);
}

/* At the start of each pass: the tables may have moved since the last. */
static void cs_find_tables(void)
{
	memset(walk.tables.words, 0, DIV_ROUND_UP(walk.tables.bits, 64) * 8);
	cs_kernel_tables(cs_table_found, NULL);
}

static int cs_walk_init(void)
{
	size_t bytes = DIV_ROUND_UP(cs->max_pfn, 64) * 8;

	walk.never.bits = walk.tables.bits = cs->max_pfn;
	walk.never.words = vzalloc(bytes);
	walk.tables.words = vzalloc(bytes);
	if (!walk.never.words || !walk.tables.words) {
		cs_collect_memory_exit();
		return -ENOMEM;
	}
	cs_walk_kernel_range(CPU_ENTRY_AREA_BASE,
			     CPU_ENTRY_AREA_BASE + CPU_ENTRY_AREA_MAP_SIZE,
			     cs_never_hint);
	cs_walk_kernel_range((unsigned long)init_task.stack,
			     (unsigned long)init_task.stack + THREAD_SIZE,
			     cs_never_hint);
	cs_never_hint_buffer(cs, sizeof(*cs));
	cs_never_hint_buffer(cs->batch,
			     XEN_COSHARE_CLASS_NR * sizeof(*cs->batch));
	cs_never_hint_buffer(cs->op_batch, sizeof(*cs->op_batch));
	return 0;
}

void cs_collect_memory_exit(void)
{
	vfree(walk.never.words);
	vfree(walk.tables.words);
	walk.never.words = walk.tables.words = NULL;
}

/* All zero, and readable: see above. */
static bool cs_page_is_zero(struct page *page)
{
	const char *va = page_address(page);
	u64 chunk[32];
	unsigned int off;

	for (off = 0; off < PAGE_SIZE; off += sizeof(chunk))
		if (copy_from_kernel_nofault(chunk, va + off, sizeof(chunk)) ||
		    memchr_inv(chunk, 0, sizeof(chunk)))
			return false;
	return true;
}

static bool cs_text_collectors_page(unsigned long pfn)
{
	u32 cls = cs->fp[pfn].cls;

	return cls == XEN_COSHARE_CLASS_KERNEL_TEXT ||
	       cls == XEN_COSHARE_CLASS_KERNEL_RODATA ||
	       cls == XEN_COSHARE_CLASS_PROCESS_TEXT;
}

static bool cs_in_use_candidate(struct page *page, bool all)
{
	if (PageBuddy(page) || PageOffline(page) || PageHWPoison(page) ||
	    PageTable(page) || !page_count(page))
		return false;
	/* Page cache, shmem and ramfs included; not process memory. */
	if (PageLRU(page) && !PageAnon(page))
		return true;
	/* Kernel memory of known kinds; not vmalloc (stacks among it). */
	if (all && (PageSlab(page) || PageReserved(page)))
		return !cs_is_top_level_table(page_address(page));
	return cs_page_is_zero(page);
}

void cs_collect_memory(unsigned long budget)
{
	bool rehint = walk.pass % CS_REHINT_PASSES == 0;
	bool all = cs->knob[CS_KNOB_HINT_IN_USE] == 2;

	if (!cs->knob[CS_KNOB_HINT_IN_USE] ||
	    (!walk.never.words && cs_walk_init()))
		return;
	if (!walk.pfn)
		cs_find_tables();
	while (budget) {
		unsigned long pfn, end;

		if (!cs_ram_range(walk.pfn, &pfn, &end) || pfn >= cs->max_pfn) {
			walk.pfn = 0;
			walk.pass++;
			return;
		}
		end = min3(end, cs->max_pfn, pfn + budget);
		budget -= end - pfn;
		for (; pfn < end; pfn++) {
			struct page *page = pfn_to_online_page(pfn);

			if (page && !cs_bitmap_test(&walk.never, pfn) &&
			    !cs_bitmap_test(&walk.tables, pfn) &&
			    !cs_text_collectors_page(pfn) &&
			    (rehint || !cs_bitmap_test(&cs->shared, pfn)) &&
			    cs_in_use_candidate(page, all))
				cs_submit(XEN_COSHARE_CLASS_IN_USE, pfn);
			if (!(pfn & 1023))
				cond_resched();
		}
		walk.pfn = end;
	}
}
