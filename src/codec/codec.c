/* lwbs — content-format dispatch for the codecs. */
#include <errno.h>

#include "lwbs/codec.h"

typedef int (*decode_fn)(const uint8_t *p, size_t n, const struct lwbs_path *base,
			 const struct lwbs_typer *typer, struct lwbs_arena *a, struct lwbs_node **out);
typedef int (*encode_fn)(const struct lwbs_node *root, const struct lwbs_path *base, struct lwbs_buf *out);

/* Every content format lwbs knows by name; decode/encode NULL where lwbs
 * cannot read/write it through this API (link format has its own,
 * lwbs_link_parse; plain CBOR is not a LwM2M format; the JSON formats and
 * the pre-registration TLV are input only). */
static const struct cf_entry {
	int cf;
	const char *name;
	decode_fn decode;
	encode_fn encode;
} cf_table[] = {
	{LWBS_CF_TEXT, "text", lwbs_text_decode, lwbs_text_encode},
	{LWBS_CF_LINK, "link-format", NULL, NULL},
	{LWBS_CF_OPAQUE, "opaque", lwbs_opaque_decode, lwbs_opaque_encode},
	{LWBS_CF_CBOR, "cbor", NULL, NULL},
	{LWBS_CF_SENML_JSON, "senml+json", lwbs_senml_json_decode, lwbs_senml_json_encode},
	{LWBS_CF_SENML_CBOR, "senml+cbor", lwbs_senml_cbor_decode, lwbs_senml_cbor_encode},
	{LWBS_CF_TLV, "tlv", lwbs_tlv_decode, lwbs_tlv_encode},
	{LWBS_CF_LWM2M_JSON, "lwm2m+json", lwbs_lwm2m_json_decode, NULL},
	{LWBS_CF_LWM2M_CBOR, "lwm2m+cbor", lwbs_lwm2m_cbor_decode, lwbs_lwm2m_cbor_encode},
	{LWBS_CF_OLD_TLV, "tlv(old)", lwbs_tlv_decode, NULL},
	{LWBS_CF_OLD_JSON, "json(old)", lwbs_lwm2m_json_decode, NULL},
};

static const struct cf_entry *cf_find(int cf)
{
	for (size_t i = 0; i < sizeof(cf_table) / sizeof(cf_table[0]); i++)
		if (cf_table[i].cf == cf)
			return &cf_table[i];
	return NULL;
}

int lwbs_decode(int cf, const uint8_t *p, size_t n, const struct lwbs_path *base,
		const struct lwbs_typer *typer, struct lwbs_arena *a, struct lwbs_node **out)
{
	const struct cf_entry *e = cf_find(cf);

	if (!e || !e->decode)
		return -ENOTSUP;
	return e->decode(p, n, base, typer, a, out);
}

int lwbs_encode(int cf, const struct lwbs_node *root, const struct lwbs_path *base, struct lwbs_buf *out)
{
	const struct cf_entry *e = cf_find(cf);

	if (!e || !e->encode)
		return -ENOTSUP;
	return e->encode(root, base, out);
}

bool lwbs_cf_can_encode(int cf)
{
	const struct cf_entry *e = cf_find(cf);
	return e && e->encode;
}

bool lwbs_cf_can_decode(int cf)
{
	const struct cf_entry *e = cf_find(cf);
	return e && e->decode;
}

const char *lwbs_cf_name(int cf)
{
	const struct cf_entry *e = cf_find(cf);
	return e ? e->name : NULL;
}
