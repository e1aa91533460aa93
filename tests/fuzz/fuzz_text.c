/* lwbs — fuzz target: plain text and opaque decoders.
 *
 * Input byte 0 picks the resource type (via the typer: string, integer,
 * unsigned, float, boolean, opaque, time, objlnk, corelnk, unknown) and the
 * path level (resource or resource instance); the rest is the body. Every
 * successful text decode must encode and decode back to an equal tree. */
#include "fuzz_codec.h"

static enum lwbs_type fuzz_type(void *ctx, uint16_t oid, uint16_t rid)
{
	static const enum lwbs_type t[] = {
		LWBS_TYPE_STRING, LWBS_TYPE_INTEGER, LWBS_TYPE_UNSIGNED, LWBS_TYPE_FLOAT,
		LWBS_TYPE_BOOLEAN, LWBS_TYPE_OPAQUE, LWBS_TYPE_TIME, LWBS_TYPE_OBJLNK,
		LWBS_TYPE_CORELNK, LWBS_TYPE_NONE,
	};
	(void)ctx;
	(void)oid;
	return t[rid % 10];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct lwbs_typer typer = {fuzz_type, NULL};
	if (size < 1)
		return 0;
	uint16_t rid = (uint16_t)(data[0] % 10);
	struct lwbs_path base = (data[0] & 0x80) ? LWBS_PATH_RI(5, 0, rid, 3) : LWBS_PATH_RES(5, 0, rid);

	struct lwbs_arena *a = fuzz_arena();
	if (!a)
		return 0;
	struct lwbs_node *root = NULL, *back = NULL;
	struct lwbs_buf b;
	lwbs_buf_init(&b, 1 << 20);

	if (lwbs_text_decode(data + 1, size - 1, &base, &typer, a, &root) == 0) {
		if (lwbs_text_encode(root, &base, &b) != 0)
			abort();
		int rc = lwbs_text_decode(b.data, b.len, &base, &typer, a, &back);
		if (rc != -ENOMEM && (rc != 0 || !lwbs_node_equal(root, back)))
			abort();
	}
	if (lwbs_opaque_decode(data + 1, size - 1, &base, &typer, a, &root) == 0) {
		lwbs_buf_reset(&b);
		if (lwbs_opaque_encode(root, &base, &b) != 0 || b.len != size - 1)
			abort();
	}
	lwbs_buf_finish(&b);
	lwbs_arena_destroy(a);
	return 0;
}
