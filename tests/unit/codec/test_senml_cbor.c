/* Unit tests for SenML CBOR (content format 112). */
#include <errno.h>
#include <math.h>

#include "lwbs/codec.h"
#include "lwbs/err.h"
#include "../test.h"

/* STANDARDS.md §3.5: PUT /0/0, 46 bytes. */
static const uint8_t sec0[] = {
	0x83, 0xa3, 0x21, 0x65, 0x2f, 0x30, 0x2f, 0x30, 0x2f, 0x00, 0x61, 0x30, 0x03, 0x74,
	0x63, 0x6f, 0x61, 0x70, 0x3a, 0x2f, 0x2f, 0x31, 0x30, 0x2e, 0x30, 0x2e, 0x30, 0x2e,
	0x31, 0x3a, 0x35, 0x36, 0x38, 0x33, 0xa2, 0x00, 0x61, 0x31, 0x04, 0xf4, 0xa2, 0x00,
	0x61, 0x32, 0x02, 0x03,
};

/* STANDARDS.md §3.5: Server /1/0. */
static const uint8_t srv0[] = {
	0x84, 0xa3, 0x21, 0x65, 0x2f, 0x31, 0x2f, 0x30, 0x2f, 0x00, 0x61, 0x30, 0x02, 0x01,
	0xa2, 0x00, 0x61, 0x31, 0x02, 0x1a, 0x00, 0x01, 0x51, 0x80, 0xa2, 0x00, 0x61, 0x36,
	0x04, 0xf5, 0xa2, 0x00, 0x61, 0x37, 0x03, 0x61, 0x55,
};

#define URI "coap://10.0.0.1:5683"

#define CODEC_DECODE lwbs_senml_cbor_decode
#define CODEC_ENCODE lwbs_senml_cbor_encode
#include "codec_test.h"

static void test_vector_security(void)
{
	struct lwbs_node *root;
	const struct lwbs_value *v;

	CHECK_INT(dec_at(sec0, sizeof(sec0), LWBS_PATH_INST(0, 0), &root), 0);
	v = val(root, LWBS_PATH_RES(0, 0, 0));
	CHECK(v && v->type == LWBS_TYPE_STRING && v->v.bytes.len == 20 &&
	      memcmp(v->v.bytes.ptr, URI, 20) == 0);
	v = val(root, LWBS_PATH_RES(0, 0, 1));
	CHECK(v && v->type == LWBS_TYPE_BOOLEAN && !v->v.b);
	v = val(root, LWBS_PATH_RES(0, 0, 2));
	CHECK(v && v->type == LWBS_TYPE_INTEGER && v->v.i == 3);
	CHECK_INT(lwbs_node_count(lwbs_node_find(root, PP(LWBS_PATH_INST(0, 0)))), 3);
	expect_enc(root, LWBS_PATH_INST(0, 0), sec0, sizeof(sec0));
	expect_enc(root, LWBS_PATH_OBJ(0), sec0, sizeof(sec0));
	expect_enc(root, LWBS_PATH_ROOT, sec0, sizeof(sec0));

	/* the same from a hand-built tree */
	fresh_arena();
	root = lwbs_node_root(arena);
	set(root, LWBS_PATH_RES(0, 0, 2), lwbs_value_int(3));
	set(root, LWBS_PATH_RES(0, 0, 0), lwbs_value_string(URI));
	set(root, LWBS_PATH_RES(0, 0, 1), lwbs_value_bool(false));
	expect_enc(root, LWBS_PATH_INST(0, 0), sec0, sizeof(sec0));

	/* without a typer the integer is still an integer */
	struct lwbs_path base = LWBS_PATH_INST(0, 0);
	CHECK_INT(lwbs_senml_cbor_decode(sec0, sizeof(sec0), &base, NULL, arena, &root), 0);
	v = val(root, LWBS_PATH_RES(0, 0, 2));
	CHECK(v && v->type == LWBS_TYPE_INTEGER && v->v.i == 3);

	/* outside base */
	CHECK_INT(dec_at(sec0, sizeof(sec0), LWBS_PATH_INST(0, 1), &root), LWBS_EPATH);
	CHECK_INT(dec_at(sec0, sizeof(sec0), LWBS_PATH_OBJ(1), &root), LWBS_EPATH);
	CHECK_INT(dec_at(sec0, sizeof(sec0), LWBS_PATH_RES(0, 0, 1), &root), LWBS_EPATH);
}

static void test_vector_server(void)
{
	struct lwbs_node *root;
	const struct lwbs_value *v;

	CHECK_INT(dec_at(srv0, sizeof(srv0), LWBS_PATH_INST(1, 0), &root), 0);
	v = val(root, LWBS_PATH_RES(1, 0, 0));
	CHECK(v && v->type == LWBS_TYPE_INTEGER && v->v.i == 1);
	v = val(root, LWBS_PATH_RES(1, 0, 1));
	CHECK(v && v->type == LWBS_TYPE_INTEGER && v->v.i == 86400);
	v = val(root, LWBS_PATH_RES(1, 0, 6));
	CHECK(v && v->type == LWBS_TYPE_BOOLEAN && v->v.b);
	v = val(root, LWBS_PATH_RES(1, 0, 7));
	CHECK(v && v->type == LWBS_TYPE_STRING && v->v.bytes.len == 1 && v->v.bytes.ptr[0] == 'U');
	expect_enc(root, LWBS_PATH_INST(1, 0), srv0, sizeof(srv0));

	fresh_arena();
	root = lwbs_node_root(arena);
	set(root, LWBS_PATH_RES(1, 0, 7), lwbs_value_string("U"));
	set(root, LWBS_PATH_RES(1, 0, 6), lwbs_value_bool(true));
	set(root, LWBS_PATH_RES(1, 0, 1), lwbs_value_int(86400));
	set(root, LWBS_PATH_RES(1, 0, 0), lwbs_value_int(1));
	expect_enc(root, LWBS_PATH_INST(1, 0), srv0, sizeof(srv0));
}

/* A tree with every type, several objects and multiple resources. */
static struct lwbs_node *full_tree(void)
{
	struct lwbs_node *root = lwbs_node_root(arena);
	set(root, LWBS_PATH_RES(0, 0, 0), lwbs_value_string(URI));
	set(root, LWBS_PATH_RES(0, 0, 1), lwbs_value_bool(true));
	set(root, LWBS_PATH_RES(0, 0, 3), lwbs_value_bytes(LWBS_TYPE_OPAQUE, "", 0));
	set(root, LWBS_PATH_RES(0, 0, 5), lwbs_value_bytes(LWBS_TYPE_OPAQUE, "\x00\x01\xfe\xff", 4));
	set(root, LWBS_PATH_RI(0, 0, 16, 0), lwbs_value_uint(49320));
	set(root, LWBS_PATH_RI(0, 0, 16, 7), lwbs_value_uint(UINT64_MAX));
	set(root, LWBS_PATH_RES(0, 0, 17), lwbs_value_objlnk(21, 0));
	set(root, LWBS_PATH_RES(0, 1, 0), lwbs_value_string(""));
	set(root, LWBS_PATH_RES(0, 1, 10), lwbs_value_int(101));
	set(root, LWBS_PATH_RES(1, 0, 0), lwbs_value_int(101));
	set(root, LWBS_PATH_RES(1, 0, 12), lwbs_value_time(-1));
	set(root, LWBS_PATH_RI(1, 0, 24, 1), lwbs_value_objlnk(65535, 65535));
	set(root, LWBS_PATH_RI(1, 0, 24, 2), lwbs_value_objlnk(11, 3));
	set(root, LWBS_PATH_RES(TOBJ, 0, 0), lwbs_value_int(INT64_MIN));
	set(root, LWBS_PATH_RES(TOBJ, 0, 1), lwbs_value_uint(0));
	set(root, LWBS_PATH_RES(TOBJ, 0, 2), lwbs_value_float(0.1));
	set(root, LWBS_PATH_RES(TOBJ, 0, 3), lwbs_value_string("h\xc3\xa9llo"));
	set(root, LWBS_PATH_RES(TOBJ, 0, 4), lwbs_value_bool(false));
	set(root, LWBS_PATH_RES(TOBJ, 0, 6), lwbs_value_time(INT64_MAX));
	set(root, LWBS_PATH_RES(TOBJ, 0, 7), lwbs_value_objlnk(0, 65534));
	set(root, LWBS_PATH_RES(TOBJ, 0, 8), lwbs_value_bytes(LWBS_TYPE_CORELNK, "</1/0>", 6));
	set(root, LWBS_PATH_RI(TOBJ, 0, 9, 0), lwbs_value_int(-1));
	set(root, LWBS_PATH_RI(TOBJ, 0, 9, 65534), lwbs_value_int(INT64_MAX));
	set(root, LWBS_PATH_RES(TOBJ, 65534, 2), lwbs_value_float(1.5));
	set(root, LWBS_PATH_RES(TOBJ, 65534, 0), lwbs_value_int(-25));
	/* an object the typer does not know */
	set(root, LWBS_PATH_RES(9998, 0, 0), lwbs_value_int(-7));
	set(root, LWBS_PATH_RES(9998, 0, 1), lwbs_value_uint((uint64_t)INT64_MAX + 1));
	set(root, LWBS_PATH_RES(9998, 0, 2), lwbs_value_float(-2.5));
	set(root, LWBS_PATH_RES(9998, 0, 3), lwbs_value_float(1e300));
	set(root, LWBS_PATH_RES(9998, 0, 4), lwbs_value_float(-0.0));
	return root;
}

static void test_round_trip_all_types(void)
{
	/* subtrees: object, instance, resource, multiple resource, resource instance */
	static const struct lwbs_path subs[] = {
		{{1, 0, 0, 0}, 1}, {{TOBJ, 0, 0, 0}, 2}, {{0, 0, 17, 0}, 3},
		{{0, 0, 16, 0}, 3}, {{TOBJ, 0, 9, 65534}, 4},
	};

	fresh_arena();
	check_round_trip(full_tree(), 0x00, subs, sizeof(subs) / sizeof(subs[0]));
}

static void test_encode_shapes(void)
{
	struct lwbs_node *root;
	struct lwbs_buf b;
	struct lwbs_path base;

	fresh_arena();
	root = full_tree();
	/* resource base: bn of its instance and a relative name */
	expect_enc(root, LWBS_PATH_RES(0, 0, 1),
		   B(0x81, 0xa3, 0x21, 0x65, '/', '0', '/', '0', '/', 0x00, 0x61, '1', 0x04, 0xf5));
	/* resource-instance base */
	expect_enc(root, LWBS_PATH_RI(0, 0, 16, 0),
		   B(0x81, 0xa3, 0x21, 0x65, '/', '0', '/', '0', '/', 0x00, 0x64, '1', '6', '/', '0',
		     0x02, 0x19, 0xc0, 0xa8));
	/* objlnk under "vlo", opaque as a byte string */
	expect_enc(root, LWBS_PATH_RES(1, 0, 24),
		   B(0x82, 0xa3, 0x21, 0x65, '/', '1', '/', '0', '/', 0x00, 0x64, '2', '4', '/', '1',
		     0x63, 'v', 'l', 'o', 0x6b, '6', '5', '5', '3', '5', ':', '6', '5', '5', '3', '5',
		     0xa2, 0x00, 0x64, '2', '4', '/', '2', 0x63, 'v', 'l', 'o', 0x64, '1', '1', ':', '3'));
	expect_enc(root, LWBS_PATH_RES(0, 0, 3),
		   B(0x81, 0xa3, 0x21, 0x65, '/', '0', '/', '0', '/', 0x00, 0x61, '3', 0x08, 0x40));

	/* what SenML cannot carry is left out */
	CHECK_INT(lwbs_node_insert(arena, root, PP(LWBS_PATH_INST(0, 9)), NULL), 0);
	struct lwbs_node *mr;
	CHECK_INT(lwbs_node_insert(arena, root, PP(LWBS_PATH_RES(0, 9, 16)), &mr), 0);
	mr->multiple = true;
	set(root, LWBS_PATH_RES(0, 9, 4), lwbs_value_none());
	expect_enc(root, LWBS_PATH_INST(0, 9), B(0x80));

	/* a base not in the tree */
	lwbs_buf_init(&b, 0);
	base = LWBS_PATH_INST(5, 5);
	CHECK_INT(lwbs_senml_cbor_encode(root, &base, &b), -ENOENT);
	lwbs_buf_finish(&b);
	/* a full output buffer */
	uint8_t small[8];
	lwbs_buf_init_fixed(&b, small, sizeof(small));
	base = LWBS_PATH_ROOT;
	CHECK(lwbs_senml_cbor_encode(root, &base, &b) != 0);
}

static void test_typing(void)
{
	struct lwbs_node *root;
	const struct lwbs_value *v;

	/* half float into a FLOAT resource */
	CHECK_INT(dec_at(B(0x81, 0xa2, 0x00, 0x69, '/', '9', '9', '9', '9', '/', '0', '/', '2',
			   0x02, 0xf9, 0x3e, 0x00), LWBS_PATH_ROOT, &root), 0);
	v = val(root, LWBS_PATH_RES(TOBJ, 0, 2));
	CHECK(v && v->type == LWBS_TYPE_FLOAT && v->v.f == 1.5);
	/* an integer into a FLOAT resource */
	CHECK_INT(dec_at(B(0x81, 0xa2, 0x00, 0x69, '/', '9', '9', '9', '9', '/', '0', '/', '2',
			   0x02, 0x03), LWBS_PATH_ROOT, &root), 0);
	v = val(root, LWBS_PATH_RES(TOBJ, 0, 2));
	CHECK(v && v->type == LWBS_TYPE_FLOAT && v->v.f == 3.0);
	/* an integral float into an INTEGER resource, a fractional one refused */
	CHECK_INT(dec_at(B(0x81, 0xa2, 0x00, 0x69, '/', '9', '9', '9', '9', '/', '0', '/', '0',
			   0x02, 0xf9, 0x42, 0x00), LWBS_PATH_ROOT, &root), 0);
	v = val(root, LWBS_PATH_RES(TOBJ, 0, 0));
	CHECK(v && v->type == LWBS_TYPE_INTEGER && v->v.i == 3);
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x69, '/', '9', '9', '9', '9', '/', '0', '/', '0', 0x02,
			0xf9, 0x3e, 0x00)), LWBS_ETYPE);
	/* range */
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x69, '/', '9', '9', '9', '9', '/', '0', '/', '0', 0x02,
			0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0)), LWBS_ERANGE_VAL);
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x69, '/', '9', '9', '9', '9', '/', '0', '/', '1', 0x02,
			0x20)), LWBS_ERANGE_VAL);
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x66, '/', '9', '/', '0', '/', '0', 0x02,
			0x3b, 0x80, 0, 0, 0, 0, 0, 0, 0)), LWBS_ERANGE_VAL);
	/* unknown resource: the CBOR item decides */
	CHECK_INT(dec_at(B(0x83, 0xa3, 0x21, 0x65, '/', '9', '/', '0', '/', 0x00, 0x61, '0', 0x02,
			   0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0, 0xa2, 0x00, 0x61, '1', 0x02, 0x24, 0xa2,
			   0x00, 0x61, '2', 0x02, 0xfa, 0x3f, 0xc0, 0, 0), LWBS_PATH_ROOT, &root), 0);
	v = val(root, LWBS_PATH_RES(9, 0, 0));
	CHECK(v && v->type == LWBS_TYPE_UNSIGNED && v->v.u == (uint64_t)1 << 63);
	v = val(root, LWBS_PATH_RES(9, 0, 1));
	CHECK(v && v->type == LWBS_TYPE_INTEGER && v->v.i == -5);
	v = val(root, LWBS_PATH_RES(9, 0, 2));
	CHECK(v && v->type == LWBS_TYPE_FLOAT && v->v.f == 1.5);
	/* vs: STRING, CORELNK per typer; wrong kinds refused */
	CHECK_INT(dec_at(B(0x81, 0xa2, 0x00, 0x69, '/', '9', '9', '9', '9', '/', '0', '/', '8',
			   0x03, 0x62, '<', '>'), LWBS_PATH_ROOT, &root), 0);
	v = val(root, LWBS_PATH_RES(TOBJ, 0, 8));
	CHECK(v && v->type == LWBS_TYPE_CORELNK && v->v.bytes.len == 2);
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x66, '/', '0', '/', '0', '/', '2', 0x03, 0x61, '3')),
		  LWBS_ETYPE);
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x66, '/', '0', '/', '0', '/', '2', 0x04, 0xf5)),
		  LWBS_ETYPE);
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x66, '/', '0', '/', '0', '/', '0', 0x08, 0x40)),
		  LWBS_ETYPE);
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x66, '/', '0', '/', '0', '/', '0', 0x02, 0x01)),
		  LWBS_ETYPE);
	/* vlo */
	CHECK_INT(dec_at(B(0x81, 0xa2, 0x00, 0x67, '/', '0', '/', '0', '/', '1', '7', 0x63, 'v',
			   'l', 'o', 0x64, '2', '1', ':', '0'), LWBS_PATH_ROOT, &root), 0);
	v = val(root, LWBS_PATH_RES(0, 0, 17));
	CHECK(v && v->type == LWBS_TYPE_OBJLNK && v->v.objlnk.oid == 21 && v->v.objlnk.iid == 0);
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x67, '/', '0', '/', '0', '/', '1', '7', 0x63, 'v', 'l',
			'o', 0x63, '2', '1', ':')), LWBS_ETYPE);
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x66, '/', '0', '/', '0', '/', '0', 0x63, 'v', 'l', 'o',
			0x63, '2', ':', '1')), LWBS_ETYPE);
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x67, '/', '0', '/', '0', '/', '1', '7', 0x03, 0x63,
			'2', ':', '1')), LWBS_ETYPE);
	/* field kinds */
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x66, '/', '0', '/', '0', '/', '3', 0x08, 0x61, 'A')),
		  -EBADMSG);
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x66, '/', '0', '/', '0', '/', '3', 0x02, 0x61, 'A')),
		  -EBADMSG);
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x01, 0x02, 0x01)), -EBADMSG);
	/* invalid UTF-8 in vs */
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x66, '/', '0', '/', '0', '/', '0', 0x03, 0x62, 0xc3,
			0x28)), LWBS_EUTF8);
}

static void test_names(void)
{
	struct lwbs_node *root;
	const struct lwbs_value *v;

	/* bn carries over to later records and may be replaced */
	CHECK_INT(dec_at(B(0x83, 0xa2, 0x21, 0x67, '/', '0', '/', '0', '/', '1', '0', 0x02, 0x05,
			   0xa3, 0x21, 0x65, '/', '1', '/', '2', '/', 0x00, 0x61, '0', 0x02, 0x06,
			   0xa2, 0x00, 0x64, '2', '5', '/', '1', 0x03, 0x61, 'x'),
			 LWBS_PATH_ROOT, &root), 0);
	v = val(root, LWBS_PATH_RES(0, 0, 10));
	CHECK(v && v->v.i == 5);
	v = val(root, LWBS_PATH_RES(1, 2, 0));
	CHECK(v && v->v.i == 6);
	v = val(root, LWBS_PATH_RI(1, 2, 25, 1));
	CHECK(v && v->type == LWBS_TYPE_STRING);
	/* a name of bn alone, "/0/0/", is an instance, not a resource */
	CHECK_INT(dec(B(0x81, 0xa2, 0x21, 0x65, '/', '0', '/', '0', '/', 0x04, 0xf5)), LWBS_EPATH);
	/* times, units, version and unknown labels are ignored */
	CHECK_INT(dec_at(B(0x81, 0xab, 0x21, 0x65, '/', '0', '/', '0', '/', 0x22, 0x1a, 0x60, 0, 0,
			   0, 0x06, 0x20, 0x07, 0x0a, 0x23, 0x61, 'm', 0x01, 0x61, 's', 0x20, 0x0a,
			   0x18, 0x63, 0x82, 0x01, 0x02, 0x63, 'x', 'y', 'z', 0xa0, 0x04, 0xf5, 0x00,
			   0x61, '1'), LWBS_PATH_ROOT, &root), 0);
	v = val(root, LWBS_PATH_RES(0, 0, 1));
	CHECK(v && v->type == LWBS_TYPE_BOOLEAN && v->v.b);

	/* bad names */
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x64, '/', '0', '/', '0', 0x02, 0x01)), LWBS_EPATH);
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x66, '/', '0', '/', 'a', '/', '0', 0x02, 0x01)),
		  LWBS_EPATH);
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x6a, '/', '0', '/', '0', '/', '0', '/', '0', '/', '0',
			0x02, 0x01)), LWBS_EPATH);
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x6a, '/', '0', '/', '0', '/', '6', '5', '5', '3', '5',
			0x02, 0x01)), LWBS_EPATH);
	CHECK_INT(dec(B(0x81, 0xa1, 0x02, 0x01)), LWBS_EPATH);
	uint8_t longname[80] = {0x81, 0xa2, 0x00, 0x78, 70};
	memset(longname + 5, '/', 70);
	longname[75] = 0x02;
	longname[76] = 0x01;
	CHECK_INT(dec(longname, 77), LWBS_EPATH);
}

static void test_record_errors(void)
{
	/* two value fields */
	CHECK_INT(dec(B(0x81, 0xa3, 0x00, 0x66, '/', '0', '/', '0', '/', '2', 0x02, 0x01, 0x04,
			0xf5)), -EBADMSG);
	/* no value */
	CHECK_INT(dec(B(0x81, 0xa1, 0x00, 0x66, '/', '0', '/', '0', '/', '2')), -EBADMSG);
	/* a label twice */
	CHECK_INT(dec(B(0x81, 0xa3, 0x00, 0x66, '/', '0', '/', '0', '/', '2', 0x02, 0x01, 0x02,
			0x01)), LWBS_EDUP);
	CHECK_INT(dec(B(0x81, 0xa3, 0x00, 0x66, '/', '0', '/', '0', '/', '2', 0x00, 0x61, '1',
			0x02, 0x01)), LWBS_EDUP);
	/* a path twice */
	CHECK_INT(dec(B(0x82, 0xa2, 0x00, 0x66, '/', '0', '/', '0', '/', '2', 0x02, 0x01, 0xa2,
			0x00, 0x66, '/', '0', '/', '0', '/', '2', 0x02, 0x01)), LWBS_EDUP);
	/* single then multiple for the same resource */
	CHECK_INT(dec(B(0x82, 0xa2, 0x00, 0x66, '/', '9', '/', '0', '/', '2', 0x02, 0x01, 0xa2,
			0x00, 0x68, '/', '9', '/', '0', '/', '2', '/', '0', 0x02, 0x01)), LWBS_EPATH);
	/* must-understand label */
	CHECK_INT(dec(B(0x81, 0xa3, 0x00, 0x66, '/', '0', '/', '0', '/', '2', 0x02, 0x01, 0x64,
			'f', 'o', 'o', '_', 0x01)), -EBADMSG);
	/* base value is not supported */
	CHECK_INT(dec(B(0x81, 0xa3, 0x00, 0x66, '/', '0', '/', '0', '/', '2', 0x02, 0x01, 0x24,
			0x01)), -EBADMSG);
	/* keys that are neither labels nor text */
	CHECK_INT(dec(B(0x81, 0xa3, 0x00, 0x66, '/', '0', '/', '0', '/', '2', 0x02, 0x01, 0xf5,
			0x01)), -EBADMSG);
	/* not an array, not a map */
	CHECK_INT(dec(B(0xa0)), -EBADMSG);
	CHECK_INT(dec(B(0x81, 0x80)), -EBADMSG);
	/* tags */
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x66, '/', '0', '/', '0', '/', '2', 0x02, 0xc1, 0x01)),
		  LWBS_EFORMAT);
	/* empty pack is an empty tree */
	struct lwbs_node *root = NULL;
	CHECK_INT(dec_at(B(0x80), LWBS_PATH_ROOT, &root), 0);
	CHECK(root && root->child == NULL);
	/* absurd counts and lengths */
	CHECK_INT(dec(B(0x9b, 0, 0, 0, 1, 0, 0, 0, 0, 0xa0)), LWBS_ELENGTH);
	CHECK_INT(dec(B(0x81, 0xba, 0xff, 0xff, 0xff, 0xff, 0x00)), LWBS_ELENGTH);
	CHECK_INT(dec(B(0x81, 0xa2, 0x00, 0x66, '/', '0', '/', '0', '/', '5', 0x08, 0x5b, 0x80, 0,
			0, 0, 0, 0, 0, 0, 0x00)), LWBS_ELENGTH);
	/* deep nesting inside an ignored label */
	uint8_t deep[1010] = {0x81, 0xa2, 0x18, 0x63};
	memset(deep + 4, 0x81, 1000);
	deep[1004] = 0x00;
	CHECK_INT(dec(deep, 1005), LWBS_EDEPTH);
	/* truncation at every byte of both vectors */
	for (size_t n = 0; n < sizeof(sec0); n++)
		CHECK(dec(sec0, n) < 0);
	for (size_t n = 0; n < sizeof(srv0); n++)
		CHECK(dec(srv0, n) < 0);
}

static void test_indefinite(void)
{
	/* the §3.5 Security pack with indefinite array, maps and strings */
	static const uint8_t indef[] = {
		0x9f, 0xbf, 0x21, 0x7f, 0x63, '/', '0', '/', 0x62, '0', '/', 0xff, 0x00, 0x61,
		0x30, 0x03, 0x7f, 0x67, 'c', 'o', 'a', 'p', ':', '/', '/', 0x6d, '1', '0', '.',
		'0', '.', '0', '.', '1', ':', '5', '6', '8', '3', 0xff, 0xff, 0xa2, 0x00, 0x61,
		0x31, 0x04, 0xf4, 0xbf, 0x00, 0x61, 0x32, 0x02, 0x03, 0xff, 0xff,
	};
	struct lwbs_node *a, *b;
	struct lwbs_path base = LWBS_PATH_INST(0, 0);
	struct lwbs_arena *ar = lwbs_arena_create(0);

	CHECK_INT(lwbs_senml_cbor_decode(sec0, sizeof(sec0), &base, &typer, ar, &a), 0);
	CHECK_INT(lwbs_senml_cbor_decode(indef, sizeof(indef), &base, &typer, ar, &b), 0);
	CHECK(lwbs_node_equal(a, b));
	for (size_t n = 0; n < sizeof(indef); n++)
		CHECK(lwbs_senml_cbor_decode(indef, n, &base, &typer, ar, &b) < 0);
	lwbs_arena_destroy(ar);
}

static void test_arena_limit(void)
{
	struct lwbs_arena *small = lwbs_arena_create(0);
	struct lwbs_node *root;
	struct lwbs_path base = LWBS_PATH_ROOT;
	lwbs_arena_set_limit(small, 64);
	CHECK(lwbs_senml_cbor_decode(srv0, sizeof(srv0), &base, &typer, small, &root) == -ENOMEM);
	lwbs_arena_destroy(small);
}

static void cleanup(void)
{
	lwbs_arena_destroy(arena);
	arena = NULL;
}

TEST_MAIN(test_vector_security, test_vector_server, test_round_trip_all_types,
	  test_encode_shapes, test_typing, test_names, test_record_errors, test_indefinite,
	  test_arena_limit, cleanup)
