/* lwbs — RADIUS bindings in PostgreSQL (pg.h). */
#include "pg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pg_key {
	uint8_t v6;
	uint8_t plen;
	uint8_t addr[16];
};

struct lwbs_radius_pg {
	PGconn *conn;
	char err[256];
};

/* ---- batches ---- */

void lwbs_radius_pg_batch_init(struct lwbs_radius_pg_batch *b)
{
	memset(b, 0, sizeof(*b));
}

void lwbs_radius_pg_batch_reset(struct lwbs_radius_pg_batch *b)
{
	b->n = 0;
	b->err = 0;
}

void lwbs_radius_pg_batch_finish(struct lwbs_radius_pg_batch *b)
{
	free(b->keys);
	memset(b, 0, sizeof(*b));
}

static void add_key(struct lwbs_radius_pg_batch *b, const struct pg_key *k)
{
	if (b->err)
		return;
	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 256;
		struct pg_key *p = realloc(b->keys, nc * sizeof(*p));

		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->keys = p;
		b->cap = nc;
	}
	b->keys[b->n++] = *k;
}

void lwbs_radius_pg_batch_touch(struct lwbs_radius_pg_batch *batch, const struct lwbs_radius_binding *b)
{
	struct pg_key k;

	if (b->has & LWBS_RADIUS_HAS_IPV4) {
		memset(&k, 0, sizeof(k));
		memcpy(k.addr, b->ipv4, 4);
		k.plen = 32;
		add_key(batch, &k);
	}
	if (b->has & LWBS_RADIUS_HAS_IPV6) {
		k.v6 = 1;
		k.plen = b->ipv6_plen;
		memcpy(k.addr, b->ipv6, 16);
		add_key(batch, &k);
	}
}

void lwbs_radius_pg_batch_merge(struct lwbs_radius_pg_batch *dst, const struct lwbs_radius_pg_batch *src)
{
	for (size_t i = 0; i < src->n; i++)
		add_key(dst, &src->keys[i]);
	if (src->err)
		dst->err = src->err;
}

struct nas_walk {
	struct lwbs_radius_pg_batch *batch;
	const struct lwbs_radius_binding *rec;
};

static int touch_same_nas(void *arg, const struct lwbs_radius_binding *b)
{
	struct nas_walk *w = arg;

	if (lwbs_radius_same_nas(b, w->rec))
		lwbs_radius_pg_batch_touch(w->batch, b);
	return 0;
}

void lwbs_radius_pg_batch_before(struct lwbs_radius_pg_batch *batch, const struct lwbs_radius_table *t,
				 const struct lwbs_radius_binding *rec)
{
	struct lwbs_radius_binding h;

	if (rec->status == LWBS_RADIUS_ACCT_ON || rec->status == LWBS_RADIUS_ACCT_OFF) {
		struct nas_walk w = {batch, rec};

		lwbs_radius_table_foreach(t, touch_same_nas, &w);
		return;
	}
	if ((rec->has & LWBS_RADIUS_HAS_IPV4) && lwbs_radius_table_lookup4(t, rec->ipv4, &h) == 0)
		lwbs_radius_pg_batch_touch(batch, &h);
	if ((rec->has & LWBS_RADIUS_HAS_IPV6) && lwbs_radius_table_lookup6(t, rec->ipv6, &h) == 0)
		lwbs_radius_pg_batch_touch(batch, &h);
}

/* ---- SQL ---- */

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct pg_key));
}

static void put_key(struct lwbs_buf *sql, const struct pg_key *k)
{
	char a[INET6_ADDRSTRLEN];

	if (k->v6) {
		inet_ntop(AF_INET6, k->addr, a, sizeof(a));
		lwbs_buf_printf(sql, "'%s/%u'", a, k->plen);
	} else {
		inet_ntop(AF_INET, k->addr, a, sizeof(a));
		lwbs_buf_printf(sql, "'%s'", a);
	}
}

/* An E'' literal (backslash escapes whatever standard_conforming_strings
 * says), NULL for an empty string. Octets outside printable ASCII become
 * '?': the columns are text and the values (digits, APN labels, session
 * ids) are ASCII in practice. */
static void put_str(struct lwbs_buf *sql, const char *s)
{
	if (!*s) {
		lwbs_buf_puts(sql, ",NULL");
		return;
	}
	lwbs_buf_puts(sql, ",E'");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\'' || c == '\\')
			lwbs_buf_putc(sql, '\\');
		lwbs_buf_putc(sql, c >= 0x20 && c < 0x7f ? c : '?');
	}
	lwbs_buf_putc(sql, '\'');
}

static void nas_text(const struct lwbs_radius_binding *b, char *out, size_t cap)
{
	if (b->has & LWBS_RADIUS_HAS_NAS_IPV4)
		inet_ntop(AF_INET, b->nas_ipv4, out, (socklen_t)cap);
	else if (b->has & LWBS_RADIUS_HAS_NAS_IPV6)
		inet_ntop(AF_INET6, b->nas_ipv6, out, (socklen_t)cap);
	else
		snprintf(out, cap, "%s", b->nas_id);
}

/* The binding holding exactly key k, if any. */
static bool holder(const struct lwbs_radius_table *t, const struct pg_key *k, struct lwbs_radius_binding *b)
{
	if (!k->v6)
		return lwbs_radius_table_lookup4(t, k->addr, b) == 0;
	return lwbs_radius_table_lookup6(t, k->addr, b) == 0 && (b->has & LWBS_RADIUS_HAS_IPV6) &&
	       b->ipv6_plen == k->plen && !memcmp(b->ipv6, k->addr, 16);
}

int lwbs_radius_pg_batch_sql(struct lwbs_radius_pg_batch *batch, const struct lwbs_radius_table *t,
			     struct lwbs_buf *sql)
{
	struct lwbs_radius_binding b;
	size_t n = 0, ndel = 0, nput = 0;

	if (batch->err)
		return batch->err;
	if (batch->n) {
		qsort(batch->keys, batch->n, sizeof(*batch->keys), key_cmp);
		n = 1;
		for (size_t i = 1; i < batch->n; i++)
			if (key_cmp(&batch->keys[i], &batch->keys[n - 1]))
				batch->keys[n++] = batch->keys[i];
		batch->n = n;
	}
	for (size_t i = 0; i < n; i++) {
		if (holder(t, &batch->keys[i], &b))
			continue;
		lwbs_buf_puts(sql, ndel++ ? "," : "DELETE FROM radius_bindings WHERE address IN (");
		put_key(sql, &batch->keys[i]);
	}
	if (ndel)
		lwbs_buf_puts(sql, ");\n");
	for (size_t i = 0; i < n; i++) {
		char nas[LWBS_RADIUS_STR_MAX + 1];

		if (!holder(t, &batch->keys[i], &b))
			continue;
		lwbs_buf_puts(sql, nput++ ? ",\n(" :
			      "INSERT INTO radius_bindings (address, imsi, msisdn, imei, apn, nas, "
			      "acct_session_id, serving_plmn, updated_at) VALUES\n(");
		put_key(sql, &batch->keys[i]);
		nas_text(&b, nas, sizeof(nas));
		put_str(sql, b.imsi);
		put_str(sql, b.msisdn);
		put_str(sql, b.imeisv);
		put_str(sql, b.apn);
		put_str(sql, nas);
		put_str(sql, b.session_id);
		put_str(sql, b.sgsn_mcc_mnc);
		lwbs_buf_printf(sql, ",to_timestamp(%lld / 1000.0))", (long long)b.updated);
	}
	if (nput)
		lwbs_buf_puts(sql, "\nON CONFLICT (address) DO UPDATE SET imsi = EXCLUDED.imsi, "
			      "msisdn = EXCLUDED.msisdn, imei = EXCLUDED.imei, apn = EXCLUDED.apn, "
			      "nas = EXCLUDED.nas, acct_session_id = EXCLUDED.acct_session_id, "
			      "serving_plmn = EXCLUDED.serving_plmn, updated_at = EXCLUDED.updated_at;\n");
	lwbs_buf_putc(sql, 0);
	sql->len--; /* NUL-terminated, not counted */
	return lwbs_buf_err(sql);
}

/* ---- connection ---- */

static void set_err(struct lwbs_radius_pg *pg, const char *msg)
{
	snprintf(pg->err, sizeof(pg->err), "%s", msg);
	pg->err[strcspn(pg->err, "\n")] = 0;
}

static int connect_db(struct lwbs_radius_pg *pg, const char *dsn_file, char *err, size_t cap)
{
	char dsn[1024] = "";
	const char *keys[3] = {"connect_timeout", NULL, NULL}, *vals[3] = {"5", NULL, NULL};

	if (dsn_file) {
		FILE *f = fopen(dsn_file, "re");

		if (!f) {
			snprintf(err, cap, "radius: dsn_file %s: %s", dsn_file, strerror(errno));
			return -errno;
		}
		if (!fgets(dsn, sizeof(dsn), f))
			dsn[0] = 0;
		fclose(f);
		dsn[strcspn(dsn, "\r\n")] = 0;
		/* the DSN first, so that the timeout applies over it */
		keys[0] = "dbname";
		vals[0] = dsn;
		keys[1] = "connect_timeout";
		vals[1] = "5";
	}
	pg->conn = PQconnectdbParams(keys, vals, 1);
	explicit_bzero(dsn, sizeof(dsn));
	if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
		snprintf(err, cap, "radius: PostgreSQL: %s", pg->conn ? PQerrorMessage(pg->conn) : "out of memory");
		err[strcspn(err, "\n")] = 0;
		return -ECONNREFUSED;
	}
	return 0;
}

/* Copies at most max octets of column c of row r into dst; false if longer. */
static bool col(PGresult *res, int r, int c, char *dst, size_t max)
{
	const char *v = PQgetvalue(res, r, c);
	size_t n = (size_t)PQgetlength(res, r, c);

	if (n > max)
		return false;
	memcpy(dst, v, n);
	dst[n] = 0;
	return true;
}

/* Row r into *b (a Start); false for a row that cannot be a binding. */
static bool row_binding(PGresult *res, int r, struct lwbs_radius_binding *b, int64_t *updated)
{
	char host[INET6_ADDRSTRLEN], nas[LWBS_RADIUS_STR_MAX + 1];
	int plen = atoi(PQgetvalue(res, r, 1));

	memset(b, 0, sizeof(*b));
	b->status = LWBS_RADIUS_START;
	if (!col(res, r, 0, host, sizeof(host) - 1))
		return false;
	if (!strcmp(PQgetvalue(res, r, 2), "4")) {
		if (plen != 32 || inet_pton(AF_INET, host, b->ipv4) != 1)
			return false;
		b->has |= LWBS_RADIUS_HAS_IPV4;
	} else {
		if (plen < 1 || plen > 128 || inet_pton(AF_INET6, host, b->ipv6) != 1)
			return false;
		for (int i = plen; i < 128; i++)
			b->ipv6[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
		b->ipv6_plen = (uint8_t)plen;
		b->has |= LWBS_RADIUS_HAS_IPV6;
	}
	if (!col(res, r, 3, b->imsi, LWBS_RADIUS_IMSI_MAX) || !col(res, r, 4, b->msisdn, LWBS_RADIUS_MSISDN_MAX) ||
	    !col(res, r, 5, b->imeisv, LWBS_RADIUS_IMEISV_MAX) || !col(res, r, 6, b->apn, LWBS_RADIUS_APN_MAX) ||
	    !col(res, r, 7, nas, LWBS_RADIUS_STR_MAX) || !col(res, r, 8, b->session_id, LWBS_RADIUS_STR_MAX) ||
	    !col(res, r, 9, b->sgsn_mcc_mnc, LWBS_RADIUS_MCC_MNC_MAX))
		return false;
	if (inet_pton(AF_INET, nas, b->nas_ipv4) == 1)
		b->has |= LWBS_RADIUS_HAS_NAS_IPV4;
	else if (inet_pton(AF_INET6, nas, b->nas_ipv6) == 1)
		b->has |= LWBS_RADIUS_HAS_NAS_IPV6;
	else
		memcpy(b->nas_id, nas, strlen(nas) + 1);
	*updated = strtoll(PQgetvalue(res, r, 10), NULL, 10);
	return b->session_id[0] && nas[0];
}

static int load(struct lwbs_radius_pg *pg, struct lwbs_radius_table *t, size_t *rows, char *err, size_t cap)
{
	PGresult *res = PQexec(pg->conn,
			       "SELECT host(address), masklen(address), family(address), coalesce(imsi, ''), "
			       "coalesce(msisdn, ''), coalesce(imei, ''), coalesce(apn, ''), coalesce(nas, ''), "
			       "coalesce(acct_session_id, ''), coalesce(serving_plmn, ''), "
			       "(extract(epoch FROM updated_at) * 1000)::bigint "
			       "FROM radius_bindings ORDER BY acct_session_id, nas, family(address)");
	struct lwbs_radius_binding cur, b;
	enum lwbs_radius_apply how;
	int64_t cur_t = 0, t_ms;
	bool have = false;
	int r = 0;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, cap, "radius: loading radius_bindings: %s", PQresultErrorMessage(res));
		err[strcspn(err, "\n")] = 0;
		PQclear(res);
		return -EIO;
	}
	*rows = (size_t)PQntuples(res);
	for (int i = 0; i < PQntuples(res) && !r; i++) {
		if (!row_binding(res, i, &b, &t_ms))
			continue;
		/* the IPv6 row of the session whose IPv4 row came just before */
		if (have && (b.has & LWBS_RADIUS_HAS_IPV6) && !(cur.has & LWBS_RADIUS_HAS_IPV6) &&
		    !strcmp(b.session_id, cur.session_id) && lwbs_radius_same_nas(&b, &cur)) {
			memcpy(cur.ipv6, b.ipv6, 16);
			cur.ipv6_plen = b.ipv6_plen;
			cur.has |= LWBS_RADIUS_HAS_IPV6;
			continue;
		}
		if (have)
			r = lwbs_radius_table_apply(t, &cur, cur_t, &how, NULL);
		cur = b;
		cur_t = t_ms;
		have = true;
	}
	if (have && !r)
		r = lwbs_radius_table_apply(t, &cur, cur_t, &how, NULL);
	PQclear(res);
	if (r)
		snprintf(err, cap, "radius: loading radius_bindings: %s", strerror(-r));
	return r;
}

int lwbs_radius_pg_open(const char *dsn_file, struct lwbs_radius_table *t, size_t *rows,
			struct lwbs_radius_pg **out, char *err, size_t err_cap)
{
	struct lwbs_radius_pg *pg = calloc(1, sizeof(*pg));
	int r;

	if (!pg) {
		snprintf(err, err_cap, "radius: out of memory");
		return -ENOMEM;
	}
	r = connect_db(pg, dsn_file, err, err_cap);
	if (!r)
		r = load(pg, t, rows, err, err_cap);
	if (r) {
		lwbs_radius_pg_close(pg);
		return r;
	}
	*out = pg;
	return 0;
}

void lwbs_radius_pg_close(struct lwbs_radius_pg *pg)
{
	if (!pg)
		return;
	PQfinish(pg->conn);
	free(pg);
}

int lwbs_radius_pg_exec(struct lwbs_radius_pg *pg, const char *sql)
{
	PGresult *res;
	int r = 0;

	pg->err[0] = 0;
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		PQreset(pg->conn);
		if (PQstatus(pg->conn) != CONNECTION_OK) {
			set_err(pg, PQerrorMessage(pg->conn));
			return -EIO;
		}
	}
	res = PQexec(pg->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		set_err(pg, res ? PQresultErrorMessage(res) : PQerrorMessage(pg->conn));
		r = -EIO;
	}
	PQclear(res);
	return r;
}

const char *lwbs_radius_pg_error(const struct lwbs_radius_pg *pg)
{
	return pg->err;
}
