/* lwbs — PostgreSQL store backend (include/lwbs/store_pg.h).
 *
 * A pool of non-blocking libpq connections, each one of DOWN (waiting for
 * its reconnect time), CONNECTING (PQconnectPoll), SETUP (SET + PREPARE
 * sent as one simple query), IDLE or BUSY (one batch of lookups or one
 * audit batch in flight). Lookups wait in a bounded FIFO for an idle
 * connection; audit records in another, sent as one INSERT of up to
 * AUDIT_BATCH rows by at most one connection at a time (so they are
 * stored in order).
 *
 * An idle connection takes the queued lookups of the first one's kind, up
 * to BATCH_MAX (conn_send_lookups()), and sends their keys as one array to
 * one prepared statement returning, per device found, its key's position
 * in the array, the device's profile id, a version key, the profile
 * document with its secrets put back (unless lwbsd holds that version)
 * and, when the device has overrides, its document (finish_batch()).
 * The document is parsed by the provisioning loader (JSON is YAML) and
 * built by the same plan code as the embedded store.
 *
 * The lookup also returns the device's generated credentials and
 * identities. A device whose profile generates (generate_credentials) and
 * lacks a server's credentials, or whose server rotates, gets new ones
 * INSERTed (ON CONFLICT DO NOTHING, or DO UPDATE when rotating) and read
 * back, in a second round trip on the same connection for every such
 * device of the batch (send_gen_round(), finish_gen_round()), before the
 * plan is answered: what the device is given is stored first, and two lwbsd
 * instances racing for a device agree on the row that won.
 *
 * An enrolment (enrol(), pg_enrol.h) is queued like a lookup by endpoint
 * that first sends the INSERT of pg_enrol.c, alone, on a connection; the
 * lookup follows on the same connection, as a batch of one, once the
 * INSERT answered. */
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
/* An audit batch waits for AUDIT_MIN records or until its oldest has
 * waited AUDIT_LINGER_MS: under load a statement (and a commit) per few
 * records would cost the database more than the rows themselves. */
#define AUDIT_MIN 64
#define AUDIT_LINGER_MS 10

enum cstate { C_DOWN, C_CONNECTING, C_SETUP, C_IDLE, C_BUSY };

struct lreq {
	struct lreq *next;
	lwbs_store_lookup_fn cb;
	void *arg;
	int64_t deadline;
	enum lwbs_ident_kind kind;
	bool want_doc; /* ask for the profile document even if a plan is cached */
	struct hold *gen; /* credentials sent to be stored: the hold to finish */
	long long dev;    /* with gen: the device's id */
	struct pg_enrol *enrol; /* enrolment (in this allocation), or NULL */
	char value[];
};

struct areq {
	struct areq *next;
	lwbs_store_done_fn cb;
	void *arg;
	int64_t queued_ms;
	long long start_ms, duration_ms;
	const char *ep, *peer, *res, *rsn; /* valid UTF-8, in text[]; ep and rsn may be NULL */
	char text[];
};

struct conn {
	PGconn *pg;
	enum cstate st;
	short events; /* while CONNECTING: what PQconnectPoll asked for */
	bool want_write;
	unsigned fails; /* attempts failed since the last success */
	int64_t when;   /* DOWN: retry time; CONNECTING: give-up time */
	struct lreq *lookup; /* the batch of lookups in flight (a list) */
	bool gen_round;      /* it waits for its generated credentials */
	struct areq *audit;  /* the batch in flight (a list) */
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
	/* text[] literals of the cached plans' versions, all and those not
	 * generating credentials; rebuilt when the cache changed */
	struct lwbs_buf known, nogen;
	bool known_stale;
	uint64_t lookups, hits, misses, failures, reconnects, audits_written, statements;
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

/* Columns only a generating profile needs: skipped (NULL) for a device
 * without overrides whose profile version is one lwbsd holds and knows
 * not to generate (p.nogen, below). */
#define IF_GENERATES(expr) "CASE WHEN d.overrides IS NULL AND p.nogen THEN NULL ELSE " expr " END"

#define IDENT_VALUE(kind) \
	IF_GENERATES("(SELECT v.value FROM device_identities v WHERE v.device_id = d.id AND v.kind = '" kind "')")

/* One row per device found, for a batch of keys (k: unnest of a text[]
 * WITH ORDINALITY; the last column is the key's position in the array).
 * The profile document (column 2) is sent only when the caller has no
 * plan for that version of the profile (p.known) or the device has
 * overrides: most lookups then cost an index lookup, not a document
 * rebuilt with its secrets. */
#define LOOKUP_SELECT                                                                                          \
	"SELECT d.profile_id, p.key, "                                                                        \
	"CASE WHEN d.overrides IS NULL AND p.known THEN NULL ELSE "                                           \
	"lwbs_unredact(p.doc, (SELECT jsonb_agg(jsonb_build_object('p', to_jsonb(x.path), 'v', " SECRET_VALUE \
	")) FROM profile_secrets x WHERE x.profile_id = p.id))::text END, "                                    \
	"CASE WHEN d.overrides IS NOT NULL THEN lwbs_unredact(jsonb_build_object('endpoint', d.endpoint, "      \
	"'profile', p.name, 'overrides', d.overrides), (SELECT jsonb_agg(jsonb_build_object('p', "              \
	"to_jsonb(x.path), 'v', " SECRET_VALUE ")) FROM device_credentials x WHERE x.device_id = d.id AND "   \
	"x.path[1] = 'overrides'))::text END, d.endpoint, d.id, "                                              \
	IF_GENERATES("(" GENERATED("d.id") ")") ", " IDENT_VALUE("imsi") ", " IDENT_VALUE("msisdn") ", "          \
	IDENT_VALUE("imei") ", k.n "
/* The device's profile with its version (key) and whether lwbsd holds a
 * plan for it (known: in the text[] literal known) that generates no
 * credentials (nogen: in nogen). A subquery by profile id, not flattened:
 * PostgreSQL computes it once per profile of the batch (Memoize), not per
 * device. */
#define LOOKUP_PROFILE(known, nogen)                                                                           \
	"CROSS JOIN LATERAL (SELECT q.*, q.key = ANY(" known "::text[]) AS known, q.key = ANY(" nogen           \
	"::text[]) AS nogen FROM (SELECT p.id, p.name, p.doc, " PROFILE_KEY " AS key FROM profiles p "         \
	"WHERE p.id = d.profile_id OFFSET 0) q OFFSET 0) p"
#define LOOKUP_COLUMNS 11
#define COL_ORDINAL 10
#define BATCH_MAX 128

/* The keys join their devices through a LATERAL subquery that is not
 * flattened (OFFSET 0): one index lookup per key, whatever the planner
 * thinks of the tables' sizes (a hash join over a sequential scan of
 * devices would cost ~100 times more on a small, freshly loaded table). */
#define LOOKUP_DEVICE(where) \
	"CROSS JOIN LATERAL (SELECT d.id, d.endpoint, d.profile_id, d.overrides FROM " where " OFFSET 0) d "

/* plan_cache_mode: the statements' shapes are fixed (above), so the
 * generic plan is the right one; planning again for every batch's array
 * (PostgreSQL's default for the first executions and whenever a custom
 * plan looks cheaper) cost several times the execution. PostgreSQL 12+. */
static const char setup_sql_fmt[] =
	"SET statement_timeout = %u; SET plan_cache_mode = force_generic_plan; "
	"PREPARE lwbs_by_endpoint (text[], text, text) AS " LOOKUP_SELECT
	"FROM unnest($1::text[]) WITH ORDINALITY AS k(key, n) "
	LOOKUP_DEVICE("devices d WHERE d.endpoint = k.key") LOOKUP_PROFILE("$2", "$3") "; "
	"PREPARE lwbs_by_identity (text, text[], text, text) AS " LOOKUP_SELECT
	"FROM unnest($2::text[]) WITH ORDINALITY AS k(key, n) "
	LOOKUP_DEVICE("device_identities i JOIN devices d ON d.id = i.device_id WHERE i.kind = $1 AND i.key = k.key")
	LOOKUP_PROFILE("$3", "$4") "; "
	"PREPARE lwbs_audit (bigint[], integer[], text[], text[], text[], text[]) AS INSERT INTO session_audit "
	"(at, endpoint, peer, result, reason, duration_ms) SELECT to_timestamp(s / 1000.0), ep, peer, res, rsn, d "
	"FROM unnest($1, $2, $3, $4, $5, $6) WITH ORDINALITY AS a(s, d, ep, peer, res, rsn, n) ORDER BY n";

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
	g->known_stale = true;
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

static void wipe_value(PGresult *r, int row, int col)
{
	if (!PQgetisnull(r, row, col))
		explicit_bzero(PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}

/* Builds the hold for row row of lookup result r; *err set on failure. */
static struct hold *hold_from_row(struct pg *g, PGresult *r, int row, int *err)
{
	long long id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
	const char *key = PQgetvalue(r, row, 1), *ep = PQgetvalue(r, row, 4);
	size_t eplen = (size_t)PQgetlength(r, row, 4);
	struct hold *h = calloc(1, sizeof(*h) + eplen + 1);
	struct pentry *pe;

	*err = -ENOMEM;
	if (!h)
		return NULL;
	memcpy(h->endpoint, ep, eplen);
	if (!PQgetisnull(r, row, 3)) {
		/* overrides: this device's own set */
		h->own = load_docs(g, PQgetvalue(r, row, 2), (size_t)PQgetlength(r, row, 2), PQgetvalue(r, row, 3),
				   (size_t)PQgetlength(r, row, 3));
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
		g->known_stale = true;
	}
	if (pe) {
		g->hits++;
	} else if (PQgetisnull(r, row, 2)) {
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
		pe->prov = load_docs(g, PQgetvalue(r, row, 2), (size_t)PQgetlength(r, row, 2), NULL, 0);
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
		g->known_stale = true;
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
 * always) for the device of row row of lookup result r and appends the
 * INSERTs storing them to sql. 1 appended, 0 none needed, or a negative
 * code. */
static int gen_append(struct pg *g, struct lwbs_buf *sql, struct hold *h, const struct lwbs_prov_profile *pr,
		      PGresult *r, int row)
{
	const char *have = PQgetisnull(r, row, COL_GENERATED) ? "" : PQgetvalue(r, row, COL_GENERATED);
	const char *ident[LWBS_IDENT_COUNT] = {0};
	long long dev = strtoll(PQgetvalue(r, row, COL_DEVICE_ID), NULL, 10);
	size_t mark = sql->len;
	bool any = false;
	int rc = 0;

	ident[LWBS_IDENT_ENDPOINT] = h->endpoint;
	for (int k = 0; k < 3; k++)
		if (!PQgetisnull(r, row, COL_IMSI + k))
			ident[LWBS_IDENT_IMSI + k] = PQgetvalue(r, row, COL_IMSI + k);
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
		lwbs_buf_printf(sql, "INSERT INTO generated_credentials (device_id, ssid, psk_identity, psk_key) "
				      "VALUES (%lld, %u, convert_from(decode('", dev, (unsigned)sv->ssid);
		put_hex(sql, (const uint8_t *)id, strlen(id));
		lwbs_buf_puts(sql, "', 'hex'), 'UTF8'), decode('");
		put_hex(sql, key, sv->generate->key_len);
		explicit_bzero(key, sizeof(key));
		lwbs_buf_puts(sql, sv->generate->rotate
					    ? "', 'hex')) ON CONFLICT (device_id, ssid) DO UPDATE SET psk_identity = "
					      "EXCLUDED.psk_identity, psk_key = EXCLUDED.psk_key, rotated_at = now(); "
					    : "', 'hex')) ON CONFLICT (device_id, ssid) DO NOTHING; ");
		any = true;
	}
	if (!rc)
		rc = lwbs_buf_err(sql);
	if (rc && sql->len > mark) {
		/* none of this device's: its keys go */
		explicit_bzero(sql->data + mark, sql->len - mark);
		sql->len = mark;
	}
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
	struct lreq *l = c->lookup, *lnext;
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
	c->gen_round = false;
	c->audit = NULL;
	c->fails++;
	c->when = now + backoff_ms(g, c->fails);
	if (was_up)
		g->reconnects++;
	if (a)
		g->audit_busy = false;
	for (; l; l = lnext) {
		lnext = l->next;
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

/* Puts l back at the front of the lookup queue. */
static void requeue_front(struct pg *g, struct lreq *l)
{
	l->next = g->lq.head;
	g->lq.head = l;
	if (!l->next)
		g->lq.tail = (void **)&l->next;
	g->lq.n++;
}

static void answer(struct pg *g, struct lreq *l, int err, struct hold *h)
{
	if (err)
		g->failures++;
	l->cb(l->arg, err, h ? &h->plan : NULL, (struct lwbs_store_hold *)h);
	free(l);
}

/* The credentials finish_batch() sent to be stored are stored: r is their
 * read back, one row (device id, credentials) per device of list. */
static void finish_gen_round(struct pg *g, struct lreq *list, PGresult *r)
{
	bool ok = r && PQresultStatus(r) == PGRES_TUPLES_OK;
	int rows = ok ? PQntuples(r) : 0, rerr = 0;
	struct lreq *l, *next;

	if (!ok) {
		rerr = sql_error(r);
		if (r)
			set_error(g, "generated credentials: %s", PQresultErrorMessage(r));
	} else if (PQnfields(r) != 2) {
		rerr = -EBADMSG;
	}
	for (l = list; l; l = next) {
		struct hold *h = l->gen;
		int err = rerr, row = -1;

		next = l->next;
		l->gen = NULL;
		for (int i = 0; !err && i < rows && row < 0; i++)
			if (strtoll(PQgetvalue(r, i, 0), NULL, 10) == l->dev)
				row = i;
		if (!err)
			err = row < 0 ? -EBADMSG
				      : gen_plan(g, h, hold_profile(h), PQgetisnull(r, row, 1) ? "" : PQgetvalue(r, row, 1));
		if (err) {
			hold_free(h);
			h = NULL;
		}
		answer(g, l, err, h);
	}
	for (int i = 0; !rerr && i < rows; i++)
		wipe_value(r, i, 1);
}

/* Sends, as one request on c, the INSERTs in sql and the read back of the
 * credentials of the lookups of req[0..n) that have gen set; c stays busy
 * with them. Those it cannot send get err[i] set and lose their hold. */
static void send_gen_round(struct pg *g, struct conn *c, struct lreq **req, int *err, size_t n, struct lwbs_buf *sql)
{
	struct lreq *list = NULL, **tail = &list;
	bool first = true;
	int rc;

	lwbs_buf_puts(sql, "SELECT v.d, (" GENERATED("v.d") ") FROM unnest('{");
	for (size_t i = 0; i < n; i++)
		if (req[i]->gen) {
			lwbs_buf_printf(sql, first ? "%lld" : ",%lld", req[i]->dev);
			first = false;
		}
	lwbs_buf_puts(sql, "}'::bigint[]) AS v(d)");
	lwbs_buf_putc(sql, 0);
	/* the SELECT is a separate statement: it sees a row another instance
	 * committed */
	rc = lwbs_buf_err(sql);
	if (!rc && !PQsendQuery(c->pg, (const char *)sql->data)) {
		set_error(g, "%s", PQerrorMessage(c->pg));
		rc = -ECONNRESET;
	}
	for (size_t i = 0; i < n; i++) {
		if (!req[i]->gen)
			continue;
		if (rc) {
			hold_free(req[i]->gen);
			req[i]->gen = NULL;
			err[i] = rc;
			continue;
		}
		*tail = req[i];
		tail = &req[i]->next;
	}
	if (!rc) {
		*tail = NULL;
		c->lookup = list;
		c->gen_round = true;
		c->st = C_BUSY;
	}
}

/* Answers the batch of lookups list from its result r (at most one row
 * per key, its position in the batch in the last column). Lookups whose
 * credentials must be stored first are sent on c in one request and wait
 * for it (finish_gen_round()); those that found their cached plan gone go
 * back to the front of the queue, to ask for the document. */
static void finish_batch(struct pg *g, struct conn *c, struct lreq *list, PGresult *r)
{
	struct lreq *req[BATCH_MAX];
	struct hold *hs[BATCH_MAX] = {0};
	int err[BATCH_MAX] = {0}, rerr = 0, rows = 0;
	bool gen = false, again[BATCH_MAX] = {0};
	struct lwbs_buf sql;
	size_t n = 0;

	for (struct lreq *l = list; l && n < BATCH_MAX; l = l->next)
		req[n++] = l;
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
		rerr = sql_error(r);
		if (r)
			set_error(g, "lookup: %s", PQresultErrorMessage(r));
	} else if (PQnfields(r) != LOOKUP_COLUMNS) {
		rerr = -EBADMSG;
	} else {
		rows = PQntuples(r);
	}
	lwbs_buf_init(&sql, 0);
	for (int row = 0; row < rows; row++) {
		long i = strtol(PQgetvalue(r, row, COL_ORDINAL), NULL, 10) - 1;
		struct hold *h;
		int e;

		if (i < 0 || (size_t)i >= n || hs[i] || err[i] || req[i]->gen)
			continue;
		if (req[i]->enrol && (e = pg_enrol_check(req[i]->enrol, r, row, COL_IMSI))) {
			set_error(g, "enrol %s: the endpoint belongs to another device", req[i]->value);
			h = NULL;
		} else {
			h = hold_from_row(g, r, row, &e);
		}
		if (h && lwbs_prov_profile_generates(hold_profile(h))) {
			e = gen_append(g, &sql, h, hold_profile(h), r, row);
			if (e == 0)
				e = gen_plan(g, h, hold_profile(h),
					     PQgetisnull(r, row, COL_GENERATED) ? "" : PQgetvalue(r, row, COL_GENERATED));
			if (e == 1) {
				req[i]->gen = h;
				req[i]->dev = strtoll(PQgetvalue(r, row, COL_DEVICE_ID), NULL, 10);
				gen = true;
				h = NULL;
				e = 0;
			} else if (e < 0) {
				hold_free(h);
				h = NULL;
			}
		}
		hs[i] = h;
		err[i] = e;
		wipe_value(r, row, 2);
		wipe_value(r, row, 3);
		wipe_value(r, row, COL_GENERATED);
	}
	if (gen)
		send_gen_round(g, c, req, err, n, &sql);
	lwbs_buf_finish_secret(&sql);
	/* back to the front in their order, then the answers */
	for (size_t i = n; i-- > 0;)
		if (!req[i]->gen && err[i] == -EAGAIN && !req[i]->want_doc) {
			req[i]->want_doc = true;
			again[i] = true;
			requeue_front(g, req[i]);
		}
	for (size_t i = 0; i < n; i++) {
		if (req[i]->gen || again[i])
			continue;
		answer(g, req[i], rerr ? rerr : err[i], hs[i]);
	}
}

static bool send_batch(struct pg *g, struct conn *c, struct lreq *list);

/* The INSERT of enrolment l answered with r: when a template fitted, the
 * lookup by endpoint goes out on c as a batch of one (or, if it cannot,
 * waits at the front of the queue); otherwise l is answered (no template:
 * not found, or the error). */
static void enrol_inserted(struct pg *g, struct conn *c, struct lreq *l, PGresult *r)
{
	int rc = pg_enrol_result(r);

	if (rc == 1) {
		l->enrol->inserted = true;
		l->next = NULL;
		if (!send_batch(g, c, l))
			requeue_front(g, l);
		return;
	}
	if (rc == -EEXIST)
		set_error(g, "enrol %s: an identity belongs to another device", l->value);
	else if (rc < 0)
		set_error(g, "enrol %s: %s", l->value, r ? PQresultErrorMessage(r) : "no result");
	answer(g, l, rc < 0 ? rc : 0, NULL);
}

/* The request on c has all its results (r: the first, or NULL). */
static void conn_request_done(struct pg *g, struct conn *c, PGresult *r, int64_t now)
{
	struct lreq *l = c->lookup;
	struct areq *a = c->audit, *next;
	bool gen_round = c->gen_round;
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
	c->gen_round = false;
	c->audit = NULL;
	if (l && gen_round) {
		finish_gen_round(g, l, r);
	} else if (l && l->enrol && !l->enrol->inserted) {
		enrol_inserted(g, c, l, r);
		if (c->st == C_BUSY)
			conn_flush(g, c, now);
	} else if (l) {
		finish_batch(g, c, l, r);
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

/* s as an element of the text[] literal in b (after its '{'). */
static void array_elem(struct lwbs_buf *b, const char *s)
{
	if (b->len && b->data[b->len - 1] != '{')
		lwbs_buf_putc(b, ',');
	lwbs_buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			lwbs_buf_putc(b, '\\');
		lwbs_buf_putc(b, (uint8_t)*s);
	}
	lwbs_buf_putc(b, '"');
}

/* The versions of the cached profile plans as text[] literals: all of
 * them (g->known) and those that generate no credentials (g->nogen). */
static int known_versions(struct pg *g)
{
	if (!g->known_stale)
		return 0;
	lwbs_buf_reset(&g->known);
	lwbs_buf_reset(&g->nogen);
	lwbs_buf_putc(&g->known, '{');
	lwbs_buf_putc(&g->nogen, '{');
	for (const struct pentry *pe = g->cache; pe; pe = pe->next) {
		array_elem(&g->known, pe->key);
		if (!lwbs_prov_profile_generates(pe->prov->profiles[0]))
			array_elem(&g->nogen, pe->key);
	}
	lwbs_buf_puts(&g->known, "}");
	lwbs_buf_puts(&g->nogen, "}");
	lwbs_buf_putc(&g->known, 0);
	lwbs_buf_putc(&g->nogen, 0);
	if (lwbs_buf_err(&g->known) || lwbs_buf_err(&g->nogen))
		return -ENOMEM;
	g->known_stale = false;
	return 0;
}

/* Sends the lookups of list (of one kind and want_doc) as one statement
 * on c, which is then busy with them; false, list untouched, if it cannot.
 * An enrolment's lookup (alone) reads the identity columns whatever the
 * profile, for pg_enrol_check(). */
static bool send_batch(struct pg *g, struct conn *c, struct lreq *list)
{
	const char *ident = ident_sql(list->kind);
	bool want_doc = list->want_doc;
	const char *nogen;
	struct lwbs_buf keys;
	int ok;

	if (known_versions(g)) /* may move g->known and g->nogen */
		return false;
	nogen = want_doc || list->enrol ? "{}" : (const char *)g->nogen.data;
	lwbs_buf_init(&keys, 0);
	lwbs_buf_putc(&keys, '{');
	for (const struct lreq *l = list; l; l = l->next)
		array_elem(&keys, l->value);
	lwbs_buf_puts(&keys, "}");
	lwbs_buf_putc(&keys, 0);
	const char *params[4] = {ident, (const char *)keys.data, want_doc ? "{}" : (const char *)g->known.data,
				 nogen};
	if (lwbs_buf_err(&keys))
		ok = 0;
	else if (ident)
		ok = PQsendQueryPrepared(c->pg, "lwbs_by_identity", 4, params, NULL, NULL, 0);
	else
		ok = PQsendQueryPrepared(c->pg, "lwbs_by_endpoint", 3, params + 1, NULL, NULL, 0);
	lwbs_buf_finish(&keys);
	if (!ok)
		return false;
	c->lookup = list;
	c->st = C_BUSY;
	g->statements++;
	return true;
}

/* Sends what is at the front of the queue on c: an enrolment alone (its
 * INSERT, or its lookup once inserted), or the queued lookups of the first one's kind (and want_doc), up
 * to BATCH_MAX of them, as one statement; the others keep their place. */
static bool conn_send_lookups(struct pg *g, struct conn *c)
{
	struct lreq *batch = NULL, **tail = &batch, **pp = (struct lreq **)&g->lq.head, *l = *pp;
	enum lwbs_ident_kind kind = l->kind;
	bool want_doc = l->want_doc;
	size_t n = 0;

	if (l->enrol) {
		struct lreq *rest = l->next;

		l->next = NULL;
		if (l->enrol->inserted) {
			if (!send_batch(g, c, l)) {
				l->next = rest;
				return false;
			}
		} else {
			if (pg_enrol_send(c->pg, l->enrol)) {
				l->next = rest;
				return false;
			}
			c->lookup = l;
			c->st = C_BUSY;
			g->statements++;
		}
		*pp = rest;
		if (!rest)
			g->lq.tail = (void **)pp;
		g->lq.n--;
		return true;
	}
	for (size_t seen = 0; (l = *pp) && n < BATCH_MAX && seen < 4 * BATCH_MAX; seen++) {
		if (l->kind != kind || l->want_doc != want_doc || l->enrol) {
			pp = &l->next;
			continue;
		}
		*pp = l->next;
		g->lq.n--;
		*tail = l;
		tail = &l->next;
		n++;
	}
	if (!*pp)
		g->lq.tail = (void **)pp;
	*tail = NULL;
	if (!send_batch(g, c, batch)) {
		/* back to the front, in order */
		*tail = g->lq.head;
		if (!g->lq.head)
			g->lq.tail = (void **)tail;
		g->lq.head = batch;
		g->lq.n += n;
		return false;
	}
	return true;
}

/* s as an element of the text[] literal in b; NULL as NULL. */
static void array_elem_null(struct lwbs_buf *b, const char *s)
{
	if (s) {
		array_elem(b, s);
	} else {
		if (b->len && b->data[b->len - 1] != '{')
			lwbs_buf_putc(b, ',');
		lwbs_buf_puts(b, "NULL");
	}
}

/* Up to AUDIT_BATCH queued records as one INSERT of six arrays (one per
 * column) on c. */
static bool conn_send_audit(struct pg *g, struct conn *c)
{
	struct lwbs_buf col[6];
	const char *params[6];
	struct areq *a, *first = NULL, **tail = &first;
	bool ok = true;

	for (int k = 0; k < 6; k++) {
		lwbs_buf_init(&col[k], 0);
		lwbs_buf_putc(&col[k], '{');
	}
	for (size_t i = 0; i < AUDIT_BATCH && (a = g->aq.head); i++) {
		const char *sep = i ? "," : "";

		lwbs_buf_printf(&col[0], "%s%lld", sep, a->start_ms);
		lwbs_buf_printf(&col[1], "%s%lld", sep, a->duration_ms);
		array_elem_null(&col[2], a->ep);
		array_elem(&col[3], a->peer);
		array_elem(&col[4], a->res);
		array_elem_null(&col[5], a->rsn);
		fifo_pop(&g->aq);
		a->next = NULL;
		*tail = a;
		tail = &a->next;
	}
	for (int k = 0; k < 6; k++) {
		lwbs_buf_putc(&col[k], '}');
		lwbs_buf_putc(&col[k], 0);
		ok = ok && !lwbs_buf_err(&col[k]);
		params[k] = (const char *)col[k].data;
	}
	ok = ok && PQsendQueryPrepared(c->pg, "lwbs_audit", 6, params, NULL, NULL, 0);
	for (int k = 0; k < 6; k++)
		lwbs_buf_finish(&col[k]);
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

static bool audit_due(const struct pg *g, int64_t now)
{
	const struct areq *a = g->aq.head;

	return a && !g->audit_busy && (g->aq.n >= AUDIT_MIN || now - a->queued_ms >= AUDIT_LINGER_MS);
}

static void try_dispatch(struct pg *g)
{
	int64_t now = g->aq.n ? lwbs_store_pg_now_ms() : 0;

	for (size_t i = 0; i < g->n_conns; i++) {
		struct conn *c = &g->conns[i];
		bool sent;

		if (c->st != C_IDLE)
			continue;
		if (audit_due(g, now)) {
			sent = conn_send_audit(g, c);
		} else if (g->lq.head) {
			sent = conn_send_lookups(g, c);
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
	const struct areq *a = g->aq.head;

	for (size_t i = 0; i < g->n_conns; i++) {
		const struct conn *c = &g->conns[i];
		if ((c->st == C_DOWN || c->st == C_CONNECTING) && (t < 0 || c->when < t))
			t = c->when;
	}
	if (l && (t < 0 || l->deadline < t))
		t = l->deadline;
	/* a batch already due goes with the next idle connection */
	if (a && !g->audit_busy && a->queued_ms + AUDIT_LINGER_MS > now &&
	    (t < 0 || a->queued_ms + AUDIT_LINGER_MS < t))
		t = a->queued_ms + AUDIT_LINGER_MS;
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
		for (const struct lreq *l = g->conns[i].lookup; l; l = l->next)
			out->in_flight++;
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
	out->lookup_statements = g->statements;
	out->last_error = g->last_error;
}

size_t lwbs_store_pg_pending(struct lwbs_store *s)
{
	struct lwbs_store_pg_stats st;

	lwbs_store_pg_stats(s, &st);
	return (size_t)st.queued_lookups + st.queued_audits + st.in_flight;
}

/* ---------- store ops ---------- */

/* A new request for key v (n bytes) with extra bytes after it (aligned for
 * a pointer; *mem points to them), queued and dispatched; NULL when it was
 * answered at once (the database is down or the queue is full: *rc 0) or
 * memory ran out (*rc -ENOMEM). */
static struct lreq *lreq_queue(struct pg *g, enum lwbs_ident_kind kind, const char *v, size_t n, size_t extra,
			       lwbs_store_lookup_fn cb, void *arg, void **mem, int *rc)
{
	size_t off = (sizeof(struct lreq) + n + 1 + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
	struct lreq *l;

	*rc = 0;
	if (all_down(g) || g->lq.n >= g->queue_max) {
		g->failures++;
		cb(arg, all_down(g) ? -ENOTCONN : -EBUSY, NULL, NULL);
		return NULL;
	}
	l = malloc(off + extra);
	if (!l) {
		*rc = -ENOMEM;
		return NULL;
	}
	l->cb = cb;
	l->arg = arg;
	l->kind = kind;
	l->want_doc = false;
	l->gen = NULL;
	l->dev = 0;
	l->enrol = NULL;
	l->deadline = lwbs_store_pg_now_ms() + g->lookup_timeout_ms;
	memcpy(l->value, v, n);
	l->value[n] = 0;
	if (mem)
		*mem = (char *)l + off;
	fifo_push(&g->lq, l);
	return l;
}

static int pg_lookup(struct lwbs_store *s, const struct lwbs_store_query *q, lwbs_store_lookup_fn cb, void *arg)
{
	struct pg *g = (struct pg *)s;
	const char *v;
	size_t n;
	int rc;

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
	if (lreq_queue(g, q->kind, v, n, 0, cb, arg, NULL, &rc))
		try_dispatch(g);
	return rc;
}

static int pg_enrol(struct lwbs_store *s, const struct lwbs_store_enrolment *e, lwbs_store_lookup_fn cb,
		    void *arg)
{
	struct pg *g = (struct pg *)s;
	const char *ep = e ? e->ident[LWBS_IDENT_ENDPOINT] : NULL;
	struct lreq *l;
	void *mem;
	int rc;

	if (!e || !cb || !ep)
		return -EINVAL;
	for (int k = 0; k < LWBS_IDENT_COUNT; k++) {
		const char *v = e->ident[k];
		if (v && (!*v || !lwbs_utf8_valid((const uint8_t *)v, strlen(v))))
			return -EINVAL;
	}
	l = lreq_queue(g, LWBS_IDENT_ENDPOINT, ep, strlen(ep), pg_enrol_size(e), cb, arg, &mem, &rc);
	if (l) {
		l->enrol = pg_enrol_copy(mem, e);
		try_dispatch(g);
	}
	return rc;
}

static void pg_release(struct lwbs_store *s, struct lwbs_store_hold *hold)
{
	(void)s;
	hold_free((struct hold *)hold);
}

/* s (NULL: "") copied to *pos as valid UTF-8: bytes of invalid UTF-8
 * become '?'. Returns the copy. */
static const char *copy_utf8(char **pos, const char *s)
{
	char *out = *pos, *o = out;
	size_t n = s ? strlen(s) : 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		size_t k = ch < 0x80 ? 1 : ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : 2;

		if (k == 1) {
			*o++ = (char)ch;
		} else if (i + k <= n && lwbs_utf8_valid((const uint8_t *)s + i, k)) {
			memcpy(o, s + i, k);
			o += k;
			i += k - 1;
		} else {
			*o++ = '?';
		}
	}
	*o++ = 0;
	*pos = o;
	return out;
}

static int pg_audit(struct lwbs_store *s, const struct lwbs_audit_record *r, lwbs_store_done_fn cb, void *arg)
{
	struct pg *g = (struct pg *)s;
	size_t n = 0;
	struct areq *a;
	int64_t d;
	char *pos;

	if (!r || !cb)
		return -EINVAL;
	if (g->aq.n >= g->audit_queue_max)
		return -EBUSY;
	d = r->end_ms - r->start_ms;
	if (d < 0)
		d = 0;
	if (d > INT32_MAX)
		d = INT32_MAX;
	for (const char *f[] = {r->endpoint, r->peer, r->result, r->reason}, **p = f; p < f + 4; p++)
		n += (*p ? strlen(*p) : 0) + 1;
	a = malloc(sizeof(*a) + n);
	if (!a)
		return -ENOMEM;
	a->cb = cb;
	a->arg = arg;
	a->queued_ms = lwbs_store_pg_now_ms();
	a->start_ms = (long long)r->start_ms;
	a->duration_ms = (long long)d;
	pos = a->text;
	a->ep = r->endpoint ? copy_utf8(&pos, r->endpoint) : NULL;
	a->peer = copy_utf8(&pos, r->peer);
	a->res = copy_utf8(&pos, r->result);
	a->rsn = r->reason ? copy_utf8(&pos, r->reason) : NULL;
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
		struct lreq *l;
		if (c->pg)
			PQfinish(c->pg);
		PQclear(c->res);
		while ((l = c->lookup)) {
			c->lookup = l->next;
			hold_free(l->gen);
			free(l);
		}
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
	lwbs_buf_finish(&g->known);
	lwbs_buf_finish(&g->nogen);
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
	lwbs_buf_init(&g->known, 0);
	lwbs_buf_init(&g->nogen, 0);
	g->known_stale = true;
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
