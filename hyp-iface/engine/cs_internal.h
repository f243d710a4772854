/* SPDX-License-Identifier: MIT */
/*
 * cs_internal.h - the engine's data structures, shared by its files and by
 * the white-box tests (which inject corruption for the audit to find).
 *
 * Records live in slabs and refer to each other by 32-bit ids (0 = none),
 * which keeps them small and stable.  Sizes, per record:
 *   frame 28 bytes, plus 2 of hash-bucket heads: one per shared frame;
 *   mapping 12 bytes, plus 4 in the gfn table: one per shared gfn;
 *   volatile 24 bytes, plus 4 in the gfn table: one per volatile gfn.
 */
#ifndef COSHARE_CS_INTERNAL_H
#define COSHARE_CS_INTERNAL_H

#include "cs_engine.h"

#ifndef __XEN__
#define min_t(type, a, b) ((type)(a) < (type)(b) ? (type)(a) : (type)(b))
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define CS_NIL            0u
#define CS_MAX_DOMAINS    1024u       /* domains known at once */
#define CS_DOMID_LIMIT    0x7ff0u     /* DOMID_FIRST_RESERVED */

/* ---- slab: fixed-size records addressed by 32-bit ids ---------------- */

#define CS_SLAB_SEG_SHIFT 10
#define CS_SLAB_SEG_RECS  (1u << CS_SLAB_SEG_SHIFT)

struct cs_slab {
    uint32_t rec_size;
    uint32_t nsegs, seg_cap;
    uint8_t **segs;
    uint32_t free_head;     /* free list through each record's first word */
    uint32_t next_new;      /* first never-used id */
    uint32_t live;
};

/* ---- linear-hashing table over slab records --------------------------- */

#define CS_LH_SEG_SHIFT   10
#define CS_LH_SEG_BUCKETS (1u << CS_LH_SEG_SHIFT)
#define CS_LH_LOAD        2u        /* records per bucket before a split */

/*
 * The content index: frames chained by hnext.  Grows one bucket at a time
 * (Litwin's linear hashing), so no insert ever rehashes the whole table: no
 * pause, whatever the size.
 */
struct cs_lhash {
    uint32_t **dir;         /* segments of bucket heads */
    uint32_t dir_cap, nsegs;
    uint32_t round;         /* buckets at the start of this round */
    uint32_t split;         /* next bucket to split */
    uint32_t count;
};

/* ---- records ----------------------------------------------------------- */

#define CS_FRAME_ZERO     0x01      /* content is all zero */
#define CS_FRAME_UNINDEXED 0x02     /* protected, not yet read: no key */

struct cs_frame {
    uint32_t hash_lo, hash_hi;  /* content hash (masked) */
    uint32_t mfn_lo;
    uint8_t  mfn_hi;
    uint8_t  flags;
    uint16_t group;
    uint32_t refs;              /* mappings; 0 only while free */
    uint32_t rmap;              /* head of the rmap ring: the owner */
    uint32_t hnext;             /* content-index chain */
};

#define CS_MAP_FREE       0xffffu   /* cs_mapping.dom of a free record */

struct cs_mapping {
    uint32_t gfn;
    uint16_t dom;               /* domain slot */
    uint16_t spare;
    uint32_t rnext;             /* rmap ring, singly linked */
};

struct cs_volatile {
    uint32_t gfn;
    uint16_t dom;               /* domain slot; CS_MAP_FREE when free */
    uint16_t spare;
    uint32_t dnext, dprev;      /* the domain's FIFO, oldest first */
};

/*
 * Per-domain gfn table: a three-level radix tree from gfn to the record the
 * engine holds there, a mapping id or CS_GT_VOLATILE | volatile id.  O(1)
 * and never rehashed.  Leaves (1024 gfns) and mids (1024 leaves) exist only
 * where the domain has tracked gfns, so a gfn near the top of the range
 * costs a few KiB, not a table sized to reach it.
 */
#define CS_GT_LEAF_SHIFT  10
#define CS_GT_LEAF        (1u << CS_GT_LEAF_SHIFT)
#define CS_GT_MID_SHIFT   10
#define CS_GT_MID         (1u << CS_GT_MID_SHIFT)
#define CS_GT_VOLATILE    0x80000000u
#define CS_GT_NO_LEAF     (~(uint64_t)0)

struct cs_gt_mid {
    uint32_t *leaf[CS_GT_MID];
    uint16_t used[CS_GT_MID];   /* entries in use per leaf */
    uint32_t leaves;            /* leaves present */
};

struct cs_gfn_table {
    struct cs_gt_mid **mid;
    uint32_t nmids;             /* length of mid[] */
};

/* ---- domains ----------------------------------------------------------- */

#define CS_DOM_DYING      (1u << 31)
#define CS_DOM_NOTIFY     (1u << 30)  /* armed: next reclaim notifies */

struct cs_domain {
    uint16_t domid, slot;
    uint16_t group;
    uint32_t flags;             /* XEN_COSHARE_CTL_* | CS_DOM_* */
    uint32_t classes;           /* XEN_COSHARE_CLASSES_* it may hint */
    uint64_t mappings;          /* gfns mapping shared frames */
    uint64_t owned;             /* frames whose rmap head is ours */
    uint64_t bonus;             /* mappings that are not a head */
    uint32_t fifo_head, fifo_tail;
    uint64_t fifo_len;
    uint64_t teardown_gfn;      /* resume point of a teardown */
    struct cs_gfn_table gt;
    struct xen_coshare_stats st;
};

struct cs_engine {
    struct cs_env *env;
    struct cs_config cfg;
    struct cs_slab frames, maps, vols;
    struct cs_lhash index;      /* (group, content hash) -> frame */
    uint64_t zero_hash;         /* cs_content_hash of an all-zero page */
    uint64_t meta_bytes;
    uint64_t saved;                         /* sum of (refs - 1) */
    uint64_t reserve;                       /* free frames CoW leaves */
    struct cs_domain *held;                 /* p2m held: cs_p2m_hold() */
    struct xen_coshare_stats st;            /* host-wide counters */
    struct cs_domain *dom[CS_MAX_DOMAINS];  /* by slot */
    uint16_t slot_hash[2 * CS_MAX_DOMAINS]; /* domid -> slot + 1, probed */
    uint32_t ndoms;
    /* Violations cs_audit_gfn found after ops, and the first one's text. */
    uint32_t op_audit_errors;
    char op_audit_first[160];
    /* Duplicate detection within one batch. */
    uint32_t batch_gen;
    uint32_t seen_gen[2 * XEN_COSHARE_BATCH_MAX];
    uint64_t seen_gfn[2 * XEN_COSHARE_BATCH_MAX];
};

/* ---- helpers shared between engine files ------------------------------ */

/*
 * A run of p2m calls on d's p2m alone: the environment may keep it locked
 * across the run (cs_env_p2m_hold), and callers of the nowait ops hold it
 * already.  Inside, the engine touches no other domain's p2m: a second p2m
 * lock taken there could invert Xen's order between them.
 */
static inline void cs_p2m_hold(struct cs_engine *e, struct cs_domain *d)
{
    cs_env_p2m_hold(e->env, d->domid);
    e->held = d;
}

static inline void cs_p2m_release(struct cs_engine *e)
{
    cs_env_p2m_release(e->env, e->held->domid);
    e->held = NULL;
}

/* Bumps a counter for the host and for domain d. */
#define CS_COUNT(e, d, field) do { (e)->st.field++; (d)->st.field++; } while ( 0 )

static inline struct cs_domain *cs_dom_of_slot(const struct cs_engine *e,
                                               uint16_t slot)
{
    return slot < CS_MAX_DOMAINS ? e->dom[slot] : NULL;
}

void *cs_meta_alloc(struct cs_engine *e, size_t size);
void cs_meta_free(struct cs_engine *e, void *p, size_t size);

int cs_slab_init(struct cs_engine *e, struct cs_slab *s, uint32_t rec_size);
void cs_slab_fini(struct cs_engine *e, struct cs_slab *s);
uint32_t cs_slab_get(struct cs_engine *e, struct cs_slab *s);
void cs_slab_put(struct cs_slab *s, uint32_t id);

static inline void *cs_slab_rec(const struct cs_slab *s, uint32_t id)
{
    return s->segs[id >> CS_SLAB_SEG_SHIFT] +
           (size_t)(id & (CS_SLAB_SEG_RECS - 1)) * s->rec_size;
}

static inline struct cs_frame *cs_frame(const struct cs_engine *e, uint32_t id)
{
    return (struct cs_frame *)cs_slab_rec(&e->frames, id);
}

static inline struct cs_mapping *cs_map(const struct cs_engine *e, uint32_t id)
{
    return (struct cs_mapping *)cs_slab_rec(&e->maps, id);
}

static inline struct cs_volatile *cs_vol(const struct cs_engine *e,
                                         uint32_t id)
{
    return (struct cs_volatile *)cs_slab_rec(&e->vols, id);
}

int cs_lh_init(struct cs_engine *e, struct cs_lhash *h);
void cs_lh_fini(struct cs_engine *e, struct cs_lhash *h);
void cs_lh_insert(struct cs_engine *e, struct cs_lhash *h, uint32_t fid);
void cs_lh_remove(struct cs_engine *e, struct cs_lhash *h, uint32_t fid);
uint32_t cs_lh_first(const struct cs_engine *e, const struct cs_lhash *h,
                     uint64_t key_hash);

/* Gfn table: the entry at gfn (0 if none); set allocates, 0 clears. */
uint32_t cs_gt_get(const struct cs_domain *d, uint64_t gfn);
/* Leaf number l (gfns l << CS_GT_LEAF_SHIFT on) and its count, if any. */
const uint32_t *cs_gt_leaf(const struct cs_domain *d, uint64_t l,
                           uint16_t *used);
/* The first leaf numbered l or higher that exists, or CS_GT_NO_LEAF. */
uint64_t cs_gt_next_leaf(const struct cs_domain *d, uint64_t l);
int cs_gt_set(struct cs_engine *e, struct cs_domain *d, uint64_t gfn,
              uint32_t val);
void cs_gt_fini(struct cs_engine *e, struct cs_domain *d);

static inline uint64_t cs_frame_hash(const struct cs_frame *f)
{
    return ((uint64_t)f->hash_hi << 32) | f->hash_lo;
}

static inline cs_mfn_t cs_frame_mfn(const struct cs_frame *f)
{
    return ((cs_mfn_t)f->mfn_hi << 32) | f->mfn_lo;
}

/* The engine's hash of a page's content, as the index keys it. */
static inline uint64_t cs_content_hash(const struct cs_engine *e,
                                       const void *va)
{
    return cs_hash_page_seeded(va, e->cfg.hash_seed) & e->cfg.hash_mask;
}

static inline uint64_t cs_index_key(uint64_t hash, uint16_t group)
{
    return cs_mix64(hash ^ ((uint64_t)group << 48));
}

/* One all-zero page, for comparisons and the zero hash. */
extern const uint64_t cs_zero_page[CS_PAGE_SIZE / 8];

/* Lookups: record id or CS_NIL. */
uint32_t cs_mapping_find(const struct cs_engine *e, uint16_t slot,
                         uint64_t gfn);
uint32_t cs_volatile_find(const struct cs_engine *e, uint16_t slot,
                          uint64_t gfn);

struct cs_domain *cs_domain_get(const struct cs_engine *e, uint16_t domid);
struct cs_domain *cs_domain_get_or_create(struct cs_engine *e,
                                          uint16_t domid);

/* Frames and the rmap. */
/* A new frame record for mfn; -ENOSPC if the environment cannot tag it. */
int cs_frame_new(struct cs_engine *e, cs_mfn_t mfn, uint64_t hash,
                 uint16_t group, uint8_t flags, uint32_t *fid);
/* Forgets frame fid (index, tag, record); returns its mfn. */
cs_mfn_t cs_frame_drop(struct cs_engine *e, uint32_t fid);
int cs_rmap_add(struct cs_engine *e, uint32_t fid, struct cs_domain *d,
                uint64_t gfn);
/*
 * Removes mapping mid of (d, gfn) from frame fid; when refs drops to 0 the
 * frame record goes and its mfn is returned for the caller to reuse or
 * free; otherwise CS_INVALID_MFN.
 */
cs_mfn_t cs_rmap_del(struct cs_engine *e, uint32_t fid, uint32_t mid);
/*
 * Mapping mid, the only one of frame from, becomes one of frame to (never
 * empty); from's record goes and its mfn is returned for the caller to free.
 */
cs_mfn_t cs_rmap_move_lone(struct cs_engine *e, uint32_t from, uint32_t to,
                           uint32_t mid);
/* Domain whose bonus a removal of mid from fid retires. */
struct cs_domain *cs_rmap_debtor(const struct cs_engine *e, uint32_t fid,
                                 uint32_t mid);

/*
 * The repayment rule, the one place it is written: a domain's FIFO of
 * volatile pages covers its bonus (the frames its sharing saved), here with
 * `more` frames saved or `more` volatile pages gone.  A QUIET domain's FIFO
 * covers all its mappings, so that what it may hint never depends on what
 * other domains hold.  cs_repay_covers() asks it of a domain under
 * XEN_COSHARE_CTL_REPAY (any other is covered).  A dying domain owes
 * nothing: none of its vCPUs runs again, and its teardown, gfn by gfn, may
 * drop volatile pages before the mappings they covered.
 */
static inline bool cs_repay_due(const struct cs_domain *d)
{
    return (d->flags & XEN_COSHARE_CTL_REPAY) && !(d->flags & CS_DOM_DYING);
}

static inline uint64_t cs_repay_owed(const struct cs_domain *d)
{
    return (d->flags & XEN_COSHARE_CTL_QUIET) ? d->mappings : d->bonus;
}

static inline bool cs_fifo_covers(const struct cs_domain *d, uint64_t more)
{
    return d->fifo_len >= cs_repay_owed(d) + more;
}

static inline bool cs_repay_covers(const struct cs_domain *d, uint64_t more)
{
    return !cs_repay_due(d) || cs_fifo_covers(d, more);
}

/* Volatile pages d can give up for another domain's fault, by that rule. */
static inline uint64_t cs_repay_spare(const struct cs_domain *d)
{
    if ( !cs_repay_due(d) )
        return d->fifo_len;
    return cs_fifo_covers(d, 0) ? d->fifo_len - cs_repay_owed(d) : 0;
}

/* Ledger. */
cs_mfn_t cs_reclaim(struct cs_engine *e, struct cs_domain *first,
                    uint16_t group);
cs_mfn_t cs_cow_frame(struct cs_engine *e, struct cs_domain *debtor,
                      uint16_t group);
void cs_volatile_unlink(struct cs_engine *e, struct cs_domain *d,
                        uint32_t vid);

/* Marks a batch entry skipped, for the reason given. */
static inline void cs_entry_skip(xen_coshare_entry_t *ent, int32_t why)
{
    ent->result = XEN_COSHARE_RES_SKIPPED;
    ent->error = why;
}

/* Operations (engine lock held). */
int cs_domain_control(struct cs_engine *e, uint16_t domid,
                      struct xen_coshare_control *c);
int cs_domain_set_classes(struct cs_engine *e, uint16_t domid,
                          struct xen_coshare_classes *c);
int cs_domain_set_group(struct cs_engine *e, uint16_t domid,
                        const struct xen_coshare_group *g);
int cs_stats_locked(struct cs_engine *e, uint16_t domid,
                    xen_coshare_stats_t *out);
/*
 * The invariants gfn of d takes part in, checked right after an op on it
 * (cfg.audit_each_op).  Queries d's p2m alone, as the nowait ops may.
 */
void cs_audit_gfn(struct cs_engine *e, const struct cs_domain *d,
                  uint64_t gfn);
unsigned int cs_audit_locked(struct cs_engine *e,
                             struct xen_coshare_audit *res,
                             cs_audit_report_t *report, void *arg);
/*
 * Batch entries per engine-lock hold: enough to amortise the lock and d's
 * p2m lock (held across a hint hold), few enough that the worst entries
 * (in-use pages compared in full, or unshared by copy) keep a hold near
 * 20 us on the simulator (I2 in make bench: 45 us with 32 entries).
 */
#define CS_BATCH_HOLD_ENTRIES 16
void cs_batch_check(struct cs_engine *e, struct cs_domain *d,
                    xen_coshare_entry_t *ents, uint32_t from, uint32_t nr);
void cs_do_batch(struct cs_engine *e, struct cs_domain *d, uint8_t op,
                 unsigned int cls, xen_coshare_entry_t *ents, uint32_t nr);
int cs_do_unshare(struct cs_engine *e, struct cs_domain *d, uint64_t gfn);
void cs_drop_mapping(struct cs_engine *e, struct cs_domain *d, uint64_t gfn,
                     uint32_t mid);

/* One entry of a batch op: 0 with ent->result set, or -errno. */
int cs_hint_one(struct cs_engine *e, struct cs_domain *d, unsigned int cls,
                xen_coshare_entry_t *ent);
void cs_hint_prefetch(struct cs_engine *e, struct cs_domain *d, uint64_t gfn);
int cs_unhint_one(struct cs_engine *e, struct cs_domain *d,
                  xen_coshare_entry_t *ent);
int cs_vol_add_one(struct cs_engine *e, struct cs_domain *d,
                   xen_coshare_entry_t *ent);
int cs_vol_del_one(struct cs_engine *e, struct cs_domain *d,
                   xen_coshare_entry_t *ent);

#ifdef __cplusplus
}
#endif

#endif /* COSHARE_CS_INTERNAL_H */
