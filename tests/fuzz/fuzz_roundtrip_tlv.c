/* lwbs — fuzz target: TLV decode -> encode -> decode must give an equal tree.
 *
 * Input byte 0 picks the request path (/0, /0/0, /0/0/0, /0/0/0/0, /1,
 * /1/0, /1/0/6, /2/0/2/1, cycled) and the typer (none, or a small model of
 * objects 0, 1 and 2 with every TLV type); the rest is the TLV body. The
 * encoder's output must also be stable: encoding the second tree gives the
 * same bytes. */
#include "fuzz_codec.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_codec tlv = {lwbs_tlv_decode, lwbs_tlv_encode, 1 << 20};
	static const struct lwbs_typer typer = {fuzz_type, NULL};
	const struct lwbs_path bases[] = {
		LWBS_PATH_OBJ(0), LWBS_PATH_INST(0, 0), LWBS_PATH_RES(0, 0, 0), LWBS_PATH_RI(0, 0, 0, 0),
		LWBS_PATH_OBJ(1), LWBS_PATH_INST(1, 0), LWBS_PATH_RES(1, 0, 6), LWBS_PATH_RI(2, 0, 2, 1),
	};
	return fuzz_at_chosen_base(fuzz_roundtrip, &tlv, bases, &typer, data, size);
}
