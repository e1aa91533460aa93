/* CoRE link format parser and emitter. */
#include <errno.h>
#include <stdint.h>

#include "../test.h"
#include "lwbs/codec.h"
#include "lwbs/err.h"

static struct lwbs_arena *arena;

static int parse(const char *s, struct lwbs_linkset *ls)
{
	struct lwbs_linkset dummy;
	return lwbs_link_parse((const uint8_t *)s, strlen(s), arena, ls ? ls : &dummy);
}

static const char *emit(const struct lwbs_linkset *ls, int *rc_out)
{
	struct lwbs_buf b;
	lwbs_buf_init(&b, 0);
	int rc = lwbs_link_emit(ls, &b);
	if (rc_out)
		*rc_out = rc;
	char *s = rc ? NULL : lwbs_arena_strndup(arena, (const char *)b.data, b.len);
	lwbs_buf_finish(&b);
	return s;
}

static const char discover[] = "</>;lwm2m=1.1,</0/0>;ssid=101;uri=\"coaps://server_1.example.com\",</0/1>,</1/0>;ssid=101,"
			       "</3/0>,</5>,</4>,</55>;ver=1.9,</55/0>";

static void test_discover_example(void)
{
	struct lwbs_linkset ls;
	bool present;

	CHECK_INT(parse(discover, &ls), 0);
	CHECK_INT(ls.n, 9);
	if (ls.n != 9)
		return;
	CHECK_STR(ls.links[0].target, "/");
	CHECK(ls.links[0].has_path && ls.links[0].path.len == 0);
	CHECK_STR(lwbs_link_attr(&ls.links[0], "lwm2m", NULL), "1.1");
	CHECK(!ls.links[0].attrs[0].quoted);
	CHECK_STR(ls.links[1].target, "/0/0");
	CHECK(ls.links[1].has_path && ls.links[1].path.len == 2 && ls.links[1].path.id[1] == 0);
	CHECK_INT(ls.links[1].n_attrs, 2);
	CHECK_STR(lwbs_link_attr(&ls.links[1], "ssid", NULL), "101");
	CHECK_STR(lwbs_link_attr(&ls.links[1], "URI", &present), "coaps://server_1.example.com");
	CHECK(present && ls.links[1].attrs[1].quoted);
	CHECK(lwbs_link_attr(&ls.links[2], "ssid", &present) == NULL && !present);
	CHECK_INT(ls.links[2].n_attrs, 0);
	CHECK(ls.links[5].has_path && ls.links[5].path.len == 1 && ls.links[5].path.id[0] == 5);
	CHECK_STR(lwbs_link_attr(&ls.links[7], "ver", NULL), "1.9");
	CHECK(ls.links[8].path.len == 2 && ls.links[8].path.id[0] == 55);

	/* Canonical emission is the input itself. */
	CHECK_STR(emit(&ls, NULL), discover);

	for (size_t i = 1; i < sizeof(discover) - 1; i++) {
		struct lwbs_linkset t;
		int rc = lwbs_link_parse((const uint8_t *)discover, i, arena, &t);
		/* A prefix is either an error or a shorter valid link set. */
		if (rc == 0)
			CHECK(t.n <= 9);
		else
			CHECK(rc == LWBS_ESYNTAX);
	}
	/* Cut inside the quoted uri and inside a target: errors. */
	size_t in_uri = (size_t)(strstr(discover, "uri=\"") - discover) + 8;
	size_t in_target = (size_t)(strstr(discover, "</1/0") - discover) + 3;
	CHECK_INT(lwbs_link_parse((const uint8_t *)discover, in_uri, arena, &ls), LWBS_ESYNTAX);
	CHECK_INT(lwbs_link_parse((const uint8_t *)discover, in_target, arena, &ls), LWBS_ESYNTAX);
}

static void test_forms(void)
{
	struct lwbs_linkset ls;
	bool present;

	/* Target-less first elements (LwM2M 1.0 clients). */
	CHECK_INT(parse("lwm2m=\"1.0\",</0/0>;ssid=1", &ls), 0);
	CHECK_INT(ls.n, 2);
	CHECK(ls.links[0].target == NULL && !ls.links[0].has_path);
	CHECK_STR(lwbs_link_attr(&ls.links[0], "lwm2m", NULL), "1.0");
	CHECK(ls.links[0].attrs[0].quoted);
	CHECK_STR(emit(&ls, NULL), "lwm2m=\"1.0\",</0/0>;ssid=1");
	CHECK_INT(parse("lwm2m=1.0,</0/0>", &ls), 0);
	CHECK_STR(emit(&ls, NULL), "lwm2m=1.0,</0/0>");
	CHECK_INT(parse("lwm2m=1.0;foo,</0>", &ls), 0);
	CHECK_INT(ls.links[0].n_attrs, 2);
	CHECK(lwbs_link_attr(&ls.links[0], "foo", &present) == NULL && present);
	CHECK_STR(emit(&ls, NULL), "lwm2m=1.0;foo,</0>");

	/* Whitespace after ',' and ';' is accepted, emitted without. */
	CHECK_INT(parse("</>;lwm2m=1.1, </0/0>; ssid=101;\turi=\"coap://a\",\r\n\t</1/0>", &ls), 0);
	CHECK_INT(ls.n, 3);
	CHECK_STR(emit(&ls, NULL), "</>;lwm2m=1.1,</0/0>;ssid=101;uri=\"coap://a\",</1/0>");

	/* Escapes in quoted strings (Anjay escapes '"' and '\'). */
	CHECK_INT(parse("</0/0>;uri=\"coap://a\\\"b\\\\c\";ct=\"0 40\";x=\"\"", &ls), 0);
	CHECK_STR(lwbs_link_attr(&ls.links[0], "uri", NULL), "coap://a\"b\\c");
	CHECK_STR(lwbs_link_attr(&ls.links[0], "ct", NULL), "0 40");
	CHECK_STR(lwbs_link_attr(&ls.links[0], "x", NULL), "");
	CHECK_STR(emit(&ls, NULL), "</0/0>;uri=\"coap://a\\\"b\\\\c\";ct=\"0 40\";x=\"\"");
	/* Unknown escapes keep the escaped byte. */
	CHECK_INT(parse("</0/0>;uri=\"a\\bc\"", &ls), 0);
	CHECK_STR(lwbs_link_attr(&ls.links[0], "uri", NULL), "abc");
	CHECK_INT(parse("</0/0>;title=\"caf\xc3\xa9\"", &ls), 0);

	/* Targets that are not LwM2M paths. */
	CHECK_INT(parse("</rd>;rt=core.rd,</0/0/>,</65535>,<coap://h/0>,<>", &ls), 0);
	CHECK_INT(ls.n, 5);
	CHECK(!ls.links[0].has_path);
	CHECK(ls.links[1].has_path && ls.links[1].path.len == 2);
	CHECK(!ls.links[2].has_path);
	CHECK(!ls.links[3].has_path);
	CHECK(!ls.links[4].has_path && ls.links[4].target && !ls.links[4].target[0]);
	CHECK_STR(emit(&ls, NULL), "</rd>;rt=core.rd,</0/0/>,</65535>,<coap://h/0>,<>");

	CHECK_INT(parse("", &ls), 0);
	CHECK_INT(ls.n, 0);
	CHECK_STR(emit(&ls, NULL), "");
}

static void test_malformed(void)
{
	static const char *bad[] = {
		"</0/0",             /* unterminated target */
		"</0/0>;uri=\"abc",  /* unterminated quote */
		"</0/0>;uri=\"abc\\", /* escape at the end */
		"</0/0>;",           /* trailing ';' */
		"</0/0>,",           /* trailing ',' */
		",</0/0>",           /* leading ',' */
		"</0/0>,,</1/0>",
		"</0/0>;ssid=",      /* empty token */
		"</0/0>;=1",
		"</0/0> ;ssid=1",    /* whitespace before ';' */
		" </0/0>",
		"</0/0> ",
		"</0/0>x",
		"</0/0>;ssid=1 2",
		"</0 /0>",
		"<</0>>",
		"</0/0>;uri=\"a\"b",
		"</0/0>;ssid=\"1\"\"",
		"</0/0>,lwm2m=1.0",  /* target-less after the first */
		"</0/0>;na\"me=1",
		"</0/0>;uri=\"a\x01\"",
		"</0/0>;ssid=1,",
		"</0/0>;ssid=a,b",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i], NULL);
		if (rc != LWBS_ESYNTAX)
			fprintf(stderr, "case %zu: %s\n", i, bad[i]);
		CHECK_INT(rc, LWBS_ESYNTAX);
	}
	CHECK_INT(parse("</0/0>;uri=\"\xff\"", NULL), LWBS_EUTF8);
	CHECK_INT(parse("</\xc3\xa9>", NULL), LWBS_ESYNTAX);
	CHECK_INT(lwbs_link_parse((const uint8_t *)"</0>\0", 5, arena, &(struct lwbs_linkset){0}), LWBS_ESYNTAX);
}

static void test_emit(void)
{
	struct lwbs_link_attr attrs[] = {
		{"ssid", "7", false},
		{"uri", "coap://[::1]:5683", false}, /* all ptoken characters: no quotes */
		{"title", "a b", false},
		{"q", "x", true},
		{"flag", NULL, false},
	};
	struct lwbs_link links[] = {
		{"/0/1", true, LWBS_PATH_INST(0, 1), attrs, 5},
	};
	struct lwbs_linkset ls = {links, 1};
	CHECK_STR(emit(&ls, NULL), "</0/1>;ssid=7;uri=coap://[::1]:5683;title=\"a b\";q=\"x\";flag");

	int rc;
	struct lwbs_link_attr bad_name[] = {{"a b", "1", false}};
	struct lwbs_link l2[] = {{"/0", true, LWBS_PATH_OBJ(0), bad_name, 1}};
	struct lwbs_linkset ls2 = {l2, 1};
	CHECK(emit(&ls2, &rc) == NULL && rc == -EINVAL);
	struct lwbs_link l3[] = {{"/0", true, LWBS_PATH_OBJ(0), NULL, 0}, {NULL, false, LWBS_PATH_ROOT, attrs, 1}};
	struct lwbs_linkset ls3 = {l3, 2};
	CHECK(emit(&ls3, &rc) == NULL && rc == -EINVAL);
	struct lwbs_link l4[] = {{"/0>", true, LWBS_PATH_OBJ(0), NULL, 0}};
	struct lwbs_linkset ls4 = {l4, 1};
	CHECK(emit(&ls4, &rc) == NULL && rc == -EINVAL);
	struct lwbs_link l5[] = {{NULL, false, LWBS_PATH_ROOT, NULL, 0}};
	struct lwbs_linkset ls5 = {l5, 1};
	CHECK(emit(&ls5, &rc) == NULL && rc == -EINVAL);
}

static void setup(void) { arena = lwbs_arena_create(0); }
static void teardown(void) { lwbs_arena_destroy(arena); }

TEST_MAIN(setup, test_discover_example, test_forms, test_malformed, test_emit, teardown)
