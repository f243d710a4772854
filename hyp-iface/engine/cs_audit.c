/* SPDX-License-Identifier: MIT */
/*
 * cs_audit.c - checks every invariant of the engine and reports each
 * violation: refcounts against the rmap, rmap against the gfn map and the
 * p2m, the content index against the frames and their contents, sharing
 * only within a group, the repayment ledger, and the totals.
 *
 * Two passes.  The costly checks are each of one record: a frame's content
 * hashed and compared with its index neighbours, each of its mappings' p2m
 * entries, each volatile page's.  cs_audit() makes them a few records per
 * hold of the engine lock (CS_AUDIT_HOLD), so a whole audit never stalls
 * the ops of every guest (each hold sees a state between two ops, so what
 * it checks holds then).  The totals pass counts rings, FIFOs and gfn
 * tables against the counters, which only one state can satisfy: it runs
 * in one hold, and reads no content and no p2m.
 */
#include "cs_internal.h"

struct cs_audit_ctx {
    struct cs_engine *e;
    cs_audit_report_t *report;
    void *arg;
    unsigned int errors;
};

static void cs_bad(struct cs_audit_ctx *c, const char *fmt, ...)
{
    char msg[160];
    va_list ap;

    c->errors++;
    if ( !c->report )
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    c->report(c->arg, msg);
}

static bool cs_index_has(const struct cs_engine *e, uint32_t fid)
{
    const struct cs_frame *f = cs_frame(e, fid);
    uint32_t id = cs_lh_first(e, &e->index,
                              cs_index_key(cs_frame_hash(f), f->group));

    for ( ; id != CS_NIL; id = cs_frame(e, id)->hnext )
        if ( id == fid )
            return true;
    return false;
}

static void cs_audit_content(struct cs_audit_ctx *c, uint32_t fid)
{
    struct cs_engine *e = c->e;
    const struct cs_frame *f = cs_frame(e, fid);
    void *va = cs_env_frame_map(e->env, cs_frame_mfn(f));
    uint32_t id;

    if ( cs_content_hash(e, va) != cs_frame_hash(f) )
        cs_bad(c, "frame %u: content changed under its hash", fid);
    if ( (f->flags & CS_FRAME_ZERO) && !cs_page_zero(va) )
        cs_bad(c, "frame %u: marked zero but is not", fid);

    /* Two frames of one group must never hold the same content. */
    id = cs_lh_first(e, &e->index, cs_index_key(cs_frame_hash(f), f->group));
    for ( ; id != CS_NIL; id = cs_frame(e, id)->hnext )
    {
        const struct cs_frame *g = cs_frame(e, id);
        void *gva;

        if ( id <= fid || g->group != f->group ||
             cs_frame_hash(g) != cs_frame_hash(f) )
            continue;
        gva = cs_env_frame_map(e->env, cs_frame_mfn(g));
        if ( cs_page_equal(va, gva) )
            cs_bad(c, "frames %u and %u: same content, not merged", fid, id);
        cs_env_frame_unmap(e->env, gva);
    }
    cs_env_frame_unmap(e->env, va);
}

/* Units of work (frames, mappings, volatile pages) per hold of cs_audit. */
#define CS_AUDIT_HOLD 256

/*
 * The costly checks of frame fid, if live: its tag, its content, and what
 * each of its mappings' p2m entries maps.  A broken ring is the totals
 * pass's to report: this walk only stops at it.  Returns the units done.
 */
static unsigned int cs_audit_frame_deep(struct cs_audit_ctx *c, uint32_t fid)
{
    struct cs_engine *e = c->e;
    const struct cs_frame *f = cs_frame(e, fid);
    cs_mfn_t mfn = cs_frame_mfn(f);
    uint32_t mid = f->rmap, n = 0;

    if ( !f->refs )
        return 1;
    if ( cs_env_frame_tag(e->env, mfn) != fid )
        cs_bad(c, "frame %u: mfn %#llx tagged %u", fid,
               (unsigned long long)mfn, cs_env_frame_tag(e->env, mfn));
    cs_audit_content(c, fid);

    while ( mid != CS_NIL && mid < e->maps.next_new &&
            cs_map(e, mid)->dom != CS_MAP_FREE && n++ < f->refs )
    {
        const struct cs_mapping *m = cs_map(e, mid);
        const struct cs_domain *d = cs_dom_of_slot(e, m->dom);
        cs_mfn_t pm;

        if ( d && (cs_env_p2m_query(e->env, d->domid, m->gfn, &pm) !=
                   CS_P2M_SHARED || pm != mfn) )
            cs_bad(c, "frame %u: p2m of d%u gfn %#x is not the frame", fid,
                   d->domid, m->gfn);
        if ( (mid = m->rnext) == f->rmap )
            break;
    }
    return 1 + n;
}

/* The costly check of volatile page vid, if live: no shared frame mapped. */
static unsigned int cs_audit_vol_deep(struct cs_audit_ctx *c, uint32_t vid)
{
    struct cs_engine *e = c->e;
    const struct cs_volatile *v = cs_vol(e, vid);
    const struct cs_domain *d = cs_dom_of_slot(e, v->dom);
    cs_mfn_t mfn;

    if ( v->dom != CS_MAP_FREE && d &&
         cs_env_p2m_query(e->env, d->domid, v->gfn, &mfn) == CS_P2M_SHARED )
        cs_bad(c, "d%u: volatile gfn %#x maps a shared frame", d->domid,
               v->gfn);
    return 1;
}

/*
 * The costly checks of frames [*fid, frames.next_new) and then of volatile
 * pages [*vid, vols.next_new), until budget units are done; true when all
 * are.
 */
static bool cs_audit_deep(struct cs_audit_ctx *c, uint32_t *fid,
                          uint32_t *vid, unsigned long budget)
{
    struct cs_engine *e = c->e;
    unsigned long done = 0;

    for ( ; *fid < e->frames.next_new && done < budget; (*fid)++ )
        done += cs_audit_frame_deep(c, *fid);
    for ( ; *vid < e->vols.next_new && done < budget; (*vid)++ )
        done += cs_audit_vol_deep(c, *vid);
    return *fid >= e->frames.next_new && *vid >= e->vols.next_new;
}

/* Walks one frame's rmap; returns the mappings found. */
static uint64_t cs_audit_frame(struct cs_audit_ctx *c, uint32_t fid,
                               uint64_t *owned, uint64_t *bonus,
                               uint64_t *maps)
{
    struct cs_engine *e = c->e;
    const struct cs_frame *f = cs_frame(e, fid);
    uint64_t n = 0;
    uint32_t mid = f->rmap;

    if ( !cs_index_has(e, fid) )
        cs_bad(c, "frame %u: missing from the content index", fid);

    if ( mid == CS_NIL )
    {
        cs_bad(c, "frame %u: refs %u but empty rmap", fid, f->refs);
        return 0;
    }
    do {
        const struct cs_mapping *m;
        const struct cs_domain *d;

        if ( mid == CS_NIL || mid >= e->maps.next_new ||
             cs_map(e, mid)->dom == CS_MAP_FREE )
        {
            cs_bad(c, "frame %u: rmap reaches a free record %u", fid, mid);
            break;
        }
        m = cs_map(e, mid);
        d = cs_dom_of_slot(e, m->dom);
        n++;
        if ( !d )
        {
            cs_bad(c, "frame %u: mapping %u of unknown domain slot %u",
                   fid, mid, m->dom);
            continue;
        }
        if ( mid == f->rmap )
            owned[m->dom]++;
        else
            bonus[m->dom]++;
        maps[m->dom]++;
        if ( d->group != f->group )
            cs_bad(c, "frame %u: group %u shared by d%u of group %u",
                   fid, f->group, d->domid, d->group);
        if ( cs_mapping_find(e, m->dom, m->gfn) != mid )
            cs_bad(c, "frame %u: d%u gfn %#x not in the gfn table", fid,
                   d->domid, m->gfn);
    } while ( (mid = cs_map(e, mid)->rnext) != f->rmap && n <= f->refs );

    if ( n != f->refs )
        cs_bad(c, "frame %u: refs %u but rmap holds %llu", fid, f->refs,
               (unsigned long long)n);
    return n;
}

static void cs_audit_fifo(struct cs_audit_ctx *c, const struct cs_domain *d)
{
    struct cs_engine *e = c->e;
    uint64_t n = 0;
    uint32_t vid;

    for ( vid = d->fifo_head; vid != CS_NIL && n <= d->fifo_len;
          vid = cs_vol(e, vid)->dnext, n++ )
    {
        const struct cs_volatile *v = cs_vol(e, vid);

        if ( v->dom != d->slot )
        {
            cs_bad(c, "d%u: FIFO holds volatile %u of slot %u", d->domid,
                   vid, v->dom);
            continue;
        }
        if ( cs_volatile_find(e, d->slot, v->gfn) != vid )
            cs_bad(c, "d%u: volatile gfn %#x not in the gfn table",
                   d->domid, v->gfn);
        if ( cs_mapping_find(e, d->slot, v->gfn) != CS_NIL )
            cs_bad(c, "d%u: volatile gfn %#x is also shared", d->domid,
                   v->gfn);
    }
    if ( n != d->fifo_len )
        cs_bad(c, "d%u: FIFO holds %llu, length says %llu", d->domid,
               (unsigned long long)n, (unsigned long long)d->fifo_len);
    if ( !cs_repay_covers(d, 0) )
        cs_bad(c, "d%u: FIFO %llu shorter than the %llu it must cover",
               d->domid, (unsigned long long)d->fifo_len,
               (unsigned long long)cs_repay_owed(d));
}

/* Every gfn-table entry names a live record of this (domain, gfn). */
static void cs_audit_gt(struct cs_audit_ctx *c, const struct cs_domain *d,
                        uint64_t *maps, uint64_t *vols)
{
    struct cs_engine *e = c->e;
    uint64_t l;
    uint32_t i;

    for ( l = cs_gt_next_leaf(d, 0); l != CS_GT_NO_LEAF;
          l = cs_gt_next_leaf(d, l + 1) )
    {
        unsigned int used = 0;
        uint16_t counted;
        const uint32_t *leaf = cs_gt_leaf(d, l, &counted);

        for ( i = 0; i < CS_GT_LEAF; i++ )
        {
            uint32_t v = leaf[i], id = v & ~CS_GT_VOLATILE;
            uint64_t gfn = ((uint64_t)l << CS_GT_LEAF_SHIFT) | i;
            bool vol = v & CS_GT_VOLATILE;
            const struct cs_slab *s = vol ? &e->vols : &e->maps;
            uint32_t rgfn;
            uint16_t rdom;

            if ( !v )
                continue;
            used++;
            if ( id >= s->next_new )
            {
                cs_bad(c, "d%u gfn %#llx: bad record %u", d->domid,
                       (unsigned long long)gfn, id);
                continue;
            }
            rgfn = vol ? cs_vol(e, id)->gfn : cs_map(e, id)->gfn;
            rdom = vol ? cs_vol(e, id)->dom : cs_map(e, id)->dom;
            if ( rdom != d->slot || rgfn != gfn )
                cs_bad(c, "d%u gfn %#llx: gfn table names %s %u of slot %u "
                       "gfn %#x", d->domid, (unsigned long long)gfn,
                       vol ? "volatile" : "mapping", id, rdom, rgfn);
            (*(vol ? vols : maps))++;
        }
        if ( used != counted )
            cs_bad(c, "d%u: gfn table leaf %llu counts %u, holds %u",
                   d->domid, (unsigned long long)l, counted, used);
    }
}

/* Ring members cs_audit_gfn follows from a mapping: the zero frame's ring
 * can hold every gfn of the host, too long to walk after every op. */
#define CS_AUDIT_GFN_RING_STEPS 64

static void __attribute__((format(printf, 2, 3)))
cs_op_bad(struct cs_engine *e, const char *fmt, ...)
{
    va_list ap;

    if ( e->op_audit_errors++ )
        return;
    va_start(ap, fmt);
    vsnprintf(e->op_audit_first, sizeof(e->op_audit_first), fmt, ap);
    va_end(ap);
}

void cs_audit_gfn(struct cs_engine *e, const struct cs_domain *d,
                  uint64_t gfn)
{
    uint32_t mid, vid, fid, id, steps;
    const struct cs_frame *f;
    bool head;
    enum cs_p2m_type t;
    cs_mfn_t mfn;

    if ( !e->cfg.audit_each_op || gfn > XEN_COSHARE_GFN_MAX )
        return;
    mid = cs_mapping_find(e, d->slot, gfn);
    vid = cs_volatile_find(e, d->slot, gfn);
    t = cs_env_p2m_query(e->env, d->domid, gfn, &mfn);
    fid = t == CS_P2M_SHARED ? cs_env_frame_tag(e->env, mfn) : 0;

    if ( vid != CS_NIL && t == CS_P2M_SHARED )
        cs_op_bad(e, "d%u gfn %#llx: volatile, but maps a shared frame",
                  d->domid, (unsigned long long)gfn);
    if ( mid == CS_NIL )
    {
        /* A coshare frame mapped where the engine knows of no mapping:
         * its ring undercounts, and freeing it leaves this entry behind. */
        if ( fid )
            cs_op_bad(e, "d%u gfn %#llx: maps frame %u, which has no "
                      "mapping of it", d->domid, (unsigned long long)gfn,
                      fid);
        return;
    }
    if ( mid >= e->maps.next_new || cs_map(e, mid)->dom != d->slot ||
         cs_map(e, mid)->gfn != gfn )
    {
        cs_op_bad(e, "d%u gfn %#llx: gfn table names a mapping %u of "
                  "another gfn", d->domid, (unsigned long long)gfn, mid);
        return;
    }
    if ( !fid || fid >= e->frames.next_new || !cs_frame(e, fid)->refs )
    {
        cs_op_bad(e, "d%u gfn %#llx: shared in the engine, p2m type %d "
                  "maps no live frame", d->domid, (unsigned long long)gfn,
                  t);
        return;
    }
    f = cs_frame(e, fid);
    if ( f->group != d->group )
        cs_op_bad(e, "d%u gfn %#llx: frame %u of group %u, domain's %u",
                  d->domid, (unsigned long long)gfn, fid, f->group,
                  d->group);
    /* Part of the ring: every member a live mapping its gfn table names;
     * the whole ring when it is short. */
    head = f->rmap == mid;
    for ( id = cs_map(e, mid)->rnext, steps = 0;
          id != mid && steps < CS_AUDIT_GFN_RING_STEPS; steps++ )
    {
        const struct cs_mapping *m;

        head |= f->rmap == id;
        if ( id == CS_NIL || id >= e->maps.next_new ||
             (m = cs_map(e, id))->dom == CS_MAP_FREE ||
             cs_mapping_find(e, m->dom, m->gfn) != id )
        {
            cs_op_bad(e, "d%u gfn %#llx: frame %u's ring reaches a "
                      "record %u no gfn table names", d->domid,
                      (unsigned long long)gfn, fid, id);
            return;
        }
        id = m->rnext;
    }
    if ( id == mid && (!head || steps + 1 != f->refs) )
        cs_op_bad(e, "d%u gfn %#llx: a ring of %u mappings, not frame "
                  "%u's (refs %u)", d->domid, (unsigned long long)gfn,
                  steps + 1, fid, f->refs);
}

/* The totals pass, and the results; the count of violations found. */
static unsigned int cs_audit_totals(struct cs_audit_ctx *c,
                                    struct xen_coshare_audit *res)
{
    struct cs_engine *e = c->e;
    uint64_t *owned, *bonus, *maps;
    uint64_t frames = 0, mappings = 0, saved = 0, vols = 0;
    uint64_t gt_maps = 0, gt_vols = 0;
    size_t sz = CS_MAX_DOMAINS * sizeof(uint64_t);
    uint32_t fid, slot;

    owned = cs_env_alloc(e->env, 3 * sz);
    if ( !owned )
    {
        cs_bad(c, "audit: no memory for its counters");
        goto out;
    }
    bonus = owned + CS_MAX_DOMAINS;
    maps = bonus + CS_MAX_DOMAINS;

    if ( e->op_audit_errors )
        cs_bad(c, "after ops: %u violations, the first: %s",
               e->op_audit_errors, e->op_audit_first);

    for ( fid = 1; fid < e->frames.next_new; fid++ )
    {
        const struct cs_frame *f = cs_frame(e, fid);

        if ( !f->refs )
            continue;
        frames++;
        mappings += cs_audit_frame(c, fid, owned, bonus, maps);
        saved += f->refs - 1;
    }

    if ( frames != e->frames.live )
        cs_bad(c, "frames: %llu live, slab says %u",
               (unsigned long long)frames, e->frames.live);
    if ( e->index.count != e->frames.live )
        cs_bad(c, "index holds %u frames, slab %u", e->index.count,
               e->frames.live);
    if ( mappings != e->maps.live )
        cs_bad(c, "mappings: %llu in rmaps, %u live",
               (unsigned long long)mappings, e->maps.live);
    if ( saved != e->saved )
        cs_bad(c, "saved: rmaps give %llu, counter %llu",
               (unsigned long long)saved, (unsigned long long)e->saved);

    for ( slot = 0; slot < CS_MAX_DOMAINS; slot++ )
    {
        const struct cs_domain *d = e->dom[slot];

        if ( !d )
        {
            if ( maps[slot] )
                cs_bad(c, "slot %u: %llu mappings of no domain", slot,
                       (unsigned long long)maps[slot]);
            continue;
        }
        if ( d->slot != slot || cs_domain_get(e, d->domid) != d )
            cs_bad(c, "d%u: slot tables disagree", d->domid);
        if ( d->owned != owned[slot] || d->bonus != bonus[slot] ||
             d->mappings != maps[slot] )
            cs_bad(c, "d%u: owned/bonus/mappings %llu/%llu/%llu, rmaps "
                   "give %llu/%llu/%llu", d->domid,
                   (unsigned long long)d->owned,
                   (unsigned long long)d->bonus,
                   (unsigned long long)d->mappings,
                   (unsigned long long)owned[slot],
                   (unsigned long long)bonus[slot],
                   (unsigned long long)maps[slot]);
        cs_audit_fifo(c, d);
        vols += d->fifo_len;
        cs_audit_gt(c, d, &gt_maps, &gt_vols);
    }

    if ( vols != e->vols.live )
        cs_bad(c, "volatile: %llu in the domains' FIFOs, %u live",
               (unsigned long long)vols, e->vols.live);
    if ( gt_maps != e->maps.live || gt_vols != e->vols.live )
        cs_bad(c, "gfn tables hold %llu mappings, %llu volatile; live "
               "%u, %u", (unsigned long long)gt_maps,
               (unsigned long long)gt_vols, e->maps.live, e->vols.live);

    cs_env_free(e->env, owned, 3 * sz);

 out:
    if ( res )
    {
        res->errors = c->errors;
        res->pad = 0;
        res->frames = frames;
        res->mappings = mappings;
    }
    return c->errors;
}

unsigned int cs_audit_locked(struct cs_engine *e,
                             struct xen_coshare_audit *res,
                             cs_audit_report_t *report, void *arg)
{
    struct cs_audit_ctx c = { .e = e, .report = report, .arg = arg };
    uint32_t fid = 1, vid = 1;

    cs_audit_deep(&c, &fid, &vid, ~0ul);
    return cs_audit_totals(&c, res);
}

unsigned int cs_audit(struct cs_engine *e, struct xen_coshare_audit *res,
                      cs_audit_report_t *report, void *arg)
{
    struct cs_audit_ctx c = { .e = e, .report = report, .arg = arg };
    uint32_t fid = 1, vid = 1;
    unsigned int errors;
    bool done;

    for ( ; ; )
    {
        cs_env_lock(e->env);
        done = cs_audit_deep(&c, &fid, &vid, CS_AUDIT_HOLD);
        cs_env_unlock(e->env);
        if ( done )
            break;
        cs_env_relax(e->env);
    }
    cs_env_lock(e->env);
    errors = cs_audit_totals(&c, res);
    cs_env_unlock(e->env);
    return errors;
}
