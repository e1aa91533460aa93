/* Fuzz target: SenML JSON decoder (with and without a typer); whatever
 * decodes must encode again. */
#include <stdint.h>
#include <stdlib.h>

#include "lwbs/codec.h"

/* Objects below 100 get a type per resource, others are unknown. */
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
	struct lwbs_node *root;

	if (!a)
		return 0;
	lwbs_arena_set_limit(a, 1 << 20);
	for (int pass = 0; pass < 2; pass++) {
		if (lwbs_senml_json_decode(data, size, &base, pass ? NULL : &typer, a, &root) != 0)
			continue;
		struct lwbs_buf b;
		lwbs_buf_init(&b, 0);
		if (lwbs_senml_json_encode(root, &base, &b) != 0)
			abort();
		lwbs_buf_finish(&b);
	}
	if (size >= 2) {
		/* A request path taken from the input. */
		struct lwbs_path p = lwbs_path_make(data[0] % 5, data[1] % 4, 0, data[1] % 3, 0);
		lwbs_senml_json_decode(data, size, &p, &typer, a, &root);
	}
	lwbs_arena_destroy(a);
	return 0;
}
