// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - coshare.ko: loads only where it can do its job, and runs the
 * scanner thread.
 *
 * In a Xen PVH or HVM guest it needs a coshare hypervisor (version query).
 * A classic PV guest is refused: its m2p is global, so a page cannot be
 * shared behind its back.  Without Xen, or with mode=estimate, it only
 * collects and fingerprints pages, to measure sharing potential offline.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <xen/xen.h>

#include "coshare_module.h"

struct cs_state *cs;

static char *mode = "auto";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "auto (Xen with coshare) or estimate (fingerprints only)");

static int cs_pick_mode(void)
{
	struct xen_coshare_version v;
	bool estimate = !strcmp(mode, "estimate");
	int rc;

	if (!estimate && strcmp(mode, "auto")) {
		pr_err("unknown mode=%s: use auto or estimate\n", mode);
		return -EINVAL;
	}
	if (xen_pv_domain()) {
		pr_err("refusing a classic PV guest: its m2p is global, so pages cannot be shared transparently; boot it as PVH or HVM\n");
		return -EOPNOTSUPP;
	}
	if (estimate) {
		cs->mode = CS_MODE_ESTIMATE;
		return 0;
	}
	if (!xen_domain()) {
		pr_err("not running on Xen: load with mode=estimate to measure sharing potential\n");
		return -ENODEV;
	}
	rc = cs_hyp_version(&v);
	if (rc || (v.version >> 16) != (XEN_COSHARE_VERSION >> 16)) {
		pr_err("this Xen has no coshare support (version query: %d, version %#x): install coshare's hypervisor patches, or load with mode=estimate\n",
		       rc, rc ? 0 : v.version);
		return -EOPNOTSUPP;
	}
	cs->mode = CS_MODE_XEN;
	return 0;
}

/*
 * Kernel text and rodata are hinted again this often: run-time patching
 * (ftrace, static keys, kprobes, alternatives) unshares them, and once
 * patched back they can be shared again.  A page still shared costs the
 * hypervisor a lookup, no compare.
 */
#define CS_KERNEL_REHINT_MS 5000

static int cs_scanner(void *unused)
{
	unsigned long kernel_next = jiffies;
	bool kernel_done = false;

	while (!kthread_should_stop()) {
		u64 sleep;

		mutex_lock(&cs->lock);
		if (cs->knob[CS_KNOB_RUN] == 2) {
			cs_unhint_all();
			cs->knob[CS_KNOB_RUN] = 0;
			kernel_done = false;
		} else if (cs->knob[CS_KNOB_RUN] == 1) {
			if (time_after_eq(jiffies, kernel_next))
				kernel_done = false;
			if (!kernel_done) {
				/*
				 * Again next scan if dom0 has not enabled us, or
				 * if repayment refused pages the pool did not
				 * cover yet.
				 */
				cs->denied = false;
				cs_collect_kernel();
				kernel_done = !cs_submit_flush() &&
					      !cs->denied;
				kernel_next = jiffies +
					msecs_to_jiffies(CS_KERNEL_REHINT_MS);
			}
			cs_collect_process(cs->knob[CS_KNOB_PAGES_TO_SCAN]);
			cs_collect_memory(cs->knob[CS_KNOB_IN_USE_PAGES_TO_SCAN]);
			cs_submit_flush();
			if (cs->mode == CS_MODE_XEN)
				cs_volatile_balance();
			if (cs->reoffer_free) {
				cs->reoffer_free = false;
				cs_free_report_poke();
			}
		}
		sleep = cs->knob[CS_KNOB_SLEEP_MILLISECS];
		mutex_unlock(&cs->lock);
		schedule_timeout_interruptible(msecs_to_jiffies(sleep));
	}
	return 0;
}

static void cs_free_state(void)
{
	vfree(cs->shared.words);
	kvfree(cs->backoff);
	kvfree(cs->op_batch);
	kvfree(cs->batch);
	kfree(cs);
	cs = NULL;
}

static int __init cs_init(void)
{
	struct task_struct *scanner;
	int k, rc;

	cs = kzalloc(sizeof(*cs), GFP_KERNEL);
	if (!cs)
		return -ENOMEM;
	mutex_init(&cs->lock);
	cs->classes = XEN_COSHARE_CLASSES_ALL;
	for (k = 0; k < CS_KNOB_NR; k++)
		cs->knob[k] = cs_knobs[k].def;
	cs->max_pfn = cs_ram_end_pfn();

	rc = cs_pick_mode();
	if (rc)
		goto free;
	rc = -ENOMEM;
	cs->batch = kvcalloc(XEN_COSHARE_CLASS_NR, sizeof(*cs->batch),
			     GFP_KERNEL);
	cs->op_batch = kvzalloc(sizeof(*cs->op_batch), GFP_KERNEL);
	cs->backoff = kvzalloc(sizeof(*cs->backoff), GFP_KERNEL);
	cs->shared.bits = cs->max_pfn;
	cs->shared.words = vzalloc(DIV_ROUND_UP(cs->max_pfn, 64) * 8);
	if (!cs->batch || !cs->op_batch || !cs->backoff || !cs->shared.words)
		goto free;

	rc = cs_fp_init();
	if (rc)
		goto free;
	rc = cs_volatile_init();
	if (rc)
		goto fp;
	rc = cs_sysfs_init();
	if (rc)
		goto vol;
	rc = cs_free_report_init();
	if (rc)
		goto sysfs;
	scanner = kthread_create(cs_scanner, NULL, "kcoshared");
	if (IS_ERR(scanner)) {
		rc = PTR_ERR(scanner);
		goto report;
	}
	get_task_struct(scanner);	/* woken until cs_exit() lets go */
	mutex_lock(&cs->lock);
	cs->scanner = scanner;
	mutex_unlock(&cs->lock);
	wake_up_process(scanner);
	pr_info("loaded in %s mode, %lu pfns\n",
		cs->mode == CS_MODE_XEN ? "xen" : "estimate", cs->max_pfn);
	return 0;

report:
	cs_free_report_exit();
sysfs:
	cs_sysfs_exit();
vol:
	cs_volatile_exit();
fp:
	cs_fp_exit();
free:
	cs_free_state();
	return rc;
}

static void __exit cs_exit(void)
{
	struct task_struct *scanner;

	mutex_lock(&cs->lock);
	scanner = cs->scanner;
	cs->scanner = NULL;
	mutex_unlock(&cs->lock);
	kthread_stop(scanner);
	put_task_struct(scanner);
	cs_collect_process_exit();
	cs_collect_memory_exit();
	cs_free_report_exit();
	cs_sysfs_exit();
	cs_volatile_exit();
	cs_fp_exit();
	cs_free_state();
	pr_info("unloaded\n");
}

module_init(cs_init);
module_exit(cs_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("coshare: guest-hinted page sharing for Xen");
