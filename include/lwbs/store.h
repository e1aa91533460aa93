/* lwbs — the store interface: where devices, profiles and (later) RADIUS
 * bindings and audit records live. One vtable, two backends: embedded (YAML
 * files loaded into memory, the default) and PostgreSQL (asynchronous).
 *
 * A lookup answers through a callback, which the embedded backend may call
 * before lookup() returns and the PostgreSQL backend calls later from the
 * event loop. A plan handed to the callback stays valid until the caller
 * gives its hold back with lwbs_store_release(), even across a reload.
 */
#ifndef LWBS_STORE_H
#define LWBS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwbs/bootstrap.h"

enum lwbs_ident_kind {
	LWBS_IDENT_ENDPOINT = 0,
	LWBS_IDENT_IMSI,
	LWBS_IDENT_MSISDN,
	LWBS_IDENT_IMEI,
	LWBS_IDENT_PSK_ID,
	LWBS_IDENT_CERT_SUBJECT,
	LWBS_IDENT_COUNT,
};

const char *lwbs_ident_kind_name(enum lwbs_ident_kind k);

struct lwbs_store_query {
	enum lwbs_ident_kind kind;
	const char *value; /* borrowed for the duration of lookup() */
	size_t len;
};

struct lwbs_store;
struct lwbs_store_hold; /* keeps one plan (and its snapshot) alive */

/* err: 0 and plan set (device found), 0 and plan NULL (not found), or a
 * negative code (store failure). */
typedef void (*lwbs_store_lookup_fn)(void *arg, int err, const struct lwbs_bs_plan *plan,
				     struct lwbs_store_hold *hold);

/* One session's audit record (strings borrowed for the call). */
struct lwbs_audit_record {
	int64_t start_ms, end_ms; /* wall clock, milliseconds since the epoch */
	const char *endpoint;     /* may be NULL */
	const char *peer;         /* "addr:port" */
	const char *transport;    /* "udp", "dtls", ... */
	const char *version;      /* "1.1" or NULL */
	const char *format;       /* "senml+cbor" or NULL */
	const char *result;       /* lwbs_bs_result_name() */
	const char *reason;
	const char *diagnostic;   /* may be NULL */
	unsigned requests;
};

typedef void (*lwbs_store_done_fn)(void *arg, int err);

/* An unknown device to enrol from a template (strings borrowed for the
 * call; docs/identity.md). */
struct lwbs_store_enrolment {
	const char *ident[LWBS_IDENT_COUNT]; /* ENDPOINT required; IMSI, MSISDN, IMEI as known */
	const char *plmn; /* home MCC+MNC (3GPP-IMSI-MCC-MNC) or NULL */
	const char *apn;  /* or NULL */
};

struct lwbs_store_ops {
	const char *name;
	int (*lookup)(struct lwbs_store *s, const struct lwbs_store_query *q, lwbs_store_lookup_fn cb, void *arg);
	void (*release)(struct lwbs_store *s, struct lwbs_store_hold *h);
	/* Appends an audit record; cb runs once it is durable (per the
	 * backend's fsync policy). */
	int (*audit)(struct lwbs_store *s, const struct lwbs_audit_record *r, lwbs_store_done_fn cb, void *arg);
	/* Re-reads provisioning data; on failure the old data stays. */
	int (*reload)(struct lwbs_store *s, char *err, size_t err_cap);
	void (*destroy)(struct lwbs_store *s);
	/* Creates the device from the first template that fits, durably,
	 * then answers like lookup (plan NULL: no template fits). NULL when
	 * the backend does not enrol. */
	int (*enrol)(struct lwbs_store *s, const struct lwbs_store_enrolment *e, lwbs_store_lookup_fn cb, void *arg);
};

struct lwbs_store {
	const struct lwbs_store_ops *ops;
};

static inline int lwbs_store_lookup(struct lwbs_store *s, const struct lwbs_store_query *q,
				    lwbs_store_lookup_fn cb, void *arg)
{
	return s->ops->lookup(s, q, cb, arg);
}

static inline void lwbs_store_release(struct lwbs_store *s, struct lwbs_store_hold *h)
{
	if (s && h)
		s->ops->release(s, h);
}

static inline void lwbs_store_destroy(struct lwbs_store *s)
{
	if (s)
		s->ops->destroy(s);
}

#endif
