/* Fuzz target: whatever lwbs_lwm2m_cbor_decode accepts must encode, decode
 * again to an equal tree, and encode to the very same bytes; abort()
 * otherwise. Types depend on the ids (NONE included) so that every
 * conversion is hit. */
#include "fuzz_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_codec codec = {lwbs_lwm2m_cbor_decode, lwbs_lwm2m_cbor_encode, 0};
	static const struct lwbs_typer typer = {fuzz_type_sum, NULL};
	return fuzz_at_root(fuzz_roundtrip, &codec, &typer, data, size);
}
