/* SPDX-License-Identifier: MIT */
/*
 * asm/coshare.h - where Xen calls into coshare, guest-hinted page sharing.
 *
 * coshare frames look like stock mem_sharing frames to the rest of Xen; the
 * hooks below divert the paths that must know the difference.
 */
#ifndef __ASM_X86_COSHARE_H__
#define __ASM_X86_COSHARE_H__

#include <xen/mm.h>
#include <public/memory.h>

#ifdef CONFIG_COSHARE

/* XENMEM_sharing_op sub-ops from XENMEM_sharing_op_coshare_version up. */
int coshare_memop(XEN_GUEST_HANDLE_PARAM(xen_mem_sharing_op_t) arg);
/* Is mfn a frame the coshare engine owns? */
bool coshare_is_frame(mfn_t mfn);
/* Write to a coshare gfn, with p2m locks possibly held: -EAGAIN if busy. */
int coshare_unshare_nowait(struct domain *d, unsigned long gfn);
/* The same from the fault path's exit, with no lock held; -ENOENT: not a
 * coshare gfn, -ENOMEM: no frame anywhere, not even a volatile one. 0 also
 * when another vCPU unshared it first: the access is retried. */
int coshare_unshare_fault(struct domain *d, unsigned long gfn);
/* guest_remove_page(): a coshare gfn drops its mapping, with no copy and no
 * allocation, and maps nothing.  -ENOENT: not a coshare gfn; -EAGAIN: the
 * caller holds d's p2m lock and the engine is busy. */
int coshare_remove_page(struct domain *d, unsigned long gfn);
/* Times guest_remove_page() asks again when the gfn was hinted anew. */
#define COSHARE_REMOVE_TRIES 8
/* Domain teardown, preemptible: 0 or -ERESTART. */
int coshare_relinquish(struct domain *d);

#else

static inline bool coshare_is_frame(mfn_t mfn) { return false; }
static inline int coshare_unshare_fault(struct domain *d, unsigned long gfn)
{
    return -ENOENT;
}
static inline int coshare_remove_page(struct domain *d, unsigned long gfn)
{
    return -ENOENT;
}
#define COSHARE_REMOVE_TRIES 0
static inline int coshare_relinquish(struct domain *d) { return 0; }

#endif

#endif /* __ASM_X86_COSHARE_H__ */
