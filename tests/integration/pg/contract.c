/* lwbs — the store contract: the same lookups against the embedded store
 * (the YAML files) and the PostgreSQL store (the same files applied with
 * lwbsctl), which must answer with equal plans; then what only the
 * PostgreSQL store does: plan cache, queue bound, audit durability, and
 * a database restart during lookups.
 *
 *   test_store_contract FILE.yaml...
 * Environment (set by contract.sh): LWBS_PG_DSN (without it only the
 * embedded store is tested), LWBS_PG_STOP and LWBS_PG_START (shell commands
 * stopping and starting the cluster). */
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../unit/test.h"
#include "lwbs/codec.h"
#include "lwbs/node.h"
#include "lwbs/path.h"
#include "lwbs/prov.h"
#include "lwbs/store_embedded.h"
#include "lwbs/store_pg.h"

struct answer {
	int called;
	int err;
	const struct lwbs_bs_plan *plan;
	struct lwbs_store_hold *hold;
};

static void on_lookup(void *arg, int err, const struct lwbs_bs_plan *plan, struct lwbs_store_hold *hold)
{
	struct answer *a = arg;

	a->called++;
	a->err = err;
	a->plan = plan;
	a->hold = hold;
}

/* Runs the store's loop (poll on its fds) until *count reaches want or
 * max_ms passed. */
static void drive(struct lwbs_store *s, const int *count, int want, int64_t max_ms)
{
	int64_t end = lwbs_store_pg_now_ms() + max_ms, now;
	struct lwbs_store_pg_fd f[16];
	struct pollfd p[16];

	while (*count < want && (now = lwbs_store_pg_now_ms()) < end) {
		size_t n = lwbs_store_pg_fds(s, f, 16);
		int t = lwbs_store_pg_next_timeout_ms(s, now);

		for (size_t i = 0; i < n; i++)
			p[i] = (struct pollfd){.fd = f[i].fd, .events = f[i].events};
		if (t < 0 || t > 50)
			t = 50;
		poll(p, n, t);
		lwbs_store_pg_process(s, lwbs_store_pg_now_ms());
	}
}

static struct answer lookup(struct lwbs_store *s, enum lwbs_ident_kind k, const char *v)
{
	struct answer a = {0};
	struct lwbs_store_query q = {.kind = k, .value = v, .len = strlen(v)};

	CHECK_INT(lwbs_store_lookup(s, &q, on_lookup, &a), 0);
	if (strcmp(s->ops->name, "embedded"))
		drive(s, &a.called, 1, 10000);
	CHECK_INT(a.called, 1);
	return a;
}

static bool plans_equal(const struct lwbs_bs_plan *a, const struct lwbs_bs_plan *b)
{
	if (strcmp(a->endpoint, b->endpoint) || !lwbs_node_equal(a->objects, b->objects) ||
	    a->n_deletes != b->n_deletes || a->discover != b->discover ||
	    a->auto_security_iid != b->auto_security_iid || a->read_existing != b->read_existing ||
	    a->keep_existing != b->keep_existing || a->write_per_object != b->write_per_object ||
	    a->allow_pack != b->allow_pack || a->content_format != b->content_format)
		return false;
	for (size_t i = 0; i < a->n_deletes; i++)
		if (!lwbs_path_equal(&a->deletes[i], &b->deletes[i]))
			return false;
	return true;
}

struct kase {
	enum lwbs_ident_kind kind;
	const char *value;
	const char *endpoint; /* NULL: not found */
};

/* config/provisioning/example.yaml */
static const struct kase cases[] = {
	{LWBS_IDENT_ENDPOINT, "urn:imei:490154203237518", "urn:imei:490154203237518"},
	{LWBS_IDENT_ENDPOINT, "urn:imei:356938035643809", "urn:imei:356938035643809"},
	{LWBS_IDENT_ENDPOINT, "sensor-0003", "sensor-0003"},
	{LWBS_IDENT_ENDPOINT, "meter-0004", "meter-0004"},
	{LWBS_IDENT_ENDPOINT, "lab-0005", "lab-0005"},
	{LWBS_IDENT_IMSI, "001010000000001", "urn:imei:490154203237518"},
	{LWBS_IDENT_IMSI, "001010000000003", "sensor-0003"},
	{LWBS_IDENT_MSISDN, "+491700000001", "urn:imei:490154203237518"},
	{LWBS_IDENT_MSISDN, "491700000001", "urn:imei:490154203237518"},
	{LWBS_IDENT_MSISDN, "+491700000002", "urn:imei:356938035643809"},
	{LWBS_IDENT_IMEI, "490154203237518", "urn:imei:490154203237518"},
	{LWBS_IDENT_IMEI, "49015420323751", "urn:imei:490154203237518"},
	{LWBS_IDENT_IMEI, "3569380356438001", "urn:imei:356938035643809"},
	{LWBS_IDENT_IMEI, "356938035643809", "urn:imei:356938035643809"},
	{LWBS_IDENT_PSK_ID, "meter-0004", "meter-0004"},
	{LWBS_IDENT_CERT_SUBJECT, "CN=meter-0004,O=Example", "meter-0004"},
	/* unknown */
	{LWBS_IDENT_ENDPOINT, "no-such-device", NULL},
	{LWBS_IDENT_ENDPOINT, "", NULL},
	{LWBS_IDENT_IMSI, "999999999999999", NULL},
	{LWBS_IDENT_IMSI, "sensor-0003", NULL},
	{LWBS_IDENT_IMEI, "49015420323751899", NULL},
	{LWBS_IDENT_IMEI, "4901542032375", NULL},
	{LWBS_IDENT_MSISDN, "+", NULL},
	{LWBS_IDENT_PSK_ID, "fleet-default", NULL},
	{LWBS_IDENT_CERT_SUBJECT, "CN=meter-0004", NULL},
	{LWBS_IDENT_ENDPOINT, "bad-\xff-utf8", NULL},
};

static void check_overrides(const struct lwbs_bs_plan *p, const char *backend)
{
	struct lwbs_path id = LWBS_PATH_RES(0, 0, 3), key = LWBS_PATH_RES(0, 0, 5);
	const struct lwbs_node *n;
	static const uint8_t want_key[] = {0x9f, 0x8e, 0x7d, 0x6c, 0x5b, 0x4a, 0x39, 0x28,
					   0x17, 0x06, 0xf5, 0xe4, 0xd3, 0xc2, 0xb1, 0xa0};

	n = lwbs_node_find(p->objects, &id);
	CHECK(n != NULL);
	if (n)
		CHECK_MEM(n->value.v.bytes.ptr, n->value.v.bytes.len, "urn:imei:490154203237518", 24);
	n = lwbs_node_find(p->objects, &key);
	CHECK(n != NULL);
	if (n)
		CHECK_MEM(n->value.v.bytes.ptr, n->value.v.bytes.len, want_key, sizeof(want_key));
	if (test_failures)
		fprintf(stderr, "  (overrides, %s)\n", backend);
}

/* Every case on the embedded store (and, with pg, equal plans there). */
static void contract(struct lwbs_store *emb, struct lwbs_store *pg)
{
	struct answer held[sizeof(cases) / sizeof(cases[0])][2] = {{{0}}};
	int before = test_failures;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct kase *c = &cases[i];
		struct lwbs_store *st[2] = {emb, pg};

		for (int b = 0; b < 2; b++) {
			struct answer a = {0};
			if (!st[b])
				continue;
			a = lookup(st[b], c->kind, c->value);
			CHECK_INT(a.err, 0);
			if (c->endpoint) {
				CHECK(a.plan && a.hold);
				if (a.plan)
					CHECK_STR(a.plan->endpoint, c->endpoint);
			} else {
				CHECK(!a.plan && !a.hold);
			}
			held[i][b] = a;
		}
		if (pg && held[i][0].plan && held[i][1].plan)
			CHECK(plans_equal(held[i][0].plan, held[i][1].plan));
		if (test_failures != before) {
			fprintf(stderr, "  case %zu: %s \"%s\"\n", i, lwbs_ident_kind_name(c->kind), c->value);
			before = test_failures;
		}
	}
	/* overrides: the device's own credentials; meter-0004's format */
	for (int b = 0; b < 2; b++) {
		if (!held[0][b].plan)
			continue;
		check_overrides(held[0][b].plan, b ? "postgres" : "embedded");
		CHECK_INT(held[3][b].plan->content_format, LWBS_CF_TLV);
		CHECK(!plans_equal(held[0][b].plan, held[1][b].plan));
	}
	/* a reload keeps every plan handed out valid */
	for (int b = 0; b < 2; b++) {
		char err[256];
		struct lwbs_store *s = b ? pg : emb;
		if (s)
			CHECK_INT(s->ops->reload(s, err, sizeof(err)), 0);
	}
	if (pg)
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			if (held[i][0].plan && held[i][1].plan)
				CHECK(plans_equal(held[i][0].plan, held[i][1].plan));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lwbs_store_release(emb, held[i][0].hold);
		if (pg)
			lwbs_store_release(pg, held[i][1].hold);
	}
}

static struct lwbs_store *pg_open(const char *dsn, unsigned pool, unsigned queue_max)
{
	struct lwbs_store_pg_config cfg = {.dsn = dsn, .pool_size = pool, .queue_max = queue_max};
	char err[256] = "";
	struct lwbs_store *s = lwbs_store_pg_create(&cfg, err, sizeof(err));

	if (!s)
		fprintf(stderr, "lwbs_store_pg_create: %s\n", err);
	return s;
}

static void test_cache(struct lwbs_store *pg)
{
	struct lwbs_store_pg_stats st0, st1;
	struct answer a, b;

	lwbs_store_pg_stats(pg, &st0);
	a = lookup(pg, LWBS_IDENT_ENDPOINT, "urn:imei:356938035643809");
	b = lookup(pg, LWBS_IDENT_IMSI, "001010000000002");
	lwbs_store_pg_stats(pg, &st1);
	/* the first may hit (contract() filled the cache before reload()
	 * emptied it: so one miss), the second hits the same profile plan */
	CHECK(st1.cache_hits >= st0.cache_hits + 1);
	CHECK(a.plan && b.plan && a.plan->objects == b.plan->objects);
	lwbs_store_release(pg, a.hold);
	lwbs_store_release(pg, b.hold);
}

static void test_queue_bound(const char *dsn)
{
	struct lwbs_store *pg = pg_open(dsn, 1, 2);
	struct answer a[6] = {{0}};
	struct lwbs_store_pg_stats st;
	int done = 0, busy = 0;

	if (!pg)
		return;
	/* wait for the connection */
	for (int i = 0; i < 200; i++) {
		lwbs_store_pg_stats(pg, &st);
		if (st.connected)
			break;
		drive(pg, &done, 1, 20);
	}
	CHECK_INT(st.connected, 1);
	for (int i = 0; i < 6; i++) {
		struct lwbs_store_query q = {.kind = LWBS_IDENT_ENDPOINT, .value = "sensor-0003", .len = 11};
		CHECK_INT(lwbs_store_lookup(pg, &q, on_lookup, &a[i]), 0);
	}
	/* one in flight, two queued, the rest refused at once */
	for (int i = 0; i < 6; i++)
		if (a[i].called) {
			CHECK_INT(a[i].err, -EBUSY);
			busy++;
		}
	CHECK_INT(busy, 3);
	/* up to 10 s: a sanitizer build on a busy machine is slow. drive()
	 * returns at once when its counter has reached the goal, so it gets
	 * one that never does: each round really runs the store for 20 ms. */
	for (int k = 0; k < 500 && done < 6; k++) {
		int never = 0;

		drive(pg, &never, 1, 20);
		done = 0;
		for (int i = 0; i < 6; i++)
			done += a[i].called;
	}
	CHECK_INT(done, 6);
	for (int i = 0; i < 6; i++)
		if (a[i].err == 0) {
			CHECK(a[i].plan != NULL);
			lwbs_store_release(pg, a[i].hold);
		}
	lwbs_store_destroy(pg);
}

struct audit_state {
	int done, failed;
};

static void on_audit(void *arg, int err)
{
	struct audit_state *s = arg;

	s->done++;
	if (err)
		s->failed++;
}

static long long count_rows(const char *dsn, const char *sql)
{
	PGconn *c = PQconnectdb(dsn);
	PGresult *r;
	long long n = -1;

	if (PQstatus(c) == CONNECTION_OK) {
		r = PQexec(c, sql);
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
			n = atoll(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	PQfinish(c);
	return n;
}

static void test_audit(struct lwbs_store *pg, const char *dsn)
{
	struct audit_state st = {0};
	char peer[64], ep[64];

	for (int i = 0; i < 300; i++) {
		struct lwbs_audit_record r = {
			.start_ms = 1767225600000 + i, .end_ms = 1767225600250 + i,
			.endpoint = i % 3 ? ep : NULL, .peer = peer, .transport = "udp",
			.result = "success", .reason = i == 7 ? "quote \" backslash \\ tab \t \xc3\xa9 \xff" : "finished",
			.requests = 5,
		};
		snprintf(peer, sizeof(peer), "contract-%d:5683", i);
		snprintf(ep, sizeof(ep), i == 8 ? "{NULL},\"ep\"" : "ep-%d", i);
		CHECK_INT(pg->ops->audit(pg, &r, on_audit, &st), 0);
	}
	drive(pg, &st.done, 300, 20000);
	CHECK_INT(st.done, 300);
	CHECK_INT(st.failed, 0);
	/* durable once called back: visible to another session */
	CHECK_INT(count_rows(dsn, "SELECT count(*) FROM session_audit WHERE peer LIKE 'contract-%'"), 300);
	CHECK_INT(count_rows(dsn, "SELECT count(*) FROM session_audit WHERE endpoint IS NULL AND peer LIKE 'contract-%'"),
		  100);
	CHECK_INT(count_rows(dsn, "SELECT duration_ms FROM session_audit WHERE peer = 'contract-42:5683'"), 250);
	CHECK_INT(count_rows(dsn, "SELECT count(*) FROM session_audit WHERE reason = "
				  "E'quote \" backslash \\\\ tab \\t \\u00e9 ?'"),
		  1);
	/* array literal syntax in a value is only text */
	CHECK_INT(count_rows(dsn, "SELECT count(*) FROM session_audit WHERE endpoint = '{NULL},\"ep\"' "
				  "AND peer = 'contract-8:5683'"),
		  1);
	CHECK_INT(count_rows(dsn, "SELECT (extract(epoch FROM at) * 1000)::bigint - 1767225600000 FROM session_audit "
				  "WHERE peer = 'contract-9:5683'"),
		  9);
}

/* The PSK identity and key of a plan's first Security instance, copied. */
static void plan_psk(const struct lwbs_bs_plan *p, char *id, size_t id_cap, uint8_t *key, size_t *key_len)
{
	struct lwbs_path ip = LWBS_PATH_RES(0, 0, 3), kp = LWBS_PATH_RES(0, 0, 5);
	const struct lwbs_node *i = p ? lwbs_node_find(p->objects, &ip) : NULL;
	const struct lwbs_node *k = p ? lwbs_node_find(p->objects, &kp) : NULL;

	id[0] = 0;
	*key_len = 0;
	CHECK(i != NULL && k != NULL);
	if (!i || !k || i->value.v.bytes.len >= id_cap || k->value.v.bytes.len > 64)
		return;
	memcpy(id, i->value.v.bytes.ptr, i->value.v.bytes.len);
	id[i->value.v.bytes.len] = 0;
	memcpy(key, k->value.v.bytes.ptr, k->value.v.bytes.len);
	*key_len = k->value.v.bytes.len;
}

/* Rows of generated_credentials of endpoint ep holding exactly key. */
static long long stored_key(const char *dsn, const char *ep, const uint8_t *key, size_t len)
{
	char sql[512];
	int n = snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM generated_credentials g JOIN devices d ON d.id = g.device_id "
			 "WHERE d.endpoint = '%s' AND g.psk_key = decode('",
			 ep);

	for (size_t i = 0; i < len; i++)
		n += snprintf(sql + n, sizeof(sql) - (size_t)n, "%02x", key[i]);
	snprintf(sql + n, sizeof(sql) - (size_t)n, "', 'hex')");
	return count_rows(dsn, sql);
}

/* generate_credentials (tests/integration/pg/generating.yaml): the first
 * lookup makes and stores the key, the next ones read it; rotate: a new
 * key at each lookup, stored before the answer. */
static void test_generated(struct lwbs_store *pg, const char *dsn)
{
	char id1[128], id2[128];
	uint8_t k1[64], k2[64];
	size_t l1, l2;
	struct answer a;

	CHECK_INT(count_rows(dsn, "SELECT count(*) FROM generated_credentials"), 0);
	a = lookup(pg, LWBS_IDENT_ENDPOINT, "gen-0001");
	CHECK_INT(a.err, 0);
	plan_psk(a.plan, id1, sizeof(id1), k1, &l1);
	if (a.hold)
		lwbs_store_release(pg, a.hold);
	a = lookup(pg, LWBS_IDENT_IMSI, "001010000000099");
	CHECK_INT(a.err, 0);
	plan_psk(a.plan, id2, sizeof(id2), k2, &l2);
	if (a.hold)
		lwbs_store_release(pg, a.hold);
	CHECK_STR(id1, "dm-gen-0001");
	CHECK_STR(id2, "dm-gen-0001");
	CHECK_INT(l1, 16);
	CHECK_MEM(k1, l1, k2, l2);
	CHECK_INT(stored_key(dsn, "gen-0001", k1, l1), 1);
	CHECK_INT(count_rows(dsn, "SELECT count(*) FROM generated_credentials g JOIN devices d ON d.id = g.device_id "
				  "WHERE d.endpoint = 'gen-0001' AND g.ssid = 101 AND g.psk_identity = 'dm-gen-0001'"),
		  1);

	a = lookup(pg, LWBS_IDENT_ENDPOINT, "gen-0002");
	CHECK_INT(a.err, 0);
	plan_psk(a.plan, id1, sizeof(id1), k1, &l1);
	if (a.hold)
		lwbs_store_release(pg, a.hold);
	CHECK_INT(stored_key(dsn, "gen-0002", k1, l1), 1);
	a = lookup(pg, LWBS_IDENT_ENDPOINT, "gen-0002");
	CHECK_INT(a.err, 0);
	plan_psk(a.plan, id2, sizeof(id2), k2, &l2);
	if (a.hold)
		lwbs_store_release(pg, a.hold);
	CHECK_STR(id1, "001010000000098");
	CHECK_STR(id2, "001010000000098");
	CHECK_INT(l2, 32);
	CHECK(l1 == l2 && memcmp(k1, k2, l1) != 0);
	CHECK_INT(stored_key(dsn, "gen-0002", k2, l2), 1);
	CHECK_INT(count_rows(dsn, "SELECT count(*) FROM generated_credentials g JOIN devices d ON d.id = g.device_id "
				  "WHERE d.endpoint = 'gen-0002' AND g.rotated_at IS NOT NULL"),
		  1);
	if (test_failures)
		fprintf(stderr, "  (generated credentials)\n");
}

/* tests/integration/pg/templates.yaml: the PostgreSQL store enrols with
 * the template lwbs_prov_template_find picks from the same files, once. */
struct enrol_case {
	const char *plmn, *imsi, *apn;
};

static const struct enrol_case enrol_cases[] = {
	{"26201", "262011111111111", "iot.example"}, /* apn case-insensitive */
	{"26201", "262011111111112", "other"},       /* none */
	{NULL, "262011111111113", "IOT.EXAMPLE"},    /* plmn from the IMSI */
	{"", "310410111111114", NULL},               /* 6 digits from the IMSI */
	{"310410", "310410111111115", "x"},
	{"31041", "310410111111116", NULL},          /* not a prefix match: none */
	{"99999", "999991111111117", "Lab.Example"}, /* apn only */
	{NULL, NULL, NULL},                          /* none */
	{"00101", "001011111111119", "lab.example"}, /* the first that fits */
};

static struct answer enrol(struct lwbs_store *pg, const char *ep, const char *imsi, const char *plmn,
			   const char *apn)
{
	struct answer a = {0};
	struct lwbs_store_enrolment e = {.plmn = plmn, .apn = apn};

	e.ident[LWBS_IDENT_ENDPOINT] = ep;
	e.ident[LWBS_IDENT_IMSI] = imsi;
	CHECK_INT(pg->ops->enrol(pg, &e, on_lookup, &a), 0);
	drive(pg, &a.called, 1, 10000);
	CHECK_INT(a.called, 1);
	return a;
}

static void test_enrol(struct lwbs_store *emb, struct lwbs_store *pg, const char *dsn)
{
	const struct lwbs_prov *p = lwbs_store_embedded_current(emb);
	char ep[32], sql[256];
	struct answer a;

	CHECK(p->n_templates == 4);
	for (size_t i = 0; i < sizeof(enrol_cases) / sizeof(enrol_cases[0]); i++) {
		const struct enrol_case *c = &enrol_cases[i];
		const struct lwbs_prov_template *t = lwbs_prov_template_find(p, c->plmn, c->imsi, c->apn);

		snprintf(ep, sizeof(ep), "enrol-%zu", i);
		a = enrol(pg, ep, c->imsi, c->plmn, c->apn);
		CHECK_INT(a.err, 0);
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM devices WHERE endpoint = '%s' AND enrolled_template->>'profile' = '%s'", ep,
			 t ? t->profile_name : "");
		CHECK(t ? a.plan != NULL : a.plan == NULL);
		if (t && a.plan) {
			CHECK_STR(a.plan->endpoint, ep);
			CHECK(lwbs_node_equal(a.plan->objects, t->profile->plan.objects));
		}
		if (count_rows(dsn, sql) != (t ? 1 : 0)) {
			CHECK(!"the enrolled row");
			fprintf(stderr, "  enrol case %zu: want %s\n", i, t ? t->profile_name : "no template");
		}
		lwbs_store_release(pg, a.hold);
	}
	/* again: the device exists (ON CONFLICT), the same answer, one row */
	a = enrol(pg, "enrol-0", "262011111111111", "26201", "iot.example");
	CHECK_INT(a.err, 0);
	CHECK(a.plan && !strcmp(a.plan->endpoint, "enrol-0"));
	lwbs_store_release(pg, a.hold);
	CHECK_INT(count_rows(dsn, "SELECT count(*) FROM devices WHERE endpoint = 'enrol-0'"), 1);
	/* the endpoint is another device's: refused, nothing stored */
	a = enrol(pg, "enrol-0", "262011111111199", "26201", "iot.example");
	CHECK_INT(a.err, -EEXIST);
	CHECK(a.plan == NULL);
	/* an identity is another device's: refused, nothing stored */
	a = enrol(pg, "enrol-new", "262011111111111", "26201", "iot.example");
	CHECK_INT(a.err, -EEXIST);
	CHECK_INT(count_rows(dsn, "SELECT count(*) FROM devices WHERE endpoint = 'enrol-new' OR endpoint IN "
				  "(SELECT d.endpoint FROM devices d JOIN device_identities i ON i.device_id = d.id "
				  "WHERE i.value = '262011111111199')"),
		  0);
	/* an enrolled device is then found like any other */
	a = lookup(pg, LWBS_IDENT_IMSI, "262011111111111");
	CHECK(a.plan && !strcmp(a.plan->endpoint, "enrol-0"));
	lwbs_store_release(pg, a.hold);
}

/* Waits up to 10 s for every connection of pg. */
static void wait_connected(struct lwbs_store *pg)
{
	struct lwbs_store_pg_stats st;
	int never = 0;

	for (int i = 0; i < 500; i++) {
		lwbs_store_pg_stats(pg, &st);
		if (st.connected == st.pool)
			break;
		drive(pg, &never, 1, 20);
	}
	CHECK_INT(st.connected, st.pool);
}

/* Runs pg until every one of a[0..n) was called back (at most 20 s). */
static void drive_all(struct lwbs_store *pg, struct answer *a, size_t n)
{
	int done = 0;

	for (int k = 0; k < 1000 && (size_t)done < n; k++) {
		int never = 0;

		drive(pg, &never, 1, 20);
		done = 0;
		for (size_t i = 0; i < n; i++)
			done += a[i].called;
	}
	CHECK_INT(done, (int)n);
}

/* Lookups queued while the one connection is busy go out as one statement
 * per kind: each gets its own device (or none), in a mix of known and
 * unknown keys, the same key twice, overrides and generated credentials;
 * a batch whose cached plan went away (reload) asks again. */
static void test_batch(struct lwbs_store *emb, const char *dsn)
{
	static const struct kase mix[] = {
		{LWBS_IDENT_ENDPOINT, "lab-0005", "lab-0005"}, /* alone: the connection is idle */
		{LWBS_IDENT_ENDPOINT, "sensor-0003", "sensor-0003"},
		{LWBS_IDENT_ENDPOINT, "no-such-device", NULL},
		{LWBS_IDENT_ENDPOINT, "urn:imei:490154203237518", "urn:imei:490154203237518"},
		{LWBS_IDENT_IMSI, "001010000000002", "urn:imei:356938035643809"},
		{LWBS_IDENT_ENDPOINT, "gen-0001", "gen-0001"},
		{LWBS_IDENT_ENDPOINT, "meter-0004", "meter-0004"},
		{LWBS_IDENT_IMSI, "999999999999999", NULL},
		{LWBS_IDENT_ENDPOINT, "sensor-0003", "sensor-0003"},
		{LWBS_IDENT_ENDPOINT, "gen-0002", "gen-0002"},
		{LWBS_IDENT_MSISDN, "+491700000001", "urn:imei:490154203237518"},
		{LWBS_IDENT_ENDPOINT, "missing-\"quoted\\", NULL},
		{LWBS_IDENT_ENDPOINT, "gen-0002", "gen-0002"},
		{LWBS_IDENT_IMSI, "001010000000003", "sensor-0003"},
		{LWBS_IDENT_ENDPOINT, "lab-0005", "lab-0005"},
	};
	enum { N = sizeof(mix) / sizeof(mix[0]) };
	struct lwbs_store *pg = pg_open(dsn, 1, 0);
	struct answer a[N] = {{0}}, e[N] = {{0}};
	struct lwbs_store_pg_stats st0, st1;
	char id1[128], id2[128], err[256];
	uint8_t k1[64], k2[64];
	size_t l1, l2;
	int before = test_failures;

	if (!pg)
		return;
	wait_connected(pg);
	for (int round = 0; round < 2; round++) {
		lwbs_store_pg_stats(pg, &st0);
		for (size_t i = 0; i < N; i++) {
			struct lwbs_store_query q = {.kind = mix[i].kind, .value = mix[i].value, .len = strlen(mix[i].value)};

			a[i] = (struct answer){0};
			CHECK_INT(lwbs_store_lookup(pg, &q, on_lookup, &a[i]), 0);
			CHECK_INT(a[i].called, 0);
		}
		if (round == 1) {
			/* the first is answered, the batches are in flight with
			 * the versions of the plans held: those plans go */
			drive(pg, &a[0].called, 1, 10000);
			CHECK_INT(pg->ops->reload(pg, err, sizeof(err)), 0);
		}
		drive_all(pg, a, N);
		lwbs_store_pg_stats(pg, &st1);
		/* the first alone, then one per kind (endpoint, IMSI, MSISDN);
		 * after the reload the batches found plans gone ask again */
		if (round == 0)
			CHECK_INT(st1.lookup_statements - st0.lookup_statements, 4);
		else
			CHECK(st1.lookup_statements - st0.lookup_statements > 4);
		for (size_t i = 0; i < N; i++) {
			CHECK_INT(a[i].err, 0);
			if (!mix[i].endpoint) {
				CHECK(!a[i].plan && !a[i].hold);
				continue;
			}
			CHECK(a[i].plan != NULL);
			if (!a[i].plan)
				continue;
			CHECK_STR(a[i].plan->endpoint, mix[i].endpoint);
			if (strncmp(mix[i].endpoint, "gen-", 4)) {
				e[i] = lookup(emb, mix[i].kind, mix[i].value);
				CHECK(e[i].plan && plans_equal(e[i].plan, a[i].plan));
				lwbs_store_release(emb, e[i].hold);
			}
		}
		/* generated: stored before the answer; the two lookups of the
		 * rotating device got the key that stayed */
		plan_psk(a[5].plan, id1, sizeof(id1), k1, &l1);
		CHECK_STR(id1, "dm-gen-0001");
		CHECK_INT(stored_key(dsn, "gen-0001", k1, l1), 1);
		plan_psk(a[9].plan, id1, sizeof(id1), k1, &l1);
		plan_psk(a[12].plan, id2, sizeof(id2), k2, &l2);
		CHECK_STR(id1, "001010000000098");
		CHECK_STR(id2, "001010000000098");
		CHECK_INT(l1, 32);
		CHECK_MEM(k1, l1, k2, l2);
		CHECK_INT(stored_key(dsn, "gen-0002", k1, l1), 1);
		for (size_t i = 0; i < N; i++)
			if (a[i].hold)
				lwbs_store_release(pg, a[i].hold);
		if (test_failures != before) {
			fprintf(stderr, "  (batch, round %d)\n", round);
			before = test_failures;
		}
	}
	CHECK_INT(lwbs_store_pg_pending(pg), 0);
	lwbs_store_destroy(pg);
}

static void test_restart(struct lwbs_store *pg, const char *dsn)
{
	const char *stop = getenv("LWBS_PG_STOP"), *start = getenv("LWBS_PG_START");
	struct answer a[3] = {{0}}, down = {0};
	PGconn *locker;
	PGresult *r;
	int called = 0;
	int64_t t0, t1 = 0;
	struct lwbs_store_pg_stats st;

	if (!stop || !start) {
		fprintf(stderr, "LWBS_PG_STOP/START not set: restart not tested\n");
		CHECK(0);
		return;
	}
	/* lookups that cannot finish: devices locked by another session */
	locker = PQconnectdb(dsn);
	CHECK(PQstatus(locker) == CONNECTION_OK);
	r = PQexec(locker, "BEGIN; LOCK TABLE devices IN ACCESS EXCLUSIVE MODE");
	CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
	PQclear(r);
	for (int i = 0; i < 3; i++) {
		struct lwbs_store_query q = {.kind = LWBS_IDENT_ENDPOINT, .value = "sensor-0003", .len = 11};
		CHECK_INT(lwbs_store_lookup(pg, &q, on_lookup, &a[i]), 0);
	}
	drive(pg, &called, 1, 300); /* sends them; none can answer */
	for (int i = 0; i < 3; i++)
		CHECK_INT(a[i].called, 0);
	CHECK_INT(system(stop), 0);
	PQfinish(locker);
	for (int k = 0; k < 200 && (a[0].called + a[1].called + a[2].called) < 3; k++)
		drive(pg, &called, 1, 25);
	for (int i = 0; i < 3; i++) {
		CHECK_INT(a[i].called, 1);
		CHECK(a[i].err == -ECONNRESET);
		CHECK(a[i].hold == NULL);
	}
	/* down: new lookups fail at once or soon, never hang */
	down = lookup(pg, LWBS_IDENT_ENDPOINT, "sensor-0003");
	CHECK(down.err < 0);
	CHECK_INT(system(start), 0);
	t0 = lwbs_store_pg_now_ms();
	while (lwbs_store_pg_now_ms() - t0 < 15000) {
		struct answer b = lookup(pg, LWBS_IDENT_ENDPOINT, "sensor-0003");
		if (b.err == 0 && b.plan) {
			t1 = lwbs_store_pg_now_ms();
			lwbs_store_release(pg, b.hold);
			break;
		}
		drive(pg, &called, 1, 50);
	}
	CHECK(t1 != 0);
	fprintf(stderr, "serving again %lld ms after the database started\n", (long long)(t1 - t0));
	CHECK(t1 - t0 <= 5000);
	lwbs_store_pg_stats(pg, &st);
	CHECK(st.reconnects >= 1);
	/* everything still answers, equal to before */
	lwbs_store_release(pg, lookup(pg, LWBS_IDENT_IMSI, "001010000000001").hold);
}

/* Configuration errors come back from create(), without the DSN's values. */
static void test_config_errors(void)
{
	struct lwbs_store_pg_config cfg = {.dsn_file = "/nonexistent/lwbs.dsn"};
	char err[256] = "";

	CHECK(lwbs_store_pg_create(&cfg, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "/nonexistent/lwbs.dsn") != NULL);
	cfg = (struct lwbs_store_pg_config){.dsn = "host=/tmp password=s3cret-value bogus=1"};
	CHECK(lwbs_store_pg_create(&cfg, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "bogus") != NULL);
	CHECK(strstr(err, "s3cret") == NULL);
	cfg = (struct lwbs_store_pg_config){.dsn = "dbname=x", .password_file = "/nonexistent/pw"};
	CHECK(lwbs_store_pg_create(&cfg, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "password file") != NULL);
	cfg = (struct lwbs_store_pg_config){.dsn = "dbname=x", .pool_size = 65};
	CHECK(lwbs_store_pg_create(&cfg, err, sizeof(err)) == NULL);
}

int main(int argc, char **argv)
{
	const char *dsn = getenv("LWBS_PG_DSN");
	struct lwbs_store *emb, *pg = NULL;
	char err[512];

	if (argc < 2) {
		fprintf(stderr, "usage: test_store_contract FILE.yaml...\n");
		return 2;
	}
	emb = lwbs_store_embedded_create((const char *const *)&argv[1], (size_t)argc - 1, err, sizeof(err));
	if (!emb) {
		fprintf(stderr, "embedded store: %s\n", err);
		return 1;
	}
	if (dsn && !(pg = pg_open(dsn, 4, 0)))
		return 1;
	test_config_errors();
	contract(emb, pg);
	if (pg) {
		test_cache(pg);
		test_queue_bound(dsn);
		test_audit(pg, dsn);
		test_generated(pg, dsn);
		test_enrol(emb, pg, dsn);
		test_batch(emb, dsn);
		test_restart(pg, dsn);
		{
			struct lwbs_store_pg_stats st;
			lwbs_store_pg_stats(pg, &st);
			CHECK_INT(lwbs_store_pg_pending(pg), 0);
			fprintf(stderr, "postgres: %llu lookups, %llu hits, %llu misses, %llu failures, %llu reconnects\n",
				(unsigned long long)st.lookups, (unsigned long long)st.cache_hits,
				(unsigned long long)st.cache_misses, (unsigned long long)st.failures,
				(unsigned long long)st.reconnects);
		}
		lwbs_store_destroy(pg);
	}
	lwbs_store_destroy(emb);
	fprintf(stderr, "%d checks, %d failed%s\n", test_checks, test_failures, pg ? "" : " (embedded only)");
	return test_failures ? 1 : 0;
}
