/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * coshare_probe_uapi.h - the test module's ioctl, shared by coshare_probe.ko
 * and the userspace coshare-probe.  Not part of coshare's ABI: it only lets
 * the nested-VM tests issue raw coshare ops from a guest.
 */
#ifndef COSHARE_PROBE_UAPI_H
#define COSHARE_PROBE_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

struct coshare_probe_op {
	__u8 op[48];		/* xen_coshare_op_t, in and out */
	__u64 buf;		/* user buffer: the batch entries or the stats */
	__u32 len;		/* its bytes (at most 64 KiB) */
	__u32 raw;		/* 1: keep op's own handles (hostile tests) */
	__s64 rc;		/* out: the hypercall's result */
};

#define COSHARE_PROBE_OP _IOWR('C', 1, struct coshare_probe_op)

/* The pfns of the kernel's page tables, as coshare.ko finds them. */
struct coshare_probe_tables {
	__u64 buf;		/* user array of __u64 pfns */
	__u32 max;		/* its entries */
	__u32 count;		/* out: tables found (all of them, even > max) */
};

#define COSHARE_PROBE_TABLES _IOWR('C', 2, struct coshare_probe_tables)

/*
 * One of Xen's own memory or grant ops on the caller's gfns (a hostile
 * test's): what a balloon driver, a grant or a device model would do to them.
 */
enum coshare_probe_mem {
	COSHARE_PROBE_MEM_REMOVE,	/* XENMEM_remove_from_physmap(gfn) */
	COSHARE_PROBE_MEM_DECREASE,	/* XENMEM_decrease_reservation(gfn),
					 * extent order gfn2 */
	COSHARE_PROBE_MEM_POPULATE,	/* XENMEM_populate_physmap(gfn),
					 * extent order gfn2 */
	COSHARE_PROBE_MEM_MOVE,		/* XENMEM_add_to_physmap gmfn gfn->gfn2 */
	COSHARE_PROBE_MEM_EXCHANGE,	/* XENMEM_exchange: a new page at gfn */
	COSHARE_PROBE_MEM_TRANSFER,	/* GNTTABOP_transfer of gfn to domain
					 * gfn2 (its grant ref 0); status out */
	COSHARE_PROBE_MEM_GRANT_RO,	/* grant gfn to domain gfn2: rc = ref */
	COSHARE_PROBE_MEM_GRANT_RW,
	COSHARE_PROBE_MEM_UNGRANT,	/* end grant gfn (a ref): rc 1 ended,
					 * 0 still mapped by its grantee */
	COSHARE_PROBE_MEM_TYPE,		/* HVMOP_get_mem_type(gfn): HVMMEM_* */
	COSHARE_PROBE_MEM_GRANT_MAP_AT,	/* grant page gfn2 to ourselves, map
					 * it read-only at gfn, unmap it: the
					 * map's status out, rc the unmap's */
	COSHARE_PROBE_MEM_RESERVATION,	/* rc: our tot_pages (gfn 0) or
					 * max_pages (gfn 1) */
	COSHARE_PROBE_MEM_MAP_GRANT_FRAME, /* XENMEM_add_to_physmap: frame
					 * gfn2 of our grant table at gfn */
	COSHARE_PROBE_MEM_MAP_SHARED_INFO, /* XENMEM_add_to_physmap: the
					 * shared info page at gfn, then back
					 * at its home; gfn2 is the address
					 * of HYPERVISOR_shared_info (from
					 * /proc/kallsyms); status out: the
					 * move back's rc */
};

struct coshare_probe_memop {
	__u32 op;		/* enum coshare_probe_mem */
	__s32 status;		/* out: a grant op's GNTST_* status */
	__u64 gfn, gfn2;
	__s64 rc;		/* out: the hypercall's result */
};

#define COSHARE_PROBE_MEMOP _IOWR('C', 3, struct coshare_probe_memop)

#endif
