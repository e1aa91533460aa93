/* lwbs — SenML JSON (RFC 8428, content format 110) as used by LwM2M.
 *
 * Decoding: an array of records; the name of a record is the last base name
 * seen ("bn" sticks until the next "bn") followed by its "n"; it must be a
 * resource or resource-instance path under the request path. Each record
 * carries exactly one of v, vs, vb, vd, vlo. Numbers take the type the typer
 * gives the resource (unknown: integer lexemes are Integer, or Unsigned above
 * INT64_MAX; the rest Float). "vd" is accepted in base64url and standard
 * base64, with or without padding. bt, t and bver are accepted and ignored,
 * "bv" (base value) is not supported (-EBADMSG), other unknown keys are
 * ignored, keys ending in '_' (must-understand) are rejected. Records and
 * values are checked as in SenML CBOR (senml_cbor.c).
 *
 * Encoding: one record per value in path order; "bn" ("/O/I/") on the first
 * record of each object instance, "n" is "RID" or "RID/RIID". SenML has no
 * record for an object instance without resources or a multiple resource
 * without instances: those are left out. Values of type NONE are left out
 * too (they carry nothing). Floats that are NaN or infinite cannot be
 * written (-ERANGE).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "lwbs/codec.h"
#include "lwbs/err.h"

#define NAME_MAX_LEN 64

static int record_value(const struct lwbs_json *val, const char *key, enum lwbs_type t,
			struct lwbs_arena *a, struct lwbs_value *out)
{
	struct lwbs_value v = {0};
	int rc;

	if (strcmp(key, "v") == 0)
		return lwbs_json_number_value(val, t, out);
	if (strcmp(key, "vs") == 0) {
		if (t != LWBS_TYPE_NONE && t != LWBS_TYPE_STRING && t != LWBS_TYPE_CORELNK)
			return LWBS_ETYPE;
		v = lwbs_value_bytes(t == LWBS_TYPE_CORELNK ? t : LWBS_TYPE_STRING, val->v.s.ptr, val->v.s.len);
	} else if (strcmp(key, "vb") == 0) {
		if (t != LWBS_TYPE_NONE && t != LWBS_TYPE_BOOLEAN)
			return LWBS_ETYPE;
		v = lwbs_value_bool(val->type == LWBS_JSON_TRUE);
	} else if (strcmp(key, "vd") == 0) {
		uint8_t *bytes;
		size_t len;
		if (t != LWBS_TYPE_NONE && t != LWBS_TYPE_OPAQUE)
			return LWBS_ETYPE;
		rc = lwbs_base64_decode(val->v.s.ptr, val->v.s.len, a, &bytes, &len);
		if (rc)
			return rc;
		v = lwbs_value_bytes(LWBS_TYPE_OPAQUE, bytes, len);
	} else { /* vlo */
		return lwbs_json_objlnk_value(val, t, out);
	}
	*out = v;
	return 0;
}

/* True if m is one of the value keys; *key is then its name. */
static bool value_key(const struct lwbs_json *m, const char **key)
{
	static const char *const keys[] = {"v", "vs", "vb", "vd", "vlo"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!lwbs_json_key_is(m, keys[i]))
			continue;
		*key = keys[i];
		return true;
	}
	return false;
}

static bool json_type_ok(const char *key, const struct lwbs_json *m)
{
	if (strcmp(key, "v") == 0)
		return m->type == LWBS_JSON_NUMBER;
	if (strcmp(key, "vb") == 0)
		return m->type == LWBS_JSON_TRUE || m->type == LWBS_JSON_FALSE;
	return m->type == LWBS_JSON_STRING;
}

int lwbs_senml_json_decode(const uint8_t *p, size_t n, const struct lwbs_path *base,
			   const struct lwbs_typer *typer, struct lwbs_arena *a, struct lwbs_node **out)
{
	struct lwbs_json *doc;
	struct lwbs_node *root;
	const char *bn = "";
	size_t bn_len = 0;
	int rc;

	rc = lwbs_json_parse(p, n, a, &doc);
	if (rc)
		return rc;
	if (doc->type != LWBS_JSON_ARRAY)
		return -EBADMSG;
	if (doc->count > LWBS_DECODE_MAX_NODES)
		return LWBS_ELIMIT;
	root = lwbs_node_root(a);
	if (!root)
		return -ENOMEM;

	for (const struct lwbs_json *rec = doc->child; rec; rec = rec->next) {
		const struct lwbs_json *name = NULL, *val = NULL;
		const char *vkey = NULL;
		char full[NAME_MAX_LEN];
		struct lwbs_path path;
		struct lwbs_value v;

		if (rec->type != LWBS_JSON_OBJECT)
			return -EBADMSG;
		for (const struct lwbs_json *m = rec->child; m; m = m->next) {
			const char *k;
			if (m->key_len > 0 && m->key[m->key_len - 1] == '_')
				return -EBADMSG;
			if (lwbs_json_key_is(m, "bn")) {
				if (m->type != LWBS_JSON_STRING)
					return -EBADMSG;
				bn = m->v.s.ptr;
				bn_len = m->v.s.len;
			} else if (lwbs_json_key_is(m, "n")) {
				if (m->type != LWBS_JSON_STRING)
					return -EBADMSG;
				name = m;
			} else if (lwbs_json_key_is(m, "bv")) {
				return -EBADMSG; /* a base value would shift every v */
			} else if (lwbs_json_key_is(m, "bt") || lwbs_json_key_is(m, "t") || lwbs_json_key_is(m, "bver")) {
				if (m->type != LWBS_JSON_NUMBER)
					return -EBADMSG;
			} else if (value_key(m, &k)) {
				if (val || !json_type_ok(k, m))
					return -EBADMSG;
				val = m;
				vkey = k;
			}
		}
		if (!val)
			return -EBADMSG;

		size_t n_len = name ? name->v.s.len : 0;
		if (bn_len + n_len > sizeof(full))
			return LWBS_EPATH;
		memcpy(full, bn, bn_len);
		if (n_len)
			memcpy(full + bn_len, name->v.s.ptr, n_len);
		rc = lwbs_path_parse(full, bn_len + n_len, &path);
		if (rc)
			return LWBS_EPATH;
		if (!lwbs_json_value_path(&path, base))
			return LWBS_EPATH;

		rc = record_value(val, vkey, lwbs_json_res_type(typer, &path), a, &v);
		if (rc)
			return rc;
		rc = lwbs_node_set(a, root, &path, &v);
		if (rc)
			return rc;
	}
	*out = root;
	return 0;
}

/* --- encoder --- */

struct enc {
	struct lwbs_buf *out;
	bool first;          /* no record written yet */
	struct lwbs_path bn; /* instance of the last bn written (len 0: none) */
};

static int put_value(struct lwbs_buf *b, const struct lwbs_value *v)
{
	char lo[16];
	switch (v->type) {
	case LWBS_TYPE_STRING:
	case LWBS_TYPE_CORELNK:
		lwbs_buf_puts(b, "\"vs\":");
		return lwbs_json_put_string(b, v->v.bytes.ptr, v->v.bytes.len);
	case LWBS_TYPE_INTEGER:
	case LWBS_TYPE_TIME:
		return lwbs_buf_printf(b, "\"v\":%lld", (long long)v->v.i);
	case LWBS_TYPE_UNSIGNED:
		return lwbs_buf_printf(b, "\"v\":%llu", (unsigned long long)v->v.u);
	case LWBS_TYPE_FLOAT:
		lwbs_buf_puts(b, "\"v\":");
		return lwbs_json_put_double(b, v->v.f);
	case LWBS_TYPE_BOOLEAN:
		return lwbs_buf_puts(b, v->v.b ? "\"vb\":true" : "\"vb\":false");
	case LWBS_TYPE_OPAQUE:
		lwbs_buf_puts(b, "\"vd\":\"");
		lwbs_base64url_encode(v->v.bytes.ptr, v->v.bytes.len, b);
		return lwbs_buf_putc(b, '"');
	case LWBS_TYPE_OBJLNK:
		snprintf(lo, sizeof(lo), "%u:%u", v->v.objlnk.oid, v->v.objlnk.iid);
		lwbs_buf_puts(b, "\"vlo\":\"");
		lwbs_buf_puts(b, lo);
		return lwbs_buf_putc(b, '"');
	default:
		return -EINVAL;
	}
}

static int put_record(struct enc *e, const struct lwbs_path *p, const struct lwbs_node *n)
{
	struct lwbs_buf *b = e->out;
	struct lwbs_path inst = lwbs_path_make(2, p->id[0], p->id[1], 0, 0);
	int rc;

	if (n->value.type == LWBS_TYPE_NONE)
		return 0;
	lwbs_buf_puts(b, e->first ? "{" : ",{");
	e->first = false;
	if (!lwbs_path_equal(&e->bn, &inst)) {
		lwbs_buf_printf(b, "\"bn\":\"/%u/%u/\",", p->id[0], p->id[1]);
		e->bn = inst;
	}
	if (p->len == LWBS_LEVEL_RES_INSTANCE)
		lwbs_buf_printf(b, "\"n\":\"%u/%u\",", p->id[2], p->id[3]);
	else
		lwbs_buf_printf(b, "\"n\":\"%u\",", p->id[2]);
	rc = put_value(b, &n->value);
	if (rc)
		return rc;
	return lwbs_buf_putc(b, '}');
}

/* n is the node at p; writes every value at or below it. */
static int put_tree(struct enc *e, const struct lwbs_node *n, struct lwbs_path p)
{
	int rc;

	if (n->has_value && p.len >= LWBS_LEVEL_RESOURCE)
		return put_record(e, &p, n);
	if (p.len >= 4)
		return 0;
	for (const struct lwbs_node *c = n->child; c; c = c->next) {
		struct lwbs_path cp = p;
		cp.id[cp.len++] = c->id;
		rc = put_tree(e, c, cp);
		if (rc)
			return rc;
	}
	return 0;
}

int lwbs_senml_json_encode(const struct lwbs_node *root, const struct lwbs_path *base, struct lwbs_buf *out)
{
	const struct lwbs_node *n = lwbs_node_find(root, base);
	struct enc e = {.out = out, .first = true, .bn = LWBS_PATH_ROOT};
	int rc;

	if (!n)
		return -ENOENT;
	lwbs_buf_putc(out, '[');
	rc = put_tree(&e, n, *base);
	if (rc)
		return rc;
	lwbs_buf_putc(out, ']');
	return lwbs_buf_err(out);
}
