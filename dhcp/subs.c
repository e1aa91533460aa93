/* lwbs-dhcpd — per-subscriber URIs: follows lwbsd's RADIUS binding journal
 * (src/radius/journal.h) read-only, without locking it, and answers
 * client address -> binding -> home PLMN -> URI. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dhcpd.h"
#include "journal.h"
#include "lwbs/err.h"

/* journal.h: the file starts with these 8 octets. */
#define MAGIC "LWBSRJ1\n"
#define MAGIC_LEN 8
/* Larger than any record, so every read holds at least one whole record. */
#define CHUNK (64u << 10)

/* One file being replayed into its table. */
struct follow {
	int fd; /* -1: none */
	dev_t dev;
	ino_t ino;
	size_t off; /* end of the last applied record */
	struct lwbs_radius_table *t;
};

struct dhcpd_subs {
	struct dhcpd_subs_conf conf;
	struct follow cur;  /* answers lookups */
	struct follow next; /* a replaced file being replayed (fd >= 0) */
	struct dhcpd_subs_stats st;
	int last_err; /* logged once per change */
	uint8_t buf[CHUNK];
};

static void note(struct dhcpd_subs *s, int err, const char *what)
{
	if (err == s->last_err)
		return;
	s->last_err = err;
	if (err)
		fprintf(stderr, "lwbs-dhcpd: subscribers: journal %s: %s: %s\n", s->conf.journal, what,
			err == -EBADMSG ? "not a binding journal" : strerror(-err));
}

static void follow_close(struct follow *f)
{
	if (f->fd >= 0)
		close(f->fd);
	lwbs_radius_table_destroy(f->t);
	f->fd = -1;
	f->t = NULL;
	f->off = 0;
}

static int follow_open(struct dhcpd_subs *s, struct follow *f)
{
	struct stat st;

	f->fd = open(s->conf.journal, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return -errno;
	f->t = lwbs_radius_table_create();
	if (!f->t || fstat(f->fd, &st) < 0) {
		int e = f->t ? -errno : -ENOMEM;
		follow_close(f);
		return e;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->off = 0;
	return 0;
}

/* Applies the records after f->off, reading about *budget octets at most.
 * 1: caught up (end of file, or a torn / corrupt tail to retry later);
 * 0: budget spent; negative: read error or not a journal. */
static int follow_step(struct dhcpd_subs *s, struct follow *f, size_t *budget)
{
	while (*budget > 0) {
		ssize_t n = pread(f->fd, s->buf, CHUNK, (off_t)f->off);
		size_t p = 0;

		if (n < 0)
			return errno == EINTR ? 0 : -errno;
		if (n == 0)
			return 1;
		*budget = (size_t)n >= *budget ? 0 : *budget - (size_t)n;
		if (f->off == 0) {
			if (n < MAGIC_LEN)
				return 1; /* being created */
			if (memcmp(s->buf, MAGIC, MAGIC_LEN))
				return -EBADMSG;
			p = MAGIC_LEN;
		}
		while (p < (size_t)n) {
			struct lwbs_radius_binding b;
			enum lwbs_radius_apply res;
			int64_t now;
			size_t used;
			int r = lwbs_radius_journal_decode(s->buf + p, (size_t)n - p, &b, &now, &used);

			if (r == LWBS_ETRUNC)
				break;
			if (r) {
				/* lwbsd truncates a corrupt tail when it next opens the
				 * journal and appends from there: retry at this offset */
				f->off += p;
				return 1;
			}
			r = lwbs_radius_table_apply(f->t, &b, now, &res, NULL);
			if (r == -ENOMEM)
				return r;
			if (r)
				s->st.skipped++;
			else
				s->st.records++;
			p += used;
		}
		f->off += p;
		if ((size_t)n < CHUNK)
			return 1; /* a record being appended is read next time */
	}
	return 0;
}

/* The journal now at the path, if it is another file than cur's, or cur's
 * file shortened below what was read (rewritten in place). */
static bool replaced(struct dhcpd_subs *s)
{
	struct stat st;

	if (s->cur.fd < 0)
		return true;
	if (stat(s->conf.journal, &st) < 0)
		return false; /* removed: keep the bindings we have */
	if (st.st_dev != s->cur.dev || st.st_ino != s->cur.ino)
		return true;
	return fstat(s->cur.fd, &st) == 0 && (size_t)st.st_size < s->cur.off;
}

void dhcpd_subs_refresh(struct dhcpd_subs *s, size_t max_bytes)
{
	size_t budget = max_bytes;
	int r;

	if (s->next.fd < 0 && replaced(s)) {
		r = follow_open(s, &s->next);
		if (r) {
			note(s, r, "open");
			return;
		}
	}
	if (s->next.fd >= 0) {
		r = follow_step(s, &s->next, &budget);
		if (r < 0) {
			note(s, r, "replay");
			follow_close(&s->next);
			return;
		}
		if (r == 0)
			return;
		follow_close(&s->cur);
		s->cur = s->next;
		s->next = (struct follow){.fd = -1};
		s->st.reloads++;
	}
	r = follow_step(s, &s->cur, &budget);
	note(s, r < 0 ? r : 0, "read");
}

struct dhcpd_subs *dhcpd_subs_create(const struct dhcpd_subs_conf *c, char *err, size_t errlen)
{
	struct dhcpd_subs *s = calloc(1, sizeof(*s));
	size_t budget = SIZE_MAX;
	int r;

	if (!s) {
		snprintf(err, errlen, "subscribers: out of memory");
		return NULL;
	}
	s->conf = *c;
	s->cur.fd = s->next.fd = -1;
	r = follow_open(s, &s->next);
	if (r == -ENOENT) {
		note(s, r, "open (retried every refresh)");
		return s;
	}
	if (!r)
		r = follow_step(s, &s->next, &budget);
	if (r < 0) {
		snprintf(err, errlen, "subscribers: journal %s: %s", c->journal,
			 r == -EBADMSG ? "not a binding journal" : strerror(-r));
		dhcpd_subs_destroy(s);
		return NULL;
	}
	s->cur = s->next;
	s->next = (struct follow){.fd = -1};
	s->st.reloads++;
	return s;
}

void dhcpd_subs_destroy(struct dhcpd_subs *s)
{
	if (!s)
		return;
	follow_close(&s->cur);
	follow_close(&s->next);
	free(s);
}

int dhcpd_subs_lookup(void *ctx, const struct sockaddr *client, const char **uri, size_t *len)
{
	struct dhcpd_subs *s = ctx;
	struct lwbs_radius_binding b;
	int r;

	if (!s->cur.t)
		return -ENOENT;
	if (client->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)client;
		if (a->sin_addr.s_addr == 0)
			return -ENOENT;
		r = lwbs_radius_table_lookup4(s->cur.t, (const uint8_t *)&a->sin_addr, &b);
	} else if (client->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)client;
		r = lwbs_radius_table_lookup6(s->cur.t, a->sin6_addr.s6_addr, &b);
	} else {
		return -EAFNOSUPPORT;
	}
	if (r)
		return r;
	/* the IMSI's own prefix is ambiguous (2- or 3-digit MNC): only the
	 * 3GPP-IMSI-MCC-MNC attribute names the home PLMN */
	if (!b.mcc_mnc[0])
		return -ENOENT;
	for (unsigned i = 0; i < s->conf.n_plmn; i++)
		if (!strcmp(s->conf.by_plmn[i].plmn, b.mcc_mnc)) {
			*uri = s->conf.by_plmn[i].uri;
			*len = s->conf.by_plmn[i].uri_len;
			return 0;
		}
	return -ENOENT;
}

void dhcpd_subs_stats(const struct dhcpd_subs *s, struct dhcpd_subs_stats *out)
{
	*out = s->st;
	out->bindings = s->cur.t ? lwbs_radius_table_count(s->cur.t) : 0;
}
