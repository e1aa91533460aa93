/* Fuzz target: LwM2M 1.0 JSON decoder; a decoded tree must survive a trip
 * through SenML JSON unchanged. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

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

	if (!a)
		return 0;
	lwbs_arena_set_limit(a, 1 << 20);
	if (lwbs_lwm2m_json_decode(data, size, &base, &typer, a, &t1) == 0) {
		struct lwbs_buf b;
		lwbs_buf_init(&b, 0);
		if (lwbs_senml_json_encode(t1, &base, &b) != 0)
			abort();
		int rc = lwbs_senml_json_decode(b.data, b.len, &base, &typer, a, &t2);
		if (rc != -ENOMEM && (rc != 0 || !lwbs_node_equal(t1, t2)))
			abort();
		lwbs_buf_finish(&b);
	}
	if (size >= 2) {
		struct lwbs_path p = lwbs_path_make(data[0] % 5, data[1] % 4, 0, data[1] % 3, 0);
		lwbs_lwm2m_json_decode(data, size, &p, NULL, a, &t1);
	}
	lwbs_arena_destroy(a);
	return 0;
}
