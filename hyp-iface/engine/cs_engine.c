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
    int rc;

    if ( !e )
        return -ENOMEM;
    e->env = env;
    e->cfg = *cfg;
    e->meta_bytes = sizeof(*e);
    if ( !e->cfg.max_compares )
        e->cfg.max_compares = CS_DEFAULT_MAX_COMPARES;
    e->zero_hash = cs_content_hash(e, cs_zero_page);

    cs_slab_init(e, &e->frames, sizeof(struct cs_frame));
    cs_slab_init(e, &e->maps, sizeof(struct cs_mapping));
    cs_slab_init(e, &e->vols, sizeof(struct cs_volatile));
    rc = cs_lh_init(e, &e->index);
    if ( rc )
    {
        cs_lh_fini(e, &e->index);
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
    cs_slab_fini(e, &e->frames);
    cs_slab_fini(e, &e->maps);
    cs_slab_fini(e, &e->vols);
    cs_env_free(env, e, sizeof(*e));
    return 0;
}
