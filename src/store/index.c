/* lwbs — identity index of a provisioning set: one open-addressing table
 * (linear probing, load <= 0.7) per identity kind. A slot is 64 bits: the
 * high half of the key's hash as a tag, the device index + 1 below (0 =
 * empty), so a probe touches the device only when the tags agree. Lookups
 * allocate nothing. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/arena.h"
#include "lwbs/prov.h"

#include "prov_int.h"

struct table {
	uint64_t *slots;
	size_t mask; /* capacity - 1; 0 with slots NULL when empty */
};

struct lwbs_prov_index {
	struct table t[LWBS_IDENT_COUNT];
	size_t bytes;
};

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ (n * 0x100000001b3ull);
	uint64_t w;

	while (n >= 8) {
		memcpy(&w, s, 8);
		h = mix(h ^ w);
		s += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, s, n);
	return mix(h ^ w ^ ((uint64_t)n << 56));
}

/* The part of a value that identifies: IMEI/IMEISV by their first 14
 * digits (TAC + serial), MSISDN without a leading '+'. */
static void norm(enum lwbs_ident_kind k, const char **s, size_t *n)
{
	if (k == LWBS_IDENT_IMEI && *n >= 14 && *n <= 16)
		*n = 14;
	else if (k == LWBS_IDENT_MSISDN && *n && (*s)[0] == '+') {
		(*s)++;
		(*n)--;
	}
}

static bool dev_matches(const struct lwbs_prov *p, enum lwbs_ident_kind k, uint32_t idx, const char *s, size_t n)
{
	const char *v = p->devices[idx].ident[k];
	size_t vn = strlen(v);

	norm(k, &v, &vn);
	return vn == n && !memcmp(v, s, n);
}

/* Slot holding the key, or the empty slot where it would go. */
static uint64_t *probe(const struct lwbs_prov *p, const struct table *t, enum lwbs_ident_kind k, const char *s,
		       size_t n)
{
	uint64_t h = hash(s, n);
	uint64_t tag = h & 0xffffffff00000000ull;
	size_t i = (size_t)h & t->mask;

	for (;;) {
		uint64_t *slot = &t->slots[i];
		if (!*slot)
			return slot;
		if ((*slot & 0xffffffff00000000ull) == tag &&
		    dev_matches(p, k, (uint32_t)(*slot & 0xffffffffu) - 1, s, n))
			return slot;
		i = (i + 1) & t->mask;
	}
}

void lwbs_prov_index_free(struct lwbs_prov_index *ix)
{
	if (!ix)
		return;
	for (int k = 0; k < LWBS_IDENT_COUNT; k++)
		free(ix->t[k].slots);
	free(ix);
}

size_t lwbs_prov_index_bytes(const struct lwbs_prov_index *ix)
{
	return ix ? ix->bytes : 0;
}

size_t lwbs_prov_memory(const struct lwbs_prov *p)
{
	return sizeof(*p) + lwbs_arena_used(p->arena) + p->cap_devices * sizeof(*p->devices) +
	       p->cap_profiles * sizeof(*p->profiles) + p->cap_secrets * sizeof(*p->secrets) +
	       p->n_files * sizeof(*p->files) + lwbs_prov_index_bytes(p->index);
}

int lwbs_prov_index_build(struct lwbs_prov *p, struct lwbs_prov_index **out, char *err, size_t err_cap)
{
	struct lwbs_prov_index *ix;
	size_t count[LWBS_IDENT_COUNT] = {0};

	if (p->n_devices >= UINT32_MAX - 1) {
		snprintf(err, err_cap, "too many devices");
		return -ERANGE;
	}
	ix = calloc(1, sizeof(*ix));
	if (!ix)
		goto nomem;
	ix->bytes = sizeof(*ix);
	for (size_t i = 0; i < p->n_devices; i++)
		for (int k = 0; k < LWBS_IDENT_COUNT; k++)
			count[k] += p->devices[i].ident[k] != NULL;
	for (int k = 0; k < LWBS_IDENT_COUNT; k++) {
		size_t cap = 8;
		if (!count[k])
			continue;
		while (cap * 7 < count[k] * 10)
			cap *= 2;
		ix->t[k].slots = calloc(cap, sizeof(uint64_t));
		if (!ix->t[k].slots)
			goto nomem;
		ix->t[k].mask = cap - 1;
		ix->bytes += cap * sizeof(uint64_t);
	}
	for (size_t i = 0; i < p->n_devices; i++) {
		const struct lwbs_prov_device *d = &p->devices[i];
		for (int k = 0; k < LWBS_IDENT_COUNT; k++) {
			const char *s = d->ident[k];
			size_t n;
			uint64_t *slot;
			if (!s)
				continue;
			n = strlen(s);
			norm((enum lwbs_ident_kind)k, &s, &n);
			slot = probe(p, &ix->t[k], (enum lwbs_ident_kind)k, s, n);
			if (*slot) {
				const struct lwbs_prov_device *o = &p->devices[(*slot & 0xffffffffu) - 1];
				lwbs_prov_errf(err, err_cap, p, &d->loc, "duplicate %s \"%s\" (also device \"%s\" at %s:%" PRIu32 ":%" PRIu32 ")",
					       lwbs_ident_kind_name((enum lwbs_ident_kind)k), d->ident[k],
					       o->ident[LWBS_IDENT_ENDPOINT], p->files[o->loc.file], o->loc.line, o->loc.col);
				lwbs_prov_index_free(ix);
				return -EEXIST;
			}
			*slot = (hash(s, n) & 0xffffffff00000000ull) | (uint64_t)(i + 1);
		}
	}
	*out = ix;
	return 0;
nomem:
	lwbs_prov_index_free(ix);
	snprintf(err, err_cap, "out of memory building the device index");
	return -ENOMEM;
}

const struct lwbs_prov_device *lwbs_prov_find(const struct lwbs_prov *p, enum lwbs_ident_kind k,
					       const char *value, size_t len)
{
	const struct table *t;
	uint64_t *slot;

	if (!p->index || (unsigned)k >= LWBS_IDENT_COUNT || !value)
		return NULL;
	t = &p->index->t[k];
	if (!t->slots)
		return NULL;
	norm(k, &value, &len);
	slot = probe(p, t, k, value, len);
	return *slot ? &p->devices[(*slot & 0xffffffffu) - 1] : NULL;
}
