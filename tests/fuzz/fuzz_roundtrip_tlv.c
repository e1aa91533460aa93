/* lwbs — fuzz target: TLV decode -> encode -> decode must give an equal tree.
 *
 * Input byte 0 picks the request path (/0, /0/0, /0/0/0, /0/0/0/0, /1,
 * /1/0, /1/0/6, /2/0/2/1, cycled) and the typer (none, or a small model of
 * objects 0, 1 and 2 with every TLV type); the rest is the TLV body. The
 * encoder's output must also be stable: encoding the second tree gives the
 * same bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/codec.h"

static enum lwbs_type fuzz_type(void *ctx, uint16_t oid, uint16_t rid)
{
	static const enum lwbs_type t[] = {
		LWBS_TYPE_STRING, LWBS_TYPE_BOOLEAN, LWBS_TYPE_INTEGER, LWBS_TYPE_OPAQUE,
		LWBS_TYPE_UNSIGNED, LWBS_TYPE_FLOAT, LWBS_TYPE_TIME, LWBS_TYPE_OBJLNK,
		LWBS_TYPE_CORELNK, LWBS_TYPE_NONE,
	};
	(void)ctx;
	if (oid > 2)
		return LWBS_TYPE_NONE;
	return t[(rid + oid) % 10];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct lwbs_typer typer = {fuzz_type, NULL};
	const struct lwbs_path bases[] = {
		LWBS_PATH_OBJ(0), LWBS_PATH_INST(0, 0), LWBS_PATH_RES(0, 0, 0), LWBS_PATH_RI(0, 0, 0, 0),
		LWBS_PATH_OBJ(1), LWBS_PATH_INST(1, 0), LWBS_PATH_RES(1, 0, 6), LWBS_PATH_RI(2, 0, 2, 1),
	};
	if (size < 1)
		return 0;
	const struct lwbs_path *base = &bases[data[0] % 8];
	const struct lwbs_typer *ty = (data[0] & 8) ? NULL : &typer;

	struct lwbs_arena *a = lwbs_arena_create(0);
	if (!a)
		return 0;
	lwbs_arena_set_limit(a, 1 << 20);
	struct lwbs_node *first = NULL, *second = NULL;
	struct lwbs_buf b1, b2;
	lwbs_buf_init(&b1, 1 << 20);
	lwbs_buf_init(&b2, 1 << 20);

	if (lwbs_tlv_decode(data + 1, size - 1, base, ty, a, &first) == 0) {
		if (lwbs_tlv_encode(first, base, &b1) != 0)
			abort();
		int rc = lwbs_tlv_decode(b1.data, b1.len, base, ty, a, &second);
		if (rc == -ENOMEM)
			goto out; /* the arena limit, not a mismatch */
		if (rc != 0)
			abort();
		if (!lwbs_node_equal(first, second))
			abort();
		if (lwbs_tlv_encode(second, base, &b2) != 0 || b1.len != b2.len ||
		    (b1.len && memcmp(b1.data, b2.data, b1.len) != 0))
			abort();
	}
out:
	lwbs_buf_finish(&b1);
	lwbs_buf_finish(&b2);
	lwbs_arena_destroy(a);
	return 0;
}
