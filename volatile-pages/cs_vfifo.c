// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cs_vfifo.c - the guest's volatile-page pool as a ring, oldest first.
 */
#include "cs_vfifo.h"

void cs_vfifo_init(struct cs_vfifo *f, u64 *storage, u32 cap)
{
	memset(f, 0, sizeof(*f));
	f->gfns = storage;
	f->cap = cap;
	f->repay_percent = 100;
}

u64 cs_vfifo_floor(const struct cs_vfifo *f)
{
	u32 pct = f->repay_percent < 100 ? f->repay_percent : 100;

	return (f->bonus * pct + 99) / 100;
}

u32 cs_vfifo_want(const struct cs_vfifo *f, u64 slack)
{
	u64 target = cs_vfifo_floor(f) + slack + f->deficit;
	u64 depth = cs_vfifo_depth(f), most = depth + (f->cap - f->len);

	if (target > most)
		target = most;
	return target > depth ? (u32)(target - depth) : 0;
}

u32 cs_vfifo_shrinkable(const struct cs_vfifo *f)
{
	u64 floor = cs_vfifo_floor(f), depth = cs_vfifo_depth(f);
	u64 spare = depth > floor ? depth - floor : 0;

	return spare < f->len ? (u32)spare : f->len;
}

int cs_vfifo_push(struct cs_vfifo *f, u64 gfn)
{
	if (f->len == f->cap)
		return -ENOSPC;
	f->gfns[(f->head + f->len) % f->cap] = gfn;
	f->len++;
	return 0;
}

int cs_vfifo_pop_newest(struct cs_vfifo *f, u64 *gfn)
{
	if (!cs_vfifo_shrinkable(f))
		return -EBUSY;
	f->len--;
	*gfn = f->gfns[(f->head + f->len) % f->cap];
	return 0;
}

int cs_vfifo_sync(struct cs_vfifo *f, u64 hv_depth, u64 hv_bonus,
		  u64 *out, u32 max)
{
	u32 gone, i;

	f->bonus = hv_bonus;
	if (hv_depth >= f->len) {
		f->orphans = hv_depth - f->len;
		return 0;
	}
	f->orphans = 0;
	gone = (u32)(f->len - hv_depth);
	if (gone > max)
		gone = max;
	for (i = 0; i < gone; i++) {
		out[i] = f->gfns[f->head];
		f->head = (f->head + 1) % f->cap;
		f->len--;
	}
	f->reclaimed += gone;
	return (int)gone;
}
