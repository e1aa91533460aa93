/* lwbs — auto-enrolment in the PostgreSQL store (pg_enrol.h). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "pg_enrol.h"

/* $1 endpoint, $2 IMSI, $3 MSISDN, $4 IMEI, $5 home PLMN, $6 APN.
 *
 * The template: plmn fits when it equals the binding's home PLMN, or, when
 * the binding has none, prefixes the IMSI; apn fits case-insensitively
 * (APNs are ASCII). The first by position wins. The device row records
 * the template and the time (enrolled_template, enrolled_at), has no batch
 * and no hash (a file device with its endpoint always differs from it).
 * Identity keys as lwbsctl writes them: MSISDN without '+', IMEI on 14
 * digits. Returns (templates that fitted: 0 or 1, rows inserted: 0 or 1). */
static const char enrol_sql[] =
	"WITH t AS (SELECT t.position, t.plmn, t.apn, t.profile_id, p.name FROM templates t "
	"JOIN profiles p ON p.id = t.profile_id "
	"WHERE (t.plmn IS NULL OR CASE WHEN coalesce($5, '') <> '' THEN t.plmn = $5 "
	"ELSE $2::text IS NOT NULL AND left($2, length(t.plmn)) = t.plmn END) "
	"AND (t.apn IS NULL OR lower(t.apn) = lower($6)) ORDER BY t.position LIMIT 1), "
	"d AS (INSERT INTO devices (endpoint, profile_id, hash_redacted, enrolled_at, enrolled_template) "
	"SELECT $1, t.profile_id, ''::bytea, now(), jsonb_strip_nulls(jsonb_build_object('position', t.position, "
	"'plmn', t.plmn, 'apn', t.apn, 'profile', t.name)) FROM t "
	"ON CONFLICT (endpoint) DO NOTHING RETURNING id), "
	"i AS (INSERT INTO device_identities (device_id, kind, value, key) "
	"SELECT d.id, v.kind, v.value, v.key FROM d, (VALUES ('imsi', $2::text, $2::text), "
	"('msisdn', $3::text, CASE WHEN left($3, 1) = '+' THEN substr($3, 2) ELSE $3 END), "
	"('imei', $4::text, left($4, 14))) AS v (kind, value, key) WHERE v.value IS NOT NULL) "
	"SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM d)";

#define ALIGN(n) (((n) + sizeof(void *) - 1) & ~(sizeof(void *) - 1))

static size_t str_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

size_t pg_enrol_size(const struct lwbs_store_enrolment *e)
{
	size_t n = ALIGN(sizeof(struct pg_enrol));

	for (int k = 0; k < LWBS_IDENT_COUNT; k++)
		n += str_size(e->ident[k]);
	return n + str_size(e->plmn) + str_size(e->apn);
}

static const char *put(char **pos, const char *s)
{
	char *d = *pos;
	size_t n = str_size(s);

	if (!s)
		return NULL;
	memcpy(d, s, n);
	*pos += n;
	return d;
}

struct pg_enrol *pg_enrol_copy(void *mem, const struct lwbs_store_enrolment *e)
{
	struct pg_enrol *en = mem;
	char *pos = (char *)mem + ALIGN(sizeof(*en));

	memset(en, 0, sizeof(*en));
	for (int k = 0; k < LWBS_IDENT_COUNT; k++)
		en->ident[k] = put(&pos, e->ident[k]);
	en->plmn = put(&pos, e->plmn);
	en->apn = put(&pos, e->apn);
	return en;
}

int pg_enrol_send(PGconn *pg, const struct pg_enrol *en)
{
	const char *params[6] = {
		en->ident[LWBS_IDENT_ENDPOINT], en->ident[LWBS_IDENT_IMSI], en->ident[LWBS_IDENT_MSISDN],
		en->ident[LWBS_IDENT_IMEI],     en->plmn,                   en->apn,
	};

	return PQsendQueryParams(pg, enrol_sql, 6, NULL, params, NULL, NULL, 0) ? 0 : -ECONNRESET;
}

int pg_enrol_result(PGresult *r)
{
	const char *state;

	if (!r)
		return -EIO;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		if (state && !strcmp(state, "23505"))
			return -EEXIST;
		return state && !strcmp(state, "57014") ? -ETIMEDOUT : -EIO;
	}
	if (PQntuples(r) != 1 || PQnfields(r) != 2)
		return -EBADMSG;
	return strcmp(PQgetvalue(r, 0, 0), "0") ? 1 : 0;
}

static bool same(const char *want, PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return !want;
	return want && !strcmp(want, PQgetvalue(r, row, col));
}

int pg_enrol_check(const struct pg_enrol *en, PGresult *r, int row, int col_imsi)
{
	for (int k = 0; k < 3; k++)
		if (!same(en->ident[LWBS_IDENT_IMSI + k], r, row, col_imsi + k))
			return -EEXIST;
	return 0;
}
