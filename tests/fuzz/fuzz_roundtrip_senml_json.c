/* Fuzz target: SenML JSON decode -> encode -> decode gives the same tree,
 * and encoding that tree gives the same bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/codec.h"

static enum lwbs_type fuzz_type(void *ctx, uint16_t oid, uint16_t rid)
{
	(void)ctx;
	if (oid >= 100)
		return LWBS_TYPE_NONE;
	return (enum lwbs_type)((oid * 7u + rid) % 10u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct lwbs_typer typer = {fuzz_type, NULL};
	struct lwbs_arena *a = lwbs_arena_create(0);
	struct lwbs_path base = LWBS_PATH_ROOT;
	struct lwbs_node *t1, *t2;
	struct lwbs_buf b1, b2;

	if (!a)
		return 0;
	lwbs_arena_set_limit(a, 1 << 20);
	lwbs_buf_init(&b1, 0);
	lwbs_buf_init(&b2, 0);
	if (lwbs_senml_json_decode(data, size, &base, &typer, a, &t1) == 0) {
		if (lwbs_senml_json_encode(t1, &base, &b1) != 0)
			abort();
		int rc = lwbs_senml_json_decode(b1.data, b1.len, &base, &typer, a, &t2);
		if (rc == -ENOMEM)
			goto out; /* arena limit */
		if (rc != 0 || !lwbs_node_equal(t1, t2))
			abort();
		if (lwbs_senml_json_encode(t2, &base, &b2) != 0)
			abort();
		if (b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0)
			abort();
	}
out:
	lwbs_buf_finish(&b1);
	lwbs_buf_finish(&b2);
	lwbs_arena_destroy(a);
	return 0;
}
