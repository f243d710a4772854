/* SPDX-License-Identifier: MIT */
#include "guest_memory.h"

#include <errno.h>

#include <xenctrl.h>

int coshare_oracle_max_gfn(uint16_t domid, uint64_t *out)
{
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    xen_pfn_t max = 0;
    int rc;

    if ( !xch )
        return -(errno ? errno : ENODEV);
    rc = xc_domain_maximum_gpfn(xch, domid, &max);
    xc_interface_close(xch);
    if ( rc < 0 )
        return -(errno ? errno : EIO);
    *out = max;
    return 0;
}
