/* lwbs — content-format dispatch for the codecs. */
#include <errno.h>

#include "lwbs/codec.h"

int lwbs_decode(int cf, const uint8_t *p, size_t n, const struct lwbs_path *base,
		const struct lwbs_typer *typer, struct lwbs_arena *a, struct lwbs_node **out)
{
	switch (cf) {
	case LWBS_CF_TEXT:
		return lwbs_text_decode(p, n, base, typer, a, out);
	case LWBS_CF_OPAQUE:
		return lwbs_opaque_decode(p, n, base, typer, a, out);
	case LWBS_CF_TLV:
	case LWBS_CF_OLD_TLV:
		return lwbs_tlv_decode(p, n, base, typer, a, out);
	case LWBS_CF_SENML_JSON:
		return lwbs_senml_json_decode(p, n, base, typer, a, out);
	case LWBS_CF_SENML_CBOR:
		return lwbs_senml_cbor_decode(p, n, base, typer, a, out);
	case LWBS_CF_LWM2M_JSON:
	case LWBS_CF_OLD_JSON:
		return lwbs_lwm2m_json_decode(p, n, base, typer, a, out);
	case LWBS_CF_LWM2M_CBOR:
		return lwbs_lwm2m_cbor_decode(p, n, base, typer, a, out);
	default:
		/* Link format has its own API (lwbs_link_parse). */
		return -ENOTSUP;
	}
}

int lwbs_encode(int cf, const struct lwbs_node *root, const struct lwbs_path *base, struct lwbs_buf *out)
{
	switch (cf) {
	case LWBS_CF_TEXT:
		return lwbs_text_encode(root, base, out);
	case LWBS_CF_OPAQUE:
		return lwbs_opaque_encode(root, base, out);
	case LWBS_CF_TLV:
		return lwbs_tlv_encode(root, base, out);
	case LWBS_CF_SENML_JSON:
		return lwbs_senml_json_encode(root, base, out);
	case LWBS_CF_SENML_CBOR:
		return lwbs_senml_cbor_encode(root, base, out);
	case LWBS_CF_LWM2M_CBOR:
		return lwbs_lwm2m_cbor_encode(root, base, out);
	default:
		return -ENOTSUP;
	}
}

bool lwbs_cf_can_encode(int cf)
{
	switch (cf) {
	case LWBS_CF_TEXT:
	case LWBS_CF_OPAQUE:
	case LWBS_CF_TLV:
	case LWBS_CF_SENML_JSON:
	case LWBS_CF_SENML_CBOR:
	case LWBS_CF_LWM2M_CBOR:
		return true;
	default:
		return false;
	}
}

bool lwbs_cf_can_decode(int cf)
{
	switch (cf) {
	case LWBS_CF_TEXT:
	case LWBS_CF_OPAQUE:
	case LWBS_CF_TLV:
	case LWBS_CF_OLD_TLV:
	case LWBS_CF_SENML_JSON:
	case LWBS_CF_SENML_CBOR:
	case LWBS_CF_LWM2M_JSON:
	case LWBS_CF_OLD_JSON:
	case LWBS_CF_LWM2M_CBOR:
		return true;
	default:
		return false;
	}
}

const char *lwbs_cf_name(int cf)
{
	switch (cf) {
	case LWBS_CF_TEXT:
		return "text";
	case LWBS_CF_LINK:
		return "link-format";
	case LWBS_CF_OPAQUE:
		return "opaque";
	case LWBS_CF_CBOR:
		return "cbor";
	case LWBS_CF_SENML_JSON:
		return "senml+json";
	case LWBS_CF_SENML_CBOR:
		return "senml+cbor";
	case LWBS_CF_TLV:
		return "tlv";
	case LWBS_CF_LWM2M_JSON:
		return "lwm2m+json";
	case LWBS_CF_LWM2M_CBOR:
		return "lwm2m+cbor";
	case LWBS_CF_OLD_TLV:
		return "tlv(old)";
	case LWBS_CF_OLD_JSON:
		return "json(old)";
	default:
		return NULL;
	}
}
