/* Fuzz target: SenML JSON decoder (with and without a typer); whatever
 * decodes must encode again. Then a decode at a request path taken from
 * the input. */
#include "fuzz_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_codec codec = {lwbs_senml_json_decode, lwbs_senml_json_encode, 0};
	static const struct lwbs_typer typer = {fuzz_type_sum7, NULL};
	const struct lwbs_path base = LWBS_PATH_ROOT;
	struct lwbs_arena *a = fuzz_arena();
	struct lwbs_node *root;

	if (!a)
		return 0;
	fuzz_decode_encode_typed_untyped(&codec, data, size, &base, &typer, a);
	if (size >= 2) {
		struct lwbs_path p = lwbs_path_make(data[0] % 5, data[1] % 4, 0, data[1] % 3, 0);
		lwbs_senml_json_decode(data, size, &p, &typer, a, &root);
	}
	lwbs_arena_destroy(a);
	return 0;
}
