/* SPDX-License-Identifier: MIT */
/*
 * xenctrl_domains.h - the list of domains from libxenctrl, behind a C
 * interface: xenctrl.h does not compile as C++.
 */
#ifndef COSHARE_CTL_XENCTRL_DOMAINS_H
#define COSHARE_CTL_XENCTRL_DOMAINS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Writes the ids of up to max existing domains, ascending, to out.  Returns
 * how many, or -errno; then msg holds libxenctrl's last message (or "").
 */
int coshare_ctl_list_domains(uint16_t *out, unsigned int max, char *msg,
                             size_t msglen);

#ifdef __cplusplus
}
#endif

#endif /* COSHARE_CTL_XENCTRL_DOMAINS_H */
