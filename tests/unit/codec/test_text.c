/* Unit tests for plain text (0) and opaque (42): src/codec/text.c. */
#include <errno.h>
#include <math.h>
#include <stdint.h>

#include "lwbs/codec.h"
#include "lwbs/err.h"
#include "../test.h"

#define TOBJ 9999

/* Resource r of TOBJ: 0 string, 1 integer, 2 unsigned, 3 float, 4 boolean,
 * 5 opaque, 6 time, 7 objlnk, 8 corelnk, 9 none/unknown. */
static enum lwbs_type test_type(void *ctx, uint16_t oid, uint16_t rid)
{
	static const enum lwbs_type t[] = {
		LWBS_TYPE_STRING, LWBS_TYPE_INTEGER, LWBS_TYPE_UNSIGNED, LWBS_TYPE_FLOAT,
		LWBS_TYPE_BOOLEAN, LWBS_TYPE_OPAQUE, LWBS_TYPE_TIME, LWBS_TYPE_OBJLNK,
		LWBS_TYPE_CORELNK,
	};
	(void)ctx;
	if (oid != TOBJ || rid >= sizeof(t) / sizeof(t[0]))
		return LWBS_TYPE_NONE;
	return t[rid];
}

static const struct lwbs_typer typer = {test_type, NULL};
static struct lwbs_arena *arena;

/* Decodes s as text at /TOBJ/0/rid; *v gets the value on success. */
static int tdec(uint16_t rid, const char *s, struct lwbs_value *v)
{
	struct lwbs_path p = LWBS_PATH_RES(TOBJ, 0, rid);
	struct lwbs_node *root;
	int rc = lwbs_text_decode((const uint8_t *)s, strlen(s), &p, &typer, arena, &root);
	if (rc)
		return rc;
	const struct lwbs_node *n = lwbs_node_find(root, &p);
	CHECK(n && n->has_value);
	if (n)
		*v = n->value;
	return 0;
}

/* Encodes v at /TOBJ/0/rid as text; returns the encoder's code, the text
 * in out (NUL-terminated). */
static int tenc(uint16_t rid, struct lwbs_value v, char *out, size_t cap)
{
	struct lwbs_node *root = lwbs_node_root(arena);
	struct lwbs_path p = LWBS_PATH_RES(TOBJ, 0, rid);
	struct lwbs_buf b;
	CHECK_INT(lwbs_node_set(arena, root, &p, &v), 0);
	lwbs_buf_init(&b, 0);
	int rc = lwbs_text_encode(root, &p, &b);
	size_t n = b.len < cap - 1 ? b.len : cap - 1;
	if (n)
		memcpy(out, b.data, n);
	out[n] = '\0';
	lwbs_buf_finish(&b);
	return rc;
}

/* Text s decodes at rid and encodes back to exactly s. */
static void same_text(uint16_t rid, const char *s)
{
	struct lwbs_value v;
	char out[128];
	CHECK_INT(tdec(rid, s, &v), 0);
	CHECK_INT(tenc(rid, v, out, sizeof(out)), 0);
	CHECK_STR(out, s);
}

static void test_integer(void)
{
	struct lwbs_value v;

	same_text(1, "0");
	same_text(1, "-1");
	same_text(1, "9223372036854775807");
	same_text(1, "-9223372036854775808");
	same_text(6, "1367491215");
	CHECK_INT(tdec(1, "+7", &v), 0);
	CHECK(v.type == LWBS_TYPE_INTEGER && v.v.i == 7);
	CHECK_INT(tdec(1, "007", &v), 0);
	CHECK(v.v.i == 7);
	CHECK_INT(tdec(6, "-5", &v), 0);
	CHECK(v.type == LWBS_TYPE_TIME && v.v.i == -5);
	CHECK_INT(tdec(1, "9223372036854775808", &v), LWBS_ERANGE_VAL);
	CHECK_INT(tdec(1, "-9223372036854775809", &v), LWBS_ERANGE_VAL);
	CHECK_INT(tdec(1, "99999999999999999999999", &v), LWBS_ERANGE_VAL);
	static const char *bad[] = {"", "-", "+", " 1", "1 ", "1.0", "0x10", "1e3", "--1", "1-", "١"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(tdec(1, bad[i], &v), LWBS_ESYNTAX);
}

static void test_unsigned(void)
{
	struct lwbs_value v;

	same_text(2, "0");
	same_text(2, "18446744073709551615");
	CHECK_INT(tdec(2, "18446744073709551616", &v), LWBS_ERANGE_VAL);
	CHECK_INT(tdec(2, "-1", &v), LWBS_ERANGE_VAL);
	CHECK_INT(tdec(2, "-0", &v), 0);
	CHECK(v.type == LWBS_TYPE_UNSIGNED && v.v.u == 0);
	CHECK_INT(tdec(2, "+1", &v), LWBS_ESYNTAX);
	CHECK_INT(tdec(2, "", &v), LWBS_ESYNTAX);
	CHECK_INT(tdec(2, "1a", &v), LWBS_ESYNTAX);
}

static void test_float(void)
{
	struct lwbs_value v;
	char out[64];

	same_text(3, "1.5");
	same_text(3, "0.1");
	same_text(3, "-2.25");
	same_text(3, "1e+300");
	same_text(3, "0");
	same_text(3, "-0");
	same_text(3, "0.30000000000000004");
	CHECK_INT(tdec(3, "1", &v), 0);
	CHECK(v.type == LWBS_TYPE_FLOAT && v.v.f == 1.0);
	CHECK_INT(tdec(3, ".5", &v), 0);
	CHECK(v.v.f == 0.5);
	CHECK_INT(tdec(3, "5.", &v), 0);
	CHECK(v.v.f == 5.0);
	CHECK_INT(tdec(3, "2.5E-3", &v), 0);
	CHECK(v.v.f == 0.0025);
	CHECK_INT(tdec(3, "+4", &v), 0);
	CHECK(v.v.f == 4.0);
	/* Denormals and underflow read as the nearest double. */
	CHECK_INT(tdec(3, "4.9406564584124654e-324", &v), 0);
	CHECK(v.v.f > 0 && v.v.f < 1e-323);
	CHECK_INT(tdec(3, "1e-400", &v), 0);
	CHECK(v.v.f == 0.0);
	CHECK_INT(tdec(3, "1e400", &v), LWBS_ERANGE_VAL);
	CHECK_INT(tdec(3, "-1e400", &v), LWBS_ERANGE_VAL);
	static const char *bad[] = {"", ".", "-", "e5", "1e", "1e+", " 1", "1 ", "0x1p3", "inf",
				    "nan", "Infinity", "1.2.3", "1,5", "--1", "1e5.5"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(tdec(3, bad[i], &v), LWBS_ESYNTAX);
	/* A long but valid number is read (not limited by a buffer). */
	char longnum[600];
	memset(longnum, '0', sizeof(longnum) - 1);
	longnum[1] = '.';
	longnum[sizeof(longnum) - 2] = '1';
	longnum[sizeof(longnum) - 1] = '\0';
	CHECK_INT(tdec(3, longnum, &v), 0);
	/* Text cannot carry NaN or infinities. */
	CHECK_INT(tenc(3, lwbs_value_float(NAN), out, sizeof(out)), LWBS_ERANGE_VAL);
	CHECK_INT(tenc(3, lwbs_value_float(INFINITY), out, sizeof(out)), LWBS_ERANGE_VAL);
	/* Shortest form that reads back exactly. */
	CHECK_INT(tenc(3, lwbs_value_float(1.0 / 3.0), out, sizeof(out)), 0);
	CHECK_STR(out, "0.3333333333333333");
	CHECK_INT(tenc(3, lwbs_value_float(100.0), out, sizeof(out)), 0);
	CHECK_STR(out, "100");
	CHECK_INT(tenc(3, lwbs_value_float(5e-324), out, sizeof(out)), 0);
	CHECK_STR(out, "5e-324");
	double vals[] = {0.1, 1e21, 123456789.123, -1.7976931348623157e308, 2.2250738585072014e-308};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		CHECK_INT(tenc(3, lwbs_value_float(vals[i]), out, sizeof(out)), 0);
		CHECK_INT(tdec(3, out, &v), 0);
		CHECK(v.v.f == vals[i]);
	}
}

static void test_boolean(void)
{
	struct lwbs_value v;

	same_text(4, "0");
	same_text(4, "1");
	CHECK_INT(tdec(4, "1", &v), 0);
	CHECK(v.type == LWBS_TYPE_BOOLEAN && v.v.b);
	/* Only 0 and 1 (LwM2M text format). */
	static const char *bad[] = {"", "true", "false", "2", "01", " 1", "yes"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(tdec(4, bad[i], &v), LWBS_ESYNTAX);
}

static void test_objlnk(void)
{
	struct lwbs_value v;

	same_text(7, "11:0");
	same_text(7, "65535:65535");
	same_text(7, "0:0");
	CHECK_INT(tdec(7, "21:3", &v), 0);
	CHECK(v.type == LWBS_TYPE_OBJLNK && v.v.objlnk.oid == 21 && v.v.objlnk.iid == 3);
	CHECK_INT(tdec(7, "65536:0", &v), LWBS_ERANGE_VAL);
	CHECK_INT(tdec(7, "0:99999999999999999999999", &v), LWBS_ERANGE_VAL);
	static const char *bad[] = {"", ":", "1:", ":1", "1", "1:2:3", "-1:0", "1: 2", "a:b"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(tdec(7, bad[i], &v), LWBS_ESYNTAX);
}

static void test_string_opaque(void)
{
	struct lwbs_value v;
	char out[64];

	same_text(0, "Open Mobile Alliance");
	same_text(0, "");
	same_text(0, "\xE2\x82\xAC uro");
	same_text(8, "</3/0>;ver=1.1");
	CHECK_INT(tdec(8, "</1>", &v), 0);
	CHECK(v.type == LWBS_TYPE_CORELNK);
	CHECK_INT(tdec(0, "\xC0\x80", &v), LWBS_EUTF8);
	CHECK_INT(tdec(0, "abc\xFF", &v), LWBS_EUTF8);
	CHECK_INT(tdec(8, "\xED\xA0\x80", &v), LWBS_EUTF8);
	/* Unknown resources are strings. */
	CHECK_INT(tdec(9, "42", &v), 0);
	CHECK(v.type == LWBS_TYPE_STRING && v.v.bytes.len == 2 && !v.untyped);
	CHECK_INT(tdec(9, "\xFF", &v), LWBS_EUTF8);

	/* Opaque resources travel as base64. */
	same_text(5, "AAEC/w==");
	same_text(5, "");
	CHECK_INT(tdec(5, "AAEC_w", &v), 0); /* url alphabet, no padding */
	CHECK(v.type == LWBS_TYPE_OPAQUE && v.v.bytes.len == 4 && v.v.bytes.ptr[3] == 0xFF);
	CHECK_INT(tenc(5, v, out, sizeof(out)), 0);
	CHECK_STR(out, "AAEC/w==");
	CHECK(tdec(5, "A", &v) < 0);
	CHECK(tdec(5, "!!!!", &v) < 0);
	/* Untyped bytes (from TLV without a typer) are opaque as well. */
	struct lwbs_value u = lwbs_value_bytes(LWBS_TYPE_OPAQUE, "\x64", 1);
	u.untyped = true;
	CHECK_INT(tenc(9, u, out, sizeof(out)), 0);
	CHECK_STR(out, "ZA==");
	/* A "none" value is empty text. */
	CHECK_INT(tenc(9, lwbs_value_none(), out, sizeof(out)), 0);
	CHECK_STR(out, "");
}

static void test_no_typer(void)
{
	struct lwbs_path p = LWBS_PATH_RES(1, 0, 1);
	struct lwbs_node *root;
	CHECK_INT(lwbs_text_decode((const uint8_t *)"86400", 5, &p, NULL, arena, &root), 0);
	const struct lwbs_node *n = lwbs_node_find(root, &p);
	CHECK(n && n->value.type == LWBS_TYPE_STRING && n->value.v.bytes.len == 5);
	/* NULL with length 0 is an empty string. */
	CHECK_INT(lwbs_text_decode(NULL, 0, &p, NULL, arena, &root), 0);
	n = lwbs_node_find(root, &p);
	CHECK(n && n->value.type == LWBS_TYPE_STRING && n->value.v.bytes.len == 0);
}

static void test_paths(void)
{
	struct lwbs_node *root;
	struct lwbs_buf b;
	static const struct lwbs_path bad[] = {
		{{0}, 0}, {{TOBJ}, 1}, {{TOBJ, 0}, 2},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(lwbs_text_decode((const uint8_t *)"1", 1, &bad[i], &typer, arena, &root), LWBS_EPATH);
		CHECK_INT(lwbs_opaque_decode((const uint8_t *)"1", 1, &bad[i], &typer, arena, &root), LWBS_EPATH);
	}
	CHECK_INT(lwbs_text_decode((const uint8_t *)"1", 1, NULL, &typer, arena, &root), LWBS_EPATH);

	/* A resource instance: the resource becomes multiple. */
	struct lwbs_path ri = LWBS_PATH_RI(TOBJ, 0, 1, 7);
	CHECK_INT(lwbs_text_decode((const uint8_t *)"-3", 2, &ri, &typer, arena, &root), 0);
	const struct lwbs_node *n = lwbs_node_find(root, &ri);
	CHECK(n && n->value.type == LWBS_TYPE_INTEGER && n->value.v.i == -3);
	struct lwbs_path res = LWBS_PATH_RES(TOBJ, 0, 1);
	n = lwbs_node_find(root, &res);
	CHECK(n && n->multiple);

	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_text_encode(root, &ri, &b), 0);
	CHECK_MEM(b.data, b.len, "-3", 2);
	/* A multiple resource has no text form. */
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_text_encode(root, &res, &b), LWBS_EPATH);
	CHECK_INT(lwbs_opaque_encode(root, &res, &b), LWBS_EPATH);
	struct lwbs_path missing = LWBS_PATH_RES(TOBJ, 0, 2);
	CHECK_INT(lwbs_text_encode(root, &missing, &b), -ENOENT);
	struct lwbs_path inst = LWBS_PATH_INST(TOBJ, 0);
	CHECK_INT(lwbs_text_encode(root, &inst, &b), LWBS_EPATH);
	/* A resource node without a value. */
	struct lwbs_node *empty;
	CHECK_INT(lwbs_node_insert(arena, root, &missing, &empty), 0);
	CHECK_INT(lwbs_text_encode(root, &missing, &b), LWBS_EMISSING);
	CHECK_INT(b.len, 0);
	lwbs_buf_finish(&b);
}

static void test_opaque(void)
{
	struct lwbs_path p = LWBS_PATH_RES(0, 0, 5);
	struct lwbs_node *root;
	struct lwbs_buf b;
	const uint8_t key[] = {0x00, 0xFF, 0x10, 0x00};

	CHECK_INT(lwbs_opaque_decode(key, sizeof(key), &p, &typer, arena, &root), 0);
	const struct lwbs_node *n = lwbs_node_find(root, &p);
	CHECK(n && n->value.type == LWBS_TYPE_OPAQUE && !n->value.untyped);
	CHECK(n && n->value.v.bytes.len == 4 && memcmp(n->value.v.bytes.ptr, key, 4) == 0);
	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_opaque_encode(root, &p, &b), 0);
	CHECK_MEM(b.data, b.len, key, sizeof(key));
	/* Zero length. */
	CHECK_INT(lwbs_opaque_decode(NULL, 0, &p, &typer, arena, &root), 0);
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_opaque_encode(root, &p, &b), 0);
	CHECK_INT(b.len, 0);
	/* Untyped bytes are written; typed non-opaque values are not. */
	root = lwbs_node_root(arena);
	struct lwbs_value u = lwbs_value_bytes(LWBS_TYPE_OPAQUE, "ab", 2);
	u.untyped = true;
	CHECK_INT(lwbs_node_set(arena, root, &p, &u), 0);
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_opaque_encode(root, &p, &b), 0);
	CHECK_MEM(b.data, b.len, "ab", 2);
	struct lwbs_path sp = LWBS_PATH_RES(0, 0, 0);
	struct lwbs_value s = lwbs_value_string("coap://x");
	CHECK_INT(lwbs_node_set(arena, root, &sp, &s), 0);
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_opaque_encode(root, &sp, &b), LWBS_ETYPE);
	CHECK_INT(b.len, 0);
	lwbs_buf_finish(&b);
}

static void setup(void)
{
	arena = lwbs_arena_create(0);
}

static void teardown(void)
{
	lwbs_arena_destroy(arena);
}

TEST_MAIN(setup, test_integer, test_unsigned, test_float, test_boolean, test_objlnk,
	  test_string_opaque, test_no_typer, test_paths, test_opaque, teardown)
