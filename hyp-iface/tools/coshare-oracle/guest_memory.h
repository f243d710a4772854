/* SPDX-License-Identifier: MIT */
/*
 * guest_memory.h - a guest's highest gfn from libxenctrl, behind a C
 * interface (xenctrl.h is not valid C++).
 */
#ifndef COSHARE_ORACLE_GUEST_MEMORY_H
#define COSHARE_ORACLE_GUEST_MEMORY_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The domain's highest gfn in *out; 0 or -errno. */
int coshare_oracle_max_gfn(uint16_t domid, uint64_t *out);

#ifdef __cplusplus
}
#endif

#endif /* COSHARE_ORACLE_GUEST_MEMORY_H */
