/* Unit tests for the LwM2M TLV codec (src/codec/tlv.c). */
#include <errno.h>
#include <math.h>
#include <stdint.h>

#include "lwbs/codec.h"
#include "lwbs/err.h"
#include "../test.h"

#define TOBJ 9999 /* test object: one resource of every type */

static enum lwbs_type test_type(void *ctx, uint16_t oid, uint16_t rid)
{
	(void)ctx;
	switch (oid) {
	case 0: /* Security */
		if (rid == 0 || rid == 9)
			return LWBS_TYPE_STRING;
		if (rid == 1)
			return LWBS_TYPE_BOOLEAN;
		if (rid == 2 || rid == 6 || (rid >= 10 && rid <= 12))
			return LWBS_TYPE_INTEGER;
		if (rid >= 3 && rid <= 8)
			return LWBS_TYPE_OPAQUE;
		if (rid == 16)
			return LWBS_TYPE_UNSIGNED;
		return LWBS_TYPE_NONE;
	case 1: /* Server */
		if (rid <= 3 || rid == 5)
			return LWBS_TYPE_INTEGER;
		if (rid == 6)
			return LWBS_TYPE_BOOLEAN;
		if (rid == 7)
			return LWBS_TYPE_STRING;
		if (rid == 10)
			return LWBS_TYPE_OBJLNK;
		if (rid == 11)
			return LWBS_TYPE_UNSIGNED;
		if (rid == 12)
			return LWBS_TYPE_TIME;
		return LWBS_TYPE_NONE;
	case 2: /* Access Control */
		return rid <= 3 ? LWBS_TYPE_INTEGER : LWBS_TYPE_NONE;
	case 3: /* Device */
		if (rid <= 3 || rid == 14 || rid == 15 || rid == 16)
			return LWBS_TYPE_STRING;
		if (rid >= 6 && rid <= 11)
			return LWBS_TYPE_INTEGER;
		if (rid == 13)
			return LWBS_TYPE_TIME;
		return LWBS_TYPE_NONE;
	case TOBJ:
		switch (rid) {
		case 0: return LWBS_TYPE_STRING;
		case 1: return LWBS_TYPE_INTEGER;
		case 2: return LWBS_TYPE_UNSIGNED;
		case 3: return LWBS_TYPE_FLOAT;
		case 4: return LWBS_TYPE_BOOLEAN;
		case 5: return LWBS_TYPE_OPAQUE;
		case 6: return LWBS_TYPE_TIME;
		case 7: return LWBS_TYPE_OBJLNK;
		case 8: return LWBS_TYPE_CORELNK;
		case 10: return LWBS_TYPE_INTEGER;
		case 300: return LWBS_TYPE_STRING;
		default: return LWBS_TYPE_NONE;
		}
	default:
		return LWBS_TYPE_NONE;
	}
}

static const struct lwbs_typer typer = {test_type, NULL};
static struct lwbs_arena *arena;

/* "C8 00 14 ..." -> bytes; returns the count. */
static size_t hex(const char *s, uint8_t *out)
{
	size_t n = 0;
	while (*s) {
		if (*s == ' ' || *s == '\n') {
			s++;
			continue;
		}
		unsigned v;
		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static struct lwbs_node *dec(const uint8_t *p, size_t n, struct lwbs_path base, int *rc)
{
	struct lwbs_node *root = NULL;
	*rc = lwbs_tlv_decode(p, n, &base, &typer, arena, &root);
	return *rc ? NULL : root;
}

static int dec_rc(const char *hexs, struct lwbs_path base)
{
	uint8_t b[512];
	int rc;
	dec(b, hex(hexs, b), base, &rc);
	return rc;
}

/* Encodes root at base and compares with want[0..wn). */
static void check_enc(const struct lwbs_node *root, struct lwbs_path base, const uint8_t *want, size_t wn)
{
	struct lwbs_buf b;
	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_tlv_encode(root, &base, &b), 0);
	CHECK_MEM(b.data, b.len, want, wn);
	lwbs_buf_finish(&b);
}

static const struct lwbs_value *val(const struct lwbs_node *root, struct lwbs_path p)
{
	const struct lwbs_node *n = lwbs_node_find(root, &p);
	if (!n || !n->has_value)
		return NULL;
	return &n->value;
}

static bool is_str(const struct lwbs_value *v, const char *s)
{
	return v && v->type == LWBS_TYPE_STRING && v->v.bytes.len == strlen(s) &&
	       memcmp(v->v.bytes.ptr, s, strlen(s)) == 0;
}

static bool is_int(const struct lwbs_value *v, int64_t i)
{
	return v && v->type == LWBS_TYPE_INTEGER && v->v.i == i;
}

static const char sec_hex[] =
	"C8 00 14 63 6F 61 70 3A 2F 2F 31 30 2E 30 2E 30 2E 31 3A 35 36 38 33"
	"C1 01 00"
	"C1 02 03";

static void test_security_put_instance(void)
{
	uint8_t b[64];
	size_t n = hex(sec_hex, b);
	int rc;

	CHECK_INT(n, 29);
	struct lwbs_node *root = dec(b, n, LWBS_PATH_INST(0, 0), &rc);
	CHECK_INT(rc, 0);
	if (!root)
		return;
	CHECK(is_str(val(root, LWBS_PATH_RES(0, 0, 0)), "coap://10.0.0.1:5683"));
	const struct lwbs_value *bs = val(root, LWBS_PATH_RES(0, 0, 1));
	CHECK(bs && bs->type == LWBS_TYPE_BOOLEAN && !bs->v.b);
	CHECK(is_int(val(root, LWBS_PATH_RES(0, 0, 2)), 3));
	struct lwbs_path inst = LWBS_PATH_INST(0, 0);
	CHECK_INT(lwbs_node_count(lwbs_node_find(root, &inst)), 3);
	check_enc(root, LWBS_PATH_INST(0, 0), b, n);

	/* The same body built from values encodes to the same bytes. */
	struct lwbs_node *r2 = lwbs_node_root(arena);
	struct lwbs_value v = lwbs_value_string("coap://10.0.0.1:5683");
	struct lwbs_path p = LWBS_PATH_RES(0, 0, 0);
	CHECK_INT(lwbs_node_set(arena, r2, &p, &v), 0);
	v = lwbs_value_bool(false);
	p = LWBS_PATH_RES(0, 0, 1);
	CHECK_INT(lwbs_node_set(arena, r2, &p, &v), 0);
	v = lwbs_value_int(3);
	p = LWBS_PATH_RES(0, 0, 2);
	CHECK_INT(lwbs_node_set(arena, r2, &p, &v), 0);
	check_enc(r2, LWBS_PATH_INST(0, 0), b, n);
	CHECK(lwbs_node_equal(root, r2));

	/* Clients may wrap the body in its object instance TLV. */
	uint8_t w[64] = {0x08, 0x00, 0x1D};
	memcpy(w + 3, b, n);
	struct lwbs_node *r3 = dec(w, n + 3, LWBS_PATH_INST(0, 0), &rc);
	CHECK_INT(rc, 0);
	CHECK(r3 && lwbs_node_equal(root, r3));
	/* ... but only with the right instance id. */
	w[1] = 1;
	dec(w, n + 3, LWBS_PATH_INST(0, 0), &rc);
	CHECK_INT(rc, LWBS_EPATH);

	/* With the Short Server ID appended. */
	memcpy(b + n, "\xC1\x0A\x01", 3);
	root = dec(b, n + 3, LWBS_PATH_INST(0, 0), &rc);
	CHECK_INT(rc, 0);
	CHECK(is_int(val(root, LWBS_PATH_RES(0, 0, 10)), 1));
	check_enc(root, LWBS_PATH_INST(0, 0), b, n + 3);
}

static void test_security_put_object(void)
{
	uint8_t b[64] = {0x08, 0x00, 0x1D};
	size_t n = 3 + hex(sec_hex, b + 3);
	int rc;

	CHECK_INT(n, 32);
	struct lwbs_node *root = dec(b, n, LWBS_PATH_OBJ(0), &rc);
	CHECK_INT(rc, 0);
	if (!root)
		return;
	CHECK(is_str(val(root, LWBS_PATH_RES(0, 0, 0)), "coap://10.0.0.1:5683"));
	CHECK(is_int(val(root, LWBS_PATH_RES(0, 0, 2)), 3));
	check_enc(root, LWBS_PATH_OBJ(0), b, n);
	/* The instance alone is the 29-byte form. */
	check_enc(root, LWBS_PATH_INST(0, 0), b + 3, n - 3);
}

static void test_server_example(void)
{
	/* STANDARDS.md §3.2/§3.5; the header is 08 00 0F (the spec's 0D is an
	 * erratum: the inner length is 15). */
	uint8_t b[64];
	size_t n = hex("08 00 0F C1 00 01 C4 01 00 01 51 80 C1 06 01 C1 07 55", b);
	int rc;

	CHECK_INT(n, 18);
	struct lwbs_node *root = dec(b, n, LWBS_PATH_OBJ(1), &rc);
	CHECK_INT(rc, 0);
	if (!root)
		return;
	CHECK(is_int(val(root, LWBS_PATH_RES(1, 0, 0)), 1));
	CHECK(is_int(val(root, LWBS_PATH_RES(1, 0, 1)), 86400));
	const struct lwbs_value *ns = val(root, LWBS_PATH_RES(1, 0, 6));
	CHECK(ns && ns->type == LWBS_TYPE_BOOLEAN && ns->v.b);
	CHECK(is_str(val(root, LWBS_PATH_RES(1, 0, 7)), "U"));
	check_enc(root, LWBS_PATH_OBJ(1), b, n);
	check_enc(root, LWBS_PATH_INST(1, 0), b + 3, 15);

	/* The printed (wrong) header claims 13 bytes: the instance then ends
	 * inside the "C1 06 01" entry. */
	b[2] = 0x0D;
	dec(b, n, LWBS_PATH_OBJ(1), &rc);
	CHECK(rc == LWBS_ELENGTH);
}

static void test_acl_example(void)
{
	uint8_t b[64];
	size_t n = hex("08 00 0E C1 00 01 C1 01 00 83 02 41 7F 07 C1 03 7F"
		       "08 02 12 C1 00 03 C1 01 00 87 02 41 7F 07 61 01 36 01 C1 03 7F", b);
	int rc;

	CHECK_INT(n, 38);
	struct lwbs_node *root = dec(b, n, LWBS_PATH_OBJ(2), &rc);
	CHECK_INT(rc, 0);
	if (!root)
		return;
	CHECK(is_int(val(root, LWBS_PATH_RES(2, 0, 0)), 1));
	CHECK(is_int(val(root, LWBS_PATH_RI(2, 0, 2, 127)), 7));
	CHECK(is_int(val(root, LWBS_PATH_RES(2, 0, 3)), 127));
	CHECK(is_int(val(root, LWBS_PATH_RES(2, 2, 0)), 3));
	CHECK(is_int(val(root, LWBS_PATH_RI(2, 2, 2, 127)), 7));
	CHECK(is_int(val(root, LWBS_PATH_RI(2, 2, 2, 310)), 1));
	struct lwbs_path acl = LWBS_PATH_RES(2, 2, 2);
	const struct lwbs_node *m = lwbs_node_find(root, &acl);
	CHECK(m && m->multiple && lwbs_node_count(m) == 2);
	check_enc(root, LWBS_PATH_OBJ(2), b, n);
	/* One multiple resource alone (GET /2/2/2). */
	check_enc(root, acl, b + 26, 9);
}

/* Device object instance, 121 bytes (LwM2M Core "TLV" examples, also in
 * Wakaama/Leshan tests); 0x79 == 121. */
static const char device_hex[] =
	"C8 00 14 4F 70 65 6E 20 4D 6F 62 69 6C 65 20 41 6C 6C 69 61 6E 63 65"
	"C8 01 16 4C 69 67 68 74 77 65 69 67 68 74 20 4D 32 4D 20 43 6C 69 65 6E 74"
	"C8 02 09 33 34 35 30 30 30 31 32 33"
	"C3 03 31 2E 30"
	"86 06 41 00 01 41 01 05"
	"88 07 08 42 00 0E D8 42 01 13 88"
	"87 08 41 00 7D 42 01 03 84"
	"C1 09 64"
	"C1 0A 0F"
	"83 0B 41 00 00"
	"C4 0D 51 82 42 8F"
	"C6 0E 2B 30 32 3A 30 30"
	"C1 10 55";

static void test_device_example(void)
{
	uint8_t b[160];
	size_t n = hex(device_hex, b);
	int rc;

	CHECK_INT(n, 121);
	struct lwbs_node *root = dec(b, n, LWBS_PATH_INST(3, 0), &rc);
	CHECK_INT(rc, 0);
	if (!root)
		return;
	CHECK(is_str(val(root, LWBS_PATH_RES(3, 0, 0)), "Open Mobile Alliance"));
	CHECK(is_str(val(root, LWBS_PATH_RES(3, 0, 1)), "Lightweight M2M Client"));
	CHECK(is_str(val(root, LWBS_PATH_RES(3, 0, 2)), "345000123"));
	CHECK(is_str(val(root, LWBS_PATH_RES(3, 0, 3)), "1.0"));
	CHECK(is_int(val(root, LWBS_PATH_RI(3, 0, 6, 0)), 1));
	CHECK(is_int(val(root, LWBS_PATH_RI(3, 0, 6, 1)), 5));
	CHECK(is_int(val(root, LWBS_PATH_RI(3, 0, 7, 0)), 3800));
	CHECK(is_int(val(root, LWBS_PATH_RI(3, 0, 7, 1)), 5000));
	CHECK(is_int(val(root, LWBS_PATH_RI(3, 0, 8, 0)), 125));
	CHECK(is_int(val(root, LWBS_PATH_RI(3, 0, 8, 1)), 900));
	CHECK(is_int(val(root, LWBS_PATH_RES(3, 0, 9)), 100));
	CHECK(is_int(val(root, LWBS_PATH_RES(3, 0, 10)), 15));
	CHECK(is_int(val(root, LWBS_PATH_RI(3, 0, 11, 0)), 0));
	const struct lwbs_value *t = val(root, LWBS_PATH_RES(3, 0, 13));
	CHECK(t && t->type == LWBS_TYPE_TIME && t->v.i == 1367491215);
	CHECK(is_str(val(root, LWBS_PATH_RES(3, 0, 14)), "+02:00"));
	CHECK(is_str(val(root, LWBS_PATH_RES(3, 0, 16)), "U"));
	struct lwbs_path inst = LWBS_PATH_INST(3, 0);
	CHECK_INT(lwbs_node_count(lwbs_node_find(root, &inst)), 13);
	check_enc(root, LWBS_PATH_INST(3, 0), b, n);

	/* Object level: 08 00 79 + the same. */
	uint8_t w[160] = {0x08, 0x00, 0x79};
	memcpy(w + 3, b, n);
	struct lwbs_node *r2 = dec(w, n + 3, LWBS_PATH_OBJ(3), &rc);
	CHECK_INT(rc, 0);
	CHECK(r2 && lwbs_node_equal(root, r2));
	if (r2)
		check_enc(r2, LWBS_PATH_OBJ(3), w, n + 3);

	/* Single resources and a resource instance. */
	check_enc(root, LWBS_PATH_RES(3, 0, 0), b, 23);
	check_enc(root, LWBS_PATH_RES(3, 0, 6), b + 65, 8);
	check_enc(root, LWBS_PATH_RI(3, 0, 7, 1), b + 80, 4);

	/* Without a typer every value is kept as untyped bytes. */
	struct lwbs_path base = LWBS_PATH_INST(3, 0);
	struct lwbs_node *r3 = NULL;
	CHECK_INT(lwbs_tlv_decode(b, n, &base, NULL, arena, &r3), 0);
	const struct lwbs_value *u = val(r3, LWBS_PATH_RES(3, 0, 9));
	CHECK(u && u->type == LWBS_TYPE_OPAQUE && u->untyped && u->v.bytes.len == 1 &&
	      u->v.bytes.ptr[0] == 0x64);
	u = val(r3, LWBS_PATH_RI(3, 0, 7, 0));
	CHECK(u && u->untyped && u->v.bytes.len == 2);
	/* ... and written back unchanged. */
	check_enc(r3, base, b, n);
}

static void test_truncation(void)
{
	uint8_t b[160] = {0x08, 0x00, 0x79};
	size_t n = 3 + hex(device_hex, b + 3);
	int rc;

	/* Object level: any proper prefix cuts the one instance. */
	dec(b, 0, LWBS_PATH_OBJ(3), &rc);
	CHECK_INT(rc, 0);
	for (size_t k = 1; k < n; k++) {
		dec(b, k, LWBS_PATH_OBJ(3), &rc);
		CHECK_INT(rc, LWBS_ETRUNC);
	}

	/* Instance level: prefixes ending on an entry boundary are valid
	 * bodies with fewer resources, every other one is truncated. */
	static const size_t bounds[] = {0, 23, 48, 60, 65, 73, 84, 93, 96, 99, 104, 110, 118, 121};
	size_t bi = 0;
	for (size_t k = 0; k < 121; k++) {
		dec(b + 3, k, LWBS_PATH_INST(3, 0), &rc);
		if (k == bounds[bi]) {
			CHECK_INT(rc, 0);
			bi++;
		} else {
			CHECK_INT(rc, LWBS_ETRUNC);
		}
	}
	CHECK_INT(bi, 13);

	/* Single resource and resource instance bodies. */
	uint8_t s[64];
	size_t sn = hex(sec_hex, s);
	for (size_t k = 0; k < 23; k++) {
		dec(s, k, LWBS_PATH_RES(0, 0, 0), &rc);
		CHECK_INT(rc, LWBS_ETRUNC);
	}
	dec(s, 23, LWBS_PATH_RES(0, 0, 0), &rc);
	CHECK_INT(rc, 0);
	for (size_t k = 0; k < sn; k++) {
		dec(s, k, LWBS_PATH_INST(0, 0), &rc);
		CHECK(k == 0 || k == 23 || k == 26 ? rc == 0 : rc == LWBS_ETRUNC);
	}
	uint8_t ri[] = {0x62, 0x01, 0x36, 0x13, 0x88};
	for (size_t k = 0; k < sizeof(ri); k++) {
		dec(ri, k, LWBS_PATH_RI(3, 0, 7, 310), &rc);
		CHECK_INT(rc, LWBS_ETRUNC);
	}
	struct lwbs_node *root = dec(ri, sizeof(ri), LWBS_PATH_RI(3, 0, 7, 310), &rc);
	CHECK_INT(rc, 0);
	CHECK(is_int(val(root, LWBS_PATH_RI(3, 0, 7, 310)), 5000));
}

static void test_lengths(void)
{
	/* A length past the end of the input. */
	CHECK_INT(dec_rc("C8 00 FF 41 42", LWBS_PATH_INST(0, 0)), LWBS_ETRUNC);
	CHECK_INT(dec_rc("D8 00 FF FF FF 41", LWBS_PATH_INST(0, 0)), LWBS_ETRUNC);
	CHECK_INT(dec_rc("F8 01 00 00 00", LWBS_PATH_INST(0, 0)), LWBS_ETRUNC);
	/* An inner length past its container. */
	CHECK_INT(dec_rc("08 00 05 C8 00 10 41 42", LWBS_PATH_OBJ(0)), LWBS_ELENGTH);
	CHECK_INT(dec_rc("08 00 02 C8 00", LWBS_PATH_OBJ(0)), LWBS_ELENGTH);
	CHECK_INT(dec_rc("86 06 41 00 01 42 01 05", LWBS_PATH_INST(3, 0)), LWBS_ELENGTH);
	/* A multiple resource whose length ends inside a header. */
	CHECK_INT(dec_rc("81 06 41", LWBS_PATH_INST(3, 0)), LWBS_ELENGTH);
	/* Long length fields for short values are accepted. */
	CHECK_INT(dec_rc("C8 02 01 05", LWBS_PATH_INST(0, 0)), 0);
	CHECK_INT(dec_rc("D0 02 00 01 05", LWBS_PATH_INST(0, 0)), 0);
	CHECK_INT(dec_rc("D8 02 00 00 01 05", LWBS_PATH_INST(0, 0)), 0);
	/* 16-bit identifier. */
	CHECK_INT(dec_rc("E1 01 2C FF", LWBS_PATH_INST(TOBJ, 0)), LWBS_EUTF8);
	CHECK_INT(dec_rc("E1 01 2C 41", LWBS_PATH_INST(TOBJ, 0)), 0);
	/* Identifier 65535 is reserved. */
	CHECK_INT(dec_rc("E1 FF FF 01", LWBS_PATH_INST(0, 0)), LWBS_EPATH);
	CHECK_INT(dec_rc("20 FF FF 00", LWBS_PATH_OBJ(0)), LWBS_EPATH);
	CHECK_INT(dec_rc("84 06 61 FF FF 00", LWBS_PATH_INST(3, 0)), LWBS_EPATH);
}

static void test_nesting(void)
{
	/* Instance inside an instance. */
	CHECK_INT(dec_rc("08 00 03 08 01 00", LWBS_PATH_OBJ(0)), LWBS_EPATH);
	/* Resource instance directly inside an instance. */
	CHECK_INT(dec_rc("08 00 03 41 00 01", LWBS_PATH_OBJ(0)), LWBS_EPATH);
	CHECK_INT(dec_rc("41 00 01", LWBS_PATH_INST(0, 0)), LWBS_EPATH);
	/* Resource or instance inside a multiple resource. */
	CHECK_INT(dec_rc("08 00 05 83 06 C1 00 01", LWBS_PATH_OBJ(3)), LWBS_EPATH);
	CHECK_INT(dec_rc("83 06 01 00 00", LWBS_PATH_INST(3, 0)), LWBS_EPATH);
	CHECK_INT(dec_rc("84 06 82 00 41 00", LWBS_PATH_INST(3, 0)), LWBS_EPATH);
	/* Resources at the object level. */
	CHECK_INT(dec_rc("C1 00 01", LWBS_PATH_OBJ(0)), LWBS_EPATH);
	CHECK_INT(dec_rc("83 06 41 00 01", LWBS_PATH_OBJ(3)), LWBS_EPATH);
	/* An instance wrapper followed by more entries at /O/I. */
	CHECK_INT(dec_rc("08 00 03 C1 02 03 C1 01 00", LWBS_PATH_INST(0, 0)), LWBS_EPATH);
	/* An instance TLV where a resource is expected. */
	CHECK_INT(dec_rc("00 02", LWBS_PATH_RES(0, 0, 2)), LWBS_EPATH);
	CHECK_INT(dec_rc("C1 00 01 00 02", LWBS_PATH_INST(0, 0)), LWBS_EPATH);
}

static void test_duplicates(void)
{
	CHECK_INT(dec_rc("C1 02 01 C1 02 02", LWBS_PATH_INST(0, 0)), LWBS_EDUP);
	CHECK_INT(dec_rc("C1 02 01 C1 01 00 C1 02 02", LWBS_PATH_INST(0, 0)), LWBS_EDUP);
	CHECK_INT(dec_rc("C1 02 01 83 02 41 00 01", LWBS_PATH_INST(0, 0)), LWBS_EDUP);
	CHECK_INT(dec_rc("08 00 00 08 01 00 08 00 00", LWBS_PATH_OBJ(0)), LWBS_EDUP);
	CHECK_INT(dec_rc("86 06 41 00 01 41 00 05", LWBS_PATH_INST(3, 0)), LWBS_EDUP);
	CHECK_INT(dec_rc("41 00 01 41 00 05", LWBS_PATH_RES(3, 0, 6)), LWBS_EDUP);

	/* Out of order without duplicates is accepted and sorted. */
	uint8_t b[64];
	size_t n = hex("C1 02 03 C1 01 00 C8 00 01 41", b);
	int rc;
	struct lwbs_node *root = dec(b, n, LWBS_PATH_INST(0, 0), &rc);
	CHECK_INT(rc, 0);
	if (!root)
		return;
	uint8_t want[64];
	size_t wn = hex("C1 00 41 C1 01 00 C1 02 03", want);
	check_enc(root, LWBS_PATH_INST(0, 0), want, wn);
	root = dec(b, hex("08 05 00 08 01 00 08 03 00", b), LWBS_PATH_OBJ(1), &rc);
	CHECK_INT(rc, 0);
	wn = hex("00 01 00 03 00 05", want);
	if (root)
		check_enc(root, LWBS_PATH_OBJ(1), want, wn);
}

static void test_types(void)
{
	/* Wrong length or value for the resource type. */
	CHECK_INT(dec_rc("C2 01 00 01", LWBS_PATH_INST(0, 0)), LWBS_ETYPE);  /* bool, 2 bytes */
	CHECK_INT(dec_rc("C1 01 02", LWBS_PATH_INST(0, 0)), LWBS_ETYPE);     /* bool 2 */
	CHECK_INT(dec_rc("C0 01", LWBS_PATH_INST(0, 0)), LWBS_ETYPE);        /* bool, empty */
	CHECK_INT(dec_rc("C3 02 00 00 01", LWBS_PATH_INST(0, 0)), LWBS_ETYPE); /* int, 3 bytes */
	CHECK_INT(dec_rc("C0 02", LWBS_PATH_INST(0, 0)), LWBS_ETYPE);        /* int, empty */
	CHECK_INT(dec_rc("C5 02 00 00 00 00 01", LWBS_PATH_INST(0, 0)), LWBS_ETYPE);
	CHECK_INT(dec_rc("C2 03 00 00", LWBS_PATH_INST(TOBJ, 0)), LWBS_ETYPE); /* float, 2 */
	CHECK_INT(dec_rc("C3 07 00 00 00", LWBS_PATH_INST(TOBJ, 0)), LWBS_ETYPE); /* objlnk, 3 */
	CHECK_INT(dec_rc("C3 02 00 00 00", LWBS_PATH_INST(TOBJ, 0)), LWBS_ETYPE); /* uint, 3 */
	/* Invalid UTF-8 in strings: overlong, lone continuation, surrogate. */
	CHECK_INT(dec_rc("C2 00 C0 80", LWBS_PATH_INST(0, 0)), LWBS_EUTF8);
	CHECK_INT(dec_rc("C1 00 80", LWBS_PATH_INST(0, 0)), LWBS_EUTF8);
	CHECK_INT(dec_rc("C3 00 ED A0 80", LWBS_PATH_INST(0, 0)), LWBS_EUTF8);
	CHECK_INT(dec_rc("C1 08 FF", LWBS_PATH_INST(TOBJ, 0)), LWBS_EUTF8);
	CHECK_INT(dec_rc("C3 00 E2 82 AC", LWBS_PATH_INST(0, 0)), 0);
	/* Opaque accepts anything, also empty (NoSec keys). */
	CHECK_INT(dec_rc("C0 03 C0 04 C0 05", LWBS_PATH_INST(0, 0)), 0);
	/* Unknown resources: empty is "none", bytes stay untyped. */
	uint8_t b[16];
	size_t n = hex("C0 50 C2 51 AB CD", b);
	int rc;
	struct lwbs_node *root = dec(b, n, LWBS_PATH_INST(0, 0), &rc);
	CHECK_INT(rc, 0);
	const struct lwbs_value *v = val(root, LWBS_PATH_RES(0, 0, 0x50));
	CHECK(v && v->type == LWBS_TYPE_NONE && !v->untyped);
	v = val(root, LWBS_PATH_RES(0, 0, 0x51));
	CHECK(v && v->type == LWBS_TYPE_OPAQUE && v->untyped && v->v.bytes.len == 2);
	if (root)
		check_enc(root, LWBS_PATH_INST(0, 0), b, n);
	/* Signed integers at every width. */
	root = dec(b, hex("C1 01 FF", b), LWBS_PATH_INST(TOBJ, 0), &rc);
	CHECK(is_int(val(root, LWBS_PATH_RES(TOBJ, 0, 1)), -1));
	root = dec(b, hex("C2 01 FF 7F", b), LWBS_PATH_INST(TOBJ, 0), &rc);
	CHECK(is_int(val(root, LWBS_PATH_RES(TOBJ, 0, 1)), -129));
	root = dec(b, hex("C4 01 80 00 00 00", b), LWBS_PATH_INST(TOBJ, 0), &rc);
	CHECK(is_int(val(root, LWBS_PATH_RES(TOBJ, 0, 1)), INT32_MIN));
	root = dec(b, hex("C8 01 08 80 00 00 00 00 00 00 00", b), LWBS_PATH_INST(TOBJ, 0), &rc);
	CHECK(is_int(val(root, LWBS_PATH_RES(TOBJ, 0, 1)), INT64_MIN));
	/* Unsigned at 1 byte is not sign-extended. */
	root = dec(b, hex("C1 02 FF", b), LWBS_PATH_INST(TOBJ, 0), &rc);
	v = val(root, LWBS_PATH_RES(TOBJ, 0, 2));
	CHECK(v && v->type == LWBS_TYPE_UNSIGNED && v->v.u == 255);
}

/* Writes v at /TOBJ/0/rid, encodes the resource, checks the encoded value
 * length (want_len, header excluded) and decodes it back equal. */
static void roundtrip(uint16_t rid, struct lwbs_value v, size_t want_len)
{
	struct lwbs_node *root = lwbs_node_root(arena);
	struct lwbs_path p = LWBS_PATH_RES(TOBJ, 0, rid);
	struct lwbs_buf b;
	int rc;

	CHECK_INT(lwbs_node_set(arena, root, &p, &v), 0);
	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_tlv_encode(root, &p, &b), 0);
	size_t hdr = (rid > 255 ? 3 : 2) + (want_len > 0xFFFF ? 3 : want_len > 0xFF ? 2 : want_len > 7 ? 1 : 0);
	CHECK_INT(b.len, hdr + want_len);
	struct lwbs_node *back = dec(b.data, b.len, p, &rc);
	CHECK_INT(rc, 0);
	CHECK(back && lwbs_node_equal(root, back));
	/* And inside an instance and an object. */
	struct lwbs_path inst = LWBS_PATH_INST(TOBJ, 0), obj = LWBS_PATH_OBJ(TOBJ);
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_tlv_encode(root, &inst, &b), 0);
	back = dec(b.data, b.len, inst, &rc);
	CHECK(back && lwbs_node_equal(root, back));
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_tlv_encode(root, &obj, &b), 0);
	back = dec(b.data, b.len, obj, &rc);
	CHECK(back && lwbs_node_equal(root, back));
	lwbs_buf_finish(&b);
}

static void test_roundtrip_values(void)
{
	static const struct {
		int64_t v;
		size_t len;
	} ints[] = {
		{0, 1}, {-1, 1}, {127, 1}, {128, 2}, {-128, 1}, {-129, 2},
		{32767, 2}, {32768, 4}, {-32768, 2}, {-32769, 4},
		{INT32_MAX, 4}, {(int64_t)INT32_MAX + 1, 8}, {INT32_MIN, 4}, {(int64_t)INT32_MIN - 1, 8},
		{INT64_MAX, 8}, {INT64_MIN, 8},
	};
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		roundtrip(1, lwbs_value_int(ints[i].v), ints[i].len);
		roundtrip(6, lwbs_value_time(ints[i].v), ints[i].len);
	}
	static const struct {
		uint64_t v;
		size_t len;
	} uints[] = {
		{0, 1}, {127, 1}, {128, 2}, {255, 2}, {32767, 2}, {32768, 4}, {65535, 4},
		{INT32_MAX, 4}, {(uint64_t)INT32_MAX + 1, 8}, {UINT32_MAX, 8},
		{INT64_MAX, 8}, {(uint64_t)INT64_MAX + 1, 8}, {UINT64_MAX, 8},
	};
	for (size_t i = 0; i < sizeof(uints) / sizeof(uints[0]); i++)
		roundtrip(2, lwbs_value_uint(uints[i].v), uints[i].len);

	roundtrip(3, lwbs_value_float(1.5), 4);
	roundtrip(3, lwbs_value_float(0.1), 8);
	roundtrip(3, lwbs_value_float(-0.0), 4);
	roundtrip(3, lwbs_value_float(1e300), 8);
	roundtrip(3, lwbs_value_float(INFINITY), 4);
	roundtrip(3, lwbs_value_float(-INFINITY), 4);
	/* NaN: 4 bytes when its bits survive the trip through float (the
	 * default quiet NaN does), else 8 so that the payload is kept. */
	roundtrip(3, lwbs_value_float(NAN), 4);
	uint64_t nan_bits = 0x7FF8000000000001ull;
	double nan_payload;
	memcpy(&nan_payload, &nan_bits, sizeof(nan_payload));
	roundtrip(3, lwbs_value_float(nan_payload), 8);
	roundtrip(3, lwbs_value_float(5e-324), 8);

	roundtrip(4, lwbs_value_bool(true), 1);
	roundtrip(4, lwbs_value_bool(false), 1);
	roundtrip(0, lwbs_value_string(""), 0);
	roundtrip(0, lwbs_value_string("coap://[::1]:5684"), 17);
	roundtrip(300, lwbs_value_string("sixteen-bit id"), 14);
	roundtrip(5, lwbs_value_bytes(LWBS_TYPE_OPAQUE, "", 0), 0);
	roundtrip(5, lwbs_value_bytes(LWBS_TYPE_OPAQUE, "\0\1\2\xff", 4), 4);
	roundtrip(7, lwbs_value_objlnk(65535, 65535), 4);
	roundtrip(7, lwbs_value_objlnk(11, 0), 4);
	roundtrip(8, lwbs_value_bytes(LWBS_TYPE_CORELNK, "</3/0>", 6), 6);
	roundtrip(9, lwbs_value_none(), 0);

	/* Long values: 8-, 16- and 24-bit length fields. */
	static uint8_t big[70000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	roundtrip(5, lwbs_value_bytes(LWBS_TYPE_OPAQUE, big, 8), 8);
	roundtrip(5, lwbs_value_bytes(LWBS_TYPE_OPAQUE, big, 255), 255);
	roundtrip(5, lwbs_value_bytes(LWBS_TYPE_OPAQUE, big, 256), 256);
	roundtrip(5, lwbs_value_bytes(LWBS_TYPE_OPAQUE, big, 65535), 65535);
	roundtrip(5, lwbs_value_bytes(LWBS_TYPE_OPAQUE, big, 65536), 65536);
	roundtrip(5, lwbs_value_bytes(LWBS_TYPE_OPAQUE, big, sizeof(big)), sizeof(big));

	/* Exact bytes of a few. */
	struct lwbs_node *root = lwbs_node_root(arena);
	struct lwbs_path p = LWBS_PATH_RES(TOBJ, 0, 3);
	struct lwbs_value v = lwbs_value_float(1.5);
	lwbs_node_set(arena, root, &p, &v);
	check_enc(root, p, (const uint8_t *)"\xC4\x03\x3F\xC0\x00\x00", 6);
	p = LWBS_PATH_RES(TOBJ, 0, 2);
	v = lwbs_value_uint(UINT64_MAX);
	lwbs_node_set(arena, root, &p, &v);
	check_enc(root, p, (const uint8_t *)"\xC8\x02\x08\xff\xff\xff\xff\xff\xff\xff\xff", 11);
	p = LWBS_PATH_RES(TOBJ, 0, 1);
	v = lwbs_value_int(128);
	lwbs_node_set(arena, root, &p, &v);
	check_enc(root, p, (const uint8_t *)"\xC2\x01\x00\x80", 4);
	p = LWBS_PATH_RES(TOBJ, 0, 7);
	v = lwbs_value_objlnk(65535, 65535);
	lwbs_node_set(arena, root, &p, &v);
	check_enc(root, p, (const uint8_t *)"\xC4\x07\xff\xff\xff\xff", 6);
	p = LWBS_PATH_RES(TOBJ, 0, 300);
	v = lwbs_value_string("");
	lwbs_node_set(arena, root, &p, &v);
	check_enc(root, p, (const uint8_t *)"\xE0\x01\x2C", 3);
	p = LWBS_PATH_RES(TOBJ, 0, 5);
	v = lwbs_value_bytes(LWBS_TYPE_OPAQUE, big, 70000);
	lwbs_node_set(arena, root, &p, &v);
	struct lwbs_buf b;
	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_tlv_encode(root, &p, &b), 0);
	CHECK_MEM(b.data, 5, "\xD8\x05\x01\x11\x70", 5);
	lwbs_buf_finish(&b);
}

static void test_multiple(void)
{
	struct lwbs_node *root = lwbs_node_root(arena);
	struct lwbs_path p = LWBS_PATH_RES(TOBJ, 0, 10);
	struct lwbs_node *res;
	int rc;

	/* Zero instances: still a multiple resource TLV. */
	CHECK_INT(lwbs_node_insert(arena, root, &p, &res), 0);
	res->multiple = true;
	check_enc(root, p, (const uint8_t *)"\x80\x0A", 2);
	struct lwbs_node *back = dec((const uint8_t *)"\x80\x0A", 2, p, &rc);
	CHECK_INT(rc, 0);
	CHECK(back && lwbs_node_equal(root, back));
	/* One. */
	struct lwbs_path ri = LWBS_PATH_RI(TOBJ, 0, 10, 0);
	struct lwbs_value v = lwbs_value_int(-5);
	CHECK_INT(lwbs_node_set(arena, root, &ri, &v), 0);
	check_enc(root, p, (const uint8_t *)"\x83\x0A\x41\x00\xFB", 5);
	back = dec((const uint8_t *)"\x83\x0A\x41\x00\xFB", 5, p, &rc);
	CHECK(back && lwbs_node_equal(root, back));
	/* Bare resource instances at /O/I/R are accepted. */
	back = dec((const uint8_t *)"\x41\x00\xFB", 3, p, &rc);
	CHECK_INT(rc, 0);
	CHECK(back && lwbs_node_equal(root, back));
	/* Many, with 16-bit ids and a 16-bit length. */
	for (uint16_t i = 1; i < 400; i++) {
		ri.id[3] = i;
		v = lwbs_value_int(i * 1000);
		CHECK_INT(lwbs_node_set(arena, root, &ri, &v), 0);
	}
	struct lwbs_buf b;
	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_tlv_encode(root, &p, &b), 0);
	CHECK_INT(b.data[0], 0x90);
	back = dec(b.data, b.len, p, &rc);
	CHECK_INT(rc, 0);
	CHECK(back && lwbs_node_equal(root, back));
	struct lwbs_path obj = LWBS_PATH_OBJ(TOBJ);
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_tlv_encode(root, &obj, &b), 0);
	back = dec(b.data, b.len, obj, &rc);
	CHECK_INT(rc, 0);
	CHECK(back && lwbs_node_equal(root, back));
	lwbs_buf_finish(&b);
	/* A resource instance alone. */
	ri.id[3] = 300;
	check_enc(root, ri, (const uint8_t *)"\x64\x01\x2C\x00\x04\x93\xE0", 7);
}

static void test_paths(void)
{
	uint8_t b[8] = {0xC1, 0x02, 0x03};
	struct lwbs_path root_path = LWBS_PATH_ROOT;
	struct lwbs_node *out = NULL;
	int rc;

	CHECK_INT(lwbs_tlv_decode(b, 3, &root_path, &typer, arena, &out), LWBS_EPATH);
	CHECK_INT(lwbs_tlv_decode(b, 3, NULL, &typer, arena, &out), LWBS_EPATH);
	/* Empty bodies: valid at /O and /O/I, not below. */
	CHECK(dec(b, 0, LWBS_PATH_OBJ(1), &rc) != NULL);
	struct lwbs_node *r = dec(b, 0, LWBS_PATH_INST(1, 4), &rc);
	CHECK_INT(rc, 0);
	struct lwbs_path inst = LWBS_PATH_INST(1, 4);
	CHECK(r && lwbs_node_find(r, &inst) && lwbs_node_count(lwbs_node_find(r, &inst)) == 0);
	dec(b, 0, LWBS_PATH_RES(1, 4, 1), &rc);
	CHECK(rc < 0);
	dec(b, 0, LWBS_PATH_RI(1, 4, 1, 0), &rc);
	CHECK(rc < 0);
	/* /O/I/R: the resource with that id only. */
	CHECK_INT(dec_rc("C1 02 03", LWBS_PATH_RES(0, 0, 2)), 0);
	CHECK_INT(dec_rc("C1 01 00", LWBS_PATH_RES(0, 0, 2)), LWBS_EPATH);
	CHECK_INT(dec_rc("C1 02 03 C1 01 00", LWBS_PATH_RES(0, 0, 2)), LWBS_EPATH);
	CHECK_INT(dec_rc("08 00 03 C1 02 03", LWBS_PATH_RES(0, 0, 2)), LWBS_EPATH);
	/* /O/I/R/RI: a resource instance TLV, or a resource TLV, with RI's id. */
	CHECK_INT(dec_rc("41 05 01", LWBS_PATH_RI(3, 0, 6, 5)), 0);
	CHECK_INT(dec_rc("C1 05 01", LWBS_PATH_RI(3, 0, 6, 5)), 0);
	CHECK_INT(dec_rc("41 04 01", LWBS_PATH_RI(3, 0, 6, 5)), LWBS_EPATH);
	CHECK_INT(dec_rc("41 05 01 41 06 01", LWBS_PATH_RI(3, 0, 6, 5)), LWBS_EPATH);
	CHECK_INT(dec_rc("83 06 41 05 01", LWBS_PATH_RI(3, 0, 6, 5)), LWBS_EPATH);

	/* Encoder paths. */
	struct lwbs_buf buf;
	lwbs_buf_init(&buf, 0);
	r = dec(b, 3, LWBS_PATH_INST(0, 0), &rc);
	CHECK_INT(lwbs_tlv_encode(r, &root_path, &buf), LWBS_EPATH);
	struct lwbs_path missing = LWBS_PATH_INST(0, 1);
	CHECK_INT(lwbs_tlv_encode(r, &missing, &buf), -ENOENT);
	CHECK_INT(buf.len, 0);
	lwbs_buf_finish(&buf);
}

static void test_limits(void)
{
	/* 300 instances of 250 empty resources: more nodes than allowed.
	 * Instance header: type 0x30 (16-bit id, 16-bit length), id, 500. */
	size_t n = 300 * (5 + 500);
	uint8_t *b = malloc(n), *q = b;
	for (int i = 0; i < 300; i++) {
		*q++ = 0x30;
		*q++ = (uint8_t)(i >> 8);
		*q++ = (uint8_t)i;
		*q++ = 0x01;
		*q++ = 0xF4;
		for (int r = 0; r < 250; r++) {
			*q++ = 0xC0;
			*q++ = (uint8_t)r;
		}
	}
	int rc;
	struct lwbs_arena *big = lwbs_arena_create(0);
	struct lwbs_path base = LWBS_PATH_OBJ(0);
	struct lwbs_node *out;
	rc = lwbs_tlv_decode(b, n, &base, NULL, big, &out);
	CHECK_INT(rc, LWBS_ELIMIT);
	/* 200 instances (50,200 nodes) are fine. */
	rc = lwbs_tlv_decode(b, 200 * 505, &base, NULL, big, &out);
	CHECK_INT(rc, 0);
	/* An arena byte limit turns into -ENOMEM. */
	lwbs_arena_reset(big);
	lwbs_arena_set_limit(big, 4096);
	rc = lwbs_tlv_decode(b, n, &base, NULL, big, &out);
	CHECK_INT(rc, -ENOMEM);
	lwbs_arena_destroy(big);
	free(b);
}

static void setup(void)
{
	arena = lwbs_arena_create(0);
}

static void teardown(void)
{
	lwbs_arena_destroy(arena);
}

TEST_MAIN(setup, test_security_put_instance, test_security_put_object, test_server_example,
	  test_acl_example, test_device_example, test_truncation, test_lengths, test_nesting,
	  test_duplicates, test_types, test_roundtrip_values, test_multiple, test_paths, test_limits,
	  teardown)
