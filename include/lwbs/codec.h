/* lwbs — LwM2M content-format codecs (pure: no I/O, no logging, no globals).
 *
 * Decoders turn bytes into a node tree rooted at a ROOT node, with absolute
 * paths; `base` is the path of the request (e.g. /0/1 for PUT /0/1) and is
 * used where the format carries relative names (TLV, plain text, opaque) or
 * to check that absolute names lie under it (SenML, LwM2M CBOR: a record
 * outside base is LWBS_EPATH). Decoders allocate only from the arena.
 *
 * Encoders write the subtree of `root` at `base` (which must exist in the
 * tree) in the form a Write / Read response / Bootstrap-Pack to that path
 * uses. base may be the root for formats that can carry several objects
 * (SenML, LwM2M CBOR); TLV needs base len >= 1.
 */
#ifndef LWBS_CODEC_H
#define LWBS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwbs/arena.h"
#include "lwbs/buf.h"
#include "lwbs/node.h"
#include "lwbs/path.h"

enum lwbs_cf {
	LWBS_CF_TEXT = 0,
	LWBS_CF_LINK = 40,
	LWBS_CF_OPAQUE = 42,
	LWBS_CF_CBOR = 60,
	LWBS_CF_SENML_JSON = 110,
	LWBS_CF_SENML_CBOR = 112,
	LWBS_CF_OLD_TLV = 1542,  /* pre-registration TLV, input only */
	LWBS_CF_OLD_JSON = 1543, /* pre-registration LwM2M JSON, input only */
	LWBS_CF_TLV = 11542,
	LWBS_CF_LWM2M_JSON = 11543, /* LwM2M 1.0 JSON, input only */
	LWBS_CF_LWM2M_CBOR = 11544,
	LWBS_CF_NONE = -1,
};

/* Limits every decoder honours (0 fields take the defaults below). */
#define LWBS_DECODE_MAX_DEPTH 16
#define LWBS_DECODE_MAX_NODES 65536

/* --- dispatch on content format --- */

/* Decodes payload of content format cf (TLV, 1542, SenML JSON/CBOR, LwM2M
 * CBOR, 1543/11543, text, opaque). -ENOTSUP for link format and unknown cf. */
int lwbs_decode(int cf, const uint8_t *p, size_t n, const struct lwbs_path *base,
		const struct lwbs_typer *typer, struct lwbs_arena *a, struct lwbs_node **out);
/* Encodes with cf (TLV, SenML JSON/CBOR, LwM2M CBOR, text, opaque).
 * -ENOTSUP for input-only formats. */
int lwbs_encode(int cf, const struct lwbs_node *root, const struct lwbs_path *base, struct lwbs_buf *out);
/* True for formats lwbs_encode can write. */
bool lwbs_cf_can_encode(int cf);
bool lwbs_cf_can_decode(int cf);
/* "tlv", "senml+cbor", ... or NULL. */
const char *lwbs_cf_name(int cf);

/* --- per format --- */

int lwbs_tlv_decode(const uint8_t *p, size_t n, const struct lwbs_path *base,
		    const struct lwbs_typer *typer, struct lwbs_arena *a, struct lwbs_node **out);
int lwbs_tlv_encode(const struct lwbs_node *root, const struct lwbs_path *base, struct lwbs_buf *out);

int lwbs_senml_cbor_decode(const uint8_t *p, size_t n, const struct lwbs_path *base,
			   const struct lwbs_typer *typer, struct lwbs_arena *a, struct lwbs_node **out);
int lwbs_senml_cbor_encode(const struct lwbs_node *root, const struct lwbs_path *base, struct lwbs_buf *out);

int lwbs_senml_json_decode(const uint8_t *p, size_t n, const struct lwbs_path *base,
			   const struct lwbs_typer *typer, struct lwbs_arena *a, struct lwbs_node **out);
int lwbs_senml_json_encode(const struct lwbs_node *root, const struct lwbs_path *base, struct lwbs_buf *out);

/* LwM2M 1.0 JSON (11543 / 1543), input only. */
int lwbs_lwm2m_json_decode(const uint8_t *p, size_t n, const struct lwbs_path *base,
			   const struct lwbs_typer *typer, struct lwbs_arena *a, struct lwbs_node **out);

int lwbs_lwm2m_cbor_decode(const uint8_t *p, size_t n, const struct lwbs_path *base,
			   const struct lwbs_typer *typer, struct lwbs_arena *a, struct lwbs_node **out);
int lwbs_lwm2m_cbor_encode(const struct lwbs_node *root, const struct lwbs_path *base, struct lwbs_buf *out);

/* Plain text (0) and opaque (42): base must be a resource or resource
 * instance path. Text needs the type (typer or LWBS_TYPE_STRING default). */
int lwbs_text_decode(const uint8_t *p, size_t n, const struct lwbs_path *base,
		     const struct lwbs_typer *typer, struct lwbs_arena *a, struct lwbs_node **out);
int lwbs_text_encode(const struct lwbs_node *root, const struct lwbs_path *base, struct lwbs_buf *out);
int lwbs_opaque_decode(const uint8_t *p, size_t n, const struct lwbs_path *base,
		       const struct lwbs_typer *typer, struct lwbs_arena *a, struct lwbs_node **out);
int lwbs_opaque_encode(const struct lwbs_node *root, const struct lwbs_path *base, struct lwbs_buf *out);

/* --- CoRE link format (RFC 6690, content format 40) --- */

struct lwbs_link_attr {
	const char *name;  /* NUL-terminated, in the arena */
	const char *value; /* unescaped, NUL-terminated; NULL when the attribute has no value */
	bool quoted;       /* value was a quoted-string */
};

struct lwbs_link {
	const char *target; /* between < and >, NUL-terminated; NULL for a target-less
			     * element such as the 1.0 form `lwm2m="1.0"` */
	bool has_path;      /* target parsed as an LwM2M path ("/" is the root) */
	struct lwbs_path path;
	struct lwbs_link_attr *attrs;
	size_t n_attrs;
};

struct lwbs_linkset {
	struct lwbs_link *links;
	size_t n;
};

int lwbs_link_parse(const uint8_t *p, size_t n, struct lwbs_arena *a, struct lwbs_linkset *out);
/* Emits links; values are quoted when quoted is set (or when they need it),
 * with '"' and '\\' escaped. */
int lwbs_link_emit(const struct lwbs_linkset *ls, struct lwbs_buf *out);
/* The attribute's value, or NULL (also NULL for a value-less attribute;
 * use *present to tell them apart; present may be NULL). */
const char *lwbs_link_attr(const struct lwbs_link *l, const char *name, bool *present);

/* What a Bootstrap-Discover answer says, in LwM2M terms. */
struct lwbs_disc_instance {
	uint16_t oid, iid;
	int32_t ssid;    /* -1 when absent */
	const char *uri; /* NULL when absent */
};

struct lwbs_disc_object {
	uint16_t oid;
	uint8_t ver_major, ver_minor; /* 0.0 when no ver attribute */
};

struct lwbs_discover {
	bool has_version;             /* lwm2m= seen (any of the three forms) */
	uint8_t ver_major, ver_minor; /* enabler version, e.g. 1.1 */
	struct lwbs_disc_object *objs; /* every object mentioned (from </O> or </O/I>) in order, unique */
	size_t n_objs;
	struct lwbs_disc_instance *inst; /* every </O/I> link in order */
	size_t n_inst;
};

/* Interprets a parsed Bootstrap-Discover answer: accepts `</>;lwm2m=1.1`,
 * `lwm2m="1.0"` and `lwm2m=1.0`, ssid, quoted or bare uri, ver. */
int lwbs_discover_parse(const struct lwbs_linkset *ls, struct lwbs_arena *a, struct lwbs_discover *out);

/* --- shared helpers (exported for the daemon, devsim and tests) --- */

/* Standard base64 with padding. */
int lwbs_base64_encode(const uint8_t *p, size_t n, struct lwbs_buf *out);
/* Accepts standard and url alphabets, with or without padding. */
int lwbs_base64_decode(const char *s, size_t n, struct lwbs_arena *a, uint8_t **out, size_t *out_len);
int lwbs_base64url_encode(const uint8_t *p, size_t n, struct lwbs_buf *out); /* no padding */
/* True if p[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool lwbs_utf8_valid(const uint8_t *p, size_t n);

#endif
