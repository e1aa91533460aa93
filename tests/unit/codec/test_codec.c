/* Unit tests for the content-format dispatcher (src/codec/codec.c). */
#include <errno.h>

#include "lwbs/codec.h"
#include "lwbs/err.h"
#include "../test.h"

static void test_names(void)
{
	CHECK_STR(lwbs_cf_name(LWBS_CF_TEXT), "text");
	CHECK_STR(lwbs_cf_name(LWBS_CF_LINK), "link-format");
	CHECK_STR(lwbs_cf_name(LWBS_CF_OPAQUE), "opaque");
	CHECK_STR(lwbs_cf_name(LWBS_CF_CBOR), "cbor");
	CHECK_STR(lwbs_cf_name(LWBS_CF_SENML_JSON), "senml+json");
	CHECK_STR(lwbs_cf_name(LWBS_CF_SENML_CBOR), "senml+cbor");
	CHECK_STR(lwbs_cf_name(LWBS_CF_TLV), "tlv");
	CHECK_STR(lwbs_cf_name(LWBS_CF_LWM2M_JSON), "lwm2m+json");
	CHECK_STR(lwbs_cf_name(LWBS_CF_LWM2M_CBOR), "lwm2m+cbor");
	CHECK_STR(lwbs_cf_name(LWBS_CF_OLD_TLV), "tlv(old)");
	CHECK_STR(lwbs_cf_name(LWBS_CF_OLD_JSON), "json(old)");
	CHECK(lwbs_cf_name(LWBS_CF_NONE) == NULL);
	CHECK(lwbs_cf_name(50) == NULL);
	CHECK(lwbs_cf_name(11545) == NULL);
}

static void test_capabilities(void)
{
	static const int enc[] = {0, 42, 110, 112, 11542, 11544};
	static const int dec[] = {0, 42, 110, 112, 1542, 1543, 11542, 11543, 11544};
	static const int neither[] = {-1, 40, 50, 60, 320, 322, 1541, 11545};
	static const int dec_only[] = {1542, 1543, 11543};

	for (size_t i = 0; i < sizeof(enc) / sizeof(enc[0]); i++)
		CHECK(lwbs_cf_can_encode(enc[i]) && lwbs_cf_can_decode(enc[i]));
	for (size_t i = 0; i < sizeof(dec) / sizeof(dec[0]); i++)
		CHECK(lwbs_cf_can_decode(dec[i]));
	for (size_t i = 0; i < sizeof(dec_only) / sizeof(dec_only[0]); i++)
		CHECK(!lwbs_cf_can_encode(dec_only[i]));
	for (size_t i = 0; i < sizeof(neither) / sizeof(neither[0]); i++)
		CHECK(!lwbs_cf_can_encode(neither[i]) && !lwbs_cf_can_decode(neither[i]));
}

static enum lwbs_type server_type(void *ctx, uint16_t oid, uint16_t rid)
{
	(void)ctx;
	if (oid == 1 && (rid == 0 || rid == 1))
		return LWBS_TYPE_INTEGER;
	if (oid == 1 && rid == 7)
		return LWBS_TYPE_STRING;
	return LWBS_TYPE_NONE;
}

static void test_dispatch(void)
{
	struct lwbs_arena *a = lwbs_arena_create(0);
	const struct lwbs_typer typer = {server_type, NULL};
	struct lwbs_path inst = LWBS_PATH_INST(1, 0), res = LWBS_PATH_RES(1, 0, 1);
	const uint8_t tlv[] = {0xC1, 0x00, 0x01, 0xC4, 0x01, 0x00, 0x01, 0x51, 0x80};
	struct lwbs_node *t1 = NULL, *t2 = NULL, *t3 = NULL;
	struct lwbs_buf b;

	/* TLV under both numbers decodes the same. */
	CHECK_INT(lwbs_decode(LWBS_CF_TLV, tlv, sizeof(tlv), &inst, &typer, a, &t1), 0);
	CHECK_INT(lwbs_decode(LWBS_CF_OLD_TLV, tlv, sizeof(tlv), &inst, &typer, a, &t2), 0);
	CHECK(t1 && lwbs_node_equal(t1, t2));
	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_encode(LWBS_CF_TLV, t1, &inst, &b), 0);
	CHECK_MEM(b.data, b.len, tlv, sizeof(tlv));

	/* Text and opaque. */
	CHECK_INT(lwbs_decode(LWBS_CF_TEXT, (const uint8_t *)"86400", 5, &res, &typer, a, &t3), 0);
	const struct lwbs_node *n = lwbs_node_find(t3, &res);
	CHECK(n && n->value.type == LWBS_TYPE_INTEGER && n->value.v.i == 86400);
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_encode(LWBS_CF_TEXT, t1, &res, &b), 0);
	CHECK_MEM(b.data, b.len, "86400", 5);
	CHECK_INT(lwbs_decode(LWBS_CF_OPAQUE, (const uint8_t *)"\x01\x02", 2, &res, &typer, a, &t3), 0);
	n = lwbs_node_find(t3, &res);
	CHECK(n && n->value.type == LWBS_TYPE_OPAQUE && n->value.v.bytes.len == 2);
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_encode(LWBS_CF_OPAQUE, t3, &res, &b), 0);
	CHECK_MEM(b.data, b.len, "\x01\x02", 2);

	/* Link format has its own API; unknown numbers are not supported. */
	struct lwbs_node *none = NULL;
	CHECK_INT(lwbs_decode(LWBS_CF_LINK, (const uint8_t *)"</1>", 4, &inst, &typer, a, &none), -ENOTSUP);
	CHECK_INT(lwbs_decode(LWBS_CF_CBOR, (const uint8_t *)"\x01", 1, &res, &typer, a, &none), -ENOTSUP);
	CHECK_INT(lwbs_decode(12345, tlv, sizeof(tlv), &inst, &typer, a, &none), -ENOTSUP);
	CHECK(none == NULL);
	/* Input-only and unknown formats cannot be written. */
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_encode(LWBS_CF_OLD_TLV, t1, &inst, &b), -ENOTSUP);
	CHECK_INT(lwbs_encode(LWBS_CF_LWM2M_JSON, t1, &inst, &b), -ENOTSUP);
	CHECK_INT(lwbs_encode(LWBS_CF_OLD_JSON, t1, &inst, &b), -ENOTSUP);
	CHECK_INT(lwbs_encode(LWBS_CF_LINK, t1, &inst, &b), -ENOTSUP);
	CHECK_INT(lwbs_encode(LWBS_CF_CBOR, t1, &res, &b), -ENOTSUP);
	CHECK_INT(b.len, 0);

	/* Every encodable format writes /1/0 and reads it back equal. */
	static const int fmts[] = {LWBS_CF_TLV, LWBS_CF_SENML_JSON, LWBS_CF_SENML_CBOR, LWBS_CF_LWM2M_CBOR};
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct lwbs_node *back = NULL;
		lwbs_buf_reset(&b);
		CHECK_INT(lwbs_encode(fmts[i], t1, &inst, &b), 0);
		CHECK_INT(lwbs_decode(fmts[i], b.data, b.len, &inst, &typer, a, &back), 0);
		CHECK(back && lwbs_node_equal(t1, back));
		if (!back || !lwbs_node_equal(t1, back))
			fprintf(stderr, "  format %d (%s)\n", fmts[i], lwbs_cf_name(fmts[i]));
	}
	/* The old JSON numbers reach the LwM2M JSON decoder. */
	static const char json[] = "{\"bn\":\"/1/0/\",\"e\":[{\"n\":\"0\",\"v\":1},{\"n\":\"1\",\"v\":86400}]}";
	struct lwbs_node *j1 = NULL, *j2 = NULL;
	CHECK_INT(lwbs_decode(LWBS_CF_LWM2M_JSON, (const uint8_t *)json, strlen(json), &inst, &typer, a, &j1), 0);
	CHECK_INT(lwbs_decode(LWBS_CF_OLD_JSON, (const uint8_t *)json, strlen(json), &inst, &typer, a, &j2), 0);
	CHECK(j1 && lwbs_node_equal(j1, t1));
	CHECK(j2 && lwbs_node_equal(j2, t1));

	lwbs_buf_finish(&b);
	lwbs_arena_destroy(a);
}

TEST_MAIN(test_names, test_capabilities, test_dispatch)
