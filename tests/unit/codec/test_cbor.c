/* Unit tests for the internal CBOR reader and writer (src/codec/cbor.h). */
#include <errno.h>
#include <math.h>

#include "../../../src/codec/cbor.h"
#include "lwbs/codec.h"
#include "lwbs/err.h"
#include "../test.h"
#include "codec_test.h"

/* Reads one whole item and requires the end of input. */
static int parse(const uint8_t *p, size_t n)
{
	struct lwbs_cbor_reader r;

	fresh_arena();
	lwbs_cbor_reader_init(&r, p, n, arena);
	if (lwbs_cbor_skip(&r))
		return r.err;
	return lwbs_cbor_finish(&r);
}

/* Reads one scalar item. */
static int read1(const uint8_t *p, size_t n, struct lwbs_cbor_item *it)
{
	struct lwbs_cbor_reader r;

	fresh_arena();
	lwbs_cbor_reader_init(&r, p, n, arena);
	if (lwbs_cbor_read(&r, it))
		return r.err;
	return lwbs_cbor_finish(&r);
}

static struct lwbs_buf out;

static void expect_out(const uint8_t *want, size_t n)
{
	CHECK_INT(lwbs_buf_err(&out), 0);
	CHECK_MEM(out.data, out.len, want, n);
	lwbs_buf_reset(&out);
}

static void test_write_heads(void)
{
	lwbs_buf_init(&out, 0);
	lwbs_cbor_put_uint(&out, 0);
	expect_out(B(0x00));
	lwbs_cbor_put_uint(&out, 23);
	expect_out(B(0x17));
	lwbs_cbor_put_uint(&out, 24);
	expect_out(B(0x18, 0x18));
	lwbs_cbor_put_uint(&out, 255);
	expect_out(B(0x18, 0xff));
	lwbs_cbor_put_uint(&out, 256);
	expect_out(B(0x19, 0x01, 0x00));
	lwbs_cbor_put_uint(&out, 65535);
	expect_out(B(0x19, 0xff, 0xff));
	lwbs_cbor_put_uint(&out, 65536);
	expect_out(B(0x1a, 0x00, 0x01, 0x00, 0x00));
	lwbs_cbor_put_uint(&out, UINT32_MAX);
	expect_out(B(0x1a, 0xff, 0xff, 0xff, 0xff));
	lwbs_cbor_put_uint(&out, (uint64_t)UINT32_MAX + 1);
	expect_out(B(0x1b, 0, 0, 0, 1, 0, 0, 0, 0));
	lwbs_cbor_put_uint(&out, UINT64_MAX);
	expect_out(B(0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
	lwbs_cbor_put_int(&out, -1);
	expect_out(B(0x20));
	lwbs_cbor_put_int(&out, -24);
	expect_out(B(0x37));
	lwbs_cbor_put_int(&out, -25);
	expect_out(B(0x38, 0x18));
	lwbs_cbor_put_int(&out, INT64_MIN);
	expect_out(B(0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
	lwbs_cbor_put_int(&out, INT64_MAX);
	expect_out(B(0x1b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
	lwbs_cbor_put_text(&out, "IETF", 4);
	expect_out(B(0x64, 'I', 'E', 'T', 'F'));
	lwbs_cbor_put_bytes(&out, NULL, 0);
	expect_out(B(0x40));
	lwbs_cbor_put_text(&out, "", 0);
	expect_out(B(0x60));
	lwbs_cbor_put_bool(&out, true);
	lwbs_cbor_put_bool(&out, false);
	expect_out(B(0xf5, 0xf4));
	lwbs_cbor_put_array(&out, 3);
	lwbs_cbor_put_map(&out, 25);
	expect_out(B(0x83, 0xb8, 0x19));
	lwbs_buf_finish(&out);
}

static void test_write_floats(void)
{
	lwbs_buf_init(&out, 0);
	lwbs_cbor_put_float(&out, 1.5);
	expect_out(B(0xfa, 0x3f, 0xc0, 0x00, 0x00));
	lwbs_cbor_put_float(&out, 0.1);
	expect_out(B(0xfb, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a));
	lwbs_cbor_put_float(&out, -0.0);
	expect_out(B(0xfa, 0x80, 0x00, 0x00, 0x00));
	lwbs_cbor_put_float(&out, INFINITY);
	expect_out(B(0xfa, 0x7f, 0x80, 0x00, 0x00));
	lwbs_cbor_put_float(&out, 1e300);
	expect_out(B(0xfb, 0x7e, 0x37, 0xe4, 0x3c, 0x88, 0x00, 0x75, 0x9c));
	lwbs_cbor_put_float(&out, 100000.0);
	expect_out(B(0xfa, 0x47, 0xc3, 0x50, 0x00));
	lwbs_buf_finish(&out);
}

static void test_read_scalars(void)
{
	struct lwbs_cbor_item it;

	CHECK_INT(read1(B(0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), &it), 0);
	CHECK_INT(it.kind, LWBS_CBOR_UINT);
	CHECK(it.u == UINT64_MAX);
	CHECK_INT(read1(B(0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), &it), 0);
	CHECK_INT(it.kind, LWBS_CBOR_NEGINT);
	CHECK(it.u == UINT64_MAX);
	/* non-shortest heads are well-formed */
	CHECK_INT(read1(B(0x19, 0x00, 0x05), &it), 0);
	CHECK(it.kind == LWBS_CBOR_UINT && it.u == 5);
	CHECK_INT(read1(B(0x63, 0xc3, 0xa9, 0x21), &it), 0); /* "é!" */
	CHECK(it.kind == LWBS_CBOR_TEXT && it.len == 3 && memcmp(it.ptr, "\xc3\xa9!", 3) == 0);
	CHECK_INT(read1(B(0xf6), &it), 0);
	CHECK_INT(it.kind, LWBS_CBOR_NULL);
	CHECK_INT(read1(B(0xf7), &it), 0);
	CHECK_INT(it.kind, LWBS_CBOR_UNDEFINED);
	CHECK_INT(read1(B(0xf4), &it), 0);
	CHECK_INT(it.kind, LWBS_CBOR_FALSE);
	CHECK_INT(read1(B(0xf5), &it), 0);
	CHECK_INT(it.kind, LWBS_CBOR_TRUE);
}

static void test_read_floats(void)
{
	struct lwbs_cbor_item it;

	CHECK_INT(read1(B(0xf9, 0x3c, 0x00), &it), 0);
	CHECK(it.kind == LWBS_CBOR_FLOAT && it.f == 1.0);
	CHECK_INT(read1(B(0xf9, 0x7b, 0xff), &it), 0);
	CHECK(it.f == 65504.0);
	CHECK_INT(read1(B(0xf9, 0x00, 0x01), &it), 0);
	CHECK(it.f == ldexp(1, -24));
	CHECK_INT(read1(B(0xf9, 0x04, 0x00), &it), 0);
	CHECK(it.f == ldexp(1, -14));
	CHECK_INT(read1(B(0xf9, 0xc4, 0x00), &it), 0);
	CHECK(it.f == -4.0);
	CHECK_INT(read1(B(0xf9, 0x80, 0x00), &it), 0);
	CHECK(it.f == 0 && signbit(it.f));
	CHECK_INT(read1(B(0xf9, 0x7c, 0x00), &it), 0);
	CHECK(isinf(it.f) && it.f > 0);
	CHECK_INT(read1(B(0xf9, 0xfc, 0x00), &it), 0);
	CHECK(isinf(it.f) && it.f < 0);
	CHECK_INT(read1(B(0xf9, 0x7e, 0x00), &it), 0);
	CHECK(isnan(it.f));
	CHECK_INT(read1(B(0xfa, 0x47, 0xc3, 0x50, 0x00), &it), 0);
	CHECK(it.f == 100000.0);
	CHECK_INT(read1(B(0xfb, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a), &it), 0);
	CHECK(it.f == 0.1);
}

static void test_writer_reader_round_trip(void)
{
	static const double fs[] = {0.0, -0.0, 0.1, 1.5, -2.75, 1e-310, 3.4028234663852886e38,
				    1e39, INFINITY, -INFINITY, 0.3333333432674408};
	static const int64_t is[] = {INT64_MIN, INT64_MIN + 1, -4294967297, -65537, -257, -25,
				     -24, -1, 0, 23, 24, 255, 256, 65535, 4294967296, INT64_MAX};
	struct lwbs_cbor_item it;
	struct lwbs_value v;

	lwbs_buf_init(&out, 0);
	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
		lwbs_buf_reset(&out);
		lwbs_cbor_put_float(&out, fs[i]);
		CHECK_INT(read1(out.data, out.len, &it), 0);
		CHECK(it.kind == LWBS_CBOR_FLOAT && memcmp(&it.f, &fs[i], sizeof(double)) == 0);
	}
	for (size_t i = 0; i < sizeof(is) / sizeof(is[0]); i++) {
		lwbs_buf_reset(&out);
		lwbs_cbor_put_int(&out, is[i]);
		CHECK_INT(read1(out.data, out.len, &it), 0);
		CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_INTEGER, &v), 0);
		CHECK(v.type == LWBS_TYPE_INTEGER && v.v.i == is[i]);
	}
	lwbs_buf_finish(&out);
}

static void test_lengths_and_counts(void)
{
	/* a byte string claiming 2^63 bytes */
	CHECK_INT(parse(B(0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x00)), LWBS_ELENGTH);
	CHECK_INT(parse(B(0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)), LWBS_ELENGTH);
	CHECK_INT(parse(B(0x43, 0x01, 0x02)), LWBS_ELENGTH);
	/* an array of 2^32 items, a map of 2^64-1 pairs */
	CHECK_INT(parse(B(0x9b, 0, 0, 0, 1, 0, 0, 0, 0, 0x01)), LWBS_ELENGTH);
	CHECK_INT(parse(B(0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)), LWBS_ELENGTH);
	/* a map of 2 pairs needs 4 bytes */
	CHECK_INT(parse(B(0xa2, 0x01, 0x02, 0x03)), LWBS_ELENGTH);
	CHECK_INT(parse(B(0xa2, 0x01, 0x02, 0x03, 0x04)), 0);
	/* truncated heads */
	CHECK_INT(parse(B(0x19, 0x01)), LWBS_ETRUNC);
	CHECK_INT(parse(B(0x1b, 0, 0, 0, 0, 0, 0, 0)), LWBS_ETRUNC);
	CHECK_INT(parse(B(0x82, 0x01)), LWBS_ELENGTH);
	CHECK_INT(parse(B(0x82, 0x01, 0x19, 0x01)), LWBS_ETRUNC);
	CHECK_INT(parse(NULL, 0), LWBS_ETRUNC);
}

static void test_truncation_everywhere(void)
{
	static const uint8_t msg[] = {
		0xbf, 0x61, 'a', 0x9f, 0x01, 0xf9, 0x3c, 0x00, 0xff, 0x62, 'b', 'b', 0x5f, 0x41,
		0x01, 0x42, 0x02, 0x03, 0xff, 0x20, 0xa1, 0x19, 0x01, 0x00, 0xfb, 0x3f, 0xb9,
		0x99, 0x99, 0x99, 0x99, 0x99, 0x9a, 0xff,
	};
	CHECK_INT(parse(msg, sizeof(msg)), 0);
	for (size_t n = 0; n < sizeof(msg); n++) {
		int rc = parse(msg, n);
		CHECK(rc == LWBS_ETRUNC || rc == LWBS_ELENGTH);
	}
}

static void test_depth(void)
{
	uint8_t deep[1001];

	memset(deep, 0x81, 1000);
	deep[1000] = 0x00;
	CHECK_INT(parse(deep, sizeof(deep)), LWBS_EDEPTH);
	memset(deep, 0x9f, 1000);
	CHECK_INT(parse(deep, sizeof(deep)), LWBS_EDEPTH);
	/* exactly the limit is fine */
	memset(deep, 0x81, LWBS_DECODE_MAX_DEPTH);
	deep[LWBS_DECODE_MAX_DEPTH] = 0x00;
	CHECK_INT(parse(deep, LWBS_DECODE_MAX_DEPTH + 1), 0);
	deep[LWBS_DECODE_MAX_DEPTH] = 0x81;
	deep[LWBS_DECODE_MAX_DEPTH + 1] = 0x00;
	CHECK_INT(parse(deep, LWBS_DECODE_MAX_DEPTH + 2), LWBS_EDEPTH);
}

static void test_utf8(void)
{
	CHECK_INT(parse(B(0x62, 0xc3, 0x28)), LWBS_EUTF8);
	CHECK_INT(parse(B(0x62, 0xc0, 0xaf)), LWBS_EUTF8);        /* overlong */
	CHECK_INT(parse(B(0x63, 0xed, 0xa0, 0x80)), LWBS_EUTF8);  /* surrogate */
	CHECK_INT(parse(B(0x7f, 0x61, 'a', 0x61, 0xff, 0xff)), LWBS_EUTF8);
	/* bytes need not be UTF-8 */
	CHECK_INT(parse(B(0x42, 0xc3, 0x28)), 0);
}

static void test_indefinite(void)
{
	struct lwbs_cbor_item it;

	CHECK_INT(read1(B(0x5f, 0x42, 0x01, 0x02, 0x40, 0x41, 0x03, 0xff), &it), 0);
	CHECK(it.kind == LWBS_CBOR_BYTES);
	CHECK_MEM(it.ptr, it.len, "\x01\x02\x03", 3);
	CHECK_INT(read1(B(0x7f, 0x65, 's', 't', 'r', 'e', 'a', 0x64, 'm', 'i', 'n', 'g', 0xff), &it), 0);
	CHECK(it.kind == LWBS_CBOR_TEXT);
	CHECK_MEM(it.ptr, it.len, "streaming", 9);
	CHECK_INT(read1(B(0x5f, 0xff), &it), 0);
	CHECK(it.kind == LWBS_CBOR_BYTES && it.len == 0);
	CHECK_INT(parse(B(0x9f, 0x01, 0x82, 0x02, 0x03, 0x9f, 0x04, 0x05, 0xff, 0xff)), 0);
	CHECK_INT(parse(B(0xbf, 0x61, 'a', 0x01, 0x61, 'b', 0x9f, 0x02, 0x03, 0xff, 0xff)), 0);
	CHECK_INT(parse(B(0x9f, 0xff)), 0);
	CHECK_INT(parse(B(0xbf, 0xff)), 0);

	/* ill-formed */
	CHECK_INT(parse(B(0x5f, 0x61, 'a', 0xff)), -EBADMSG);  /* text chunk in bytes */
	CHECK_INT(parse(B(0x7f, 0x41, 'a', 0xff)), -EBADMSG);  /* bytes chunk in text */
	CHECK_INT(parse(B(0x5f, 0x5f, 0xff, 0xff)), -EBADMSG); /* nested indefinite chunk */
	CHECK_INT(parse(B(0x5f, 0x01, 0xff)), -EBADMSG);
	CHECK_INT(parse(B(0x5f, 0x42, 0x01)), LWBS_ELENGTH);
	CHECK_INT(parse(B(0x5f, 0x41, 0x01)), LWBS_ETRUNC);
	CHECK_INT(parse(B(0x9f, 0x01)), LWBS_ETRUNC);
	CHECK_INT(parse(B(0xff)), -EBADMSG);                   /* stray break */
	CHECK_INT(parse(B(0x81, 0xff)), -EBADMSG);             /* break in a definite array */
	CHECK_INT(parse(B(0xbf, 0x01, 0xff)), -EBADMSG);       /* odd indefinite map */
	CHECK_INT(parse(B(0x1f)), -EBADMSG);                   /* indefinite integers */
	CHECK_INT(parse(B(0x3f)), -EBADMSG);
	CHECK_INT(parse(B(0x9f, 0x01, 0xff, 0xff)), -EBADMSG); /* break after the end */
}

static void test_reserved_tags_simple(void)
{
	CHECK_INT(parse(B(0x1c)), -EBADMSG);
	CHECK_INT(parse(B(0x5d)), -EBADMSG);
	CHECK_INT(parse(B(0xfe)), -EBADMSG);
	CHECK_INT(parse(B(0xc0, 0x60)), LWBS_EFORMAT);
	CHECK_INT(parse(B(0xd8, 0x20, 0x60)), LWBS_EFORMAT);
	CHECK_INT(parse(B(0x81, 0xc1, 0x00)), LWBS_EFORMAT);
	CHECK_INT(parse(B(0xf0)), -EBADMSG);       /* simple(16) */
	CHECK_INT(parse(B(0xf8, 0x20)), -EBADMSG); /* simple(32) */
	CHECK_INT(parse(B(0xf8, 0x14)), -EBADMSG); /* two-byte false: ill-formed */
	CHECK_INT(parse(B(0x00, 0x00)), -EBADMSG); /* trailing bytes */
}

static void test_number_conversion(void)
{
	struct lwbs_cbor_item it = {.kind = LWBS_CBOR_UINT, .u = UINT64_MAX};
	struct lwbs_value v;

	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_NONE, &v), 0);
	CHECK(v.type == LWBS_TYPE_UNSIGNED && v.v.u == UINT64_MAX);
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_INTEGER, &v), LWBS_ERANGE_VAL);
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_FLOAT, &v), 0);
	CHECK(v.type == LWBS_TYPE_FLOAT && v.v.f == 0x1p64);
	it.u = 7;
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_NONE, &v), 0);
	CHECK(v.type == LWBS_TYPE_INTEGER && v.v.i == 7);
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_TIME, &v), 0);
	CHECK(v.type == LWBS_TYPE_TIME && v.v.i == 7);
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_STRING, &v), LWBS_ETYPE);

	it.kind = LWBS_CBOR_NEGINT;
	it.u = (uint64_t)INT64_MAX; /* -2^63 */
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_NONE, &v), 0);
	CHECK(v.type == LWBS_TYPE_INTEGER && v.v.i == INT64_MIN);
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_UNSIGNED, &v), LWBS_ERANGE_VAL);
	it.u = (uint64_t)INT64_MAX + 1; /* -2^63 - 1 */
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_NONE, &v), LWBS_ERANGE_VAL);
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_INTEGER, &v), LWBS_ERANGE_VAL);
	it.u = UINT64_MAX; /* -2^64 */
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_FLOAT, &v), 0);
	CHECK(v.v.f == -0x1p64);

	it.kind = LWBS_CBOR_FLOAT;
	it.f = 3.0;
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_INTEGER, &v), 0);
	CHECK(v.type == LWBS_TYPE_INTEGER && v.v.i == 3);
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_UNSIGNED, &v), 0);
	CHECK(v.type == LWBS_TYPE_UNSIGNED && v.v.u == 3);
	it.f = 3.5;
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_INTEGER, &v), LWBS_ETYPE);
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_UNSIGNED, &v), LWBS_ETYPE);
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_NONE, &v), 0);
	CHECK(v.type == LWBS_TYPE_FLOAT && v.v.f == 3.5);
	it.f = -1.0;
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_UNSIGNED, &v), LWBS_ERANGE_VAL);
	it.f = 0x1p63;
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_INTEGER, &v), LWBS_ERANGE_VAL);
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_UNSIGNED, &v), 0);
	CHECK(v.v.u == (uint64_t)1 << 63);
	it.f = -0x1p63;
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_INTEGER, &v), 0);
	CHECK(v.v.i == INT64_MIN);
	it.f = 0x1p64;
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_UNSIGNED, &v), LWBS_ERANGE_VAL);
	it.f = NAN;
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_INTEGER, &v), LWBS_ETYPE);
	it.f = INFINITY;
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_INTEGER, &v), LWBS_ERANGE_VAL);

	it.kind = LWBS_CBOR_TEXT;
	CHECK_INT(lwbs_cbor_number(&it, LWBS_TYPE_NONE, &v), LWBS_ETYPE);
}

static void test_values_and_objlnk(void)
{
	struct lwbs_cbor_item it = {.kind = LWBS_CBOR_TEXT, .ptr = (const uint8_t *)"3:0", .len = 3};
	struct lwbs_value v;
	char s[16];

	CHECK_INT(lwbs_cbor_value(&it, LWBS_TYPE_NONE, &v), 0);
	CHECK(v.type == LWBS_TYPE_STRING && v.v.bytes.len == 3);
	CHECK_INT(lwbs_cbor_value(&it, LWBS_TYPE_CORELNK, &v), 0);
	CHECK_INT(v.type, LWBS_TYPE_CORELNK);
	CHECK_INT(lwbs_cbor_value(&it, LWBS_TYPE_OBJLNK, &v), 0);
	CHECK(v.type == LWBS_TYPE_OBJLNK && v.v.objlnk.oid == 3 && v.v.objlnk.iid == 0);
	CHECK_INT(lwbs_cbor_value(&it, LWBS_TYPE_INTEGER, &v), LWBS_ETYPE);
	it.kind = LWBS_CBOR_BYTES;
	CHECK_INT(lwbs_cbor_value(&it, LWBS_TYPE_OPAQUE, &v), 0);
	CHECK_INT(v.type, LWBS_TYPE_OPAQUE);
	CHECK_INT(lwbs_cbor_value(&it, LWBS_TYPE_STRING, &v), LWBS_ETYPE);
	it.kind = LWBS_CBOR_TRUE;
	CHECK_INT(lwbs_cbor_value(&it, LWBS_TYPE_BOOLEAN, &v), 0);
	CHECK(v.type == LWBS_TYPE_BOOLEAN && v.v.b);
	CHECK_INT(lwbs_cbor_value(&it, LWBS_TYPE_INTEGER, &v), LWBS_ETYPE);
	it.kind = LWBS_CBOR_NULL;
	CHECK_INT(lwbs_cbor_value(&it, LWBS_TYPE_NONE, &v), LWBS_ETYPE);

	CHECK_INT(lwbs_cbor_objlnk_parse((const uint8_t *)"65535:65535", 11, &v), 0);
	CHECK(v.v.objlnk.oid == 65535 && v.v.objlnk.iid == 65535);
	CHECK_INT(lwbs_cbor_objlnk_print(&v, s, sizeof(s)), 11);
	CHECK_STR(s, "65535:65535");
	CHECK_INT(lwbs_cbor_objlnk_parse((const uint8_t *)"007:01", 6, &v), 0);
	CHECK(v.v.objlnk.oid == 7 && v.v.objlnk.iid == 1);
	static const char *bad[] = {"65536:0", "1:65536", ":1", "1:", "1", "1:2:3", "a:b", "1 :2", "", "-1:2"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(lwbs_cbor_objlnk_parse((const uint8_t *)bad[i], strlen(bad[i]), &v), LWBS_ETYPE);
}

static void test_put_value(void)
{
	struct lwbs_value v = lwbs_value_objlnk(11, 2);

	lwbs_buf_init(&out, 0);
	CHECK_INT(lwbs_cbor_put_value(&out, &v), 0);
	expect_out(B(0x64, '1', '1', ':', '2'));
	v = lwbs_value_time(-2);
	lwbs_cbor_put_value(&out, &v);
	expect_out(B(0x21));
	v = lwbs_value_bytes(LWBS_TYPE_OPAQUE, "\x00\xff", 2);
	lwbs_cbor_put_value(&out, &v);
	expect_out(B(0x42, 0x00, 0xff));
	v = lwbs_value_none();
	CHECK_INT(lwbs_cbor_put_value(&out, &v), -EINVAL);
	lwbs_buf_finish(&out);

	/* a full fixed buffer makes the error stick */
	uint8_t mem[2];
	lwbs_buf_init_fixed(&out, mem, sizeof(mem));
	CHECK(lwbs_cbor_put_text(&out, "abc", 3) != 0);
	CHECK(lwbs_cbor_put_uint(&out, 1) != 0);
}

static void test_arena_limit(void)
{
	/* an indefinite string larger than the arena may hand out */
	uint8_t msg[3 + 2 * 1000];
	size_t n = 0;
	msg[n++] = 0x5f;
	for (int i = 0; i < 1000; i++) {
		msg[n++] = 0x41;
		msg[n++] = (uint8_t)i;
	}
	msg[n++] = 0xff;
	struct lwbs_cbor_reader r;
	struct lwbs_cbor_item it;
	struct lwbs_arena *small = lwbs_arena_create(0);
	lwbs_arena_set_limit(small, 512);
	lwbs_cbor_reader_init(&r, msg, n, small);
	CHECK_INT(lwbs_cbor_read(&r, &it), -ENOMEM);
	lwbs_arena_destroy(small);
}

static void cleanup(void)
{
	lwbs_arena_destroy(arena);
	arena = NULL;
}

TEST_MAIN(test_write_heads, test_write_floats, test_read_scalars, test_read_floats,
	  test_writer_reader_round_trip, test_lengths_and_counts, test_truncation_everywhere,
	  test_depth, test_utf8, test_indefinite, test_reserved_tags_simple,
	  test_number_conversion, test_values_and_objlnk, test_put_value, test_arena_limit, cleanup)
