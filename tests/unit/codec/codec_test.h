/* lwbs — helpers the CBOR unit tests share (test_cbor.c, test_senml_cbor.c,
 * test_lwm2m_cbor.c). The typer and the decode/encode helpers are there
 * when the includer defines CODEC_DECODE and CODEC_ENCODE (the format's
 * lwbs_*_decode/encode). */
#ifndef LWBS_TEST_CODEC_TEST_H
#define LWBS_TEST_CODEC_TEST_H

#include <errno.h>

#include "lwbs/codec.h"
#include "../test.h"

/* Address of a path value. */
#define PP(x) (&(struct lwbs_path[]){x}[0])
/* A byte array and its size, as two arguments. */
#define B(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

static struct lwbs_arena *arena;

static void fresh_arena(void)
{
	lwbs_arena_destroy(arena);
	arena = lwbs_arena_create(0);
	lwbs_arena_set_limit(arena, 1 << 20);
}

#ifdef CODEC_DECODE

#define TOBJ 9999 /* a test object with one resource of each type */

/* Types of some Security (0) and Server (1) resources and of TOBJ's. */
static enum lwbs_type type_of(void *ctx, uint16_t oid, uint16_t rid)
{
	static const enum lwbs_type sec[] = {
		[0] = LWBS_TYPE_STRING, [1] = LWBS_TYPE_BOOLEAN, [2] = LWBS_TYPE_INTEGER,
		[3] = LWBS_TYPE_OPAQUE, [4] = LWBS_TYPE_OPAQUE, [5] = LWBS_TYPE_OPAQUE,
		[10] = LWBS_TYPE_INTEGER, [16] = LWBS_TYPE_UNSIGNED, [17] = LWBS_TYPE_OBJLNK,
	};
	static const enum lwbs_type srv[] = {
		[0] = LWBS_TYPE_INTEGER, [1] = LWBS_TYPE_INTEGER, [6] = LWBS_TYPE_BOOLEAN,
		[7] = LWBS_TYPE_STRING, [10] = LWBS_TYPE_OBJLNK, [12] = LWBS_TYPE_TIME,
		[24] = LWBS_TYPE_OBJLNK,
	};
	static const enum lwbs_type tst[] = {
		[0] = LWBS_TYPE_INTEGER, [1] = LWBS_TYPE_UNSIGNED, [2] = LWBS_TYPE_FLOAT,
		[3] = LWBS_TYPE_STRING, [4] = LWBS_TYPE_BOOLEAN, [5] = LWBS_TYPE_OPAQUE,
		[6] = LWBS_TYPE_TIME, [7] = LWBS_TYPE_OBJLNK, [8] = LWBS_TYPE_CORELNK,
		[9] = LWBS_TYPE_INTEGER,
	};
	(void)ctx;
	if (oid == 0 && rid < sizeof(sec) / sizeof(sec[0]))
		return sec[rid];
	if (oid == 1 && rid < sizeof(srv) / sizeof(srv[0]))
		return srv[rid];
	if (oid == TOBJ && rid < sizeof(tst) / sizeof(tst[0]))
		return tst[rid];
	return LWBS_TYPE_NONE;
}

static const struct lwbs_typer typer = {type_of, NULL};

static int dec_at(const uint8_t *p, size_t n, struct lwbs_path base, struct lwbs_node **out)
{
	fresh_arena();
	return CODEC_DECODE(p, n, &base, &typer, arena, out);
}

static int dec(const uint8_t *p, size_t n)
{
	struct lwbs_node *root;
	return dec_at(p, n, LWBS_PATH_ROOT, &root);
}

static const struct lwbs_value *val(const struct lwbs_node *root, struct lwbs_path p)
{
	const struct lwbs_node *n = lwbs_node_find(root, &p);
	return n && n->has_value ? &n->value : NULL;
}

static void set(struct lwbs_node *root, struct lwbs_path p, struct lwbs_value v)
{
	CHECK_INT(lwbs_node_set(arena, root, &p, &v), 0);
}

static void expect_enc(const struct lwbs_node *root, struct lwbs_path base, const uint8_t *want, size_t n)
{
	struct lwbs_buf b;
	lwbs_buf_init(&b, 0);
	CHECK_INT(CODEC_ENCODE(root, &base, &b), 0);
	CHECK_MEM(b.data, b.len, want, n);
	lwbs_buf_finish(&b);
}

/* src encoded whole decodes back equal; every prefix of that encoding is
 * rejected, and so is the encoding followed by the byte trailer
 * (-EBADMSG); each of the n_subs subtrees encodes and decodes back equal to
 * its copy from src. */
static void check_round_trip(struct lwbs_node *src, uint8_t trailer, const struct lwbs_path *subs,
			     size_t n_subs)
{
	struct lwbs_buf b;
	struct lwbs_node *back;
	struct lwbs_path base = LWBS_PATH_ROOT;

	lwbs_buf_init(&b, 0);
	CHECK_INT(CODEC_ENCODE(src, &base, &b), 0);
	CHECK_INT(CODEC_DECODE(b.data, b.len, &base, &typer, arena, &back), 0);
	CHECK(lwbs_node_equal(src, back));
	for (size_t n = 0; n < b.len; n++)
		CHECK(CODEC_DECODE(b.data, n, &base, &typer, arena, &back) < 0);
	CHECK_INT(lwbs_buf_putc(&b, trailer), 0);
	CHECK_INT(CODEC_DECODE(b.data, b.len, &base, &typer, arena, &back), -EBADMSG);

	for (size_t i = 0; i < n_subs; i++) {
		struct lwbs_node *want = lwbs_node_root(arena);
		CHECK_INT(lwbs_node_copy(arena, want, src, &subs[i]), 0);
		lwbs_buf_reset(&b);
		CHECK_INT(CODEC_ENCODE(src, &subs[i], &b), 0);
		CHECK_INT(CODEC_DECODE(b.data, b.len, &subs[i], &typer, arena, &back), 0);
		CHECK(lwbs_node_equal(want, back));
	}
	lwbs_buf_finish(&b);
}

#endif /* CODEC_DECODE */

#endif
