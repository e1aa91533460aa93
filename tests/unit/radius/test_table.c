/* lwbs — RADIUS binding table (STANDARDS §6.5) and retransmission cache
 * (§6.6). */
#include <errno.h>
#include <unistd.h>

#include "lwbs/radius.h"
#include "../test.h"

static struct lwbs_radius_binding mk(uint8_t status, uint32_t ip, const char *sess,
				     const char *imsi, uint8_t nas)
{
	struct lwbs_radius_binding b = {0};
	b.status = status;
	b.has = LWBS_RADIUS_HAS_NAS_IPV4;
	b.nas_ipv4[0] = 192;
	b.nas_ipv4[3] = nas;
	if (ip) {
		b.has |= LWBS_RADIUS_HAS_IPV4;
		b.ipv4[0] = (uint8_t)(ip >> 24);
		b.ipv4[1] = (uint8_t)(ip >> 16);
		b.ipv4[2] = (uint8_t)(ip >> 8);
		b.ipv4[3] = (uint8_t)ip;
	}
	strcpy(b.session_id, sess);
	strcpy(b.imsi, imsi);
	return b;
}

static int apply(struct lwbs_radius_table *t, const struct lwbs_radius_binding *b, int64_t now)
{
	enum lwbs_radius_apply r = (enum lwbs_radius_apply)-1;
	int rc = lwbs_radius_table_apply(t, b, now, &r, NULL);
	return rc ? rc : (int)r;
}

static const char *imsi_at(struct lwbs_radius_table *t, uint32_t ip)
{
	static struct lwbs_radius_binding out;
	uint8_t a[4] = {(uint8_t)(ip >> 24), (uint8_t)(ip >> 16), (uint8_t)(ip >> 8), (uint8_t)ip};
	if (lwbs_radius_table_lookup4(t, a, &out) != 0)
		return "(none)";
	return out.imsi;
}

static void test_start_interim_stop(void)
{
	struct lwbs_radius_table *t = lwbs_radius_table_create();
	struct lwbs_radius_binding b = mk(1, 0x0a000001, "S1", "262011111111111", 1);
	strcpy(b.apn, "iot");
	memcpy(b.uli, "\x82\x01", 2);
	b.uli_len = 2;
	CHECK_INT(apply(t, &b, 100), LWBS_RADIUS_INSERTED);
	CHECK_INT(lwbs_radius_table_count(t), 1);
	struct lwbs_radius_binding out;
	CHECK_INT(lwbs_radius_table_lookup4(t, b.ipv4, &out), 0);
	CHECK_STR(out.imsi, "262011111111111");
	CHECK_STR(out.apn, "iot");
	CHECK_STR(out.session_id, "S1");
	CHECK_MEM(out.uli, out.uli_len, "\x82\x01", 2);
	CHECK_INT(out.updated, 100);
	CHECK_INT(apply(t, &b, 101), LWBS_RADIUS_REFRESHED);

	struct lwbs_radius_binding i = mk(3, 0x0a000001, "S1", "262011111111111", 1);
	i.rat_type = 6;
	i.has |= LWBS_RADIUS_HAS_RAT;
	CHECK_INT(apply(t, &i, 200), LWBS_RADIUS_REFRESHED);
	CHECK_INT(lwbs_radius_table_lookup4(t, b.ipv4, &out), 0);
	CHECK_INT(out.updated, 200);
	CHECK_INT(out.rat_type, 6);
	CHECK_STR(out.apn, ""); /* the Interim's data replaces the record */

	struct lwbs_radius_binding s = mk(2, 0x0a000001, "S0", "", 1);
	CHECK_INT(apply(t, &s, 300), LWBS_RADIUS_IGNORED);
	s = mk(2, 0x0a000001, "S1", "", 2);
	CHECK_INT(apply(t, &s, 300), LWBS_RADIUS_IGNORED);
	s = mk(2, 0x0a000002, "S1", "", 1);
	CHECK_INT(apply(t, &s, 300), LWBS_RADIUS_IGNORED);
	CHECK_STR(imsi_at(t, 0x0a000001), "262011111111111");
	s = mk(2, 0x0a000001, "S1", "", 1);
	size_t removed = 9;
	enum lwbs_radius_apply r;
	CHECK_INT(lwbs_radius_table_apply(t, &s, 300, &r, &removed), 0);
	CHECK_INT(r, LWBS_RADIUS_REMOVED);
	CHECK_INT(removed, 1);
	CHECK_STR(imsi_at(t, 0x0a000001), "(none)");
	CHECK_INT(lwbs_radius_table_count(t), 0);

	/* Interim after a lost Start re-creates. */
	CHECK_INT(apply(t, &i, 400), LWBS_RADIUS_INSERTED);
	CHECK_STR(imsi_at(t, 0x0a000001), "262011111111111");

	/* Records the extractor would refuse are rejected. */
	struct lwbs_radius_binding bad = mk(1, 0, "S", "", 1);
	CHECK_INT(apply(t, &bad, 1), -EINVAL);
	bad = mk(1, 0x0a000009, "", "", 1);
	CHECK_INT(apply(t, &bad, 1), -EINVAL);
	bad = mk(1, 0x0a000009, "S", "", 1);
	bad.has &= ~(uint32_t)LWBS_RADIUS_HAS_NAS_IPV4;
	CHECK_INT(apply(t, &bad, 1), -EINVAL);
	bad = mk(15, 0x0a000009, "S", "", 1);
	CHECK_INT(apply(t, &bad, 1), -EINVAL);
	lwbs_radius_table_destroy(t);
	lwbs_radius_table_destroy(NULL);
}

static void test_reuse(void)
{
	struct lwbs_radius_table *t = lwbs_radius_table_create();
	struct lwbs_radius_binding a = mk(1, 0x0a000005, "S1", "262010000000001", 1);
	struct lwbs_radius_binding b = mk(1, 0x0a000005, "S2", "262010000000002", 1);
	CHECK_INT(apply(t, &a, 1), LWBS_RADIUS_INSERTED);
	CHECK_INT(apply(t, &b, 2), LWBS_RADIUS_REPLACED);
	CHECK_STR(imsi_at(t, 0x0a000005), "262010000000002");
	/* The late Stop of the old session leaves the new binding alone. */
	struct lwbs_radius_binding s = mk(2, 0x0a000005, "S1", "", 1);
	CHECK_INT(apply(t, &s, 3), LWBS_RADIUS_IGNORED);
	CHECK_STR(imsi_at(t, 0x0a000005), "262010000000002");

	/* A late Interim of an older session (by Event-Timestamp) is ignored;
	 * a newer one takes the address. */
	b.has |= LWBS_RADIUS_HAS_EVENT_TIME;
	b.event_time = 2000;
	CHECK_INT(apply(t, &b, 4), LWBS_RADIUS_REFRESHED);
	struct lwbs_radius_binding i = mk(3, 0x0a000005, "S1", "262010000000001", 1);
	i.has |= LWBS_RADIUS_HAS_EVENT_TIME;
	i.event_time = 1000;
	CHECK_INT(apply(t, &i, 5), LWBS_RADIUS_IGNORED);
	CHECK_STR(imsi_at(t, 0x0a000005), "262010000000002");
	i.event_time = 3000;
	strcpy(i.session_id, "S3");
	CHECK_INT(apply(t, &i, 6), LWBS_RADIUS_REPLACED);
	CHECK_STR(imsi_at(t, 0x0a000005), "262010000000001");
	CHECK_INT(lwbs_radius_table_count(t), 1);
	lwbs_radius_table_destroy(t);
}

static void test_on_off(void)
{
	struct lwbs_radius_table *t = lwbs_radius_table_create();
	for (uint32_t k = 0; k < 5; k++) {
		char sess[8];
		snprintf(sess, sizeof(sess), "S%u", k);
		struct lwbs_radius_binding b = mk(1, 0x0a000100 + k, sess, "262019", k < 3 ? 1 : 2);
		CHECK_INT(apply(t, &b, 1), LWBS_RADIUS_INSERTED);
	}
	struct lwbs_radius_binding off = mk(8, 0, "", "", 1);
	enum lwbs_radius_apply r;
	size_t removed = 0;
	CHECK_INT(lwbs_radius_table_apply(t, &off, 2, &r, &removed), 0);
	CHECK_INT(r, LWBS_RADIUS_REMOVED);
	CHECK_INT(removed, 3);
	CHECK_INT(lwbs_radius_table_count(t), 2);
	CHECK_STR(imsi_at(t, 0x0a000100), "(none)");
	CHECK_STR(imsi_at(t, 0x0a000103), "262019");
	/* Accounting-On by NAS-Identifier only matches nothing here. */
	struct lwbs_radius_binding on = {.status = 7};
	strcpy(on.nas_id, "pgw");
	CHECK_INT(lwbs_radius_table_apply(t, &on, 3, &r, &removed), 0);
	CHECK_INT(removed, 0);
	on = mk(7, 0, "", "", 2);
	CHECK_INT(lwbs_radius_table_apply(t, &on, 3, &r, &removed), 0);
	CHECK_INT(removed, 2);
	CHECK_INT(lwbs_radius_table_count(t), 0);
	lwbs_radius_table_destroy(t);
}

static struct lwbs_radius_binding mk6(uint8_t status, const char *sess, const char *imsi,
				      const uint8_t *pfx, uint8_t plen)
{
	struct lwbs_radius_binding b = mk(status, 0, sess, imsi, 1);
	b.has |= LWBS_RADIUS_HAS_IPV6;
	memcpy(b.ipv6, pfx, 16);
	b.ipv6_plen = plen;
	return b;
}

static void test_ipv6(void)
{
	struct lwbs_radius_table *t = lwbs_radius_table_create();
	static const uint8_t p64[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2};
	static const uint8_t p56[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0};
	struct lwbs_radius_binding a = mk6(1, "A", "262010000000064", p64, 64);
	struct lwbs_radius_binding b = mk6(1, "B", "262010000000056", p56, 56);
	CHECK_INT(apply(t, &a, 1), LWBS_RADIUS_INSERTED);
	struct lwbs_radius_binding out;
	uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x42};
	CHECK_INT(lwbs_radius_table_lookup6(t, src, &out), 0);
	CHECK_STR(out.imsi, "262010000000064");
	CHECK_INT(out.ipv6_plen, 64);
	uint8_t other[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 3, [15] = 1};
	CHECK_INT(lwbs_radius_table_lookup6(t, other, &out), -ENOENT);
	CHECK_INT(apply(t, &b, 2), LWBS_RADIUS_INSERTED);
	CHECK_INT(lwbs_radius_table_lookup6(t, src, &out), 0);
	CHECK_STR(out.imsi, "262010000000064"); /* longest match */
	CHECK_INT(lwbs_radius_table_lookup6(t, other, &out), 0);
	CHECK_STR(out.imsi, "262010000000056");

	/* Dual stack: a Start that takes the IPv4 address removes the whole
	 * old binding, its prefix too. */
	a = mk6(1, "A", "262010000000064", p64, 64);
	a.has |= LWBS_RADIUS_HAS_IPV4;
	memcpy(a.ipv4, "\x0a\x00\x00\x07", 4);
	CHECK_INT(apply(t, &a, 3), LWBS_RADIUS_REFRESHED);
	struct lwbs_radius_binding c = mk(1, 0x0a000007, "C", "262010000000007", 1);
	CHECK_INT(apply(t, &c, 4), LWBS_RADIUS_REPLACED);
	CHECK_INT(lwbs_radius_table_lookup6(t, src, &out), 0);
	CHECK_STR(out.imsi, "262010000000056");
	/* Stop by prefix. */
	struct lwbs_radius_binding s = mk6(2, "B", "", p56, 56);
	CHECK_INT(apply(t, &s, 5), LWBS_RADIUS_REMOVED);
	CHECK_INT(lwbs_radius_table_lookup6(t, other, &out), -ENOENT);
	CHECK_INT(lwbs_radius_table_count(t), 1);
	lwbs_radius_table_destroy(t);
}

/* Random churn checked against a plain array. */
static void test_churn(void)
{
	struct lwbs_radius_table *t = lwbs_radius_table_create();
	enum { N = 4096 };
	static char owner[N][8];
	uint32_t x = 12345;
	int bad = 0;
	for (int step = 0; step < 100000; step++) {
		x = x * 1103515245u + 12345u;
		uint32_t k = (x >> 8) % N;
		char sess[8];
		snprintf(sess, sizeof(sess), "%u", (x >> 20) % 4);
		uint8_t status = (x & 1) ? 1 : 2;
		struct lwbs_radius_binding b = mk(status, 0x0b000000 + k, sess, "262019", 1);
		apply(t, &b, step);
		if (status == 1)
			strcpy(owner[k], sess);
		else if (strcmp(owner[k], sess) == 0)
			owner[k][0] = 0;
	}
	size_t live = 0;
	for (uint32_t k = 0; k < N; k++) {
		struct lwbs_radius_binding out;
		uint8_t a[4] = {0x0b, 0, (uint8_t)(k >> 8), (uint8_t)k};
		int rc = lwbs_radius_table_lookup4(t, a, &out);
		if (owner[k][0]) {
			live++;
			bad += rc != 0 || strcmp(out.session_id, owner[k]) != 0;
		} else {
			bad += rc != -ENOENT;
		}
	}
	CHECK_INT(bad, 0);
	CHECK_INT(lwbs_radius_table_count(t), live);
	lwbs_radius_table_destroy(t);
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;
	if (f) {
		if (fscanf(f, "%ld %ld", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static void test_million(void)
{
	long before = rss_kib();
	struct lwbs_radius_table *t = lwbs_radius_table_create();
	struct lwbs_radius_binding b = mk(1, 0, "", "", 1);
	strcpy(b.msisdn, "491701234567");
	strcpy(b.apn, "lwm2m.example");
	strcpy(b.mcc_mnc, "26201");
	strcpy(b.imeisv, "3520990012345601");
	b.has |= LWBS_RADIUS_HAS_IPV4;
	int fails = 0;
	enum { N = 1000000 };
	for (uint32_t k = 0; k < N; k++) {
		uint32_t ip = 0x0a000000 + k;
		b.ipv4[0] = (uint8_t)(ip >> 24);
		b.ipv4[1] = (uint8_t)(ip >> 16);
		b.ipv4[2] = (uint8_t)(ip >> 8);
		b.ipv4[3] = (uint8_t)ip;
		snprintf(b.session_id, sizeof(b.session_id), "C00002010%07X", k);
		snprintf(b.imsi, sizeof(b.imsi), "26201%010u", k);
		enum lwbs_radius_apply r;
		fails += lwbs_radius_table_apply(t, &b, 1, &r, NULL) != 0 || r != LWBS_RADIUS_INSERTED;
	}
	CHECK_INT(fails, 0);
	CHECK_INT(lwbs_radius_table_count(t), N);
	size_t mem = lwbs_radius_table_memory(t);
	long rss = rss_kib() - before;
	fprintf(stderr, "1e6 bindings: table %zu bytes (%.1f per binding incl. ~%zu string bytes), "
		"RSS +%ld KiB (%.1f bytes per binding)\n", mem, (double)mem / N,
		(size_t)(9 + 16 + 15 + 12 + 16 + 5 + 13), rss, rss * 1024.0 / N);
	CHECK(mem / N < 250);
	CHECK_STR(imsi_at(t, 0x0a000000 + 777777), "262010000777777");
	lwbs_radius_table_destroy(t);
}

static void test_dupcache(void)
{
	struct lwbs_radius_dupcache *c = lwbs_radius_dupcache_create(4, 30);
	struct lwbs_radius_peer p = {.addr = {[10] = 0xff, [11] = 0xff, 192, 0, 2, 1}, .port = 40000};
	uint8_t a1[16] = {1}, a2[16] = {2};
	CHECK_INT(lwbs_radius_dupcache_check(c, &p, 7, a1, 100), LWBS_RADIUS_DUP_NEW);
	CHECK_INT(lwbs_radius_dupcache_check(c, &p, 7, a1, 101), LWBS_RADIUS_DUP_IN_PROGRESS);
	lwbs_radius_dupcache_mark_answered(c, &p, 7, a1);
	CHECK_INT(lwbs_radius_dupcache_check(c, &p, 7, a1, 102), LWBS_RADIUS_DUP_ANSWERED);
	/* Another port, another id: different requests. */
	struct lwbs_radius_peer q = p;
	q.port = 40001;
	CHECK_INT(lwbs_radius_dupcache_check(c, &q, 7, a1, 102), LWBS_RADIUS_DUP_NEW);
	CHECK_INT(lwbs_radius_dupcache_check(c, &p, 8, a1, 102), LWBS_RADIUS_DUP_NEW);
	/* Same key, new authenticator: a new request replacing the old. */
	CHECK_INT(lwbs_radius_dupcache_check(c, &p, 7, a2, 103), LWBS_RADIUS_DUP_NEW);
	CHECK_INT(lwbs_radius_dupcache_check(c, &p, 7, a2, 103), LWBS_RADIUS_DUP_IN_PROGRESS);
	lwbs_radius_dupcache_mark_answered(c, &p, 7, a1); /* stale: no effect */
	CHECK_INT(lwbs_radius_dupcache_check(c, &p, 7, a2, 104), LWBS_RADIUS_DUP_IN_PROGRESS);
	/* A failed request is processed again when retransmitted. */
	lwbs_radius_dupcache_forget(c, &p, 7, a2);
	CHECK_INT(lwbs_radius_dupcache_check(c, &p, 7, a2, 105), LWBS_RADIUS_DUP_NEW);
	/* Age limit. */
	lwbs_radius_dupcache_mark_answered(c, &p, 7, a2);
	CHECK_INT(lwbs_radius_dupcache_check(c, &p, 7, a2, 135), LWBS_RADIUS_DUP_ANSWERED);
	CHECK_INT(lwbs_radius_dupcache_check(c, &p, 7, a2, 136), LWBS_RADIUS_DUP_NEW);
	lwbs_radius_dupcache_destroy(c);

	/* Size bound: a one-set cache of 4 evicts its oldest entry. */
	c = lwbs_radius_dupcache_create(1, 30);
	for (uint8_t id = 0; id < 4; id++)
		CHECK_INT(lwbs_radius_dupcache_check(c, &p, id, a1, 10 + id), LWBS_RADIUS_DUP_NEW);
	CHECK_INT(lwbs_radius_dupcache_check(c, &p, 4, a1, 20), LWBS_RADIUS_DUP_NEW);
	CHECK_INT(lwbs_radius_dupcache_check(c, &p, 1, a1, 21), LWBS_RADIUS_DUP_IN_PROGRESS);
	CHECK_INT(lwbs_radius_dupcache_check(c, &p, 0, a1, 21), LWBS_RADIUS_DUP_NEW);
	lwbs_radius_dupcache_destroy(c);
	lwbs_radius_dupcache_destroy(NULL);
}

TEST_MAIN(test_start_interim_stop, test_reuse, test_on_off, test_ipv6, test_churn,
	  test_million, test_dupcache)
