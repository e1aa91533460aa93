/* Fuzz target: lwbs_lwm2m_cbor_decode on arbitrary bytes, with and without a
 * typer, and the encoder on whatever decodes. Must never crash or read out
 * of bounds; every error is a negative code. */
#include <stdint.h>
#include <stdlib.h>

#include "lwbs/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Security and Server resources as the registry types them; other objects
 * get a type that depends on the ids, NONE included. */
static enum lwbs_type type_of(void *ctx, uint16_t oid, uint16_t rid)
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct lwbs_typer typer = {type_of, NULL};
	struct lwbs_arena *a = lwbs_arena_create(0);
	struct lwbs_path base = LWBS_PATH_ROOT;
	struct lwbs_node *root;
	struct lwbs_buf b;

	if (!a)
		return 0;
	lwbs_arena_set_limit(a, 1 << 20);
	for (int pass = 0; pass < 2; pass++) {
		int rc = lwbs_lwm2m_cbor_decode(data, size, &base, pass ? NULL : &typer, a, &root);
		if (rc > 0)
			abort();
		if (rc == 0) {
			lwbs_buf_init(&b, 0);
			if (lwbs_lwm2m_cbor_encode(root, &base, &b) != 0)
				abort();
			lwbs_buf_finish(&b);
		}
		lwbs_arena_reset(a);
	}
	lwbs_arena_destroy(a);
	return 0;
}
