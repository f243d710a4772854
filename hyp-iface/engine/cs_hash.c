/* SPDX-License-Identifier: MIT */
/*
 * cs_hash.c - page content hash: four independent multiply-rotate lanes
 * over 64-bit words, folded and finalised.  Runs near memory bandwidth in
 * scalar code.  It is a filter, not a proof: equal hashes are always
 * confirmed by a full compare before pages share.
 */
#include "cs_hash.h"

#define CS_P1 0x9e3779b185ebca87ULL
#define CS_P2 0xc2b2ae3d27d4eb4fULL
#define CS_P3 0x165667b19e3779f9ULL

static inline uint64_t cs_rotl(uint64_t x, unsigned int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t cs_lane(uint64_t acc, uint64_t word)
{
    acc += word * CS_P2;
    acc = cs_rotl(acc, 31);
    return acc * CS_P1;
}

uint64_t cs_hash_page(const void *page)
{
    const uint64_t *w = page;
    uint64_t a = CS_P1 + CS_P2, b = CS_P2, c = 0, d = -CS_P1;
    unsigned int i;

    for ( i = 0; i < 4096 / 8; i += 4 )
    {
        a = cs_lane(a, w[i]);
        b = cs_lane(b, w[i + 1]);
        c = cs_lane(c, w[i + 2]);
        d = cs_lane(d, w[i + 3]);
    }

    return cs_mix64(cs_rotl(a, 1) + cs_rotl(b, 7) + cs_rotl(c, 12) +
                    cs_rotl(d, 18) + 4096 * CS_P3);
}
