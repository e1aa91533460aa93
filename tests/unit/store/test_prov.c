/* Provisioning YAML loader: the example file, identities, and every
 * rejection with its file:line:column message. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "lwbs/err.h"
#include "lwbs/model.h"
#include "lwbs/prov.h"
#include "lwbs/store_embedded.h"

#include "../test.h"

#define EXAMPLE LWBS_SRCDIR "/config/provisioning/example.yaml"

static const char base_profiles[] = "profiles:\n"
				    "  - name: p\n"
				    "    servers:\n"
				    "      - uri: coap://dm.example.net\n"
				    "        ssid: 101\n"
				    "        security: nosec\n";

/* Loads the buffers (named a.yaml, b.yaml, ...) and runs every stage; returns
 * the first error code, with the message in err. *out gets the set on
 * success. */
static int load(const char *const *bufs, size_t n, char *err, size_t cap, struct lwbs_prov **out)
{
	struct lwbs_prov *p = lwbs_prov_create();
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "%c.yaml", (char)('a' + i));
		rc = lwbs_prov_load_buffer(p, name, bufs[i], strlen(bufs[i]), NULL, err, cap);
	}
	if (!rc)
		rc = lwbs_prov_finish(p, err, cap);
	if (!rc)
		rc = lwbs_prov_build_plans(p, err, cap);
	if (rc || !out)
		lwbs_prov_destroy(p);
	else
		*out = p;
	return rc;
}

/* The profile above followed by text, expected to fail with msg. */
static void expect_err(const char *text, const char *msg)
{
	char buf[4096], err[512] = "";
	const char *bufs[1] = {buf};

	snprintf(buf, sizeof(buf), "%s", text);
	int rc = load(bufs, 1, err, sizeof(err), NULL);
	CHECK(rc < 0);
	if (!strstr(err, msg)) {
		test_failures++;
		fprintf(stderr, "error \"%s\" does not contain \"%s\"\n", err, msg);
	}
	test_checks++;
}

static void expect_err_p(const char *text, const char *msg)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s%s", base_profiles, text);
	expect_err(buf, msg);
}

static const struct lwbs_node *res(const struct lwbs_bs_plan *pl, int o, int i, int r)
{
	struct lwbs_path p = LWBS_PATH_RES((uint16_t)o, (uint16_t)i, (uint16_t)r);
	return lwbs_node_find(pl->objects, &p);
}

static void test_example(void)
{
	char err[512] = "";
	struct lwbs_prov *p = lwbs_store_embedded_load((const char *const[]){EXAMPLE}, 1, err, sizeof(err));
	const struct lwbs_prov_device *d;
	const struct lwbs_node *n;

	CHECK(p != NULL);
	if (!p) {
		fprintf(stderr, "example: %s\n", err);
		return;
	}
	CHECK_INT(p->n_profiles, 4);
	CHECK_INT(p->n_devices, 5);

	/* by every identity kind */
	d = lwbs_prov_find(p, LWBS_IDENT_ENDPOINT, "sensor-0003", 11);
	CHECK(d && !strcmp(d->profile->name, "nosec-basic"));
	CHECK(d && d->plan.endpoint && !strcmp(d->plan.endpoint, "sensor-0003"));
	d = lwbs_prov_find(p, LWBS_IDENT_IMSI, "001010000000002", 15);
	CHECK(d && !strcmp(d->ident[0], "urn:imei:356938035643809"));
	d = lwbs_prov_find(p, LWBS_IDENT_MSISDN, "491700000001", 12);
	CHECK(d && !strcmp(d->ident[0], "urn:imei:490154203237518"));
	d = lwbs_prov_find(p, LWBS_IDENT_MSISDN, "+491700000002", 13);
	CHECK(d && !strcmp(d->ident[0], "urn:imei:356938035643809"));
	/* IMEI given as imeisv matches the IMEI (14 digits + check digit) */
	d = lwbs_prov_find(p, LWBS_IDENT_IMEI, "356938035643809", 15);
	CHECK(d && !strcmp(d->ident[0], "urn:imei:356938035643809"));
	d = lwbs_prov_find(p, LWBS_IDENT_IMEI, "4901542032375101", 16); /* IMEISV of the first */
	CHECK(d && !strcmp(d->ident[0], "urn:imei:490154203237518"));
	d = lwbs_prov_find(p, LWBS_IDENT_PSK_ID, "meter-0004", 10);
	CHECK(d && d->psk_key.len == 16 && d->psk_key.secret);
	d = lwbs_prov_find(p, LWBS_IDENT_CERT_SUBJECT, "CN=meter-0004,O=Example", 23);
	CHECK(d && !strcmp(d->ident[0], "meter-0004"));
	/* unknown values and prefixes are not found */
	CHECK(lwbs_prov_find(p, LWBS_IDENT_ENDPOINT, "sensor-000", 10) == NULL);
	CHECK(lwbs_prov_find(p, LWBS_IDENT_ENDPOINT, "sensor-00033", 12) == NULL);
	CHECK(lwbs_prov_find(p, LWBS_IDENT_IMSI, "001010000000009", 15) == NULL);
	CHECK(lwbs_prov_find(p, LWBS_IDENT_CERT_SUBJECT, "x", 1) == NULL);
	CHECK(lwbs_prov_find(p, LWBS_IDENT_COUNT, "x", 1) == NULL);

	/* a device without overrides shares its profile's tree */
	d = lwbs_prov_find(p, LWBS_IDENT_ENDPOINT, "urn:imei:356938035643809", 24);
	CHECK(d && d->plan.objects == d->profile->plan.objects);
	CHECK(d && d->plan.content_format == LWBS_CF_SENML_CBOR);
	CHECK(d && d->plan.n_deletes == 4);
	n = d ? res(&d->plan, 0, 0, LWBS_SEC_PUBKEY_OR_ID) : NULL;
	CHECK(n && n->value.v.bytes.len == 13 && !memcmp(n->value.v.bytes.ptr, "fleet-default", 13));
	/* the one with overrides has its own PSK, the rest of the profile */
	d = lwbs_prov_find(p, LWBS_IDENT_ENDPOINT, "urn:imei:490154203237518", 24);
	CHECK(d && d->plan.objects != d->profile->plan.objects);
	n = d ? res(&d->plan, 0, 0, LWBS_SEC_PUBKEY_OR_ID) : NULL;
	CHECK(n && n->value.v.bytes.len == 24 && !memcmp(n->value.v.bytes.ptr, "urn:imei:490154203237518", 24));
	n = d ? res(&d->plan, 0, 0, LWBS_SEC_SECRET_KEY) : NULL;
	CHECK(n && n->value.v.bytes.len == 16 && n->value.v.bytes.ptr[0] == 0x9f);
	n = d ? res(&d->plan, 1, 0, LWBS_SRV_LIFETIME) : NULL;
	CHECK(n && n->value.v.i == 3600);
	n = d ? res(&d->plan, 1, 0, 10) : NULL; /* APN link */
	CHECK(n && n->value.type == LWBS_TYPE_OBJLNK && n->value.v.objlnk.oid == 11 && n->value.v.objlnk.iid == 0);
	/* the new Bootstrap-Server account after the DM server */
	n = d ? res(&d->plan, 0, 1, LWBS_SEC_BOOTSTRAP) : NULL;
	CHECK(n && n->value.v.b == true);
	n = d ? res(&d->plan, 0, 1, LWBS_SEC_HOLD_OFF) : NULL;
	CHECK(n && n->value.v.i == 10);
	CHECK(d && res(&d->plan, 0, 1, LWBS_SEC_SSID) == NULL);
	n = d ? res(&d->plan, 0, 1, LWBS_SEC_SECRET_KEY) : NULL;
	CHECK(n && n->value.v.bytes.len == 22 && !memcmp(n->value.v.bytes.ptr, "fleet-bootstrap-key-01", 22));
	/* overrides of a flag only */
	d = lwbs_prov_find(p, LWBS_IDENT_ENDPOINT, "meter-0004", 10);
	CHECK(d && d->plan.content_format == LWBS_CF_TLV && d->plan.read_existing && d->plan.keep_existing &&
	      d->plan.write_per_object && !d->plan.allow_pack && d->plan.discover);
	n = d ? res(&d->plan, 1, 1, 22) : NULL;
	CHECK(n && n->value.type == LWBS_TYPE_STRING && n->value.v.bytes.len == 1);
	d = lwbs_prov_find(p, LWBS_IDENT_ENDPOINT, "lab-0005", 8);
	CHECK(d && !d->plan.discover && !d->plan.auto_security_iid && d->plan.n_deletes == 1 &&
	      d->plan.deletes[0].len == 0);
	n = d ? res(&d->plan, 0, 0, LWBS_SEC_OSCORE) : NULL;
	CHECK(n && n->value.v.objlnk.oid == 21 && n->value.v.objlnk.iid == 0);
	n = d ? res(&d->plan, 21, 0, 3) : NULL;
	CHECK(n && n->value.v.i == 10);
	lwbs_prov_destroy(p);
}

static void test_errors(void)
{
	/* servers */
	expect_err("profiles:\n  - name: p\n    servers:\n      - uri: coap://x\n        ssid: 0\n        security: nosec\n",
		   "a.yaml:5:15: 0 is out of range 1..65534");
	expect_err("profiles:\n  - name: p\n    servers:\n      - uri: coap://x\n        ssid: 70000\n        security: nosec\n",
		   "a.yaml:5:15: 70000 is out of range 1..65534");
	expect_err("profiles:\n  - name: p\n    servers:\n      - uri: coap://x\n        ssid: 1\n        security: tls\n",
		   "a.yaml:6:19: security must be nosec, psk, rpk, x509 or est");
	expect_err("profiles:\n  - name: p\n    servers:\n      - uri: coaps://x\n        ssid: 1\n        security: psk\n"
		   "        psk_identity: id\n        psk_key: hex:00zz\n",
		   "a.yaml:8:18: bad hex digit");
	expect_err("profiles:\n  - name: p\n    servers:\n      - uri: coaps://x\n        ssid: 1\n        security: psk\n"
		   "        psk_identity: id\n        psk_key: abc\n",
		   "a.yaml:8:18: odd number of hex digits");
	expect_err("profiles:\n  - name: p\n    servers:\n      - uri: coaps://x\n        ssid: 1\n        security: psk\n"
		   "        psk_identity: id\n        psk_key: base64:@@@@\n",
		   "a.yaml:8:18: bad base64");
	expect_err("profiles:\n  - name: p\n    servers:\n      - uri: coaps://x\n        ssid: 1\n        security: psk\n"
		   "        psk_identity: id\n",
		   "a.yaml:4:9: server: psk needs psk_identity and psk_key");
	expect_err("profiles:\n  - name: p\n    servers:\n      - uri: coap://x\n        ssid: 1\n        security: psk\n"
		   "        psk_identity: id\n        psk_key: '0011'\n",
		   "does not fit the URI scheme");
	expect_err("profiles:\n  - name: p\n    servers:\n      - uri: http://x\n        ssid: 1\n        security: nosec\n",
		   "a.yaml:4:14: URI must start with coap://");
	expect_err("profiles:\n  - name: p\n    servers:\n      - uri: coap://x\n        ssid: 1\n        security: nosec\n"
		   "        psk_key: file:/etc/passwd\n",
		   "a.yaml:7:18: file: references are not allowed here");
	expect_err("profiles:\n  - name: p\n    servers:\n      - uri: coap://x\n        ssid: 1\n        security: nosec\n"
		   "        lifetim: 5\n",
		   "a.yaml:7:9: unknown key \"lifetim\" in server");
	expect_err("profiles:\n  - name: p\n    servers:\n      - uri: coap://x\n        ssid: 1\n        ssid: 2\n        security: nosec\n",
		   "a.yaml:6:9: duplicate key \"ssid\"");
	expect_err("profiles:\n  - name: p\n    servers:\n      - uri: coap://x\n        security: nosec\n",
		   "a.yaml:4:9: server needs ssid");
	expect_err("profiles:\n  - name: p\n    servers:\n      - uri: coap://x\n        ssid: 1\n        security: nosec\n"
		   "        binding: UX\n",
		   "a.yaml:7:18: binding letters");
	expect_err("profiles:\n  - name: p\n    servers:\n      - uri: coap://x\n        ssid: 1\n        security: nosec\n"
		   "        apn: nope\n",
		   "no apn entry named \"nope\"");
	expect_err("profiles:\n  - name: p\n    servers:\n      - uri: coap://x\n        ssid: 1\n        security: nosec\n"
		   "      - uri: coap://y\n        ssid: 1\n        security: nosec\n",
		   "a.yaml:7:9: ssid 1 used twice");
	expect_err("profiles:\n  - name: p\n    servers: []\n", "a.yaml:2:5: profile \"p\" has no servers");
	expect_err("profiles:\n  - name: p\n    servers:\n      - uri: coap://x\n        ssid: 1\n        security: nosec\n"
		   "        lifetime: -1\n",
		   "a.yaml:7:19: -1 is out of range");
	expect_err("profiles:\n  - name: p\n    servers:\n      - uri: coap://x\n        ssid: 1\n        security: nosec\n"
		   "        notification_storing: yes\n",
		   "a.yaml:7:31: expected true or false");
	/* profile-level keys */
	expect_err_p("    content_format: xml\n", "a.yaml:7:21: content_format must be");
	expect_err_p("    delete: [\"/0/1/2\"]\n", "a.yaml:7:14: delete paths are");
	expect_err_p("    keep_existing: true\n", "keep_existing needs read_existing");
	expect_err_p("    servrs: []\n", "a.yaml:7:5: unknown key \"servrs\" in profile");
	expect_err_p("    acl:\n      - object: 3\n        instance: 0\n        entries: {101: RWX}\n",
		     "a.yaml:10:24: rights are letters from RWEDC");
	expect_err_p("    acl:\n      - object: 0\n        instance: 0\n", "a.yaml:8:17: 0 is out of range 1..65534");
	expect_err_p("    apn:\n      - name: a\n        auth: radius\n", "a.yaml:9:15: auth must be");
	expect_err_p("    objects:\n      - path: /3/0\n        resources: {99: 1}\n", "a.yaml:9:21: resource /3/99 is not in the model");
	expect_err_p("    objects:\n      - path: /3/0\n        resources: {4: 1}\n", "executable");
	expect_err_p("    objects:\n      - path: /3/0\n        resources: {13: abc}\n", "a.yaml:9:25: expected an integer");
	expect_err_p("    objects:\n      - path: /10250/0\n        resources: {1: 5}\n", "object 10250 is not in the model");
	expect_err_p("    objects:\n      - path: /10250/0\n        resources: {1: {type: blob, value: 5}}\n", "unknown type");
	expect_err_p("    objects:\n      - path: /1/0\n", "a.yaml:8:9: /1/0 is already written by this profile");
	expect_err_p("    objects:\n      - path: /3/0\n        resources: {6: 1}\n", "is multiple");
	/* profiles and devices */
	expect_err_p("  - name: p\n    servers: []\n", "a.yaml:7:5: profile \"p\" already defined at a.yaml:2");
	expect_err_p("devices:\n  - endpoint: e\n    profile: q\n", "a.yaml:8:5: device \"e\": no profile named \"q\"");
	expect_err_p("devices:\n  - endpoint: e\n", "a.yaml:8:5: device needs profile");
	expect_err_p("devices:\n  - profile: p\n", "device needs endpoint");
	expect_err_p("devices:\n  - endpoint: e\n    profile: p\n    imsi: 12ab\n", "a.yaml:10:11: imsi must be 5..15 digits");
	expect_err_p("devices:\n  - endpoint: e\n    profile: p\n    imsi: \"1234\"\n", "imsi must be 5..15 digits");
	expect_err_p("devices:\n  - endpoint: e\n    profile: p\n    imei: \"12345678901234\"\n", "imei must be 15 digits");
	expect_err_p("devices:\n  - endpoint: e\n    profile: p\n    imeisv: \"123456789012345\"\n", "imeisv must be 16 digits");
	expect_err_p("devices:\n  - endpoint: e\n    profile: p\n    imei: \"123456789012345\"\n    imeisv: \"1234567890123456\"\n",
		     "a.yaml:11:5: give either imei or imeisv");
	expect_err_p("devices:\n  - endpoint: e\n    profile: p\n    colour: red\n", "a.yaml:10:5: unknown key \"colour\" in device");
	expect_err_p("devices:\n  - endpoint: e\n    profile: p\n    overrides:\n      servers:\n        - lifetime: 5\n",
		     "a.yaml:12:11: a server in overrides needs ssid");
	expect_err_p("devices:\n  - endpoint: e\n    profile: p\n    overrides:\n      servers:\n        - ssid: 101\n          security: psk\n",
		     "a.yaml:11:7: device \"e\" with its overrides: a.yaml:4:9: server: security with keys does not fit");
	expect_err_p("devices:\n  - endpoint: e\n    profile: p\n    overrides:\n      name: x\n",
		     "unknown key \"name\" in overrides");
	/* YAML itself */
	expect_err("profiles: [\n", "a.yaml:2:1: YAML:");
	expect_err("x: &a [1]\ny: *a\n", "a.yaml:1:1: unknown key \"x\"");
	expect_err("profiles:\n  - &p\n    name: p\n    servers:\n      - uri: coap://x\n        ssid: 1\n        security: nosec\n  - *p\n",
		   "YAML aliases are not supported");
	expect_err("- 1\n", "a.yaml:1:1: expected a mapping");
}

static void test_ok_minimal(void)
{
	char err[256] = "";
	struct lwbs_prov *p = NULL;
	const char *bufs[2] = {base_profiles, "---\n...\n---\ndevices:\n  - {endpoint: e, profile: p}\n"};

	CHECK_INT(load(bufs, 2, err, sizeof(err), &p), 0);
	if (!p) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	const struct lwbs_prov_device *d = lwbs_prov_find(p, LWBS_IDENT_ENDPOINT, "e", 1);
	CHECK(d != NULL);
	/* defaults */
	CHECK(d && d->plan.discover && d->plan.auto_security_iid && d->plan.allow_pack && !d->plan.read_existing &&
	      !d->plan.keep_existing && !d->plan.write_per_object && d->plan.content_format == LWBS_CF_NONE);
	CHECK(d && d->plan.n_deletes == 2 && d->plan.deletes[0].len == 1 && d->plan.deletes[0].id[0] == 0 &&
	      d->plan.deletes[1].id[0] == 1);
	if (d) {
		const struct lwbs_node *n = res(&d->plan, 1, 0, LWBS_SRV_LIFETIME);
		CHECK(n && n->value.v.i == 86400);
		n = res(&d->plan, 1, 0, LWBS_SRV_BINDING);
		CHECK(n && n->value.v.bytes.len == 1 && n->value.v.bytes.ptr[0] == 'U');
		n = res(&d->plan, 1, 0, 6);
		CHECK(n && n->value.v.b);
		CHECK(res(&d->plan, 1, 0, 2) == NULL && res(&d->plan, 1, 0, 16) == NULL);
		struct lwbs_path ip = LWBS_PATH_INST(1, 0);
		CHECK_INT(lwbs_node_count(lwbs_node_find(d->plan.objects, &ip)), 4);
		n = res(&d->plan, 0, 0, LWBS_SEC_SECRET_KEY);
		CHECK(n && n->value.type == LWBS_TYPE_OPAQUE && n->value.v.bytes.len == 0);
		n = res(&d->plan, 0, 0, LWBS_SEC_MODE);
		CHECK(n && n->value.v.i == 3);
	}
	lwbs_prov_destroy(p);
}

/* Credentials other than PSK reach the plan typed as object 0 defines
 * them: X.509 certificate, private key and server certificate, RPK keys,
 * and through security_resources the SNI (/0/x/14, string), certificate
 * usage (/0/x/15, integer) and cipher suites (/0/x/16, multiple). */
static void test_tls_credentials(void)
{
	static const char text[] =
		"profiles:\n"
		"  - name: x\n"
		"    servers:\n"
		"      - uri: coaps://dm.example.net\n"
		"        ssid: 101\n"
		"        security: x509\n"
		"        certificate: hex:3082000130\n"
		"        private_key: base64:AAECAw==\n"
		"        server_certificate: hex:30820002aabb\n"
		"        security_resources: {14: dm.example.net, 15: 3, 16: [49320, 49324]}\n"
		"      - uri: coaps://dm2.example.net\n"
		"        ssid: 102\n"
		"        security: rpk\n"
		"        public_key: hex:04aabbcc\n"
		"        private_key: hex:0102\n"
		"        server_public_key: hex:04ddeeff\n"
		"devices:\n"
		"  - {endpoint: e, profile: x}\n";
	const char *bufs[1] = {text};
	struct lwbs_prov *p = NULL;
	char err[256] = "";
	const struct lwbs_node *n;

	CHECK_INT(load(bufs, 1, err, sizeof(err), &p), 0);
	if (!p) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	const struct lwbs_prov_device *d = lwbs_prov_find(p, LWBS_IDENT_ENDPOINT, "e", 1);
	CHECK(d != NULL);
	if (d) {
		n = res(&d->plan, 0, 0, LWBS_SEC_MODE);
		CHECK(n && n->value.v.i == 2);
		n = res(&d->plan, 0, 0, LWBS_SEC_PUBKEY_OR_ID);
		CHECK(n && n->value.type == LWBS_TYPE_OPAQUE && n->value.v.bytes.len == 5 &&
		      !memcmp(n->value.v.bytes.ptr, "\x30\x82\x00\x01\x30", 5));
		n = res(&d->plan, 0, 0, LWBS_SEC_SECRET_KEY);
		CHECK(n && n->value.v.bytes.len == 4 && n->value.v.bytes.ptr[3] == 3);
		n = res(&d->plan, 0, 0, LWBS_SEC_SERVER_PUBKEY);
		CHECK(n && n->value.v.bytes.len == 6 && n->value.v.bytes.ptr[5] == 0xbb);
		n = res(&d->plan, 0, 0, 14);
		CHECK(n && n->value.type == LWBS_TYPE_STRING && n->value.v.bytes.len == 14 &&
		      !memcmp(n->value.v.bytes.ptr, "dm.example.net", 14));
		n = res(&d->plan, 0, 0, 15);
		CHECK(n && n->value.v.i == 3);
		struct lwbs_path rp = LWBS_PATH_RI(0, 0, 16, 1);
		n = lwbs_node_find(d->plan.objects, &rp);
		CHECK(n && n->value.v.i == 49324);
		n = res(&d->plan, 0, 1, LWBS_SEC_MODE);
		CHECK(n && n->value.v.i == 1);
		n = res(&d->plan, 0, 1, LWBS_SEC_PUBKEY_OR_ID);
		CHECK(n && n->value.v.bytes.len == 4 && n->value.v.bytes.ptr[0] == 0x04);
		n = res(&d->plan, 0, 1, LWBS_SEC_SERVER_PUBKEY);
		CHECK(n && n->value.v.bytes.len == 4 && n->value.v.bytes.ptr[3] == 0xff);
	}
	lwbs_prov_destroy(p);
	/* the model types them: a string where /0/x/15 wants an integer */
	expect_err("profiles:\n  - name: y\n    servers:\n      - uri: coaps://dm\n        ssid: 5\n"
		   "        security: psk\n        psk_identity: a\n        psk_key: hex:00\n"
		   "        security_resources: {15: three}\n",
		   "a.yaml:9:");
}

static void test_duplicates(void)
{
	const char *dev_a = "devices:\n  - endpoint: e1\n    profile: p\n    imsi: \"00101123\"\n";
	const char *bufs[3] = {base_profiles, dev_a, NULL};
	char err[512] = "";

	bufs[2] = "devices:\n\n  - endpoint: e1\n    profile: p\n";
	CHECK(load(bufs, 3, err, sizeof(err), NULL) == -EEXIST);
	CHECK_STR(err, "c.yaml:3:5: duplicate endpoint \"e1\" (also device \"e1\" at b.yaml:2:5)");
	bufs[2] = "devices:\n  - endpoint: e2\n    profile: p\n    imsi: \"00101123\"\n";
	CHECK(load(bufs, 3, err, sizeof(err), NULL) == -EEXIST);
	CHECK_STR(err, "c.yaml:2:5: duplicate imsi \"00101123\" (also device \"e1\" at b.yaml:2:5)");
	bufs[1] = "devices:\n  - endpoint: e1\n    profile: p\n    msisdn: \"+4912345\"\n";
	bufs[2] = "devices:\n  - endpoint: e2\n    profile: p\n    msisdn: \"4912345\"\n";
	CHECK(load(bufs, 3, err, sizeof(err), NULL) == -EEXIST);
	CHECK(strstr(err, "duplicate msisdn") != NULL);
	bufs[1] = "devices:\n  - endpoint: e1\n    profile: p\n    imei: \"490154203237518\"\n";
	bufs[2] = "devices:\n  - endpoint: e2\n    profile: p\n    imeisv: \"4901542032375199\"\n";
	CHECK(load(bufs, 3, err, sizeof(err), NULL) == -EEXIST);
	CHECK(strstr(err, "duplicate imei") != NULL);
	bufs[1] = "devices:\n  - endpoint: e1\n    profile: p\n    psk_identity: x\n";
	bufs[2] = "devices:\n  - endpoint: e2\n    profile: p\n    psk_identity: x\n";
	CHECK(load(bufs, 3, err, sizeof(err), NULL) == -EEXIST);
	CHECK(strstr(err, "duplicate psk_identity") != NULL);
	bufs[1] = "devices:\n  - endpoint: e1\n    profile: p\n    cert_subject: CN=x\n";
	bufs[2] = "devices:\n  - endpoint: e2\n    profile: p\n    cert_subject: CN=x\n";
	CHECK(load(bufs, 3, err, sizeof(err), NULL) == -EEXIST);
	CHECK(strstr(err, "duplicate cert_subject") != NULL);
	/* profile defined in two files */
	bufs[1] = base_profiles;
	CHECK(load(bufs, 2, err, sizeof(err), NULL) < 0);
	CHECK_STR(err, "b.yaml:2:5: profile \"p\" already defined at a.yaml:2");
	/* devices may come before their profile's file */
	bufs[0] = "devices:\n  - {endpoint: e, profile: p}\n";
	CHECK_INT(load(bufs, 2, err, sizeof(err), NULL), 0);
}

static void test_validate_versions(void)
{
	char err[512] = "";
	struct lwbs_prov *p = lwbs_store_embedded_load((const char *const[]){EXAMPLE}, 1, err, sizeof(err));
	struct lwbs_model_error merr;

	CHECK(p != NULL);
	if (!p)
		return;
	for (size_t i = 0; i < p->n_profiles; i++) {
		const struct lwbs_prov_profile *pr = p->profiles[i];
		/* every profile is valid for a 1.1 client; for 1.2 all but the
		 * OSCORE one (object 21 2.0 made its strings opaque) */
		int rc12 = lwbs_model_validate(pr->plan.objects, LWBS_V1_2, true, &merr);
		if (!strcmp(pr->name, "oscore-lab"))
			CHECK(rc12 == LWBS_ETYPE && merr.path.id[0] == 21);
		else
			CHECK_INT(rc12, 0);
		int rc11 = lwbs_model_validate(pr->plan.objects, LWBS_V1_1, true, &merr);
		CHECK_INT(rc11, 0);
		if (rc11) {
			char ps[LWBS_PATH_STRMAX];
			lwbs_path_print(&merr.path, ps, sizeof(ps));
			fprintf(stderr, "  %s: %s: %s\n", pr->name, ps, merr.what);
		}
		/* only the one without 1.1 resources (APN link, /1/x/16, /1/x/22,
		 * OSCORE) for a 1.0 client */
		int rc10 = lwbs_model_validate(pr->plan.objects, LWBS_V1_0, true, &merr);
		if (!strcmp(pr->name, "nosec-basic"))
			CHECK_INT(rc10, 0);
		else
			CHECK(rc10 < 0);
	}
	lwbs_prov_destroy(p);
}

/* ---------- lwbs_prov_load_files: the same as one file after another ---------- */

static char files_dir[64];

static void write_text(const char *name, const char *text)
{
	test_write_file(files_dir, name, text);
}

static void count_files(void *arg, size_t done)
{
	size_t *last = arg;

	CHECK_INT(done, *last + 1);
	*last = done;
}

/* Loads names (in files_dir) both ways; both results (rc, message, the
 * endpoints in order) must be the same. Returns the rc. */
static int load_both(const char *const *names, int n, char *err, size_t cap)
{
	struct lwbs_prov *a = lwbs_prov_create(), *b = lwbs_prov_create();
	char *paths[16], err_b[512] = "";
	int rc_a = 0, rc_b;
	size_t last = 0;

	for (int i = 0; i < n; i++) {
		char buf[128];
		snprintf(buf, sizeof(buf), "%s/%s", files_dir, names[i]);
		paths[i] = strdup(buf);
	}
	for (int i = 0; !rc_a && i < n; i++)
		rc_a = lwbs_prov_load_file(a, paths[i], err, cap);
	rc_b = lwbs_prov_load_files(b, paths, n, count_files, &last, err_b, sizeof(err_b));
	CHECK_INT(rc_b, rc_a);
	if (strcmp(err, err_b)) {
		test_failures++;
		fprintf(stderr, "sequential: \"%s\", threaded: \"%s\"\n", err, err_b);
	}
	test_checks++;
	if (!rc_a) {
		CHECK_INT(last, (size_t)n);
		CHECK_INT(b->n_devices, a->n_devices);
		CHECK_INT(b->n_profiles, a->n_profiles);
		for (size_t i = 0; i < a->n_devices && i < b->n_devices; i++) {
			CHECK(!strcmp(a->devices[i].ident[LWBS_IDENT_ENDPOINT], b->devices[i].ident[LWBS_IDENT_ENDPOINT]));
			CHECK_INT(a->devices[i].loc.file, b->devices[i].loc.file);
			CHECK_INT(a->devices[i].loc.line, b->devices[i].loc.line);
		}
	}
	for (int i = 0; i < n; i++)
		free(paths[i]);
	lwbs_prov_destroy(a);
	lwbs_prov_destroy(b);
	return rc_a;
}

static void test_load_files(void)
{
	char err[512], devs[8192];
	size_t off = 0;

	snprintf(files_dir, sizeof(files_dir), "/tmp/lwbs-prov-test-XXXXXX");
	CHECK(mkdtemp(files_dir) != NULL);
	write_text("p.yaml", base_profiles);
	off += (size_t)snprintf(devs + off, sizeof(devs) - off, "devices:\n");
	for (int i = 0; i < 40; i++)
		off += (size_t)snprintf(devs + off, sizeof(devs) - off,
					"  - endpoint: d-%d\n    profile: p\n    imsi: \"0010100000%05d\"\n", i, i);
	write_text("d1.yaml", devs);
	write_text("d2.yaml", "devices:\n  - endpoint: e-1\n    profile: p\n---\ndevices:\n  - endpoint: e-2\n"
			      "    profile: p\n---\n---\ndevices:\n  - endpoint: e-3\n    profile: p\n");
	write_text("empty.yaml", "");
	write_text("syntax.yaml", "devices:\n  - endpoint: s-1\n    profile: p\n---\ndevices: [\n");
	write_text("walk.yaml", "devices:\n  - endpoint: w-1\n    profile: p\n    colour: red\n");

	const char *ok[] = {"p.yaml", "d1.yaml", "empty.yaml", "d2.yaml"};
	CHECK_INT(load_both(ok, 4, err, sizeof(err)), 0);
	/* d2 twice: loads (duplicates are found by lwbs_prov_finish) */
	const char *ok2[] = {"d2.yaml", "p.yaml", "d1.yaml", "empty.yaml", "d2.yaml"};
	CHECK_INT(load_both(ok2, 5, err, sizeof(err)), 0);
	CHECK_INT(load_both(ok + 3, 1, err, sizeof(err)), 0);

	/* the first error in file order, wherever the parsing thread is */
	const char *syn[] = {"p.yaml", "d1.yaml", "syntax.yaml", "d2.yaml", "d1.yaml"};
	CHECK(load_both(syn, 5, err, sizeof(err)) < 0);
	CHECK(strstr(err, "syntax.yaml:6:1: YAML") != NULL);
	const char *walk[] = {"walk.yaml", "d1.yaml", "d2.yaml", "d1.yaml", "d2.yaml", "d1.yaml", "p.yaml"};
	CHECK(load_both(walk, 7, err, sizeof(err)) < 0);
	CHECK(strstr(err, "walk.yaml:4:5") != NULL);
	const char *missing[] = {"p.yaml", "d2.yaml", "nope.yaml", "d1.yaml"};
	CHECK(load_both(missing, 4, err, sizeof(err)) < 0);
	CHECK(strstr(err, "nope.yaml: No such file") != NULL);

	const char *names[] = {"p.yaml", "d1.yaml", "d2.yaml", "empty.yaml", "syntax.yaml", "walk.yaml"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[128];
		snprintf(path, sizeof(path), "%s/%s", files_dir, names[i]);
		CHECK_INT(unlink(path), 0);
	}
	CHECK_INT(rmdir(files_dir), 0);
}

TEST_MAIN(test_example, test_ok_minimal, test_errors, test_tls_credentials, test_duplicates, test_validate_versions, test_load_files)
