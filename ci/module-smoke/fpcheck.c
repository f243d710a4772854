// SPDX-License-Identifier: MIT
/*
 * fpcheck.c - inside the smoke-test VM: how many pages of a file appear in
 * a fingerprint dump as process text.  Uses the engine's own hash.
 * Usage: fpcheck FILE DUMP; exit 0 if at least 4 pages match.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs_hash.h"

struct rec { uint64_t hash; uint32_t cls, flags; };

int main(int argc, char **argv)
{
	static uint8_t page[4096] __attribute__((aligned(8)));
	struct rec *recs = NULL;
	size_t nrec = 0, cap = 0, matched = 0, pages = 0, i;
	FILE *f, *d;

	if (argc != 3) {
		fprintf(stderr, "usage: fpcheck FILE DUMP\n");
		return 2;
	}
	d = fopen(argv[2], "rb");
	f = fopen(argv[1], "rb");
	if (!d || !f) {
		perror("fpcheck");
		return 2;
	}
	for (;;) {
		if (nrec == cap) {
			cap = cap ? 2 * cap : 4096;
			recs = realloc(recs, cap * sizeof(*recs));
			if (!recs)
				return 2;
		}
		if (fread(&recs[nrec], sizeof(*recs), 1, d) != 1)
			break;
		nrec++;
	}
	for (;;) {
		size_t n = fread(page, 1, sizeof(page), f);
		uint64_t h;

		if (!n)
			break;
		memset(page + n, 0, sizeof(page) - n);
		h = cs_hash_page(page);
		pages++;
		for (i = 0; i < nrec; i++)
			if (recs[i].hash == h && recs[i].cls == 2) {
				matched++;
				break;
			}
	}
	printf("fpcheck: %zu of %zu pages of %s fingerprinted as process text\n",
	       matched, pages, argv[1]);
	return matched >= 4 ? 0 : 1;
}
