/* lwbs — helpers the CBOR unit tests share (test_cbor.c, test_senml_cbor.c,
 * test_lwm2m_cbor.c). The decode/encode helpers are there when the
 * includer defines CODEC_DECODE and CODEC_ENCODE (the format's
 * lwbs_*_decode/encode) and a `static const struct lwbs_typer typer`. */
#ifndef LWBS_TEST_CODEC_TEST_H
#define LWBS_TEST_CODEC_TEST_H

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

#endif /* CODEC_DECODE */

#endif
