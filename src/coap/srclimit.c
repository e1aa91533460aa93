/* lwbs — a per-source event limit (see srclimit.h). */
#include "srclimit.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define PROBES 16

struct slot {
	uint8_t addr[16];
	uint8_t family; /* 0: free */
	unsigned count;
	int64_t window_start, blocked_until;
};

struct lwbs_srclimit {
	struct lwbs_srclimit_conf c;
	struct slot slots[LWBS_SRCLIMIT_SLOTS];
};

struct lwbs_srclimit *lwbs_srclimit_create(const struct lwbs_srclimit_conf *c)
{
	struct lwbs_srclimit *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->c = *c;
	if (!l->c.window_s)
		l->c.window_s = 1;
	return l;
}

void lwbs_srclimit_destroy(struct lwbs_srclimit *l)
{
	free(l);
}

const struct lwbs_srclimit_conf *lwbs_srclimit_conf(const struct lwbs_srclimit *l)
{
	return &l->c;
}

size_t lwbs_srclimit_addr_key(const struct sockaddr *a, uint8_t k[16], uint8_t *family)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (a->sa_family == AF_INET) {
		memcpy(k, &((const struct sockaddr_in *)a)->sin_addr, 4);
		*family = 4;
		return 4;
	}
	if (a->sa_family != AF_INET6)
		return 0;
	memcpy(k, &((const struct sockaddr_in6 *)a)->sin6_addr, 16);
	if (!memcmp(k, mapped, sizeof(mapped))) {
		memmove(k, k + 12, 4);
		*family = 4;
		return 4;
	}
	*family = 6;
	return 16;
}

static uint32_t hash(const uint8_t *k, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 16777619u;
	return h;
}

static bool window_over(const struct lwbs_srclimit *l, const struct slot *s, int64_t now)
{
	return now >= s->window_start + (int64_t)l->c.window_s * 1000;
}

/* The slot of addr; with create, a free, stale or (oldest window, not
 * blocked) reused one when it has none. NULL when none. */
static struct slot *find(const struct lwbs_srclimit *cl, const struct sockaddr *addr, bool create, int64_t now)
{
	struct lwbs_srclimit *l = (struct lwbs_srclimit *)cl;
	struct slot *free_s = NULL, *stale = NULL, *oldest = NULL, *victim;
	uint8_t k[16], fam = 0;
	size_t n = lwbs_srclimit_addr_key(addr, k, &fam);
	uint32_t h;

	if (!n)
		return NULL;
	h = hash(k, n);
	for (unsigned i = 0; i < PROBES; i++) {
		struct slot *s = &l->slots[(h + i) % LWBS_SRCLIMIT_SLOTS];

		if (s->family == fam && !memcmp(s->addr, k, n))
			return s;
		if (!s->family) {
			/* slots are reused, never freed: addr is not further on */
			free_s = s;
			break;
		} else if (s->blocked_until <= now && window_over(l, s, now)) {
			if (!stale)
				stale = s;
		} else if (s->blocked_until <= now && (!oldest || s->window_start < oldest->window_start)) {
			oldest = s;
		}
	}
	victim = free_s ? free_s : stale ? stale : oldest;
	if (!create || !victim)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->addr, k, n);
	victim->family = fam;
	victim->window_start = now;
	return victim;
}

bool lwbs_srclimit_note(struct lwbs_srclimit *l, const struct sockaddr *addr, int64_t now)
{
	struct slot *s;

	if (!l->c.max)
		return false;
	s = find(l, addr, true, now);
	if (!s || s->blocked_until > now)
		return false;
	if (window_over(l, s, now)) {
		s->window_start = now;
		s->count = 0;
	}
	if (++s->count <= l->c.max)
		return false;
	s->blocked_until = now + (int64_t)l->c.block_s * 1000;
	s->count = 0;
	s->window_start = now;
	return true;
}

void lwbs_srclimit_credit(struct lwbs_srclimit *l, const struct sockaddr *addr, int64_t now)
{
	struct slot *s;

	if (!l->c.max)
		return;
	s = find(l, addr, false, now);
	if (s && s->count && !window_over(l, s, now))
		s->count--;
}

bool lwbs_srclimit_blocked(const struct lwbs_srclimit *l, const struct sockaddr *addr, int64_t now)
{
	const struct slot *s;

	if (!l->c.max)
		return false;
	s = find(l, addr, false, now);
	return s && s->blocked_until > now;
}
