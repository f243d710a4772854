/* SPDX-License-Identifier: MIT */
/*
 * cs_hash.h - the 64-bit page content hash, and whole-page compare.
 *
 * One definition for the hypervisor's content index, the guest's
 * fingerprints and the tools, so their numbers agree.  Scalar only: Xen
 * code may not touch vector registers.
 */
#ifndef COSHARE_CS_HASH_H
#define COSHARE_CS_HASH_H

#ifdef __KERNEL__
#include <linux/types.h>
#elif defined(__XEN__)
#include <xen/types.h>
#else
#include <stdbool.h>
#include <stdint.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Hash of one 4096-byte page (8-byte aligned), under a seed. */
uint64_t cs_hash_page_seeded(const void *page, uint64_t seed);
/* The same with seed 0: guest fingerprints and tools. */
uint64_t cs_hash_page(const void *page);

/*
 * Whether two 4096-byte pages (8-byte aligned) are equal, a word at a time:
 * Xen's memcmp() compares byte by byte, which under emulation costs more
 * than everything else a hint does.
 */
bool cs_page_equal(const void *a, const void *b);

/*
 * Whether a 4096-byte page (8-byte aligned) is all zero.  It stops at the
 * first nonzero word, so a page with content costs next to nothing, and a
 * zero page costs one read instead of a hash plus a compare.
 */
bool cs_page_zero(const void *page);

/* Finalising mix of a 64-bit value; also keys the engine's tables. */
static inline uint64_t cs_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

#ifdef __cplusplus
}
#endif

#endif /* COSHARE_CS_HASH_H */
