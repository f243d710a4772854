/* SPDX-License-Identifier: MIT */
/*
 * stock_share.h - Xen's stock mem_sharing from dom0, page by page: nominate
 * a gfn in each of two domains, then share them (libxenctrl; C because
 * xenctrl.h is not valid C++).  The baseline the hint op is measured against.
 */
#ifndef COSHARE_STOCK_SHARE_H
#define COSHARE_STOCK_SHARE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct stock_share_result {
    uint64_t shared;    /* gfns now shared */
    uint64_t failed;    /* nominate or share refused */
    int first_errno;    /* errno of the first failure, 0 if none */
};

/*
 * Enables mem_sharing for both domains, then for each gfn in [first,
 * first + count): nominate in a, nominate in b, share b's into a's.
 * Returns 0, or -errno when Xen cannot be reached at all (msg says why).
 */
int stock_share_range(uint16_t a, uint16_t b, uint64_t first, uint64_t count,
                      struct stock_share_result *out, char *msg, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* COSHARE_STOCK_SHARE_H */
