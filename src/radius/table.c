/* lwbs — in-memory RADIUS binding table and retransmission cache
 * (STANDARDS §6.5, §6.6). Pure: no clock, the caller passes times.
 *
 * Entries live in one array (indexes stay valid when it grows) with a free
 * list. Two open-addressing indexes (linear probing, backward-shift delete)
 * map an IPv4 address and an exact IPv6 prefix to an entry; a count per
 * prefix length lets a lookup try only the lengths in use, longest first.
 * The strings of an entry are one allocation of length-prefixed fields. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/radius.h"

enum str_field { S_NAS_ID, S_SESSION, S_IMSI, S_MSISDN, S_IMEISV, S_MCC_MNC, S_SGSN, S_APN,
		 S_ULI, S__COUNT };

struct ent {
	uint32_t has;
	uint8_t status, plen, rat, live;
	uint8_t ipv4[4];
	uint8_t ipv6[16];
	uint8_t nas_ipv4[4];
	uint8_t nas_ipv6[16];
	uint32_t charging_id, event_time;
	uint32_t next_free;
	uint32_t str_len;
	int64_t updated;
	uint8_t *str; /* S__COUNT x (len u8, bytes) */
};

enum { K_V4, K_V6 };

struct idx {
	uint32_t *slot; /* entry index + 1, 0 = empty */
	uint32_t cap;   /* power of two (or 0) */
	uint32_t n;
};

struct lwbs_radius_table {
	struct ent *ents;
	uint32_t nents, capents, free_head, count;
	struct idx ix[2];
	uint32_t plen_count[129];
	size_t str_bytes;
};

#define NONE UINT32_MAX

static uint32_t mix(const uint8_t *k, size_t n, uint32_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 16777619u;
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h;
}

static uint32_t key_hash(int kind, const uint8_t *key, uint8_t plen)
{
	return kind == K_V4 ? mix(key, 4, 2166136261u) : mix(key, 16, 2166136261u ^ plen);
}

static uint32_t ent_hash(const struct lwbs_radius_table *t, int kind, uint32_t e)
{
	const struct ent *x = &t->ents[e];
	return kind == K_V4 ? key_hash(K_V4, x->ipv4, 0) : key_hash(K_V6, x->ipv6, x->plen);
}

static bool ent_key_eq(const struct ent *x, int kind, const uint8_t *key, uint8_t plen)
{
	if (kind == K_V4)
		return memcmp(x->ipv4, key, 4) == 0;
	return x->plen == plen && memcmp(x->ipv6, key, 16) == 0;
}

static uint32_t idx_find(const struct lwbs_radius_table *t, int kind, const uint8_t *key,
			 uint8_t plen)
{
	const struct idx *ix = &t->ix[kind];
	if (!ix->cap)
		return NONE;
	uint32_t m = ix->cap - 1;
	for (uint32_t i = key_hash(kind, key, plen) & m;; i = (i + 1) & m) {
		uint32_t s = ix->slot[i];
		if (!s)
			return NONE;
		if (ent_key_eq(&t->ents[s - 1], kind, key, plen))
			return s - 1;
	}
}

static void idx_put(struct lwbs_radius_table *t, int kind, uint32_t e)
{
	struct idx *ix = &t->ix[kind];
	uint32_t m = ix->cap - 1;
	uint32_t i = ent_hash(t, kind, e) & m;
	while (ix->slot[i])
		i = (i + 1) & m;
	ix->slot[i] = e + 1;
	ix->n++;
}

/* Makes room for one more key: load factor at most 1/2. */
static int idx_reserve(struct lwbs_radius_table *t, int kind)
{
	struct idx *ix = &t->ix[kind];
	if ((ix->n + 1) * 2 <= ix->cap)
		return 0;
	uint32_t ncap = ix->cap ? ix->cap * 2 : 64;
	if (ncap < ix->cap)
		return -ENOMEM;
	uint32_t *ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	struct idx old = *ix;
	ix->slot = ns;
	ix->cap = ncap;
	ix->n = 0;
	for (uint32_t i = 0; i < old.cap; i++)
		if (old.slot[i])
			idx_put(t, kind, old.slot[i] - 1);
	free(old.slot);
	return 0;
}

static void idx_del(struct lwbs_radius_table *t, int kind, uint32_t e)
{
	struct idx *ix = &t->ix[kind];
	uint32_t m = ix->cap - 1;
	uint32_t i = ent_hash(t, kind, e) & m;
	while (ix->slot[i] != e + 1)
		i = (i + 1) & m;
	/* Backward shift: pull later members of the cluster into the hole
	 * when their home slot does not lie strictly between hole and them. */
	uint32_t j = i;
	for (;;) {
		ix->slot[i] = 0;
		for (;;) {
			j = (j + 1) & m;
			if (!ix->slot[j]) {
				ix->n--;
				return;
			}
			uint32_t home = ent_hash(t, kind, ix->slot[j] - 1) & m;
			if (((j - home) & m) >= ((j - i) & m))
				break;
		}
		ix->slot[i] = ix->slot[j];
		i = j;
	}
}

struct lwbs_radius_table *lwbs_radius_table_create(void)
{
	struct lwbs_radius_table *t = calloc(1, sizeof(*t));
	if (t)
		t->free_head = NONE;
	return t;
}

void lwbs_radius_table_destroy(struct lwbs_radius_table *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->nents; i++)
		free(t->ents[i].str);
	free(t->ents);
	free(t->ix[K_V4].slot);
	free(t->ix[K_V6].slot);
	free(t);
}

size_t lwbs_radius_table_count(const struct lwbs_radius_table *t)
{
	return t->count;
}

size_t lwbs_radius_table_memory(const struct lwbs_radius_table *t)
{
	return sizeof(*t) + (size_t)t->capents * sizeof(struct ent) +
	       ((size_t)t->ix[K_V4].cap + t->ix[K_V6].cap) * sizeof(uint32_t) + t->str_bytes;
}

/* Field f of an entry's string block. */
static const uint8_t *ent_str(const struct ent *x, enum str_field f, size_t *n)
{
	const uint8_t *p = x->str;
	for (int i = 0; i < (int)f; i++)
		p += 1 + p[0];
	*n = p[0];
	return p + 1;
}

static bool ent_str_eq(const struct ent *x, enum str_field f, const char *s)
{
	size_t n;
	const uint8_t *v = ent_str(x, f, &n);
	return n == strlen(s) && memcmp(v, s, n) == 0;
}

/* lwbs_radius_same_nas() between an entry and a record. */
static bool ent_same_nas(const struct ent *x, const struct lwbs_radius_binding *b)
{
	bool common = false;
	if (x->has & b->has & LWBS_RADIUS_HAS_NAS_IPV4) {
		if (memcmp(x->nas_ipv4, b->nas_ipv4, 4) != 0)
			return false;
		common = true;
	}
	if (x->has & b->has & LWBS_RADIUS_HAS_NAS_IPV6) {
		if (memcmp(x->nas_ipv6, b->nas_ipv6, 16) != 0)
			return false;
		common = true;
	}
	size_t n;
	ent_str(x, S_NAS_ID, &n);
	if (n && b->nas_id[0]) {
		if (!ent_str_eq(x, S_NAS_ID, b->nas_id))
			return false;
		common = true;
	}
	return common;
}

static bool ent_same_session(const struct ent *x, const struct lwbs_radius_binding *b)
{
	return ent_str_eq(x, S_SESSION, b->session_id) && ent_same_nas(x, b);
}

static uint8_t *build_str(const struct lwbs_radius_binding *b, uint32_t *len)
{
	const char *s[S__COUNT] = {
		[S_NAS_ID] = b->nas_id, [S_SESSION] = b->session_id, [S_IMSI] = b->imsi,
		[S_MSISDN] = b->msisdn, [S_IMEISV] = b->imeisv, [S_MCC_MNC] = b->mcc_mnc,
		[S_SGSN] = b->sgsn_mcc_mnc, [S_APN] = b->apn, [S_ULI] = (const char *)b->uli,
	};
	size_t n[S__COUNT], total = S__COUNT;
	for (int i = 0; i < S__COUNT; i++) {
		n[i] = i == S_ULI ? b->uli_len : strnlen(s[i], LWBS_RADIUS_STR_MAX);
		total += n[i];
	}
	uint8_t *p = malloc(total), *w = p;
	if (!p)
		return NULL;
	for (int i = 0; i < S__COUNT; i++) {
		*w++ = (uint8_t)n[i];
		memcpy(w, s[i], n[i]);
		w += n[i];
	}
	*len = (uint32_t)total;
	return p;
}

static void copy_field(char *dst, const struct ent *x, enum str_field f)
{
	size_t n;
	const uint8_t *v = ent_str(x, f, &n);
	memcpy(dst, v, n);
	dst[n] = 0;
}

static void ent_to_binding(const struct ent *x, struct lwbs_radius_binding *b)
{
	memset(b, 0, sizeof(*b));
	b->status = x->status;
	b->has = x->has;
	b->ipv6_plen = x->plen;
	b->rat_type = x->rat;
	memcpy(b->ipv4, x->ipv4, 4);
	memcpy(b->ipv6, x->ipv6, 16);
	memcpy(b->nas_ipv4, x->nas_ipv4, 4);
	memcpy(b->nas_ipv6, x->nas_ipv6, 16);
	b->charging_id = x->charging_id;
	b->event_time = x->event_time;
	b->updated = x->updated;
	copy_field(b->nas_id, x, S_NAS_ID);
	copy_field(b->session_id, x, S_SESSION);
	copy_field(b->imsi, x, S_IMSI);
	copy_field(b->msisdn, x, S_MSISDN);
	copy_field(b->imeisv, x, S_IMEISV);
	copy_field(b->mcc_mnc, x, S_MCC_MNC);
	copy_field(b->sgsn_mcc_mnc, x, S_SGSN);
	copy_field(b->apn, x, S_APN);
	size_t n;
	const uint8_t *v = ent_str(x, S_ULI, &n);
	memcpy(b->uli, v, n);
	b->uli_len = (uint8_t)n;
}

static void ent_remove(struct lwbs_radius_table *t, uint32_t e)
{
	struct ent *x = &t->ents[e];
	if (x->has & LWBS_RADIUS_HAS_IPV4)
		idx_del(t, K_V4, e);
	if (x->has & LWBS_RADIUS_HAS_IPV6) {
		idx_del(t, K_V6, e);
		t->plen_count[x->plen]--;
	}
	t->str_bytes -= x->str_len;
	free(x->str);
	x->str = NULL;
	x->live = 0;
	x->next_free = t->free_head;
	t->free_head = e;
	t->count--;
}

/* Everything that can fail happens before the table changes. */
static int ent_insert(struct lwbs_radius_table *t, const struct lwbs_radius_binding *b,
		      int64_t now)
{
	int rc;
	if ((b->has & LWBS_RADIUS_HAS_IPV4) && (rc = idx_reserve(t, K_V4)))
		return rc;
	if ((b->has & LWBS_RADIUS_HAS_IPV6) && (rc = idx_reserve(t, K_V6)))
		return rc;
	if (t->free_head == NONE && t->nents == t->capents) {
		uint32_t ncap = t->capents ? t->capents + t->capents / 2 : 64;
		if (ncap >= NONE)
			return -ENOMEM;
		struct ent *ne = realloc(t->ents, (size_t)ncap * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		t->ents = ne;
		t->capents = ncap;
	}
	uint32_t slen;
	uint8_t *str = build_str(b, &slen);
	if (!str)
		return -ENOMEM;
	uint32_t e;
	if (t->free_head != NONE) {
		e = t->free_head;
		t->free_head = t->ents[e].next_free;
	} else {
		e = t->nents++;
	}
	struct ent *x = &t->ents[e];
	*x = (struct ent){
		.has = b->has, .status = b->status, .plen = b->ipv6_plen, .rat = b->rat_type,
		.live = 1, .charging_id = b->charging_id, .event_time = b->event_time,
		.next_free = NONE, .str_len = slen, .updated = now, .str = str,
	};
	memcpy(x->ipv4, b->ipv4, 4);
	memcpy(x->ipv6, b->ipv6, 16);
	memcpy(x->nas_ipv4, b->nas_ipv4, 4);
	memcpy(x->nas_ipv6, b->nas_ipv6, 16);
	if (b->has & LWBS_RADIUS_HAS_IPV4)
		idx_put(t, K_V4, e);
	if (b->has & LWBS_RADIUS_HAS_IPV6) {
		idx_put(t, K_V6, e);
		t->plen_count[b->ipv6_plen]++;
	}
	t->str_bytes += slen;
	t->count++;
	return 0;
}

static int remove_nas(struct lwbs_radius_table *t, const struct lwbs_radius_binding *b,
		      size_t *removed)
{
	size_t n = 0;
	for (uint32_t e = 0; e < t->nents; e++)
		if (t->ents[e].live && ent_same_nas(&t->ents[e], b)) {
			ent_remove(t, e);
			n++;
		}
	if (removed)
		*removed = n;
	return 0;
}

int lwbs_radius_table_apply(struct lwbs_radius_table *t, const struct lwbs_radius_binding *b,
			    int64_t now, enum lwbs_radius_apply *res, size_t *removed)
{
	if (!(b->has & (LWBS_RADIUS_HAS_NAS_IPV4 | LWBS_RADIUS_HAS_NAS_IPV6)) && !b->nas_id[0])
		return -EINVAL;
	if (b->status == LWBS_RADIUS_ACCT_ON || b->status == LWBS_RADIUS_ACCT_OFF) {
		*res = LWBS_RADIUS_REMOVED;
		return remove_nas(t, b, removed);
	}
	if (b->status != LWBS_RADIUS_START && b->status != LWBS_RADIUS_INTERIM &&
	    b->status != LWBS_RADIUS_STOP)
		return -EINVAL;
	if (!(b->has & (LWBS_RADIUS_HAS_IPV4 | LWBS_RADIUS_HAS_IPV6)) || !b->session_id[0] ||
	    ((b->has & LWBS_RADIUS_HAS_IPV6) && (b->ipv6_plen < 1 || b->ipv6_plen > 128)))
		return -EINVAL;

	uint32_t h[2] = {NONE, NONE};
	if (b->has & LWBS_RADIUS_HAS_IPV4)
		h[0] = idx_find(t, K_V4, b->ipv4, 0);
	if (b->has & LWBS_RADIUS_HAS_IPV6)
		h[1] = idx_find(t, K_V6, b->ipv6, b->ipv6_plen);
	if (h[1] == h[0])
		h[1] = NONE;
	if (removed)
		*removed = 0;

	if (b->status == LWBS_RADIUS_STOP) {
		for (int i = 0; i < 2; i++)
			if (h[i] != NONE && ent_same_session(&t->ents[h[i]], b)) {
				ent_remove(t, h[i]);
				if (removed)
					*removed = 1;
				*res = LWBS_RADIUS_REMOVED;
				return 0;
			}
		*res = LWBS_RADIUS_IGNORED;
		return 0;
	}

	bool any = false, other = false;
	for (int i = 0; i < 2; i++) {
		if (h[i] == NONE)
			continue;
		const struct ent *x = &t->ents[h[i]];
		any = true;
		if (ent_same_session(x, b))
			continue;
		other = true;
		if (b->status == LWBS_RADIUS_INTERIM &&
		    (x->has & b->has & LWBS_RADIUS_HAS_EVENT_TIME) && b->event_time < x->event_time) {
			*res = LWBS_RADIUS_IGNORED;
			return 0;
		}
	}
	/* Insert first so that a failed allocation leaves the table as it
	 * was: the holders' keys are taken out of the indexes meanwhile. */
	struct ent saved[2];
	for (int i = 0; i < 2; i++) {
		if (h[i] == NONE)
			continue;
		saved[i] = t->ents[h[i]];
		if (saved[i].has & LWBS_RADIUS_HAS_IPV4)
			idx_del(t, K_V4, h[i]);
		if (saved[i].has & LWBS_RADIUS_HAS_IPV6)
			idx_del(t, K_V6, h[i]);
		t->ents[h[i]].has &= ~(uint32_t)(LWBS_RADIUS_HAS_IPV4 | LWBS_RADIUS_HAS_IPV6);
	}
	int rc = ent_insert(t, b, now);
	for (int i = 0; i < 2; i++) {
		if (h[i] == NONE)
			continue;
		struct ent *x = &t->ents[h[i]];
		x->has = saved[i].has;
		if (x->has & LWBS_RADIUS_HAS_IPV4)
			idx_put(t, K_V4, h[i]);
		if (x->has & LWBS_RADIUS_HAS_IPV6)
			idx_put(t, K_V6, h[i]);
		if (rc == 0)
			ent_remove(t, h[i]);
	}
	if (rc)
		return rc;
	if (removed)
		*removed = (h[0] != NONE) + (h[1] != NONE);
	*res = !any ? LWBS_RADIUS_INSERTED : other ? LWBS_RADIUS_REPLACED : LWBS_RADIUS_REFRESHED;
	return 0;
}

int lwbs_radius_table_foreach(const struct lwbs_radius_table *t,
			      int (*fn)(void *arg, const struct lwbs_radius_binding *b), void *arg)
{
	struct lwbs_radius_binding b;
	for (uint32_t e = 0; e < t->nents; e++) {
		if (!t->ents[e].live)
			continue;
		ent_to_binding(&t->ents[e], &b);
		int r = fn(arg, &b);
		if (r)
			return r;
	}
	return 0;
}

int lwbs_radius_table_lookup4(const struct lwbs_radius_table *t, const uint8_t addr[4],
			      struct lwbs_radius_binding *out)
{
	uint32_t e = idx_find(t, K_V4, addr, 0);
	if (e == NONE)
		return -ENOENT;
	ent_to_binding(&t->ents[e], out);
	return 0;
}

int lwbs_radius_table_lookup6(const struct lwbs_radius_table *t, const uint8_t addr[16],
			      struct lwbs_radius_binding *out)
{
	uint8_t key[16];
	for (int plen = 128; plen >= 1; plen--) {
		if (!t->plen_count[plen])
			continue;
		memset(key, 0, 16);
		memcpy(key, addr, (size_t)plen / 8);
		if (plen % 8)
			key[plen / 8] = addr[plen / 8] & (uint8_t)(0xff00u >> (plen % 8));
		uint32_t e = idx_find(t, K_V6, key, (uint8_t)plen);
		if (e != NONE) {
			ent_to_binding(&t->ents[e], out);
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- retransmission cache ---- */

enum { D_EMPTY, D_BUSY, D_ANSWERED };
#define WAYS 4

struct dent {
	uint8_t addr[16];
	uint8_t auth[16];
	int64_t at;
	uint16_t port;
	uint8_t id;
	uint8_t state;
};

struct lwbs_radius_dupcache {
	struct dent *e;
	size_t mask; /* sets - 1 */
	int64_t max_age;
};

struct lwbs_radius_dupcache *lwbs_radius_dupcache_create(size_t max_entries, int64_t max_age)
{
	size_t sets = 1;
	while (sets * WAYS < max_entries) {
		if (sets > SIZE_MAX / 2 / WAYS / sizeof(struct dent))
			return NULL;
		sets *= 2;
	}
	struct lwbs_radius_dupcache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->e = calloc(sets * WAYS, sizeof(*c->e));
	if (!c->e) {
		free(c);
		return NULL;
	}
	c->mask = sets - 1;
	c->max_age = max_age;
	return c;
}

void lwbs_radius_dupcache_destroy(struct lwbs_radius_dupcache *c)
{
	if (!c)
		return;
	free(c->e);
	free(c);
}

static struct dent *dup_set(struct lwbs_radius_dupcache *c, const struct lwbs_radius_peer *p,
			    uint8_t id)
{
	uint8_t k[19];
	memcpy(k, p->addr, 16);
	k[16] = (uint8_t)(p->port >> 8);
	k[17] = (uint8_t)p->port;
	k[18] = id;
	return &c->e[(mix(k, sizeof(k), 2166136261u) & c->mask) * WAYS];
}

static struct dent *dup_find(struct dent *set, const struct lwbs_radius_peer *p, uint8_t id)
{
	for (int w = 0; w < WAYS; w++)
		if (set[w].state != D_EMPTY && set[w].id == id && set[w].port == p->port &&
		    memcmp(set[w].addr, p->addr, 16) == 0)
			return &set[w];
	return NULL;
}

enum lwbs_radius_dup lwbs_radius_dupcache_check(struct lwbs_radius_dupcache *c,
						const struct lwbs_radius_peer *peer, uint8_t id,
						const uint8_t auth[16], int64_t now)
{
	struct dent *set = dup_set(c, peer, id);
	struct dent *x = dup_find(set, peer, id);
	if (x && now - x->at <= c->max_age && memcmp(x->auth, auth, 16) == 0)
		return x->state == D_ANSWERED ? LWBS_RADIUS_DUP_ANSWERED
					      : LWBS_RADIUS_DUP_IN_PROGRESS;
	if (!x) {
		x = &set[0];
		for (int w = 0; w < WAYS; w++) {
			if (set[w].state == D_EMPTY) {
				x = &set[w];
				break;
			}
			if (set[w].at < x->at)
				x = &set[w];
		}
	}
	memcpy(x->addr, peer->addr, 16);
	memcpy(x->auth, auth, 16);
	x->port = peer->port;
	x->id = id;
	x->at = now;
	x->state = D_BUSY;
	return LWBS_RADIUS_DUP_NEW;
}

static struct dent *dup_exact(struct lwbs_radius_dupcache *c, const struct lwbs_radius_peer *p,
			      uint8_t id, const uint8_t auth[16])
{
	struct dent *x = dup_find(dup_set(c, p, id), p, id);
	return x && memcmp(x->auth, auth, 16) == 0 ? x : NULL;
}

void lwbs_radius_dupcache_mark_answered(struct lwbs_radius_dupcache *c,
					const struct lwbs_radius_peer *peer, uint8_t id,
					const uint8_t auth[16])
{
	struct dent *x = dup_exact(c, peer, id, auth);
	if (x)
		x->state = D_ANSWERED;
}

void lwbs_radius_dupcache_forget(struct lwbs_radius_dupcache *c,
				 const struct lwbs_radius_peer *peer, uint8_t id,
				 const uint8_t auth[16])
{
	struct dent *x = dup_exact(c, peer, id, auth);
	if (x)
		x->state = D_EMPTY;
}
