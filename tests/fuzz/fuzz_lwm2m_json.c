/* Fuzz target: LwM2M 1.0 JSON decoder; a decoded tree must survive a trip
 * through SenML JSON unchanged. Then a decode at a request path taken from
 * the input, without a typer. */
#include "fuzz_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct lwbs_typer typer = {fuzz_type_sum7, NULL};
	const struct lwbs_path base = LWBS_PATH_ROOT;
	struct lwbs_arena *a = fuzz_arena();
	struct lwbs_node *t1, *t2;

	if (!a)
		return 0;
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
