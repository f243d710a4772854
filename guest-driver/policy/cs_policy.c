// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cs_policy.c - the guest's portable policy: knob validation, batching,
 * result accounting and backoff.
 */
#include "cs_policy.h"

const char *const cs_class_names[XEN_COSHARE_CLASS_NR] = {
	"kernel_text", "kernel_rodata", "process_text", "free", "in_use",
};

const struct cs_knob_desc cs_knobs[CS_KNOB_NR] = {
	[CS_KNOB_RUN] = { "run", 0, 2, 0,
		"0 stop, 1 hint, 2 unhint everything hinted" },
	[CS_KNOB_HINT_KERNEL_TEXT] = { "hint_kernel_text", 0, 1, 1,
		"hint kernel text" },
	[CS_KNOB_HINT_KERNEL_RODATA] = { "hint_kernel_rodata", 0, 1, 1,
		"hint kernel read-only data" },
	[CS_KNOB_HINT_PROCESS_TEXT] = { "hint_process_text", 0, 1, 1,
		"hint page cache of executable file mappings" },
	[CS_KNOB_HINT_FREE] = { "hint_free", 0, 1, 1,
		"hint free pages (reported by free page reporting) as zero" },
	[CS_KNOB_HINT_IN_USE] = { "hint_in_use", 0, 2, 2,
		"hint in-use pages (Xen write-protects them before comparing): 1 file page cache and all-zero pages, 2 also slab and reserved pages" },
	[CS_KNOB_PAGES_TO_SCAN] = { "pages_to_scan", 1, 1u << 24, 4096,
		"process-text pages examined per scan" },
	[CS_KNOB_IN_USE_PAGES_TO_SCAN] = { "in_use_pages_to_scan", 1, 1u << 24, 16384,
		"pfns of RAM the in-use walk examines per scan" },
	[CS_KNOB_SLEEP_MILLISECS] = { "sleep_millisecs", 1, 3600000, 1000,
		"pause between scans" },
	[CS_KNOB_BATCH_SIZE] = { "batch_size", 1, XEN_COSHARE_BATCH_MAX,
		XEN_COSHARE_BATCH_MAX, "gfns per share-hint hypercall" },
	[CS_KNOB_FIFO_SLACK] = { "fifo_slack", 0, 1u << 20, 256,
		"volatile pages kept above the floor (bonus * repay_percent / 100)" },
	[CS_KNOB_REPAY_PERCENT] = { "repay_percent", 0, 100, 100,
		"volatile pages kept per 100 pages of bonus (dom0's repay flag forces 100)" },
};

int cs_knob_parse(enum cs_knob k, const char *buf, size_t len, u64 *out)
{
	u64 v = 0;
	size_t i;

	if (k >= CS_KNOB_NR)
		return -EINVAL;
	if (len && buf[len - 1] == '\n')
		len--;
	if (!len || len > 20)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned int digit;

		if (buf[i] < '0' || buf[i] > '9')
			return -EINVAL;
		digit = buf[i] - '0';
		if (v > (~0ULL - digit) / 10)
			return -EINVAL;
		v = v * 10 + digit;
	}
	if (v < cs_knobs[k].min || v > cs_knobs[k].max)
		return -EINVAL;
	*out = v;
	return 0;
}

bool cs_batch_add(struct cs_batch *b, u64 gfn, u32 batch_size)
{
	xen_coshare_entry_t *e = &b->ents[b->nr++];

	memset(e, 0, sizeof(*e));
	e->gfn = gfn;
	return b->nr >= batch_size || b->nr == XEN_COSHARE_BATCH_MAX;
}

static u32 cs_backoff_slot(u64 gfn)
{
	gfn ^= gfn >> 29;
	gfn *= 0xbf58476d1ce4e5b9ULL;
	gfn ^= gfn >> 32;
	return (u32)gfn & (CS_BACKOFF_SLOTS - 1);
}

bool cs_backoff_skip(const struct cs_backoff *bo, u64 gfn, u32 scan)
{
	u32 i = cs_backoff_slot(gfn);

	return bo->slot[i].level && bo->slot[i].gfn == gfn &&
	       (s32)(scan - bo->slot[i].until) < 0;
}

void cs_backoff_unshared(struct cs_backoff *bo, u64 gfn, u32 scan)
{
	u32 i = cs_backoff_slot(gfn);
	u8 level = 1;

	if (bo->slot[i].level && bo->slot[i].gfn == gfn)
		level = bo->slot[i].level < CS_BACKOFF_MAX_LEVEL ?
			bo->slot[i].level + 1 : CS_BACKOFF_MAX_LEVEL;
	bo->slot[i].gfn = gfn;
	bo->slot[i].level = level;
	bo->slot[i].until = scan + (1u << level);
}

bool cs_bitmap_test(const struct cs_bitmap *b, u64 bit)
{
	return bit < b->bits && (b->words[bit / 64] >> (bit % 64)) & 1;
}

void cs_bitmap_assign(struct cs_bitmap *b, u64 bit, bool value)
{
	u64 mask = 1ULL << (bit % 64);

	if (bit >= b->bits)
		return;
	if (value)
		b->words[bit / 64] |= mask;
	else
		b->words[bit / 64] &= ~mask;
}

void cs_account_batch(struct cs_counters *c, struct cs_backoff *bo,
		      struct cs_bitmap *shared, unsigned int cls,
		      const xen_coshare_entry_t *ents, u32 nr, u32 scan)
{
	u32 i;

	for (i = 0; i < nr; i++) {
		const xen_coshare_entry_t *e = &ents[i];
		bool now_shared = false;

		if (e->result == XEN_COSHARE_RES_PENDING)
			continue;	/* the op stopped before it */
		c->hinted[cls]++;
		switch (e->result) {
		case XEN_COSHARE_RES_SHARED:
			c->shared[cls]++;
			now_shared = true;
			break;
		case XEN_COSHARE_RES_INSERTED:
			c->inserted[cls]++;
			now_shared = true;
			break;
		case XEN_COSHARE_RES_SKIPPED:
			c->skipped[cls]++;
			if (e->error == XEN_COSHARE_SKIP_NEED_VOLATILE)
				c->need_volatile++;
			now_shared = e->error == XEN_COSHARE_SKIP_ALREADY;
			break;
		default:
			c->errors[cls]++;
			break;
		}
		if (now_shared && e->result != XEN_COSHARE_RES_SKIPPED &&
		    cs_bitmap_test(shared, e->gfn)) {
			/* It was shared before and had to be shared again. */
			c->unshared_seen++;
			cs_backoff_unshared(bo, e->gfn, scan);
		}
		cs_bitmap_assign(shared, e->gfn, now_shared);
	}
}

const char *cs_settings_notice(u32 *said, u32 flags, u32 group)
{
	u32 no_group = (flags & XEN_COSHARE_CTL_ENABLE) &&
		       group == XEN_COSHARE_GROUP_NONE;

	if (no_group == *said)
		return NULL;
	*said = no_group;
	return no_group ? "dom0 enabled hinting but put this domain in no sharing group: nothing is shared until it does (in dom0: coshare-ctl group DOMID N)" : NULL;
}
