/* Bootstrap-Discover interpretation. */
#include <errno.h>
#include <stdint.h>

#include "../test.h"
#include "lwbs/codec.h"
#include "lwbs/err.h"

static struct lwbs_arena *arena;

static int disc(const char *s, struct lwbs_discover *d)
{
	struct lwbs_linkset ls;
	struct lwbs_discover dummy;
	int rc = lwbs_link_parse((const uint8_t *)s, strlen(s), arena, &ls);
	if (rc)
		return rc;
	return lwbs_discover_parse(&ls, arena, d ? d : &dummy);
}

static void test_example(void)
{
	struct lwbs_discover d;
	CHECK_INT(disc("</>;lwm2m=1.1,</0/0>;ssid=101;uri=\"coaps://server_1.example.com\",</0/1>,</1/0>;ssid=101,"
		       "</3/0>,</5>,</4>,</55>;ver=1.9,</55/0>",
		       &d),
		  0);
	CHECK(d.has_version && d.ver_major == 1 && d.ver_minor == 1);
	static const uint16_t oids[] = {0, 1, 3, 5, 4, 55};
	CHECK_INT(d.n_objs, 6);
	for (size_t i = 0; i < 6 && i < d.n_objs; i++)
		CHECK_INT(d.objs[i].oid, oids[i]);
	CHECK(d.n_objs == 6 && d.objs[5].ver_major == 1 && d.objs[5].ver_minor == 9);
	CHECK(d.n_objs == 6 && d.objs[3].ver_major == 0 && d.objs[3].ver_minor == 0);
	CHECK_INT(d.n_inst, 5);
	if (d.n_inst != 5)
		return;
	CHECK(d.inst[0].oid == 0 && d.inst[0].iid == 0 && d.inst[0].ssid == 101);
	CHECK_STR(d.inst[0].uri, "coaps://server_1.example.com");
	/* The Security instance without ssid is the bootstrap account. */
	CHECK(d.inst[1].oid == 0 && d.inst[1].iid == 1 && d.inst[1].ssid == -1 && d.inst[1].uri == NULL);
	CHECK(d.inst[2].oid == 1 && d.inst[2].iid == 0 && d.inst[2].ssid == 101);
	CHECK(d.inst[3].oid == 3 && d.inst[3].ssid == -1);
	CHECK(d.inst[4].oid == 55 && d.inst[4].iid == 0);
}

static void test_versions(void)
{
	struct lwbs_discover d;
	struct {
		const char *s;
		uint8_t major, minor;
	} ok[] = {
		{"lwm2m=\"1.0\",</0/0>;ssid=1", 1, 0},
		{"lwm2m=1.0,</0/0>;ssid=1", 1, 0},
		{"</>;lwm2m=1.1,</0/0>", 1, 1},
		{"</>;lwm2m=\"1.2\"", 1, 2},
		{"</>;lwm2m=1.1.1", 1, 1},
		{"</>;lwm2m=1.2.2,</1/0>", 1, 2},
		{"lwm2m=\"1.1.1\"", 1, 1},
		{"</>;LwM2M=1.1", 1, 1},
		{"</>;lwm2m=1.1,</>;lwm2m=1.2", 1, 1}, /* the first wins */
		{"</>;lwm2m=01.00", 1, 0},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int rc = disc(ok[i].s, &d);
		if (rc)
			fprintf(stderr, "case %zu: %s\n", i, ok[i].s);
		CHECK_INT(rc, 0);
		CHECK(rc || (d.has_version && d.ver_major == ok[i].major && d.ver_minor == ok[i].minor));
	}
	static const char *bad[] = {
		"</>;lwm2m=1", "</>;lwm2m", "</>;lwm2m=\"\"", "</>;lwm2m=1.", "</>;lwm2m=.1", "</>;lwm2m=1.1.1.1",
		"</>;lwm2m=1.x", "lwm2m=\"v1.0\"", "</>;lwm2m=256.0", "</>;lwm2m=1.0000", "</>;lwm2m=\"1.1 \"",
		"</5>;ver=x", "</5>;ver", "</5>;ver=1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = disc(bad[i], &d);
		if (rc != LWBS_ESYNTAX)
			fprintf(stderr, "bad case %zu: %s\n", i, bad[i]);
		CHECK_INT(rc, LWBS_ESYNTAX);
	}
	/* No version at all. */
	CHECK_INT(disc("</0/0>,</1/0>;ssid=1", &d), 0);
	CHECK(!d.has_version && d.n_objs == 2 && d.n_inst == 2);
	CHECK_INT(disc("", &d), 0);
	CHECK(!d.has_version && d.n_objs == 0 && d.n_inst == 0);
}

static void test_instances(void)
{
	struct lwbs_discover d;
	/* Anjay-style escaped uri, whitespace after separators. */
	CHECK_INT(disc("lwm2m=\"1.0\", </0/2>; ssid=65535; uri=\"coap://h/\\\"q\\\\\", </0/3>;ssid=0;uri=\"\","
		       " </0/4>;ssid=00042;uri=coap://bare:5683",
		       &d),
		  0);
	CHECK(d.has_version && d.ver_major == 1 && d.ver_minor == 0);
	CHECK_INT(d.n_objs, 1);
	CHECK_INT(d.n_inst, 3);
	if (d.n_inst == 3) {
		CHECK_INT(d.inst[0].ssid, 65535);
		CHECK_STR(d.inst[0].uri, "coap://h/\"q\\");
		CHECK_INT(d.inst[1].ssid, 0);
		CHECK_STR(d.inst[1].uri, "");
		CHECK_INT(d.inst[2].ssid, 42);
		CHECK_STR(d.inst[2].uri, "coap://bare:5683");
	}
	CHECK_INT(disc("</0/1>;ssid=65536", &d), LWBS_ERANGE_VAL);
	CHECK_INT(disc("</0/1>;ssid=99999999999999999999", &d), LWBS_ERANGE_VAL);
	CHECK_INT(disc("</0/1>;ssid=-1", &d), LWBS_ESYNTAX);
	CHECK_INT(disc("</0/1>;ssid=1a", &d), LWBS_ESYNTAX);
	CHECK_INT(disc("</0/1>;ssid=\"\"", &d), LWBS_ESYNTAX);
	CHECK_INT(disc("</0/1>;ssid", &d), LWBS_ESYNTAX);
	CHECK_INT(disc("</0/1>;uri", &d), LWBS_ESYNTAX);
	/* Objects are listed once, in order of first mention; ver on a later
	 * </O> applies; resources and non-paths are ignored. */
	CHECK_INT(disc("</5/0>,</3/0>,</5>;ver=2.0,</5/1>,</3/0/1>,</rd>,<coap://x/1>,</7/1/2/3>", &d), 0);
	CHECK_INT(d.n_objs, 2);
	CHECK(d.n_objs == 2 && d.objs[0].oid == 5 && d.objs[0].ver_major == 2 && d.objs[1].oid == 3);
	CHECK_INT(d.n_inst, 3);
}

static void test_many(void)
{
	/* Many objects go through the id map without quadratic work or collisions. */
	static char s[200000];
	size_t k = 0;
	for (unsigned i = 0; i < 5000; i++)
		k += (size_t)snprintf(s + k, sizeof(s) - k, "%s</%u/%u>", i ? "," : "", (i * 7919u) % 3000u, i);
	struct lwbs_discover d;
	CHECK_INT(disc(s, &d), 0);
	CHECK_INT(d.n_objs, 3000);
	CHECK_INT(d.n_inst, 5000);
	bool seen[3000] = {false}, dup = false;
	for (size_t i = 0; i < d.n_objs; i++) {
		if (d.objs[i].oid >= 3000 || seen[d.objs[i].oid])
			dup = true;
		else
			seen[d.objs[i].oid] = true;
	}
	CHECK(!dup);
}

static void setup(void) { arena = lwbs_arena_create(0); }
static void teardown(void) { lwbs_arena_destroy(arena); }

TEST_MAIN(setup, test_example, test_versions, test_instances, test_many, teardown)
