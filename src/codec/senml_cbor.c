/* lwbs — SenML CBOR (RFC 8428 §6, content format 112) as LwM2M uses it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cbor.h"
#include "lwbs/codec.h"
#include "lwbs/err.h"

/* RFC 8428 CBOR labels, plus a pseudo label for the LwM2M text key "vlo". */
enum {
	L_BS = -6,
	L_BV = -5,
	L_BU = -4,
	L_BT = -3,
	L_BN = -2,
	L_BVER = -1,
	L_N = 0,
	L_U = 1,
	L_V = 2,
	L_VS = 3,
	L_VB = 4,
	L_S = 5,
	L_T = 6,
	L_UT = 7,
	L_VD = 8,
	L_VLO = 9,
	L_UNKNOWN = 100,
};

#define NAME_MAX_LEN 64 /* bn + n; a canonical path needs at most 24 */

struct senml_dec {
	const struct lwbs_path *base;
	const struct lwbs_typer *typer;
	struct lwbs_arena *arena;
	struct lwbs_node *root;
	const uint8_t *bn; /* current base name (borrowed from input or arena) */
	size_t bn_len;
	size_t values;
};

static int key_label(const struct lwbs_cbor_item *k, int *label)
{
	switch (k->kind) {
	case LWBS_CBOR_UINT:
		*label = k->u <= L_VD ? (int)k->u : L_UNKNOWN;
		return 0;
	case LWBS_CBOR_NEGINT:
		*label = k->u <= 5 ? -1 - (int)k->u : L_UNKNOWN;
		return 0;
	case LWBS_CBOR_TEXT:
		if (k->len == 3 && memcmp(k->ptr, "vlo", 3) == 0)
			*label = L_VLO;
		else if (k->len > 0 && k->ptr[k->len - 1] == '_')
			return -EBADMSG; /* must-understand label we do not know */
		else
			*label = L_UNKNOWN;
		return 0;
	default:
		return -EBADMSG;
	}
}

static bool is_number(const struct lwbs_cbor_item *it)
{
	return it->kind == LWBS_CBOR_UINT || it->kind == LWBS_CBOR_NEGINT ||
	       it->kind == LWBS_CBOR_FLOAT;
}

/* Checks a field's CBOR type; for value fields also remembers it. */
static int check_field(int label, const struct lwbs_cbor_item *v)
{
	switch (label) {
	case L_BN:
	case L_N:
	case L_BU:
	case L_U:
	case L_VS:
	case L_VLO:
		return v->kind == LWBS_CBOR_TEXT ? 0 : -EBADMSG;
	case L_BT:
	case L_T:
	case L_UT:
	case L_BS:
	case L_S:
	case L_V:
		return is_number(v) ? 0 : -EBADMSG;
	case L_BVER:
		return v->kind == LWBS_CBOR_UINT ? 0 : -EBADMSG;
	case L_VB:
		return v->kind == LWBS_CBOR_TRUE || v->kind == LWBS_CBOR_FALSE ? 0 : -EBADMSG;
	case L_VD:
		return v->kind == LWBS_CBOR_BYTES ? 0 : -EBADMSG;
	default: /* L_BV: base values are not used by LwM2M and not supported */
		return -EBADMSG;
	}
}

static int record_value(struct senml_dec *d, const struct lwbs_path *p, int label,
			const struct lwbs_cbor_item *it, struct lwbs_value *v)
{
	enum lwbs_type want = LWBS_TYPE_NONE;

	if (d->typer && d->typer->fn)
		want = d->typer->fn(d->typer->ctx, p->id[0], p->id[2]);
	switch (label) {
	case L_V:
		return lwbs_cbor_number(it, want, v);
	case L_VLO:
		if (want != LWBS_TYPE_NONE && want != LWBS_TYPE_OBJLNK)
			return LWBS_ETYPE;
		return lwbs_cbor_objlnk_parse(it->ptr, it->len, v);
	case L_VS:
		if (want == LWBS_TYPE_OBJLNK)
			return LWBS_ETYPE;
		return lwbs_cbor_value(it, want, v);
	default: /* vb, vd */
		return lwbs_cbor_value(it, want, v);
	}
}

static int read_record(struct lwbs_cbor_reader *r, struct senml_dec *d)
{
	struct lwbs_cbor_item m, k, it, value;
	struct lwbs_cbor_iter iter;
	const uint8_t *bn = NULL, *n = NULL;
	size_t bn_len = 0, n_len = 0;
	int value_label = L_UNKNOWN;
	uint32_t seen = 0;
	int label, rc;

	if (lwbs_cbor_read(r, &m))
		return r->err;
	if (m.kind != LWBS_CBOR_MAP)
		return -EBADMSG;
	lwbs_cbor_iter_init(&iter, &m);
	while ((rc = lwbs_cbor_iter_next(r, &iter)) == 1) {
		if (lwbs_cbor_read(r, &k))
			return r->err;
		if ((rc = key_label(&k, &label)))
			return rc;
		if (label == L_UNKNOWN) {
			if (lwbs_cbor_skip(r))
				return r->err;
			continue;
		}
		uint32_t bit = 1u << (label - L_BS);
		if (seen & bit)
			return LWBS_EDUP;
		seen |= bit;
		if (lwbs_cbor_read(r, &it))
			return r->err;
		if ((rc = check_field(label, &it)))
			return rc;
		switch (label) {
		case L_BN:
			bn = it.ptr;
			bn_len = it.len;
			break;
		case L_N:
			n = it.ptr;
			n_len = it.len;
			break;
		case L_V:
		case L_VS:
		case L_VB:
		case L_VD:
		case L_VLO:
			if (value_label != L_UNKNOWN)
				return -EBADMSG; /* more than one value */
			value_label = label;
			value = it;
			break;
		default: /* times, units, sums, version: accepted and ignored */
			break;
		}
	}
	if (rc < 0)
		return rc;

	if (bn) {
		d->bn = bn;
		d->bn_len = bn_len;
	}
	if (value_label == L_UNKNOWN)
		return -EBADMSG;

	char name[NAME_MAX_LEN];
	struct lwbs_path p;
	if (d->bn_len + n_len > sizeof(name))
		return LWBS_EPATH;
	if (d->bn_len)
		memcpy(name, d->bn, d->bn_len);
	if (n_len)
		memcpy(name + d->bn_len, n, n_len);
	if (lwbs_path_parse(name, d->bn_len + n_len, &p))
		return LWBS_EPATH;
	if (p.len < LWBS_LEVEL_RESOURCE || !lwbs_path_has_prefix(&p, d->base))
		return LWBS_EPATH;

	struct lwbs_value v;
	if ((rc = record_value(d, &p, value_label, &value, &v)))
		return rc;
	if (++d->values > LWBS_DECODE_MAX_NODES)
		return LWBS_ELIMIT;
	return lwbs_node_set(d->arena, d->root, &p, &v);
}

/* Decodes a SenML CBOR pack: an array of records (maps with RFC 8428
 * labels; the text key "vlo" carries an objlnk as "OID:IID"). Each record's
 * name is the current base name (bn, carried over to later records) plus n
 * and must be an LwM2M resource or resource-instance path lying under base,
 * else LWBS_EPATH. A record carries exactly one of v, vs, vb, vd, vlo
 * (-EBADMSG otherwise); a label twice in a record is LWBS_EDUP, as is a
 * path twice. Times (bt, t, ut), units, sums and bver are accepted and
 * ignored; bv (base value) is not supported (-EBADMSG); unknown labels are
 * skipped unless they are text ending in '_' (must-understand, -EBADMSG).
 * Values are typed with the typer (see lwbs_cbor_number for numbers; vs is
 * STRING, or CORELNK when the typer says so; a value whose kind contradicts
 * the typer is LWBS_ETYPE). CBOR errors are those of cbor.h. */
int lwbs_senml_cbor_decode(const uint8_t *p, size_t n, const struct lwbs_path *base,
			   const struct lwbs_typer *typer, struct lwbs_arena *a, struct lwbs_node **out)
{
	struct lwbs_cbor_reader r;
	struct lwbs_cbor_item top;
	struct lwbs_cbor_iter iter;
	struct senml_dec d = {.base = base, .typer = typer, .arena = a};
	int rc;

	d.root = lwbs_node_root(a);
	if (!d.root)
		return -ENOMEM;
	lwbs_cbor_reader_init(&r, p, n, a);
	if (lwbs_cbor_read(&r, &top))
		return r.err;
	if (top.kind != LWBS_CBOR_ARRAY)
		return -EBADMSG;
	lwbs_cbor_iter_init(&iter, &top);
	while ((rc = lwbs_cbor_iter_next(&r, &iter)) == 1)
		if ((rc = read_record(&r, &d)))
			return rc;
	if (rc < 0)
		return rc;
	if ((rc = lwbs_cbor_finish(&r)))
		return rc;
	*out = d.root;
	return 0;
}

/* --- encoder --- */

struct senml_enc {
	struct lwbs_buf *out;
	size_t count;  /* records counted (first pass) */
	bool counting;
	bool have_bn;
	uint16_t bn_oid, bn_iid;
};

static int label_of(enum lwbs_type t)
{
	switch (t) {
	case LWBS_TYPE_STRING:
	case LWBS_TYPE_CORELNK:
		return L_VS;
	case LWBS_TYPE_BOOLEAN:
		return L_VB;
	case LWBS_TYPE_OPAQUE:
		return L_VD;
	case LWBS_TYPE_OBJLNK:
		return L_VLO;
	default:
		return L_V;
	}
}

static void emit(struct senml_enc *e, const struct lwbs_path *p, const struct lwbs_node *n)
{
	struct lwbs_buf *b = e->out;
	char s[LWBS_PATH_STRMAX];
	int len;

	if (!n->has_value || n->value.type == LWBS_TYPE_NONE)
		return;
	if (e->counting) {
		e->count++;
		return;
	}
	bool first = !e->have_bn || e->bn_oid != p->id[0] || e->bn_iid != p->id[1];
	lwbs_cbor_put_map(b, first ? 3 : 2);
	if (first) {
		len = snprintf(s, sizeof(s), "/%u/%u/", (unsigned)p->id[0], (unsigned)p->id[1]);
		lwbs_cbor_put_int(b, L_BN);
		lwbs_cbor_put_text(b, s, (size_t)len);
		e->have_bn = true;
		e->bn_oid = p->id[0];
		e->bn_iid = p->id[1];
	}
	if (p->len == LWBS_LEVEL_RES_INSTANCE)
		len = snprintf(s, sizeof(s), "%u/%u", (unsigned)p->id[2], (unsigned)p->id[3]);
	else
		len = snprintf(s, sizeof(s), "%u", (unsigned)p->id[2]);
	lwbs_cbor_put_uint(b, L_N);
	lwbs_cbor_put_text(b, s, (size_t)len);
	int label = label_of(n->value.type);
	if (label == L_VLO)
		lwbs_cbor_put_text(b, "vlo", 3);
	else
		lwbs_cbor_put_uint(b, (uint64_t)label);
	lwbs_cbor_put_value(b, &n->value);
}

/* Visits every value under base in path order. */
static void walk(struct senml_enc *e, const struct lwbs_node *root, const struct lwbs_path *base)
{
	struct lwbs_path p = {{0, 0, 0, 0}, 0};

	for (const struct lwbs_node *o = root->child; o; o = o->next) {
		p.id[0] = o->id;
		for (const struct lwbs_node *i = o->child; i; i = i->next) {
			p.id[1] = i->id;
			for (const struct lwbs_node *r = i->child; r; r = r->next) {
				p.id[2] = r->id;
				p.len = LWBS_LEVEL_RESOURCE;
				if (!r->multiple) {
					if (lwbs_path_has_prefix(&p, base))
						emit(e, &p, r);
					continue;
				}
				p.len = LWBS_LEVEL_RES_INSTANCE;
				for (const struct lwbs_node *ri = r->child; ri; ri = ri->next) {
					p.id[3] = ri->id;
					if (lwbs_path_has_prefix(&p, base))
						emit(e, &p, ri);
				}
			}
		}
	}
}

/* Encodes the subtree at base (root, object, instance, resource or
 * resource instance; -ENOENT if it is not in the tree) as one SenML CBOR
 * pack in path order. The first record of each object instance carries
 * bn "/OID/IID/", every record a name "RID" or "RID/RIID" relative to it and
 * one value: v for integer, unsigned, time and float, vs for string and
 * corelnk, vb, vd (byte string) for opaque, and the text key "vlo" with
 * "OID:IID" for objlnk. SenML has no record for what carries no value, so
 * values of type NONE, object instances without resources and multiple
 * resources without instances are left out. */
int lwbs_senml_cbor_encode(const struct lwbs_node *root, const struct lwbs_path *base, struct lwbs_buf *out)
{
	struct senml_enc e = {.out = out, .counting = true};

	if (base->len > 0 && !lwbs_node_find(root, base))
		return -ENOENT;
	walk(&e, root, base);
	lwbs_cbor_put_array(out, e.count);
	e.counting = false;
	walk(&e, root, base);
	return lwbs_buf_err(out);
}
