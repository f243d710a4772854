/* SPDX-License-Identifier: MIT */
/*
 * xenstore_names.h - a domain's name from xenstore (/local/domain/N/name,
 * which xl writes), behind a C interface like xenctrl_domains.h.
 */
#ifndef COSHARE_CTL_XENSTORE_NAMES_H
#define COSHARE_CTL_XENSTORE_NAMES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Writes the name of domain domid, NUL-terminated, to out (len bytes).
 * Returns 0, or -errno: -ENOENT if the domain has no name there.
 */
int coshare_ctl_domain_name(uint16_t domid, char *out, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* COSHARE_CTL_XENSTORE_NAMES_H */
