/* lwbs — auto-enrolment in the PostgreSQL store (internal to src/store:
 * pg.c queues an enrolment like a lookup; this file holds its SQL).
 *
 * An enrolment is two statements on one connection: pg_enrol_send()'s
 * INSERT, which picks the first fitting template (the semantics of
 * lwbs_prov_template_find) and creates the device and its identities
 * with ON CONFLICT (endpoint) DO NOTHING, in one statement and so one
 * transaction; then the ordinary lookup by endpoint, a separate statement
 * that sees the row another lwbsd committed first. Two first bootstraps of
 * one device therefore end with one device, both answered with it. */
#ifndef LWBS_STORE_PG_ENROL_H
#define LWBS_STORE_PG_ENROL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "lwbs/store.h"

/* An enrolment's strings, copied: they live in the memory given to
 * pg_enrol_copy (the caller's request, freed with it). */
struct pg_enrol {
	const char *ident[LWBS_IDENT_COUNT]; /* ENDPOINT; IMSI, MSISDN, IMEI or NULL */
	const char *plmn, *apn;              /* or NULL */
	bool inserted; /* the INSERT has answered: the lookup follows */
};

/* Bytes pg_enrol_copy needs for e (struct and strings). */
size_t pg_enrol_size(const struct lwbs_store_enrolment *e);
/* Copies e into mem (pg_enrol_size(e) bytes, aligned for a pointer). */
struct pg_enrol *pg_enrol_copy(void *mem, const struct lwbs_store_enrolment *e);

/* Sends the INSERT on pg (non-blocking). 0, or -ECONNRESET. */
int pg_enrol_send(PGconn *pg, const struct pg_enrol *en);

/* The INSERT's result: 1 a template fitted (the device exists now, made by
 * this statement or by another session), 0 none fitted, or -EEXIST (an
 * identity belongs to another device), -ETIMEDOUT (statement_timeout),
 * -EIO (other server errors; r NULL included), -EBADMSG. */
int pg_enrol_result(PGresult *r);

/* The device the lookup by endpoint found (row of r, IMSI, MSISDN and
 * IMEI as written in columns col_imsi..col_imsi+2) is the one enrolled:
 * 0, or -EEXIST when its identities differ (the endpoint belongs to
 * another device). */
int pg_enrol_check(const struct pg_enrol *en, PGresult *r, int row, int col_imsi);

#endif
