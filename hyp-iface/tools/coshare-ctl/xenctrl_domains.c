/* SPDX-License-Identifier: MIT */
/*
 * xenctrl_domains.c - lists domains with xc_domain_getinfolist; C because
 * xenctrl.h is not valid C++.
 */
#include "xenctrl_domains.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include <xenctrl.h>

/* Keeps libxenctrl's last message instead of printing it. */
struct capture_logger {
    xentoollog_logger base;
    char *msg;
    size_t len;
    int err;
};

static void __attribute__((format(printf, 5, 0)))
capture_vmessage(xentoollog_logger *l, xentoollog_level level, int errnoval,
                 const char *context, const char *format, va_list al)
{
    struct capture_logger *c = (struct capture_logger *)l;

    (void)level;
    (void)context;
    if ( c->len )
        vsnprintf(c->msg, c->len, format, al);
    if ( errnoval > 0 )
        c->err = errnoval;
}

static void capture_destroy(xentoollog_logger *l)
{
    (void)l;
}

int coshare_ctl_list_domains(uint16_t *out, unsigned int max, char *msg,
                             size_t msglen)
{
    struct capture_logger log = {
        .base = { .vmessage = capture_vmessage, .progress = NULL,
                  .destroy = capture_destroy },
        .msg = msg, .len = msglen, .err = 0,
    };
    enum { CHUNK = 256 };
    xc_domaininfo_t info[CHUNK];
    xc_interface *xch;
    unsigned int n = 0;
    uint32_t first = 0;
    int rc = 0;

    if ( msglen )
        msg[0] = '\0';
    errno = 0;
    xch = xc_interface_open(&log.base, &log.base, 0);
    if ( !xch )
        return -(log.err ? log.err : errno ? errno : ENODEV);

    while ( n < max )
    {
        int got = xc_domain_getinfolist(xch, first, CHUNK, info);

        if ( got < 0 )
        {
            rc = -(errno ? errno : EIO);
            break;
        }
        for ( int i = 0; i < got && n < max; i++ )
            out[n++] = info[i].domain;
        if ( got < CHUNK )
            break;
        first = (uint32_t)info[got - 1].domain + 1;
    }
    xc_interface_close(xch);
    return rc ? rc : (int)n;
}
