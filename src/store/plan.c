/* lwbs — profile (+ a device's overrides) -> struct lwbs_bs_plan.
 *
 * Instance ids follow list order: Security and Server instance i for the
 * i-th server, the new Bootstrap-Server account (if any) as Security
 * instance n_servers, ACL/APN/OSCORE instance i for the i-th entry. Server
 * resources beyond the mandatory ones (0, 1, 6, 7) are written only when
 * the profile gives them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lwbs/arena.h"
#include "lwbs/err.h"
#include "lwbs/model.h"
#include "lwbs/prov.h"

struct pb {
	struct lwbs_prov *p;
	struct lwbs_node *root;
	char *err;
	size_t cap;
};

static int setv(struct pb *b, struct lwbs_path path, struct lwbs_value v, bool secret,
		const struct lwbs_prov_loc *loc)
{
	char ps[LWBS_PATH_STRMAX];
	int rc = lwbs_node_set(b->p->arena, b->root, &path, &v);

	if (rc) {
		lwbs_path_print(&path, ps, sizeof(ps));
		if (rc == LWBS_EDUP || rc == LWBS_EPATH)
			lwbs_prov_errf(b->err, b->cap, b->p, loc, "%s is written twice (by this entry and another)", ps);
		else
			lwbs_prov_errf(b->err, b->cap, b->p, loc, "%s: %s", ps, lwbs_strerror(rc));
		return rc;
	}
	if (secret && (v.type == LWBS_TYPE_OPAQUE || v.type == LWBS_TYPE_STRING)) {
		struct lwbs_node *n = lwbs_node_find(b->root, &path);
		if (lwbs_prov_keep_secret(b->p, (void *)n->value.v.bytes.ptr, n->value.v.bytes.len)) {
			snprintf(b->err, b->cap, "out of memory");
			return -ENOMEM;
		}
	}
	return 0;
}

static int set_res(struct pb *b, uint16_t oid, uint16_t iid, const struct lwbs_prov_res *r, size_t n)
{
	int rc;

	for (size_t i = 0; i < n; i++) {
		struct lwbs_path path = r[i].riid < 0 ? LWBS_PATH_RES(oid, iid, r[i].rid)
						      : LWBS_PATH_RI(oid, iid, r[i].rid, (uint16_t)r[i].riid);
		if ((rc = setv(b, path, r[i].value, r[i].secret, &r[i].loc)))
			return rc;
	}
	return 0;
}

static struct lwbs_value opaque(const struct lwbs_prov_bytes *x)
{
	return lwbs_value_bytes(LWBS_TYPE_OPAQUE, x->ptr ? x->ptr : (const uint8_t *)"", x->len);
}

static int index_of_apn(const struct lwbs_prov_profile *pr, const char *name)
{
	for (size_t i = 0; i < pr->n_apn; i++)
		if (!strcmp(pr->apn[i].name, name))
			return (int)i;
	return -1;
}

static int index_of_oscore(const struct lwbs_prov_profile *pr, const char *name)
{
	for (size_t i = 0; i < pr->n_oscore; i++)
		if (!strcmp(pr->oscore[i].name, name))
			return (int)i;
	return -1;
}

static int security(struct pb *b, const struct lwbs_prov_profile *pr, const struct lwbs_prov_server *s, uint16_t iid)
{
	const struct lwbs_prov_loc *loc = &s->loc;
	int rc;

#define SET(rid, v, sec)                                                                                \
	do {                                                                                            \
		if ((rc = setv(b, LWBS_PATH_RES(LWBS_OID_SECURITY, iid, (rid)), (v), (sec), loc)))     \
			return rc;                                                                      \
	} while (0)
	SET(LWBS_SEC_URI, lwbs_value_string(s->uri), false);
	SET(LWBS_SEC_BOOTSTRAP, lwbs_value_bool(s->bootstrap), false);
	SET(LWBS_SEC_MODE, lwbs_value_int(s->mode), false);
	SET(LWBS_SEC_PUBKEY_OR_ID, opaque(&s->identity), false);
	SET(LWBS_SEC_SERVER_PUBKEY, opaque(&s->server_key), false);
	SET(LWBS_SEC_SECRET_KEY, opaque(&s->secret_key), true);
	if (!s->bootstrap)
		SET(LWBS_SEC_SSID, lwbs_value_int(s->ssid), false);
	if (s->set & LWBS_PROV_SRV_HOLD_OFF)
		SET(LWBS_SEC_HOLD_OFF, lwbs_value_int(s->hold_off), false);
	if (s->set & LWBS_PROV_SRV_ACCOUNT_TIMEOUT)
		SET(12, lwbs_value_int(s->account_timeout), false);
	if (s->oscore)
		SET(LWBS_SEC_OSCORE, lwbs_value_objlnk(LWBS_OID_OSCORE, (uint16_t)index_of_oscore(pr, s->oscore)), false);
#undef SET
	return set_res(b, LWBS_OID_SECURITY, iid, s->sec_res, s->n_sec_res);
}

static int server(struct pb *b, const struct lwbs_prov_profile *pr, const struct lwbs_prov_server *s, uint16_t iid)
{
	const struct lwbs_prov_loc *loc = &s->loc;
	int rc;

#define SET(rid, v)                                                                                     \
	do {                                                                                            \
		if ((rc = setv(b, LWBS_PATH_RES(LWBS_OID_SERVER, iid, (rid)), (v), false, loc)))       \
			return rc;                                                                      \
	} while (0)
	SET(LWBS_SRV_SSID, lwbs_value_int(s->ssid));
	SET(LWBS_SRV_LIFETIME, lwbs_value_int(s->set & LWBS_PROV_SRV_LIFETIME ? s->lifetime : 86400));
	if (s->set & LWBS_PROV_SRV_PMIN)
		SET(2, lwbs_value_int(s->pmin));
	if (s->set & LWBS_PROV_SRV_PMAX)
		SET(3, lwbs_value_int(s->pmax));
	if (s->set & LWBS_PROV_SRV_DISABLE_TIMEOUT)
		SET(5, lwbs_value_int(s->disable_timeout));
	SET(6, lwbs_value_bool(s->set & LWBS_PROV_SRV_NSTORE ? s->notification_storing : true));
	SET(LWBS_SRV_BINDING, lwbs_value_string(s->binding ? s->binding : "U"));
	if (s->apn)
		SET(10, lwbs_value_objlnk(LWBS_OID_APN, (uint16_t)index_of_apn(pr, s->apn)));
	if (s->set & LWBS_PROV_SRV_BS_ON_FAILURE)
		SET(16, lwbs_value_bool(s->bootstrap_on_failure));
#undef SET
	return set_res(b, LWBS_OID_SERVER, iid, s->srv_res, s->n_srv_res);
}

static int acl(struct pb *b, const struct lwbs_prov_acl *a, uint16_t iid)
{
	int rc;

	if ((rc = setv(b, LWBS_PATH_RES(LWBS_OID_ACL, iid, 0), lwbs_value_int(a->oid), false, &a->loc)) ||
	    (rc = setv(b, LWBS_PATH_RES(LWBS_OID_ACL, iid, 1), lwbs_value_int(a->iid), false, &a->loc)) ||
	    (rc = setv(b, LWBS_PATH_RES(LWBS_OID_ACL, iid, 3), lwbs_value_int(a->owner), false, &a->loc)))
		return rc;
	for (size_t i = 0; i < a->n_entries; i++)
		if ((rc = setv(b, LWBS_PATH_RI(LWBS_OID_ACL, iid, 2, a->entries[i].ssid),
			       lwbs_value_int(a->entries[i].rights), false, &a->loc)))
			return rc;
	return 0;
}

static int apn(struct pb *b, const struct lwbs_prov_apn *a, uint16_t iid)
{
	const struct lwbs_prov_loc *loc = &a->loc;
	int rc;

#define SET(rid, v, sec)                                                                                \
	do {                                                                                            \
		if ((rc = setv(b, LWBS_PATH_RES(LWBS_OID_APN, iid, (rid)), (v), (sec), loc)))          \
			return rc;                                                                      \
	} while (0)
	SET(0, lwbs_value_string(a->name), false);
	if (a->apn)
		SET(1, lwbs_value_string(a->apn), false);
	if (a->auto_select >= 0)
		SET(2, lwbs_value_bool(a->auto_select), false);
	if (a->enable >= 0)
		SET(3, lwbs_value_bool(a->enable), false);
	SET(4, lwbs_value_int(a->auth), false);
	if (a->user)
		SET(5, lwbs_value_string(a->user), false);
	if (a->secret.ptr)
		SET(6, lwbs_value_bytes(LWBS_TYPE_STRING, a->secret.ptr, a->secret.len), true);
	if (a->pdn_type >= 0)
		SET(24, lwbs_value_int(a->pdn_type), false);
#undef SET
	return set_res(b, LWBS_OID_APN, iid, a->res, a->n_res);
}

/* OSCORE values are bytes; written as the LwM2M 1.1 model types them
 * (String in object 21 versions 1.0/1.1; 2.0 made them Opaque). */
static struct lwbs_value osc_bytes(uint16_t rid, const struct lwbs_prov_bytes *x)
{
	const struct lwbs_res_def *r = lwbs_model_resource(lwbs_model_object(LWBS_OID_OSCORE, LWBS_V1_1), rid);
	enum lwbs_type t = r && r->type == LWBS_TYPE_STRING ? LWBS_TYPE_STRING : LWBS_TYPE_OPAQUE;

	return lwbs_value_bytes(t, x->ptr ? x->ptr : (const uint8_t *)"", x->len);
}

static int oscore(struct pb *b, const struct lwbs_prov_oscore *o, uint16_t iid)
{
	const struct lwbs_prov_loc *loc = &o->loc;
	int rc;

#define SET(rid, v, sec)                                                                                \
	do {                                                                                            \
		if ((rc = setv(b, LWBS_PATH_RES(LWBS_OID_OSCORE, iid, (rid)), (v), (sec), loc)))       \
			return rc;                                                                      \
	} while (0)
	SET(0, osc_bytes(0, &o->master_secret), true);
	SET(1, osc_bytes(1, &o->sender_id), false);
	SET(2, osc_bytes(2, &o->recipient_id), false);
	if (o->aead >= 0)
		SET(3, lwbs_value_int(o->aead), false);
	if (o->hmac >= 0)
		SET(4, lwbs_value_int(o->hmac), false);
	if (o->has_salt)
		SET(5, osc_bytes(5, &o->master_salt), false);
	if (o->has_id_context)
		SET(6, osc_bytes(6, &o->id_context), false);
#undef SET
	return 0;
}

int lwbs_prov_build_plan(struct lwbs_prov *p, const struct lwbs_prov_profile *pr, struct lwbs_bs_plan *out,
			 char *err, size_t cap)
{
	struct pb b = {.p = p, .err = err, .cap = cap};
	struct lwbs_model_error merr;
	int rc;

	b.root = lwbs_node_root(p->arena);
	if (!b.root) {
		snprintf(err, cap, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < pr->n_servers; i++)
		if ((rc = security(&b, pr, &pr->servers[i], (uint16_t)i)) ||
		    (rc = server(&b, pr, &pr->servers[i], (uint16_t)i)))
			return rc;
	if (pr->bootstrap_server && (rc = security(&b, pr, pr->bootstrap_server, (uint16_t)pr->n_servers)))
		return rc;
	for (size_t i = 0; i < pr->n_acl; i++)
		if ((rc = acl(&b, &pr->acl[i], (uint16_t)i)))
			return rc;
	for (size_t i = 0; i < pr->n_apn; i++)
		if ((rc = apn(&b, &pr->apn[i], (uint16_t)i)))
			return rc;
	for (size_t i = 0; i < pr->n_oscore; i++)
		if ((rc = oscore(&b, &pr->oscore[i], (uint16_t)i)))
			return rc;
	for (size_t i = 0; i < pr->n_objects; i++) {
		const struct lwbs_prov_inst *o = &pr->objects[i];
		struct lwbs_path ip = LWBS_PATH_INST(o->oid, o->iid);
		if (lwbs_node_find(b.root, &ip)) {
			lwbs_prov_errf(err, cap, p, &o->loc, "/%u/%u is already written by this profile", o->oid, o->iid);
			return LWBS_EDUP;
		}
		if ((rc = lwbs_node_insert(p->arena, b.root, &ip, NULL))) {
			snprintf(err, cap, "out of memory");
			return rc;
		}
		if ((rc = set_res(&b, o->oid, o->iid, o->res, o->n_res)))
			return rc;
	}
	/* A plan must suit clients of at least one version (the engine checks
	 * it again against the client's): 1.2, else 1.1 (OSCORE strings). */
	rc = lwbs_model_validate(b.root, LWBS_V1_2, true, &merr);
	if (rc) {
		struct lwbs_model_error merr11;
		if (!lwbs_model_validate(b.root, LWBS_V1_1, true, &merr11))
			rc = 0;
	}
	if (rc) {
		char ps[LWBS_PATH_STRMAX];
		lwbs_path_print(&merr.path, ps, sizeof(ps));
		lwbs_prov_errf(err, cap, p, &pr->loc, "profile \"%s\": %s: %s", pr->name, ps, merr.what);
		return rc;
	}
	memset(out, 0, sizeof(*out));
	out->objects = b.root;
	out->deletes = pr->deletes;
	out->n_deletes = pr->n_deletes;
	out->discover = pr->discover;
	out->auto_security_iid = pr->auto_security_ids;
	out->read_existing = pr->read_existing;
	out->keep_existing = pr->keep_existing;
	out->write_per_object = pr->write_per_object;
	out->allow_pack = pr->allow_pack;
	out->content_format = pr->content_format;
	return 0;
}

int lwbs_prov_build_plans(struct lwbs_prov *p, char *err, size_t cap)
{
	int rc;

	if (err && cap)
		err[0] = 0;
	if (!p->finished) {
		snprintf(err, cap, "provisioning set not finished");
		return -EINVAL;
	}
	for (size_t i = 0; i < p->n_profiles; i++) {
		struct lwbs_prov_profile *pr = p->profiles[i];
		if (pr->built)
			continue;
		if ((rc = lwbs_prov_build_plan(p, pr, &pr->plan, err, cap)))
			goto fail;
		pr->built = true;
	}
	for (size_t i = 0; i < p->n_devices; i++) {
		struct lwbs_prov_device *d = &p->devices[i];
		if (d->merged) {
			char inner[512];
			if ((rc = lwbs_prov_build_plan(p, d->merged, &d->plan, inner, sizeof(inner)))) {
				lwbs_prov_errf(err, cap, p, &d->overrides->loc, "device \"%s\" with its overrides: %s",
					       d->ident[LWBS_IDENT_ENDPOINT], inner);
				goto fail;
			}
		} else {
			d->plan = d->profile->plan;
		}
		d->plan.endpoint = d->ident[LWBS_IDENT_ENDPOINT];
	}
	return 0;
fail:
	p->failed = true;
	return rc;
}
