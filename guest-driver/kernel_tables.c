// SPDX-License-Identifier: GPL-2.0
/*
 * kernel_tables.c - finds the kernel's page tables by what they are, not by
 * a page flag: the boot-time tables (the early direct map built in .brk
 * and from memblock, the kernel image's own) are reserved pages without
 * PageTable, and the top-level tables of processes and of the boot
 * (swapper_pg_dir) carry no flag either.  Each is written by the CPU
 * (accessed and dirty bits on every walk) and by Xen (when it walks them
 * to copy hypercall arguments), so sharing one costs a copy-on-write fault
 * on the next walk.
 *
 * Every address space shares the kernel half of its top-level table with
 * every other (x86-64 copies those entries when it creates the table, and
 * they never change after boot), so the tables below it are reached from
 * whichever top-level table the CPU runs on, and a top-level table is a
 * page whose kernel half is that same half.  Tables of user memory below
 * the top level are either PageTable pages or, before 6.2, upper levels
 * allocated as plain pages: those are hinted only when all zero, and a
 * table with no present entry is never written by a walk.
 *
 * The walk reads without locks: kernel tables below the top level are
 * seldom freed (memory hot-remove, a huge ioremap over a table of PTEs),
 * and a page read just as it stops being a table is only kept from a hint.
 * So an entry is followed only to a page the kernel has (pfn_valid()): an
 * entry read as it changes, or one that is not what it seems, must never
 * make the walk read an address that is not memory.  A 6.1 guest's walk
 * read a top-level entry that pointed beyond all memory (physical address
 * 0x1000100000000) once, after its balloon had given memory back and
 * taken it again, and faulted; the walk now skips such an entry and says
 * so once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/uaccess.h>
#include <asm/tlbflush.h>

#include "kernel_tables.h"

typedef void (*cs_table_fn)(unsigned long pfn, void *arg);

/* The table an entry of the given level points to, if it is memory. */
static void *cs_table_at(unsigned long pfn, u64 entry, const char *level)
{
	if (likely(pfn_valid(pfn)))
		return pfn_to_kaddr(pfn);
	pr_warn_once("kernel %s entry %#llx points beyond memory: not followed\n",
		     level, entry);
	return NULL;
}

static void cs_walk_pmd(pmd_t *pmd, cs_table_fn fn, void *arg)
{
	unsigned int i;

	fn(PHYS_PFN(__pa(pmd)), arg);
	for (i = 0; i < PTRS_PER_PMD; i++) {
		pmd_t e = READ_ONCE(pmd[i]);

		if (pmd_present(e) && !pmd_leaf(e))
			fn(pmd_pfn(e), arg);		/* a table of PTEs */
	}
}

static void cs_walk_pud(pud_t *pud, cs_table_fn fn, void *arg)
{
	unsigned int i;

	fn(PHYS_PFN(__pa(pud)), arg);
	for (i = 0; i < PTRS_PER_PUD; i++) {
		pud_t e = READ_ONCE(pud[i]);

		if (pud_present(e) && !pud_leaf(e)) {
			pmd_t *pmd = cs_table_at(pud_pfn(e), pud_val(e), "pud");

			if (pmd)
				cs_walk_pmd(pmd, fn, arg);
		}
		cond_resched();
	}
}

static void cs_walk_p4d(p4d_t *p4d, cs_table_fn fn, void *arg)
{
	unsigned int i;

	fn(PHYS_PFN(__pa(p4d)), arg);
	for (i = 0; i < PTRS_PER_P4D; i++) {
		p4d_t e = READ_ONCE(p4d[i]);

		pud_t *pud;

		if (!p4d_present(e))
			continue;
		pud = cs_table_at(p4d_pfn(e), p4d_val(e), "p4d");
		if (pud)
			cs_walk_pud(pud, fn, arg);
	}
}

void cs_kernel_tables(cs_table_fn fn, void *arg)
{
	pgd_t *pgd = __va(read_cr3_pa());
	unsigned int i;

	fn(PHYS_PFN(read_cr3_pa()), arg);
	for (i = PTRS_PER_PGD / 2; i < PTRS_PER_PGD; i++) {
		pgd_t e = READ_ONCE(pgd[i]);
		void *next;

		if (!pgd_present(e))
			continue;
		next = cs_table_at(pgd_pfn(e), pgd_val(e), "pgd");
		if (!next)
			continue;
		if (pgtable_l5_enabled())
			cs_walk_p4d(next, fn, arg);
		else	/* the p4d level is folded into this one */
			cs_walk_pud(next, fn, arg);
	}
}

/*
 * Read with copy_from_kernel_nofault(): va's direct map may be invalid for
 * a moment (module memory being freed resets its permissions that way).
 */
bool cs_is_top_level_table(const void *va)
{
	const pgd_t *cur = __va(read_cr3_pa()), *pgd = va;
	unsigned int i = KERNEL_PGD_BOUNDARY;	/* not the per-process LDT slot */
	pgd_t chunk[32];

	for (; i < PTRS_PER_PGD; i += ARRAY_SIZE(chunk)) {
		unsigned int n = min_t(unsigned int, ARRAY_SIZE(chunk),
				       PTRS_PER_PGD - i);

		if (copy_from_kernel_nofault(chunk, pgd + i, n * sizeof(pgd_t)) ||
		    memcmp(chunk, cur + i, n * sizeof(pgd_t)))
			return false;
	}
	return true;
}
