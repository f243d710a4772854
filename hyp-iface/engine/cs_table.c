/* SPDX-License-Identifier: MIT */
/*
 * cs_table.c - the engine's containers: slabs of fixed-size records, the
 * linear-hashing content index and the per-domain gfn tables.  None ever
 * moves or rehashes everything at once (a slab grows by a segment, the
 * index by one bucket, a gfn table by one leaf), so no single call can
 * stall the hypervisor however large sharing grows.
 */
#include "cs_internal.h"

void *cs_meta_alloc(struct cs_engine *e, size_t size)
{
    void *p = cs_env_alloc(e->env, size);

    if ( p )
        e->meta_bytes += size;
    return p;
}

void cs_meta_free(struct cs_engine *e, void *p, size_t size)
{
    if ( !p )
        return;
    e->meta_bytes -= size;
    cs_env_free(e->env, p, size);
}

/* ---- slabs ------------------------------------------------------------- */

int cs_slab_init(struct cs_engine *e, struct cs_slab *s, uint32_t rec_size)
{
    (void)e;
    memset(s, 0, sizeof(*s));
    s->rec_size = rec_size;
    s->next_new = 1;            /* id 0 is CS_NIL */
    return 0;
}

void cs_slab_fini(struct cs_engine *e, struct cs_slab *s)
{
    uint32_t i;

    for ( i = 0; i < s->nsegs; i++ )
        cs_meta_free(e, s->segs[i], (size_t)CS_SLAB_SEG_RECS * s->rec_size);
    cs_meta_free(e, s->segs, s->seg_cap * sizeof(*s->segs));
    memset(s, 0, sizeof(*s));
}

uint32_t cs_slab_get(struct cs_engine *e, struct cs_slab *s)
{
    uint32_t id;

    if ( s->free_head != CS_NIL )
    {
        id = s->free_head;
        memcpy(&s->free_head, cs_slab_rec(s, id), sizeof(uint32_t));
    }
    else
    {
        if ( (s->next_new >> CS_SLAB_SEG_SHIFT) >= s->nsegs )
        {
            uint8_t *seg;

            if ( s->nsegs == s->seg_cap )
            {
                uint32_t cap = s->seg_cap ? 2 * s->seg_cap : 8;
                uint8_t **segs = cs_meta_alloc(e, cap * sizeof(*segs));

                if ( !segs )
                    return CS_NIL;
                if ( s->nsegs )
                    memcpy(segs, s->segs, s->nsegs * sizeof(*segs));
                cs_meta_free(e, s->segs, s->seg_cap * sizeof(*segs));
                s->segs = segs;
                s->seg_cap = cap;
            }
            seg = cs_meta_alloc(e, (size_t)CS_SLAB_SEG_RECS * s->rec_size);
            if ( !seg )
                return CS_NIL;
            s->segs[s->nsegs++] = seg;
        }
        id = s->next_new++;
    }
    memset(cs_slab_rec(s, id), 0, s->rec_size);
    s->live++;
    return id;
}

/* The caller has already marked the record free (refs 0 / CS_MAP_FREE). */
void cs_slab_put(struct cs_slab *s, uint32_t id)
{
    memcpy(cs_slab_rec(s, id), &s->free_head, sizeof(uint32_t));
    s->free_head = id;
    s->live--;
}

/* ---- the content index: linear hashing over frames ---------------------- */

static uint64_t cs_lh_key_of(const struct cs_engine *e, uint32_t fid)
{
    const struct cs_frame *f = cs_frame(e, fid);

    return cs_index_key(cs_frame_hash(f), f->group);
}

static uint32_t cs_lh_bucket(const struct cs_lhash *h, uint64_t key_hash)
{
    uint32_t b = key_hash & (h->round - 1);

    if ( b < h->split )
        b = key_hash & (2 * h->round - 1);
    return b;
}

static uint32_t *cs_lh_head(const struct cs_lhash *h, uint32_t bucket)
{
    return &h->dir[bucket >> CS_LH_SEG_SHIFT][bucket & (CS_LH_SEG_BUCKETS - 1)];
}

static int cs_lh_add_segment(struct cs_engine *e, struct cs_lhash *h)
{
    uint32_t *seg;

    if ( h->nsegs == h->dir_cap )
    {
        uint32_t cap = 2 * h->dir_cap;
        uint32_t **dir = cs_meta_alloc(e, cap * sizeof(*dir));

        if ( !dir )
            return -ENOMEM;
        memcpy(dir, h->dir, h->nsegs * sizeof(*dir));
        cs_meta_free(e, h->dir, h->dir_cap * sizeof(*dir));
        h->dir = dir;
        h->dir_cap = cap;
    }
    seg = cs_meta_alloc(e, CS_LH_SEG_BUCKETS * sizeof(*seg));
    if ( !seg )
        return -ENOMEM;
    h->dir[h->nsegs++] = seg;
    return 0;
}

int cs_lh_init(struct cs_engine *e, struct cs_lhash *h)
{
    memset(h, 0, sizeof(*h));
    h->dir_cap = 4;
    h->dir = cs_meta_alloc(e, h->dir_cap * sizeof(*h->dir));
    if ( !h->dir )
        return -ENOMEM;
    h->round = CS_LH_SEG_BUCKETS;
    return cs_lh_add_segment(e, h);
}

void cs_lh_fini(struct cs_engine *e, struct cs_lhash *h)
{
    uint32_t i;

    for ( i = 0; i < h->nsegs; i++ )
        cs_meta_free(e, h->dir[i], CS_LH_SEG_BUCKETS * sizeof(uint32_t));
    cs_meta_free(e, h->dir, h->dir_cap * sizeof(*h->dir));
    memset(h, 0, sizeof(*h));
}

/* Splits one bucket; a failed allocation only leaves chains longer. */
static void cs_lh_split(struct cs_engine *e, struct cs_lhash *h)
{
    uint32_t nb = h->round + h->split;
    uint32_t mask = 2 * h->round - 1;
    uint32_t *old_head, *new_head, fid;

    if ( (nb >> CS_LH_SEG_SHIFT) >= h->nsegs && cs_lh_add_segment(e, h) )
        return;

    old_head = cs_lh_head(h, h->split);
    new_head = cs_lh_head(h, nb);
    fid = *old_head;
    *old_head = CS_NIL;
    while ( fid != CS_NIL )
    {
        struct cs_frame *f = cs_frame(e, fid);
        uint32_t next = f->hnext;
        uint32_t *dst = (cs_lh_key_of(e, fid) & mask) == nb ? new_head
                                                           : old_head;

        f->hnext = *dst;
        *dst = fid;
        fid = next;
    }

    if ( ++h->split == h->round )
    {
        h->round *= 2;
        h->split = 0;
    }
}

void cs_lh_insert(struct cs_engine *e, struct cs_lhash *h, uint32_t fid)
{
    uint32_t *head = cs_lh_head(h, cs_lh_bucket(h, cs_lh_key_of(e, fid)));

    cs_frame(e, fid)->hnext = *head;
    *head = fid;
    if ( ++h->count > CS_LH_LOAD * (h->round + h->split) )
        cs_lh_split(e, h);
}

void cs_lh_remove(struct cs_engine *e, struct cs_lhash *h, uint32_t fid)
{
    uint32_t *link = cs_lh_head(h, cs_lh_bucket(h, cs_lh_key_of(e, fid)));

    while ( *link != CS_NIL && *link != fid )
        link = &cs_frame(e, *link)->hnext;
    if ( *link != fid )
        return;
    *link = cs_frame(e, fid)->hnext;
    h->count--;
}

uint32_t cs_lh_first(const struct cs_engine *e, const struct cs_lhash *h,
                     uint64_t key_hash)
{
    (void)e;
    return *cs_lh_head(h, cs_lh_bucket(h, key_hash));
}

/* ---- per-domain gfn tables ------------------------------------------------ */

static struct cs_gt_mid *cs_gt_mid(const struct cs_gfn_table *t, uint64_t l)
{
    uint64_t m = l >> CS_GT_MID_SHIFT;

    return m < t->nmids ? t->mid[m] : NULL;
}

const uint32_t *cs_gt_leaf(const struct cs_domain *d, uint64_t l,
                           uint16_t *used)
{
    const struct cs_gt_mid *mid = cs_gt_mid(&d->gt, l);
    unsigned int i = l & (CS_GT_MID - 1);

    if ( !mid || !mid->leaf[i] )
        return NULL;
    if ( used )
        *used = mid->used[i];
    return mid->leaf[i];
}

uint64_t cs_gt_next_leaf(const struct cs_domain *d, uint64_t l)
{
    const struct cs_gfn_table *t = &d->gt;

    for ( ; (l >> CS_GT_MID_SHIFT) < t->nmids; l++ )
    {
        const struct cs_gt_mid *mid = t->mid[l >> CS_GT_MID_SHIFT];

        if ( !mid )
            l |= CS_GT_MID - 1;     /* on to the next mid */
        else if ( mid->leaf[l & (CS_GT_MID - 1)] )
            return l;
    }
    return CS_GT_NO_LEAF;
}

uint32_t cs_gt_get(const struct cs_domain *d, uint64_t gfn)
{
    const uint32_t *leaf = cs_gt_leaf(d, gfn >> CS_GT_LEAF_SHIFT, NULL);

    return leaf ? leaf[gfn & (CS_GT_LEAF - 1)] : 0;
}

/* mid[] long enough for mid number m. */
static int cs_gt_grow(struct cs_engine *e, struct cs_gfn_table *t,
                      uint64_t m)
{
    uint32_t n = t->nmids ? t->nmids : 1;
    struct cs_gt_mid **mid;

    while ( n <= m )
        n *= 2;
    mid = cs_meta_alloc(e, n * sizeof(*mid));
    if ( !mid )
        return -ENOMEM;
    if ( t->nmids )
        memcpy(mid, t->mid, t->nmids * sizeof(*mid));
    cs_meta_free(e, t->mid, t->nmids * sizeof(*mid));
    t->mid = mid;
    t->nmids = n;
    return 0;
}

int cs_gt_set(struct cs_engine *e, struct cs_domain *d, uint64_t gfn,
              uint32_t val)
{
    struct cs_gfn_table *t = &d->gt;
    uint64_t l = gfn >> CS_GT_LEAF_SHIFT, m = l >> CS_GT_MID_SHIFT;
    unsigned int i = l & (CS_GT_MID - 1);
    struct cs_gt_mid *mid = cs_gt_mid(t, l);
    uint32_t *slot;

    if ( !mid || !mid->leaf[i] )
    {
        if ( !val )
            return 0;
        if ( m >= t->nmids && cs_gt_grow(e, t, m) )
            return -ENOMEM;
        if ( !t->mid[m] )
            t->mid[m] = cs_meta_alloc(e, sizeof(*mid));
        mid = t->mid[m];
        if ( !mid )
            return -ENOMEM;
        mid->leaf[i] = cs_meta_alloc(e, CS_GT_LEAF * sizeof(uint32_t));
        if ( !mid->leaf[i] )
        {
            if ( !mid->leaves )
            {
                cs_meta_free(e, mid, sizeof(*mid));
                t->mid[m] = NULL;
            }
            return -ENOMEM;
        }
        mid->leaves++;
    }
    slot = &mid->leaf[i][gfn & (CS_GT_LEAF - 1)];
    mid->used[i] += (val != 0) - (*slot != 0);
    *slot = val;
    if ( !mid->used[i] )
    {
        cs_meta_free(e, mid->leaf[i], CS_GT_LEAF * sizeof(uint32_t));
        mid->leaf[i] = NULL;
        if ( !--mid->leaves )
        {
            cs_meta_free(e, mid, sizeof(*mid));
            t->mid[m] = NULL;
        }
    }
    return 0;
}

void cs_gt_fini(struct cs_engine *e, struct cs_domain *d)
{
    struct cs_gfn_table *t = &d->gt;
    uint32_t m, i;

    for ( m = 0; m < t->nmids; m++ )
    {
        if ( !t->mid[m] )
            continue;
        for ( i = 0; i < CS_GT_MID; i++ )
            cs_meta_free(e, t->mid[m]->leaf[i], CS_GT_LEAF * sizeof(uint32_t));
        cs_meta_free(e, t->mid[m], sizeof(*t->mid[m]));
    }
    cs_meta_free(e, t->mid, t->nmids * sizeof(*t->mid));
    memset(t, 0, sizeof(*t));
}

uint32_t cs_mapping_find(const struct cs_engine *e, uint16_t slot,
                         uint64_t gfn)
{
    const struct cs_domain *d = cs_dom_of_slot(e, slot);
    uint32_t v = d ? cs_gt_get(d, gfn) : 0;

    return (v & CS_GT_VOLATILE) ? CS_NIL : v;
}

uint32_t cs_volatile_find(const struct cs_engine *e, uint16_t slot,
                          uint64_t gfn)
{
    const struct cs_domain *d = cs_dom_of_slot(e, slot);
    uint32_t v = d ? cs_gt_get(d, gfn) : 0;

    return (v & CS_GT_VOLATILE) ? v & ~CS_GT_VOLATILE : CS_NIL;
}
