/* SPDX-License-Identifier: MIT */
#include "stock_share.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sys/mman.h>

#include <xenctrl.h>
#include <xenforeignmemory.h>

#define BATCH 512

int stock_share_range(uint16_t a, uint16_t b, uint64_t first, uint64_t count,
                      struct stock_share_result *out, char *msg, size_t len)
{
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    xenforeignmemory_handle *fmem;
    uint64_t g;

    memset(out, 0, sizeof(*out));
    if ( !xch )
    {
        snprintf(msg, len, "cannot open libxenctrl: %s (run in dom0 as root)",
                 strerror(errno));
        return -(errno ? errno : ENODEV);
    }
    if ( xc_memshr_control(xch, a, 1) || xc_memshr_control(xch, b, 1) )
    {
        int err = errno ? errno : EIO;

        snprintf(msg, len, "cannot enable mem_sharing for d%u and d%u: %s",
                 a, b, strerror(err));
        xc_interface_close(xch);
        return -err;
    }
    fmem = xenforeignmemory_open(NULL, 0);
    if ( !fmem )
    {
        snprintf(msg, len, "cannot open libxenforeignmemory: %s",
                 strerror(errno));
        xc_interface_close(xch);
        return -(errno ? errno : ENODEV);
    }
    for ( g = first; g < first + count; g += BATCH )
    {
        unsigned int n = first + count - g < BATCH ? first + count - g : BATCH;
        xen_pfn_t gfns[BATCH];
        unsigned char equal[BATCH] = { 0 };
        int ea[BATCH], eb[BATCH];
        const char *pa, *pb;
        unsigned int i;

        for ( i = 0; i < n; i++ )
            gfns[i] = g + i;
        pa = xenforeignmemory_map(fmem, a, PROT_READ, n, gfns, ea);
        pb = xenforeignmemory_map(fmem, b, PROT_READ, n, gfns, eb);
        for ( i = 0; pa && pb && i < n; i++ )
            equal[i] = !ea[i] && !eb[i] &&
                       !memcmp(pa + (size_t)i * XC_PAGE_SIZE,
                               pb + (size_t)i * XC_PAGE_SIZE, XC_PAGE_SIZE);
        /* A mapped page has an extra reference: nominate would refuse it. */
        if ( pa )
            xenforeignmemory_unmap(fmem, (void *)pa, n);
        if ( pb )
            xenforeignmemory_unmap(fmem, (void *)pb, n);
        for ( i = 0; i < n; i++ )
        {
            uint64_t ha, hb;

            if ( !equal[i] )
                continue;
            out->equal++;
            if ( xc_memshr_nominate_gfn(xch, a, g + i, &ha) ||
                 xc_memshr_nominate_gfn(xch, b, g + i, &hb) ||
                 xc_memshr_share_gfns(xch, a, g + i, ha, b, g + i, hb) )
            {
                if ( !out->failed++ )
                    out->first_errno = errno;
                continue;
            }
            out->shared++;
        }
    }
    xenforeignmemory_close(fmem);
    xc_interface_close(xch);
    return 0;
}
