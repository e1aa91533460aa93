/* lwbs — PostgreSQL store backend (include/lwbs/store_pg.h).
 *
 * A pool of non-blocking libpq connections, each one of DOWN (waiting for
 * its reconnect time), CONNECTING (PQconnectPoll), SETUP (SET + PREPARE
 * sent as one simple query), IDLE or BUSY (one lookup or one audit batch
 * in flight). Lookups wait in a bounded FIFO for an idle connection;
 * audit records in another, sent as one INSERT of up to AUDIT_BATCH rows
 * by at most one connection at a time (so they are stored in order).
 *
 * A lookup is one prepared statement returning the device's profile id,
 * a version key, the profile document with its secrets put back and,
 * when the device has overrides, its document. The document is parsed by
 * the provisioning loader (JSON is YAML) and built by the same plan code
 * as the embedded store.
 *
 * The lookup also returns the device's generated credentials and
 * identities. A device whose profile generates (generate_credentials) and
 * lacks a server's credentials, or whose server rotates, gets new ones
 * INSERTed (ON CONFLICT DO NOTHING, or DO UPDATE when rotating) and read
 * back, in a second round trip on the same connection, before the plan is
 * answered: what the device is given is stored first, and two lwbsd
 * instances racing for a device agree on the row that won.
 *
 * An enrolment (enrol(), pg_enrol.h) is queued like a lookup by endpoint
 * that first sends the INSERT of pg_enrol.c on its connection; the lookup
 * follows on the same connection once the INSERT answered. */
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lwbs/buf.h"
#include "lwbs/codec.h"
#include "lwbs/hex.h"
#include "lwbs/identity.h"
#include "lwbs/prov.h"
#include "lwbs/store_pg.h"
#include "pg_enrol.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define AUDIT_BATCH 500

enum cstate { C_DOWN, C_CONNECTING, C_SETUP, C_IDLE, C_BUSY };

struct lreq {
	struct lreq *next;
	lwbs_store_lookup_fn cb;
	void *arg;
	int64_t deadline;
	enum lwbs_ident_kind kind;
	bool want_doc; /* ask for the profile document even if a plan is cached */
	struct hold *gen; /* credentials sent to be stored: the hold to finish */
	struct pg_enrol *enrol; /* enrolment (in this allocation), or NULL */
	char value[];
};

struct areq {
	struct areq *next;
	lwbs_store_done_fn cb;
	void *arg;
	size_t len;
	char json[]; /* one JSON object */
};

struct conn {
	PGconn *pg;
	enum cstate st;
	short events; /* while CONNECTING: what PQconnectPoll asked for */
	bool want_write;
	unsigned fails; /* attempts failed since the last success */
	int64_t when;   /* DOWN: retry time; CONNECTING: give-up time */
	struct lreq *lookup;
	struct areq *audit; /* the batch in flight (a list) */
	PGresult *res;      /* the first result of the request in flight */
};

/* A profile's built plan, shared by the holds of its devices. */
struct pentry {
	struct pentry *next;
	long long id;
	char *key;
	struct lwbs_prov *prov;
	size_t refs; /* the cache's (while listed) + one per hold */
};

struct hold {
	struct lwbs_bs_plan plan;
	struct pentry *pe;     /* no overrides: the shared profile plan */
	struct lwbs_prov *own; /* overrides: this lookup's own set */
	struct lwbs_prov *gen; /* generated credentials: the plan's arena */
	uint8_t *gen_keys;     /* their keys, in gen's arena (wiped) */
	size_t gen_keys_len;
	char endpoint[];
};

struct fifo {
	void *head, **tail;
	size_t n;
};

struct pg {
	struct lwbs_store base;
	char *dsn, *password;
	unsigned statement_timeout_ms, connect_timeout_ms, lookup_timeout_ms;
	size_t queue_max, audit_queue_max;
	struct conn *conns;
	size_t n_conns;
	struct fifo lq, aq;
	bool audit_busy;
	struct pentry *cache;
	uint64_t lookups, hits, misses, failures, reconnects, audits_written;
	uint32_t rnd;
	char last_error[256];
};

#define FIFO_INIT(f) ((f)->head = NULL, (f)->tail = &(f)->head, (f)->n = 0)

/* Both request types start with their next pointer. */
static void fifo_push(struct fifo *f, void *r)
{
	*(void **)r = NULL;
	*f->tail = r;
	f->tail = (void **)r;
	f->n++;
}

static void *fifo_pop(struct fifo *f)
{
	void *r = f->head;

	if (r) {
		f->head = *(void **)r;
		if (!f->head)
			f->tail = &f->head;
		f->n--;
	}
	return r;
}

int64_t lwbs_store_pg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_error(struct pg *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(struct pg *g, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(g->last_error, sizeof(g->last_error), fmt, ap);
	va_end(ap);
	n = strlen(g->last_error);
	while (n && (g->last_error[n - 1] == '\n' || g->last_error[n - 1] == ' '))
		g->last_error[--n] = 0;
}

/* ---------- statements ---------- */

#define SECRET_VALUE "CASE WHEN x.is_text THEN to_jsonb(convert_from(x.secret, 'UTF8')) " \
		     "ELSE to_jsonb('hex:' || encode(x.secret, 'hex')) END"

/* A profile's version: a cached plan is reused while it is unchanged. */
#define PROFILE_KEY                                                                                            \
	"p.updated_at::text || '/' || encode(p.hash_redacted, 'hex') || '/' || coalesce(encode(p.hash, 'hex'), '')"

/* A device's generated credentials as "ssid:identity-hex:key-hex,...". */
#define GENERATED(dev)                                                                                        \
	"SELECT string_agg(g.ssid || ':' || encode(convert_to(g.psk_identity, 'UTF8'), 'hex') || ':' || "       \
	"encode(g.psk_key, 'hex'), ',') FROM generated_credentials g WHERE g.device_id = " dev

#define IDENT_VALUE(kind) \
	"(SELECT v.value FROM device_identities v WHERE v.device_id = d.id AND v.kind = '" kind "')"

/* The profile document (column 2) is sent only when the caller has no plan
 * for that version of the profile (the last parameter lists the versions
 * it holds) or the device has overrides: most lookups then cost an index
 * lookup, not a document rebuilt with its secrets. */
#define LOOKUP_SELECT(known)                                                                                   \
	"SELECT d.profile_id, " PROFILE_KEY ", "                                                              \
	"CASE WHEN d.overrides IS NULL AND " PROFILE_KEY " = ANY(" known "::text[]) THEN NULL ELSE "           \
	"lwbs_unredact(p.doc, (SELECT jsonb_agg(jsonb_build_object('p', to_jsonb(x.path), 'v', " SECRET_VALUE \
	")) FROM profile_secrets x WHERE x.profile_id = p.id))::text END, "                                    \
	"CASE WHEN d.overrides IS NOT NULL THEN lwbs_unredact(jsonb_build_object('endpoint', d.endpoint, "      \
	"'profile', p.name, 'overrides', d.overrides), (SELECT jsonb_agg(jsonb_build_object('p', "              \
	"to_jsonb(x.path), 'v', " SECRET_VALUE ")) FROM device_credentials x WHERE x.device_id = d.id AND "   \
	"x.path[1] = 'overrides'))::text END, d.endpoint, d.id, (" GENERATED("d.id") "), "                     \
	IDENT_VALUE("imsi") ", " IDENT_VALUE("msisdn") ", " IDENT_VALUE("imei") " "                             \
	"FROM devices d JOIN profiles p ON p.id = d.profile_id "
#define LOOKUP_COLUMNS 10

static const char setup_sql_fmt[] =
	"SET statement_timeout = %u; "
	"PREPARE lwbs_by_endpoint (text, text) AS " LOOKUP_SELECT("$2") "WHERE d.endpoint = $1; "
	"PREPARE lwbs_by_identity (text, text, text) AS " LOOKUP_SELECT("$3")
	"JOIN device_identities i ON i.device_id = d.id WHERE i.kind = $1 AND i.key = $2; "
	"PREPARE lwbs_audit (jsonb) AS INSERT INTO session_audit (at, endpoint, peer, result, reason, duration_ms) "
	"SELECT to_timestamp((r->>'s')::bigint / 1000.0), r->>'ep', r->>'peer', r->>'res', r->>'rsn', "
	"(r->>'d')::integer FROM jsonb_array_elements($1) WITH ORDINALITY AS a(r, n) ORDER BY n";

static const char *ident_sql(enum lwbs_ident_kind k)
{
	switch (k) {
	case LWBS_IDENT_IMSI: return "imsi";
	case LWBS_IDENT_MSISDN: return "msisdn";
	case LWBS_IDENT_IMEI: return "imei";
	case LWBS_IDENT_PSK_ID: return "psk_id";
	case LWBS_IDENT_CERT_SUBJECT: return "cert_subject";
	default: return NULL;
	}
}

/* ---------- plans ---------- */

static void pentry_put(struct pentry *pe)
{
	if (pe && --pe->refs == 0) {
		lwbs_prov_destroy(pe->prov);
		free(pe->key);
		free(pe);
	}
}

static void cache_clear(struct pg *g)
{
	struct pentry *pe;

	while ((pe = g->cache)) {
		g->cache = pe->next;
		pentry_put(pe);
	}
}

/* Parses "profiles: [pdoc]" (+ "devices: [ddoc]") and builds the plans. */
static struct lwbs_prov *load_docs(struct pg *g, const char *pdoc, size_t plen, const char *ddoc, size_t dlen)
{
	struct lwbs_buf b;
	struct lwbs_prov *p = lwbs_prov_create();
	char err[256];
	int rc = -ENOMEM;

	lwbs_buf_init(&b, 0);
	if (!p)
		goto out;
	lwbs_buf_puts(&b, "profiles:\n  - ");
	lwbs_buf_put(&b, pdoc, plen);
	if (ddoc) {
		lwbs_buf_puts(&b, "\ndevices:\n  - ");
		lwbs_buf_put(&b, ddoc, dlen);
	}
	lwbs_buf_puts(&b, "\n");
	if (lwbs_buf_err(&b))
		goto out;
	rc = lwbs_prov_load_buffer(p, "postgres", b.data, b.len, NULL, err, sizeof(err));
	if (!rc)
		rc = lwbs_prov_finish(p, err, sizeof(err));
	if (!rc)
		rc = lwbs_prov_build_plans(p, err, sizeof(err));
	if (!rc && (p->n_profiles != 1 || p->n_devices != (ddoc ? 1u : 0u)))
		rc = -EBADMSG;
	if (rc)
		set_error(g, "stored document: %s", rc == -ENOMEM ? "out of memory" : err);
out:
	lwbs_buf_finish_secret(&b);
	if (rc) {
		lwbs_prov_destroy(p);
		return NULL;
	}
	return p;
}

static void wipe_value(PGresult *r, int col)
{
	if (!PQgetisnull(r, 0, col))
		explicit_bzero(PQgetvalue(r, 0, col), (size_t)PQgetlength(r, 0, col));
}

/* Builds the hold for the one row of r; *err set on failure. */
static struct hold *hold_from_row(struct pg *g, PGresult *r, int *err)
{
	long long id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	const char *key = PQgetvalue(r, 0, 1), *ep = PQgetvalue(r, 0, 4);
	size_t eplen = (size_t)PQgetlength(r, 0, 4);
	struct hold *h = calloc(1, sizeof(*h) + eplen + 1);
	struct pentry *pe;

	*err = -ENOMEM;
	if (!h)
		return NULL;
	memcpy(h->endpoint, ep, eplen);
	if (!PQgetisnull(r, 0, 3)) {
		/* overrides: this device's own set */
		h->own = load_docs(g, PQgetvalue(r, 0, 2), (size_t)PQgetlength(r, 0, 2), PQgetvalue(r, 0, 3),
				   (size_t)PQgetlength(r, 0, 3));
		if (!h->own) {
			*err = -EBADMSG;
			free(h);
			return NULL;
		}
		g->misses++;
		h->plan = h->own->devices[0].plan;
		h->plan.endpoint = h->endpoint;
		*err = 0;
		return h;
	}
	for (pe = g->cache; pe; pe = pe->next)
		if (pe->id == id)
			break;
	if (pe && strcmp(pe->key, key)) {
		/* the profile changed: unlist the old version */
		struct pentry **pp = &g->cache;
		while (*pp != pe)
			pp = &(*pp)->next;
		*pp = pe->next;
		pentry_put(pe);
		pe = NULL;
	}
	if (pe) {
		g->hits++;
	} else if (PQgetisnull(r, 0, 2)) {
		/* the cached plan went away (reload) while the query ran */
		free(h);
		*err = -EAGAIN;
		return NULL;
	} else {
		g->misses++;
		pe = calloc(1, sizeof(*pe));
		if (!pe || !(pe->key = strdup(key))) {
			free(pe);
			free(h);
			return NULL;
		}
		pe->prov = load_docs(g, PQgetvalue(r, 0, 2), (size_t)PQgetlength(r, 0, 2), NULL, 0);
		if (!pe->prov) {
			free(pe->key);
			free(pe);
			free(h);
			*err = -EBADMSG;
			return NULL;
		}
		pe->id = id;
		pe->refs = 1;
		pe->next = g->cache;
		g->cache = pe;
	}
	pe->refs++;
	h->pe = pe;
	h->plan = pe->prov->profiles[0]->plan;
	h->plan.endpoint = h->endpoint;
	*err = 0;
	return h;
}

static void hold_free(struct hold *h)
{
	if (!h)
		return;
	if (h->gen_keys)
		explicit_bzero(h->gen_keys, h->gen_keys_len);
	lwbs_prov_destroy(h->gen);
	pentry_put(h->pe);
	lwbs_prov_destroy(h->own);
	free(h);
}

/* ---------- generated credentials ---------- */

/* Lookup columns: 5 device id, 6 its generated credentials, 7-9 its IMSI,
 * MSISDN and IMEI. */
#define COL_DEVICE_ID 5
#define COL_GENERATED 6
#define COL_IMSI 7

struct gcred {
	size_t id_len, key_len;
	char id[LWBS_IDENTITY_PSK_ID_MAX + 1];
	uint8_t key[LWBS_IDENTITY_KEY_MAX];
};

/* The profile h's plan comes from. */
static const struct lwbs_prov_profile *hold_profile(const struct hold *h)
{
	if (h->own) {
		const struct lwbs_prov_device *d = &h->own->devices[0];
		return d->merged ? d->merged : d->profile;
	}
	return h->pe->prov->profiles[0];
}

/* Hex digits s[0..n) into out[0..cap): the length, or -EBADMSG. */
static long unhex(const char *s, size_t n, uint8_t *out, size_t cap)
{
	if (n % 2 || n / 2 > cap)
		return -EBADMSG;
	for (size_t i = 0; i < n; i += 2) {
		int hi = lwbs_hex_digit(s[i]), lo = lwbs_hex_digit(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EBADMSG;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

/* ssid's credentials in text ("ssid:identity-hex:key-hex,..."): 1 and *c,
 * 0 when absent, -EBADMSG. */
static int find_cred(const char *text, unsigned ssid, struct gcred *c)
{
	while (*text) {
		const char *end = strchr(text, ','), *a, *b;
		char *num_end;
		unsigned long v = strtoul(text, &num_end, 10);
		long n;

		if (!end)
			end = text + strlen(text);
		a = memchr(text, ':', (size_t)(end - text));
		b = a ? memchr(a + 1, ':', (size_t)(end - a - 1)) : NULL;
		if (!b || num_end != a)
			return -EBADMSG;
		if (v == ssid) {
			n = unhex(a + 1, (size_t)(b - a - 1), (uint8_t *)c->id, sizeof(c->id) - 1);
			if (n < 0)
				return (int)n;
			c->id[n] = 0;
			c->id_len = (size_t)n;
			n = unhex(b + 1, (size_t)(end - b - 1), c->key, sizeof(c->key));
			if (n <= 0 || strlen(c->id) != c->id_len)
				return -EBADMSG;
			c->key_len = (size_t)n;
			return 1;
		}
		text = *end ? end + 1 : end;
	}
	return 0;
}

/* h's plan rebuilt from pr with the generated credentials in text;
 * -ENOENT when a generating server has none. */
static int gen_plan(struct pg *g, struct hold *h, const struct lwbs_prov_profile *pr, const char *text)
{
	struct lwbs_prov *p = lwbs_prov_create();
	struct lwbs_prov_profile *m = NULL;
	struct lwbs_prov_server *servers = NULL;
	struct lwbs_bs_plan plan;
	struct gcred c;
	uint8_t *keys = NULL;
	size_t n_keys = 0, used = 0;
	char err[256];
	int rc = -ENOMEM;

	for (size_t i = 0; i < pr->n_servers; i++)
		if (pr->servers[i].generate)
			n_keys += LWBS_IDENTITY_KEY_MAX;
	if (p) {
		m = lwbs_arena_alloc(p->arena, sizeof(*m));
		servers = lwbs_arena_alloc(p->arena, (pr->n_servers ? pr->n_servers : 1) * sizeof(*servers));
		keys = lwbs_arena_alloc(p->arena, n_keys ? n_keys : 1);
	}
	if (!m || !servers || !keys)
		goto fail;
	*m = *pr;
	memcpy(servers, pr->servers, pr->n_servers * sizeof(*servers));
	m->servers = servers;
	for (size_t i = 0; i < m->n_servers; i++) {
		char *id;

		if (!servers[i].generate)
			continue;
		rc = find_cred(text, servers[i].ssid, &c);
		if (rc <= 0) {
			explicit_bzero(&c, sizeof(c));
			rc = rc ? rc : -ENOENT;
			set_error(g, "generated credentials of %s: %s", h->endpoint,
				  rc == -ENOENT ? "missing after insert" : "malformed");
			goto fail;
		}
		id = lwbs_arena_strdup(p->arena, c.id);
		if (!id) {
			explicit_bzero(&c, sizeof(c));
			rc = -ENOMEM;
			goto fail;
		}
		memcpy(keys + used, c.key, c.key_len);
		servers[i].identity = (struct lwbs_prov_bytes){(const uint8_t *)id, c.id_len, false};
		servers[i].secret_key = (struct lwbs_prov_bytes){keys + used, c.key_len, true};
		used += c.key_len;
		explicit_bzero(&c, sizeof(c));
	}
	if ((rc = lwbs_prov_build_plan(p, m, &plan, err, sizeof(err)))) {
		set_error(g, "generated credentials of %s: %s", h->endpoint, err);
		goto fail;
	}
	h->plan = plan;
	h->plan.endpoint = h->endpoint;
	h->gen = p;
	h->gen_keys = keys;
	h->gen_keys_len = n_keys;
	return 0;
fail:
	if (keys)
		explicit_bzero(keys, n_keys ? n_keys : 1);
	lwbs_prov_destroy(p);
	return rc;
}

static void put_hex(struct lwbs_buf *b, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		lwbs_buf_putc(b, (uint8_t)digits[p[i] >> 4]);
		lwbs_buf_putc(b, (uint8_t)digits[p[i] & 15]);
	}
}

/* Makes the credentials pr's generating servers lack (a rotating one's
 * always) for the device of lookup row r and sends them to be stored, with
 * the read back, on c. 1 sent, 0 none needed, or a negative code. */
static int gen_send(struct pg *g, struct conn *c, struct hold *h, const struct lwbs_prov_profile *pr, PGresult *r)
{
	const char *have = PQgetisnull(r, 0, COL_GENERATED) ? "" : PQgetvalue(r, 0, COL_GENERATED);
	const char *ident[LWBS_IDENT_COUNT] = {0};
	long long dev = strtoll(PQgetvalue(r, 0, COL_DEVICE_ID), NULL, 10);
	struct lwbs_buf sql;
	bool any = false;
	int rc = 0;

	ident[LWBS_IDENT_ENDPOINT] = h->endpoint;
	for (int k = 0; k < 3; k++)
		if (!PQgetisnull(r, 0, COL_IMSI + k))
			ident[LWBS_IDENT_IMSI + k] = PQgetvalue(r, 0, COL_IMSI + k);
	lwbs_buf_init(&sql, 0);
	for (size_t i = 0; i < pr->n_servers && !rc; i++) {
		const struct lwbs_prov_server *sv = &pr->servers[i];
		char id[LWBS_IDENTITY_PSK_ID_MAX + 1];
		uint8_t key[LWBS_IDENTITY_KEY_MAX];
		struct gcred cur;
		int found;

		if (!sv->generate)
			continue;
		found = find_cred(have, sv->ssid, &cur);
		explicit_bzero(&cur, sizeof(cur));
		if (found < 0) {
			rc = found;
			break;
		}
		if (found && !sv->generate->rotate)
			continue;
		if ((rc = lwbs_identity_template_expand(sv->generate->identity, ident, id, sizeof(id)))) {
			set_error(g, "generated credentials of %s: identity template: %s", h->endpoint,
				  rc == -ENOENT ? "an identity it names is unknown" : "cannot expand");
			break;
		}
		if ((rc = lwbs_identity_key_generate(key, sv->generate->key_len)))
			break;
		lwbs_buf_printf(&sql, "INSERT INTO generated_credentials (device_id, ssid, psk_identity, psk_key) "
				      "VALUES (%lld, %u, convert_from(decode('", dev, (unsigned)sv->ssid);
		put_hex(&sql, (const uint8_t *)id, strlen(id));
		lwbs_buf_puts(&sql, "', 'hex'), 'UTF8'), decode('");
		put_hex(&sql, key, sv->generate->key_len);
		explicit_bzero(key, sizeof(key));
		lwbs_buf_puts(&sql, sv->generate->rotate
					    ? "', 'hex')) ON CONFLICT (device_id, ssid) DO UPDATE SET psk_identity = "
					      "EXCLUDED.psk_identity, psk_key = EXCLUDED.psk_key, rotated_at = now(); "
					    : "', 'hex')) ON CONFLICT (device_id, ssid) DO NOTHING; ");
		any = true;
	}
	if (!rc && any) {
		/* a separate statement: it sees a row another instance committed */
		lwbs_buf_printf(&sql, GENERATED("%lld"), dev);
		lwbs_buf_putc(&sql, 0);
		rc = lwbs_buf_err(&sql);
		if (!rc && !PQsendQuery(c->pg, (const char *)sql.data)) {
			set_error(g, "%s", PQerrorMessage(c->pg));
			rc = -ECONNRESET;
		}
	}
	lwbs_buf_finish_secret(&sql);
	return rc ? rc : any;
}

/* ---------- connections ---------- */

static void try_dispatch(struct pg *g);

static unsigned backoff_ms(struct pg *g, unsigned fails)
{
	unsigned ms = BACKOFF_MIN_MS;

	while (fails-- > 1 && ms < BACKOFF_MAX_MS)
		ms *= 2;
	if (ms > BACKOFF_MAX_MS)
		ms = BACKOFF_MAX_MS;
	/* up to a quarter less, so that the pool does not retry in step */
	g->rnd = g->rnd * 1103515245u + 12345u;
	return ms - (g->rnd >> 8) % (ms / 4 + 1);
}

static bool all_down(const struct pg *g)
{
	for (size_t i = 0; i < g->n_conns; i++)
		if (g->conns[i].st >= C_SETUP || g->conns[i].fails == 0)
			return false;
	return true;
}

static void fail_queued_lookups(struct pg *g, int err)
{
	struct lreq *q;

	while ((q = fifo_pop(&g->lq))) {
		g->failures++;
		q->cb(q->arg, err, NULL, NULL);
		free(q);
	}
}

/* The connection failed or dropped: fail what it carried, retry later. */
static void conn_down(struct pg *g, struct conn *c, int64_t now)
{
	struct lreq *l = c->lookup;
	struct areq *a = c->audit, *next;
	bool was_up = c->st >= C_IDLE;

	if (c->pg) {
		set_error(g, "%s", PQerrorMessage(c->pg));
		PQfinish(c->pg);
		c->pg = NULL;
	}
	if (c->res) {
		PQclear(c->res);
		c->res = NULL;
	}
	c->st = C_DOWN;
	c->want_write = false;
	c->lookup = NULL;
	c->audit = NULL;
	c->fails++;
	c->when = now + backoff_ms(g, c->fails);
	if (was_up)
		g->reconnects++;
	if (a)
		g->audit_busy = false;
	if (l) {
		g->failures++;
		hold_free(l->gen);
		l->cb(l->arg, -ECONNRESET, NULL, NULL);
		free(l);
	}
	for (; a; a = next) {
		next = a->next;
		a->cb(a->arg, -ECONNRESET);
		free(a);
	}
	if (all_down(g))
		fail_queued_lookups(g, -ENOTCONN);
}

/* Server notices (e.g. "terminating connection") are not printed: the
 * connection's fate shows in its state and last_error. */
static void ignore_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static void conn_start(struct pg *g, struct conn *c, int64_t now)
{
	const char *keys[4] = {"dbname", "fallback_application_name", NULL, NULL};
	const char *vals[4] = {g->dsn ? g->dsn : "", "lwbsd", NULL, NULL};

	if (g->password) {
		keys[2] = "password";
		vals[2] = g->password;
	}
	c->pg = PQconnectStartParams(keys, vals, 1);
	c->st = C_CONNECTING;
	c->events = POLLOUT;
	c->when = now + g->connect_timeout_ms;
	if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD || PQsetnonblocking(c->pg, 1)) {
		conn_down(g, c, now);
		return;
	}
	PQsetNoticeProcessor(c->pg, ignore_notice, NULL);
}

static void conn_flush(struct pg *g, struct conn *c, int64_t now)
{
	int r = PQflush(c->pg);

	if (r < 0)
		conn_down(g, c, now);
	else
		c->want_write = r == 1;
}

static void conn_connect_step(struct pg *g, struct conn *c, int64_t now)
{
	char sql[sizeof(setup_sql_fmt) + 16];

	switch (PQconnectPoll(c->pg)) {
	case PGRES_POLLING_READING:
		c->events = POLLIN;
		return;
	case PGRES_POLLING_WRITING:
		c->events = POLLOUT;
		return;
	case PGRES_POLLING_OK:
		snprintf(sql, sizeof(sql), setup_sql_fmt, g->statement_timeout_ms);
		if (!PQsendQuery(c->pg, sql)) {
			conn_down(g, c, now);
			return;
		}
		c->st = C_SETUP;
		conn_flush(g, c, now);
		return;
	default:
		conn_down(g, c, now);
		return;
	}
}

static int sql_error(PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	return state && !strcmp(state, "57014") ? -ETIMEDOUT : -EIO;
}

/* ---------- enrolment ---------- */

static bool conn_send_lookup(struct pg *g, struct conn *c, struct lreq *l);

static bool enrol_send(struct conn *c, struct lreq *l)
{
	if (pg_enrol_send(c->pg, l->enrol))
		return false;
	c->lookup = l;
	c->st = C_BUSY;
	return true;
}

/* The INSERT of enrolment l answered with r: true when the lookup by
 * endpoint went out on c (l is c's again); otherwise l has been answered
 * (no template, or the error) and the caller frees it. */
static bool enrol_inserted(struct pg *g, struct conn *c, struct lreq *l, PGresult *r)
{
	int rc = pg_enrol_result(r);

	if (rc == 1) {
		l->enrol->inserted = true;
		if (conn_send_lookup(g, c, l))
			return true;
		set_error(g, "enrol %s: %s", l->value, PQerrorMessage(c->pg));
		rc = -ECONNRESET;
	} else if (rc < 0) {
		if (rc == -EEXIST)
			set_error(g, "enrol %s: an identity belongs to another device", l->value);
		else if (r)
			set_error(g, "enrol %s: %s", l->value, PQresultErrorMessage(r));
		else
			set_error(g, "enrol %s: no result", l->value);
	}
	if (rc < 0)
		g->failures++;
	l->cb(l->arg, rc < 0 ? rc : 0, NULL, NULL);
	return false;
}

/* The device found by endpoint after an enrolment must be the enrolled
 * one: 0, or -EEXIST when the endpoint is another device's. */
static int enrol_check(struct pg *g, struct lreq *l, PGresult *r)
{
	int rc = pg_enrol_check(l->enrol, r, COL_IMSI);

	if (rc)
		set_error(g, "enrol %s: the endpoint belongs to another device", l->value);
	return rc;
}

/* The credentials sent by gen_send() are stored: r is their read back. */
static struct hold *finish_generated(struct pg *g, struct lreq *l, PGresult *r, int *err)
{
	struct hold *h = l->gen;

	l->gen = NULL;
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
		*err = sql_error(r);
		if (r)
			set_error(g, "generated credentials: %s", PQresultErrorMessage(r));
	} else if (PQntuples(r) != 1 || PQnfields(r) != 1) {
		*err = -EBADMSG;
	} else {
		*err = gen_plan(g, h, hold_profile(h), PQgetisnull(r, 0, 0) ? "" : PQgetvalue(r, 0, 0));
		wipe_value(r, 0);
	}
	if (*err) {
		hold_free(h);
		return NULL;
	}
	return h;
}

/* Answers lookup l from its result r, unless it needs credentials stored
 * first: then they are sent on c, which stays busy with l. */
static void finish_lookup(struct pg *g, struct conn *c, struct lreq *l, PGresult *r)
{
	struct hold *h = NULL;
	int err = 0;

	if (l->enrol && !l->enrol->inserted) {
		if (enrol_inserted(g, c, l, r))
			return;
		free(l);
		return;
	}
	if (l->gen) {
		h = finish_generated(g, l, r, &err);
	} else if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
		err = sql_error(r);
		if (r)
			set_error(g, "lookup: %s", PQresultErrorMessage(r));
	} else if (PQntuples(r) == 1 && PQnfields(r) == LOOKUP_COLUMNS &&
		   (err = l->enrol ? enrol_check(g, l, r) : 0)) {
		wipe_value(r, 2);
		wipe_value(r, 3);
		wipe_value(r, COL_GENERATED);
	} else if (PQntuples(r) == 1 && PQnfields(r) == LOOKUP_COLUMNS) {
		h = hold_from_row(g, r, &err);
		if (h && lwbs_prov_profile_generates(hold_profile(h))) {
			int sent = gen_send(g, c, h, hold_profile(h), r);

			if (sent == 0)
				sent = gen_plan(g, h, hold_profile(h),
						PQgetisnull(r, 0, COL_GENERATED) ? "" : PQgetvalue(r, 0, COL_GENERATED));
			if (sent == 1) {
				l->gen = h;
				c->lookup = l;
				c->st = C_BUSY;
				h = NULL;
			} else if (sent < 0) {
				err = sent;
				hold_free(h);
				h = NULL;
			}
		}
		wipe_value(r, 2);
		wipe_value(r, 3);
		wipe_value(r, COL_GENERATED);
		if (l->gen)
			return;
	}
	if (err == -EAGAIN && !l->want_doc) {
		/* ask again, for the document this time, ahead of the queue */
		l->want_doc = true;
		l->next = g->lq.head;
		g->lq.head = l;
		if (!l->next)
			g->lq.tail = (void **)&l->next;
		g->lq.n++;
		return;
	}
	if (err)
		g->failures++;
	l->cb(l->arg, err, h ? &h->plan : NULL, (struct lwbs_store_hold *)h);
	free(l);
}

/* The request on c has all its results (r: the first, or NULL). */
static void conn_request_done(struct pg *g, struct conn *c, PGresult *r, int64_t now)
{
	struct lreq *l = c->lookup;
	struct areq *a = c->audit, *next;
	int err;

	if (c->st == C_SETUP) {
		if (r && PQresultStatus(r) != PGRES_COMMAND_OK) {
			set_error(g, "setup: %s", PQresultErrorMessage(r));
			PQclear(r);
			/* keep the server's reason: conn_down() would overwrite it */
			PQfinish(c->pg);
			c->pg = NULL;
			conn_down(g, c, now);
			return;
		}
		PQclear(r);
		c->st = C_IDLE;
		c->fails = 0;
		return;
	}
	c->st = C_IDLE;
	c->lookup = NULL;
	c->audit = NULL;
	if (l) {
		finish_lookup(g, c, l, r);
		if (c->st == C_BUSY)
			conn_flush(g, c, now);
	} else if (a) {
		g->audit_busy = false;
		err = r && PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : sql_error(r);
		if (err && r)
			set_error(g, "audit: %s", PQresultErrorMessage(r));
		for (; a; a = next) {
			next = a->next;
			if (!err)
				g->audits_written++;
			a->cb(a->arg, err);
			free(a);
		}
	}
	PQclear(r);
}

static void conn_read(struct pg *g, struct conn *c, int64_t now)
{
	PGresult *r;

	if (!PQconsumeInput(c->pg)) {
		conn_down(g, c, now);
		return;
	}
	while (c->st >= C_SETUP && c->st != C_IDLE && !PQisBusy(c->pg)) {
		r = PQgetResult(c->pg);
		if (r) {
			/* keep the first (or first failed) result of the request */
			if (!c->res || (PQresultStatus(c->res) == PGRES_COMMAND_OK &&
					PQresultStatus(r) != PGRES_COMMAND_OK)) {
				PQclear(c->res);
				c->res = r;
			} else {
				PQclear(r);
			}
			continue;
		}
		if (PQstatus(c->pg) == CONNECTION_BAD)
			break;
		r = c->res;
		c->res = NULL;
		conn_request_done(g, c, r, now);
		return;
	}
	if (c->pg && PQstatus(c->pg) == CONNECTION_BAD)
		conn_down(g, c, now);
}

/* The versions of the cached profile plans as a text[] literal. */
static int known_versions(const struct pg *g, bool none, struct lwbs_buf *b)
{
	lwbs_buf_putc(b, '{');
	for (const struct pentry *pe = none ? NULL : g->cache; pe; pe = pe->next) {
		lwbs_buf_puts(b, pe == g->cache ? "\"" : ",\"");
		for (const char *k = pe->key; *k; k++) {
			if (*k == '"' || *k == '\\')
				lwbs_buf_putc(b, '\\');
			lwbs_buf_putc(b, (uint8_t)*k);
		}
		lwbs_buf_putc(b, '"');
	}
	lwbs_buf_putc(b, '}');
	return lwbs_buf_putc(b, '\0');
}

static bool conn_send_lookup(struct pg *g, struct conn *c, struct lreq *l)
{
	const char *ident = ident_sql(l->kind);
	struct lwbs_buf known;
	int ok;

	if (l->enrol && !l->enrol->inserted)
		return enrol_send(c, l);

	lwbs_buf_init(&known, 0);
	if (known_versions(g, l->want_doc, &known)) {
		lwbs_buf_finish(&known);
		return false;
	}
	const char *params[3] = {ident, l->value, (const char *)known.data};
	if (ident)
		ok = PQsendQueryPrepared(c->pg, "lwbs_by_identity", 3, params, NULL, NULL, 0);
	else
		ok = PQsendQueryPrepared(c->pg, "lwbs_by_endpoint", 2, params + 1, NULL, NULL, 0);
	lwbs_buf_finish(&known);
	if (!ok)
		return false;
	c->lookup = l;
	c->st = C_BUSY;
	return true;
}

static bool conn_send_audit(struct pg *g, struct conn *c)
{
	struct lwbs_buf b;
	struct areq *a, *first = NULL, **tail = &first;
	const char *param;
	int ok;

	lwbs_buf_init(&b, 0);
	lwbs_buf_puts(&b, "[");
	for (size_t i = 0; i < AUDIT_BATCH && (a = g->aq.head); i++) {
		if (i)
			lwbs_buf_puts(&b, ",");
		lwbs_buf_put(&b, a->json, a->len);
		fifo_pop(&g->aq);
		a->next = NULL;
		*tail = a;
		tail = &a->next;
	}
	lwbs_buf_puts(&b, "]");
	lwbs_buf_putc(&b, 0);
	param = (const char *)b.data;
	ok = !lwbs_buf_err(&b) &&
	     PQsendQueryPrepared(c->pg, "lwbs_audit", 1, &param, NULL, NULL, 0);
	lwbs_buf_finish(&b);
	if (!ok) {
		/* back to the front of the queue, in order */
		*tail = g->aq.head;
		if (!g->aq.head)
			g->aq.tail = (void **)tail;
		for (a = first; a; a = a->next)
			g->aq.n++;
		g->aq.head = first;
		return false;
	}
	c->audit = first;
	c->st = C_BUSY;
	g->audit_busy = true;
	return true;
}

static void try_dispatch(struct pg *g)
{
	int64_t now = 0;

	for (size_t i = 0; i < g->n_conns; i++) {
		struct conn *c = &g->conns[i];
		struct lreq *l;
		bool sent;

		if (c->st != C_IDLE)
			continue;
		if (g->aq.n && !g->audit_busy) {
			sent = conn_send_audit(g, c);
		} else if ((l = fifo_pop(&g->lq))) {
			sent = conn_send_lookup(g, c, l);
			if (!sent) {
				/* back to the front */
				l->next = g->lq.head;
				g->lq.head = l;
				if (!l->next)
					g->lq.tail = (void **)&l->next;
				g->lq.n++;
			}
		} else {
			return;
		}
		if (!now)
			now = lwbs_store_pg_now_ms();
		if (!sent)
			conn_down(g, c, now);
		else
			conn_flush(g, c, now);
	}
}

/* ---------- loop hooks ---------- */

size_t lwbs_store_pg_fds(struct lwbs_store *s, struct lwbs_store_pg_fd *out, size_t cap)
{
	struct pg *g = (struct pg *)s;
	size_t n = 0;

	for (size_t i = 0; i < g->n_conns && n < cap; i++) {
		struct conn *c = &g->conns[i];
		int fd = c->pg ? PQsocket(c->pg) : -1;

		if (c->st == C_DOWN || fd < 0)
			continue;
		out[n].fd = fd;
		out[n].events = c->st == C_CONNECTING ? c->events : (short)(POLLIN | (c->want_write ? POLLOUT : 0));
		n++;
	}
	return n;
}

void lwbs_store_pg_process(struct lwbs_store *s, int64_t now)
{
	struct pg *g = (struct pg *)s;
	struct pollfd pfd[64];
	size_t idx[64], n = 0;
	struct lreq *l;

	for (size_t i = 0; i < g->n_conns && n < 64; i++) {
		struct conn *c = &g->conns[i];
		int fd = c->pg ? PQsocket(c->pg) : -1;

		if (c->st == C_DOWN || fd < 0)
			continue;
		pfd[n].fd = fd;
		pfd[n].events = c->st == C_CONNECTING ? c->events : (short)(POLLIN | (c->want_write ? POLLOUT : 0));
		pfd[n].revents = 0;
		idx[n++] = i;
	}
	if (n && poll(pfd, n, 0) < 0)
		n = 0;
	for (size_t k = 0; k < n; k++) {
		struct conn *c = &g->conns[idx[k]];

		if (!pfd[k].revents || c->st == C_DOWN)
			continue;
		if (c->st == C_CONNECTING) {
			conn_connect_step(g, c, now);
			continue;
		}
		if ((pfd[k].revents & POLLOUT) && c->want_write)
			conn_flush(g, c, now);
		if (c->st != C_DOWN && (pfd[k].revents & (POLLIN | POLLERR | POLLHUP)))
			conn_read(g, c, now);
	}
	for (size_t i = 0; i < g->n_conns; i++) {
		struct conn *c = &g->conns[i];

		if (c->st == C_DOWN && now >= c->when)
			conn_start(g, c, now);
		else if (c->st == C_CONNECTING && now >= c->when) {
			set_error(g, "connect: timed out");
			PQfinish(c->pg);
			c->pg = NULL;
			conn_down(g, c, now);
		}
	}
	while ((l = g->lq.head) && l->deadline <= now) {
		fifo_pop(&g->lq);
		g->failures++;
		l->cb(l->arg, -ETIMEDOUT, NULL, NULL);
		free(l);
	}
	try_dispatch(g);
}

int lwbs_store_pg_next_timeout_ms(struct lwbs_store *s, int64_t now)
{
	struct pg *g = (struct pg *)s;
	int64_t t = -1;
	const struct lreq *l = g->lq.head;

	for (size_t i = 0; i < g->n_conns; i++) {
		const struct conn *c = &g->conns[i];
		if ((c->st == C_DOWN || c->st == C_CONNECTING) && (t < 0 || c->when < t))
			t = c->when;
	}
	if (l && (t < 0 || l->deadline < t))
		t = l->deadline;
	if (t < 0)
		return -1;
	return t <= now ? 0 : (int)(t - now);
}

void lwbs_store_pg_stats(struct lwbs_store *s, struct lwbs_store_pg_stats *out)
{
	struct pg *g = (struct pg *)s;

	memset(out, 0, sizeof(*out));
	out->pool = (unsigned)g->n_conns;
	for (size_t i = 0; i < g->n_conns; i++) {
		out->connected += g->conns[i].st >= C_IDLE;
		out->in_flight += g->conns[i].lookup != NULL;
		for (const struct areq *a = g->conns[i].audit; a; a = a->next)
			out->in_flight++;
	}
	out->queued_lookups = (unsigned)g->lq.n;
	out->queued_audits = (unsigned)g->aq.n;
	out->lookups = g->lookups;
	out->cache_hits = g->hits;
	out->cache_misses = g->misses;
	out->failures = g->failures;
	out->reconnects = g->reconnects;
	out->audits_written = g->audits_written;
	out->last_error = g->last_error;
}

size_t lwbs_store_pg_pending(struct lwbs_store *s)
{
	struct lwbs_store_pg_stats st;

	lwbs_store_pg_stats(s, &st);
	return (size_t)st.queued_lookups + st.queued_audits + st.in_flight;
}

/* ---------- store ops ---------- */

static int pg_lookup(struct lwbs_store *s, const struct lwbs_store_query *q, lwbs_store_lookup_fn cb, void *arg)
{
	struct pg *g = (struct pg *)s;
	const char *v;
	size_t n;
	struct lreq *l;

	if (!q || !cb || (unsigned)q->kind >= LWBS_IDENT_COUNT || (!q->value && q->len))
		return -EINVAL;
	g->lookups++;
	v = q->value;
	n = q->len;
	/* the key as stored (docs/postgres.md) */
	if (q->kind == LWBS_IDENT_IMEI && n >= 14 && n <= 16)
		n = 14;
	else if (q->kind == LWBS_IDENT_MSISDN && n && v[0] == '+')
		v++, n--;
	if (!v || !n || memchr(v, 0, n) || !lwbs_utf8_valid((const uint8_t *)v, n)) {
		cb(arg, 0, NULL, NULL);
		return 0;
	}
	if (all_down(g)) {
		g->failures++;
		cb(arg, -ENOTCONN, NULL, NULL);
		return 0;
	}
	if (g->lq.n >= g->queue_max) {
		g->failures++;
		cb(arg, -EBUSY, NULL, NULL);
		return 0;
	}
	l = malloc(sizeof(*l) + n + 1);
	if (!l)
		return -ENOMEM;
	l->cb = cb;
	l->arg = arg;
	l->kind = q->kind;
	l->want_doc = false;
	l->gen = NULL;
	l->enrol = NULL;
	l->deadline = lwbs_store_pg_now_ms() + g->lookup_timeout_ms;
	memcpy(l->value, v, n);
	l->value[n] = 0;
	fifo_push(&g->lq, l);
	try_dispatch(g);
	return 0;
}

/* Queued like a lookup by endpoint; conn_send_lookup() sends the INSERT
 * first. */
static int pg_enrol(struct lwbs_store *s, const struct lwbs_store_enrolment *e, lwbs_store_lookup_fn cb,
		    void *arg)
{
	struct pg *g = (struct pg *)s;
	const char *ep = e ? e->ident[LWBS_IDENT_ENDPOINT] : NULL;
	size_t n, off;
	struct lreq *l;

	if (!e || !cb || !ep)
		return -EINVAL;
	for (int k = 0; k < LWBS_IDENT_COUNT; k++) {
		const char *v = e->ident[k];
		if (v && (!*v || !lwbs_utf8_valid((const uint8_t *)v, strlen(v))))
			return -EINVAL;
	}
	if (all_down(g)) {
		g->failures++;
		cb(arg, -ENOTCONN, NULL, NULL);
		return 0;
	}
	if (g->lq.n >= g->queue_max) {
		g->failures++;
		cb(arg, -EBUSY, NULL, NULL);
		return 0;
	}
	n = strlen(ep);
	off = (sizeof(*l) + n + 1 + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
	l = malloc(off + pg_enrol_size(e));
	if (!l)
		return -ENOMEM;
	l->cb = cb;
	l->arg = arg;
	l->kind = LWBS_IDENT_ENDPOINT;
	l->want_doc = false;
	l->gen = NULL;
	l->enrol = pg_enrol_copy((char *)l + off, e);
	l->deadline = lwbs_store_pg_now_ms() + g->lookup_timeout_ms;
	memcpy(l->value, ep, n + 1);
	fifo_push(&g->lq, l);
	try_dispatch(g);
	return 0;
}

static void pg_release(struct lwbs_store *s, struct lwbs_store_hold *hold)
{
	(void)s;
	hold_free((struct hold *)hold);
}

/* A JSON string; bytes of invalid UTF-8 become '?'. */
static void json_str(struct lwbs_buf *b, const char *s)
{
	size_t n = strlen(s);

	lwbs_buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\') {
			lwbs_buf_putc(b, '\\');
			lwbs_buf_putc(b, (char)ch);
		} else if (ch < 0x20) {
			lwbs_buf_printf(b, "\\u%04x", ch);
		} else if (ch < 0x80) {
			lwbs_buf_putc(b, (char)ch);
		} else {
			size_t k = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : 2;
			if (i + k <= n && lwbs_utf8_valid((const uint8_t *)s + i, k)) {
				lwbs_buf_put(b, s + i, k);
				i += k - 1;
			} else {
				lwbs_buf_putc(b, '?');
			}
		}
	}
	lwbs_buf_putc(b, '"');
}

static int pg_audit(struct lwbs_store *s, const struct lwbs_audit_record *r, lwbs_store_done_fn cb, void *arg)
{
	struct pg *g = (struct pg *)s;
	struct lwbs_buf b;
	struct areq *a;
	int64_t d;

	if (!r || !cb)
		return -EINVAL;
	if (g->aq.n >= g->audit_queue_max)
		return -EBUSY;
	d = r->end_ms - r->start_ms;
	if (d < 0)
		d = 0;
	if (d > INT32_MAX)
		d = INT32_MAX;
	lwbs_buf_init(&b, 0);
	lwbs_buf_printf(&b, "{\"s\":%lld,\"d\":%lld,\"ep\":", (long long)r->start_ms, (long long)d);
	if (r->endpoint)
		json_str(&b, r->endpoint);
	else
		lwbs_buf_puts(&b, "null");
	lwbs_buf_puts(&b, ",\"peer\":");
	json_str(&b, r->peer ? r->peer : "");
	lwbs_buf_puts(&b, ",\"res\":");
	json_str(&b, r->result ? r->result : "");
	lwbs_buf_puts(&b, ",\"rsn\":");
	if (r->reason)
		json_str(&b, r->reason);
	else
		lwbs_buf_puts(&b, "null");
	lwbs_buf_puts(&b, "}");
	a = lwbs_buf_err(&b) ? NULL : malloc(sizeof(*a) + b.len);
	if (!a) {
		lwbs_buf_finish(&b);
		return -ENOMEM;
	}
	a->cb = cb;
	a->arg = arg;
	a->len = b.len;
	memcpy(a->json, b.data, b.len);
	lwbs_buf_finish(&b);
	fifo_push(&g->aq, a);
	try_dispatch(g);
	return 0;
}

static int pg_reload(struct lwbs_store *s, char *err, size_t err_cap)
{
	(void)err;
	(void)err_cap;
	cache_clear((struct pg *)s);
	return 0;
}

static void pg_destroy(struct lwbs_store *s)
{
	struct pg *g = (struct pg *)s;
	void *r;

	for (size_t i = 0; g->conns && i < g->n_conns; i++) {
		struct conn *c = &g->conns[i];
		struct areq *a, *next;
		if (c->pg)
			PQfinish(c->pg);
		PQclear(c->res);
		if (c->lookup)
			hold_free(c->lookup->gen);
		free(c->lookup);
		for (a = c->audit; a; a = next) {
			next = a->next;
			free(a);
		}
	}
	while ((r = fifo_pop(&g->lq)))
		free(r);
	while ((r = fifo_pop(&g->aq)))
		free(r);
	cache_clear(g);
	free(g->conns);
	if (g->dsn) {
		explicit_bzero(g->dsn, strlen(g->dsn));
		free(g->dsn);
	}
	if (g->password) {
		explicit_bzero(g->password, strlen(g->password));
		free(g->password);
	}
	free(g);
}

static const struct lwbs_store_ops pg_ops = {
	.name = "postgres",
	.lookup = pg_lookup,
	.release = pg_release,
	.audit = pg_audit,
	.reload = pg_reload,
	.destroy = pg_destroy,
	.enrol = pg_enrol,
};

/* The first line of path, without its line end; NULL with err filled. */
static char *first_line(const char *path, const char *what, char *err, size_t err_cap)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f) {
		snprintf(err, err_cap, "%s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	n = getline(&line, &cap, f);
	fclose(f);
	if (n < 0) {
		snprintf(err, err_cap, "%s %s: empty", what, path);
		free(line);
		return NULL;
	}
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = 0;
	return line;
}

struct lwbs_store *lwbs_store_pg_create(const struct lwbs_store_pg_config *cfg, char *err, size_t err_cap)
{
	struct pg *g = calloc(1, sizeof(*g));
	PQconninfoOption *opts;
	char *perr = NULL;
	int64_t now = lwbs_store_pg_now_ms();

	if (!g) {
		snprintf(err, err_cap, "out of memory");
		return NULL;
	}
	g->base.ops = &pg_ops;
	FIFO_INIT(&g->lq);
	FIFO_INIT(&g->aq);
	g->n_conns = cfg->pool_size ? cfg->pool_size : 4;
	if (g->n_conns > 64) {
		snprintf(err, err_cap, "pool size %zu: at most 64", g->n_conns);
		goto fail;
	}
	g->queue_max = cfg->queue_max ? cfg->queue_max : 1024;
	g->audit_queue_max = cfg->audit_queue_max ? cfg->audit_queue_max : 10000;
	g->statement_timeout_ms = cfg->statement_timeout_ms ? cfg->statement_timeout_ms : 2000;
	g->connect_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms : 5000;
	g->lookup_timeout_ms = cfg->lookup_timeout_ms ? cfg->lookup_timeout_ms : 5000;
	g->rnd = (uint32_t)now ^ (uint32_t)(uintptr_t)g;
	if (cfg->dsn) {
		if (!(g->dsn = strdup(cfg->dsn))) {
			snprintf(err, err_cap, "out of memory");
			goto fail;
		}
	} else if (cfg->dsn_file && !(g->dsn = first_line(cfg->dsn_file, "dsn file", err, err_cap))) {
		goto fail;
	}
	if (cfg->password_file && !(g->password = first_line(cfg->password_file, "password file", err, err_cap)))
		goto fail;
	if (g->dsn && g->dsn[0]) {
		opts = PQconninfoParse(g->dsn, &perr);
		if (!opts) {
			/* libpq names the bad option, never the values */
			snprintf(err, err_cap, "connection string: %s", perr ? perr : "out of memory");
			if (err_cap && strlen(err))
				err[strcspn(err, "\n")] = 0;
			PQfreemem(perr);
			goto fail;
		}
		PQconninfoFree(opts);
	}
	g->conns = calloc(g->n_conns, sizeof(*g->conns));
	if (!g->conns) {
		snprintf(err, err_cap, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < g->n_conns; i++)
		conn_start(g, &g->conns[i], now);
	return &g->base;
fail:
	pg_destroy(&g->base);
	return NULL;
}
