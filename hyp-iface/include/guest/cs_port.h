/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * cs_port.h - the coshare ABI as guest code includes it: the types the
 * guest's portable logic needs and coshare.h, from the kernel or from libc,
 * so the same .c files (guest-driver/policy/, volatile-pages/) build into
 * coshare.ko and into the userspace tests without either folder including
 * the other's headers.  Linux renames Xen's
 * guest-handle macros and lacks XENMEM_sharing_op; the few lines below
 * fill that in so that coshare.h is used unchanged.
 */
#ifndef COSHARE_CS_PORT_H
#define COSHARE_CS_PORT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/kernel.h>
#include <xen/interface/xen.h>
#ifndef uint64_aligned_t
#define uint64_aligned_t uint64_t __aligned(8)
#endif
#define DEFINE_XEN_GUEST_HANDLE(name) DEFINE_GUEST_HANDLE(name)
#define XEN_GUEST_HANDLE_64(name) GUEST_HANDLE(name)
#define __XEN_COSHARE_GUEST__
/* Xen's memory.h has it; Linux's copy stops short of the sharing ops. */
#ifndef XENMEM_sharing_op
#define XENMEM_sharing_op 22
#endif
#else
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <xen/xen.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
#endif

#include "coshare.h"

#endif /* COSHARE_CS_PORT_H */
