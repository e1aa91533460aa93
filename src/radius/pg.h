/* lwbs — RADIUS bindings in PostgreSQL (radius_bindings, sql/0001_init.sql).
 *
 * The database mirrors the in-memory table by address: a batch names the
 * addresses that requests touched (their own keys, the previous holders'
 * keys, and for Accounting-On/Off every binding of that NAS), and its SQL
 * writes their final state — deleted if the table no longer holds them,
 * upserted from the table otherwise — in one multi-row INSERT ... ON
 * CONFLICT and one DELETE, one transaction, one commit. A batch that fails
 * can be retried as it is: final states are idempotent.
 *
 * Rows: address (inet: IPv4, or the IPv6 prefix), imsi, msisdn, imei (the
 * IMEISV), apn, nas (NAS-IP-Address, else NAS-IPv6-Address, else
 * NAS-Identifier), acct_session_id, serving_plmn (3GPP-SGSN-MCC-MNC),
 * updated_at. Other fields (RAT, IMSI-MCC-MNC, location) are not stored and
 * are empty after a reload. Rows of one session are loaded as one binding.
 *
 * Blocking libpq: lwbsd calls exec() from its writer thread, lwbsctl
 * directly. The DSN is never logged.
 */
#ifndef LWBS_RADIUS_PG_H
#define LWBS_RADIUS_PG_H

#include <stddef.h>
#include <stdint.h>

#include "lwbs/buf.h"
#include "lwbs/radius.h"

/* Addresses touched since the last flush. */
struct lwbs_radius_pg_batch {
	struct pg_key *keys;
	size_t n, cap;
	int err; /* -ENOMEM sticks until reset */
};

void lwbs_radius_pg_batch_init(struct lwbs_radius_pg_batch *b);
void lwbs_radius_pg_batch_reset(struct lwbs_radius_pg_batch *b);
void lwbs_radius_pg_batch_finish(struct lwbs_radius_pg_batch *b);
/* Adds b's keys (IPv4 address, IPv6 prefix). */
void lwbs_radius_pg_batch_touch(struct lwbs_radius_pg_batch *batch, const struct lwbs_radius_binding *b);
/* Adds every key of src (a failed batch to retry). */
void lwbs_radius_pg_batch_merge(struct lwbs_radius_pg_batch *dst, const struct lwbs_radius_pg_batch *src);

/* Before applying rec to t: touches the keys that applying it may remove
 * (holders of its keys; for On/Off every binding of its NAS). After
 * applying, touch rec itself. */
void lwbs_radius_pg_batch_before(struct lwbs_radius_pg_batch *batch, const struct lwbs_radius_table *t,
				 const struct lwbs_radius_binding *rec);

/* The SQL writing the final state of the touched keys from t (sorted,
 * deduplicated); empty when nothing was touched. -ENOMEM. */
int lwbs_radius_pg_batch_sql(struct lwbs_radius_pg_batch *batch, const struct lwbs_radius_table *t,
			     struct lwbs_buf *sql);

struct lwbs_radius_pg;

/* Connects (first line of dsn_file; NULL: libpq's environment) and loads
 * radius_bindings into t. Caller owns the result. 0 or a negative code
 * with err filled (never the DSN). */
int lwbs_radius_pg_open(const char *dsn_file, struct lwbs_radius_table *t, size_t *rows,
			struct lwbs_radius_pg **out, char *err, size_t err_cap);
void lwbs_radius_pg_close(struct lwbs_radius_pg *pg);

/* Runs sql (one implicit transaction); reconnects first when the
 * connection was lost. 0, or -EIO with the server's message in
 * lwbs_radius_pg_error(). */
int lwbs_radius_pg_exec(struct lwbs_radius_pg *pg, const char *sql);
/* Last error message (borrowed, "" if none). */
const char *lwbs_radius_pg_error(const struct lwbs_radius_pg *pg);

#endif
