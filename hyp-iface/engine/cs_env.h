/* SPDX-License-Identifier: MIT */
/*
 * cs_env.h - what the coshare engine needs from its environment.
 *
 * The engine is portable C11 compiled unchanged into Xen and into the
 * userspace harness.  Everything that touches frames, the p2m, memory or
 * locks goes through these functions; Xen and the harness each implement
 * them once (the shim), as Linux's tools/testing/radix-tree does.
 */
#ifndef COSHARE_CS_ENV_H
#define COSHARE_CS_ENV_H

#ifdef __XEN__
#include <xen/types.h>
#include <xen/errno.h>
#include <xen/kernel.h>
#include <xen/lib.h>
#include <xen/string.h>
#include <xen/stdarg.h>
#include <public/xen.h>
#include <public/coshare.h>
#else
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <xen/xen.h>
#include "coshare.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t cs_mfn_t;
#define CS_INVALID_MFN   (~(cs_mfn_t)0)
#define CS_MFN_BITS      40
#define CS_PAGE_SIZE     4096u

struct cs_env;   /* defined by each environment */

/* What a gfn is, as far as coshare cares. */
enum cs_p2m_type {
    CS_P2M_RAM,      /* private, writable RAM owned by the domain */
    CS_P2M_SHARED,   /* read-only, maps a shared frame */
    CS_P2M_BUSY,     /* RAM with extra references (grant, DMA, ...) */
    CS_P2M_OTHER,    /* MMIO, paged out, not present, ... */
};

/* p2m.  domid is the Xen domain id; gfn <= XEN_COSHARE_GFN_MAX. */
enum cs_p2m_type cs_env_p2m_query(struct cs_env *env, uint16_t domid,
                                  uint64_t gfn, cs_mfn_t *mfn);
/*
 * gfn, which the engine last saw mapping expect, maps frame read-only.  A
 * different private page it mapped is freed; a different shared frame it
 * mapped loses that mapping's reference (the engine frees the frame itself).
 * -EBUSY, changing nothing, if gfn no longer maps expect as it did.
 */
int cs_env_p2m_share(struct cs_env *env, uint16_t domid, uint64_t gfn,
                     cs_mfn_t expect, cs_mfn_t frame);
/*
 * gfn maps mfn writable; mfn now belongs to the domain.  When mfn is the
 * frame gfn maps (its last mapping takes it back), -EBUSY if anyone else
 * still holds a reference to it (a grant, a foreign map): the engine then
 * gives the domain a copy instead, and the frame stays with the holders.
 */
int cs_env_p2m_private(struct cs_env *env, uint16_t domid, uint64_t gfn,
                       cs_mfn_t mfn);
/* gfn maps nothing; returns the frame it mapped (now the caller's). */
cs_mfn_t cs_env_p2m_remove(struct cs_env *env, uint16_t domid, uint64_t gfn);
/*
 * Brackets a short run of p2m calls on one domain, all made under the engine
 * lock (a chunk of a hint batch).  The environment may keep the domain's p2m
 * locked across the run: then no gfn changes under the engine between its
 * query and its update, and each call saves a lookup.  Nothing else may
 * call into the environment for another domain's p2m inside the run.
 */
void cs_env_p2m_hold(struct cs_env *env, uint16_t domid);
void cs_env_p2m_release(struct cs_env *env, uint16_t domid);
/* One past the highest gfn the domain may have; 0 if it does not exist. */
uint64_t cs_env_gfn_end(struct cs_env *env, uint16_t domid);

/* What a domain is, as dom0's controls need to know. */
#define CS_ENV_DOM_LIVE         (1u << 0)  /* exists and is not dying */
#define CS_ENV_DOM_HVM          (1u << 1)  /* HVM or PVH: its own p2m */
#define CS_ENV_DOM_HAP          (1u << 2)  /* with hardware nested paging */
#define CS_ENV_DOM_PASSTHROUGH  (1u << 3)  /* devices DMA into its memory */
#define CS_ENV_DOM_ALTP2M       (1u << 4)  /* may have alternate p2m views */
/*
 * Translations of its gfns that coshare does not keep (the IOMMU's, the
 * alternate views'): they would go on reaching a page coshare made
 * read-only, freed or gave to another domain.
 */
#define CS_ENV_DOM_OTHER_VIEWS  (CS_ENV_DOM_PASSTHROUGH | CS_ENV_DOM_ALTP2M)
uint32_t cs_env_domain_flags(struct cs_env *env, uint16_t domid);

/* Host frames. */
cs_mfn_t cs_env_frame_alloc(struct cs_env *env);      /* or CS_INVALID_MFN */
uint64_t cs_env_free_frames(struct cs_env *env);      /* host-wide, now */
void cs_env_frame_free(struct cs_env *env, cs_mfn_t mfn);
void *cs_env_frame_map(struct cs_env *env, cs_mfn_t mfn);
void cs_env_frame_unmap(struct cs_env *env, void *va);
/*
 * One 32-bit tag per host frame: the engine's frame id, 0 for none.  A
 * frame beyond the environment's table (memory hot-added after boot) reads
 * 0, and setting a nonzero tag there fails (-ENOSPC): such a frame never
 * becomes a shared frame.
 */
uint32_t cs_env_frame_tag(struct cs_env *env, cs_mfn_t mfn);
int cs_env_frame_set_tag(struct cs_env *env, cs_mfn_t mfn, uint32_t tag);

/*
 * The domain lost volatile pages to reclaim and should register more
 * (VIRQ_COSHARE in Xen).  Called with the engine lock and possibly p2m
 * locks held: must neither sleep nor take those.
 */
void cs_env_notify(struct cs_env *env, uint16_t domid);

/* Metadata memory: zeroed on allocation; NULL on failure. */
void *cs_env_alloc(struct cs_env *env, size_t size);
void cs_env_free(struct cs_env *env, void *p, size_t size);

/* The engine lock: one per engine, held across each engine call. */
void cs_env_lock(struct cs_env *env);
bool cs_env_trylock(struct cs_env *env);    /* true: now held */
void cs_env_unlock(struct cs_env *env);
/*
 * Between two holds of the engine lock in a long walk (the whole audit),
 * without the lock: the environment may do what waits on this CPU (Xen
 * runs its pending softirqs).
 */
void cs_env_relax(struct cs_env *env);
/*
 * Whether the caller's hypercall should stop here and be restarted (Xen's
 * hypercall_preempt_check()): a batch between two holds asks.
 */
bool cs_env_preempt(struct cs_env *env);

#ifdef __cplusplus
}
#endif

#endif /* COSHARE_CS_ENV_H */
