/* SPDX-License-Identifier: MIT */
/* xen_env.h - Xen's half of the engine environment: its state. */
#ifndef __X86_MM_COSHARE_XEN_ENV_H__
#define __X86_MM_COSHARE_XEN_ENV_H__

#include <xen/spinlock.h>
#include <asm/p2m.h>

struct cs_env {
    spinlock_t lock;        /* the engine lock, see cs_env_lock() */
    uint32_t *tags;         /* engine frame id per pdx, 0 for none */
    unsigned long nr_tags;
    struct domain *held;    /* p2m-locked by cs_env_p2m_hold(), or NULL */
    /* Inside a hold, the entry the engine last looked up, as it is now. */
    struct {
        uint64_t gfn;
        p2m_access_t a;
        unsigned int order;
        bool valid;
    } seen;
};

#endif /* __X86_MM_COSHARE_XEN_ENV_H__ */
