/* Unit tests for LwM2M CBOR (content format 11544). */
#include <errno.h>
#include <math.h>

#include "lwbs/codec.h"
#include "lwbs/err.h"
#include "../test.h"

#define URI_BYTES 0x63, 0x6f, 0x61, 0x70, 0x3a, 0x2f, 0x2f, 0x31, 0x30, 0x2e, 0x30, 0x2e, \
		  0x30, 0x2e, 0x31, 0x3a, 0x35, 0x36, 0x38, 0x33
#define URI "coap://10.0.0.1:5683"

/* STANDARDS.md §3.5: PUT /0/0, 31 bytes. */
static const uint8_t sec0[] = {
	0xa1, 0x82, 0x00, 0x00, 0xa3, 0x00, 0x74, URI_BYTES, 0x01, 0xf4, 0x02, 0x03,
};

#define CODEC_DECODE lwbs_lwm2m_cbor_decode
#define CODEC_ENCODE lwbs_lwm2m_cbor_encode
#include "codec_test.h"

static struct lwbs_node *sec0_tree(void)
{
	struct lwbs_node *root = lwbs_node_root(arena);
	set(root, LWBS_PATH_RES(0, 0, 1), lwbs_value_bool(false));
	set(root, LWBS_PATH_RES(0, 0, 2), lwbs_value_int(3));
	set(root, LWBS_PATH_RES(0, 0, 0), lwbs_value_string(URI));
	return root;
}

static void test_vector(void)
{
	struct lwbs_node *root, *want;

	CHECK_INT(sizeof(sec0), 31);
	CHECK_INT(dec_at(sec0, sizeof(sec0), LWBS_PATH_INST(0, 0), &root), 0);
	want = sec0_tree();
	CHECK(lwbs_node_equal(root, want));
	expect_enc(root, LWBS_PATH_INST(0, 0), sec0, sizeof(sec0));
	expect_enc(want, LWBS_PATH_INST(0, 0), sec0, sizeof(sec0));
	/* the same with an object or root base */
	expect_enc(want, LWBS_PATH_OBJ(0), sec0, sizeof(sec0));
	expect_enc(want, LWBS_PATH_ROOT, sec0, sizeof(sec0));
	CHECK_INT(dec_at(sec0, sizeof(sec0), LWBS_PATH_OBJ(0), &root), 0);
	CHECK_INT(dec_at(sec0, sizeof(sec0), LWBS_PATH_ROOT, &root), 0);
	/* outside base */
	CHECK_INT(dec_at(sec0, sizeof(sec0), LWBS_PATH_INST(0, 1), &root), LWBS_EPATH);
	CHECK_INT(dec_at(sec0, sizeof(sec0), LWBS_PATH_OBJ(1), &root), LWBS_EPATH);
	CHECK_INT(dec_at(sec0, sizeof(sec0), LWBS_PATH_RES(0, 0, 0), &root), LWBS_EPATH);
	/* truncation at every byte */
	for (size_t n = 0; n < sizeof(sec0); n++)
		CHECK(dec(sec0, n) < 0);
}

static void test_equivalent_shapes(void)
{
	struct lwbs_node *root, *want;

	/* {0: {0: {0: uri, 1: false, 2: 3}}} */
	CHECK_INT(dec_at(B(0xa1, 0x00, 0xa1, 0x00, 0xa3, 0x00, 0x74, URI_BYTES, 0x01, 0xf4, 0x02,
			   0x03), LWBS_PATH_INST(0, 0), &root), 0);
	want = sec0_tree();
	CHECK(lwbs_node_equal(root, want));
	/* {[0,0,0]: uri, [0,0]: {1: false}, [0]: {[0,2]: 3}} */
	CHECK_INT(dec_at(B(0xa3, 0x83, 0x00, 0x00, 0x00, 0x74, URI_BYTES, 0x82, 0x00, 0x00, 0xa1,
			   0x01, 0xf4, 0x81, 0x00, 0xa1, 0x82, 0x00, 0x02, 0x03),
			 LWBS_PATH_INST(0, 0), &root), 0);
	want = sec0_tree();
	CHECK(lwbs_node_equal(root, want));
	/* indefinite maps and key arrays, the way Anjay writes */
	CHECK_INT(dec_at(B(0xbf, 0x9f, 0x00, 0x00, 0xff, 0xbf, 0x00, 0x7f, 0x6a, 0x63, 0x6f, 0x61,
			   0x70, 0x3a, 0x2f, 0x2f, 0x31, 0x30, 0x2e, 0x6a, 0x30, 0x2e, 0x30, 0x2e,
			   0x31, 0x3a, 0x35, 0x36, 0x38, 0x33, 0xff, 0x01, 0xf4, 0x02, 0x03, 0xff,
			   0xff), LWBS_PATH_INST(0, 0), &root), 0);
	want = sec0_tree();
	CHECK(lwbs_node_equal(root, want));
}

static void test_multiple_and_objlnk(void)
{
	struct lwbs_node *root;
	const struct lwbs_value *v;

	/* {[1,0]: {24: {0: "11:0", 1: "11:1"}, 10: "11:2", 0: 1}} */
	static const uint8_t msg[] = {
		0xa1, 0x82, 0x01, 0x00, 0xa3, 0x00, 0x01, 0x0a, 0x64, '1', '1', ':', '2', 0x18,
		0x18, 0xa2, 0x00, 0x64, '1', '1', ':', '0', 0x01, 0x64, '1', '1', ':', '1',
	};
	CHECK_INT(dec_at(msg, sizeof(msg), LWBS_PATH_INST(1, 0), &root), 0);
	v = val(root, LWBS_PATH_RI(1, 0, 24, 1));
	CHECK(v && v->type == LWBS_TYPE_OBJLNK && v->v.objlnk.oid == 11 && v->v.objlnk.iid == 1);
	v = val(root, LWBS_PATH_RES(1, 0, 10));
	CHECK(v && v->type == LWBS_TYPE_OBJLNK && v->v.objlnk.iid == 2);
	const struct lwbs_node *r = lwbs_node_find(root, PP(LWBS_PATH_RES(1, 0, 24)));
	CHECK(r && r->multiple && lwbs_node_count(r) == 2);
	/* encoding sorts by id */
	expect_enc(root, LWBS_PATH_INST(1, 0),
		   B(0xa1, 0x82, 0x01, 0x00, 0xa3, 0x00, 0x01, 0x0a, 0x64, '1', '1', ':', '2', 0x18,
		     0x18, 0xa2, 0x00, 0x64, '1', '1', ':', '0', 0x01, 0x64, '1', '1', ':', '1'));
	/* resource and resource-instance bases */
	expect_enc(root, LWBS_PATH_RES(1, 0, 24),
		   B(0xa1, 0x83, 0x01, 0x00, 0x18, 0x18, 0xa2, 0x00, 0x64, '1', '1', ':', '0', 0x01,
		     0x64, '1', '1', ':', '1'));
	expect_enc(root, LWBS_PATH_RES(1, 0, 0), B(0xa1, 0x83, 0x01, 0x00, 0x00, 0x01));
	expect_enc(root, LWBS_PATH_RI(1, 0, 24, 1),
		   B(0xa1, 0x84, 0x01, 0x00, 0x18, 0x18, 0x01, 0x64, '1', '1', ':', '1'));
	/* a bad objlnk text */
	CHECK_INT(dec(B(0xa1, 0x83, 0x01, 0x00, 0x0a, 0x63, '1', '1', ':')), LWBS_ETYPE);
	/* without a typer, text is a string */
	struct lwbs_path base = LWBS_PATH_ROOT;
	CHECK_INT(lwbs_lwm2m_cbor_decode(msg, sizeof(msg), &base, NULL, arena, &root), 0);
	v = val(root, LWBS_PATH_RES(1, 0, 10));
	CHECK(v && v->type == LWBS_TYPE_STRING);
}

static struct lwbs_node *full_tree(void)
{
	struct lwbs_node *root = lwbs_node_root(arena);
	struct lwbs_node *n;
	set(root, LWBS_PATH_RES(0, 0, 0), lwbs_value_string(URI));
	set(root, LWBS_PATH_RES(0, 0, 1), lwbs_value_bool(true));
	set(root, LWBS_PATH_RES(0, 0, 3), lwbs_value_bytes(LWBS_TYPE_OPAQUE, "", 0));
	set(root, LWBS_PATH_RES(0, 0, 5), lwbs_value_bytes(LWBS_TYPE_OPAQUE, "\x00\xff", 2));
	set(root, LWBS_PATH_RI(0, 0, 16, 0), lwbs_value_uint(49320));
	set(root, LWBS_PATH_RI(0, 0, 16, 3), lwbs_value_uint(UINT64_MAX));
	set(root, LWBS_PATH_RES(0, 0, 17), lwbs_value_objlnk(21, 0));
	set(root, LWBS_PATH_RES(0, 1, 0), lwbs_value_string(""));
	set(root, LWBS_PATH_RES(1, 0, 0), lwbs_value_int(1));
	set(root, LWBS_PATH_RES(1, 0, 12), lwbs_value_time(1700000000));
	set(root, LWBS_PATH_RI(1, 0, 24, 0), lwbs_value_objlnk(65535, 65535));
	set(root, LWBS_PATH_RES(TOBJ, 0, 0), lwbs_value_int(INT64_MIN));
	set(root, LWBS_PATH_RES(TOBJ, 0, 1), lwbs_value_uint(UINT64_MAX));
	set(root, LWBS_PATH_RES(TOBJ, 0, 2), lwbs_value_float(0.1));
	set(root, LWBS_PATH_RES(TOBJ, 0, 3), lwbs_value_string("\xe2\x82\xac"));
	set(root, LWBS_PATH_RES(TOBJ, 0, 4), lwbs_value_bool(false));
	set(root, LWBS_PATH_RES(TOBJ, 0, 6), lwbs_value_time(INT64_MIN));
	set(root, LWBS_PATH_RES(TOBJ, 0, 7), lwbs_value_objlnk(3, 0));
	set(root, LWBS_PATH_RES(TOBJ, 0, 8), lwbs_value_bytes(LWBS_TYPE_CORELNK, "</3/0>", 6));
	set(root, LWBS_PATH_RI(TOBJ, 0, 9, 65534), lwbs_value_int(INT64_MAX));
	set(root, LWBS_PATH_RES(TOBJ, 1, 2), lwbs_value_float(-1.25));
	set(root, LWBS_PATH_RES(9998, 0, 0), lwbs_value_int(-100000));
	set(root, LWBS_PATH_RES(9998, 0, 1), lwbs_value_uint((uint64_t)INT64_MAX + 1));
	set(root, LWBS_PATH_RES(9998, 0, 2), lwbs_value_float(1e-300));
	set(root, LWBS_PATH_RES(9998, 0, 3), lwbs_value_float(-0.0));
	/* what LwM2M CBOR can say and SenML cannot: empty containers */
	CHECK_INT(lwbs_node_insert(arena, root, PP(LWBS_PATH_INST(0, 7)), NULL), 0);
	CHECK_INT(lwbs_node_insert(arena, root, PP(LWBS_PATH_OBJ(21)), NULL), 0);
	CHECK_INT(lwbs_node_insert(arena, root, PP(LWBS_PATH_RES(1, 0, 25)), &n), 0);
	n->multiple = true;
	return root;
}

static void test_round_trip(void)
{
	struct lwbs_buf b;
	struct lwbs_node *src;
	struct lwbs_path base;

	fresh_arena();
	src = full_tree();
	static const struct lwbs_path subs[] = {
		{{0, 0, 0, 0}, 1}, {{TOBJ, 0, 0, 0}, 2}, {{0, 0, 16, 0}, 3}, {{0, 0, 3, 0}, 3},
		{{TOBJ, 0, 9, 65534}, 4}, {{0, 7, 0, 0}, 2}, {{21, 0, 0, 0}, 1},
		{{1, 0, 25, 0}, 3},
	};
	check_round_trip(src, 0xa0, subs, sizeof(subs) / sizeof(subs[0]));

	expect_enc(src, LWBS_PATH_OBJ(21), B(0xa1, 0x15, 0xa0));
	expect_enc(src, LWBS_PATH_INST(0, 7), B(0xa1, 0x82, 0x00, 0x07, 0xa0));
	expect_enc(src, LWBS_PATH_RES(1, 0, 25), B(0xa1, 0x83, 0x01, 0x00, 0x18, 0x19, 0xa0));
	expect_enc(src, LWBS_PATH_RES(TOBJ, 0, 2),
		   B(0xa1, 0x83, 0x19, 0x27, 0x0f, 0x00, 0x02, 0xfb, 0x3f, 0xb9, 0x99, 0x99, 0x99,
		     0x99, 0x99, 0x9a));
	expect_enc(src, LWBS_PATH_RES(TOBJ, 1, 2),
		   B(0xa1, 0x83, 0x19, 0x27, 0x0f, 0x01, 0x02, 0xfa, 0xbf, 0xa0, 0x00, 0x00));
	expect_enc(src, LWBS_PATH_RES(0, 0, 3), B(0xa1, 0x83, 0x00, 0x00, 0x03, 0x40));

	/* NONE values are left out; a missing base is -ENOENT */
	set(src, LWBS_PATH_RES(1, 1, 4), lwbs_value_none());
	expect_enc(src, LWBS_PATH_INST(1, 1), B(0xa1, 0x82, 0x01, 0x01, 0xa0));
	expect_enc(src, LWBS_PATH_RES(1, 1, 4), B(0xa0));
	lwbs_buf_init(&b, 0);
	base = LWBS_PATH_RES(1, 1, 5);
	CHECK_INT(lwbs_lwm2m_cbor_encode(src, &base, &b), -ENOENT);
	lwbs_buf_finish(&b);
}

static void test_typing(void)
{
	struct lwbs_node *root;
	const struct lwbs_value *v;

	/* half float into FLOAT; integral float into INTEGER; integer into FLOAT */
	CHECK_INT(dec_at(B(0xa1, 0x82, 0x19, 0x27, 0x0f, 0x00, 0xa2, 0x00, 0xf9, 0x45, 0x00, 0x02,
			   0xf9, 0x3e, 0x00), LWBS_PATH_ROOT, &root), 0);
	v = val(root, LWBS_PATH_RES(TOBJ, 0, 0));
	CHECK(v && v->type == LWBS_TYPE_INTEGER && v->v.i == 5);
	v = val(root, LWBS_PATH_RES(TOBJ, 0, 2));
	CHECK(v && v->type == LWBS_TYPE_FLOAT && v->v.f == 1.5);
	CHECK_INT(dec(B(0xa1, 0x83, 0x19, 0x27, 0x0f, 0x00, 0x00, 0xf9, 0x3e, 0x00)), LWBS_ETYPE);
	CHECK_INT(dec(B(0xa1, 0x83, 0x19, 0x27, 0x0f, 0x00, 0x01, 0x20)), LWBS_ERANGE_VAL);
	CHECK_INT(dec(B(0xa1, 0x83, 0x19, 0x27, 0x0f, 0x00, 0x00, 0x1b, 0x80, 0, 0, 0, 0, 0, 0,
			0)), LWBS_ERANGE_VAL);
	CHECK_INT(dec(B(0xa1, 0x83, 0x09, 0x00, 0x00, 0x3b, 0x80, 0, 0, 0, 0, 0, 0, 0)),
		  LWBS_ERANGE_VAL);
	/* kinds that contradict the typer */
	CHECK_INT(dec(B(0xa1, 0x83, 0x00, 0x00, 0x00, 0x41, 0x61)), LWBS_ETYPE);
	CHECK_INT(dec(B(0xa1, 0x83, 0x00, 0x00, 0x03, 0x61, 0x61)), LWBS_ETYPE);
	CHECK_INT(dec(B(0xa1, 0x83, 0x00, 0x00, 0x01, 0x01)), LWBS_ETYPE);
	/* CORELNK per typer */
	CHECK_INT(dec_at(B(0xa1, 0x83, 0x19, 0x27, 0x0f, 0x00, 0x08, 0x62, '<', '>'),
			 LWBS_PATH_ROOT, &root), 0);
	v = val(root, LWBS_PATH_RES(TOBJ, 0, 8));
	CHECK(v && v->type == LWBS_TYPE_CORELNK);
	/* null, undefined and arrays are not values */
	CHECK_INT(dec(B(0xa1, 0x83, 0x09, 0x00, 0x00, 0xf6)), -EBADMSG);
	CHECK_INT(dec(B(0xa1, 0x83, 0x09, 0x00, 0x00, 0xf7)), -EBADMSG);
	CHECK_INT(dec(B(0xa1, 0x83, 0x09, 0x00, 0x00, 0x81, 0x01)), -EBADMSG);
	/* invalid UTF-8 */
	CHECK_INT(dec(B(0xa1, 0x83, 0x09, 0x00, 0x00, 0x62, 0xc3, 0x28)), LWBS_EUTF8);
}

static void test_path_errors(void)
{
	struct lwbs_node *root;

	CHECK_INT(dec(B(0xa1, 0x80, 0xa0)), LWBS_EPATH);                    /* empty array key */
	CHECK_INT(dec(B(0xa1, 0x61, '0', 0xa0)), LWBS_EPATH);               /* text key */
	CHECK_INT(dec(B(0xa1, 0x20, 0xa0)), LWBS_EPATH);                    /* negative key */
	CHECK_INT(dec(B(0xa1, 0xf5, 0xa0)), LWBS_EPATH);
	CHECK_INT(dec(B(0xa1, 0x81, 0x61, '0', 0xa0)), LWBS_EPATH);
	CHECK_INT(dec(B(0xa1, 0x81, 0x81, 0x00, 0xa0)), LWBS_EPATH);        /* nested array */
	CHECK_INT(dec(B(0xa1, 0x19, 0xff, 0xff, 0xa0)), LWBS_EPATH);        /* id 65535 */
	CHECK_INT(dec(B(0xa1, 0x85, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01)), LWBS_EPATH);
	CHECK_INT(dec(B(0xa1, 0x84, 0x00, 0x00, 0x00, 0x00, 0xa1, 0x00, 0x01)), LWBS_EPATH);
	CHECK_INT(dec(B(0xa1, 0x84, 0x00, 0x00, 0x00, 0x00, 0xa0)), LWBS_EPATH);
	CHECK_INT(dec(B(0xa1, 0x82, 0x00, 0x00, 0x05)), LWBS_EPATH);        /* value at instance */
	CHECK_INT(dec(B(0xa1, 0x00, 0x05)), LWBS_EPATH);
	/* an empty map above base creates nothing outside it */
	CHECK_INT(dec_at(B(0xa1, 0x00, 0xa0), LWBS_PATH_INST(0, 0), &root), LWBS_EPATH);
	CHECK_INT(dec_at(B(0xa1, 0x00, 0xa1, 0x01, 0xa0), LWBS_PATH_INST(0, 0), &root), LWBS_EPATH);
	/* a path twice, single vs multiple */
	CHECK_INT(dec(B(0xa2, 0x83, 0x00, 0x00, 0x01, 0xf4, 0x82, 0x00, 0x00, 0xa1, 0x01, 0xf5)),
		  LWBS_EDUP);
	CHECK_INT(dec(B(0xa2, 0x83, 0x00, 0x00, 0x10, 0x01, 0x84, 0x00, 0x00, 0x10, 0x00, 0x01)),
		  LWBS_EPATH);
	CHECK_INT(dec(B(0xa2, 0x83, 0x00, 0x00, 0x10, 0x01, 0x83, 0x00, 0x00, 0x10, 0xa0)),
		  LWBS_EPATH);
	CHECK_INT(dec(B(0xa2, 0x83, 0x00, 0x00, 0x10, 0xa0, 0x83, 0x00, 0x00, 0x10, 0x01)),
		  LWBS_EPATH);
	/* empty maps make empty nodes; an empty top-level map an empty tree */
	CHECK_INT(dec_at(B(0xa0), LWBS_PATH_INST(0, 0), &root), 0);
	CHECK(root->child == NULL);
	CHECK_INT(dec_at(B(0xa2, 0x82, 0x00, 0x00, 0xa0, 0x83, 0x00, 0x01, 0x10, 0xa0),
			 LWBS_PATH_OBJ(0), &root), 0);
	const struct lwbs_node *n = lwbs_node_find(root, PP(LWBS_PATH_INST(0, 0)));
	CHECK(n && n->child == NULL);
	n = lwbs_node_find(root, PP(LWBS_PATH_RES(0, 1, 16)));
	CHECK(n && n->multiple && n->child == NULL);
}

static void test_malformed(void)
{
	CHECK_INT(dec(B(0x80)), -EBADMSG);                      /* not a map */
	CHECK_INT(dec(B(0xa0, 0x00)), -EBADMSG);                /* trailing bytes */
	CHECK_INT(dec(B(0xc0, 0xa0)), LWBS_EFORMAT);            /* tag */
	CHECK_INT(dec(B(0xa1, 0x83, 0x09, 0x00, 0x00, 0xc1, 0x00)), LWBS_EFORMAT);
	CHECK_INT(dec(B(0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x00)), LWBS_ELENGTH);
	CHECK_INT(dec(B(0xa1, 0x9b, 0, 0, 0, 1, 0, 0, 0, 0, 0x00)), LWBS_ELENGTH);
	CHECK_INT(dec(B(0xa1, 0x83, 0x09, 0x00, 0x00, 0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x00)),
		  LWBS_ELENGTH);
	CHECK_INT(dec(B(0xbf, 0x00, 0xff)), -EBADMSG);          /* key without value */
	CHECK_INT(dec(B(0xa1, 0x83, 0x09, 0x00, 0x00, 0x5f, 0x61, 'a', 0xff)), -EBADMSG);
	/* deep nesting in a key */
	uint8_t deep[1003] = {0xa1};
	memset(deep + 1, 0x81, 1000);
	deep[1001] = 0x00;
	deep[1002] = 0x00;
	int rc = dec(deep, sizeof(deep));
	CHECK(rc == LWBS_EPATH || rc == LWBS_EDEPTH);
	memset(deep + 1, 0x9f, 1000);
	rc = dec(deep, sizeof(deep));
	CHECK(rc == LWBS_EPATH || rc == LWBS_EDEPTH);
	/* deep nesting of maps */
	uint8_t maps[2001];
	for (int i = 0; i < 1000; i++) {
		maps[2 * i] = 0xa1;
		maps[2 * i + 1] = 0x00;
	}
	maps[2000] = 0x00;
	rc = dec(maps, sizeof(maps));
	CHECK(rc == LWBS_EPATH || rc == LWBS_EDEPTH);
}

static void test_arena_limit(void)
{
	struct lwbs_arena *small = lwbs_arena_create(0);
	struct lwbs_node *root;
	struct lwbs_path base = LWBS_PATH_ROOT;
	lwbs_arena_set_limit(small, 64);
	CHECK(lwbs_lwm2m_cbor_decode(sec0, sizeof(sec0), &base, &typer, small, &root) == -ENOMEM);
	lwbs_arena_destroy(small);
}

static void cleanup(void)
{
	lwbs_arena_destroy(arena);
	arena = NULL;
}

TEST_MAIN(test_vector, test_equivalent_shapes, test_multiple_and_objlnk, test_round_trip,
	  test_typing, test_path_errors, test_malformed, test_arena_limit, cleanup)
