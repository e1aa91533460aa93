/* lwbs — what the codec fuzz targets share: the arena they decode into,
 * typers, and the two checks (whatever decodes must encode; and a full
 * decode -> encode -> decode -> encode round trip). Included by one fuzz
 * target each, so everything here is static inline. */
#ifndef LWBS_FUZZ_CODEC_H
#define LWBS_FUZZ_CODEC_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One format's decoder and encoder, and the limit of the buffers it encodes
 * into (0: the default). */
struct fuzz_codec {
	int (*decode)(const uint8_t *p, size_t n, const struct lwbs_path *base,
		      const struct lwbs_typer *typer, struct lwbs_arena *a, struct lwbs_node **out);
	int (*encode)(const struct lwbs_node *root, const struct lwbs_path *base, struct lwbs_buf *out);
	size_t buf_limit;
};

/* A check of codec c on one input: abort() when it fails. */
typedef void (*fuzz_check_fn)(const struct fuzz_codec *c, const uint8_t *data, size_t size,
			      const struct lwbs_path *base, const struct lwbs_typer *typer,
			      struct lwbs_arena *a);

/* An arena with a 1 MiB limit, or NULL. */
static inline struct lwbs_arena *fuzz_arena(void)
{
	struct lwbs_arena *a = lwbs_arena_create(0);
	if (a)
		lwbs_arena_set_limit(a, 1 << 20);
	return a;
}

/* Security (0) and Server (1) resources as the registry types them; other
 * objects get a type that depends on the ids, NONE included. */
static inline enum lwbs_type fuzz_type_registry(void *ctx, uint16_t oid, uint16_t rid)
{
	static const enum lwbs_type sec[] = {
		LWBS_TYPE_STRING, LWBS_TYPE_BOOLEAN, LWBS_TYPE_INTEGER, LWBS_TYPE_OPAQUE,
		LWBS_TYPE_OPAQUE, LWBS_TYPE_OPAQUE, LWBS_TYPE_INTEGER, LWBS_TYPE_OPAQUE,
		LWBS_TYPE_OPAQUE, LWBS_TYPE_STRING, LWBS_TYPE_INTEGER, LWBS_TYPE_INTEGER,
		LWBS_TYPE_INTEGER, LWBS_TYPE_UNSIGNED, LWBS_TYPE_STRING, LWBS_TYPE_UNSIGNED,
		LWBS_TYPE_UNSIGNED, LWBS_TYPE_OBJLNK,
	};
	static const enum lwbs_type srv[] = {
		LWBS_TYPE_INTEGER, LWBS_TYPE_INTEGER, LWBS_TYPE_INTEGER, LWBS_TYPE_INTEGER,
		LWBS_TYPE_NONE, LWBS_TYPE_INTEGER, LWBS_TYPE_BOOLEAN, LWBS_TYPE_STRING,
		LWBS_TYPE_NONE, LWBS_TYPE_NONE, LWBS_TYPE_OBJLNK, LWBS_TYPE_UNSIGNED,
		LWBS_TYPE_TIME,
	};
	(void)ctx;
	if (oid == 0 && rid < sizeof(sec) / sizeof(sec[0]))
		return sec[rid];
	if (oid == 1 && rid < sizeof(srv) / sizeof(srv[0]))
		return srv[rid];
	if (oid < 2)
		return LWBS_TYPE_NONE;
	return (enum lwbs_type)((oid + rid) % (LWBS_TYPE_CORELNK + 1));
}

/* Objects below 100: a type from (oid * oid_weight + rid), every type and
 * NONE; others unknown. */
static inline enum lwbs_type fuzz_type_spread(uint16_t oid, uint16_t rid, unsigned oid_weight)
{
	if (oid >= 100)
		return LWBS_TYPE_NONE;
	return (enum lwbs_type)((oid * oid_weight + rid) % (LWBS_TYPE_CORELNK + 1u));
}

static inline enum lwbs_type fuzz_type_sum(void *ctx, uint16_t oid, uint16_t rid)
{
	(void)ctx;
	return fuzz_type_spread(oid, rid, 1);
}

static inline enum lwbs_type fuzz_type_sum7(void *ctx, uint16_t oid, uint16_t rid)
{
	(void)ctx;
	return fuzz_type_spread(oid, rid, 7);
}

/* Decodes data with c; a decoder returns 0 or a negative code, and whatever
 * it accepts must encode. */
static inline void fuzz_decode_encode(const struct fuzz_codec *c, const uint8_t *data, size_t size,
				      const struct lwbs_path *base, const struct lwbs_typer *typer,
				      struct lwbs_arena *a)
{
	struct lwbs_node *root;
	int rc = c->decode(data, size, base, typer, a, &root);

	if (rc > 0)
		abort();
	if (rc == 0) {
		struct lwbs_buf b;
		lwbs_buf_init(&b, c->buf_limit);
		if (c->encode(root, base, &b) != 0)
			abort();
		lwbs_buf_finish(&b);
	}
}

/* fuzz_decode_encode() with the typer and without, on a fresh arena each. */
static inline void fuzz_decode_encode_typed_untyped(const struct fuzz_codec *c, const uint8_t *data,
						    size_t size, const struct lwbs_path *base,
						    const struct lwbs_typer *typer, struct lwbs_arena *a)
{
	for (int pass = 0; pass < 2; pass++) {
		fuzz_decode_encode(c, data, size, base, pass ? NULL : typer, a);
		lwbs_arena_reset(a);
	}
}

/* Whatever c decodes must encode, decode again to an equal tree, and encode
 * to the very same bytes; abort() otherwise. The arena limit (-ENOMEM) on
 * the second decode is not a codec fault. */
static inline void fuzz_roundtrip(const struct fuzz_codec *c, const uint8_t *data, size_t size,
				  const struct lwbs_path *base, const struct lwbs_typer *typer,
				  struct lwbs_arena *a)
{
	struct lwbs_node *first, *second;
	struct lwbs_buf b1, b2;

	if (c->decode(data, size, base, typer, a, &first) != 0)
		return;
	lwbs_buf_init(&b1, c->buf_limit);
	lwbs_buf_init(&b2, c->buf_limit);
	if (c->encode(first, base, &b1) != 0)
		abort();
	int rc = c->decode(b1.data, b1.len, base, typer, a, &second);
	if (rc != -ENOMEM) {
		if (rc != 0 || !lwbs_node_equal(first, second))
			abort();
		if (c->encode(second, base, &b2) != 0 || b1.len != b2.len ||
		    (b1.len && memcmp(b1.data, b2.data, b1.len) != 0))
			abort();
	}
	lwbs_buf_finish(&b1);
	lwbs_buf_finish(&b2);
}

/* Runs check on the whole input at the root path, on a fresh arena. */
static inline int fuzz_at_root(fuzz_check_fn check, const struct fuzz_codec *c,
			       const struct lwbs_typer *typer, const uint8_t *data, size_t size)
{
	const struct lwbs_path base = LWBS_PATH_ROOT;
	struct lwbs_arena *a = fuzz_arena();

	if (!a)
		return 0;
	check(c, data, size, &base, typer, a);
	lwbs_arena_destroy(a);
	return 0;
}

/* Runs check on input bytes 1.. at the request path bases[byte 0 % 8],
 * with typer unless bit 3 of byte 0 is set, on a fresh arena. */
static inline int fuzz_at_chosen_base(fuzz_check_fn check, const struct fuzz_codec *c,
				      const struct lwbs_path bases[8], const struct lwbs_typer *typer,
				      const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct lwbs_arena *a = fuzz_arena();
	if (!a)
		return 0;
	check(c, data + 1, size - 1, &bases[data[0] % 8], (data[0] & 8) ? NULL : typer, a);
	lwbs_arena_destroy(a);
	return 0;
}

#endif
