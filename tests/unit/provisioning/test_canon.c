/* Canonical documents of provisioning (provisioning/canon.c): exact JSON,
 * secrets kept apart, digests, the diff rule, and the round trip through
 * the loader (JSON is YAML). */
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>

#include "lwbs/provision.h"
#include "../test.h"

static const char yaml[] =
	"profiles:\n"
	"  - name: p\n"
	"    servers:\n"
	"      - uri: coaps://dm.example.net:5684\n"
	"        ssid: 101\n"
	"        security: psk\n"
	"        psk_identity: fleet\n"
	"        psk_key: hex:0001\n"
	"        lifetime: 60\n"
	"    apn:\n"
	"      - name: iot\n"
	"        secret: s\"q\n"
	"    objects:\n"
	"      - path: /10250/0\n"
	"        resources: {0: {type: float, value: 0.1}, 1: {type: integer, value: [1, -2]}}\n"
	"devices:\n"
	"  - endpoint: \"ep\\t1\"\n"
	"    profile: p\n"
	"    msisdn: \"+4917\"\n"
	"    imeisv: \"3569380356438001\"\n"
	"    psk_identity: ep1\n"
	"    psk_key: a1b2\n"
	"    batch: b\n"
	"    overrides:\n"
	"      servers: [{ssid: 101, psk_key: hex:ffee}]\n";

static struct lwbs_prov *load(const char *text, bool allow_redacted)
{
	struct lwbs_prov *p = lwbs_prov_create();
	char err[256];

	p->allow_redacted = allow_redacted;
	if (lwbs_prov_load_buffer(p, "t.yaml", text, strlen(text), NULL, err, sizeof(err)) ||
	    lwbs_prov_finish(p, err, sizeof(err))) {
		fprintf(stderr, "load: %s\n", err);
		lwbs_prov_destroy(p);
		return NULL;
	}
	return p;
}

static char *json(const struct lwbs_provision_doc *d)
{
	char *s = malloc(d->json.len + 1);
	memcpy(s, d->json.data, d->json.len);
	s[d->json.len] = 0;
	return s;
}

static void test_profile(void)
{
	struct lwbs_prov *p = load(yaml, false);
	struct lwbs_provision_doc d;
	char *s;

	CHECK(p);
	if (!p)
		return;
	lwbs_provision_doc_init(&d);
	CHECK_INT(lwbs_provision_profile_doc(p->profiles[0], &d), 0);
	s = json(&d);
	CHECK_STR(s, "{\"name\":\"p\",\"servers\":[{\"uri\":\"coaps://dm.example.net:5684\",\"ssid\":101,"
		     "\"security\":\"psk\",\"psk_identity\":\"fleet\",\"psk_key\":\"redacted\",\"lifetime\":60}],"
		     "\"apn\":[{\"name\":\"iot\",\"auth\":\"none\",\"secret\":\"redacted\"}],"
		     "\"objects\":[{\"path\":\"/10250/0\",\"resources\":{\"0\":{\"type\":\"float\",\"value\":"
		     "0.10000000000000001},\"1\":{\"type\":\"integer\",\"value\":{\"0\":1,\"1\":-2}}}}]}");
	CHECK_INT(d.n_secrets, 2);
	if (d.n_secrets == 2) {
		CHECK_STR(d.secrets[0].path, "{servers,0,psk_key}");
		CHECK_INT(d.secrets[0].len, 2);
		CHECK(!d.secrets[0].text && !d.secrets[0].redacted);
		CHECK_STR(d.secrets[1].path, "{apn,0,secret}");
		CHECK(d.secrets[1].text);
		CHECK_INT(d.secrets[1].len, 3);
	}
	CHECK(!d.has_redacted);
	free(s);
	lwbs_provision_doc_finish(&d);
	lwbs_prov_destroy(p);
}

static void test_device(void)
{
	struct lwbs_prov *p = load(yaml, false);
	struct lwbs_provision_doc d;
	char *s;

	CHECK(p);
	if (!p)
		return;
	lwbs_provision_doc_init(&d);
	CHECK_INT(lwbs_provision_device_doc(&p->devices[0], &d), 0);
	s = json(&d);
	CHECK_STR(s, "{\"endpoint\":\"ep\\t1\",\"profile\":\"p\",\"msisdn\":\"+4917\",\"imeisv\":\"3569380356438001\","
		     "\"psk_identity\":\"ep1\",\"psk_key\":\"redacted\",\"batch\":\"b\","
		     "\"overrides\":{\"servers\":[{\"ssid\":101,\"psk_key\":\"redacted\"}]}}");
	CHECK_INT(d.n_secrets, 2);
	if (d.n_secrets == 2) {
		CHECK_STR(d.secrets[0].path, "{psk_key}");
		CHECK_STR(d.secrets[1].path, "{overrides,servers,0,psk_key}");
		CHECK(d.secrets[1].len == 2 && d.secrets[1].ptr[0] == 0xff);
	}
	/* the overrides object as it stands in the document */
	const char *ov = "{\"servers\":[{\"ssid\":101,\"psk_key\":\"redacted\"}]}";
	CHECK_MEM((const uint8_t *)d.json.data + d.overrides_off, d.overrides_len, ov, strlen(ov));
	free(s);
	lwbs_provision_doc_finish(&d);
	lwbs_prov_destroy(p);
}

/* SHA-256 of the document: check against a digest computed
 * independently (Python hashlib) for a small fixed profile. */
static void test_digest(void)
{
	static const uint8_t want[32] = {
		0xcb, 0x02, 0x81, 0x40, 0xd9, 0xeb, 0xc8, 0xaf, 0xf9, 0xba, 0xa5, 0x1e, 0x46, 0xb8, 0x10, 0xda,
		0x8d, 0x17, 0x57, 0x0a, 0x66, 0xf2, 0x1e, 0x87, 0xa6, 0x01, 0xdd, 0xbc, 0x4c, 0x07, 0x99, 0x5f,
	};
	struct lwbs_prov *p = load("profiles:\n  - name: x\n    servers: [{uri: coap://h, ssid: 1, security: nosec}]\n",
				   false);
	struct lwbs_provision_doc d;

	CHECK(p);
	if (!p)
		return;
	lwbs_provision_doc_init(&d);
	CHECK_INT(lwbs_provision_profile_doc(p->profiles[0], &d), 0);
	CHECK_INT(d.json.len, 71);
	CHECK_MEM(d.hash_redacted, 32, want, 32);
	lwbs_provision_doc_finish(&d);
	lwbs_prov_destroy(p);
}

/* The diff rule, and that secrets change `hash` but not `hash_redacted`. */
static void test_compare(void)
{
	const char *a = "profiles: [{name: p, servers: [{uri: coaps://h, ssid: 1, security: psk, psk_identity: i, psk_key: '0102'}]}]\n";
	const char *b = "profiles: [{name: p, servers: [{uri: coaps://h, ssid: 1, security: psk, psk_identity: i, psk_key: '0103'}]}]\n";
	const char *r = "profiles: [{name: p, servers: [{uri: coaps://h, ssid: 1, security: psk, psk_identity: i, psk_key: redacted}]}]\n";
	struct lwbs_prov *pa = load(a, false), *pb = load(b, false), *pr = load(r, true), *refused = load(r, false);
	struct lwbs_provision_doc da, db, dr;

	CHECK(pa && pb && pr);
	CHECK(!refused);
	if (!pa || !pb || !pr)
		return;
	lwbs_provision_doc_init(&da);
	lwbs_provision_doc_init(&db);
	lwbs_provision_doc_init(&dr);
	CHECK_INT(lwbs_provision_profile_doc(pa->profiles[0], &da), 0);
	CHECK_INT(lwbs_provision_profile_doc(pb->profiles[0], &db), 0);
	CHECK_INT(lwbs_provision_profile_doc(pr->profiles[0], &dr), 0);
	CHECK(memcmp(da.hash, db.hash, 32) != 0);
	/* hash: SHA-256 over the document, then per secret its path, NUL, its
	 * length (64-bit big-endian) and its value (checked with OpenSSL). */
	CHECK(da.n_secrets == 1 && da.secrets[0].len == 2);
	CHECK(da.json.len < 400);
	if (da.n_secrets == 1 && da.json.len < 400) {
		uint8_t want[32], all[512];
		size_t pl = strlen(da.secrets[0].path) + 1, n = da.json.len;
		memcpy(all, da.json.data, n);
		memcpy(all + n, da.secrets[0].path, pl);
		n += pl;
		memcpy(all + n, "\0\0\0\0\0\0\0\2", 8);
		memcpy(all + n + 8, da.secrets[0].ptr, 2);
		SHA256(all, n + 10, want);
		CHECK_MEM(da.hash, 32, want, 32);
		SHA256(da.json.data, da.json.len, want);
		CHECK_MEM(da.hash_redacted, 32, want, 32);
	}
	CHECK_MEM(da.hash_redacted, 32, db.hash_redacted, 32);
	CHECK_MEM(da.hash_redacted, 32, dr.hash_redacted, 32);
	CHECK(dr.has_redacted && dr.n_secrets == 1 && dr.secrets[0].redacted);
	CHECK_INT(lwbs_provision_compare(&da, da.hash, da.hash_redacted), LWBS_PROVISION_SAME);
	CHECK_INT(lwbs_provision_compare(&db, da.hash, da.hash_redacted), LWBS_PROVISION_CHANGED);
	CHECK_INT(lwbs_provision_compare(&da, NULL, da.hash_redacted), LWBS_PROVISION_CHANGED);
	CHECK_INT(lwbs_provision_compare(&da, NULL, NULL), LWBS_PROVISION_CHANGED);
	/* redacted input: equal documents keep the stored secrets */
	CHECK_INT(lwbs_provision_compare(&dr, da.hash, da.hash_redacted), LWBS_PROVISION_SAME);
	CHECK_INT(lwbs_provision_compare(&dr, NULL, da.hash_redacted), LWBS_PROVISION_SAME);
	CHECK_INT(lwbs_provision_compare(&dr, da.hash, NULL), LWBS_PROVISION_CHANGED);
	lwbs_provision_doc_finish(&da);
	lwbs_provision_doc_finish(&db);
	lwbs_provision_doc_finish(&dr);
	lwbs_prov_destroy(pa);
	lwbs_prov_destroy(pb);
	lwbs_prov_destroy(pr);
}

/* The canonical JSON (with spaces, as PostgreSQL prints jsonb) loads back
 * to the same document: export -> apply finds nothing changed. */
static void test_round_trip(void)
{
	struct lwbs_prov *p = load(yaml, false), *q;
	struct lwbs_provision_doc d1, d2;
	struct lwbs_buf y;

	CHECK(p);
	if (!p)
		return;
	lwbs_provision_doc_init(&d1);
	lwbs_provision_doc_init(&d2);
	lwbs_buf_init(&y, 0);
	lwbs_buf_puts(&y, "profiles:\n  - ");
	CHECK_INT(lwbs_provision_profile_doc(p->profiles[0], &d1), 0);
	for (size_t i = 0; i < d1.json.len; i++) {
		lwbs_buf_putc(&y, d1.json.data[i]);
		if (d1.json.data[i] == ',' || (d1.json.data[i] == ':' && d1.json.data[i - 1] == '"'))
			lwbs_buf_putc(&y, ' ');
	}
	lwbs_buf_puts(&y, "\ndevices:\n  - ");
	CHECK_INT(lwbs_provision_device_doc(&p->devices[0], &d1), 0);
	for (size_t i = 0; i < d1.json.len; i++) {
		lwbs_buf_putc(&y, d1.json.data[i]);
		if (d1.json.data[i] == ',' || (d1.json.data[i] == ':' && d1.json.data[i - 1] == '"'))
			lwbs_buf_putc(&y, ' ');
	}
	lwbs_buf_puts(&y, "\n");
	lwbs_buf_putc(&y, 0);
	q = load((const char *)y.data, true);
	CHECK(q);
	if (q) {
		CHECK_INT(lwbs_provision_profile_doc(p->profiles[0], &d1), 0);
		CHECK_INT(lwbs_provision_profile_doc(q->profiles[0], &d2), 0);
		CHECK_INT(d1.json.len, d2.json.len);
		CHECK_MEM(d1.hash_redacted, 32, d2.hash_redacted, 32);
		CHECK_INT(lwbs_provision_device_doc(&p->devices[0], &d1), 0);
		CHECK_INT(lwbs_provision_device_doc(&q->devices[0], &d2), 0);
		CHECK_MEM(d1.hash_redacted, 32, d2.hash_redacted, 32);
		CHECK(d2.has_redacted);
		lwbs_prov_destroy(q);
	}
	lwbs_buf_finish(&y);
	lwbs_provision_doc_finish(&d1);
	lwbs_provision_doc_finish(&d2);
	lwbs_prov_destroy(p);
}

static void test_ident_key(void)
{
	const char *k;

	CHECK_INT(lwbs_provision_ident_key(LWBS_IDENT_MSISDN, "+4917", &k), 4);
	CHECK(!strncmp(k, "4917", 4));
	CHECK_INT(lwbs_provision_ident_key(LWBS_IDENT_IMEI, "3569380356438001", &k), 14);
	CHECK_INT(lwbs_provision_ident_key(LWBS_IDENT_IMSI, "00101", &k), 5);
	CHECK_STR(lwbs_provision_ident_sql(LWBS_IDENT_PSK_ID), "psk_id");
}

TEST_MAIN(test_profile, test_device, test_digest, test_compare, test_round_trip, test_ident_key)
