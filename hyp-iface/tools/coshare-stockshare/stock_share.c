/* SPDX-License-Identifier: MIT */
#include "stock_share.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>

#include <xenctrl.h>
#include <xenforeignmemory.h>

#define BATCH 512

struct stock_share {
    xc_interface *xch;
    xenforeignmemory_handle *fmem;
    uint16_t a, b;
};

struct stock_share *stock_share_open(uint16_t a, uint16_t b, char *msg,
                                     size_t len)
{
    struct stock_share *s = calloc(1, sizeof(*s));

    if ( !s )
    {
        snprintf(msg, len, "out of memory");
        return NULL;
    }
    s->a = a;
    s->b = b;
    s->xch = xc_interface_open(NULL, NULL, 0);
    if ( !s->xch )
    {
        snprintf(msg, len, "cannot open libxenctrl: %s (run in dom0 as root)",
                 strerror(errno));
        goto fail;
    }
    if ( xc_memshr_control(s->xch, a, 1) || xc_memshr_control(s->xch, b, 1) )
    {
        snprintf(msg, len, "cannot enable mem_sharing for d%u and d%u: %s",
                 a, b, strerror(errno ? errno : EIO));
        goto fail;
    }
    s->fmem = xenforeignmemory_open(NULL, 0);
    if ( !s->fmem )
    {
        snprintf(msg, len, "cannot open libxenforeignmemory: %s",
                 strerror(errno));
        goto fail;
    }
    return s;

 fail:
    stock_share_close(s);
    return NULL;
}

void stock_share_close(struct stock_share *s)
{
    if ( !s )
        return;
    if ( s->fmem )
        xenforeignmemory_close(s->fmem);
    if ( s->xch )
        xc_interface_close(s->xch);
    free(s);
}

void stock_share_range(struct stock_share *s, uint64_t first, uint64_t count,
                       uint64_t stride, struct stock_share_result *out)
{
    uint64_t k;

    memset(out, 0, sizeof(*out));
    for ( k = 0; k < count; k += BATCH )
    {
        unsigned int n = count - k < BATCH ? count - k : BATCH;
        xen_pfn_t gfns[BATCH];
        unsigned char equal[BATCH] = { 0 };
        int ea[BATCH], eb[BATCH];
        const char *pa, *pb;
        unsigned int i;

        for ( i = 0; i < n; i++ )
            gfns[i] = first + (k + i) * stride;
        pa = xenforeignmemory_map(s->fmem, s->a, PROT_READ, n, gfns, ea);
        pb = xenforeignmemory_map(s->fmem, s->b, PROT_READ, n, gfns, eb);
        for ( i = 0; pa && pb && i < n; i++ )
            equal[i] = !ea[i] && !eb[i] &&
                       !memcmp(pa + (size_t)i * XC_PAGE_SIZE,
                               pb + (size_t)i * XC_PAGE_SIZE, XC_PAGE_SIZE);
        /* A mapped page has an extra reference: nominate would refuse it. */
        if ( pa )
            xenforeignmemory_unmap(s->fmem, (void *)pa, n);
        if ( pb )
            xenforeignmemory_unmap(s->fmem, (void *)pb, n);
        for ( i = 0; i < n; i++ )
        {
            uint64_t ha, hb;

            if ( !equal[i] )
                continue;
            out->equal++;
            if ( xc_memshr_nominate_gfn(s->xch, s->a, gfns[i], &ha) ||
                 xc_memshr_nominate_gfn(s->xch, s->b, gfns[i], &hb) ||
                 xc_memshr_share_gfns(s->xch, s->a, gfns[i], ha, s->b,
                                      gfns[i], hb) )
            {
                if ( !out->failed++ )
                    out->first_errno = errno;
                continue;
            }
            out->shared++;
        }
    }
}
