/* lwbs — cross-file checks of a provisioning set: profile references,
 * per-device overrides merged into their profile, account rules, and the
 * identity index (duplicates). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lwbs/arena.h"
#include "lwbs/prov.h"

#include "prov_int.h"

static int check_server(const struct lwbs_prov *p, const struct lwbs_prov_profile *pr,
			const struct lwbs_prov_server *s, char *err, size_t cap)
{
	const char *what = s->bootstrap ? "bootstrap_server" : "server";
	const uint32_t id = LWBS_PROV_SRV_IDENTITY, sk = LWBS_PROV_SRV_SERVER_KEY, key = LWBS_PROV_SRV_SECRET_KEY;
	bool secure;

	if (!(s->set & LWBS_PROV_SRV_URI)) {
		lwbs_prov_errf(err, cap, p, &s->loc, "%s needs uri", what);
		return -EINVAL;
	}
	if (!s->bootstrap && !(s->set & LWBS_PROV_SRV_SSID)) {
		lwbs_prov_errf(err, cap, p, &s->loc, "server needs ssid (1..65534)");
		return -EINVAL;
	}
	if (!(s->set & LWBS_PROV_SRV_MODE)) {
		lwbs_prov_errf(err, cap, p, &s->loc, "%s needs security (nosec, psk, rpk, x509, est)", what);
		return -EINVAL;
	}
	secure = !strncmp(s->uri, "coaps", 5);
	if (secure == (s->mode == LWBS_PROV_MODE_NOSEC)) {
		lwbs_prov_errf(err, cap, p, &s->loc, "%s: security %s does not fit the URI scheme of %s", what,
			       s->mode == LWBS_PROV_MODE_NOSEC ? "nosec" : "with keys", s->uri);
		return -EINVAL;
	}
	if (s->generate && s->mode != LWBS_PROV_MODE_PSK) {
		lwbs_prov_errf(err, cap, p, &s->loc, "%s: generate_credentials needs security psk", what);
		return -EINVAL;
	}
	switch (s->mode) {
	case LWBS_PROV_MODE_NOSEC:
		if (s->set & (id | sk | key)) {
			lwbs_prov_errf(err, cap, p, &s->loc, "%s: nosec takes no credentials", what);
			return -EINVAL;
		}
		break;
	case LWBS_PROV_MODE_PSK:
		if (s->generate) {
			if (s->set & (id | key)) {
				lwbs_prov_errf(err, cap, p, &s->loc,
					       "%s: generate_credentials takes no psk_identity or psk_key", what);
				return -EINVAL;
			}
		} else if ((s->set & (id | key)) != (id | key) || !s->identity.len || !s->secret_key.len) {
			lwbs_prov_errf(err, cap, p, &s->loc, "%s: psk needs psk_identity and psk_key (not empty)", what);
			return -EINVAL;
		}
		if (s->set & sk) {
			lwbs_prov_errf(err, cap, p, &s->loc, "%s: psk takes no server key", what);
			return -EINVAL;
		}
		break;
	case LWBS_PROV_MODE_RPK:
		if ((s->set & (id | key | sk)) != (id | key | sk)) {
			lwbs_prov_errf(err, cap, p, &s->loc, "%s: rpk needs public_key, private_key and server_public_key",
				       what);
			return -EINVAL;
		}
		break;
	case LWBS_PROV_MODE_X509:
		if ((s->set & (id | key)) != (id | key)) {
			lwbs_prov_errf(err, cap, p, &s->loc, "%s: x509 needs certificate and private_key", what);
			return -EINVAL;
		}
		break;
	default:
		break;
	}
	if ((s->set & LWBS_PROV_SRV_PMIN) && (s->set & LWBS_PROV_SRV_PMAX) && s->pmin > s->pmax) {
		lwbs_prov_errf(err, cap, p, &s->loc, "server %u: pmin is greater than pmax", s->ssid);
		return -EINVAL;
	}
	if (s->apn) {
		size_t i;
		for (i = 0; i < pr->n_apn && strcmp(pr->apn[i].name, s->apn); i++)
			;
		if (i == pr->n_apn) {
			lwbs_prov_errf(err, cap, p, &s->loc, "server %u: no apn entry named \"%s\" in this profile",
				       s->ssid, s->apn);
			return -EINVAL;
		}
	}
	if (s->oscore) {
		size_t i;
		for (i = 0; i < pr->n_oscore && strcmp(pr->oscore[i].name, s->oscore); i++)
			;
		if (i == pr->n_oscore) {
			lwbs_prov_errf(err, cap, p, &s->loc, "%s: no oscore entry named \"%s\" in this profile", what,
				       s->oscore);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_profile(const struct lwbs_prov *p, const struct lwbs_prov_profile *pr, char *err, size_t cap)
{
	int rc;

	if (!pr->n_servers) {
		lwbs_prov_errf(err, cap, p, &pr->loc, "profile \"%s\" has no servers", pr->name);
		return -EINVAL;
	}
	for (size_t i = 0; i < pr->n_servers; i++) {
		if ((rc = check_server(p, pr, &pr->servers[i], err, cap)))
			return rc;
		for (size_t j = 0; j < i; j++)
			if (pr->servers[j].ssid == pr->servers[i].ssid) {
				lwbs_prov_errf(err, cap, p, &pr->servers[i].loc, "ssid %u used twice in profile \"%s\"",
					       pr->servers[i].ssid, pr->name);
				return -EINVAL;
			}
	}
	if (pr->bootstrap_server && (rc = check_server(p, pr, pr->bootstrap_server, err, cap)))
		return rc;
	for (size_t i = 0; i < pr->n_apn; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(pr->apn[i].name, pr->apn[j].name)) {
				lwbs_prov_errf(err, cap, p, &pr->apn[i].loc, "apn entry \"%s\" defined twice", pr->apn[i].name);
				return -EINVAL;
			}
	for (size_t i = 0; i < pr->n_oscore; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(pr->oscore[i].name, pr->oscore[j].name)) {
				lwbs_prov_errf(err, cap, p, &pr->oscore[i].loc, "oscore entry \"%s\" defined twice",
					       pr->oscore[i].name);
				return -EINVAL;
			}
	for (size_t i = 0; i < pr->n_acl; i++)
		for (size_t j = 0; j < i; j++)
			if (pr->acl[i].oid == pr->acl[j].oid && pr->acl[i].iid == pr->acl[j].iid) {
				lwbs_prov_errf(err, cap, p, &pr->acl[i].loc, "second acl entry for /%u/%u", pr->acl[i].oid,
					       pr->acl[i].iid);
				return -EINVAL;
			}
	for (size_t i = 0; i < pr->n_objects; i++)
		for (size_t j = 0; j < i; j++)
			if (pr->objects[i].oid == pr->objects[j].oid && pr->objects[i].iid == pr->objects[j].iid) {
				lwbs_prov_errf(err, cap, p, &pr->objects[i].loc, "/%u/%u given twice in objects",
					       pr->objects[i].oid, pr->objects[i].iid);
				return -EINVAL;
			}
	if (pr->keep_existing && !pr->read_existing) {
		lwbs_prov_errf(err, cap, p, &pr->loc, "keep_existing needs read_existing: true");
		return -EINVAL;
	}
	return 0;
}

static void merge_server(struct lwbs_prov_server *d, const struct lwbs_prov_server *s)
{
	uint32_t set = s->set;

#define TAKE(bit, ...)                                                                   \
	do {                                                                             \
		if (set & (bit)) {                                                       \
			__VA_ARGS__;                                                     \
		}                                                                        \
	} while (0)
	TAKE(LWBS_PROV_SRV_URI, d->uri = s->uri);
	TAKE(LWBS_PROV_SRV_MODE, d->mode = s->mode);
	TAKE(LWBS_PROV_SRV_IDENTITY, d->identity = s->identity);
	TAKE(LWBS_PROV_SRV_SERVER_KEY, d->server_key = s->server_key);
	TAKE(LWBS_PROV_SRV_SECRET_KEY, d->secret_key = s->secret_key);
	TAKE(LWBS_PROV_SRV_LIFETIME, d->lifetime = s->lifetime);
	TAKE(LWBS_PROV_SRV_PMIN, d->pmin = s->pmin);
	TAKE(LWBS_PROV_SRV_PMAX, d->pmax = s->pmax);
	TAKE(LWBS_PROV_SRV_NSTORE, d->notification_storing = s->notification_storing);
	TAKE(LWBS_PROV_SRV_DISABLE_TIMEOUT, d->disable_timeout = s->disable_timeout);
	TAKE(LWBS_PROV_SRV_BS_ON_FAILURE, d->bootstrap_on_failure = s->bootstrap_on_failure);
	TAKE(LWBS_PROV_SRV_BINDING, d->binding = s->binding);
	TAKE(LWBS_PROV_SRV_APN, d->apn = s->apn);
	TAKE(LWBS_PROV_SRV_OSCORE, d->oscore = s->oscore);
	TAKE(LWBS_PROV_SRV_SEC_RES, d->sec_res = s->sec_res; d->n_sec_res = s->n_sec_res);
	TAKE(LWBS_PROV_SRV_SRV_RES, d->srv_res = s->srv_res; d->n_srv_res = s->n_srv_res);
	TAKE(LWBS_PROV_SRV_HOLD_OFF, d->hold_off = s->hold_off);
	TAKE(LWBS_PROV_SRV_ACCOUNT_TIMEOUT, d->account_timeout = s->account_timeout);
	TAKE(LWBS_PROV_SRV_GENERATE, d->generate = s->generate);
	/* Credentials given for the device replace generated ones. */
	if ((set & (LWBS_PROV_SRV_IDENTITY | LWBS_PROV_SRV_SECRET_KEY)) && !(set & LWBS_PROV_SRV_GENERATE)) {
		d->generate = NULL;
		d->set &= ~(uint32_t)LWBS_PROV_SRV_GENERATE;
	}
	d->set |= set;
}

/* base + a device's overrides -> a new profile in p's arena. */
static int merge(struct lwbs_prov *p, const struct lwbs_prov_profile *base, const struct lwbs_prov_profile *ov,
		 struct lwbs_prov_profile **out, char *err, size_t cap)
{
	struct lwbs_prov_profile *m = lwbs_arena_alloc(p->arena, sizeof(*m));
	uint32_t set = ov->set;

	if (!m)
		goto nomem;
	*m = *base;
	m->built = false;
	memset(&m->plan, 0, sizeof(m->plan));
	TAKE(LWBS_PROV_P_ACL, m->acl = ov->acl; m->n_acl = ov->n_acl);
	TAKE(LWBS_PROV_P_APN, m->apn = ov->apn; m->n_apn = ov->n_apn);
	TAKE(LWBS_PROV_P_OSCORE, m->oscore = ov->oscore; m->n_oscore = ov->n_oscore);
	TAKE(LWBS_PROV_P_OBJECTS, m->objects = ov->objects; m->n_objects = ov->n_objects);
	TAKE(LWBS_PROV_P_DELETE, m->deletes = ov->deletes; m->n_deletes = ov->n_deletes);
	TAKE(LWBS_PROV_P_CF, m->content_format = ov->content_format);
	TAKE(LWBS_PROV_P_DISCOVER, m->discover = ov->discover);
	TAKE(LWBS_PROV_P_AUTO_IDS, m->auto_security_ids = ov->auto_security_ids);
	TAKE(LWBS_PROV_P_READ_EXISTING, m->read_existing = ov->read_existing);
	TAKE(LWBS_PROV_P_KEEP_EXISTING, m->keep_existing = ov->keep_existing);
	TAKE(LWBS_PROV_P_WRITE, m->write_per_object = ov->write_per_object);
	TAKE(LWBS_PROV_P_PACK, m->allow_pack = ov->allow_pack);
	if (set & LWBS_PROV_P_SERVERS) {
		struct lwbs_prov_server *sv = lwbs_arena_alloc(p->arena, (base->n_servers + ov->n_servers + 1) * sizeof(*sv));
		size_t n = base->n_servers;
		if (!sv)
			goto nomem;
		memcpy(sv, base->servers, n * sizeof(*sv));
		for (size_t i = 0; i < ov->n_servers; i++) {
			const struct lwbs_prov_server *o = &ov->servers[i];
			size_t j;
			if (!(o->set & LWBS_PROV_SRV_SSID)) {
				lwbs_prov_errf(err, cap, p, &o->loc, "a server in overrides needs ssid (to merge by)");
				return -EINVAL;
			}
			for (j = 0; j < n && sv[j].ssid != o->ssid; j++)
				;
			if (j < n)
				merge_server(&sv[j], o);
			else
				sv[n++] = *o;
		}
		m->servers = sv;
		m->n_servers = n;
	}
	if (set & LWBS_PROV_P_BS) {
		if (base->bootstrap_server) {
			struct lwbs_prov_server *b = lwbs_arena_alloc(p->arena, sizeof(*b));
			if (!b)
				goto nomem;
			*b = *base->bootstrap_server;
			merge_server(b, ov->bootstrap_server);
			m->bootstrap_server = b;
		} else {
			m->bootstrap_server = ov->bootstrap_server;
		}
	}
#undef TAKE
	m->set = base->set | ov->set;
	*out = m;
	return 0;
nomem:
	snprintf(err, cap, "out of memory merging overrides");
	return -ENOMEM;
}

static int cmp_profile(const void *a, const void *b)
{
	return strcmp((*(struct lwbs_prov_profile *const *)a)->name, (*(struct lwbs_prov_profile *const *)b)->name);
}

static const struct lwbs_prov_profile *find_profile(struct lwbs_prov_profile **sorted, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, sorted[mid]->name);
		if (!c)
			return sorted[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int lwbs_prov_finish(struct lwbs_prov *p, char *err, size_t cap)
{
	struct lwbs_prov_profile **sorted = NULL;
	int rc = 0;

	if (err && cap)
		err[0] = 0;
	if (p->failed || p->finished) {
		snprintf(err, cap, "provisioning set already failed or finished");
		return -EINVAL;
	}
	for (size_t i = 0; i < p->n_profiles; i++)
		if ((rc = check_profile(p, p->profiles[i], err, cap)))
			goto out;
	if (p->n_profiles) {
		sorted = malloc(p->n_profiles * sizeof(*sorted));
		if (!sorted) {
			snprintf(err, cap, "out of memory");
			rc = -ENOMEM;
			goto out;
		}
		memcpy(sorted, p->profiles, p->n_profiles * sizeof(*sorted));
		qsort(sorted, p->n_profiles, sizeof(*sorted), cmp_profile);
	}
	for (size_t i = 0; i < p->n_devices; i++) {
		struct lwbs_prov_device *d = &p->devices[i];
		d->profile = find_profile(sorted, p->n_profiles, d->profile_name);
		if (!d->profile) {
			lwbs_prov_errf(err, cap, p, &d->loc, "device \"%s\": no profile named \"%s\"",
				       d->ident[LWBS_IDENT_ENDPOINT], d->profile_name);
			rc = -ENOENT;
			goto out;
		}
		if (d->overrides) {
			char inner[512];
			if ((rc = merge(p, d->profile, d->overrides, &d->merged, err, cap)))
				goto out;
			if ((rc = check_profile(p, d->merged, inner, sizeof(inner)))) {
				lwbs_prov_errf(err, cap, p, &d->overrides->loc, "device \"%s\" with its overrides: %s",
					       d->ident[LWBS_IDENT_ENDPOINT], inner);
				goto out;
			}
		}
	}
	for (size_t i = 0; i < p->n_templates; i++) {
		struct lwbs_prov_template *t = &p->templates[i];
		t->profile = find_profile(sorted, p->n_profiles, t->profile_name);
		if (!t->profile) {
			lwbs_prov_errf(err, cap, p, &t->loc, "template: no profile named \"%s\"", t->profile_name);
			rc = -ENOENT;
			goto out;
		}
	}
	rc = lwbs_prov_index_build(p, &p->index, err, cap);
	if (!rc) {
		p->sorted_profiles = sorted;
		sorted = NULL;
	}
out:
	free(sorted);
	if (rc)
		p->failed = true;
	else
		p->finished = true;
	return rc;
}

const struct lwbs_prov_profile *lwbs_prov_profile_find(const struct lwbs_prov *p, const char *name)
{
	return p->finished ? find_profile(p->sorted_profiles, p->n_profiles, name) : NULL;
}

bool lwbs_prov_profile_generates(const struct lwbs_prov_profile *pr)
{
	for (size_t i = 0; i < pr->n_servers; i++)
		if (pr->servers[i].generate)
			return true;
	return false;
}

const struct lwbs_prov_template *lwbs_prov_template_find(const struct lwbs_prov *p, const char *plmn,
							  const char *imsi, const char *apn)
{
	for (size_t i = 0; i < p->n_templates; i++) {
		const struct lwbs_prov_template *t = &p->templates[i];
		if (t->plmn) {
			if (plmn && *plmn ? strcmp(t->plmn, plmn) != 0
					  : !imsi || strncmp(imsi, t->plmn, strlen(t->plmn)) != 0)
				continue;
		}
		if (t->apn && (!apn || strcasecmp(t->apn, apn)))
			continue;
		return t;
	}
	return NULL;
}
