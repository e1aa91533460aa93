/* lwbs — NoSec request -> binding -> policy -> store (include/lwbs/identity.h).
 *
 * One small context per resolution, because the PostgreSQL store answers
 * later from the event loop. The steps: decide (pure policy), look the
 * identity up, then for an unknown device enrol it when the policy allows
 * and the store can. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/identity.h"

struct ctx {
	const struct lwbs_identity_resolver *r;
	lwbs_identity_done_fn cb;
	void *arg;
	struct lwbs_radius_binding b;
	struct lwbs_identity_decision d;
	char *ep; /* copy of the request's ep, or NULL */
	char imei15[16];
};

static void finish(struct ctx *c, int err, const struct lwbs_bs_plan *plan, struct lwbs_store_hold *hold,
		   enum lwbs_identity_reason why)
{
	c->cb(c->arg, err, plan, hold, why);
	free(c->ep);
	free(c);
}

/* IMEI check digit (Luhn over the 14 digits of TAC + serial). */
static void imei_from_imeisv(const char *sv, char out[16])
{
	int sum = 0;

	memcpy(out, sv, 14);
	for (int i = 0; i < 14; i++) {
		int v = sv[i] - '0';
		if (i & 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	out[14] = (char)('0' + (10 - sum % 10) % 10);
	out[15] = 0;
}

static void on_enrolled(void *arg, int err, const struct lwbs_bs_plan *plan, struct lwbs_store_hold *hold)
{
	struct ctx *c = arg;

	finish(c, err, plan, hold, !err && !plan ? LWBS_IDENTITY_NO_TEMPLATE : LWBS_IDENTITY_OK);
}

static void enrol(struct ctx *c)
{
	struct lwbs_store_enrolment en = {.apn = c->b.apn[0] ? c->b.apn : NULL,
					  .plmn = c->b.mcc_mnc[0] ? c->b.mcc_mnc : NULL};
	struct lwbs_store *s = c->r->store;
	int rc;

	/* The endpoint is the request's ep, else urn:imei: of the binding. */
	if (c->b.imeisv[0])
		imei_from_imeisv(c->b.imeisv, c->imei15);
	if (!c->ep && c->imei15[0]) {
		size_t n = strlen("urn:imei:") + 16;
		c->ep = malloc(n);
		if (!c->ep) {
			finish(c, -ENOMEM, NULL, NULL, LWBS_IDENTITY_OK);
			return;
		}
		strcpy(c->ep, "urn:imei:");
		strcat(c->ep, c->imei15);
	}
	if (!c->ep) {
		finish(c, 0, NULL, NULL, LWBS_IDENTITY_NO_TEMPLATE);
		return;
	}
	en.ident[LWBS_IDENT_ENDPOINT] = c->ep;
	en.ident[LWBS_IDENT_IMSI] = c->b.imsi[0] ? c->b.imsi : NULL;
	en.ident[LWBS_IDENT_MSISDN] = c->b.msisdn[0] ? c->b.msisdn : NULL;
	en.ident[LWBS_IDENT_IMEI] = c->imei15[0] ? c->imei15 : NULL;
	rc = s->ops->enrol(s, &en, on_enrolled, c);
	if (rc)
		finish(c, rc, NULL, NULL, LWBS_IDENTITY_OK);
}

static void on_lookup(void *arg, int err, const struct lwbs_bs_plan *plan, struct lwbs_store_hold *hold)
{
	struct ctx *c = arg;
	struct lwbs_store *s = c->r->store;

	if (err) {
		finish(c, err, NULL, NULL, LWBS_IDENTITY_OK);
		return;
	}
	if (plan) {
		if (c->d.require_endpoint && (!plan->endpoint || strcmp(plan->endpoint, c->ep))) {
			lwbs_store_release(s, hold);
			finish(c, 0, NULL, NULL, LWBS_IDENTITY_ENDPOINT_MISMATCH);
			return;
		}
		finish(c, 0, plan, hold, LWBS_IDENTITY_OK);
		return;
	}
	if (c->r->policy->auto_enrol && s->ops->enrol) {
		enrol(c);
		return;
	}
	finish(c, 0, NULL, NULL, LWBS_IDENTITY_OK);
}

int lwbs_identity_resolve(const struct lwbs_identity_resolver *r, const struct sockaddr *src, const char *ep,
			  int64_t now, lwbs_identity_done_fn cb, void *arg)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct lwbs_store_query q;
	bool have;
	int rc;

	if (!c)
		return -ENOMEM;
	c->r = r;
	c->cb = cb;
	c->arg = arg;
	if (ep && !(c->ep = strdup(ep))) {
		free(c);
		return -ENOMEM;
	}
	have = r->binding && r->binding(r->binding_arg, src, now, &c->b) == 0;
	lwbs_identity_decide(r->policy, have ? &c->b : NULL, ep, ep ? strlen(ep) : 0, now, &c->d);
	if (c->d.reason != LWBS_IDENTITY_OK) {
		finish(c, 0, NULL, NULL, c->d.reason);
		return 0;
	}
	q.kind = c->d.kind;
	q.value = c->d.value;
	q.len = strlen(c->d.value);
	rc = lwbs_store_lookup(r->store, &q, on_lookup, c);
	if (rc) {
		free(c->ep);
		free(c);
	}
	return rc;
}
