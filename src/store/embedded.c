/* lwbs — embedded store backend (include/lwbs/store_embedded.h).
 *
 * A snapshot is one loaded provisioning set with a reference count: the
 * store holds one reference on the current snapshot, every outstanding
 * lookup hold one more. A hold is the snapshot itself, so a lookup takes
 * no allocation.
 *
 * With a state journal (store_state.h), devices enrolled from templates
 * and devices whose profile generates DM credentials get a plan of their
 * own, built in the snapshot's arena on first use and cached by endpoint
 * for the snapshot's life (a profile with rotate: true builds a new one at
 * every lookup; a reload frees them all). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "lwbs/arena.h"
#include "lwbs/identity.h"
#include "lwbs/prov.h"
#include "lwbs/store_embedded.h"
#include "lwbs/store_state.h"

struct plan_slot {
	const char *endpoint; /* in the snapshot's arena */
	struct lwbs_bs_plan *plan;
};

struct snapshot {
	struct lwbs_prov *prov;
	size_t refs;
	struct plan_slot *plans; /* open addressing by endpoint */
	size_t n_plans, cap_plans;
};

struct embedded {
	struct lwbs_store base;
	char **files;
	size_t n_files;
	struct snapshot *cur;
	struct lwbs_store_state *state; /* NULL: no enrolment, no generation */
};

const char *lwbs_ident_kind_name(enum lwbs_ident_kind k)
{
	static const char *const names[LWBS_IDENT_COUNT] = {
		[LWBS_IDENT_ENDPOINT] = "endpoint", [LWBS_IDENT_IMSI] = "imsi",
		[LWBS_IDENT_MSISDN] = "msisdn",     [LWBS_IDENT_IMEI] = "imei",
		[LWBS_IDENT_PSK_ID] = "psk_identity", [LWBS_IDENT_CERT_SUBJECT] = "cert_subject",
	};
	return (unsigned)k < LWBS_IDENT_COUNT ? names[k] : "unknown";
}

struct lwbs_prov *lwbs_store_embedded_load(const char *const *files, size_t n, char *err, size_t err_cap)
{
	struct lwbs_prov *p = lwbs_prov_create();

	if (!p) {
		snprintf(err, err_cap, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (lwbs_prov_load_file(p, files[i], err, err_cap))
			goto fail;
	if (lwbs_prov_finish(p, err, err_cap) || lwbs_prov_build_plans(p, err, err_cap))
		goto fail;
	return p;
fail:
	lwbs_prov_destroy(p);
	return NULL;
}

static void snap_put(struct snapshot *s)
{
	if (s && --s->refs == 0) {
		lwbs_prov_destroy(s->prov);
		free(s->plans);
		free(s);
	}
}

static size_t ep_hash(const char *ep)
{
	size_t h = 1469598103934665603ull;

	while (*ep)
		h = (h ^ (unsigned char)*ep++) * 1099511628211ull;
	return h;
}

static struct plan_slot *plan_slot(struct snapshot *sn, const char *ep)
{
	size_t m = sn->cap_plans - 1, i = ep_hash(ep) & m;

	while (sn->plans[i].endpoint && strcmp(sn->plans[i].endpoint, ep))
		i = (i + 1) & m;
	return &sn->plans[i];
}

static int plan_cache_put(struct snapshot *sn, const char *ep, struct lwbs_bs_plan *plan)
{
	struct plan_slot *sl;

	if ((sn->n_plans + 1) * 2 > sn->cap_plans) {
		size_t nc = sn->cap_plans ? sn->cap_plans * 2 : 64;
		struct plan_slot *old = sn->plans;
		size_t oc = sn->cap_plans;
		sn->plans = calloc(nc, sizeof(*sn->plans));
		if (!sn->plans) {
			sn->plans = old;
			return -ENOMEM;
		}
		sn->cap_plans = nc;
		for (size_t i = 0; i < oc; i++)
			if (old[i].endpoint)
				*plan_slot(sn, old[i].endpoint) = old[i];
		free(old);
	}
	sl = plan_slot(sn, ep);
	if (!sl->endpoint)
		sn->n_plans++;
	sl->endpoint = plan->endpoint;
	sl->plan = plan;
	return 0;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Makes sure every generating server of pr has credentials for the device
 * (new ones durably journalled first; rotate: always new). *changed tells
 * whether any were made. */
static int ensure_creds(struct embedded *e, const struct lwbs_prov_profile *pr, const char *const *ident,
			bool *changed)
{
	*changed = false;
	for (size_t i = 0; i < pr->n_servers; i++) {
		const struct lwbs_prov_server *sv = &pr->servers[i];
		char id[LWBS_IDENTITY_PSK_ID_MAX + 1];
		uint8_t key[LWBS_IDENTITY_KEY_MAX];
		int rc;

		if (!sv->generate)
			continue;
		if (!e->state)
			return -ENOTSUP;
		if (!sv->generate->rotate && lwbs_store_state_cred(e->state, ident[LWBS_IDENT_ENDPOINT], sv->ssid))
			continue;
		if ((rc = lwbs_identity_template_expand(sv->generate->identity, ident, id, sizeof(id))))
			return rc;
		if ((rc = lwbs_identity_key_generate(key, sv->generate->key_len)))
			return rc;
		rc = lwbs_store_state_put_cred(e->state, ident[LWBS_IDENT_ENDPOINT], sv->ssid, id, key,
					       sv->generate->key_len, wall_ms());
		OPENSSL_cleanse(key, sizeof(key));
		if (rc)
			return rc;
		*changed = true;
	}
	return 0;
}

/* The plan of a device that needs one of its own (generated credentials,
 * or enrolled): cached per snapshot. */
static int device_plan(struct embedded *e, const struct lwbs_prov_profile *pr, const char *const *ident,
		       const struct lwbs_bs_plan **out)
{
	struct snapshot *sn = e->cur;
	struct lwbs_prov *p = sn->prov;
	const char *ep = ident[LWBS_IDENT_ENDPOINT];
	struct lwbs_prov_profile *m;
	struct lwbs_prov_server *servers;
	struct lwbs_bs_plan *plan;
	char err[256];
	bool changed;
	int rc;

	if ((rc = ensure_creds(e, pr, ident, &changed)))
		return rc;
	if (!changed && sn->cap_plans) {
		struct plan_slot *sl = plan_slot(sn, ep);
		if (sl->endpoint) {
			*out = sl->plan;
			return 0;
		}
	}
	m = lwbs_arena_alloc(p->arena, sizeof(*m));
	servers = lwbs_arena_alloc(p->arena, (pr->n_servers ? pr->n_servers : 1) * sizeof(*servers));
	plan = lwbs_arena_alloc(p->arena, sizeof(*plan));
	if (!m || !servers || !plan)
		return -ENOMEM;
	*m = *pr;
	memcpy(servers, pr->servers, pr->n_servers * sizeof(*servers));
	m->servers = servers;
	for (size_t i = 0; i < m->n_servers; i++) {
		const struct lwbs_store_state_cred *c;
		if (!servers[i].generate)
			continue;
		c = lwbs_store_state_cred(e->state, ep, servers[i].ssid);
		servers[i].identity = (struct lwbs_prov_bytes){(const uint8_t *)c->identity, strlen(c->identity), false};
		servers[i].secret_key = (struct lwbs_prov_bytes){c->key, c->key_len, true};
	}
	if ((rc = lwbs_prov_build_plan(p, m, plan, err, sizeof(err))))
		return rc;
	plan->endpoint = lwbs_arena_strdup(p->arena, ep);
	if (!plan->endpoint || plan_cache_put(sn, ep, plan))
		return -ENOMEM;
	*out = plan;
	return 0;
}

static void answer(struct embedded *e, const struct lwbs_prov_profile *pr, const char *const *ident,
		   lwbs_store_lookup_fn cb, void *arg)
{
	const struct lwbs_bs_plan *plan;
	int rc = device_plan(e, pr, ident, &plan);

	if (rc) {
		cb(arg, rc, NULL, NULL);
		return;
	}
	e->cur->refs++;
	cb(arg, 0, plan, (struct lwbs_store_hold *)e->cur);
}

static int emb_lookup(struct lwbs_store *st, const struct lwbs_store_query *q, lwbs_store_lookup_fn cb, void *arg)
{
	struct embedded *e = (struct embedded *)st;
	const struct lwbs_prov_device *d;

	if (!q || !cb || (unsigned)q->kind >= LWBS_IDENT_COUNT || (!q->value && q->len))
		return -EINVAL;
	d = q->value ? lwbs_prov_find(e->cur->prov, q->kind, q->value, q->len) : NULL;
	if (!d) {
		const struct lwbs_store_state_device *sd =
			q->value ? lwbs_store_state_find(e->state, q->kind, q->value, q->len) : NULL;
		const struct lwbs_prov_profile *pr = sd ? lwbs_prov_profile_find(e->cur->prov, sd->profile) : NULL;
		if (pr)
			answer(e, pr, (const char *const *)sd->ident, cb, arg);
		else
			cb(arg, 0, NULL, NULL);
		return 0;
	}
	if (lwbs_prov_profile_generates(d->merged ? d->merged : d->profile)) {
		answer(e, d->merged ? d->merged : d->profile, d->ident, cb, arg);
		return 0;
	}
	e->cur->refs++;
	cb(arg, 0, &d->plan, (struct lwbs_store_hold *)e->cur);
	return 0;
}

static int emb_enrol(struct lwbs_store *st, const struct lwbs_store_enrolment *en, lwbs_store_lookup_fn cb,
		     void *arg)
{
	struct embedded *e = (struct embedded *)st;
	const struct lwbs_prov *p = e->cur->prov;
	const struct lwbs_prov_template *t;

	if (!en || !cb || !en->ident[LWBS_IDENT_ENDPOINT])
		return -EINVAL;
	if (!e->state)
		return -ENOTSUP;
	t = lwbs_prov_template_find(p, en->plmn, en->ident[LWBS_IDENT_IMSI], en->apn);
	if (!t) {
		cb(arg, 0, NULL, NULL);
		return 0;
	}
	/* An identity the files or the journal already give belongs to
	 * another device: no second record. */
	for (int k = 0; k < LWBS_IDENT_COUNT; k++) {
		const char *v = en->ident[k];
		if (v && (lwbs_prov_find(p, k, v, strlen(v)) || lwbs_store_state_find(e->state, k, v, strlen(v)))) {
			cb(arg, -EEXIST, NULL, NULL);
			return 0;
		}
	}
	int rc = lwbs_store_state_enrol(e->state, en->ident, t->profile_name, wall_ms());
	if (rc) {
		cb(arg, rc, NULL, NULL);
		return 0;
	}
	answer(e, t->profile, en->ident, cb, arg);
	return 0;
}

static void emb_release(struct lwbs_store *st, struct lwbs_store_hold *h)
{
	snap_put((struct snapshot *)h);
}

static int emb_reload(struct lwbs_store *st, char *err, size_t err_cap)
{
	struct embedded *e = (struct embedded *)st;
	struct snapshot *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, err_cap, "out of memory");
		return -ENOMEM;
	}
	s->prov = lwbs_store_embedded_load((const char *const *)e->files, e->n_files, err, err_cap);
	if (!s->prov) {
		free(s);
		return -EINVAL;
	}
	s->refs = 1;
	snap_put(e->cur);
	e->cur = s;
	return 0;
}

static void emb_destroy(struct lwbs_store *st)
{
	struct embedded *e = (struct embedded *)st;

	snap_put(e->cur);
	lwbs_store_state_destroy(e->state);
	for (size_t i = 0; i < e->n_files; i++)
		free(e->files[i]);
	free(e->files);
	free(e);
}

static const struct lwbs_store_ops embedded_ops = {
	.name = "embedded",
	.lookup = emb_lookup,
	.release = emb_release,
	.audit = NULL,
	.reload = emb_reload,
	.destroy = emb_destroy,
	.enrol = emb_enrol,
};

struct lwbs_store *lwbs_store_embedded_create(const char *const *files, size_t n, char *err, size_t err_cap)
{
	struct embedded *e = calloc(1, sizeof(*e));

	if (!e)
		goto nomem;
	e->base.ops = &embedded_ops;
	e->files = calloc(n ? n : 1, sizeof(*e->files));
	if (!e->files)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		e->files[i] = strdup(files[i]);
		if (!e->files[i])
			goto nomem;
		e->n_files = i + 1;
	}
	if (emb_reload(&e->base, err, err_cap)) {
		emb_destroy(&e->base);
		return NULL;
	}
	return &e->base;
nomem:
	snprintf(err, err_cap, "out of memory");
	if (e)
		emb_destroy(&e->base);
	return NULL;
}

const struct lwbs_prov *lwbs_store_embedded_current(struct lwbs_store *s)
{
	return ((struct embedded *)s)->cur->prov;
}

int lwbs_store_embedded_open_state(struct lwbs_store *s, const char *path, char *err, size_t err_cap)
{
	struct embedded *e = (struct embedded *)s;
	struct lwbs_store_state *st;
	int rc = lwbs_store_state_open(path, &st, err, err_cap);

	if (rc)
		return rc;
	lwbs_store_state_destroy(e->state);
	e->state = st;
	return 0;
}
