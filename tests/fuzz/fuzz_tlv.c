/* lwbs — fuzz target: TLV decoder.
 *
 * Input byte 0 picks the request path (/0, /0/0, /0/0/0, /0/0/0/0, /1,
 * /1/0, /3/0/6 and /3/0/7/1, cycled) and whether the model-less (NULL) or
 * the small typer below is used; the rest is the TLV body. Decoded trees
 * are also encoded again so that the encoder runs over arbitrary trees. */
#include "fuzz_codec.h"

/* Objects 0, 1 and 3 with a few resources of every TLV-visible type. */
static enum lwbs_type fuzz_type(void *ctx, uint16_t oid, uint16_t rid)
{
	(void)ctx;
	switch (oid) {
	case 0:
		switch (rid) {
		case 0: return LWBS_TYPE_STRING;
		case 1: return LWBS_TYPE_BOOLEAN;
		case 2: return LWBS_TYPE_INTEGER;
		case 3: case 4: case 5: return LWBS_TYPE_OPAQUE;
		case 13: case 16: return LWBS_TYPE_UNSIGNED;
		case 17: return LWBS_TYPE_OBJLNK;
		default: return LWBS_TYPE_NONE;
		}
	case 1:
		switch (rid) {
		case 0: case 1: case 2: case 3: case 5: return LWBS_TYPE_INTEGER;
		case 6: return LWBS_TYPE_BOOLEAN;
		case 7: return LWBS_TYPE_STRING;
		case 10: return LWBS_TYPE_OBJLNK;
		case 11: return LWBS_TYPE_UNSIGNED;
		case 12: return LWBS_TYPE_TIME;
		case 20: return LWBS_TYPE_FLOAT;
		case 21: return LWBS_TYPE_CORELNK;
		default: return LWBS_TYPE_NONE;
		}
	case 3:
		if (rid <= 3 || rid == 14 || rid == 16)
			return LWBS_TYPE_STRING;
		if (rid >= 6 && rid <= 11)
			return LWBS_TYPE_INTEGER;
		if (rid == 13)
			return LWBS_TYPE_TIME;
		return LWBS_TYPE_NONE;
	default:
		return LWBS_TYPE_NONE;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_codec tlv = {lwbs_tlv_decode, lwbs_tlv_encode, 1 << 20};
	static const struct lwbs_typer typer = {fuzz_type, NULL};
	const struct lwbs_path bases[] = {
		LWBS_PATH_OBJ(0), LWBS_PATH_INST(0, 0), LWBS_PATH_RES(0, 0, 0), LWBS_PATH_RI(0, 0, 0, 0),
		LWBS_PATH_OBJ(1), LWBS_PATH_INST(1, 0), LWBS_PATH_RES(3, 0, 6), LWBS_PATH_RI(3, 0, 7, 1),
	};
	return fuzz_at_chosen_base(fuzz_decode_encode, &tlv, bases, &typer, data, size);
}
