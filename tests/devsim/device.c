/* lwbs-devsim — pure LwM2M client object store answering the Bootstrap
 * interface (see device.h and STANDARDS.md §1.4-§1.8). */
#include "device.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "lwbs/codec.h"
#include "lwbs/err.h"
#include "lwbs/path.h"

#define ARENA_CHUNK 4096
#define SCRATCH_LIMIT (4u << 20)

/* Objects this client implements (OSCORE only from 1.1). */
static const uint16_t supported_oids[] = {0, 1, 2, 3, 11, 21};

static bool object_supported(enum lwbs_version v, uint16_t oid)
{
	if (oid == LWBS_OID_OSCORE && v == LWBS_V1_0)
		return false;
	for (size_t i = 0; i < sizeof(supported_oids) / sizeof(supported_oids[0]); i++)
		if (supported_oids[i] == oid)
			return lwbs_model_object(oid, v) != NULL;
	return false;
}

static const struct lwbs_value *value_at(const struct lwbs_node *root, uint16_t oid, uint16_t iid,
					 uint16_t rid)
{
	struct lwbs_path p = LWBS_PATH_RES(oid, iid, rid);
	const struct lwbs_node *n = lwbs_node_find(root, &p);
	return n && n->has_value ? &n->value : NULL;
}

static bool value_int(const struct lwbs_value *v, int64_t *out)
{
	if (!v)
		return false;
	switch (v->type) {
	case LWBS_TYPE_INTEGER:
	case LWBS_TYPE_TIME:
		*out = v->v.i;
		return true;
	case LWBS_TYPE_UNSIGNED:
		if (v->v.u > INT64_MAX)
			return false;
		*out = (int64_t)v->v.u;
		return true;
	default:
		return false;
	}
}

static bool is_bootstrap_instance(const struct lwbs_node *root, uint16_t iid)
{
	const struct lwbs_value *v = value_at(root, LWBS_OID_SECURITY, iid, LWBS_SEC_BOOTSTRAP);
	return v && v->type == LWBS_TYPE_BOOLEAN && v->v.b;
}

int devsim_device_bs_account(const struct lwbs_node *root)
{
	struct lwbs_path p = LWBS_PATH_OBJ(LWBS_OID_SECURITY);
	const struct lwbs_node *o = lwbs_node_find(root, &p);
	for (const struct lwbs_node *i = o ? o->child : NULL; i; i = i->next)
		if (is_bootstrap_instance(root, i->id))
			return i->id;
	return -1;
}

static int count_bs_accounts(const struct lwbs_node *root)
{
	struct lwbs_path p = LWBS_PATH_OBJ(LWBS_OID_SECURITY);
	const struct lwbs_node *o = lwbs_node_find(root, &p);
	int n = 0;
	for (const struct lwbs_node *i = o ? o->child : NULL; i; i = i->next)
		n += is_bootstrap_instance(root, i->id);
	return n;
}

/* The OSCORE instance a Security instance links to, or -1. */
static int oscore_of(const struct lwbs_node *root, int sec_iid)
{
	if (sec_iid < 0)
		return -1;
	const struct lwbs_value *v = value_at(root, LWBS_OID_SECURITY, (uint16_t)sec_iid, LWBS_SEC_OSCORE);
	if (!v || v->type != LWBS_TYPE_OBJLNK || v->v.objlnk.oid != LWBS_OID_OSCORE ||
	    v->v.objlnk.iid == 65535)
		return -1;
	return v->v.objlnk.iid;
}

/* Instances no Bootstrap-Delete or Pack removes. */
struct keep {
	int bs_iid, oscore_iid;
};

static struct keep keep_of(const struct lwbs_node *root)
{
	struct keep k;
	k.bs_iid = devsim_device_bs_account(root);
	k.oscore_iid = oscore_of(root, k.bs_iid);
	return k;
}

static bool kept(const struct keep *k, uint16_t oid, uint16_t iid)
{
	return (oid == LWBS_OID_SECURITY && (int)iid == k->bs_iid) ||
	       (oid == LWBS_OID_OSCORE && (int)iid == k->oscore_iid) ||
	       (oid == LWBS_OID_DEVICE && iid == 0);
}

/* --- copy-on-write of the store --- */

typedef bool (*skip_fn)(void *ctx, const struct lwbs_path *p);

/* Copies src into the empty tree dst, leaving out every object, instance or
 * resource for which skip says true. */
static int copy_tree(struct lwbs_arena *a, struct lwbs_node *dst, const struct lwbs_node *src,
		     skip_fn skip, void *ctx)
{
	for (const struct lwbs_node *o = src->child; o; o = o->next) {
		struct lwbs_path po = LWBS_PATH_OBJ(o->id);
		if (skip(ctx, &po))
			continue;
		int rc = lwbs_node_insert(a, dst, &po, NULL);
		if (rc)
			return rc;
		for (const struct lwbs_node *i = o->child; i; i = i->next) {
			struct lwbs_path pi = LWBS_PATH_INST(o->id, i->id);
			if (skip(ctx, &pi))
				continue;
			rc = lwbs_node_insert(a, dst, &pi, NULL);
			if (rc)
				return rc;
			for (const struct lwbs_node *r = i->child; r; r = r->next) {
				struct lwbs_path pr = LWBS_PATH_RES(o->id, i->id, r->id);
				if (skip(ctx, &pr))
					continue;
				rc = lwbs_node_copy(a, dst, src, &pr);
				if (rc)
					return rc;
			}
		}
	}
	return 0;
}

/* Starts a change: an empty tree in the spare arena. */
static struct lwbs_node *begin_change(struct devsim_device *dev)
{
	struct lwbs_arena *a = dev->arena[!dev->cur];
	lwbs_arena_reset(a);
	return lwbs_node_root(a);
}

static void commit_change(struct devsim_device *dev, struct lwbs_node *root)
{
	dev->cur = !dev->cur;
	dev->root = root;
}

/* Fits a decoded value to the resource definition: numbers convert between
 * integer kinds when they fit, strings and core links are interchangeable.
 * LWBS_ETYPE when the value cannot be this resource's. */
static int fit_value(const struct lwbs_res_def *d, const struct lwbs_value *in, struct lwbs_value *out)
{
	int64_t i;

	*out = *in;
	out->untyped = false;
	if (in->untyped)
		return d->type == LWBS_TYPE_OPAQUE ? (out->type = LWBS_TYPE_OPAQUE, 0) : LWBS_ETYPE;
	if (in->type == d->type)
		return 0;
	switch (d->type) {
	case LWBS_TYPE_INTEGER:
	case LWBS_TYPE_TIME:
		if (!value_int(in, &i))
			return LWBS_ETYPE;
		*out = d->type == LWBS_TYPE_TIME ? lwbs_value_time(i) : lwbs_value_int(i);
		return 0;
	case LWBS_TYPE_UNSIGNED:
		if (!value_int(in, &i) || i < 0)
			return LWBS_ETYPE;
		*out = lwbs_value_uint((uint64_t)i);
		return 0;
	case LWBS_TYPE_FLOAT:
		if (in->type == LWBS_TYPE_INTEGER)
			*out = lwbs_value_float((double)in->v.i);
		else if (in->type == LWBS_TYPE_UNSIGNED)
			*out = lwbs_value_float((double)in->v.u);
		else
			return LWBS_ETYPE;
		return 0;
	case LWBS_TYPE_STRING:
	case LWBS_TYPE_CORELNK:
		if (in->type != LWBS_TYPE_STRING && in->type != LWBS_TYPE_CORELNK)
			return LWBS_ETYPE;
		out->type = d->type;
		return 0;
	default:
		return LWBS_ETYPE;
	}
}

/* Adds resource r (of a decoded payload) to instance oid/iid of dst.
 * Resources this client does not know are ignored; executable ones too. */
static int add_resource(struct lwbs_arena *a, struct lwbs_node *dst, enum lwbs_version v,
			uint16_t oid, uint16_t iid, const struct lwbs_node *r)
{
	const struct lwbs_res_def *d = lwbs_model_resource(lwbs_model_object(oid, v), r->id);
	struct lwbs_value val;
	int rc;

	if (!d || d->type == LWBS_TYPE_NONE)
		return 0;
	if (d->multiple != r->multiple)
		return LWBS_ETYPE;
	if (!d->multiple) {
		if (!r->has_value)
			return LWBS_EMISSING;
		struct lwbs_path p = LWBS_PATH_RES(oid, iid, r->id);
		rc = fit_value(d, &r->value, &val);
		return rc ? rc : lwbs_node_set(a, dst, &p, &val);
	}
	struct lwbs_path p = LWBS_PATH_RES(oid, iid, r->id);
	rc = lwbs_node_insert(a, dst, &p, NULL);
	for (const struct lwbs_node *ri = r->child; !rc && ri; ri = ri->next) {
		struct lwbs_path pri = LWBS_PATH_RI(oid, iid, r->id, ri->id);
		rc = fit_value(d, &ri->value, &val);
		if (!rc)
			rc = lwbs_node_set(a, dst, &pri, &val);
	}
	return rc;
}

static int add_instance(struct lwbs_arena *a, struct lwbs_node *dst, enum lwbs_version v,
			uint16_t oid, const struct lwbs_node *inst)
{
	struct lwbs_path p = LWBS_PATH_INST(oid, inst->id);
	int rc = lwbs_node_insert(a, dst, &p, NULL);
	for (const struct lwbs_node *r = inst->child; !rc && r; r = r->next)
		rc = add_resource(a, dst, v, oid, inst->id, r);
	return rc;
}

/* --- factory state --- */

static int set_str(struct lwbs_arena *a, struct lwbs_node *root, struct lwbs_path p, const char *s)
{
	struct lwbs_value v = lwbs_value_string(s);
	return lwbs_node_set(a, root, &p, &v);
}

static int factory(struct devsim_device *dev)
{
	const struct devsim_device_conf *c = &dev->conf;
	struct lwbs_arena *a;
	struct lwbs_node *root;
	struct lwbs_value v;
	struct lwbs_path p;
	int rc;

	lwbs_arena_reset(dev->arena[1]);
	dev->cur = 0;
	a = dev->arena[0];
	lwbs_arena_reset(a);
	root = lwbs_node_root(a);
	if (!root)
		return -ENOMEM;
	rc = set_str(a, root, LWBS_PATH_RES(0, c->bs_iid, LWBS_SEC_URI), c->bs_uri ? c->bs_uri : "");
	v = lwbs_value_bool(true);
	p = LWBS_PATH_RES(0, c->bs_iid, LWBS_SEC_BOOTSTRAP);
	rc = rc ? rc : lwbs_node_set(a, root, &p, &v);
	v = lwbs_value_int(3);
	p = LWBS_PATH_RES(0, c->bs_iid, LWBS_SEC_MODE);
	rc = rc ? rc : lwbs_node_set(a, root, &p, &v);
	rc = rc ? rc : set_str(a, root, LWBS_PATH_RES(3, 0, 0), "lwbs");
	rc = rc ? rc : set_str(a, root, LWBS_PATH_RES(3, 0, 1), "lwbs-devsim");
	rc = rc ? rc : set_str(a, root, LWBS_PATH_RES(3, 0, 2), c->endpoint ? c->endpoint : "");
	rc = rc ? rc : set_str(a, root, LWBS_PATH_RES(3, 0, 3), "1.0");
	v = lwbs_value_int(0);
	p = LWBS_PATH_RI(3, 0, 11, 0);
	rc = rc ? rc : lwbs_node_set(a, root, &p, &v);
	rc = rc ? rc : set_str(a, root, LWBS_PATH_RES(3, 0, 16), "U");
	if (rc)
		return rc;
	dev->root = root;
	dev->finished = false;
	return 0;
}

int devsim_device_init(struct devsim_device *dev, const struct devsim_device_conf *conf)
{
	memset(dev, 0, sizeof(*dev));
	dev->conf = *conf;
	dev->arena[0] = lwbs_arena_create(ARENA_CHUNK);
	dev->arena[1] = lwbs_arena_create(ARENA_CHUNK);
	dev->scratch = lwbs_arena_create(ARENA_CHUNK);
	if (!dev->arena[0] || !dev->arena[1] || !dev->scratch)
		goto fail;
	lwbs_arena_set_limit(dev->scratch, SCRATCH_LIMIT);
	if (factory(dev))
		goto fail;
	return 0;
fail:
	devsim_device_finish(dev);
	return -ENOMEM;
}

void devsim_device_finish(struct devsim_device *dev)
{
	lwbs_arena_destroy(dev->arena[0]);
	lwbs_arena_destroy(dev->arena[1]);
	lwbs_arena_destroy(dev->scratch);
	memset(dev, 0, sizeof(*dev));
}

int devsim_device_reset(struct devsim_device *dev)
{
	return factory(dev);
}

/* --- responses --- */

static void reply(struct devsim_resp *resp, uint8_t code, const char *diag)
{
	resp->code = code;
	resp->cf = -1;
	if (diag)
		lwbs_buf_puts(resp->body, diag);
}

static void reply_err(struct devsim_resp *resp, uint8_t code, const char *what, int err)
{
	resp->code = code;
	resp->cf = -1;
	lwbs_buf_printf(resp->body, "%s: %s", what, lwbs_strerror(err));
}

/* --- Bootstrap-Discover (§1.4) --- */

static void emit_instance_attrs(const struct devsim_device *dev, uint16_t oid, uint16_t iid,
				struct lwbs_buf *b)
{
	const struct lwbs_node *root = dev->root;
	const struct lwbs_value *v;
	int64_t ssid;

	if (oid == LWBS_OID_SECURITY) {
		if (is_bootstrap_instance(root, iid))
			return;
		if (value_int(value_at(root, oid, iid, LWBS_SEC_SSID), &ssid))
			lwbs_buf_printf(b, ";ssid=%" PRId64, ssid);
		v = value_at(root, oid, iid, LWBS_SEC_URI);
		if (dev->conf.version >= LWBS_V1_1 && v && v->type == LWBS_TYPE_STRING) {
			lwbs_buf_puts(b, ";uri=\"");
			for (size_t k = 0; k < v->v.bytes.len; k++) {
				uint8_t c = v->v.bytes.ptr[k];
				if (c == '"' || c == '\\')
					lwbs_buf_putc(b, '\\');
				lwbs_buf_putc(b, c);
			}
			lwbs_buf_putc(b, '"');
		}
	} else if (oid == LWBS_OID_SERVER) {
		if (value_int(value_at(root, oid, iid, LWBS_SRV_SSID), &ssid))
			lwbs_buf_printf(b, ";ssid=%" PRId64, ssid);
	} else if (oid == LWBS_OID_OSCORE) {
		struct lwbs_path p = LWBS_PATH_OBJ(LWBS_OID_SECURITY);
		const struct lwbs_node *sec = lwbs_node_find(root, &p);
		for (const struct lwbs_node *s = sec ? sec->child : NULL; s; s = s->next) {
			if (oscore_of(root, s->id) != iid || is_bootstrap_instance(root, s->id))
				continue;
			if (value_int(value_at(root, 0, s->id, LWBS_SEC_SSID), &ssid))
				lwbs_buf_printf(b, ";ssid=%" PRId64, ssid);
			break;
		}
	}
}

static void emit_object(const struct devsim_device *dev, uint16_t oid, bool *first, struct lwbs_buf *b)
{
	enum lwbs_version v = dev->conf.version;
	const struct lwbs_obj_def *d = lwbs_model_object(oid, v);
	struct lwbs_path p = LWBS_PATH_OBJ(oid);
	const struct lwbs_node *o = lwbs_node_find(dev->root, &p);
	unsigned core_minor = (unsigned)v % 10;
	bool ver = d && !(d->ver_major == 1 && d->ver_minor == 0) &&
		   !(d->ver_major == 1 && d->ver_minor == core_minor);

	if (!o || !o->child || ver) {
		lwbs_buf_printf(b, "%s</%u>", *first ? "" : ",", oid);
		if (ver)
			lwbs_buf_printf(b, ";ver=%u.%u", d->ver_major, d->ver_minor);
		*first = false;
	}
	for (const struct lwbs_node *i = o ? o->child : NULL; i; i = i->next) {
		lwbs_buf_printf(b, "%s</%u/%u>", *first ? "" : ",", oid, i->id);
		emit_instance_attrs(dev, oid, i->id, b);
		*first = false;
	}
}

static void discover(struct devsim_device *dev, const struct devsim_req *req,
		     const struct lwbs_path *p, struct devsim_resp *resp)
{
	struct lwbs_buf *b = resp->body;
	bool first = true;

	if (req->accept >= 0 && req->accept != LWBS_CF_LINK)
		return reply(resp, DEVSIM_NOT_ACCEPTABLE, "Discover answers only link format");
	if (p->len == 0) {
		if (dev->conf.version == LWBS_V1_0)
			lwbs_buf_puts(b, "lwm2m=\"1.0\"");
		else
			lwbs_buf_printf(b, "</>;lwm2m=%s", lwbs_version_str(dev->conf.version));
		first = false;
		/* Ascending object ids: every supported object and anything
		 * else the store holds. */
		const struct lwbs_node *o = dev->root->child;
		for (uint32_t oid = 0; oid <= LWBS_ID_MAX; oid++) {
			while (o && o->id < oid)
				o = o->next;
			bool present = o && o->id == oid;
			if (present || object_supported(dev->conf.version, (uint16_t)oid))
				emit_object(dev, (uint16_t)oid, &first, b);
			if (!o && oid > 21)
				break;
		}
	} else {
		struct lwbs_path po = LWBS_PATH_OBJ(p->id[0]);
		if (p->len > 1)
			return reply(resp, DEVSIM_BAD_REQUEST, "Discover takes / or /OID");
		if (!object_supported(dev->conf.version, p->id[0]) && !lwbs_node_find(dev->root, &po))
			return reply(resp, DEVSIM_NOT_FOUND, "object not supported");
		emit_object(dev, p->id[0], &first, b);
	}
	if (lwbs_buf_err(b))
		return reply(resp, 0xa0, NULL);
	resp->code = DEVSIM_CONTENT;
	resp->cf = LWBS_CF_LINK;
}

/* --- Bootstrap-Read (§1.5) --- */

static void bs_read(struct devsim_device *dev, const struct devsim_req *req, const struct lwbs_path *p,
		    struct devsim_resp *resp)
{
	enum lwbs_version v = dev->conf.version;
	int cf = req->accept;
	struct lwbs_node *tmp;
	struct lwbs_path po;
	int rc;

	if (v == LWBS_V1_0)
		return reply(resp, DEVSIM_NOT_ALLOWED, "Bootstrap-Read needs LwM2M 1.1");
	if (p->len < 1 || p->len > 2 || (p->id[0] != LWBS_OID_SERVER && p->id[0] != LWBS_OID_ACL))
		return reply(resp, DEVSIM_NOT_ALLOWED, "Bootstrap-Read only on /1 and /2");
	if (cf < 0)
		cf = v == LWBS_V1_1 ? LWBS_CF_TLV : LWBS_CF_SENML_CBOR;
	if (!(cf == LWBS_CF_TLV || cf == LWBS_CF_SENML_CBOR || cf == LWBS_CF_SENML_JSON ||
	      (cf == LWBS_CF_LWM2M_CBOR && v >= LWBS_V1_2)) ||
	    !lwbs_cf_can_encode(cf))
		return reply(resp, DEVSIM_NOT_ACCEPTABLE, "no acceptable content format");
	if (p->len == 2 && !lwbs_node_find(dev->root, p))
		return reply(resp, DEVSIM_NOT_FOUND, "no such instance");
	lwbs_arena_reset(dev->scratch);
	tmp = lwbs_node_root(dev->scratch);
	po = LWBS_PATH_OBJ(p->id[0]);
	rc = tmp ? lwbs_node_insert(dev->scratch, tmp, &po, NULL) : -ENOMEM;
	if (!rc && lwbs_node_find(dev->root, p))
		rc = lwbs_node_copy(dev->scratch, tmp, dev->root, p);
	if (!rc)
		rc = lwbs_encode(cf, tmp, p, resp->body);
	if (rc)
		return reply_err(resp, 0xa0, "encoding failed", rc);
	resp->code = DEVSIM_CONTENT;
	resp->cf = cf;
}

/* --- Bootstrap-Write (§1.6) --- */

static bool format_accepted(enum lwbs_version v, int cf, int level)
{
	switch (cf) {
	case LWBS_CF_TLV:
	case LWBS_CF_OLD_TLV:
	case LWBS_CF_LWM2M_JSON:
	case LWBS_CF_OLD_JSON:
		return true;
	case LWBS_CF_SENML_JSON:
	case LWBS_CF_SENML_CBOR:
		return v >= LWBS_V1_1;
	case LWBS_CF_LWM2M_CBOR:
		return v >= LWBS_V1_2;
	case LWBS_CF_TEXT:
	case LWBS_CF_OPAQUE:
		return level == LWBS_LEVEL_RESOURCE;
	default:
		return false;
	}
}

struct write_skip {
	const struct lwbs_path *base;
	const struct lwbs_node *payload_obj; /* object-level write: the payload's object */
};

static bool skip_written(void *ctx, const struct lwbs_path *p)
{
	const struct write_skip *w = ctx;
	if (w->base->len == LWBS_LEVEL_OBJECT) {
		if (p->len != LWBS_LEVEL_INSTANCE || p->id[0] != w->base->id[0])
			return false;
		for (const struct lwbs_node *i = w->payload_obj->child; i; i = i->next)
			if (i->id == p->id[1])
				return true;
		return false;
	}
	return lwbs_path_equal(p, w->base);
}

static void bs_write(struct devsim_device *dev, const struct devsim_req *req, const struct lwbs_path *p,
		     struct devsim_resp *resp)
{
	enum lwbs_version v = dev->conf.version;
	struct lwbs_typer typer = lwbs_model_typer(&dev->conf.version);
	struct lwbs_node *payload, *next;
	const struct lwbs_node *pobj;
	struct lwbs_path po;
	int rc;

	if (p->len == 0)
		return reply(resp, DEVSIM_NOT_ALLOWED, "Write on / is not allowed");
	if (p->len == LWBS_LEVEL_RES_INSTANCE)
		return reply(resp, DEVSIM_NOT_ALLOWED, "Bootstrap-Write on a resource instance");
	if (!object_supported(v, p->id[0]))
		return reply(resp, DEVSIM_NOT_FOUND, "object not supported");
	if (req->cf < 0 || !format_accepted(v, req->cf, p->len))
		return reply(resp, DEVSIM_UNSUPPORTED_CF, "content format not supported");

	lwbs_arena_reset(dev->scratch);
	rc = lwbs_decode(req->cf, req->payload, req->len, p, &typer, dev->scratch, &payload);
	if (rc == -ENOTSUP)
		return reply(resp, DEVSIM_UNSUPPORTED_CF, "content format not supported");
	if (rc)
		return reply_err(resp, DEVSIM_BAD_REQUEST, "payload", rc);
	po = LWBS_PATH_OBJ(p->id[0]);
	pobj = lwbs_node_find(payload, &po);
	if (!pobj || (p->len >= LWBS_LEVEL_INSTANCE && !lwbs_node_find(payload, p)))
		return reply(resp, DEVSIM_BAD_REQUEST, "payload does not hold the target path");

	struct write_skip ws = {p, pobj};
	next = begin_change(dev);
	rc = next ? copy_tree(dev->arena[!dev->cur], next, dev->root, skip_written, &ws) : -ENOMEM;
	if (!rc && p->len == LWBS_LEVEL_RESOURCE) {
		struct lwbs_path pi = LWBS_PATH_INST(p->id[0], p->id[1]);
		rc = lwbs_node_insert(dev->arena[!dev->cur], next, &pi, NULL);
		if (!rc)
			rc = add_resource(dev->arena[!dev->cur], next, v, p->id[0], p->id[1],
					  lwbs_node_find(payload, p));
	}
	for (const struct lwbs_node *i = pobj->child; !rc && p->len < LWBS_LEVEL_RESOURCE && i; i = i->next)
		if (p->len == LWBS_LEVEL_OBJECT || i->id == p->id[1])
			rc = add_instance(dev->arena[!dev->cur], next, v, p->id[0], i);
	if (rc)
		return reply_err(resp, DEVSIM_BAD_REQUEST, "payload", rc);
	if (count_bs_accounts(next) > 1)
		return reply(resp, DEVSIM_BAD_REQUEST, "a second Bootstrap-Server account");
	commit_change(dev, next);
	reply(resp, DEVSIM_CHANGED, NULL);
}

/* --- Bootstrap-Delete (§1.7) --- */

struct delete_skip {
	const struct lwbs_path *target;
	struct keep keep;
};

static bool skip_deleted(void *ctx, const struct lwbs_path *p)
{
	const struct delete_skip *d = ctx;
	if (p->len != LWBS_LEVEL_INSTANCE || !lwbs_path_has_prefix(p, d->target))
		return false;
	return !kept(&d->keep, p->id[0], p->id[1]);
}

static void bs_delete(struct devsim_device *dev, const struct lwbs_path *p, struct devsim_resp *resp)
{
	struct delete_skip ds = {p, keep_of(dev->root)};
	struct lwbs_node *next;
	int rc;

	if (p->len > LWBS_LEVEL_INSTANCE)
		return reply(resp, DEVSIM_BAD_REQUEST, "Bootstrap-Delete takes /, /OID or /OID/IID");
	if (p->len == LWBS_LEVEL_INSTANCE && kept(&ds.keep, p->id[0], p->id[1]))
		return reply(resp, DEVSIM_BAD_REQUEST, "this instance cannot be deleted");
	next = begin_change(dev);
	rc = next ? copy_tree(dev->arena[!dev->cur], next, dev->root, skip_deleted, &ds) : -ENOMEM;
	if (rc)
		return reply_err(resp, 0xa0, "delete", rc);
	commit_change(dev, next);
	reply(resp, DEVSIM_DELETED, NULL);
}

/* --- Bootstrap-Finish (§1.8) --- */

int devsim_device_check(const struct devsim_device *dev, const char **why)
{
	const struct lwbs_node *root = dev->root;
	struct lwbs_path ps = LWBS_PATH_OBJ(LWBS_OID_SECURITY), pv = LWBS_PATH_OBJ(LWBS_OID_SERVER);
	const struct lwbs_node *sec = lwbs_node_find(root, &ps), *srv = lwbs_node_find(root, &pv);
	const char *w = "no Security instance for a LwM2M server";

	for (const struct lwbs_node *s = sec ? sec->child : NULL; s; s = s->next) {
		const struct lwbs_value *bs = value_at(root, 0, s->id, LWBS_SEC_BOOTSTRAP);
		const struct lwbs_value *uri = value_at(root, 0, s->id, LWBS_SEC_URI);
		int64_t ssid, sv;
		if (!bs || bs->type != LWBS_TYPE_BOOLEAN || bs->v.b)
			continue;
		if (!value_int(value_at(root, 0, s->id, LWBS_SEC_SSID), &ssid) || ssid < 1 || ssid > 65534) {
			w = "server Security instance without a valid Short Server ID";
			continue;
		}
		if (!uri || uri->type != LWBS_TYPE_STRING || uri->v.bytes.len == 0) {
			w = "server Security instance without a server URI";
			continue;
		}
		w = "no Server instance with the Short Server ID of a Security instance";
		for (const struct lwbs_node *i = srv ? srv->child : NULL; i; i = i->next)
			if (value_int(value_at(root, 1, i->id, LWBS_SRV_SSID), &sv) && sv == ssid)
				return 0;
	}
	*why = w;
	return LWBS_EMISSING;
}

static void bs_finish(struct devsim_device *dev, struct devsim_resp *resp)
{
	const char *why;

	if (dev->conf.fail_finish)
		return reply(resp, DEVSIM_NOT_ACCEPTABLE, "forced by --fail-finish");
	if (devsim_device_check(dev, &why))
		return reply(resp, DEVSIM_NOT_ACCEPTABLE, why);
	dev->finished = true;
	reply(resp, DEVSIM_CHANGED, NULL);
}

void devsim_device_handle(struct devsim_device *dev, const struct devsim_req *req,
			  struct devsim_resp *resp)
{
	struct lwbs_path p;

	resp->cf = -1;
	if (strcmp(req->path, "/bs") == 0) {
		if (req->method != DEVSIM_POST)
			return reply(resp, DEVSIM_NOT_ALLOWED, NULL);
		return bs_finish(dev, resp);
	}
	if (lwbs_path_parse(req->path, strlen(req->path), &p))
		return reply(resp, DEVSIM_NOT_FOUND, "not an LwM2M path");
	switch (req->method) {
	case DEVSIM_GET:
		if (req->accept == LWBS_CF_LINK || p.len == 0)
			return discover(dev, req, &p, resp);
		return bs_read(dev, req, &p, resp);
	case DEVSIM_PUT:
		return bs_write(dev, req, &p, resp);
	case DEVSIM_DELETE:
		return bs_delete(dev, &p, resp);
	default:
		return reply(resp, DEVSIM_NOT_ALLOWED, "method not allowed during bootstrap");
	}
}

/* --- Bootstrap-Pack (§1.3) --- */

struct pack_skip {
	const struct lwbs_node *pack;
	struct keep keep;
	enum lwbs_version v;
};

static bool skip_packed(void *ctx, const struct lwbs_path *p)
{
	const struct pack_skip *ps = ctx;
	struct lwbs_path po = LWBS_PATH_OBJ(p->id[0]);
	if (p->len != LWBS_LEVEL_INSTANCE || !object_supported(ps->v, p->id[0]) ||
	    !lwbs_node_find(ps->pack, &po))
		return false;
	return !kept(&ps->keep, p->id[0], p->id[1]);
}

int devsim_device_apply_pack(struct devsim_device *dev, int cf, const uint8_t *p, size_t n)
{
	enum lwbs_version v = dev->conf.version;
	struct lwbs_typer typer = lwbs_model_typer(&dev->conf.version);
	struct lwbs_path root_path = LWBS_PATH_ROOT;
	struct lwbs_node *pack, *next;
	int rc;

	if (cf != LWBS_CF_SENML_CBOR && cf != LWBS_CF_SENML_JSON && cf != LWBS_CF_LWM2M_CBOR)
		return -ENOTSUP;
	lwbs_arena_reset(dev->scratch);
	rc = lwbs_decode(cf, p, n, &root_path, &typer, dev->scratch, &pack);
	if (rc)
		return rc;
	struct pack_skip ps = {pack, keep_of(dev->root), v};
	next = begin_change(dev);
	if (!next)
		return -ENOMEM;
	rc = copy_tree(dev->arena[!dev->cur], next, dev->root, skip_packed, &ps);
	for (const struct lwbs_node *o = pack->child; !rc && o; o = o->next) {
		if (!object_supported(v, o->id))
			continue;
		for (const struct lwbs_node *i = o->child; !rc && i; i = i->next)
			if (!kept(&ps.keep, o->id, i->id))
				rc = add_instance(dev->arena[!dev->cur], next, v, o->id, i);
	}
	if (rc)
		return rc;
	if (count_bs_accounts(next) > 1)
		return LWBS_EDUP;
	commit_change(dev, next);
	return 0;
}

/* --- JSON view of the store --- */

void devsim_json_string(struct lwbs_buf *out, const void *s, size_t n)
{
	const uint8_t *p = s;
	lwbs_buf_putc(out, '"');
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c == '"' || c == '\\')
			lwbs_buf_printf(out, "\\%c", c);
		else if (c < 0x20)
			lwbs_buf_printf(out, "\\u%04x", c);
		else
			lwbs_buf_putc(out, c);
	}
	lwbs_buf_putc(out, '"');
}

struct json_walk {
	struct lwbs_buf *out;
	bool first;
};

static int json_value(void *ctx, const struct lwbs_path *p, const struct lwbs_node *n)
{
	struct json_walk *w = ctx;
	const struct lwbs_value *v = &n->value;
	char ps[LWBS_PATH_STRMAX];

	lwbs_path_print(p, ps, sizeof(ps));
	lwbs_buf_printf(w->out, "%s\"%s\":", w->first ? "" : ",", ps);
	w->first = false;
	if (v->untyped)
		goto hex;
	switch (v->type) {
	case LWBS_TYPE_STRING:
	case LWBS_TYPE_CORELNK:
		devsim_json_string(w->out, v->v.bytes.ptr, v->v.bytes.len);
		return 0;
	case LWBS_TYPE_INTEGER:
	case LWBS_TYPE_TIME:
		lwbs_buf_printf(w->out, "%" PRId64, v->v.i);
		return 0;
	case LWBS_TYPE_UNSIGNED:
		lwbs_buf_printf(w->out, "%" PRIu64, v->v.u);
		return 0;
	case LWBS_TYPE_FLOAT:
		if (isfinite(v->v.f))
			lwbs_buf_printf(w->out, "%.17g", v->v.f);
		else
			lwbs_buf_puts(w->out, "null");
		return 0;
	case LWBS_TYPE_BOOLEAN:
		lwbs_buf_puts(w->out, v->v.b ? "true" : "false");
		return 0;
	case LWBS_TYPE_OBJLNK:
		lwbs_buf_printf(w->out, "\"%u:%u\"", v->v.objlnk.oid, v->v.objlnk.iid);
		return 0;
	case LWBS_TYPE_OPAQUE:
		goto hex;
	case LWBS_TYPE_NONE:
		lwbs_buf_puts(w->out, "null");
		return 0;
	}
hex:
	lwbs_buf_puts(w->out, "{\"hex\":\"");
	for (size_t i = 0; i < v->v.bytes.len; i++)
		lwbs_buf_printf(w->out, "%02x", v->v.bytes.ptr[i]);
	lwbs_buf_puts(w->out, "\"}");
	return 0;
}

int devsim_device_json(const struct devsim_device *dev, struct lwbs_buf *out)
{
	struct json_walk w = {out, true};
	lwbs_buf_putc(out, '{');
	int rc = lwbs_node_walk(dev->root, json_value, &w);
	lwbs_buf_putc(out, '}');
	return rc ? rc : lwbs_buf_err(out);
}
