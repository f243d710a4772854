// SPDX-License-Identifier: GPL-2.0
/*
 * collect_process.c - process text: the resident page cache of files that
 * some process maps executable.  Each full scan gathers the files once
 * (each counted once however many processes map it), then walks their
 * page cache pages_to_scan pages at a time, resuming where it stopped.
 * Dirty pages, pages under writeback and files mapped shared-writable
 * are left alone: their content is about to change.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/backing-dev.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "coshare_module.h"

#define CS_MAX_FILES 4096

static struct {
	struct inode **files;
	u32 nfiles, file;	/* files gathered, the one being walked */
	pgoff_t index;		/* next page cache index in it */
	bool active;
} scan;

static void cs_add_file(struct inode *inode)
{
	u32 i;

	for (i = 0; i < scan.nfiles; i++)
		if (scan.files[i] == inode)
			return;
	if (scan.nfiles < CS_MAX_FILES && igrab(inode))
		scan.files[scan.nfiles++] = inode;
}

static void cs_gather_mm(struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	VMA_ITERATOR(vmi, mm, 0);

	mmap_read_lock(mm);
	for_each_vma(vmi, vma)
		if ((vma->vm_flags & VM_EXEC) && vma->vm_file)
			cs_add_file(file_inode(vma->vm_file));
	mmap_read_unlock(mm);
}

/* Gathers every executable file mapping of every process. */
static int cs_scan_begin(void)
{
	struct task_struct *p, **tasks;
	u32 ntasks = 0, max = 0, i;

	rcu_read_lock();
	for_each_process(p)
		max++;
	rcu_read_unlock();
	max += 64;
	tasks = kvmalloc_array(max, sizeof(*tasks), GFP_KERNEL);
	if (!tasks)
		return -ENOMEM;
	rcu_read_lock();
	for_each_process(p) {
		if (ntasks == max)
			break;
		get_task_struct(p);
		tasks[ntasks++] = p;
	}
	rcu_read_unlock();

	for (i = 0; i < ntasks; i++) {
		struct mm_struct *mm = get_task_mm(tasks[i]);

		if (mm) {
			cs_gather_mm(mm);
			mmput(mm);
		}
		put_task_struct(tasks[i]);
	}
	kvfree(tasks);
	scan.file = 0;
	scan.index = 0;
	scan.active = true;
	cs->scan++;
	return 0;
}

static void cs_scan_end(void)
{
	u32 i;

	for (i = 0; i < scan.nfiles; i++)
		iput(scan.files[i]);
	scan.nfiles = 0;
	scan.active = false;
	cs->c.full_scans++;
}

/* Walks one file's page cache; returns the budget left. */
static unsigned long cs_walk_file(struct address_space *mapping,
				  unsigned long budget)
{
	bool can_writeback = mapping_can_writeback(mapping);
	struct folio_batch fbatch;
	unsigned int i, n;

	folio_batch_init(&fbatch);
	while (budget && (n = filemap_get_folios(mapping, &scan.index,
						 ULONG_MAX, &fbatch))) {
		for (i = 0; i < n; i++) {
			struct folio *folio = fbatch.folios[i];
			unsigned long pfn = folio_pfn(folio);
			long j, nr = folio_nr_pages(folio);

			/* Dirty pages are about to change, unless nothing ever
			 * writes them back (tmpfs, ramfs: the initramfs). */
			if (!folio_test_uptodate(folio) ||
			    (folio_test_dirty(folio) && can_writeback) ||
			    folio_test_writeback(folio))
				continue;
			for (j = 0; j < nr; j++)
				cs_submit(XEN_COSHARE_CLASS_PROCESS_TEXT, pfn + j);
			budget -= min_t(unsigned long, budget, nr);
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
	return budget;
}

void cs_collect_process(unsigned long budget)
{
	if (!cs->knob[CS_KNOB_HINT_PROCESS_TEXT])
		return;
	if (!scan.files) {
		scan.files = kvcalloc(CS_MAX_FILES, sizeof(*scan.files),
				      GFP_KERNEL);
		if (!scan.files)
			return;
	}
	if (!scan.active && cs_scan_begin())
		return;

	while (budget && scan.file < scan.nfiles) {
		struct address_space *mapping = scan.files[scan.file]->i_mapping;

		if (!mapping_writably_mapped(mapping))
			budget = cs_walk_file(mapping, budget);
		if (budget) {
			scan.file++;
			scan.index = 0;
		}
	}
	if (scan.file >= scan.nfiles)
		cs_scan_end();
}

void cs_collect_process_exit(void)
{
	if (scan.active)
		cs_scan_end();
	kvfree(scan.files);
	scan.files = NULL;
}
