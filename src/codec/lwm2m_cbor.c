/* lwbs — LwM2M CBOR (LwM2M 1.2, content format 11544). */
#include <errno.h>
#include <string.h>

#include "cbor.h"
#include "lwbs/codec.h"
#include "lwbs/err.h"

struct lwm2m_dec {
	struct lwbs_cbor_reader r;
	const struct lwbs_path *base;
	const struct lwbs_typer *typer;
	struct lwbs_arena *arena;
	struct lwbs_node *root;
	size_t nodes;
};

static int append_id(struct lwbs_path *p, const struct lwbs_cbor_item *it)
{
	if (it->kind != LWBS_CBOR_UINT || it->u > LWBS_ID_MAX || p->len >= 4)
		return LWBS_EPATH;
	p->id[p->len++] = (uint16_t)it->u;
	return 0;
}

/* Extends *p by a key: an unsigned id or a non-empty array of them. */
static int read_key(struct lwm2m_dec *d, struct lwbs_path *p)
{
	struct lwbs_cbor_item k, id;
	struct lwbs_cbor_iter iter;
	uint8_t start = p->len;
	int rc;

	if (lwbs_cbor_read(&d->r, &k))
		return d->r.err;
	if (k.kind != LWBS_CBOR_ARRAY)
		return append_id(p, &k);
	lwbs_cbor_iter_init(&iter, &k);
	while ((rc = lwbs_cbor_iter_next(&d->r, &iter)) == 1) {
		if (lwbs_cbor_read(&d->r, &id))
			return d->r.err;
		if ((rc = append_id(p, &id)))
			return rc;
	}
	if (rc < 0)
		return rc;
	return p->len == start ? LWBS_EPATH : 0;
}

/* True when p and base agree on every id both have. */
static bool on_base_line(const struct lwbs_path *p, const struct lwbs_path *base)
{
	for (uint8_t i = 0; i < p->len && i < base->len; i++)
		if (p->id[i] != base->id[i])
			return false;
	return true;
}

static int count_node(struct lwm2m_dec *d)
{
	return ++d->nodes > LWBS_DECODE_MAX_NODES ? LWBS_ELIMIT : 0;
}

static int set_value(struct lwm2m_dec *d, const struct lwbs_path *p, const struct lwbs_cbor_item *it)
{
	enum lwbs_type want = LWBS_TYPE_NONE;
	struct lwbs_value v;
	int rc;

	if (p->len < LWBS_LEVEL_RESOURCE || !lwbs_path_has_prefix(p, d->base))
		return LWBS_EPATH;
	if (it->kind == LWBS_CBOR_ARRAY || it->kind == LWBS_CBOR_NULL ||
	    it->kind == LWBS_CBOR_UNDEFINED)
		return -EBADMSG;
	if (d->typer && d->typer->fn)
		want = d->typer->fn(d->typer->ctx, p->id[0], p->id[2]);
	if ((rc = lwbs_cbor_value(it, want, &v)) || (rc = count_node(d)))
		return rc;
	return lwbs_node_set(d->arena, d->root, p, &v);
}

/* A map with nothing in it still makes its node: an object, an instance or
 * a multiple resource without instances. */
static int make_empty(struct lwm2m_dec *d, const struct lwbs_path *p)
{
	struct lwbs_node *n;
	int rc;

	if (!lwbs_path_has_prefix(p, d->base))
		return LWBS_EPATH;
	if ((rc = count_node(d)) || (rc = lwbs_node_insert(d->arena, d->root, p, &n)))
		return rc;
	if (p->len == LWBS_LEVEL_RESOURCE) {
		if (n->has_value)
			return LWBS_EPATH;
		n->multiple = true;
	}
	return 0;
}

/* Reads the pairs of a map whose item has been read; at is its path. */
static int read_map(struct lwm2m_dec *d, const struct lwbs_cbor_item *m, const struct lwbs_path *at)
{
	struct lwbs_cbor_iter iter;
	struct lwbs_cbor_item v;
	size_t pairs = 0;
	int rc;

	lwbs_cbor_iter_init(&iter, m);
	while ((rc = lwbs_cbor_iter_next(&d->r, &iter)) == 1) {
		struct lwbs_path p = *at;
		pairs++;
		if ((rc = read_key(d, &p)))
			return rc;
		if (!on_base_line(&p, d->base))
			return LWBS_EPATH;
		if (lwbs_cbor_read(&d->r, &v))
			return d->r.err;
		if (v.kind == LWBS_CBOR_MAP && p.len == LWBS_LEVEL_RES_INSTANCE)
			return LWBS_EPATH; /* a map below a resource instance */
		rc = v.kind == LWBS_CBOR_MAP ? read_map(d, &v, &p) : set_value(d, &p, &v);
		if (rc)
			return rc;
	}
	if (rc < 0)
		return rc;
	if (pairs == 0 && at->len > 0)
		return make_empty(d, at);
	return 0;
}

/* Decodes an LwM2M CBOR map. Keys are an unsigned id or a non-empty array of
 * them, always absolute (the first id of a top-level key is an Object ID);
 * a value is a scalar or another such map. Keys that are not unsigned ids
 * 0..65534, empty key arrays, paths longer than four ids, a scalar above
 * resource level and anything outside base are LWBS_EPATH. A map under a
 * resource makes it multiple; an empty map still creates its object,
 * instance or (multiple) resource. Values are typed from the CBOR item and
 * the typer: text is STRING, or CORELNK, or OBJLNK "OID:IID" when the typer
 * says so (the form Anjay writes); bytes OPAQUE; true/false BOOLEAN; numbers
 * as lwbs_cbor_number; null, undefined and arrays as values are -EBADMSG.
 * A path given twice is LWBS_EDUP. CBOR errors are those of cbor.h. */
int lwbs_lwm2m_cbor_decode(const uint8_t *p, size_t n, const struct lwbs_path *base,
			   const struct lwbs_typer *typer, struct lwbs_arena *a, struct lwbs_node **out)
{
	struct lwm2m_dec d = {.base = base, .typer = typer, .arena = a};
	struct lwbs_cbor_item top;
	struct lwbs_path root_path = LWBS_PATH_ROOT;
	int rc;

	d.root = lwbs_node_root(a);
	if (!d.root)
		return -ENOMEM;
	lwbs_cbor_reader_init(&d.r, p, n, a);
	if (lwbs_cbor_read(&d.r, &top))
		return d.r.err;
	if (top.kind != LWBS_CBOR_MAP)
		return -EBADMSG;
	if ((rc = read_map(&d, &top, &root_path)) || (rc = lwbs_cbor_finish(&d.r)))
		return rc;
	*out = d.root;
	return 0;
}

/* --- encoder --- */

static bool value_emits(const struct lwbs_node *n)
{
	return n->has_value && n->value.type != LWBS_TYPE_NONE;
}

static bool resource_emits(const struct lwbs_node *r)
{
	return r->multiple || value_emits(r);
}

static void put_ids(struct lwbs_buf *b, const uint16_t *ids, unsigned n)
{
	lwbs_cbor_put_array(b, n);
	for (unsigned i = 0; i < n; i++)
		lwbs_cbor_put_uint(b, ids[i]);
}

static void put_resource(struct lwbs_buf *b, const struct lwbs_node *r)
{
	size_t n = 0;

	if (!r->multiple) {
		lwbs_cbor_put_value(b, &r->value);
		return;
	}
	for (const struct lwbs_node *ri = r->child; ri; ri = ri->next)
		n += value_emits(ri);
	lwbs_cbor_put_map(b, n);
	for (const struct lwbs_node *ri = r->child; ri; ri = ri->next) {
		if (!value_emits(ri))
			continue;
		lwbs_cbor_put_uint(b, ri->id);
		lwbs_cbor_put_value(b, &ri->value);
	}
}

static void put_instance(struct lwbs_buf *b, const struct lwbs_node *inst)
{
	size_t n = 0;

	for (const struct lwbs_node *r = inst->child; r; r = r->next)
		n += resource_emits(r);
	lwbs_cbor_put_map(b, n);
	for (const struct lwbs_node *r = inst->child; r; r = r->next) {
		if (!resource_emits(r))
			continue;
		lwbs_cbor_put_uint(b, r->id);
		put_resource(b, r);
	}
}

/* Root or object base: one key [OID, IID] per instance; an object without
 * instances as OID: {}. */
static void put_objects(struct lwbs_buf *b, const struct lwbs_node *first, bool only_first)
{
	size_t keys = 0;

	for (const struct lwbs_node *o = first; o; o = only_first ? NULL : o->next) {
		size_t n = lwbs_node_count(o);
		keys += n ? n : 1;
	}
	lwbs_cbor_put_map(b, keys);
	for (const struct lwbs_node *o = first; o; o = only_first ? NULL : o->next) {
		if (!o->child) {
			lwbs_cbor_put_uint(b, o->id);
			lwbs_cbor_put_map(b, 0);
			continue;
		}
		for (const struct lwbs_node *i = o->child; i; i = i->next) {
			uint16_t ids[2] = {o->id, i->id};
			put_ids(b, ids, 2);
			put_instance(b, i);
		}
	}
}

/* Encodes the subtree at base (-ENOENT if it is not in the tree) with
 * absolute paths: for the root or an object, one top-level key [OID, IID]
 * per instance mapping to {RID: value, RID: {RIID: value}} (an object with
 * no instances as OID: {}); for an instance {[OID, IID]: {...}}; for a
 * resource {[OID, IID, RID]: value or {RIID: value}}; for a resource
 * instance {[OID, IID, RID, RIID]: value}. Values as lwbs_cbor_put_value
 * (objlnk as the text "OID:IID"); values of type NONE are left out. */
int lwbs_lwm2m_cbor_encode(const struct lwbs_node *root, const struct lwbs_path *base, struct lwbs_buf *out)
{
	const struct lwbs_node *n = root;

	if (base->len > 0) {
		n = lwbs_node_find(root, base);
		if (!n)
			return -ENOENT;
	}
	switch (base->len) {
	case LWBS_LEVEL_ROOT:
		put_objects(out, root->child, false);
		break;
	case LWBS_LEVEL_OBJECT:
		put_objects(out, n, true);
		break;
	case LWBS_LEVEL_INSTANCE:
		lwbs_cbor_put_map(out, 1);
		put_ids(out, base->id, 2);
		put_instance(out, n);
		break;
	case LWBS_LEVEL_RESOURCE:
		lwbs_cbor_put_map(out, resource_emits(n));
		if (resource_emits(n)) {
			put_ids(out, base->id, 3);
			put_resource(out, n);
		}
		break;
	default:
		lwbs_cbor_put_map(out, value_emits(n));
		if (value_emits(n)) {
			put_ids(out, base->id, 4);
			lwbs_cbor_put_value(out, &n->value);
		}
		break;
	}
	return lwbs_buf_err(out);
}
