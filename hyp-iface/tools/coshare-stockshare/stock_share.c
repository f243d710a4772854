/* SPDX-License-Identifier: MIT */
#include "stock_share.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <xenctrl.h>

int stock_share_range(uint16_t a, uint16_t b, uint64_t first, uint64_t count,
                      struct stock_share_result *out, char *msg, size_t len)
{
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
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
    for ( g = first; g < first + count; g++ )
    {
        uint64_t ha, hb;

        if ( xc_memshr_nominate_gfn(xch, a, g, &ha) ||
             xc_memshr_nominate_gfn(xch, b, g, &hb) ||
             xc_memshr_share_gfns(xch, a, g, ha, b, g, hb) )
        {
            if ( !out->failed++ )
                out->first_errno = errno;
            continue;
        }
        out->shared++;
    }
    xc_interface_close(xch);
    return 0;
}
