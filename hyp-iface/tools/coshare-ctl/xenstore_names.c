/* SPDX-License-Identifier: MIT */
/*
 * xenstore_names.c - reads a domain's name from xenstore.
 */
#include "xenstore_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

int coshare_ctl_domain_name(uint16_t domid, char *out, size_t len)
{
    static struct xs_handle *xs;
    char path[64];
    unsigned int n = 0;
    char *name;

    if ( !len )
        return -EINVAL;
    out[0] = '\0';
    if ( !xs )
        xs = xs_open(XS_OPEN_READONLY);
    if ( !xs )
        return errno ? -errno : -EIO;
    snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
    name = xs_read(xs, XBT_NULL, path, &n);
    if ( !name )
        return errno ? -errno : -ENOENT;
    snprintf(out, len, "%.*s", (int)n, name);
    free(name);
    return 0;
}
