/* Embedded store: lookups through the vtable, holds across reloads, failed
 * reloads, X.509 credentials from files, and 100,000 devices. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "lwbs/model.h"
#include "lwbs/prov.h"
#include "lwbs/store_embedded.h"

#include "../test.h"

#define DATA LWBS_SRCDIR "/tests/unit/store/data"

static char dir[64];

static void write_file(const char *name, const char *text)
{
	test_write_file(dir, name, text);
}

struct got {
	int calls, err;
	const struct lwbs_bs_plan *plan;
	struct lwbs_store_hold *hold;
};

static void on_lookup(void *arg, int err, const struct lwbs_bs_plan *plan, struct lwbs_store_hold *hold)
{
	struct got *g = arg;
	g->calls++;
	g->err = err;
	g->plan = plan;
	g->hold = hold;
}

static struct got lookup(struct lwbs_store *s, enum lwbs_ident_kind k, const char *v)
{
	struct got g = {0};
	struct lwbs_store_query q = {k, v, strlen(v)};
	CHECK_INT(lwbs_store_lookup(s, &q, on_lookup, &g), 0);
	CHECK_INT(g.calls, 1); /* synchronous */
	return g;
}

static int64_t lifetime(const struct lwbs_bs_plan *pl)
{
	struct lwbs_path p = LWBS_PATH_RES(1, 0, 1);
	const struct lwbs_node *n = lwbs_node_find(pl->objects, &p);
	return n ? n->value.v.i : -1;
}

static const char profile_v1[] = "profiles:\n  - name: p\n    servers:\n"
				 "      - {uri: coap://dm, ssid: 1, security: nosec, lifetime: 111}\n";
static const char profile_v2[] = "profiles:\n  - name: p\n    servers:\n"
				 "      - {uri: coap://dm, ssid: 1, security: nosec, lifetime: 222}\n";
static const char devices[] = "devices:\n  - {endpoint: dev-1, profile: p, imsi: '001010000000001'}\n";

static void test_reload(void)
{
	char err[256] = "", pa[128], pb[128];
	const char *files[2] = {pa, pb};
	struct lwbs_store *s;
	struct got g1, g2, g3;

	snprintf(pa, sizeof(pa), "%s/profiles.yaml", dir);
	snprintf(pb, sizeof(pb), "%s/devices.yaml", dir);
	write_file("profiles.yaml", profile_v1);
	write_file("devices.yaml", devices);
	s = lwbs_store_embedded_create(files, 2, err, sizeof(err));
	CHECK(s != NULL);
	if (!s) {
			return;
	}
	CHECK_STR(s->ops->name, "embedded");
	CHECK(s->ops->audit == NULL);
	CHECK_INT(lwbs_store_embedded_current(s)->n_devices, 1);

	g1 = lookup(s, LWBS_IDENT_ENDPOINT, "dev-1");
	CHECK(g1.err == 0 && g1.plan && g1.hold);
	CHECK_INT(lifetime(g1.plan), 111);
	CHECK_STR(g1.plan->endpoint, "dev-1");
	g2 = lookup(s, LWBS_IDENT_IMSI, "001010000000001");
	CHECK(g2.plan == g1.plan);
	lwbs_store_release(s, g2.hold);
	g2 = lookup(s, LWBS_IDENT_ENDPOINT, "dev-2");
	CHECK(g2.err == 0 && g2.plan == NULL && g2.hold == NULL);
	lwbs_store_release(s, g2.hold); /* NULL hold: no-op */

	/* reload: new data served, the held plan still readable */
	write_file("profiles.yaml", profile_v2);
	CHECK_INT(s->ops->reload(s, err, sizeof(err)), 0);
	g2 = lookup(s, LWBS_IDENT_ENDPOINT, "dev-1");
	CHECK(g2.plan && g2.plan != g1.plan);
	CHECK_INT(lifetime(g2.plan), 222);
	CHECK_INT(lifetime(g1.plan), 111);
	CHECK_STR(g1.plan->endpoint, "dev-1");
	lwbs_store_release(s, g1.hold); /* frees the old snapshot */

	/* failed reload keeps the current data and says where */
	write_file("devices.yaml", "devices:\n  - {endpoint: dev-1, profile: nope}\n");
	CHECK(s->ops->reload(s, err, sizeof(err)) < 0);
	CHECK(strstr(err, "/devices.yaml:2:5: device \"dev-1\": no profile named \"nope\"") != NULL);
	write_file("devices.yaml", "devices:\n  - {endpoint: dev-1, profile: p, ssid: 1}\n");
	CHECK(s->ops->reload(s, err, sizeof(err)) < 0);
	CHECK(strstr(err, "/devices.yaml:2:35: unknown key \"ssid\" in device") != NULL);
	unlink(pb);
	CHECK(s->ops->reload(s, err, sizeof(err)) < 0);
	CHECK(strstr(err, "devices.yaml: No such file or directory") != NULL);
	g3 = lookup(s, LWBS_IDENT_ENDPOINT, "dev-1");
	CHECK(g3.plan == g2.plan);
	CHECK_INT(lifetime(g3.plan), 222);
	lwbs_store_release(s, g3.hold);
	lwbs_store_release(s, g2.hold);
	lwbs_store_destroy(s);
	unlink(pa);

	/* create fails with the message */
	CHECK(lwbs_store_embedded_create(files, 2, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "profiles.yaml: No such file or directory") != NULL);
}

static void test_x509_files(void)
{
	char err[512] = "", path[128], yaml[1024];
	const char *files[1] = {path};
	struct lwbs_prov *p;
	const struct lwbs_prov_device *d;

	snprintf(path, sizeof(path), "%s/x509.yaml", dir);
	snprintf(yaml, sizeof(yaml),
		 "profiles:\n  - name: x\n    servers:\n      - uri: coaps://dm\n        ssid: 5\n"
		 "        security: x509\n        certificate: file:%s/client.crt\n"
		 "        private_key: file:%s/client.key\n        server_certificate: file:%s/server.crt\n"
		 "devices:\n  - {endpoint: c, profile: x}\n",
		 DATA, DATA, DATA);
	write_file("x509.yaml", yaml);
	p = lwbs_store_embedded_load(files, 1, err, sizeof(err));
	CHECK(p != NULL);
	if (!p) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	d = lwbs_prov_find(p, LWBS_IDENT_ENDPOINT, "c", 1);
	CHECK(d != NULL);
	if (d) {
		const struct lwbs_prov_server *sv = &d->profile->servers[0];
		/* PEM converted to DER: a SEQUENCE with a two-byte length */
		CHECK(sv->identity.len == 392 && sv->identity.ptr[0] == 0x30 && sv->identity.ptr[1] == 0x82);
		CHECK(sv->secret_key.len == 138 && sv->secret_key.ptr[0] == 0x30 && sv->secret_key.secret);
		CHECK(sv->server_key.len > 300 && sv->server_key.ptr[0] == 0x30);
		struct lwbs_path mp = LWBS_PATH_RES(0, 0, 2);
		const struct lwbs_node *n = lwbs_node_find(d->plan.objects, &mp);
		CHECK(n && n->value.v.i == 2);
	}
	lwbs_prov_destroy(p);
	/* a file that is not there, and a relative path resolved beside the YAML */
	write_file("x509.yaml", "profiles:\n  - name: x\n    servers:\n      - uri: coaps://dm\n        ssid: 5\n"
				"        security: x509\n        certificate: file:missing.crt\n");
	p = lwbs_store_embedded_load(files, 1, err, sizeof(err));
	CHECK(p == NULL);
	CHECK(strstr(err, "x509.yaml:7:22: cannot open") != NULL && strstr(err, "/missing.crt") != NULL);
	write_file("bad.pem", "-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n");
	write_file("x509.yaml", "profiles:\n  - name: x\n    servers:\n      - uri: coaps://dm\n        ssid: 5\n"
				"        security: x509\n        certificate: file:bad.pem\n");
	p = lwbs_store_embedded_load(files, 1, err, sizeof(err));
	CHECK(p == NULL);
	CHECK(strstr(err, "x509.yaml:7:22: malformed PEM") != NULL);
	snprintf(yaml, sizeof(yaml), "%s/bad.pem", dir);
	unlink(yaml);
	unlink(path);
}

static long status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			kb = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return kb;
}

/* CPU time: the machine is shared, wall time says little. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_many_devices(void)
{
	enum { N = 100000 };
	char path[128], err[256] = "";
	const char *files[1] = {path};
	FILE *f;
	struct lwbs_store *s;

	snprintf(path, sizeof(path), "%s/many.yaml", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "profiles:\n  - name: p\n    servers:\n      - uri: coaps://dm.example.net\n        ssid: 101\n"
		   "        security: psk\n        psk_identity: fleet\n        psk_key: hex:00112233445566778899aabbccddeeff\n"
		   "    apn: [{name: iot, apn: iot.example.net}]\n"
		   "    acl: [{object: 3, instance: 0, owner: 101, entries: {101: RWE}}]\n"
		   "devices:\n");
	for (int i = 0; i < N; i++) {
		fprintf(f, "  - endpoint: urn:imei:3569380%07d0\n    profile: p\n    imsi: \"0010100%08d\"\n"
			   "    msisdn: \"4917%08d\"\n    imei: \"3569380%07d0\"\n    batch: b1\n",
			i, i, i, i);
		if (i % 10 == 0) /* every tenth device has its own DM PSK */
			fprintf(f, "    overrides:\n      servers: [{ssid: 101, psk_identity: d%d, psk_key: hex:%032x}]\n", i, i);
	}
	fclose(f);

	long before = status_kb("VmRSS:");
	double t0 = now_s();
	s = lwbs_store_embedded_create(files, 1, err, sizeof(err));
	double t1 = now_s();
	long peak = status_kb("VmHWM:");
	CHECK(s != NULL);
	if (!s) {
		fprintf(stderr, "%s\n", err);
		unlink(path);
		return;
	}
	const struct lwbs_prov *p = lwbs_store_embedded_current(s);
	CHECK_INT(p->n_devices, N);
	fprintf(stderr, "  %d devices (10%% with overrides): loaded in %.2f s CPU; kept %zu bytes (%.0f per device); "
			"peak RSS while loading +%ld KiB\n",
		N, t1 - t0, lwbs_prov_memory(p), (double)lwbs_prov_memory(p) / N, peak - before);

	/* every identity of a sample finds its device; time the lookups */
	char v[40];
	double t2 = now_s();
	int found = 0;
	for (int i = 0; i < N; i++) {
		snprintf(v, sizeof(v), "0010100%08d", i);
		struct lwbs_store_query q = {LWBS_IDENT_IMSI, v, strlen(v)};
		struct got g = {0};
		lwbs_store_lookup(s, &q, on_lookup, &g);
		found += g.plan != NULL;
		lwbs_store_release(s, g.hold);
	}
	double t3 = now_s();
	CHECK_INT(found, N);
	fprintf(stderr, "  %d lookups by imsi: %.0f ns each\n", N, (t3 - t2) * 1e9 / N);
	for (int i = 0; i < N; i += 997) {
		struct got g;
		snprintf(v, sizeof(v), "urn:imei:3569380%07d0", i);
		g = lookup(s, LWBS_IDENT_ENDPOINT, v);
		CHECK(g.plan && !strcmp(g.plan->endpoint, v));
		const struct lwbs_bs_plan *pl = g.plan;
		lwbs_store_release(s, g.hold);
		snprintf(v, sizeof(v), "+4917%08d", i);
		g = lookup(s, LWBS_IDENT_MSISDN, v);
		CHECK(g.plan == pl);
		lwbs_store_release(s, g.hold);
		snprintf(v, sizeof(v), "3569380%07d01", i); /* IMEISV */
		g = lookup(s, LWBS_IDENT_IMEI, v);
		CHECK(g.plan == pl);
		lwbs_store_release(s, g.hold);
		/* the shared tree for devices without overrides */
		const struct lwbs_prov_device *d = lwbs_prov_find(p, LWBS_IDENT_ENDPOINT, pl->endpoint, strlen(pl->endpoint));
		CHECK(d && (i % 10 == 0) == (pl->objects != d->profile->plan.objects));
	}
	lwbs_store_destroy(s);
	unlink(path);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/lwbs-store-test-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
}

static void teardown(void)
{
	CHECK_INT(rmdir(dir), 0);
}

TEST_MAIN(setup, test_reload, test_x509_files, test_many_devices, teardown)
