/* lwbs — embedded store backend (include/lwbs/store_embedded.h).
 *
 * A snapshot is one loaded provisioning set with a reference count: the
 * store holds one reference on the current snapshot, every outstanding
 * lookup hold one more. A hold is the snapshot itself, so a lookup takes
 * no allocation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/prov.h"
#include "lwbs/store_embedded.h"

struct snapshot {
	struct lwbs_prov *prov;
	size_t refs;
};

struct embedded {
	struct lwbs_store base;
	char **files;
	size_t n_files;
	struct snapshot *cur;
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
		free(s);
	}
}

static int emb_lookup(struct lwbs_store *st, const struct lwbs_store_query *q, lwbs_store_lookup_fn cb, void *arg)
{
	struct embedded *e = (struct embedded *)st;
	const struct lwbs_prov_device *d;

	if (!q || !cb || (unsigned)q->kind >= LWBS_IDENT_COUNT || (!q->value && q->len))
		return -EINVAL;
	d = q->value ? lwbs_prov_find(e->cur->prov, q->kind, q->value, q->len) : NULL;
	if (!d) {
		cb(arg, 0, NULL, NULL);
		return 0;
	}
	e->cur->refs++;
	cb(arg, 0, &d->plan, (struct lwbs_store_hold *)e->cur);
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
