/* SPDX-License-Identifier: MIT */
/*
 * cs_engine.c - creating and destroying an engine.
 */
#include "cs_internal.h"

const uint64_t cs_zero_page[CS_PAGE_SIZE / 8];

int cs_engine_create(struct cs_env *env, const struct cs_config *cfg,
                     struct cs_engine **out)
{
    struct cs_engine *e = cs_env_alloc(env, sizeof(*e));
    unsigned int i;
    int rc;

    if ( !e )
        return -ENOMEM;
    e->env = env;
    e->cfg = *cfg;
    e->meta_bytes = sizeof(*e);
    for ( i = 0; i < CS_DOMID_LIMIT; i++ )
        e->slot_of[i] = CS_NO_SLOT;
    e->zero_hash = cs_hash_page(cs_zero_page);

    cs_slab_init(e, &e->frames, sizeof(struct cs_frame));
    cs_slab_init(e, &e->maps, sizeof(struct cs_mapping));
    cs_slab_init(e, &e->vols, sizeof(struct cs_volatile));
    rc = cs_lh_init(e, &e->index, CS_KIND_FRAME);
    if ( !rc )
        rc = cs_lh_init(e, &e->gfnmap, CS_KIND_MAPPING);
    if ( !rc )
        rc = cs_lh_init(e, &e->volmap, CS_KIND_VOLATILE);
    if ( rc )
    {
        cs_lh_fini(e, &e->index);
        cs_lh_fini(e, &e->gfnmap);
        cs_env_free(env, e, sizeof(*e));
        return rc;
    }
    *out = e;
    return 0;
}

int cs_engine_destroy(struct cs_engine *e)
{
    struct cs_env *env = e->env;

    if ( e->ndoms )
        return -EBUSY;
    cs_lh_fini(e, &e->index);
    cs_lh_fini(e, &e->gfnmap);
    cs_lh_fini(e, &e->volmap);
    cs_slab_fini(e, &e->frames);
    cs_slab_fini(e, &e->maps);
    cs_slab_fini(e, &e->vols);
    cs_env_free(env, e, sizeof(*e));
    return 0;
}
