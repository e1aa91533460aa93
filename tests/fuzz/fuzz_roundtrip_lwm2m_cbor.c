/* Fuzz target: whatever lwbs_lwm2m_cbor_decode accepts must encode, decode
 * again to an equal tree, and encode to the very same bytes; abort()
 * otherwise. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Types depend on the ids (NONE included) so that every conversion is hit. */
static enum lwbs_type type_of(void *ctx, uint16_t oid, uint16_t rid)
{
	(void)ctx;
	if (oid >= 100)
		return LWBS_TYPE_NONE;
	return (enum lwbs_type)((oid + rid) % (LWBS_TYPE_CORELNK + 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct lwbs_typer typer = {type_of, NULL};
	struct lwbs_arena *a = lwbs_arena_create(0);
	struct lwbs_path base = LWBS_PATH_ROOT;
	struct lwbs_node *first, *second;
	struct lwbs_buf b1, b2;

	if (!a)
		return 0;
	lwbs_arena_set_limit(a, 1 << 20);
	if (lwbs_lwm2m_cbor_decode(data, size, &base, &typer, a, &first) != 0)
		goto out;
	lwbs_buf_init(&b1, 0);
	lwbs_buf_init(&b2, 0);
	if (lwbs_lwm2m_cbor_encode(first, &base, &b1) != 0)
		abort();
	int rc = lwbs_lwm2m_cbor_decode(b1.data, b1.len, &base, &typer, a, &second);
	if (rc == -ENOMEM) /* the arena limit, not a codec fault */
		goto done;
	if (rc != 0)
		abort();
	if (!lwbs_node_equal(first, second))
		abort();
	if (lwbs_lwm2m_cbor_encode(second, &base, &b2) != 0)
		abort();
	if (b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0)
		abort();
done:
	lwbs_buf_finish(&b1);
	lwbs_buf_finish(&b2);
out:
	lwbs_arena_destroy(a);
	return 0;
}
