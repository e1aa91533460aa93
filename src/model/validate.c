/* lwbs — checking a tree before it is Bootstrap-Written.
 *
 * Rules (first failure in path order wins):
 * - objects: known for the client's version, or skipped unchecked when
 *   allow_unknown_objects (LWBS_EUNKNOWN); a single-instance object only
 *   has instance 0 (LWBS_EPATH);
 * - resources: known in that object version (LWBS_EUNKNOWN); executable
 *   resources (type NONE) are never written (LWBS_ETYPE); a multiple
 *   resource written as a single value is LWBS_ETYPE, resource instances
 *   under a single resource LWBS_EPATH; a single resource without a value
 *   is LWBS_EMISSING;
 * - values: the type of the definition, where an INTEGER fits an UNSIGNED
 *   resource when >= 0, an UNSIGNED fits an INTEGER resource when it fits
 *   int64, a TIME resource takes INTEGER, and an untyped value (format
 *   without types, resource unknown to the decoder's typer) fits only an
 *   OPAQUE resource (LWBS_ETYPE); integer ranges and byte-length limits
 *   (LWBS_ERANGE_VAL);
 * - instances of 0, 1, 2, 11 and 21 carry every mandatory resource that
 *   has a value type (LWBS_EMISSING). For Security this includes 3, 4 and
 *   5 in every mode: STANDARDS.md §2.1 has NoSec (and PSK's unused 4)
 *   written as empty Opaque values, never left out. Device (3) instances
 *   are not checked for mandatory resources: they are the client's own.
 * - Security: /0/x/10 (Short Server ID) is present when /0/x/1 is false
 *   (LWBS_EMISSING); its range 1..65534 comes from the table.
 */
#include <errno.h>
#include <stdint.h>

#include "lwbs/err.h"
#include "lwbs/model.h"

static int fail(struct lwbs_model_error *err, const struct lwbs_path *p, const char *what, int rc)
{
	if (err) {
		err->path = *p;
		err->what = what;
	}
	return rc;
}

static bool in_range_i(const struct lwbs_res_def *r, int64_t i)
{
	return r->min > r->max || (i >= r->min && i <= r->max);
}

static bool in_range_u(const struct lwbs_res_def *r, uint64_t u)
{
	if (r->min > r->max)
		return true;
	if (r->max < 0 || u > (uint64_t)r->max)
		return false;
	return r->min <= 0 || u >= (uint64_t)r->min;
}

static int check_len(const struct lwbs_res_def *r, const struct lwbs_value *v, const struct lwbs_path *p,
		     struct lwbs_model_error *err)
{
	if (r->max_len && v->v.bytes.len > r->max_len)
		return fail(err, p, "value too long", LWBS_ERANGE_VAL);
	return 0;
}

static int check_value(const struct lwbs_res_def *r, const struct lwbs_value *v, const struct lwbs_path *p,
		       struct lwbs_model_error *err)
{
	if (v->untyped) {
		if (r->type != LWBS_TYPE_OPAQUE)
			return fail(err, p, "untyped value for a typed resource", LWBS_ETYPE);
		return check_len(r, v, p, err);
	}

	switch (r->type) {
	case LWBS_TYPE_INTEGER:
	case LWBS_TYPE_TIME:
		if (v->type == LWBS_TYPE_INTEGER || (v->type == LWBS_TYPE_TIME && r->type == LWBS_TYPE_TIME)) {
			if (!in_range_i(r, v->v.i))
				return fail(err, p, "value out of range", LWBS_ERANGE_VAL);
			return 0;
		}
		if (v->type == LWBS_TYPE_UNSIGNED && r->type == LWBS_TYPE_INTEGER) {
			if (v->v.u > INT64_MAX || !in_range_u(r, v->v.u))
				return fail(err, p, "value out of range", LWBS_ERANGE_VAL);
			return 0;
		}
		break;
	case LWBS_TYPE_UNSIGNED:
		if (v->type == LWBS_TYPE_UNSIGNED) {
			if (!in_range_u(r, v->v.u))
				return fail(err, p, "value out of range", LWBS_ERANGE_VAL);
			return 0;
		}
		if (v->type == LWBS_TYPE_INTEGER) {
			if (v->v.i < 0 || !in_range_u(r, (uint64_t)v->v.i))
				return fail(err, p, "value out of range", LWBS_ERANGE_VAL);
			return 0;
		}
		break;
	case LWBS_TYPE_STRING:
	case LWBS_TYPE_OPAQUE:
	case LWBS_TYPE_CORELNK:
		if (v->type == r->type)
			return check_len(r, v, p, err);
		break;
	case LWBS_TYPE_FLOAT:
	case LWBS_TYPE_BOOLEAN:
	case LWBS_TYPE_OBJLNK:
		if (v->type == r->type)
			return 0;
		break;
	case LWBS_TYPE_NONE:
		break;
	}
	return fail(err, p, "wrong type", LWBS_ETYPE);
}

static int check_resource(const struct lwbs_obj_def *o, const struct lwbs_node *res, struct lwbs_path *p,
			  struct lwbs_model_error *err)
{
	const struct lwbs_res_def *r = lwbs_model_resource(o, res->id);
	int rc;

	if (!r)
		return fail(err, p, "unknown resource", LWBS_EUNKNOWN);
	if (r->type == LWBS_TYPE_NONE)
		return fail(err, p, "executable resource", LWBS_ETYPE);
	if (r->multiple && !res->multiple)
		return fail(err, p, "single value for a multiple resource", LWBS_ETYPE);
	if (!r->multiple && res->multiple)
		return fail(err, p, "resource instances under a single resource", LWBS_EPATH);

	if (!res->multiple) {
		if (!res->has_value)
			return fail(err, p, "resource without a value", LWBS_EMISSING);
		return check_value(r, &res->value, p, err);
	}

	p->len = LWBS_LEVEL_RES_INSTANCE;
	for (const struct lwbs_node *ri = res->child; ri; ri = ri->next) {
		p->id[3] = ri->id;
		if (!ri->has_value)
			return fail(err, p, "resource instance without a value", LWBS_EMISSING);
		rc = check_value(r, &ri->value, p, err);
		if (rc)
			return rc;
	}
	p->len = LWBS_LEVEL_RESOURCE;
	return 0;
}

static const struct lwbs_node *child(const struct lwbs_node *n, uint16_t id)
{
	for (const struct lwbs_node *c = n->child; c && c->id <= id; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static bool checks_mandatory(uint16_t oid)
{
	switch (oid) {
	case LWBS_OID_SECURITY:
	case LWBS_OID_SERVER:
	case LWBS_OID_ACL:
	case LWBS_OID_APN:
	case LWBS_OID_OSCORE:
		return true;
	}
	return false;
}

static int check_instance(const struct lwbs_obj_def *o, const struct lwbs_node *inst, struct lwbs_path *p,
			  struct lwbs_model_error *err)
{
	const struct lwbs_node *bs;
	int rc;

	p->len = LWBS_LEVEL_RESOURCE;
	for (const struct lwbs_node *res = inst->child; res; res = res->next) {
		p->id[2] = res->id;
		rc = check_resource(o, res, p, err);
		if (rc)
			return rc;
	}

	if (!checks_mandatory(o->oid))
		return 0;
	for (size_t i = 0; i < o->n_res; i++) {
		const struct lwbs_res_def *r = &o->res[i];

		if (!r->mandatory || r->type == LWBS_TYPE_NONE || child(inst, r->id))
			continue;
		p->id[2] = r->id;
		return fail(err, p, "missing mandatory resource", LWBS_EMISSING);
	}

	if (o->oid == LWBS_OID_SECURITY) {
		bs = child(inst, LWBS_SEC_BOOTSTRAP);
		if (bs && !bs->value.v.b && !child(inst, LWBS_SEC_SSID)) {
			p->id[2] = LWBS_SEC_SSID;
			return fail(err, p, "short server id required for a non-bootstrap account",
				    LWBS_EMISSING);
		}
	}
	return 0;
}

int lwbs_model_validate(const struct lwbs_node *root, enum lwbs_version v, bool allow_unknown_objects,
			struct lwbs_model_error *err)
{
	struct lwbs_path p = LWBS_PATH_ROOT;
	int rc;

	if (!root || root->level != LWBS_LEVEL_ROOT)
		return fail(err, &p, "not a root node", -EINVAL);
	if (v != LWBS_V1_0 && v != LWBS_V1_1 && v != LWBS_V1_2)
		return fail(err, &p, "unknown LwM2M version", -EINVAL);

	for (const struct lwbs_node *obj = root->child; obj; obj = obj->next) {
		const struct lwbs_obj_def *o = lwbs_model_object(obj->id, v);

		p = LWBS_PATH_OBJ(obj->id);
		if (!o) {
			if (allow_unknown_objects)
				continue;
			return fail(err, &p, "unknown object", LWBS_EUNKNOWN);
		}
		for (const struct lwbs_node *inst = obj->child; inst; inst = inst->next) {
			p = LWBS_PATH_INST(obj->id, inst->id);
			if (!o->multiple && inst->id != 0)
				return fail(err, &p, "single-instance object with instance id other than 0",
					    LWBS_EPATH);
			rc = check_instance(o, inst, &p, err);
			if (rc)
				return rc;
		}
	}
	return 0;
}
