/* SPDX-License-Identifier: MIT */
/*
 * stock_share.h - Xen's stock mem_sharing from dom0, page by page: read the
 * same gfn of two domains, and if the contents are equal nominate it in
 * each, then share them (libxenctrl, libxenforeignmemory; C because
 * xenctrl.h is not valid C++).  Stock Xen merges whatever dom0 names, so
 * dom0 must find the equal pages itself: the baseline the hint op, where
 * Xen compares, is measured against.
 */
#ifndef COSHARE_STOCK_SHARE_H
#define COSHARE_STOCK_SHARE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct stock_share_result {
    uint64_t equal;     /* gfn pairs with equal content */
    uint64_t shared;    /* gfns now shared */
    uint64_t failed;    /* nominate or share refused */
    int first_errno;    /* errno of the first failure, 0 if none */
};

struct stock_share;

/*
 * Opens libxenctrl and libxenforeignmemory and enables mem_sharing for both
 * domains: the set-up, kept out of the timed part.  NULL on failure (msg
 * says why).
 */
struct stock_share *stock_share_open(uint16_t a, uint16_t b, char *msg,
                                     size_t len);

/*
 * For each of the count gfns first, first + stride, first + 2 * stride, ...
 * whose content is equal in a and b (read in batches): nominate in a,
 * nominate in b, share b's into a's.
 */
void stock_share_range(struct stock_share *s, uint64_t first, uint64_t count,
                       uint64_t stride, struct stock_share_result *out);

void stock_share_close(struct stock_share *s);

#ifdef __cplusplus
}
#endif

#endif /* COSHARE_STOCK_SHARE_H */
