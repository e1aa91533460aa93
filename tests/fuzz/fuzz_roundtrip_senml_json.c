/* Fuzz target: SenML JSON decode -> encode -> decode gives the same tree,
 * and encoding that tree gives the same bytes. */
#include "fuzz_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_codec codec = {lwbs_senml_json_decode, lwbs_senml_json_encode, 0};
	static const struct lwbs_typer typer = {fuzz_type_sum7, NULL};
	return fuzz_at_root(fuzz_roundtrip, &codec, &typer, data, size);
}
