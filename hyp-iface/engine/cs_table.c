/* SPDX-License-Identifier: MIT */
/*
 * cs_table.c - slabs of fixed-size records and linear-hashing tables over
 * them.  Neither ever moves or rehashes everything at once: a slab grows by
 * one segment, a table by one bucket, so no single call can stall the
 * hypervisor however large sharing grows.
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

/* ---- linear hashing ----------------------------------------------------- */

uint64_t cs_lh_key_hash(const struct cs_engine *e, enum cs_kind kind,
                        uint32_t id)
{
    switch ( kind )
    {
    case CS_KIND_FRAME:
    {
        const struct cs_frame *f = cs_frame(e, id);

        return cs_index_key(cs_frame_hash(f), f->group);
    }
    case CS_KIND_MAPPING:
        return cs_gfn_key(cs_map(e, id)->dom, cs_map(e, id)->gfn);
    case CS_KIND_VOLATILE:
        return cs_gfn_key(cs_vol(e, id)->dom, cs_vol(e, id)->gfn);
    }
    return 0;
}

uint32_t *cs_lh_link(const struct cs_engine *e, enum cs_kind kind,
                     uint32_t id)
{
    switch ( kind )
    {
    case CS_KIND_FRAME:
        return &cs_frame(e, id)->hnext;
    case CS_KIND_MAPPING:
        return &cs_map(e, id)->hnext;
    case CS_KIND_VOLATILE:
        return &cs_vol(e, id)->hnext;
    }
    return NULL;
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

int cs_lh_init(struct cs_engine *e, struct cs_lhash *h, enum cs_kind kind)
{
    memset(h, 0, sizeof(*h));
    h->kind = kind;
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
    uint32_t *old_head, *new_head, id;

    if ( (nb >> CS_LH_SEG_SHIFT) >= h->nsegs && cs_lh_add_segment(e, h) )
        return;

    old_head = cs_lh_head(h, h->split);
    new_head = cs_lh_head(h, nb);
    id = *old_head;
    *old_head = CS_NIL;
    while ( id != CS_NIL )
    {
        uint32_t *link = cs_lh_link(e, h->kind, id);
        uint32_t next = *link;
        uint32_t *dst = (cs_lh_key_hash(e, h->kind, id) & mask) == nb ?
                        new_head : old_head;

        *link = *dst;
        *dst = id;
        id = next;
    }

    if ( ++h->split == h->round )
    {
        h->round *= 2;
        h->split = 0;
    }
}

int cs_lh_insert(struct cs_engine *e, struct cs_lhash *h, uint32_t id)
{
    uint32_t *head = cs_lh_head(h, cs_lh_bucket(h,
                                cs_lh_key_hash(e, h->kind, id)));

    *cs_lh_link(e, h->kind, id) = *head;
    *head = id;
    if ( ++h->count > CS_LH_LOAD * (h->round + h->split) )
        cs_lh_split(e, h);
    return 0;
}

/* The link that points at id: its predecessor's, or the bucket head. */
static uint32_t *cs_lh_find_link(const struct cs_engine *e,
                                 const struct cs_lhash *h, uint32_t id)
{
    uint32_t *link = cs_lh_head(h, cs_lh_bucket(h,
                                cs_lh_key_hash(e, h->kind, id)));

    while ( *link != CS_NIL && *link != id )
        link = cs_lh_link(e, h->kind, *link);
    return *link == id ? link : NULL;
}

void cs_lh_remove(struct cs_engine *e, struct cs_lhash *h, uint32_t id)
{
    uint32_t *link = cs_lh_find_link(e, h, id);

    if ( !link )
        return;
    *link = *cs_lh_link(e, h->kind, id);
    h->count--;
}

void cs_lh_replace(struct cs_engine *e, struct cs_lhash *h, uint32_t from,
                   uint32_t to)
{
    uint32_t *link = cs_lh_find_link(e, h, from);

    if ( !link )
        return;
    *cs_lh_link(e, h->kind, to) = *cs_lh_link(e, h->kind, from);
    *link = to;
}

uint32_t cs_lh_first(const struct cs_engine *e, const struct cs_lhash *h,
                     uint64_t key_hash)
{
    (void)e;
    return *cs_lh_head(h, cs_lh_bucket(h, key_hash));
}

uint32_t cs_mapping_find(const struct cs_engine *e, uint16_t slot,
                         uint64_t gfn)
{
    uint32_t id = cs_lh_first(e, &e->gfnmap, cs_gfn_key(slot, gfn));

    for ( ; id != CS_NIL; id = cs_map(e, id)->hnext )
        if ( cs_map(e, id)->gfn == gfn && cs_map(e, id)->dom == slot )
            return id;
    return CS_NIL;
}

uint32_t cs_volatile_find(const struct cs_engine *e, uint16_t slot,
                          uint64_t gfn)
{
    uint32_t id = cs_lh_first(e, &e->volmap, cs_gfn_key(slot, gfn));

    for ( ; id != CS_NIL; id = cs_vol(e, id)->hnext )
        if ( cs_vol(e, id)->gfn == gfn && cs_vol(e, id)->dom == slot )
            return id;
    return CS_NIL;
}
