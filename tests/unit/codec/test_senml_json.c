/* SenML JSON codec and the strict JSON parser under it. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>

#include "../../../src/codec/json.h"
#include "../test.h"
#include "lwbs/codec.h"
#include "lwbs/err.h"

static struct lwbs_arena *arena;

/* Pointer to a path built by one of the LWBS_PATH_* macros. */
#define PP(x) ((const struct lwbs_path[]){x})

/* Security 0/x, Server 1/x and a test object 100 with one resource per type. */
static enum lwbs_type typer_fn(void *ctx, uint16_t oid, uint16_t rid)
{
	(void)ctx;
	if (oid == 0) {
		switch (rid) {
		case 0: return LWBS_TYPE_STRING;
		case 1: return LWBS_TYPE_BOOLEAN;
		case 2: return LWBS_TYPE_INTEGER;
		case 3: return LWBS_TYPE_OPAQUE;
		default: return LWBS_TYPE_NONE;
		}
	}
	if (oid == 100) {
		static const enum lwbs_type t[] = {
			LWBS_TYPE_INTEGER, LWBS_TYPE_UNSIGNED, LWBS_TYPE_FLOAT,
			LWBS_TYPE_TIME, LWBS_TYPE_OBJLNK, LWBS_TYPE_CORELNK,
			LWBS_TYPE_STRING, LWBS_TYPE_OPAQUE, LWBS_TYPE_BOOLEAN,
		};
		return rid < sizeof(t) / sizeof(t[0]) ? t[rid] : LWBS_TYPE_NONE;
	}
	return LWBS_TYPE_NONE;
}

static const struct lwbs_typer typer = {typer_fn, NULL};

static int dec(const char *s, struct lwbs_path base, const struct lwbs_typer *t, struct lwbs_node **out)
{
	struct lwbs_node *dummy;
	return lwbs_senml_json_decode((const uint8_t *)s, strlen(s), &base, t, arena, out ? out : &dummy);
}

/* Encodes root at base into a NUL-terminated string in the arena (or NULL). */
static const char *enc(const struct lwbs_node *root, struct lwbs_path base, int *rc_out)
{
	struct lwbs_buf b;
	lwbs_buf_init(&b, 0);
	int rc = lwbs_senml_json_encode(root, &base, &b);
	if (rc_out)
		*rc_out = rc;
	char *s = rc ? NULL : lwbs_arena_strndup(arena, (const char *)b.data, b.len);
	lwbs_buf_finish(&b);
	return s;
}

static const struct lwbs_value *val_at(const struct lwbs_node *root, struct lwbs_path p)
{
	const struct lwbs_node *n = lwbs_node_find(root, &p);
	return n && n->has_value ? &n->value : NULL;
}

static const char vector[] =
	"[{\"bn\":\"/0/0/\",\"n\":\"0\",\"vs\":\"coap://10.0.0.1:5683\"},{\"n\":\"1\",\"vb\":false},{\"n\":\"2\",\"v\":3}]";

static void test_vector(void)
{
	struct lwbs_node *root;
	const struct lwbs_value *v;

	CHECK_INT(dec(vector, LWBS_PATH_INST(0, 0), NULL, &root), 0);
	v = val_at(root, LWBS_PATH_RES(0, 0, 0));
	CHECK(v && v->type == LWBS_TYPE_STRING);
	if (v)
		CHECK_MEM(v->v.bytes.ptr, v->v.bytes.len, "coap://10.0.0.1:5683", 20);
	v = val_at(root, LWBS_PATH_RES(0, 0, 1));
	CHECK(v && v->type == LWBS_TYPE_BOOLEAN && !v->v.b);
	v = val_at(root, LWBS_PATH_RES(0, 0, 2));
	CHECK(v && v->type == LWBS_TYPE_INTEGER && v->v.i == 3);
	CHECK_INT(lwbs_node_count(lwbs_node_find(root, PP(LWBS_PATH_INST(0, 0)))), 3);

	/* The same tree built by hand encodes to the vector at every base level. */
	struct lwbs_node *t = lwbs_node_root(arena);
	struct lwbs_value s = lwbs_value_string("coap://10.0.0.1:5683"), f = lwbs_value_bool(false),
			  three = lwbs_value_int(3);
	CHECK_INT(lwbs_node_set(arena, t, PP(LWBS_PATH_RES(0, 0, 0)), &s), 0);
	CHECK_INT(lwbs_node_set(arena, t, PP(LWBS_PATH_RES(0, 0, 1)), &f), 0);
	CHECK_INT(lwbs_node_set(arena, t, PP(LWBS_PATH_RES(0, 0, 2)), &three), 0);
	CHECK_STR(enc(t, LWBS_PATH_INST(0, 0), NULL), vector);
	CHECK_STR(enc(t, LWBS_PATH_OBJ(0), NULL), vector);
	CHECK_STR(enc(t, LWBS_PATH_ROOT, NULL), vector);
	CHECK(lwbs_node_equal(t, root));

	/* With the typer the decoded tree is the same. */
	CHECK_INT(dec(vector, LWBS_PATH_INST(0, 0), &typer, &root), 0);
	CHECK(lwbs_node_equal(t, root));
	/* Decoding at the object and the root also works; under /1 it does not. */
	CHECK_INT(dec(vector, LWBS_PATH_OBJ(0), &typer, NULL), 0);
	CHECK_INT(dec(vector, LWBS_PATH_ROOT, &typer, NULL), 0);
	CHECK_INT(dec(vector, LWBS_PATH_OBJ(1), &typer, NULL), LWBS_EPATH);
	CHECK_INT(dec(vector, LWBS_PATH_RES(0, 0, 1), &typer, NULL), LWBS_EPATH);
}

static void test_truncation(void)
{
	size_t n = strlen(vector);
	for (size_t i = 0; i < n; i++) {
		struct lwbs_path base = LWBS_PATH_INST(0, 0);
		struct lwbs_node *root = NULL;
		int rc = lwbs_senml_json_decode((const uint8_t *)vector, i, &base, &typer, arena, &root);
		CHECK(rc < 0);
		CHECK(root == NULL);
	}
}

/* A tree with one value of every type, edge values, a multiple resource
 * and several objects. */
static struct lwbs_node *full_tree(void)
{
	static const uint8_t bytes[] = {0x00, 0xff, 0xfb, 0xef, 0x3e, 0x3f};
	struct lwbs_node *t = lwbs_node_root(arena);
	struct {
		struct lwbs_path p;
		struct lwbs_value v;
	} items[] = {
		{LWBS_PATH_RES(0, 0, 0), lwbs_value_string("coaps://bs.example.com:5684")},
		{LWBS_PATH_RES(0, 0, 1), lwbs_value_bool(true)},
		{LWBS_PATH_RES(0, 0, 2), lwbs_value_int(0)},
		{LWBS_PATH_RES(0, 0, 3), lwbs_value_bytes(LWBS_TYPE_OPAQUE, bytes, sizeof(bytes))},
		{LWBS_PATH_RES(100, 0, 0), lwbs_value_int(INT64_MIN)},
		{LWBS_PATH_RES(100, 0, 1), lwbs_value_uint(UINT64_MAX)},
		{LWBS_PATH_RES(100, 0, 2), lwbs_value_float(0.1)},
		{LWBS_PATH_RES(100, 0, 3), lwbs_value_time(-1700000000)},
		{LWBS_PATH_RES(100, 0, 4), lwbs_value_objlnk(65535, 65535)},
		{LWBS_PATH_RES(100, 0, 5), lwbs_value_bytes(LWBS_TYPE_CORELNK, "</3/0>;ver=1.1", 14)},
		{LWBS_PATH_RES(100, 0, 6), lwbs_value_string("")},
		{LWBS_PATH_RES(100, 0, 7), lwbs_value_bytes(LWBS_TYPE_OPAQUE, "", 0)},
		{LWBS_PATH_RES(100, 0, 8), lwbs_value_bool(false)},
		{LWBS_PATH_RI(100, 0, 2, 0), lwbs_value_float(0)},
		{LWBS_PATH_RES(100, 1, 0), lwbs_value_int(INT64_MAX)},
		{LWBS_PATH_RES(100, 1, 1), lwbs_value_uint(0)},
		{LWBS_PATH_RES(100, 1, 2), lwbs_value_float(-1.0000000000000002)},
		{LWBS_PATH_RES(100, 1, 6), lwbs_value_string("quote \" backslash \\ tab \t nl \n ctl \x01 é €")},
		{LWBS_PATH_RI(100, 1, 10, 0), lwbs_value_int(-1)},
		{LWBS_PATH_RI(100, 1, 10, 7), lwbs_value_int(42)},
		{LWBS_PATH_RI(100, 1, 10, 65534), lwbs_value_int(-9007199254740993LL)},
		{LWBS_PATH_RES(300, 65534, 65534), lwbs_value_float(1e300)},
		{LWBS_PATH_RES(300, 65534, 1), lwbs_value_float(-0.0)},
		{LWBS_PATH_RES(300, 65534, 2), lwbs_value_float(3.0)},
		{LWBS_PATH_RES(300, 65534, 3), lwbs_value_float(DBL_MIN / 4)},
		{LWBS_PATH_RES(300, 65534, 4), lwbs_value_float(DBL_MAX)},
		{LWBS_PATH_RES(300, 65534, 5), lwbs_value_float(-123456.789e-20)},
	};
	/* The float at /100/0/2/0 is not allowed: /100/0/2 is single. */
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		int rc = lwbs_node_set(arena, t, &items[i].p, &items[i].v);
		if (items[i].p.len == 4 && items[i].p.id[0] == 100 && items[i].p.id[2] == 2)
			CHECK_INT(rc, LWBS_EPATH);
		else
			CHECK_INT(rc, 0);
	}
	return t;
}

static void test_roundtrip(void)
{
	struct lwbs_node *t = full_tree(), *back;
	const char *s = enc(t, LWBS_PATH_ROOT, NULL);

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(dec(s, LWBS_PATH_ROOT, &typer, &back), 0);
	CHECK(lwbs_node_equal(t, back));
	/* Encoding the decoded tree gives the same bytes. */
	CHECK_STR(enc(back, LWBS_PATH_ROOT, NULL), s);

	/* Specific encodings. */
	CHECK(strstr(s, "{\"bn\":\"/100/0/\",\"n\":\"0\",\"v\":-9223372036854775808}") != NULL);
	CHECK(strstr(s, "{\"n\":\"1\",\"v\":18446744073709551615}") != NULL);
	CHECK(strstr(s, "{\"n\":\"2\",\"v\":0.1}") != NULL);
	CHECK(strstr(s, "{\"n\":\"4\",\"vlo\":\"65535:65535\"}") != NULL);
	CHECK(strstr(s, "{\"n\":\"7\",\"vd\":\"\"}") != NULL);
	CHECK(strstr(s, "{\"n\":\"3\",\"vd\":\"AP_77z4_\"}") != NULL);
	CHECK(strstr(s, "{\"n\":\"6\",\"vs\":\"\"}") != NULL);
	CHECK(strstr(s, "\"vs\":\"quote \\\" backslash \\\\ tab \\t nl \\n ctl \\u0001 é €\"") != NULL);
	CHECK(strstr(s, "{\"n\":\"10/65534\",\"v\":-9007199254740993}") != NULL);
	CHECK(strstr(s, "{\"bn\":\"/300/65534/\",\"n\":\"1\",\"v\":-0.0}") != NULL);
	CHECK(strstr(s, "{\"n\":\"2\",\"v\":3.0}") != NULL);
	CHECK(strstr(s, "{\"n\":\"4\",\"v\":1.7976931348623157e+308}") != NULL);
	CHECK(strstr(s, "{\"n\":\"65534\",\"v\":1e+300}") != NULL);
	CHECK(strstr(s, "{\"n\":\"2\",\"v\":-1.0000000000000002}") != NULL);

	/* Without a typer, object 300 (all floats) and the integers of 100/1/10
	 * come back with their own types. */
	CHECK_INT(dec(s, LWBS_PATH_ROOT, NULL, &back), 0);
	CHECK(lwbs_node_equal(lwbs_node_find(t, PP(LWBS_PATH_OBJ(300))), lwbs_node_find(back, PP(LWBS_PATH_OBJ(300)))));
	CHECK(lwbs_node_equal(lwbs_node_find(t, PP(LWBS_PATH_RES(100, 1, 10))),
			      lwbs_node_find(back, PP(LWBS_PATH_RES(100, 1, 10)))));
	const struct lwbs_value *v = val_at(back, LWBS_PATH_RES(100, 0, 1));
	CHECK(v && v->type == LWBS_TYPE_UNSIGNED && v->v.u == UINT64_MAX);
	v = val_at(back, LWBS_PATH_RES(100, 0, 3));
	CHECK(v && v->type == LWBS_TYPE_INTEGER && v->v.i == -1700000000);
	v = val_at(back, LWBS_PATH_RES(100, 0, 5));
	CHECK(v && v->type == LWBS_TYPE_STRING);
}

static void test_bases(void)
{
	struct lwbs_node *t = full_tree();
	CHECK_STR(enc(t, LWBS_PATH_RES(100, 1, 0), NULL), "[{\"bn\":\"/100/1/\",\"n\":\"0\",\"v\":9223372036854775807}]");
	CHECK_STR(enc(t, LWBS_PATH_RI(100, 1, 10, 7), NULL), "[{\"bn\":\"/100/1/\",\"n\":\"10/7\",\"v\":42}]");
	CHECK_STR(enc(t, LWBS_PATH_RES(100, 1, 10), NULL),
		  "[{\"bn\":\"/100/1/\",\"n\":\"10/0\",\"v\":-1},{\"n\":\"10/7\",\"v\":42},"
		  "{\"n\":\"10/65534\",\"v\":-9007199254740993}]");
	int rc = 0;
	CHECK(enc(t, LWBS_PATH_OBJ(5), &rc) == NULL);
	CHECK_INT(rc, -ENOENT);

	/* Empty instances and empty multiple resources have no SenML form. */
	struct lwbs_node *e = lwbs_node_root(arena);
	struct lwbs_value one = lwbs_value_int(1);
	CHECK_INT(lwbs_node_insert(arena, e, PP(LWBS_PATH_INST(1, 0)), NULL), 0);
	CHECK_INT(lwbs_node_insert(arena, e, PP(LWBS_PATH_RI(2, 0, 2, 0)), NULL), 0);
	CHECK_STR(enc(e, LWBS_PATH_ROOT, NULL), "[]");
	CHECK_INT(lwbs_node_set(arena, e, PP(LWBS_PATH_RES(2, 0, 3)), &one), 0);
	CHECK_STR(enc(e, LWBS_PATH_ROOT, NULL), "[{\"bn\":\"/2/0/\",\"n\":\"3\",\"v\":1}]");

	/* NaN cannot be written. */
	struct lwbs_value nan = lwbs_value_float(NAN);
	CHECK_INT(lwbs_node_set(arena, e, PP(LWBS_PATH_RES(2, 0, 4)), &nan), 0);
	CHECK(enc(e, LWBS_PATH_ROOT, &rc) == NULL);
	CHECK_INT(rc, -ERANGE);
}

static void test_names(void)
{
	struct lwbs_node *root;
	/* bn sticks until the next bn; a name may be absolute without bn. */
	CHECK_INT(dec("[{\"bn\":\"/1/0/\",\"n\":\"1\",\"v\":86400},{\"n\":\"7\",\"vs\":\"U\"},"
		      "{\"bn\":\"/1/1/\",\"n\":\"1\",\"v\":60},{\"n\":\"7/0\",\"vs\":\"x\"},"
		      "{\"bn\":\"\",\"n\":\"/0/3/2\",\"v\":0},{\"n\":\"/0/3/1\",\"vb\":true}]",
		      LWBS_PATH_ROOT, &typer, &root),
		  0);
	const struct lwbs_value *v = val_at(root, LWBS_PATH_RES(1, 1, 1));
	CHECK(v && v->v.i == 60);
	v = val_at(root, LWBS_PATH_RI(1, 1, 7, 0));
	CHECK(v && v->type == LWBS_TYPE_STRING);
	v = val_at(root, LWBS_PATH_RES(0, 3, 1));
	CHECK(v && v->type == LWBS_TYPE_BOOLEAN && v->v.b);
	/* bn alone names the resource. */
	CHECK_INT(dec("[{\"bn\":\"/0/0/2\",\"v\":5}]", LWBS_PATH_RES(0, 0, 2), &typer, &root), 0);
	v = val_at(root, LWBS_PATH_RES(0, 0, 2));
	CHECK(v && v->v.i == 5);

	CHECK_INT(dec("[{\"bn\":\"/0/0/\",\"v\":5}]", LWBS_PATH_ROOT, NULL, NULL), LWBS_EPATH);
	CHECK_INT(dec("[{\"n\":\"1\",\"v\":5}]", LWBS_PATH_ROOT, NULL, NULL), LWBS_EPATH);
	CHECK_INT(dec("[{\"bn\":\"/0/0/\",\"n\":\"1/2/3\",\"v\":5}]", LWBS_PATH_ROOT, NULL, NULL), LWBS_EPATH);
	CHECK_INT(dec("[{\"bn\":\"/0/0/\",\"n\":\"x\",\"v\":5}]", LWBS_PATH_ROOT, NULL, NULL), LWBS_EPATH);
	CHECK_INT(dec("[{\"bn\":\"/0/0/\",\"n\":\"65535\",\"v\":5}]", LWBS_PATH_ROOT, NULL, NULL), LWBS_EPATH);
	CHECK_INT(dec("[{\"bn\":\"/0/0/\",\"n\":\"1\",\"v\":5}]", LWBS_PATH_INST(0, 1), NULL, NULL), LWBS_EPATH);
	CHECK_INT(dec("[{\"bn\":\"/0/0/00000000000000000000000000000000000000000000000000000000000000001\",\"v\":5}]",
		      LWBS_PATH_ROOT, NULL, NULL),
		  LWBS_EPATH);
	/* Duplicates and single/multiple conflicts. */
	CHECK_INT(dec("[{\"bn\":\"/0/0/\",\"n\":\"1\",\"vb\":true},{\"n\":\"1\",\"vb\":false}]", LWBS_PATH_ROOT, NULL,
		      NULL),
		  LWBS_EDUP);
	CHECK_INT(dec("[{\"bn\":\"/5/0/\",\"n\":\"1\",\"v\":1},{\"n\":\"1/0\",\"v\":1}]", LWBS_PATH_ROOT, NULL, NULL),
		  LWBS_EPATH);
	CHECK_INT(dec("[]", LWBS_PATH_ROOT, NULL, &root), 0);
	CHECK(root && root->child == NULL);
}

static void test_records(void)
{
	CHECK_INT(dec("[{\"bn\":\"/5/0/\",\"n\":\"1\"}]", LWBS_PATH_ROOT, NULL, NULL), -EBADMSG);
	CHECK_INT(dec("[{\"bn\":\"/5/0/\",\"n\":\"1\",\"v\":1,\"vs\":\"a\"}]", LWBS_PATH_ROOT, NULL, NULL), -EBADMSG);
	CHECK_INT(dec("[{\"bn\":\"/5/0/\",\"n\":\"1\",\"v\":\"1\"}]", LWBS_PATH_ROOT, NULL, NULL), -EBADMSG);
	CHECK_INT(dec("[{\"bn\":\"/5/0/\",\"n\":\"1\",\"vb\":1}]", LWBS_PATH_ROOT, NULL, NULL), -EBADMSG);
	CHECK_INT(dec("[{\"bn\":\"/5/0/\",\"n\":1,\"v\":1}]", LWBS_PATH_ROOT, NULL, NULL), -EBADMSG);
	CHECK_INT(dec("[{\"bn\":5,\"n\":\"1\",\"v\":1}]", LWBS_PATH_ROOT, NULL, NULL), -EBADMSG);
	CHECK_INT(dec("[{\"bn\":\"/5/0/\",\"n\":\"1\",\"v\":1,\"t\":\"x\"}]", LWBS_PATH_ROOT, NULL, NULL), -EBADMSG);
	CHECK_INT(dec("[{\"bn\":\"/5/0/\",\"n\":\"1\",\"v\":1,\"x_\":1}]", LWBS_PATH_ROOT, NULL, NULL), -EBADMSG);
	CHECK_INT(dec("[{\"bv\":1,\"bn\":\"/5/0/\",\"n\":\"1\",\"v\":1}]", LWBS_PATH_ROOT, NULL, NULL), -EBADMSG);
	CHECK_INT(dec("[[]]", LWBS_PATH_ROOT, NULL, NULL), -EBADMSG);
	CHECK_INT(dec("{}", LWBS_PATH_ROOT, NULL, NULL), -EBADMSG);
	CHECK_INT(dec("[{\"bn\":\"/5/0/\",\"n\":\"1\",\"vlo\":\"1:\"}]", LWBS_PATH_ROOT, NULL, NULL), -EBADMSG);
	CHECK_INT(dec("[{\"bn\":\"/5/0/\",\"n\":\"1\",\"vlo\":\"65536:0\"}]", LWBS_PATH_ROOT, NULL, NULL), -EBADMSG);
	CHECK_INT(dec("[{\"bn\":\"/5/0/\",\"n\":\"1\",\"vlo\":\"-1:0\"}]", LWBS_PATH_ROOT, NULL, NULL), -EBADMSG);
	/* Accepted and ignored: bt, t, bver, unknown keys, null unknowns. */
	struct lwbs_node *root;
	CHECK_INT(dec("[{\"bver\":10,\"bt\":1.7e9,\"bn\":\"/5/0/\",\"n\":\"1\",\"t\":-5,\"u\":\"s\",\"x\":null,"
		      "\"vlo\":\"3:0\"}]",
		      LWBS_PATH_ROOT, NULL, &root),
		  0);
	const struct lwbs_value *v = val_at(root, LWBS_PATH_RES(5, 0, 1));
	CHECK(v && v->type == LWBS_TYPE_OBJLNK && v->v.objlnk.oid == 3 && v->v.objlnk.iid == 0);
}

static void test_opaque(void)
{
	struct lwbs_node *root;
	const struct lwbs_value *v;
	static const char *forms[] = {"AP/77z4/", "AP_77z4_", "AP/77z4/AA==", "AP_77z4_AA"};
	static const uint8_t want[] = {0x00, 0xff, 0xfb, 0xef, 0x3e, 0x3f, 0x00};
	for (size_t i = 0; i < 4; i++) {
		char s[128];
		snprintf(s, sizeof(s), "[{\"bn\":\"/0/0/\",\"n\":\"3\",\"vd\":\"%s\"}]", forms[i]);
		CHECK_INT(dec(s, LWBS_PATH_ROOT, &typer, &root), 0);
		v = val_at(root, LWBS_PATH_RES(0, 0, 3));
		CHECK(v && v->type == LWBS_TYPE_OPAQUE);
		if (v)
			CHECK_MEM(v->v.bytes.ptr, v->v.bytes.len, want, i < 2 ? 6u : 7u);
	}
	CHECK(dec("[{\"bn\":\"/0/0/\",\"n\":\"3\",\"vd\":\"A\"}]", LWBS_PATH_ROOT, &typer, NULL) < 0);
	CHECK(dec("[{\"bn\":\"/0/0/\",\"n\":\"3\",\"vd\":\"AA=A\"}]", LWBS_PATH_ROOT, &typer, NULL) < 0);
	CHECK(dec("[{\"bn\":\"/0/0/\",\"n\":\"3\",\"vd\":\"A*==\"}]", LWBS_PATH_ROOT, &typer, NULL) < 0);
	CHECK(dec("[{\"bn\":\"/0/0/\",\"n\":\"3\",\"vd\":\"A+_A\"}]", LWBS_PATH_ROOT, &typer, NULL) < 0);
	/* vd for a string resource, vs for an opaque one. */
	CHECK_INT(dec("[{\"bn\":\"/0/0/\",\"n\":\"0\",\"vd\":\"AA\"}]", LWBS_PATH_ROOT, &typer, NULL), LWBS_ETYPE);
	CHECK_INT(dec("[{\"bn\":\"/0/0/\",\"n\":\"3\",\"vs\":\"AA\"}]", LWBS_PATH_ROOT, &typer, NULL), LWBS_ETYPE);
}

static void test_numbers(void)
{
	struct lwbs_node *root;
	const struct lwbs_value *v;
	struct {
		const char *json;
		uint16_t rid;
		int rc;
		enum lwbs_type type;
		double want;
	} cases[] = {
		{"3", 0, 0, LWBS_TYPE_INTEGER, 3},
		{"1e3", 0, 0, LWBS_TYPE_INTEGER, 1000},
		{"-2.0", 0, 0, LWBS_TYPE_INTEGER, -2},
		{"3.5", 0, LWBS_ETYPE, 0, 0},
		{"9223372036854775808", 0, LWBS_ERANGE_VAL, 0, 0},
		{"9.3e18", 0, LWBS_ERANGE_VAL, 0, 0},
		{"-9223372036854775808", 0, 0, LWBS_TYPE_INTEGER, -9223372036854775808.0},
		{"-9223372036854775809", 0, LWBS_ERANGE_VAL, 0, 0},
		{"-1", 1, LWBS_ERANGE_VAL, 0, 0},
		{"18446744073709551615", 1, 0, LWBS_TYPE_UNSIGNED, 18446744073709551615.0},
		{"18446744073709551616", 1, LWBS_ERANGE_VAL, 0, 0},
		{"1.5", 1, LWBS_ETYPE, 0, 0},
		{"4e2", 1, 0, LWBS_TYPE_UNSIGNED, 400},
		{"7", 2, 0, LWBS_TYPE_FLOAT, 7},
		{"-1.5e-3", 2, 0, LWBS_TYPE_FLOAT, -1.5e-3},
		{"18446744073709551615", 2, 0, LWBS_TYPE_FLOAT, 18446744073709551615.0},
		{"1700000000", 3, 0, LWBS_TYPE_TIME, 1700000000},
		{"0.5", 3, LWBS_ETYPE, 0, 0},
		{"1", 4, LWBS_ETYPE, 0, 0},
		{"1", 6, LWBS_ETYPE, 0, 0},
		{"1", 8, LWBS_ETYPE, 0, 0},
		/* Unknown resource: integers, unsigned above INT64_MAX, else float. */
		{"-12", 20, 0, LWBS_TYPE_INTEGER, -12},
		{"9223372036854775808", 20, 0, LWBS_TYPE_UNSIGNED, 9223372036854775808.0},
		{"123456789012345678901234567890", 20, 0, LWBS_TYPE_FLOAT, 123456789012345678901234567890.0},
		{"2.0", 20, 0, LWBS_TYPE_FLOAT, 2},
		{"1E2", 20, 0, LWBS_TYPE_FLOAT, 100},
		{"-0", 20, 0, LWBS_TYPE_INTEGER, 0},
		{"1e400", 20, LWBS_ERANGE_VAL, 0, 0},
		{"-1e400", 2, LWBS_ERANGE_VAL, 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char s[160];
		snprintf(s, sizeof(s), "[{\"bn\":\"/100/0/\",\"n\":\"%u\",\"v\":%s}]", cases[i].rid, cases[i].json);
		int rc = dec(s, LWBS_PATH_ROOT, &typer, &root);
		if (rc != cases[i].rc)
			fprintf(stderr, "case %zu: %s\n", i, s);
		CHECK_INT(rc, cases[i].rc);
		if (rc || cases[i].rc)
			continue;
		v = val_at(root, LWBS_PATH_RES(100, 0, cases[i].rid));
		CHECK(v && v->type == cases[i].type);
		if (!v)
			continue;
		double got = v->type == LWBS_TYPE_UNSIGNED ? (double)v->v.u :
			     v->type == LWBS_TYPE_FLOAT    ? v->v.f :
							     (double)v->v.i;
		CHECK(got == cases[i].want);
	}
	/* Exact int64 / uint64 limits. */
	CHECK_INT(dec("[{\"bn\":\"/100/0/\",\"n\":\"0\",\"v\":-9223372036854775808},{\"n\":\"1\",\"v\":18446744073709551615}]",
		      LWBS_PATH_ROOT, &typer, &root),
		  0);
	v = val_at(root, LWBS_PATH_RES(100, 0, 0));
	CHECK(v && v->v.i == INT64_MIN);
	v = val_at(root, LWBS_PATH_RES(100, 0, 1));
	CHECK(v && v->v.u == UINT64_MAX);
	/* Strings and booleans do not go to numeric resources. */
	CHECK_INT(dec("[{\"bn\":\"/100/0/\",\"n\":\"0\",\"vs\":\"1\"}]", LWBS_PATH_ROOT, &typer, NULL), LWBS_ETYPE);
	CHECK_INT(dec("[{\"bn\":\"/100/0/\",\"n\":\"0\",\"vb\":true}]", LWBS_PATH_ROOT, &typer, NULL), LWBS_ETYPE);
	CHECK_INT(dec("[{\"bn\":\"/100/0/\",\"n\":\"0\",\"vlo\":\"1:1\"}]", LWBS_PATH_ROOT, &typer, NULL), LWBS_ETYPE);
	/* vs for a core link resource is a core link. */
	CHECK_INT(dec("[{\"bn\":\"/100/0/\",\"n\":\"5\",\"vs\":\"</1>\"}]", LWBS_PATH_ROOT, &typer, &root), 0);
	v = val_at(root, LWBS_PATH_RES(100, 0, 5));
	CHECK(v && v->type == LWBS_TYPE_CORELNK);
}

/* --- the JSON layer --- */

static int parse(const char *s, struct lwbs_json **out)
{
	struct lwbs_json *dummy;
	return lwbs_json_parse((const uint8_t *)s, strlen(s), arena, out ? out : &dummy);
}

static void test_json_strict(void)
{
	struct {
		const char *s;
		int rc;
	} cases[] = {
		{"", LWBS_ETRUNC},
		{" ", LWBS_ETRUNC},
		{"[1,]", LWBS_ESYNTAX},
		{"[,1]", LWBS_ESYNTAX},
		{"{\"a\":1,}", LWBS_ESYNTAX},
		{"[1 2]", LWBS_ESYNTAX},
		{"[1]/*c*/", LWBS_ESYNTAX},
		{"// c\n[1]", LWBS_ESYNTAX},
		{"[01]", LWBS_ESYNTAX},
		{"[-01]", LWBS_ESYNTAX},
		{"[+1]", LWBS_ESYNTAX},
		{"[.5]", LWBS_ESYNTAX},
		{"[1.]", LWBS_ESYNTAX},
		{"[1.e3]", LWBS_ESYNTAX},
		{"[1e]", LWBS_ESYNTAX},
		{"[-]", LWBS_ESYNTAX},
		{"[NaN]", LWBS_ESYNTAX},
		{"[Infinity]", LWBS_ESYNTAX},
		{"[-Infinity]", LWBS_ESYNTAX},
		{"[tru]", LWBS_ESYNTAX},
		{"[True]", LWBS_ESYNTAX},
		{"[nul", LWBS_ETRUNC},
		{"['a']", LWBS_ESYNTAX},
		{"{a:1}", LWBS_ESYNTAX},
		{"{\"a\" 1}", LWBS_ESYNTAX},
		{"[\"a\tb\"]", LWBS_ESYNTAX},
		{"[\"a\\x\"]", LWBS_ESYNTAX},
		{"[\"\\u12G4\"]", LWBS_ESYNTAX},
		{"[\"\\ud800\"]", LWBS_EUTF8},
		{"[\"\\udc00\"]", LWBS_EUTF8},
		{"[\"\\ud800\\u0041\"]", LWBS_EUTF8},
		{"[\"\\ud800x\"]", LWBS_EUTF8},
		{"[\"\xff\"]", LWBS_EUTF8},
		{"[\"\xc0\xaf\"]", LWBS_EUTF8},
		{"[\"\xed\xa0\x80\"]", LWBS_EUTF8},
		{"\xef\xbb\xbf[1]", LWBS_ESYNTAX},
		{"[1] [2]", LWBS_ESYNTAX},
		{"{\"a\":1,\"a\":2}", LWBS_EDUP},
		{"[1e999]", LWBS_ERANGE_VAL},
		{"[\"abc", LWBS_ETRUNC},
		{"[\"abc\\", LWBS_ETRUNC},
		{"\x0b[1]", LWBS_ESYNTAX},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse(cases[i].s, NULL);
		if (rc != cases[i].rc)
			fprintf(stderr, "json case %zu: %s\n", i, cases[i].s);
		CHECK_INT(rc, cases[i].rc);
	}
	/* NUL inside the input is not JSON either. */
	CHECK_INT(lwbs_json_parse((const uint8_t *)"[1]\0", 4, arena, &(struct lwbs_json *){NULL}), LWBS_ESYNTAX);
}

static void test_json_values(void)
{
	struct lwbs_json *j;
	CHECK_INT(parse(" \t\r\n{ \"a\" : [ true , false , null , -0.5e+1 , \"\\u00e9\\ud83d\\ude00\\n\\/\\\"\\u0000\" ] } \n",
			&j),
		  0);
	CHECK(j->type == LWBS_JSON_OBJECT && j->count == 1);
	const struct lwbs_json *a = lwbs_json_get(j, "a");
	CHECK(a && a->type == LWBS_JSON_ARRAY && a->count == 5);
	if (!a || a->count != 5)
		return;
	const struct lwbs_json *e = a->child;
	CHECK(e->type == LWBS_JSON_TRUE);
	e = e->next;
	CHECK(e->type == LWBS_JSON_FALSE);
	e = e->next;
	CHECK(e->type == LWBS_JSON_NULL);
	e = e->next;
	CHECK(e->type == LWBS_JSON_NUMBER && e->num == LWBS_JSON_NUM_DOUBLE && e->v.d == -5.0);
	e = e->next;
	CHECK(e->type == LWBS_JSON_STRING);
	CHECK_MEM(e->v.s.ptr, e->v.s.len, "\xc3\xa9\xf0\x9f\x98\x80\n/\"\0", 10);
	CHECK(lwbs_json_get(j, "b") == NULL);

	/* Keys compare by bytes after unescaping. */
	CHECK_INT(parse("{\"a\":1,\"\\u0061\":2}", NULL), LWBS_EDUP);
	CHECK_INT(parse("{\"a\":1,\"A\":2,\"a\\u0000\":3}", NULL), 0);
	/* Many keys take the sorting path. */
	char big[4096];
	size_t k = 0;
	big[k++] = '{';
	for (int i = 0; i < 100; i++)
		k += (size_t)snprintf(big + k, sizeof(big) - k, "%s\"k%d\":%d", i ? "," : "", i, i);
	big[k++] = '}';
	big[k] = 0;
	CHECK_INT(parse(big, NULL), 0);
	memcpy(big + k - 1, ",\"k57\":0}", 10);
	CHECK_INT(parse(big, NULL), LWBS_EDUP);
}

static void test_json_depth(void)
{
	char s[2100];
	memset(s, '[', 1000);
	memset(s + 1000, ']', 1000);
	s[2000] = 0;
	CHECK_INT(parse(s, NULL), LWBS_EDEPTH);
	CHECK_INT(dec(s, LWBS_PATH_ROOT, NULL, NULL), LWBS_EDEPTH);
	/* Exactly the limit is fine, one more is not. */
	memset(s, '[', LWBS_DECODE_MAX_DEPTH);
	memset(s + LWBS_DECODE_MAX_DEPTH, ']', LWBS_DECODE_MAX_DEPTH);
	s[2 * LWBS_DECODE_MAX_DEPTH] = 0;
	CHECK_INT(parse(s, NULL), 0);
	memset(s, '[', LWBS_DECODE_MAX_DEPTH + 1);
	memset(s + LWBS_DECODE_MAX_DEPTH + 1, ']', LWBS_DECODE_MAX_DEPTH + 1);
	s[2 * LWBS_DECODE_MAX_DEPTH + 2] = 0;
	CHECK_INT(parse(s, NULL), LWBS_EDEPTH);
	/* A long number lexeme is read correctly. */
	char num[600];
	memset(num, '1', 300);
	strcpy(num + 300, ".5");
	struct lwbs_json *j;
	CHECK_INT(parse(num, &j), 0);
	CHECK(j->num == LWBS_JSON_NUM_DOUBLE && j->v.d > 1.1e299 && j->v.d < 1.2e299);
}

static void test_put_double(void)
{
	static const double vals[] = {0.1, 1.0 / 3, 5e-324, 2.2250738585072014e-308, 123456789.0,
				      9007199254740993.0, -7.25, 1e21, 1e-7, 0.0};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		struct lwbs_buf b;
		lwbs_buf_init(&b, 0);
		CHECK_INT(lwbs_json_put_double(&b, vals[i]), 0);
		lwbs_buf_putc(&b, 0);
		struct lwbs_json *j;
		CHECK_INT(parse((const char *)b.data, &j), 0);
		CHECK(j->type == LWBS_JSON_NUMBER && j->num == LWBS_JSON_NUM_DOUBLE && j->v.d == vals[i]);
		lwbs_buf_finish(&b);
	}
	struct lwbs_buf b;
	lwbs_buf_init(&b, 0);
	lwbs_json_put_double(&b, 0.1);
	CHECK_MEM(b.data, b.len, "0.1", 3);
	CHECK_INT(lwbs_json_put_double(&b, INFINITY), -ERANGE);
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_json_put_string(&b, "\xff", 1), LWBS_EUTF8);
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

TEST_MAIN(setup, test_vector, test_truncation, test_roundtrip, test_bases, test_names, test_records, test_opaque,
	  test_numbers, test_json_strict, test_json_values, test_json_depth, test_put_double, teardown)
