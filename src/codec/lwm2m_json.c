/* lwbs — LwM2M 1.0 JSON (application/vnd.oma.lwm2m+json, 11543 and the
 * pre-registration 1543), input only.
 *
 * {"bn":"/3/0/","bt":...,"e":[{"n":"0","sv":"..."},{"n":"1","v":1},
 *  {"n":"2","bv":true},{"n":"3","ov":"3:0"},{"n":"7/0","v":1,"t":-5}]}
 *
 * "e" (an array of entries) is required; "bn" is optional (absent or empty:
 * the request path is the base name) and may end with '/' or not; "bt" and
 * each entry's "t" are accepted and ignored; other keys are ignored. An
 * entry's name is bn joined with its "n" (absent: bn itself) by one '/',
 * and must be a resource or resource-instance path under the request path.
 * Each entry has exactly one of v, sv, bv, ov. "sv" carries strings, and
 * opaque values in base64 when the typer says Opaque; numbers are typed as
 * in SenML.
 */
#include <errno.h>
#include <string.h>

#include "json.h"
#include "lwbs/codec.h"
#include "lwbs/err.h"

#define NAME_MAX_LEN 64

static int entry_value(const struct lwbs_json *val, enum lwbs_type t, struct lwbs_arena *a,
		       struct lwbs_value *out)
{
	struct lwbs_value v;
	int rc;

	if (lwbs_json_key_is(val, "v"))
		return lwbs_json_number_value(val, t, out);
	if (lwbs_json_key_is(val, "bv")) {
		if (t != LWBS_TYPE_NONE && t != LWBS_TYPE_BOOLEAN)
			return LWBS_ETYPE;
		v = lwbs_value_bool(val->type == LWBS_JSON_TRUE);
	} else if (lwbs_json_key_is(val, "ov")) {
		return lwbs_json_objlnk_value(val, t, out);
	} else if (t == LWBS_TYPE_OPAQUE) { /* sv */
		uint8_t *bytes;
		size_t len;
		rc = lwbs_base64_decode(val->v.s.ptr, val->v.s.len, a, &bytes, &len);
		if (rc)
			return rc;
		v = lwbs_value_bytes(LWBS_TYPE_OPAQUE, bytes, len);
	} else if (t == LWBS_TYPE_NONE || t == LWBS_TYPE_STRING || t == LWBS_TYPE_CORELNK) {
		v = lwbs_value_bytes(t == LWBS_TYPE_CORELNK ? t : LWBS_TYPE_STRING, val->v.s.ptr, val->v.s.len);
	} else {
		return LWBS_ETYPE;
	}
	*out = v;
	return 0;
}

/* Checks the entry's keys; *val is its only value member. */
static int entry_members(const struct lwbs_json *e, const struct lwbs_json **name,
			 const struct lwbs_json **val)
{
	*name = NULL;
	*val = NULL;
	for (const struct lwbs_json *m = e->child; m; m = m->next) {
		bool ok;
		if (lwbs_json_key_is(m, "n")) {
			if (m->type != LWBS_JSON_STRING)
				return -EBADMSG;
			*name = m;
			continue;
		}
		if (lwbs_json_key_is(m, "t")) {
			if (m->type != LWBS_JSON_NUMBER)
				return -EBADMSG;
			continue;
		}
		if (lwbs_json_key_is(m, "v"))
			ok = m->type == LWBS_JSON_NUMBER;
		else if (lwbs_json_key_is(m, "bv"))
			ok = m->type == LWBS_JSON_TRUE || m->type == LWBS_JSON_FALSE;
		else if (lwbs_json_key_is(m, "sv") || lwbs_json_key_is(m, "ov"))
			ok = m->type == LWBS_JSON_STRING;
		else
			continue; /* unknown key */
		if (!ok || *val)
			return -EBADMSG;
		*val = m;
	}
	return *val ? 0 : -EBADMSG;
}

int lwbs_lwm2m_json_decode(const uint8_t *p, size_t n, const struct lwbs_path *base,
			   const struct lwbs_typer *typer, struct lwbs_arena *a, struct lwbs_node **out)
{
	struct lwbs_json *doc;
	const struct lwbs_json *bn, *bt, *e;
	struct lwbs_node *root;
	char bnbuf[LWBS_PATH_STRMAX];
	const char *bs;
	size_t bs_len;
	int rc;

	rc = lwbs_json_parse(p, n, a, &doc);
	if (rc)
		return rc;
	if (doc->type != LWBS_JSON_OBJECT)
		return -EBADMSG;
	bn = lwbs_json_get(doc, "bn");
	bt = lwbs_json_get(doc, "bt");
	e = lwbs_json_get(doc, "e");
	if (!e || e->type != LWBS_JSON_ARRAY || (bn && bn->type != LWBS_JSON_STRING) ||
	    (bt && bt->type != LWBS_JSON_NUMBER))
		return -EBADMSG;
	if (e->count > LWBS_DECODE_MAX_NODES)
		return LWBS_ELIMIT;
	if (bn && bn->v.s.len > 0) {
		bs = bn->v.s.ptr;
		bs_len = bn->v.s.len;
	} else {
		rc = lwbs_path_print(base, bnbuf, sizeof(bnbuf));
		if (rc < 0)
			return rc;
		bs = bnbuf;
		bs_len = (size_t)rc;
	}
	root = lwbs_node_root(a);
	if (!root)
		return -ENOMEM;

	for (const struct lwbs_json *ent = e->child; ent; ent = ent->next) {
		const struct lwbs_json *name, *val;
		char full[NAME_MAX_LEN];
		size_t len = bs_len;
		struct lwbs_path path;
		struct lwbs_value v;

		if (ent->type != LWBS_JSON_OBJECT)
			return -EBADMSG;
		rc = entry_members(ent, &name, &val);
		if (rc)
			return rc;
		size_t n_len = name ? name->v.s.len : 0;
		if (bs_len + 1 + n_len > sizeof(full))
			return LWBS_EPATH;
		memcpy(full, bs, bs_len);
		if (n_len) {
			if (bs[bs_len - 1] != '/')
				full[len++] = '/';
			memcpy(full + len, name->v.s.ptr, n_len);
			len += n_len;
		}
		if (lwbs_path_parse(full, len, &path) != 0)
			return LWBS_EPATH;
		if (!lwbs_json_value_path(&path, base))
			return LWBS_EPATH;
		rc = entry_value(val, lwbs_json_res_type(typer, &path), a, &v);
		if (rc)
			return rc;
		rc = lwbs_node_set(a, root, &path, &v);
		if (rc)
			return rc;
	}
	*out = root;
	return 0;
}
