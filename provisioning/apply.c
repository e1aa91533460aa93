/* lwbs provisioning — `lwbsctl provision validate|diff|apply`.
 *
 * apply, in one transaction (all or nothing):
 *   1. profiles: canonical documents compared with the stored digests;
 *   2. devices: every endpoint is COPYed into a temporary table with its
 *      index and the stored digests of those that exist come back by
 *      index (COPY TO), compared in C (lwbs_provision_compare);
 *   3. only new and changed rows are written (streamed while they are
 *      built): the changed through a staging table (UPDATE, their
 *      identities deleted); the new with ids taken from the devices'
 *      sequence, COPYed straight into devices; the identities of both
 *      straight into device_identities; secrets staged and merged;
 *   4. --prune BATCH deletes the batch's devices that were not given;
 *   5. templates: when the files have a `templates:` key, the stored list
 *      is compared position by position and, if it differs, replaced.
 * Devices lwbsd enrolled from a template (devices.enrolled_at) belong to
 * no batch, so --prune never removes them; a file device with the same
 * endpoint takes the row over (it becomes provisioned), and one that
 * claims an identity of an enrolled device replaces that device.
 * An unchanged set of files therefore writes nothing. diff stops after 2
 * (and counts 4 and 5) and rolls back. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/hex.h"
#include "lwbs/provision.h"
#include "pv.h"

#define PV_LOCK "SELECT pg_advisory_xact_lock(7307251)"

enum { ST_SAME = 0, ST_NEW, ST_CHANGED };

struct profile_id;

struct dev_hash {
	int64_t id; /* stored, or (new) taken from the sequence */
	uint8_t hash[LWBS_PROVISION_HASH_LEN];
	uint8_t hash_redacted[LWBS_PROVISION_HASH_LEN];
	bool has_redacted;
	uint8_t state;
};

struct run {
	PGconn *c;
	struct lwbs_prov *p;
	bool dry;
	const char *prune;
	size_t show; /* names listed per category */
	uint8_t *pstate;
	struct dev_hash *dh;
	size_t n_pnew, n_pchanged, n_new, n_changed, n_pruned;
	PGresult *pruned; /* endpoints removed (or, dry, to be removed) */
	PGresult *replaced; /* enrolled devices replaced by file devices */
	/* templates, with p->has_templates: compared by position */
	size_t n_tnew, n_tchanged, n_tremoved;
	PGresult *profiles; /* stored (name, id), once profiles are written */
	struct profile_id *pids; /* names borrowed from profiles, sorted */
	size_t n_pids;
};

/* "\\x<64 hex>" (bytea text output) or 64 hex digits into out. */
static bool parse_hash(const char *s, size_t n, uint8_t *out)
{
	if (n >= 2 && s[0] == '\\' && s[1] == 'x') {
		s += 2;
		n -= 2;
	}
	if (n != 2 * LWBS_PROVISION_HASH_LEN)
		return false;
	for (size_t i = 0; i < LWBS_PROVISION_HASH_LEN; i++) {
		int h = lwbs_hex_digit(s[2 * i]), l = lwbs_hex_digit(s[2 * i + 1]);
		if (h < 0 || l < 0)
			return false;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return true;
}

/* ---------- profiles ---------- */

static int stage_profiles(struct run *r)
{
	struct lwbs_provision_doc d;
	struct lwbs_buf pb, sb;
	PGresult *res;
	int rc = -1;

	if (pv_query(r->c, "profiles", "SELECT name, hash, hash_redacted FROM profiles", 0, NULL, &res))
		return -1;
	r->pstate = calloc(r->p->n_profiles + 1, 1);
	lwbs_provision_doc_init(&d);
	lwbs_buf_init(&pb, 0);
	lwbs_buf_init(&sb, 0);
	if (!r->pstate)
		goto out;
	for (size_t i = 0; i < r->p->n_profiles; i++) {
		const struct lwbs_prov_profile *pr = r->p->profiles[i];
		uint8_t h[LWBS_PROVISION_HASH_LEN], hr[LWBS_PROVISION_HASH_LEN];
		int row = -1;

		if (lwbs_provision_profile_doc(pr, &d)) {
			fprintf(stderr, "lwbsctl: profile %s: cannot serialise\n", pr->name);
			goto out;
		}
		for (int k = 0; k < PQntuples(res); k++)
			if (!strcmp(PQgetvalue(res, k, 0), pr->name))
				row = k;
		if (row < 0) {
			r->pstate[i] = ST_NEW;
			r->n_pnew++;
		} else {
			bool hn = PQgetisnull(res, row, 1);
			const char *hv = PQgetvalue(res, row, 1), *hrv = PQgetvalue(res, row, 2);
			bool ok_h = !hn && parse_hash(hv, strlen(hv), h);
			bool ok_hr = parse_hash(hrv, strlen(hrv), hr);
			if (lwbs_provision_compare(&d, ok_h ? h : NULL, ok_hr ? hr : NULL) == LWBS_PROVISION_SAME)
				continue;
			r->pstate[i] = ST_CHANGED;
			r->n_pchanged++;
		}
		pv_copy_text(&pb, pr->name, strlen(pr->name));
		lwbs_buf_putc(&pb, '\t');
		pv_copy_text(&pb, d.json.data, d.json.len);
		lwbs_buf_putc(&pb, '\t');
		if (d.has_redacted)
			lwbs_buf_puts(&pb, "\\N");
		else
			pv_copy_bytea(&pb, d.hash, sizeof(d.hash));
		lwbs_buf_putc(&pb, '\t');
		pv_copy_bytea(&pb, d.hash_redacted, sizeof(d.hash_redacted));
		lwbs_buf_putc(&pb, '\n');
		for (size_t k = 0; k < d.n_secrets; k++) {
			const struct lwbs_provision_secret *s = &d.secrets[k];
			pv_copy_text(&sb, pr->name, strlen(pr->name));
			lwbs_buf_printf(&sb, "\t%s\t", s->path);
			if (s->redacted)
				lwbs_buf_puts(&sb, "\\N");
			else
				pv_copy_bytea(&sb, s->ptr, s->len);
			lwbs_buf_puts(&sb, s->text ? "\tt\n" : "\tf\n");
		}
	}
	if (lwbs_buf_err(&pb) || lwbs_buf_err(&sb)) {
		fprintf(stderr, "lwbsctl: out of memory\n");
		goto out;
	}
	if (pv_exec(r->c, "stage",
		    "CREATE TEMP TABLE stage_p (name text, doc jsonb, hash bytea, hash_redacted bytea) ON COMMIT DROP;"
		    "CREATE TEMP TABLE stage_ps (name text, path text[], secret bytea, is_text boolean) ON COMMIT DROP") ||
	    pv_copy_in(r->c, "profiles", "COPY stage_p FROM STDIN", &pb) ||
	    pv_copy_in(r->c, "profile secrets", "COPY stage_ps FROM STDIN", &sb))
		goto out;
	rc = 0;
out:
	PQclear(res);
	lwbs_buf_finish(&pb);
	lwbs_buf_finish_secret(&sb);
	lwbs_provision_doc_finish(&d);
	return rc;
}

/* ---------- templates ---------- */

static void put_uint(struct lwbs_buf *b, size_t v);

static bool same_str(const char *a, PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return !a;
	return a && !strcmp(a, PQgetvalue(res, row, col));
}

/* Compares the files' templates with the stored list, position by
 * position, and stages the files' list in stage_t when they differ. */
static int stage_templates(struct run *r)
{
	const struct lwbs_prov *p = r->p;
	struct lwbs_buf tb;
	PGresult *res;
	size_t stored;
	int rc = -1;

	if (!p->has_templates)
		return 0;
	if (pv_query(r->c, "templates",
		     "SELECT t.plmn, t.apn, p.name FROM templates t JOIN profiles p ON p.id = t.profile_id "
		     "ORDER BY t.position",
		     0, NULL, &res))
		return -1;
	stored = (size_t)PQntuples(res);
	for (size_t i = 0; i < p->n_templates; i++) {
		const struct lwbs_prov_template *t = &p->templates[i];
		if (i >= stored)
			r->n_tnew++;
		else if (!same_str(t->plmn, res, (int)i, 0) || !same_str(t->apn, res, (int)i, 1) ||
			 !same_str(t->profile_name, res, (int)i, 2))
			r->n_tchanged++;
	}
	if (stored > p->n_templates)
		r->n_tremoved = stored - p->n_templates;
	PQclear(res);
	if (!r->n_tnew && !r->n_tchanged && !r->n_tremoved)
		return 0;
	lwbs_buf_init(&tb, 0);
	for (size_t i = 0; i < p->n_templates; i++) {
		const struct lwbs_prov_template *t = &p->templates[i];
		put_uint(&tb, i + 1);
		lwbs_buf_putc(&tb, '\t');
		if (t->plmn)
			pv_copy_text(&tb, t->plmn, strlen(t->plmn));
		else
			lwbs_buf_puts(&tb, "\\N");
		lwbs_buf_putc(&tb, '\t');
		if (t->apn)
			pv_copy_text(&tb, t->apn, strlen(t->apn));
		else
			lwbs_buf_puts(&tb, "\\N");
		lwbs_buf_putc(&tb, '\t');
		pv_copy_text(&tb, t->profile_name, strlen(t->profile_name));
		lwbs_buf_putc(&tb, '\n');
	}
	if (lwbs_buf_err(&tb))
		fprintf(stderr, "lwbsctl: out of memory\n");
	else if (!pv_exec(r->c, "stage",
			  "CREATE TEMP TABLE stage_t (position integer, plmn text, apn text, profile text) ON COMMIT DROP") &&
		 !pv_copy_in(r->c, "templates", "COPY stage_t FROM STDIN", &tb))
		rc = 0;
	lwbs_buf_finish(&tb);
	return rc;
}

/* Replaces the stored list with stage_t (after the profiles are written). */
static int write_templates(struct run *r)
{
	if (!r->n_tnew && !r->n_tchanged && !r->n_tremoved)
		return 0;
	return pv_exec(r->c, "templates",
		       "DELETE FROM templates; "
		       "INSERT INTO templates (position, plmn, apn, profile_id) "
		       "SELECT s.position, s.plmn, s.apn, p.id FROM stage_t s JOIN profiles p ON p.name = s.profile");
}

/* ---------- devices: which changed ---------- */

/* v in decimal. */
static void put_uint(struct lwbs_buf *b, size_t v)
{
	char t[24];
	size_t n = sizeof(t);

	do {
		t[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	lwbs_buf_put(b, t + n, sizeof(t) - n);
}

/* A row of the stored digests: "INDEX\tID\tHASH\tHASH_REDACTED\n" (the
 * index into r->p->devices that stage_k gave the endpoint, the stored id). */
static void classify_row(struct run *r, char *line, size_t n)
{
	char *t0 = memchr(line, '\t', n), *t1 = t0 ? memchr(t0 + 1, '\t', (size_t)(line + n - t0 - 1)) : NULL;
	char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(line + n - t1 - 1)) : NULL;
	uint8_t h[LWBS_PROVISION_HASH_LEN], hr[LWBS_PROVISION_HASH_LEN];
	size_t i = 0;
	int64_t id = 0;

	if (!t0 || !t1 || !t2 || t0 == line || t1 == t0 + 1)
		return;
	for (const char *q = t0 + 1; q < t1; q++) {
		if (*q < '0' || *q > '9' || id > INT64_MAX / 10 - 1)
			return;
		id = id * 10 + (*q - '0');
	}
	for (const char *q = line; q < t0; q++) {
		if (*q < '0' || *q > '9' || i > r->p->n_devices)
			return;
		i = i * 10 + (size_t)(*q - '0');
	}
	if (i >= r->p->n_devices)
		return;
	size_t hl = (size_t)(t2 - t1 - 1), hrl = (size_t)(line + n - t2 - 1);
	if (hrl && line[n - 1] == '\n')
		hrl--;
	bool ok_h = parse_hash(t1 + 1, hl, h), ok_hr = parse_hash(t2 + 1, hrl, hr);
	struct lwbs_provision_doc probe = {.has_redacted = r->dh[i].has_redacted};
	memcpy(probe.hash, r->dh[i].hash, sizeof(probe.hash));
	memcpy(probe.hash_redacted, r->dh[i].hash_redacted, sizeof(probe.hash_redacted));
	r->dh[i].id = id;
	r->dh[i].state = lwbs_provision_compare(&probe, ok_h ? h : NULL, ok_hr ? hr : NULL) == LWBS_PROVISION_SAME
				 ? ST_SAME
				 : ST_CHANGED;
}

/* Every endpoint goes to stage_k (streamed while the digests are
 * computed), with its index; the stored digests come back by index. */
static int classify_devices(struct run *r)
{
	struct lwbs_provision_doc d;
	struct lwbs_buf kb;
	struct pv_progress pg;
	PGresult *res;
	char *line;
	int n, rc = -1;

	r->dh = calloc(r->p->n_devices + 1, sizeof(*r->dh));
	if (!r->dh)
		return -1;
	lwbs_provision_doc_init(&d);
	lwbs_buf_init(&kb, SIZE_MAX / 2);
	pv_progress_start(&pg, "comparing", r->p->n_devices);
	if (pv_exec(r->c, "stage", "CREATE TEMP TABLE stage_k (endpoint text, i integer) ON COMMIT DROP") ||
	    pv_copy_begin(r->c, "endpoints", "COPY stage_k FROM STDIN"))
		goto out;
	for (size_t i = 0; i < r->p->n_devices; i++) {
		const struct lwbs_prov_device *dv = &r->p->devices[i];
		const char *ep = dv->ident[LWBS_IDENT_ENDPOINT];
		if (lwbs_provision_device_doc(dv, &d)) {
			fprintf(stderr, "lwbsctl: device %s: cannot serialise\n", ep);
			pv_copy_abort(r->c);
			goto out;
		}
		memcpy(r->dh[i].hash, d.hash, sizeof(d.hash));
		memcpy(r->dh[i].hash_redacted, d.hash_redacted, sizeof(d.hash_redacted));
		r->dh[i].has_redacted = d.has_redacted;
		r->dh[i].state = ST_NEW;
		pv_copy_text(&kb, ep, strlen(ep));
		lwbs_buf_putc(&kb, '\t');
		put_uint(&kb, i);
		lwbs_buf_putc(&kb, '\n');
		if (pv_copy_send(r->c, "endpoints", &kb, false))
			goto out;
		if (!(i & 4095))
			pv_progress_set(&pg, i / 2);
	}
	if (pv_copy_end(r->c, "endpoints", &kb) || pv_exec(r->c, "stage", "ANALYZE stage_k"))
		goto out;
	res = PQexec(r->c, "COPY (SELECT k.i, d.id, encode(d.hash, 'hex'), encode(d.hash_redacted, 'hex') FROM devices d "
			   "JOIN stage_k k ON k.endpoint = d.endpoint) TO STDOUT");
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		fprintf(stderr, "lwbsctl: stored devices: %s", PQresultErrorMessage(res));
		PQclear(res);
		goto out;
	}
	PQclear(res);
	size_t seen = 0;
	while ((n = PQgetCopyData(r->c, &line, 0)) > 0) {
		classify_row(r, line, (size_t)n);
		PQfreemem(line);
		if (!(++seen & 4095))
			pv_progress_set(&pg, r->p->n_devices / 2 + seen / 2);
	}
	while ((res = PQgetResult(r->c))) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			fprintf(stderr, "lwbsctl: stored devices: %s", PQresultErrorMessage(res));
			PQclear(res);
			goto out;
		}
		PQclear(res);
	}
	for (size_t i = 0; i < r->p->n_devices; i++) {
		r->n_new += r->dh[i].state == ST_NEW;
		r->n_changed += r->dh[i].state == ST_CHANGED;
	}
	pv_progress_end(&pg);
	rc = 0;
out:
	lwbs_buf_finish(&kb);
	lwbs_provision_doc_finish(&d);
	return rc;
}

/* ---------- devices: write ---------- */

/* Stored profile ids by name (every profile of the files is stored by
 * now). */
struct profile_id {
	const char *name;
	int64_t id;
};

static int cmp_profile_id(const void *a, const void *b)
{
	return strcmp(((const struct profile_id *)a)->name, ((const struct profile_id *)b)->name);
}

static int load_profile_ids(struct run *r)
{
	if (pv_query(r->c, "profiles", "SELECT name, id FROM profiles", 0, NULL, &r->profiles))
		return -1;
	r->n_pids = (size_t)PQntuples(r->profiles);
	r->pids = calloc(r->n_pids + 1, sizeof(*r->pids));
	if (!r->pids) {
		fprintf(stderr, "lwbsctl: out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < r->n_pids; i++) {
		r->pids[i].name = PQgetvalue(r->profiles, (int)i, 0);
		r->pids[i].id = strtoll(PQgetvalue(r->profiles, (int)i, 1), NULL, 10);
	}
	qsort(r->pids, r->n_pids, sizeof(*r->pids), cmp_profile_id);
	return 0;
}

static int profile_id(const struct run *r, const char *name, int64_t *id)
{
	struct profile_id key = {.name = name}, *f;

	f = bsearch(&key, r->pids, r->n_pids, sizeof(*r->pids), cmp_profile_id);
	if (!f) {
		fprintf(stderr, "lwbsctl: profile %s is not stored\n", name);
		return -1;
	}
	*id = f->id;
	return 0;
}

/* Ids for the new devices, taken from the devices' identity sequence (so
 * lwbsd or anyone else inserting devices meanwhile gets others), in the
 * order of the files. They come back as runs of consecutive values
 * (first, last, count; usually one run): a run is taken only when its
 * count says it has no gap, whatever order the rows were numbered in. */
static int reserve_ids(struct run *r)
{
	char sql[400];
	PGresult *res;
	size_t i = 0;
	int rc = -1;

	snprintf(sql, sizeof(sql),
		 "SELECT min(v), max(v), count(*) FROM (SELECT v, v - row_number() OVER () AS g FROM "
		 "(SELECT nextval(pg_get_serial_sequence('devices', 'id')) AS v FROM generate_series(1, %zu)) s) t "
		 "GROUP BY g ORDER BY 1",
		 r->n_new);
	if (pv_query(r->c, "device ids", sql, 0, NULL, &res))
		return -1;
	for (int k = 0; k < PQntuples(res); k++) {
		int64_t v = strtoll(PQgetvalue(res, k, 0), NULL, 10), last = strtoll(PQgetvalue(res, k, 1), NULL, 10);
		if (last - v + 1 != strtoll(PQgetvalue(res, k, 2), NULL, 10))
			goto out;
		for (; v <= last; v++) {
			while (i < r->p->n_devices && r->dh[i].state != ST_NEW)
				i++;
			if (i == r->p->n_devices)
				goto out;
			r->dh[i++].id = v;
		}
	}
	while (i < r->p->n_devices && r->dh[i].state != ST_NEW)
		i++;
	if (i == r->p->n_devices)
		rc = 0;
out:
	if (rc)
		fprintf(stderr, "lwbsctl: device ids: not as many as asked for\n");
	PQclear(res);
	return rc;
}

/* The rows of the devices in state (new or changed) for sql, a COPY of
 * (id, endpoint, profile_id, batch, overrides, hash, hash_redacted)
 * (streamed); their secrets into sb. */
static int copy_device_rows(struct run *r, const char *sql, uint8_t state, struct lwbs_buf *sb)
{
	struct lwbs_provision_doc d;
	struct lwbs_buf db;
	struct pv_progress pg;
	size_t done = 0;
	int rc = -1;

	lwbs_provision_doc_init(&d);
	lwbs_buf_init(&db, SIZE_MAX / 2);
	pv_progress_start(&pg, state == ST_NEW ? "adding" : "updating", state == ST_NEW ? r->n_new : r->n_changed);
	if (pv_copy_begin(r->c, "devices", sql))
		goto out;
	for (size_t i = 0; i < r->p->n_devices; i++) {
		const struct lwbs_prov_device *dv = &r->p->devices[i];
		const char *ep = dv->ident[LWBS_IDENT_ENDPOINT];
		size_t el = strlen(ep);
		int64_t pid;
		if (r->dh[i].state != state)
			continue;
		if (profile_id(r, dv->profile_name, &pid)) {
			pv_copy_abort(r->c);
			goto out;
		}
		/* The digests are known; only overrides and secrets need the
		 * document again. */
		lwbs_provision_doc_reset(&d);
		d.has_redacted = r->dh[i].has_redacted;
		memcpy(d.hash, r->dh[i].hash, sizeof(d.hash));
		memcpy(d.hash_redacted, r->dh[i].hash_redacted, sizeof(d.hash_redacted));
		if ((dv->overrides || dv->psk_key.ptr) && lwbs_provision_device_doc(dv, &d)) {
			fprintf(stderr, "lwbsctl: device %s: cannot serialise\n", ep);
			pv_copy_abort(r->c);
			goto out;
		}
		put_uint(&db, (size_t)r->dh[i].id);
		lwbs_buf_putc(&db, '\t');
		pv_copy_text(&db, ep, el);
		lwbs_buf_putc(&db, '\t');
		put_uint(&db, (size_t)pid);
		lwbs_buf_putc(&db, '\t');
		if (dv->batch)
			pv_copy_text(&db, dv->batch, strlen(dv->batch));
		else
			lwbs_buf_puts(&db, "\\N");
		lwbs_buf_putc(&db, '\t');
		if (d.overrides_len)
			pv_copy_text(&db, (const uint8_t *)d.json.data + d.overrides_off, d.overrides_len);
		else
			lwbs_buf_puts(&db, "\\N");
		lwbs_buf_putc(&db, '\t');
		if (d.has_redacted)
			lwbs_buf_puts(&db, "\\N");
		else
			pv_copy_bytea(&db, d.hash, sizeof(d.hash));
		lwbs_buf_putc(&db, '\t');
		pv_copy_bytea(&db, d.hash_redacted, sizeof(d.hash_redacted));
		lwbs_buf_putc(&db, '\n');
		for (size_t k = 0; k < d.n_secrets; k++) {
			const struct lwbs_provision_secret *s = &d.secrets[k];
			put_uint(sb, (size_t)r->dh[i].id);
			lwbs_buf_putc(sb, '\t');
			pv_copy_text(sb, ep, el);
			lwbs_buf_printf(sb, "\t%s\t", s->path);
			if (s->redacted)
				lwbs_buf_puts(sb, "\\N");
			else
				pv_copy_bytea(sb, s->ptr, s->len);
			lwbs_buf_puts(sb, s->text ? "\tt\n" : "\tf\n");
		}
		if (pv_copy_send(r->c, "devices", &db, false))
			goto out;
		if (!(++done & 4095))
			pv_progress_set(&pg, done);
	}
	if (pv_copy_end(r->c, "devices", &db))
		goto out;
	pv_progress_end(&pg);
	rc = 0;
out:
	lwbs_buf_finish(&db);
	lwbs_provision_doc_finish(&d);
	return rc;
}

/* The identities of new and changed devices into table (streamed): with
 * ids, (device_id, kind, value, key) rows; without, (kind, key) rows. */
static int copy_identities(struct run *r, const char *copy_sql, bool with_ids)
{
	struct lwbs_buf ib;
	int rc = -1;

	lwbs_buf_init(&ib, SIZE_MAX / 2);
	if (pv_copy_begin(r->c, "identities", copy_sql))
		goto out;
	for (size_t i = 0; i < r->p->n_devices; i++) {
		const struct lwbs_prov_device *dv = &r->p->devices[i];
		if (r->dh[i].state == ST_SAME)
			continue;
		for (int k = LWBS_IDENT_IMSI; k < LWBS_IDENT_COUNT; k++) {
			const char *v = dv->ident[k], *key;
			if (!v)
				continue;
			size_t kl = lwbs_provision_ident_key((enum lwbs_ident_kind)k, v, &key);
			if (with_ids) {
				put_uint(&ib, (size_t)r->dh[i].id);
				lwbs_buf_putc(&ib, '\t');
			}
			lwbs_buf_puts(&ib, lwbs_provision_ident_sql((enum lwbs_ident_kind)k));
			lwbs_buf_putc(&ib, '\t');
			if (with_ids) {
				pv_copy_text(&ib, v, strlen(v));
				lwbs_buf_putc(&ib, '\t');
			}
			pv_copy_text(&ib, key, kl);
			lwbs_buf_putc(&ib, '\n');
		}
		if (pv_copy_send(r->c, "identities", &ib, false))
			goto out;
	}
	if (pv_copy_end(r->c, "identities", &ib))
		goto out;
	rc = 0;
out:
	lwbs_buf_finish(&ib);
	return rc;
}

/* Enrolled devices not listed by endpoint that hold an identity a new or
 * changed file device claims: the files win, the enrolled row goes (with
 * its generated credentials) before the identities are written. Only when
 * enrolled devices exist are the claimed keys staged for the join. */
static int replace_enrolled(struct run *r)
{
	PGresult *res;
	bool any;

	if (pv_query(r->c, "enrolled devices", "SELECT EXISTS (SELECT 1 FROM devices WHERE enrolled_at IS NOT NULL)",
		     0, NULL, &res))
		return -1;
	any = !strcmp(PQgetvalue(res, 0, 0), "t");
	PQclear(res);
	if (!any || !(r->n_new + r->n_changed))
		return 0;
	if (pv_exec(r->c, "stage", "CREATE TEMP TABLE stage_ck (kind text, key text) ON COMMIT DROP") ||
	    copy_identities(r, "COPY stage_ck FROM STDIN", false) || pv_exec(r->c, "stage", "ANALYZE stage_ck"))
		return -1;
	return pv_query(r->c, "enrolled devices",
			"DELETE FROM devices d WHERE d.enrolled_at IS NOT NULL "
			"AND NOT EXISTS (SELECT 1 FROM stage_k k WHERE k.endpoint = d.endpoint) "
			"AND EXISTS (SELECT 1 FROM device_identities x JOIN stage_ck s ON s.kind = x.kind AND s.key = x.key "
			"WHERE x.device_id = d.id) RETURNING d.endpoint",
			0, NULL, &r->replaced);
}

/* A secret given as "redacted" must already be stored at the same path
 * (run before the stored secrets are touched). */
static int check_redacted(struct run *r)
{
	PGresult *res;
	int bad;

	if (pv_query(r->c, "redacted secrets",
		     "(SELECT 'device ' || s.endpoint, array_to_string(s.path, '.') FROM stage_c s "
		     " LEFT JOIN device_credentials c ON c.device_id = s.device_id AND c.path = s.path "
		     " WHERE s.secret IS NULL AND c.device_id IS NULL LIMIT 1) UNION ALL "
		     "(SELECT 'profile ' || s.name, array_to_string(s.path, '.') FROM stage_ps s "
		     " LEFT JOIN profiles p ON p.name = s.name "
		     " LEFT JOIN profile_secrets c ON c.profile_id = p.id AND c.path = s.path "
		     " WHERE s.secret IS NULL AND c.profile_id IS NULL LIMIT 1)",
		     0, NULL, &res))
		return -1;
	bad = PQntuples(res);
	if (bad)
		fprintf(stderr, "lwbsctl: %s: %s is \"redacted\" but no secret is stored for it: give the value\n",
			PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	PQclear(res);
	return bad ? -1 : 0;
}

static const char *const write_profiles_sql[][2] = {
	{"profiles",
	 "INSERT INTO profiles (name, doc, hash, hash_redacted) SELECT name, doc, hash, hash_redacted FROM stage_p "
	 "ON CONFLICT (name) DO UPDATE SET doc = EXCLUDED.doc, hash = EXCLUDED.hash, "
	 "hash_redacted = EXCLUDED.hash_redacted, updated_at = now()"},
	{"profile servers",
	 "DELETE FROM profile_servers x USING stage_p s, profiles p WHERE p.name = s.name AND x.profile_id = p.id"},
	{"profile servers",
	 "INSERT INTO profile_servers (profile_id, ssid, uri, security) "
	 "SELECT p.id, (e->>'ssid')::integer, e->>'uri', e->>'security' FROM stage_p s "
	 "JOIN profiles p ON p.name = s.name, jsonb_array_elements(s.doc->'servers') e"},
	{"profile secrets",
	 "DELETE FROM profile_secrets x USING stage_p s, profiles p WHERE p.name = s.name AND x.profile_id = p.id "
	 "AND NOT EXISTS (SELECT 1 FROM stage_ps t WHERE t.name = s.name AND t.path = x.path)"},
	{"profile secrets",
	 "INSERT INTO profile_secrets (profile_id, path, secret, is_text) "
	 "SELECT p.id, t.path, t.secret, t.is_text FROM stage_ps t JOIN profiles p ON p.name = t.name "
	 "WHERE t.secret IS NOT NULL "
	 "ON CONFLICT (profile_id, path) DO UPDATE SET secret = EXCLUDED.secret, is_text = EXCLUDED.is_text"},
};

/* After the identities and rows of the changed devices (stage_d) are
 * replaced: their secrets not given any more go, the given are written. */
static const char *const write_secrets_sql[][2] = {
	{"device secrets",
	 "DELETE FROM device_credentials x USING stage_d s WHERE x.device_id = s.id "
	 "AND NOT EXISTS (SELECT 1 FROM stage_c t WHERE t.device_id = s.id AND t.path = x.path)"},
	{"device secrets",
	 "INSERT INTO device_credentials (device_id, path, secret, is_text) "
	 "SELECT t.device_id, t.path, t.secret, t.is_text FROM stage_c t WHERE t.secret IS NOT NULL "
	 "ON CONFLICT (device_id, path) DO UPDATE SET secret = EXCLUDED.secret, is_text = EXCLUDED.is_text"},
};

#define DEVICE_COLS "(id, endpoint, profile_id, batch, overrides, hash, hash_redacted)"

/* Changed devices: staged (stage_d), then UPDATE by id and their
 * identities deleted; new devices: ids from the sequence, COPYed straight
 * into devices; the identities of both straight into device_identities;
 * secrets staged (stage_c: "redacted" keeps the stored value) and merged.
 * Everything under the advisory lock and in the one transaction. */
static int write_devices(struct run *r)
{
	struct lwbs_buf sb;
	int rc = -1;

	lwbs_buf_init(&sb, SIZE_MAX / 2);
	if (pv_exec(r->c, "stage",
		    "CREATE TEMP TABLE stage_d (id bigint, endpoint text, profile_id bigint, batch text, overrides jsonb,"
		    " hash bytea, hash_redacted bytea) ON COMMIT DROP;"
		    "CREATE TEMP TABLE stage_c (device_id bigint, endpoint text, path text[], secret bytea, is_text boolean)"
		    " ON COMMIT DROP") ||
	    load_profile_ids(r))
		goto out;
	if (r->n_changed &&
	    (copy_device_rows(r, "COPY stage_d " DEVICE_COLS " FROM STDIN", ST_CHANGED, &sb) ||
	     pv_exec(r->c, "stage", "ANALYZE stage_d") ||
	     pv_exec(r->c, "devices",
		     "UPDATE devices d SET profile_id = s.profile_id, batch = s.batch, overrides = s.overrides, "
		     "hash = s.hash, hash_redacted = s.hash_redacted, updated_at = now(), "
		     "enrolled_at = NULL, enrolled_template = NULL FROM stage_d s WHERE d.id = s.id") ||
	     pv_exec(r->c, "identities", "DELETE FROM device_identities x USING stage_d s WHERE x.device_id = s.id")))
		goto out;
	if (r->n_new && (reserve_ids(r) || copy_device_rows(r, "COPY devices " DEVICE_COLS " FROM STDIN", ST_NEW, &sb)))
		goto out;
	if (replace_enrolled(r) ||
	    copy_identities(r, "COPY device_identities (device_id, kind, value, key) FROM STDIN", true))
		goto out;
	if (lwbs_buf_err(&sb)) {
		fprintf(stderr, "lwbsctl: out of memory\n");
		goto out;
	}
	if (pv_copy_in(r->c, "device secrets", "COPY stage_c FROM STDIN", &sb) ||
	    pv_exec(r->c, "stage", "ANALYZE stage_c") || check_redacted(r))
		goto out;
	for (size_t i = 0; i < sizeof(write_secrets_sql) / sizeof(write_secrets_sql[0]); i++)
		if (pv_exec(r->c, write_secrets_sql[i][0], write_secrets_sql[i][1]))
			goto out;
	rc = 0;
out:
	lwbs_buf_finish_secret(&sb);
	return rc;
}

static int prune(struct run *r)
{
	const char *params[1] = {r->prune};
	const char *sql = r->dry ? "SELECT d.endpoint FROM devices d WHERE d.batch = $1 AND NOT EXISTS "
				   "(SELECT 1 FROM stage_k k WHERE k.endpoint = d.endpoint) ORDER BY 1"
				 : "DELETE FROM devices d WHERE d.batch = $1 AND NOT EXISTS "
				   "(SELECT 1 FROM stage_k k WHERE k.endpoint = d.endpoint) RETURNING d.endpoint";

	if (pv_query(r->c, "prune", sql, 1, params, &r->pruned))
		return -1;
	r->n_pruned = (size_t)PQntuples(r->pruned);
	return 0;
}

static void list_names(const struct run *r, const char *what, uint8_t state)
{
	size_t n = 0, total = state == ST_NEW ? r->n_new : r->n_changed;

	if (!total)
		return;
	printf("%s devices:", what);
	for (size_t i = 0; i < r->p->n_devices && n < r->show; i++)
		if (r->dh[i].state == state) {
			printf(" %s", r->p->devices[i].ident[LWBS_IDENT_ENDPOINT]);
			n++;
		}
	if (total > n)
		printf(" ... and %zu more", total - n);
	printf("\n");
}

static void report(const struct run *r)
{
	size_t np = r->p->n_profiles;

	printf("profiles: %zu new, %zu changed, %zu unchanged\n", r->n_pnew, r->n_pchanged,
	       np - r->n_pnew - r->n_pchanged);
	for (size_t i = 0; i < np; i++)
		if (r->pstate[i])
			printf("%s profile: %s\n", r->pstate[i] == ST_NEW ? "new" : "changed", r->p->profiles[i]->name);
	printf("devices: %zu new, %zu changed, %zu unchanged, %zu removed\n", r->n_new, r->n_changed,
	       r->p->n_devices - r->n_new - r->n_changed, r->n_pruned);
	list_names(r, "new", ST_NEW);
	list_names(r, "changed", ST_CHANGED);
	if (r->replaced && PQntuples(r->replaced)) {
		int n = PQntuples(r->replaced);
		printf("replaced enrolled devices (an identity is now a file device's):");
		for (int i = 0; i < n && (size_t)i < r->show; i++)
			printf(" %s", PQgetvalue(r->replaced, i, 0));
		if ((size_t)n > r->show)
			printf(" ... and %zu more", (size_t)n - r->show);
		printf("\n");
	}
	if (r->n_pruned) {
		size_t n = r->n_pruned < r->show ? r->n_pruned : r->show;
		printf("removed devices:");
		for (size_t i = 0; i < n; i++)
			printf(" %s", PQgetvalue(r->pruned, (int)i, 0));
		if (r->n_pruned > n)
			printf(" ... and %zu more", r->n_pruned - n);
		printf("\n");
	}
	if (r->p->has_templates)
		printf("templates: %zu new, %zu changed, %zu unchanged, %zu removed\n", r->n_tnew, r->n_tchanged,
		       r->p->n_templates - r->n_tnew - r->n_tchanged, r->n_tremoved);
}

static int run_apply(struct run *r)
{
	PGresult *res;

	/* work_mem: the joins of up to millions of staged rows with devices
	 * stay in memory (hash joins) instead of spilling in batches. */
	if (pv_exec(r->c, "begin", "BEGIN") || pv_exec(r->c, "lock", PV_LOCK) ||
	    pv_exec(r->c, "work_mem", "SET LOCAL work_mem = '256MB'"))
		return -1;
	if (pv_query(r->c, "schema", "SELECT to_regclass('templates') IS NOT NULL", 0, NULL, &res))
		goto fail;
	if (strcmp(PQgetvalue(res, 0, 0), "t")) {
		PQclear(res);
		fprintf(stderr, "lwbsctl: the database lacks the lwbs schema (version 2): run 'lwbsctl db migrate' first\n");
		goto fail;
	}
	PQclear(res);
	if (stage_profiles(r) || stage_templates(r) || classify_devices(r) || (r->prune && r->dry && prune(r)))
		goto fail;
	if (r->dry) {
		report(r);
		printf("dry run: nothing written\n");
		pv_rollback(r->c);
		return 0;
	}
	for (size_t i = 0; i < sizeof(write_profiles_sql) / sizeof(write_profiles_sql[0]); i++)
		if (pv_exec(r->c, write_profiles_sql[i][0], write_profiles_sql[i][1]))
			goto fail;
	if (write_devices(r) || write_templates(r))
		goto fail;
	if (r->prune && prune(r))
		goto fail;
	if (pv_exec(r->c, "commit", "COMMIT"))
		goto fail_quiet;
	report(r);
	printf("applied\n");
	return 0;
fail:
	pv_rollback(r->c);
fail_quiet:
	fprintf(stderr, "lwbsctl: nothing applied\n");
	return -1;
}

/* ---------- commands ---------- */

static const struct option db_opts[] = {
	{"dsn", required_argument, NULL, 'd'},
	{"dsn-file", required_argument, NULL, 'f'},
	{"prune", required_argument, NULL, 'p'},
	{"show", required_argument, NULL, 's'},
	{"help", no_argument, NULL, 'h'},
	{0},
};

static int db_command(int argc, char **argv, bool dry)
{
	const char *dsn = NULL, *dsn_file = NULL;
	struct run r = {.dry = dry, .show = 20};
	int o, rc = 1;

	while ((o = getopt_long(argc, argv, "", db_opts, NULL)) != -1) {
		switch (o) {
		case 'd': dsn = optarg; break;
		case 'f': dsn_file = optarg; break;
		case 'p': r.prune = optarg; break;
		case 's': r.show = strtoul(optarg, NULL, 10); break;
		case 'h':
			printf("usage: lwbsctl provision %s [--dsn-file FILE | --dsn DSN] [--prune BATCH] [--show N] FILE...\n"
			       "Without --dsn-file/--dsn, libpq's PG* environment or PGSERVICE is used.\n"
			       "--prune BATCH: also remove the devices of BATCH that the files do not list.\n"
			       "--show N: list at most N endpoint names per kind of change (default 20).\n",
			       dry ? "diff" : "apply");
			return 0;
		default: return 2;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "lwbsctl provision %s: no files given\n", dry ? "diff" : "apply");
		return 2;
	}
	if (!(r.p = pv_load(argv + optind, argc - optind, true)))
		return 1;
	if ((r.c = pv_connect(dsn, dsn_file)) && !run_apply(&r))
		rc = 0;
	PQclear(r.pruned);
	PQclear(r.replaced);
	PQclear(r.profiles);
	free(r.pids);
	PQfinish(r.c);
	free(r.pstate);
	free(r.dh);
	lwbs_prov_destroy(r.p);
	return rc;
}

int lwbs_provision_cmd_diff(int argc, char **argv)
{
	return db_command(argc, argv, true);
}

int lwbs_provision_cmd_apply(int argc, char **argv)
{
	return db_command(argc, argv, false);
}

int lwbs_provision_cmd_validate(int argc, char **argv)
{
	struct lwbs_prov *p;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: lwbsctl provision validate FILE...\nChecks the files as 'apply' would, without a database.\n");
		return 0;
	}
	if (argc < 2) {
		fprintf(stderr, "lwbsctl provision validate: no files given\n");
		return 2;
	}
	if (!(p = pv_load(argv + 1, argc - 1, true)))
		return 1;
	if (p->has_templates)
		printf("%zu profiles, %zu devices, %zu templates: valid\n", p->n_profiles, p->n_devices,
		       p->n_templates);
	else
		printf("%zu profiles, %zu devices: valid\n", p->n_profiles, p->n_devices);
	lwbs_prov_destroy(p);
	return 0;
}
