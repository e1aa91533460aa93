/* Fuzz target: lwbs_lwm2m_cbor_decode on arbitrary bytes, with and without a
 * typer, and the encoder on whatever decodes. Must never crash or read out
 * of bounds; every error is a negative code. */
#include "fuzz_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_codec codec = {lwbs_lwm2m_cbor_decode, lwbs_lwm2m_cbor_encode, 0};
	static const struct lwbs_typer typer = {fuzz_type_registry, NULL};
	return fuzz_at_root(fuzz_decode_encode_typed_untyped, &codec, &typer, data, size);
}
