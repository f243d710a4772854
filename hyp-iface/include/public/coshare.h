/* SPDX-License-Identifier: MIT */
/******************************************************************************
 * coshare.h
 *
 * Guest-hinted page sharing: sub-ops of XENMEM_sharing_op numbered after the
 * stock ones (0..10).  A guest tells the hypervisor which of its pages are
 * worth sharing; the hypervisor hashes and compares them itself.
 *
 * Outside Xen's tree, include xen.h first (tools: <xen/xen.h>, Linux: the
 * module's compat header).  Every struct has a fixed size and explicit
 * padding so that 32- and 64-bit callers agree; all padding must be zero.
 *
 * struct xen_coshare_op has the size and the op/domain prefix of
 * struct xen_mem_sharing_op, so it travels through the same memory_op.
 */

#ifndef __XEN_PUBLIC_COSHARE_H__
#define __XEN_PUBLIC_COSHARE_H__

#ifndef __XEN_PUBLIC_XEN_H__
#include "xen.h"
#endif

/* Tools get uint64_aligned_t and 64-bit handles from xen.h; a guest kernel
 * defines them and __XEN_COSHARE_GUEST__ (see the Linux module). */
#if defined(__XEN__) || defined(__XEN_TOOLS__) || defined(__XEN_COSHARE_GUEST__)

/* Major 2: the in-use class, and stats grew by one class.  Minor 1:
 * XEN_COSHARE_CTL_LEND.  Minor 2: the classes op, stats.classes,
 * XEN_COSHARE_CTL_QUIET.  Major 3: batches are preemptible: .done is IN
 * too, and a whole-op error may come after entries ran (a caller of
 * major 2 would free vol_add pages Xen registered). */
#define XEN_COSHARE_VERSION              0x00030000 /* major 3, minor 0 */

/* Sub-ops of XENMEM_sharing_op. */
#define XENMEM_sharing_op_coshare_version    11 /* any domain, DOMID_SELF  */
#define XENMEM_sharing_op_coshare_hint       12 /* guest, DOMID_SELF only  */
#define XENMEM_sharing_op_coshare_unhint     13 /* guest, DOMID_SELF only  */
#define XENMEM_sharing_op_coshare_vol_add    14 /* guest, DOMID_SELF only  */
#define XENMEM_sharing_op_coshare_vol_del    15 /* guest, DOMID_SELF only  */
#define XENMEM_sharing_op_coshare_stats      16 /* guest: self; dom0: any  */
#define XENMEM_sharing_op_coshare_control    17 /* dom0 only               */
#define XENMEM_sharing_op_coshare_group      18 /* dom0 only               */
#define XENMEM_sharing_op_coshare_audit      19 /* dom0 only               */
#define XENMEM_sharing_op_coshare_reserve    20 /* dom0 only               */
#define XENMEM_sharing_op_coshare_classes    21 /* dom0 only               */

/*
 * Global VIRQ sent to a guest when the hypervisor reclaimed one of its
 * volatile pages: the FIFO is shorter, register more.  Edge-triggered: after
 * one, the next comes only once the guest has read its stats or added
 * volatile pages.
 */
#define VIRQ_COSHARE                     VIRQ_ARCH_1

/* Hint classes: what the guest believes a page is. */
#define XEN_COSHARE_CLASS_KERNEL_TEXT    0 /* kernel and module text       */
#define XEN_COSHARE_CLASS_KERNEL_RODATA  1 /* kernel read-only data        */
#define XEN_COSHARE_CLASS_PROCESS_TEXT   2 /* page cache of exec mappings  */
#define XEN_COSHARE_CLASS_ZERO           3 /* free page: content is void,  */
                                           /* treated as all-zero         */
#define XEN_COSHARE_CLASS_IN_USE         4 /* in-use page the guest may   */
                                           /* still write (zero, file     */
                                           /* data): made read-only       */
                                           /* before it is compared       */
#define XEN_COSHARE_CLASS_NR             5
#define XEN_COSHARE_CLASSES_ALL          ((1u << XEN_COSHARE_CLASS_NR) - 1)

/* Largest batch accepted by the batch ops (hint, unhint, vol_add/del). */
#define XEN_COSHARE_BATCH_MAX            512

/* Highest gfn coshare tracks (16 TiB of guest-physical space). */
#define XEN_COSHARE_GFN_MAX              0xffffffffULL

/* Sharing groups: 0 means "none"; a domain needs a group to hint. */
#define XEN_COSHARE_GROUP_NONE           0
#define XEN_COSHARE_GROUP_MAX            0xffff

/* Per-entry outcome of a batch op (xen_coshare_entry.result). */
#define XEN_COSHARE_RES_PENDING          0 /* not processed (op stopped)   */
#define XEN_COSHARE_RES_SHARED           1 /* merged into an existing frame*/
#define XEN_COSHARE_RES_INSERTED         2 /* new content, now shared r/o  */
#define XEN_COSHARE_RES_SKIPPED          3 /* .error holds XEN_COSHARE_SKIP_* */
#define XEN_COSHARE_RES_ERROR            4 /* .error holds -errno          */
#define XEN_COSHARE_RES_DONE             5 /* unhint / vol_add / vol_del ok*/

/* Why a hint was skipped (xen_coshare_entry.error when RES_SKIPPED). */
#define XEN_COSHARE_SKIP_ALREADY         1 /* gfn already shared by coshare*/
#define XEN_COSHARE_SKIP_NOT_RAM         2 /* not plain writable RAM       */
#define XEN_COSHARE_SKIP_FOREIGN_SHARED  3 /* shared by the stock dom0 ops */
#define XEN_COSHARE_SKIP_VOLATILE        4 /* gfn is in the volatile FIFO  */
#define XEN_COSHARE_SKIP_NEED_VOLATILE   5 /* FIFO too short to repay more */
#define XEN_COSHARE_SKIP_BUSY            6 /* page has extra references    */
#define XEN_COSHARE_SKIP_NOT_SHARED      7 /* unhint: gfn was not shared   */
#define XEN_COSHARE_SKIP_COLLISIONS      8 /* too many equal hashes        */
#define XEN_COSHARE_SKIP_UNTRACKED       9 /* frame hot-added after boot:  */
                                           /* the hypervisor cannot tag it */

/*
 * One gfn of a batch.  Errors (RES_ERROR): -ERANGE gfn beyond the domain or
 * XEN_COSHARE_GFN_MAX, -EEXIST gfn appears earlier in the same batch,
 * -EBUSY (vol_add) gfn is shared, -ENOENT (vol_del) gfn not registered,
 * -ENOSPC (vol_del) removal would leave the FIFO shorter than the bonus,
 * -ENOMEM (unhint) no frame to unshare into, -EINVAL nonzero padding.
 */
struct xen_coshare_entry {
    uint64_aligned_t gfn;   /* IN */
    uint8_t  result;        /* OUT: XEN_COSHARE_RES_* */
    uint8_t  pad[3];        /* IN: zero */
    int32_t  error;         /* OUT: skip reason or -errno */
};
typedef struct xen_coshare_entry xen_coshare_entry_t;
DEFINE_XEN_GUEST_HANDLE(xen_coshare_entry_t);

/*
 * Batch ops: hint, unhint, vol_add, vol_del.  Returns 0 when every entry was
 * processed (each with its own result), or -errno for the whole op:
 * -E2BIG nr > XEN_COSHARE_BATCH_MAX, -EINVAL unknown class or nonzero pad,
 * -EPERM domain is not DOMID_SELF, -EACCES hinting not enabled by dom0, no
 * sharing group, or a hint of a class dom0 does not allow this domain
 * (XENMEM_sharing_op_coshare_classes), -EXDEV (hint, vol_add) dom0 has
 * given the domain passthrough devices or alternate p2m views since it
 * enabled it, -ESRCH dying domain; on any of these no entry from .done
 * on ran, and the entries before it carry their results.
 * -EINVAL also .done > nr, -ENOMEM Xen could not copy the entries in (none
 * from .done on ran).
 * -EFAULT: the entries could not be read (none ran in this call) or their
 * results not written back (all may have run): the caller must treat each
 * entry's outcome as unknown (a vol_add page may be registered).  .done counts
 * processed entries.  Xen runs a batch a few entries per engine-lock hold,
 * and between two holds may preempt it: it writes the results so far and
 * .done back and restarts the hypercall (a continuation), which goes on
 * from .done.  So a caller sets .done to 0; a restarted batch is checked
 * again as a new one would be (entries from .done on, and whether dom0
 * still allows it: if dom0 disabled the domain meanwhile, the batch stops
 * there with -EACCES).  Within one hold a batch runs to the hold's end.
 */
struct xen_coshare_batch {
    uint8_t  hint_class;    /* IN: XEN_COSHARE_CLASS_* (hint only, else 0) */
    uint8_t  pad[3];        /* IN: zero */
    uint32_t nr;            /* IN: entries */
    uint32_t done;          /* IN: 0 (see above); OUT: entries processed */
    uint32_t pad2;          /* IN: zero */
    XEN_GUEST_HANDLE_64(xen_coshare_entry_t) entries;
};

struct xen_coshare_version {
    uint32_t version;       /* OUT: XEN_COSHARE_VERSION */
    uint32_t batch_max;     /* OUT: XEN_COSHARE_BATCH_MAX */
    uint64_aligned_t gfn_max;   /* OUT: XEN_COSHARE_GFN_MAX */
};

/* Counters; for a domain or, with XEN_COSHARE_STATS_GLOBAL, the host. */
struct xen_coshare_stats {
    uint64_aligned_t hinted[XEN_COSHARE_CLASS_NR];   /* entries seen     */
    uint64_aligned_t shared[XEN_COSHARE_CLASS_NR];   /* merged           */
    uint64_aligned_t inserted[XEN_COSHARE_CLASS_NR]; /* new in index     */
    uint64_aligned_t skipped[XEN_COSHARE_CLASS_NR];  /* any skip reason  */
    uint64_aligned_t errors;        /* entries with RES_ERROR            */
    uint64_aligned_t compare_fail;  /* equal hash, different content     */
    uint64_aligned_t frames;        /* shared frames (host) / owned      */
    uint64_aligned_t mappings;      /* gfns mapping a shared frame       */
    uint64_aligned_t saved;         /* frames saved: sum(refs - 1)       */
    uint64_aligned_t bonus;         /* domain's share of saved           */
    uint64_aligned_t cow_copy;      /* unshare by copy                   */
    uint64_aligned_t cow_zero;      /* unshare into a zeroed frame       */
    uint64_aligned_t cow_nocopy;    /* last mapping taken back, no copy  */
    uint64_aligned_t cow_enomem;    /* unshare found no frame at all     */
    uint64_aligned_t reclaims;      /* volatile pages taken (from domain)*/
    uint64_aligned_t fifo_depth;    /* volatile pages registered         */
    uint64_aligned_t unhinted;      /* pages unshared on guest request   */
    uint64_aligned_t notified;      /* VIRQ_COSHARE sent                 */
    uint64_aligned_t meta_bytes;    /* engine metadata (global only)     */
    uint32_t domains;               /* domains known (global only)       */
    uint32_t flags;                 /* XEN_COSHARE_CTL_* state (domain)  */
    uint32_t group;                 /* sharing group (domain)            */
    uint32_t classes;               /* classes it may hint (domain): bit */
                                    /* 1 << XEN_COSHARE_CLASS_*; 0 from  */
                                    /* hypervisors before ABI 2.2        */
};
typedef struct xen_coshare_stats xen_coshare_stats_t;
DEFINE_XEN_GUEST_HANDLE(xen_coshare_stats_t);

#define XEN_COSHARE_STATS_GLOBAL         (1u << 0)

struct xen_coshare_stats_op {
    uint32_t flags;         /* IN: XEN_COSHARE_STATS_* */
    uint32_t pad;           /* IN: zero */
    XEN_GUEST_HANDLE_64(xen_coshare_stats_t) buf; /* OUT */
};

/*
 * control: set or clear per-domain flags (dom0).  -EBUSY when setting REPAY
 * for a domain whose FIFO is already shorter than its bonus.  Setting
 * ENABLE: -EOPNOTSUPP for a PV domain (its m2p is global), -ENODEV without
 * hardware nested paging, -EXDEV for a domain with passthrough devices
 * (their DMA to a read-only shared gfn would be lost) or alternate p2m
 * views (HVM_PARAM_ALTP2M: a view may map a page coshare frees).  -ESRCH for a domain
 * that does not exist or is dying.
 */
#define XEN_COSHARE_CTL_ENABLE           (1u << 0) /* guest may hint       */
#define XEN_COSHARE_CTL_REPAY            (1u << 1) /* enforce FIFO >= bonus*/
/*
 * A copy-on-write fault is paid by reclaiming a volatile page of its own
 * sharing group only: of the debtor, else of the group's domain with the
 * most to spare.  LEND lets this domain's spare pages pay other groups'.
 */
#define XEN_COSHARE_CTL_LEND             (1u << 2) /* pay any group's CoW  */
/*
 * QUIET: the domain does not learn whether another domain holds what it
 * hints.  Its hints that merge or insert both answer RES_SHARED; its own
 * stats fold inserted into shared and no-copy unshares into copies, report
 * no owned frames, and give its mappings as its bonus; and repayment covers
 * every mapping, not only the bonus, so that whether a hint is refused for
 * want of volatile pages does not depend on other domains either.  dom0
 * sees the real counters.
 */
#define XEN_COSHARE_CTL_QUIET            (1u << 3) /* hide others' content */
#define XEN_COSHARE_CTL_ALL              (XEN_COSHARE_CTL_ENABLE | \
                                          XEN_COSHARE_CTL_REPAY |  \
                                          XEN_COSHARE_CTL_LEND |   \
                                          XEN_COSHARE_CTL_QUIET)

struct xen_coshare_control {
    uint32_t set;           /* IN: flags to set */
    uint32_t clear;         /* IN: flags to clear */
    uint32_t flags;         /* OUT: resulting flags */
    uint32_t pad;           /* IN: zero */
};

/* group: move a domain with no shared pages to a sharing group (dom0). */
struct xen_coshare_group {
    uint32_t group;         /* IN: 1..XEN_COSHARE_GROUP_MAX */
    uint32_t pad;           /* IN: zero */
};

/* audit: check every engine invariant (dom0). */
struct xen_coshare_audit {
    uint32_t errors;        /* OUT: violations found */
    uint32_t pad;
    uint64_aligned_t frames;    /* OUT: frames checked */
    uint64_aligned_t mappings;  /* OUT: mappings checked */
};

/*
 * reserve: free host frames copy-on-write leaves alone (dom0).  Below it, a
 * fault is paid by reclaiming a volatile page instead of taking a free
 * frame, so Xen itself never runs dry.  Domain is ignored.
 */
#define XEN_COSHARE_RESERVE_QUERY        (~0ULL)

struct xen_coshare_reserve {
    uint64_aligned_t frames;    /* IN: new reserve or _QUERY; OUT: reserve */
    uint64_aligned_t free;      /* OUT: free host frames now */
};

/*
 * classes: the hint classes a domain may use (dom0).  A new domain may use
 * every class; a domain that must not share content with others, zero
 * pages only (XEN_COSHARE_CLASS_ZERO: a zero page reveals nothing).  What
 * the domain shares already stays shared.  -EINVAL for bits beyond
 * XEN_COSHARE_CLASSES_ALL, -ESRCH as for control.
 */
#define XEN_COSHARE_CLASSES_QUERY        (~0u)

struct xen_coshare_classes {
    uint32_t allowed;       /* IN: mask or _QUERY; OUT: the domain's mask */
    uint32_t pad;           /* IN: zero */
};

struct xen_coshare_op {
    uint8_t  op;            /* XENMEM_sharing_op_coshare_* */
    uint8_t  pad0;
    domid_t  domain;        /* DOMID_SELF, or the target (dom0 ops) */
    uint32_t pad1;
    union {
        struct xen_coshare_version version;
        struct xen_coshare_batch batch;
        struct xen_coshare_stats_op stats;
        struct xen_coshare_control control;
        struct xen_coshare_group group;
        struct xen_coshare_audit audit;
        struct xen_coshare_reserve reserve;
        struct xen_coshare_classes classes;
        uint64_aligned_t pad[5];    /* size of xen_mem_sharing_op's union */
    } u;
};
typedef struct xen_coshare_op xen_coshare_op_t;
DEFINE_XEN_GUEST_HANDLE(xen_coshare_op_t);

#endif /* __XEN__ || __XEN_TOOLS__ || __XEN_COSHARE_GUEST__ */

#endif /* __XEN_PUBLIC_COSHARE_H__ */

/*
 * Local variables:
 * mode: C
 * c-file-style: "BSD"
 * c-basic-offset: 4
 * tab-width: 4
 * indent-tabs-mode: nil
 * End:
 */
