/* Independent tests of the documented contract of include/lwbs/path.h. */
#include <errno.h>

#include "lwbs/err.h"
#include "lwbs/path.h"
#include "../test.h"

static int parse(const char *s, struct lwbs_path *out)
{
	return lwbs_path_parse(s, strlen(s), out);
}

static void expect_ok(const char *s, int len, uint16_t a, uint16_t b, uint16_t c, uint16_t d)
{
	struct lwbs_path p, want = lwbs_path_make(len, a, b, c, d);
	int rc;

	memset(&p, 0xAA, sizeof(p));
	rc = parse(s, &p);
	if (rc != 0)
		fprintf(stderr, "  rejected \"%s\" (%d)\n", s, rc);
	CHECK_INT(rc, 0);
	if (rc)
		return;
	CHECK_INT(p.len, len);
	for (int i = 0; i < len; i++)
		CHECK_INT(p.id[i], want.id[i]);
	CHECK(lwbs_path_equal(&p, &want));
}

static void expect_bad(const char *s, size_t n)
{
	struct lwbs_path p = lwbs_path_make(2, 7, 7, 0, 0);
	int rc = lwbs_path_parse(s, n, &p);

	if (rc != LWBS_EPATH) {
		fprintf(stderr, "  \"");
		fwrite(s, 1, n, stderr);
		fprintf(stderr, "\" gave %d\n", rc);
	}
	CHECK_INT(rc, LWBS_EPATH);
	/* out-param untouched on failure */
	CHECK_INT(p.len, 2);
	CHECK_INT(p.id[0], 7);
	CHECK_INT(p.id[1], 7);
}

static void test_parse_valid(void)
{
	expect_ok("/", 0, 0, 0, 0, 0);
	expect_ok("", 0, 0, 0, 0, 0);
	expect_ok("/0", 1, 0, 0, 0, 0);
	expect_ok("/0/", 1, 0, 0, 0, 0);
	expect_ok("/3/0", 2, 3, 0, 0, 0);
	expect_ok("/3/0/", 2, 3, 0, 0, 0);
	expect_ok("/0/1/2", 3, 0, 1, 2, 0);
	expect_ok("/0/1/2/", 3, 0, 1, 2, 0);
	expect_ok("/2/0/2/101", 4, 2, 0, 2, 101);
	expect_ok("/2/0/2/101/", 4, 2, 0, 2, 101);
	expect_ok("/65534", 1, 65534, 0, 0, 0);
	expect_ok("/65534/65534/65534/65534", 4, 65534, 65534, 65534, 65534);
	expect_ok("/0/0/0/0", 4, 0, 0, 0, 0);
	expect_ok("/00", 1, 0, 0, 0, 0);
	expect_ok("/007/010", 2, 7, 10, 0, 0);
	expect_ok("/065534", 1, 65534, 0, 0, 0);
	expect_ok("/00000000000000000000000000000001", 1, 1, 0, 0, 0);
	expect_ok("/1/2/3/4", 4, 1, 2, 3, 4);
	expect_ok("/12345/0/9", 3, 12345, 0, 9, 0);
}

static void test_parse_invalid(void)
{
	static const char *const bad[] = {
		"//", "///", "/0//", "//0", "/0//1", "/1/2//3", "/1/2/3//", "/1/2/3/4//",
		"/65535", "/65536", "/99999", "/4294967296", "/4294967297", "/18446744073709551616",
		"/99999999999999999999999999", "/0/65535", "/1/2/3/65535", "/1/2/65535/4",
		"/1/2/3/4/5", "/1/2/3/4/5/", "/0/0/0/0/0",
		"/+1", "/-1", "/-0", "/1/+2", "/1/-2", "/ 1", "/1 ", " /1", "/1/ 2", "/1 /2", "\t/1",
		"/a", "/1a", "/0x1", "/1.0", "/1,2", "/1/b/3", "/1e3",
		"0", "0/1", "1/", "a", " ", "\\0", "/1\\2",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad(bad[i], strlen(bad[i]));
	/* embedded NUL inside n */
	expect_bad("/1\0", 3);
	expect_bad("/\0/1", 4);
	expect_bad("\0", 1);
}

static void test_parse_uses_n(void)
{
	struct lwbs_path p;

	/* only s[0..n) is read */
	CHECK_INT(lwbs_path_parse("/1/2", 2, &p), 0);
	CHECK_INT(p.len, 1);
	CHECK_INT(p.id[0], 1);
	CHECK_INT(lwbs_path_parse("/1/2", 3, &p), 0);
	CHECK_INT(p.len, 1);
	CHECK_INT(lwbs_path_parse("/1/2xyz", 4, &p), 0);
	CHECK_INT(p.len, 2);
	CHECK_INT(p.id[1], 2);
	CHECK_INT(lwbs_path_parse("/655345", 6, &p), 0);
	CHECK_INT(p.id[0], 65534);
	CHECK_INT(lwbs_path_parse("/3/0", 0, &p), 0);
	CHECK_INT(p.len, 0);
	CHECK_INT(lwbs_path_parse("/3/0", 1, &p), 0);
	CHECK_INT(p.len, 0);

	/* every prefix of a long path parses or fails cleanly; run under
	 * ASan with the bytes copied into an exact-size buffer */
	const char *full = "/65534/12/3/401/";
	size_t n = strlen(full);
	for (size_t k = 0; k <= n; k++) {
		char *buf = malloc(k ? k : 1);
		memcpy(buf, full, k);
		int rc = lwbs_path_parse(buf, k, &p);
		CHECK(rc == 0 || rc == LWBS_EPATH);
		free(buf);
	}
	/* a 4-id path without NUL in an exact buffer */
	char exact[] = {'/', '1', '/', '2', '/', '3', '/', '4'};
	char *buf = malloc(sizeof(exact));
	memcpy(buf, exact, sizeof(exact));
	CHECK_INT(lwbs_path_parse(buf, sizeof(exact), &p), 0);
	CHECK_INT(p.len, 4);
	CHECK_INT(p.id[3], 4);
	free(buf);
}

static void expect_print(struct lwbs_path p, const char *want)
{
	char out[LWBS_PATH_STRMAX];
	int n = lwbs_path_print(&p, out, sizeof(out));

	CHECK_INT(n, (int)strlen(want));
	CHECK_STR(out, want);
}

static void test_print(void)
{
	expect_print(LWBS_PATH_ROOT, "/");
	expect_print(LWBS_PATH_OBJ(0), "/0");
	expect_print(LWBS_PATH_INST(3, 0), "/3/0");
	expect_print(LWBS_PATH_RES(0, 1, 10), "/0/1/10");
	expect_print(LWBS_PATH_RI(2, 0, 2, 101), "/2/0/2/101");
	expect_print(LWBS_PATH_RI(65534, 65534, 65534, 65534), "/65534/65534/65534/65534");
	CHECK(strlen("/65534/65534/65534/65534") + 1 <= LWBS_PATH_STRMAX);

	/* capacity: exactly len + 1 fits, len does not */
	char out[LWBS_PATH_STRMAX];
	struct lwbs_path p = LWBS_PATH_RES(1, 22, 333);
	CHECK_INT(lwbs_path_print(&p, out, 10), 9);
	CHECK_STR(out, "/1/22/333");
	CHECK_INT(lwbs_path_print(&p, out, 9), -ENOBUFS);
	CHECK_INT(lwbs_path_print(&p, out, 1), -ENOBUFS);
	CHECK_INT(lwbs_path_print(&p, out, 0), -ENOBUFS);
	p = LWBS_PATH_ROOT;
	CHECK_INT(lwbs_path_print(&p, out, 2), 1);
	CHECK_STR(out, "/");
	CHECK_INT(lwbs_path_print(&p, out, 1), -ENOBUFS);
	CHECK_INT(lwbs_path_print(&p, out, 0), -ENOBUFS);

	/* ids beyond len are not printed */
	p = lwbs_path_make(2, 5, 6, 7, 8);
	expect_print(p, "/5/6");
}

static void test_roundtrip(void)
{
	static const char *const canon[] = {
		"/", "/0", "/1/0", "/0/1/10", "/2/0/2/0", "/65534/0/65534/0", "/3/0/13", "/21/3",
	};
	for (size_t i = 0; i < sizeof(canon) / sizeof(canon[0]); i++) {
		struct lwbs_path p;
		char out[LWBS_PATH_STRMAX];

		CHECK_INT(parse(canon[i], &p), 0);
		CHECK_INT(lwbs_path_print(&p, out, sizeof(out)), (int)strlen(canon[i]));
		CHECK_STR(out, canon[i]);
	}
	/* non-canonical inputs print canonically */
	struct lwbs_path p;
	char out[LWBS_PATH_STRMAX];
	CHECK_INT(parse("/003/000/", &p), 0);
	CHECK_INT(lwbs_path_print(&p, out, sizeof(out)), 4);
	CHECK_STR(out, "/3/0");
	CHECK_INT(parse("", &p), 0);
	lwbs_path_print(&p, out, sizeof(out));
	CHECK_STR(out, "/");
}

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

static void test_cmp_equal(void)
{
	/* ascending list: each element is less than every later one */
	const struct lwbs_path order[] = {
		LWBS_PATH_ROOT,
		LWBS_PATH_OBJ(0),
		LWBS_PATH_INST(0, 0),
		LWBS_PATH_RES(0, 0, 0),
		LWBS_PATH_RI(0, 0, 0, 0),
		LWBS_PATH_RI(0, 0, 0, 65534),
		LWBS_PATH_RES(0, 0, 1),
		LWBS_PATH_RES(0, 0, 10),
		LWBS_PATH_INST(0, 1),
		LWBS_PATH_OBJ(1),
		LWBS_PATH_RES(1, 0, 0),
		LWBS_PATH_OBJ(2),
		LWBS_PATH_OBJ(10),
		LWBS_PATH_OBJ(256),
		LWBS_PATH_INST(65534, 0),
	};
	size_t n = sizeof(order) / sizeof(order[0]);

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			int want = i < j ? -1 : i > j ? 1 : 0;
			CHECK_INT(sign(lwbs_path_cmp(&order[i], &order[j])), want);
			CHECK_INT(lwbs_path_equal(&order[i], &order[j]), i == j);
		}
	}
	/* ids are compared as numbers, not bytes (256 > 1, 65534 > 255) */
	struct lwbs_path a = LWBS_PATH_OBJ(256), b = LWBS_PATH_OBJ(1);
	CHECK(lwbs_path_cmp(&a, &b) > 0);
	a = LWBS_PATH_OBJ(65534);
	b = LWBS_PATH_OBJ(255);
	CHECK(lwbs_path_cmp(&a, &b) > 0);

	/* ids beyond len are not part of the path */
	a = lwbs_path_make(1, 5, 9, 9, 9);
	b = lwbs_path_make(1, 5, 0, 0, 0);
	CHECK(lwbs_path_equal(&a, &b));
	CHECK_INT(lwbs_path_cmp(&a, &b), 0);
	a = lwbs_path_make(0, 1, 2, 3, 4);
	b = LWBS_PATH_ROOT;
	CHECK(lwbs_path_equal(&a, &b));
	CHECK_INT(lwbs_path_cmp(&a, &b), 0);
	/* same ids, different length */
	a = LWBS_PATH_INST(5, 0);
	b = LWBS_PATH_OBJ(5);
	CHECK(!lwbs_path_equal(&a, &b));
	CHECK(lwbs_path_cmp(&b, &a) < 0);
}

static void test_has_prefix(void)
{
	struct lwbs_path p = LWBS_PATH_RI(2, 1, 2, 101);
	struct lwbs_path yes[] = {
		LWBS_PATH_ROOT, LWBS_PATH_OBJ(2), LWBS_PATH_INST(2, 1), LWBS_PATH_RES(2, 1, 2),
		LWBS_PATH_RI(2, 1, 2, 101),
	};
	struct lwbs_path no[] = {
		LWBS_PATH_OBJ(1),          LWBS_PATH_OBJ(21),         LWBS_PATH_INST(2, 0),
		LWBS_PATH_INST(1, 1),      LWBS_PATH_RES(2, 1, 3),    LWBS_PATH_RI(2, 1, 2, 102),
		LWBS_PATH_RI(2, 1, 2, 10), LWBS_PATH_RES(2, 1, 20),
	};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		CHECK(lwbs_path_has_prefix(&p, &yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CHECK(!lwbs_path_has_prefix(&p, &no[i]));
	/* a longer path is never a prefix of a shorter one */
	struct lwbs_path obj = LWBS_PATH_OBJ(2);
	CHECK(!lwbs_path_has_prefix(&obj, &p));
	/* root is a prefix of root */
	struct lwbs_path root = LWBS_PATH_ROOT;
	CHECK(lwbs_path_has_prefix(&root, &root));
	CHECK(!lwbs_path_has_prefix(&root, &obj));
	/* unused ids of the prefix do not matter */
	struct lwbs_path pre = lwbs_path_make(1, 2, 9, 9, 9);
	CHECK(lwbs_path_has_prefix(&p, &pre));
}

static void test_make(void)
{
	struct lwbs_path p = LWBS_PATH_RI(1, 2, 3, 4);

	CHECK_INT(p.len, LWBS_LEVEL_RES_INSTANCE);
	CHECK_INT(p.id[0], 1);
	CHECK_INT(p.id[3], 4);
	p = LWBS_PATH_RES(1, 2, 3);
	CHECK_INT(p.len, LWBS_LEVEL_RESOURCE);
	p = LWBS_PATH_INST(1, 2);
	CHECK_INT(p.len, LWBS_LEVEL_INSTANCE);
	p = LWBS_PATH_OBJ(1);
	CHECK_INT(p.len, LWBS_LEVEL_OBJECT);
	p = LWBS_PATH_ROOT;
	CHECK_INT(p.len, LWBS_LEVEL_ROOT);
	CHECK_INT(LWBS_ID_MAX, 65534);
}

TEST_MAIN(test_parse_valid, test_parse_invalid, test_parse_uses_n, test_print, test_roundtrip, test_cmp_equal,
	  test_has_prefix, test_make)
