// SPDX-License-Identifier: GPL-2.0
/*
 * coshare_probe.ko - a test-only module for the nested-VM suite: /dev/coshare_probe
 * issues one raw XENMEM_sharing_op from the calling guest, with its buffer
 * copied into kernel memory (or, for hostile tests, the caller's handles
 * left as they are), lists the kernel's page tables as coshare.ko finds
 * them, so a test can check that none was shared, and issues Xen's own
 * memory and grant ops on the caller's gfns, for hostile tests.  coshare.ko itself
 * never exposes raw ops.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pfn.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <xen/grant_table.h>
#include <xen/xen.h>
#include <xen/xenbus.h>
#include <xen/interface/hvm/hvm_op.h>
#include <xen/interface/memory.h>
#include <asm/xen/hypercall.h>

#include "cs_port.h"
#include "coshare_probe_uapi.h"
#include "../kernel_tables.h"

static_assert(sizeof(xen_coshare_op_t) == 48);

struct cs_table_list {
	u64 *pfns;
	u32 max, count;
};

static void cs_probe_table(unsigned long pfn, void *arg)
{
	struct cs_table_list *l = arg;

	if (l->count < l->max)
		l->pfns[l->count] = pfn;
	l->count++;
}

static long cs_probe_tables(struct coshare_probe_tables __user *ut)
{
	struct coshare_probe_tables t;
	struct cs_table_list l = {};
	long ret = 0;

	if (copy_from_user(&t, ut, sizeof(t)))
		return -EFAULT;
	if (t.max > SZ_1M)
		return -E2BIG;
	l.max = t.max;
	l.pfns = kvmalloc_array(max(l.max, 1u), sizeof(*l.pfns), GFP_KERNEL);
	if (!l.pfns)
		return -ENOMEM;
	cs_kernel_tables(cs_probe_table, &l);
	t.count = l.count;
	if (copy_to_user(u64_to_user_ptr(t.buf), l.pfns,
			 min(l.count, l.max) * sizeof(*l.pfns)) ||
	    copy_to_user(ut, &t, sizeof(t)))
		ret = -EFAULT;
	kvfree(l.pfns);
	return ret;
}

static long cs_probe_reservation(unsigned int cmd, xen_pfn_t gfn,
				 unsigned int order)
{
	struct xen_memory_reservation r = {
		.nr_extents = 1,
		.extent_order = order,
		.domid = DOMID_SELF,
	};

	if (order > 9)
		return -EINVAL;
	set_xen_guest_handle(r.extent_start, &gfn);
	return HYPERVISOR_memory_op(cmd, &r);
}

/* One page for a new one at the same gfn; rc 0 once it was exchanged. */
static long cs_probe_exchange(xen_pfn_t gfn)
{
	xen_pfn_t in = gfn, out = gfn;
	struct xen_memory_exchange x = {
		.in = { .nr_extents = 1, .domid = DOMID_SELF },
		.out = { .nr_extents = 1, .domid = DOMID_SELF },
	};
	long rc;

	set_xen_guest_handle(x.in.extent_start, &in);
	set_xen_guest_handle(x.out.extent_start, &out);
	rc = HYPERVISOR_memory_op(XENMEM_exchange, &x);
	return rc ?: (x.nr_exchanged == 1 ? 0 : -EIO);
}

/*
 * A grant mapped over one of our own gfns (an HVM grantee's p2m entry
 * replaces whatever the gfn held), then unmapped: the gfn is left empty.
 */
static long cs_probe_grant_map_at(struct coshare_probe_memop *m)
{
	struct gnttab_map_grant_ref map = {
		.host_addr = m->gfn << XEN_PAGE_SHIFT,
		.flags = GNTMAP_host_map | GNTMAP_readonly,
	};
	struct gnttab_unmap_grant_ref unmap = {
		.host_addr = m->gfn << XEN_PAGE_SHIFT,
	};
	unsigned int self = xenbus_read_unsigned("domid", "", DOMID_INVALID);
	int ref;
	long rc;

	if (self == DOMID_INVALID)
		return -ENOENT;
	ref = gnttab_grant_foreign_access(self, m->gfn2, 1);
	if (ref < 0)
		return ref;
	map.ref = ref;
	map.dom = self;
	rc = HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &map, 1);
	m->status = rc ? 0 : map.status;
	if (!rc && map.status == GNTST_okay) {
		unmap.handle = map.handle;
		rc = HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref,
					       &unmap, 1);
		rc = rc ?: unmap.status;
	}
	if (gnttab_end_foreign_access_ref(ref))
		gnttab_free_grant_reference(ref);
	return rc;
}

/* XENMEM_add_to_physmap: idx of space (a gmfn, a grant-table frame) at gpfn. */
static long cs_probe_add_to_physmap(unsigned int space, xen_ulong_t idx,
				    xen_pfn_t gpfn)
{
	struct xen_add_to_physmap x = {
		.domid = DOMID_SELF,
		.space = space,
		.idx = idx,
		.gpfn = gpfn,
	};

	return HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x);
}

/*
 * The shared info page moved to gfn and back home.  Xen unhooks a special
 * page from its old gfn when it maps it at a new one, and frees the new
 * gfn's own page (with gfn's lock held): so gfn ends up empty.  Linux does
 * not export HYPERVISOR_shared_info, so the caller names its address; it
 * must point into the direct map.  Interrupts stay off in between, so that
 * this CPU does not read the page while it is away (the vCPU info and the
 * FIFO event channels it uses are elsewhere).
 */
static long cs_probe_map_shared_info(struct coshare_probe_memop *m)
{
	struct shared_info *si;
	unsigned long flags;
	xen_pfn_t home;
	long rc;

	if (get_kernel_nofault(si, (struct shared_info **)(uintptr_t)m->gfn2) ||
	    !virt_addr_valid(si))
		return -EINVAL;
	home = PFN_DOWN(__pa(si));
	if (home == m->gfn)
		return -EINVAL;
	local_irq_save(flags);
	rc = cs_probe_add_to_physmap(XENMAPSPACE_shared_info, 0, m->gfn);
	m->status = rc ? 0 :
		    cs_probe_add_to_physmap(XENMAPSPACE_shared_info, 0, home);
	local_irq_restore(flags);
	if (m->status)
		pr_err("shared info left at gfn %#llx, not back at %#llx: %d\n",
		       (unsigned long long)m->gfn, (unsigned long long)home,
		       m->status);
	return rc;
}

static long cs_probe_memop(struct coshare_probe_memop __user *um)
{
	struct coshare_probe_memop m;

	if (copy_from_user(&m, um, sizeof(m)))
		return -EFAULT;
	m.status = 0;
	switch (m.op) {
	case COSHARE_PROBE_MEM_REMOVE: {
		struct xen_remove_from_physmap x = {
			.domid = DOMID_SELF,
			.gpfn = m.gfn,
		};

		m.rc = HYPERVISOR_memory_op(XENMEM_remove_from_physmap, &x);
		break;
	}
	case COSHARE_PROBE_MEM_DECREASE:
		m.rc = cs_probe_reservation(XENMEM_decrease_reservation,
					    m.gfn, m.gfn2);
		break;
	case COSHARE_PROBE_MEM_POPULATE:
		m.rc = cs_probe_reservation(XENMEM_populate_physmap,
					    m.gfn, m.gfn2);
		break;
	case COSHARE_PROBE_MEM_MOVE:
		m.rc = cs_probe_add_to_physmap(XENMAPSPACE_gmfn, m.gfn, m.gfn2);
		break;
	case COSHARE_PROBE_MEM_MAP_GRANT_FRAME:
		m.rc = cs_probe_add_to_physmap(XENMAPSPACE_grant_table, m.gfn2,
					       m.gfn);
		break;
	case COSHARE_PROBE_MEM_MAP_SHARED_INFO:
		m.rc = cs_probe_map_shared_info(&m);
		break;
	case COSHARE_PROBE_MEM_EXCHANGE:
		m.rc = cs_probe_exchange(m.gfn);
		break;
	case COSHARE_PROBE_MEM_TRANSFER: {
		struct gnttab_transfer t = {
			.mfn = m.gfn,
			.domid = m.gfn2,
			.ref = 0,
		};

		m.rc = HYPERVISOR_grant_table_op(GNTTABOP_transfer, &t, 1);
		m.status = t.status;
		break;
	}
	case COSHARE_PROBE_MEM_GRANT_RO:
	case COSHARE_PROBE_MEM_GRANT_RW:
		m.rc = gnttab_grant_foreign_access(m.gfn2, m.gfn,
					m.op == COSHARE_PROBE_MEM_GRANT_RO);
		break;
	case COSHARE_PROBE_MEM_UNGRANT:
		m.rc = gnttab_end_foreign_access_ref(m.gfn);
		if (m.rc)
			gnttab_free_grant_reference(m.gfn);
		break;
	case COSHARE_PROBE_MEM_TYPE: {
		struct xen_hvm_get_mem_type t = {
			.domid = DOMID_SELF,
			.pfn = m.gfn,
		};

		m.rc = HYPERVISOR_hvm_op(HVMOP_get_mem_type, &t) ?: t.mem_type;
		break;
	}
	case COSHARE_PROBE_MEM_GRANT_MAP_AT:
		m.rc = cs_probe_grant_map_at(&m);
		break;
	case COSHARE_PROBE_MEM_RESERVATION: {
		domid_t self = DOMID_SELF;

		m.rc = HYPERVISOR_memory_op(m.gfn ? XENMEM_maximum_reservation :
					    XENMEM_current_reservation, &self);
		break;
	}
	default:
		return -EINVAL;
	}
	return copy_to_user(um, &m, sizeof(m)) ? -EFAULT : 0;
}

static long cs_probe_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct coshare_probe_op __user *uop = (void __user *)arg;
	struct coshare_probe_op p;
	xen_coshare_op_t op;
	void *kbuf = NULL;
	long ret = 0;

	if (cmd == COSHARE_PROBE_TABLES)
		return cs_probe_tables((void __user *)arg);
	if (cmd == COSHARE_PROBE_MEMOP)
		return cs_probe_memop((void __user *)arg);
	if (cmd != COSHARE_PROBE_OP)
		return -ENOTTY;
	if (copy_from_user(&p, uop, sizeof(p)))
		return -EFAULT;
	if (p.len > SZ_64K)
		return -E2BIG;
	memcpy(&op, p.op, sizeof(op));

	if (!p.raw && p.len) {
		kbuf = kvmalloc(p.len, GFP_KERNEL);
		if (!kbuf)
			return -ENOMEM;
		if (copy_from_user(kbuf, u64_to_user_ptr(p.buf), p.len)) {
			ret = -EFAULT;
			goto out;
		}
		if (op.op == XENMEM_sharing_op_coshare_stats)
			set_xen_guest_handle(op.u.stats.buf, kbuf);
		else
			set_xen_guest_handle(op.u.batch.entries, kbuf);
	}

	p.rc = HYPERVISOR_memory_op(XENMEM_sharing_op, &op);
	memcpy(p.op, &op, sizeof(op));
	if (kbuf && copy_to_user(u64_to_user_ptr(p.buf), kbuf, p.len))
		ret = -EFAULT;
	else if (copy_to_user(uop, &p, sizeof(p)))
		ret = -EFAULT;
out:
	kvfree(kbuf);
	return ret;
}

static const struct file_operations cs_probe_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = cs_probe_ioctl,
};

static struct miscdevice cs_probe_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "coshare_probe",
	.fops = &cs_probe_fops,
	.mode = 0600,
};

static int __init cs_probe_init(void)
{
	if (!xen_hvm_domain())
		return -ENODEV;
	return misc_register(&cs_probe_dev);
}

static void __exit cs_probe_exit(void)
{
	misc_deregister(&cs_probe_dev);
}

module_init(cs_probe_init);
module_exit(cs_probe_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("coshare test probe: raw coshare ops from a guest");
