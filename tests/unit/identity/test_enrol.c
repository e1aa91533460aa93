/* Resolution against the embedded store with a state journal: several
 * source addresses -> the right devices, refusals with reasons,
 * auto-enrolment, generated credentials kept across re-bootstrap and
 * restart, rotation, journal recovery. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <unistd.h>

#include "lwbs/identity.h"
#include "lwbs/node.h"
#include "lwbs/store_embedded.h"
#include "lwbs/store_state.h"

#include "../test.h"

static const char yaml[] =
	"profiles:\n"
	"  - name: fixed\n"
	"    servers: [{uri: 'coap://dm.example:5683', ssid: 1, security: nosec}]\n"
	"  - name: vanilla\n"
	"    servers:\n"
	"      - uri: coaps://dm.example:5684\n"
	"        ssid: 101\n"
	"        security: psk\n"
	"        generate_credentials: {psk_identity: 'dm-{imsi}', key_length: 24}\n"
	"  - name: rotating\n"
	"    servers:\n"
	"      - uri: coaps://dm.example:5684\n"
	"        ssid: 7\n"
	"        security: psk\n"
	"        generate_credentials: {psk_identity: '{endpoint}', rotate: true}\n"
	"devices:\n"
	"  - {endpoint: dev-a, profile: fixed, imsi: '262010000000001'}\n"
	"  - {endpoint: 'urn:imei:490154203237518', profile: vanilla, imsi: '262010000000002', imei: '490154203237518'}\n"
	"  - {endpoint: dev-r, profile: rotating, imsi: '262010000000003'}\n"
	"templates:\n"
	"  - {plmn: '26201', apn: iot.example, profile: vanilla}\n";

#define NB 6
static struct lwbs_radius_binding bindings[NB];

static int fake_binding(void *arg, const struct sockaddr *src, int64_t now, struct lwbs_radius_binding *out)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)src;
	uint8_t last = (uint8_t)(ntohl(sin->sin_addr.s_addr) & 0xff);

	for (int i = 0; i < NB; i++)
		if (bindings[i].ipv4[3] == last && bindings[i].imsi[0]) {
			*out = bindings[i];
			return 0;
		}
	return -ENOENT;
}

static void set_binding(int i, const char *imsi, const char *imeisv, const char *apn)
{
	struct lwbs_radius_binding *b = &bindings[i];

	memset(b, 0, sizeof(*b));
	b->ipv4[0] = 127;
	b->ipv4[3] = (uint8_t)(i + 2);
	strcpy(b->imsi, imsi);
	if (imeisv)
		strcpy(b->imeisv, imeisv);
	strcpy(b->mcc_mnc, "26201");
	strcpy(b->sgsn_mcc_mnc, "26201");
	strcpy(b->apn, apn);
	b->updated = 100;
}

struct answer {
	int calls, err;
	const struct lwbs_bs_plan *plan;
	struct lwbs_store_hold *hold;
	enum lwbs_identity_reason why;
};

static void on_done(void *arg, int err, const struct lwbs_bs_plan *plan, struct lwbs_store_hold *hold,
		    enum lwbs_identity_reason why)
{
	struct answer *a = arg;

	a->calls++;
	a->err = err;
	a->plan = plan;
	a->hold = hold;
	a->why = why;
}

static char dir[64], prov_path[96], state_path[96];
static const char *const apns[] = {"iot.example"};

static struct lwbs_store *open_store(void)
{
	char err[256];
	const char *files[] = {prov_path};
	struct lwbs_store *s = lwbs_store_embedded_create(files, 1, err, sizeof(err));

	if (!s || lwbs_store_embedded_open_state(s, state_path, err, sizeof(err))) {
		fprintf(stderr, "store: %s\n", err);
		exit(1);
	}
	return s;
}

static struct answer resolve(struct lwbs_store *s, bool enrol, int host, const char *ep)
{
	struct lwbs_identity_policy pol;
	struct lwbs_identity_resolver r = {.store = s, .policy = &pol, .binding = fake_binding};
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct answer a = {0};

	lwbs_identity_policy_init(&pol);
	pol.trusted_apns = apns;
	pol.n_trusted_apns = 1;
	pol.auto_enrol = enrol;
	sin.sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)host);
	CHECK_INT(lwbs_identity_resolve(&r, (struct sockaddr *)&sin, ep, 150, on_done, &a), 0);
	CHECK_INT(a.calls, 1);
	return a;
}

static const struct lwbs_value *res(const struct lwbs_bs_plan *p, uint16_t o, uint16_t i, uint16_t r)
{
	struct lwbs_path path = LWBS_PATH_RES(o, i, r);
	const struct lwbs_node *n = lwbs_node_find(p->objects, &path);
	return n ? &n->value : NULL;
}

static void key_of(const struct lwbs_bs_plan *p, uint16_t iid, uint8_t *key, size_t *len, char *id)
{
	const struct lwbs_value *k = res(p, 0, iid, 5), *v = res(p, 0, iid, 3);

	*len = 0;
	id[0] = 0;
	if (k && v) {
		memcpy(key, k->v.bytes.ptr, k->v.bytes.len);
		*len = k->v.bytes.len;
		memcpy(id, v->v.bytes.ptr, v->v.bytes.len);
		id[v->v.bytes.len] = 0;
	}
}

static void setup(void)
{
	FILE *f;

	strcpy(dir, "/tmp/lwbs-ident-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(prov_path, sizeof(prov_path), "%s/prov.yaml", dir);
	snprintf(state_path, sizeof(state_path), "%s/state.journal", dir);
	f = fopen(prov_path, "w");
	fputs(yaml, f);
	fclose(f);
	set_binding(0, "262010000000001", NULL, "iot.example");               /* 127.0.0.2: dev-a */
	set_binding(1, "262010000000002", "4901542032375101", "IOT.example"); /* .3: imei device */
	set_binding(2, "262010000000003", NULL, "iot.example");               /* .4: dev-r */
	set_binding(3, "262019999999999", "3520990012345601", "iot.example"); /* .5: unknown */
	set_binding(4, "262018888888888", "3520990012345701", "iot.other");   /* .6: untrusted apn */
}

static void test_addresses(void)
{
	struct lwbs_store *s = open_store();
	struct answer a = resolve(s, false, 2, NULL);

	CHECK_INT(a.why, LWBS_IDENTITY_OK);
	CHECK(a.plan && !strcmp(a.plan->endpoint, "dev-a"));
	lwbs_store_release(s, a.hold);
	a = resolve(s, false, 3, "urn:imei:490154203237518");
	CHECK(a.plan && !strcmp(a.plan->endpoint, "urn:imei:490154203237518"));
	lwbs_store_release(s, a.hold);
	a = resolve(s, false, 4, "dev-r");
	CHECK(a.plan && !strcmp(a.plan->endpoint, "dev-r"));
	lwbs_store_release(s, a.hold);
	lwbs_store_destroy(s);
}

static void test_refusals(void)
{
	struct lwbs_store *s = open_store();
	struct answer a;

	a = resolve(s, true, 9, NULL);
	CHECK_INT(a.why, LWBS_IDENTITY_NO_BINDING);
	CHECK(!a.plan);
	a = resolve(s, true, 6, NULL);
	CHECK_INT(a.why, LWBS_IDENTITY_APN_NOT_TRUSTED);
	a = resolve(s, false, 2, "dev-b"); /* another device's name */
	CHECK_INT(a.why, LWBS_IDENTITY_ENDPOINT_MISMATCH);
	CHECK(!a.plan);
	a = resolve(s, false, 3, "urn:imei:490154203237526"); /* IMEI not the binding's */
	CHECK_INT(a.why, LWBS_IDENTITY_ENDPOINT_MISMATCH);
	a = resolve(s, false, 5, NULL); /* unknown, no auto-enrolment */
	CHECK_INT(a.why, LWBS_IDENTITY_OK);
	CHECK(!a.plan && !a.err);
	lwbs_store_destroy(s);
}

static void test_generated(void)
{
	struct lwbs_store *s = open_store();
	uint8_t k1[64], k2[64];
	size_t l1, l2;
	char id1[300], id2[300];
	struct answer a = resolve(s, false, 3, NULL);

	CHECK(a.plan != NULL);
	key_of(a.plan, 0, k1, &l1, id1);
	CHECK_INT(l1, 24);
	CHECK_STR(id1, "dm-262010000000002");
	lwbs_store_release(s, a.hold);
	a = resolve(s, false, 3, "urn:imei:490154203237518"); /* re-bootstrap */
	key_of(a.plan, 0, k2, &l2, id2);
	CHECK_MEM(k2, l2, k1, l1);
	lwbs_store_release(s, a.hold);
	lwbs_store_destroy(s);

	s = open_store(); /* restart: from the journal */
	a = resolve(s, false, 3, NULL);
	key_of(a.plan, 0, k2, &l2, id2);
	CHECK_MEM(k2, l2, k1, l1);
	CHECK_STR(id2, id1);
	lwbs_store_release(s, a.hold);

	a = resolve(s, false, 4, NULL); /* rotate: a new key each time */
	key_of(a.plan, 0, k1, &l1, id1);
	CHECK_INT(l1, 16);
	CHECK_STR(id1, "dev-r");
	lwbs_store_release(s, a.hold);
	a = resolve(s, false, 4, NULL);
	key_of(a.plan, 0, k2, &l2, id2);
	CHECK_INT(l2, 16);
	CHECK(memcmp(k1, k2, 16) != 0);
	lwbs_store_release(s, a.hold);
	lwbs_store_destroy(s);

	struct lwbs_store_state *st;
	char err[200];
	CHECK_INT(lwbs_store_state_read(state_path, &st, err, sizeof(err)), 0);
	const struct lwbs_store_state_cred *c = lwbs_store_state_cred(st, "dev-r", 7);
	CHECK(c && c->key_len == 16 && !memcmp(c->key, k2, 16));
	lwbs_store_state_destroy(st);
}

static void test_enrolment(void)
{
	struct lwbs_store *s = open_store();
	uint8_t k1[64], k2[64];
	size_t l1, l2;
	char id1[300], id2[300];
	struct answer a = resolve(s, true, 5, NULL);

	CHECK_INT(a.why, LWBS_IDENTITY_OK);
	CHECK(a.plan && !strcmp(a.plan->endpoint, "urn:imei:352099001234562")); /* Luhn digit */
	key_of(a.plan, 0, k1, &l1, id1);
	CHECK_STR(id1, "dm-262019999999999");
	lwbs_store_release(s, a.hold);
	lwbs_store_destroy(s);

	s = open_store(); /* known now, even without auto_enrol */
	a = resolve(s, false, 5, "urn:imei:352099001234562");
	CHECK(a.plan && !strcmp(a.plan->endpoint, "urn:imei:352099001234562"));
	key_of(a.plan, 0, k2, &l2, id2);
	CHECK_MEM(k2, l2, k1, l1);
	lwbs_store_release(s, a.hold);

	/* No template for that PLMN. */
	set_binding(5, "310410000000001", NULL, "iot.example");
	strcpy(bindings[5].mcc_mnc, "310410");
	strcpy(bindings[5].sgsn_mcc_mnc, "310410");
	a = resolve(s, true, 7, NULL);
	CHECK_INT(a.why, LWBS_IDENTITY_NO_TEMPLATE);
	CHECK(!a.plan);
	a = resolve(s, true, 7, "sensor-x");
	CHECK_INT(a.why, LWBS_IDENTITY_NO_TEMPLATE);
	lwbs_store_destroy(s);
}

static void test_journal_recovery(void)
{
	struct lwbs_store_state *st;
	char err[200], path[128];
	FILE *f;
	uint8_t key[16] = {1, 2, 3};

	snprintf(path, sizeof(path), "%s/j2", dir);
	f = fopen(path, "w");
	fputs("cred ts=1 endpoint=a%20b ssid=3 identity=x key=00112233445566778899aabbccddeeff\n"
	      "cred ts=2 endpoint=a%20b ssid=3 identity=y key=ff", f);
	fclose(f);
	CHECK_INT(lwbs_store_state_open(path, &st, err, sizeof(err)), 0);
	const struct lwbs_store_state_cred *c = lwbs_store_state_cred(st, "a b", 3);
	CHECK(c && !strcmp(c->identity, "x") && c->key_len == 16);
	CHECK_INT(lwbs_store_state_put_cred(st, "a b", 3, "z=1", key, sizeof(key), 5), 0);
	lwbs_store_state_destroy(st);
	CHECK_INT(lwbs_store_state_read(path, &st, err, sizeof(err)), 0);
	c = lwbs_store_state_cred(st, "a b", 3);
	CHECK(c && !strcmp(c->identity, "z=1") && !memcmp(c->key, key, 16));
	CHECK_INT(lwbs_store_state_n_creds(st), 1);
	lwbs_store_state_destroy(st);

	f = fopen(path, "a");
	fputs("bogus line\n", f);
	fclose(f);
	CHECK(lwbs_store_state_open(path, &st, err, sizeof(err)) < 0);
	CHECK(strstr(err, ":3: ") != NULL);
	unlink(path);
}

static void cleanup(void)
{
	unlink(prov_path);
	unlink(state_path);
	rmdir(dir);
}

TEST_MAIN(setup, test_addresses, test_refusals, test_generated, test_enrolment, test_journal_recovery, cleanup)
