/* SPDX-License-Identifier: MIT */
/*
 * cs_hash.c - page content hash.  Each 16-byte block goes through one
 * 64x64->128-bit multiply whose halves are folded (an NH-style hash); both
 * multiplicands are the block's words XORed with keys drawn from the seed,
 * which step with the block's position, so no word can zero a product (or
 * otherwise drop out) without the key.  Two independent sums keep the
 * multiplier busy, so the hash runs near memory bandwidth in scalar code.
 * It is a filter, not a proof: equal hashes are always confirmed by a full
 * compare before pages share.  Hypervisors pass a secret per-boot seed so
 * that guests cannot aim collisions.
 */
#include "cs_hash.h"

#define CS_K0 0xa0761d6478bd642fULL
#define CS_K1 0xe7037ed1a0b428dbULL
#define CS_K2 0x8ebc6af09c88c6e3ULL
#define CS_K3 0x589965cc75374cc3ULL
#define CS_KP 0x9e3779b97f4a7c15ULL

static inline uint64_t cs_mum(uint64_t a, uint64_t b)
{
    unsigned __int128 r = (unsigned __int128)a * b;

    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t cs_hash_page_seeded(const void *page, uint64_t seed)
{
    const uint64_t *w = page;
    uint64_t a = seed, b = ~seed;
    uint64_t k0 = cs_mix64(seed ^ CS_K0), k1 = cs_mix64(seed ^ CS_K1);
    uint64_t k2 = cs_mix64(seed ^ CS_K2), k3 = cs_mix64(seed ^ CS_K3);
    unsigned int i;

    for ( i = 0; i < 4096 / 8; i += 4 )
    {
        a += cs_mum(w[i] ^ k0, w[i + 1] ^ k1);
        b += cs_mum(w[i + 2] ^ k2, w[i + 3] ^ k3);
        k0 += CS_KP;
        k1 += CS_KP;
        k2 += CS_KP;
        k3 += CS_KP;
    }
    return cs_mix64(a ^ ((b << 32) | (b >> 32)) ^ seed);
}

bool cs_page_equal(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    unsigned int i;

    for ( i = 0; i < 4096 / 8; i += 4 )
        if ( (x[i] ^ y[i]) | (x[i + 1] ^ y[i + 1]) |
             (x[i + 2] ^ y[i + 2]) | (x[i + 3] ^ y[i + 3]) )
            return false;
    return true;
}

bool cs_page_zero(const void *page)
{
    const uint64_t *w = page;
    unsigned int i;

    for ( i = 0; i < 4096 / 8; i += 4 )
        if ( w[i] | w[i + 1] | w[i + 2] | w[i + 3] )
            return false;
    return true;
}

uint64_t cs_hash_page(const void *page)
{
    return cs_hash_page_seeded(page, 0);
}
