/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kernel_tables.h - the kernel's own page tables, which the CPU and Xen
 * write behind the kernel's back.  Built into coshare.ko (the in-use walk
 * never hints them) and into the test probe (which checks that it does not).
 */
#ifndef COSHARE_KERNEL_TABLES_H
#define COSHARE_KERNEL_TABLES_H

#include <linux/types.h>

/*
 * Calls fn(pfn, arg) for the top-level table the CPU runs on now and for
 * every table below the kernel half of it.
 */
void cs_kernel_tables(void (*fn)(unsigned long pfn, void *arg), void *arg);

/* Whether the page at va is a top-level table: any process's, or the boot
 * one (swapper_pg_dir), which no flag marks. */
bool cs_is_top_level_table(const void *va);

#endif /* COSHARE_KERNEL_TABLES_H */
