/* lwbs — the bootstrap engine (sans-I/O).
 *
 * One struct lwbs_bs_session per client session. The front end feeds it
 * events (a /bs or /bspack request arrived, the store answered, a response to
 * one of our requests arrived, the session timed out, the transport failed)
 * with lwbs_bs_handle(), then drains the actions it produced with
 * lwbs_bs_poll() until that returns false: respond to the client's request,
 * look the device up in the store, send a request (Discover, Read, Delete,
 * Write, Finish), or finish with a result.
 *
 * The engine never touches a socket, a clock, a log or the store; it holds
 * at most one request of its own outstanding (NSTART = 1). Block-wise
 * transfer of large payloads is the front end's business.
 */
#ifndef LWBS_BOOTSTRAP_H
#define LWBS_BOOTSTRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwbs/codec.h"
#include "lwbs/model.h"
#include "lwbs/node.h"
#include "lwbs/path.h"

/* CoAP codes as the byte on the wire: class << 5 | detail. */
#define LWBS_COAP_CODE(c, d) (((c) << 5) | (d))
#define LWBS_COAP_GET 1
#define LWBS_COAP_POST 2
#define LWBS_COAP_PUT 3
#define LWBS_COAP_DELETE 4
#define LWBS_COAP_CREATED LWBS_COAP_CODE(2, 1)
#define LWBS_COAP_DELETED LWBS_COAP_CODE(2, 2)
#define LWBS_COAP_CHANGED LWBS_COAP_CODE(2, 4)
#define LWBS_COAP_CONTENT LWBS_COAP_CODE(2, 5)
#define LWBS_COAP_BAD_REQUEST LWBS_COAP_CODE(4, 0)
#define LWBS_COAP_UNAUTHORIZED LWBS_COAP_CODE(4, 1)
#define LWBS_COAP_FORBIDDEN LWBS_COAP_CODE(4, 3)
#define LWBS_COAP_NOT_FOUND LWBS_COAP_CODE(4, 4)
#define LWBS_COAP_METHOD_NOT_ALLOWED LWBS_COAP_CODE(4, 5)
#define LWBS_COAP_NOT_ACCEPTABLE LWBS_COAP_CODE(4, 6)
#define LWBS_COAP_REQUEST_TOO_LARGE LWBS_COAP_CODE(4, 13)
#define LWBS_COAP_UNSUPPORTED_CF LWBS_COAP_CODE(4, 15)
#define LWBS_COAP_INTERNAL_ERROR LWBS_COAP_CODE(5, 0)
#define LWBS_COAP_NOT_IMPLEMENTED LWBS_COAP_CODE(5, 1)
#define LWBS_COAP_SERVICE_UNAVAILABLE LWBS_COAP_CODE(5, 3)

/* What the store gives the engine for one device: everything the session
 * writes. Immutable and shared between sessions; the store keeps it alive
 * for as long as a session holds it (see store.h). */
struct lwbs_bs_plan {
	const char *endpoint; /* canonical endpoint name of the device */

	/* Instances to write, absolute paths, ROOT node. Security instances
	 * carry provisional ids: with auto_security_iid the engine renumbers
	 * them (and OSCORE instances, fixing /0/x/17 links) after Discover so
	 * that the client's Bootstrap-Server account is never overwritten. */
	const struct lwbs_node *objects;

	/* Bootstrap-Delete paths, sent in this order before any write
	 * (typically "/0" and "/1", or "/"). */
	const struct lwbs_path *deletes;
	size_t n_deletes;

	bool discover;          /* Bootstrap-Discover "/" first (default true) */
	bool auto_security_iid; /* renumber /0 (and /21) instances after Discover */
	bool read_existing;     /* 1.1+: Bootstrap-Read /1 and /2 before writing */
	bool keep_existing;     /* keep the client's other accounts: ids avoid all existing
				 * instances and ACL entries are merged (needs read_existing) */
	bool write_per_object;  /* one PUT /OID per object instead of one PUT per instance */
	bool allow_pack;        /* answer Bootstrap-Pack-Request (else 4.05) */
	int content_format;     /* LWBS_CF_NONE = the client's pct, else by version */
};

enum lwbs_bs_result {
	LWBS_BS_RUNNING = 0,
	LWBS_BS_OK,                  /* Finish answered 2.04 */
	LWBS_BS_PACK_OK,             /* Bootstrap-Pack delivered */
	LWBS_BS_REFUSED_BAD_REQUEST, /* malformed /bs request (query, payload, method) */
	LWBS_BS_REFUSED_NON_CON,     /* Bootstrap-Request not Confirmable */
	LWBS_BS_REFUSED_UNKNOWN_EP,  /* no such device */
	LWBS_BS_REFUSED_PCT,         /* pct not supported (4.15) */
	LWBS_BS_REFUSED_ACCEPT,      /* Pack Accept not supported (4.06) */
	LWBS_BS_REFUSED_PACK,        /* Pack not allowed for this device (4.05) */
	LWBS_BS_REFUSED_POLICY,      /* identity/policy refusal supplied with the plan */
	LWBS_BS_REFUSED_BLOCKED,     /* the front end blocked the source (too many refused
	                              * as unknown); never a result of the engine */
	LWBS_BS_REFUSED_HANDSHAKE,   /* the DTLS/TLS handshake failed (unknown identity,
	                              * wrong key, certificate); never a result of the engine */
	LWBS_BS_FAIL_DISCOVER,       /* Discover failed or its answer was unusable */
	LWBS_BS_FAIL_READ,
	LWBS_BS_FAIL_DELETE,
	LWBS_BS_FAIL_WRITE,
	LWBS_BS_FAIL_FINISH,         /* Finish answered with an error (e.g. 4.06) */
	LWBS_BS_FAIL_TIMEOUT,        /* session lifetime exceeded */
	LWBS_BS_FAIL_TRANSPORT,      /* request not delivered (retransmissions exhausted, reset) */
	LWBS_BS_FAIL_STORE,          /* store error */
	LWBS_BS_FAIL_PLAN,           /* plan cannot be encoded or fails validation */
	LWBS_BS_FAIL_SUPERSEDED,     /* the client started a new Bootstrap-Request */
	LWBS_BS_RESULT_COUNT,
};

/* Stable machine-readable name ("ok", "unknown_endpoint", "timeout", ...). */
const char *lwbs_bs_result_name(enum lwbs_bs_result r);
bool lwbs_bs_result_is_refusal(enum lwbs_bs_result r);

enum lwbs_bs_event_kind {
	LWBS_BS_EV_REQUEST,      /* POST /bs arrived (or another method on /bs) */
	LWBS_BS_EV_PACK_REQUEST, /* request on /bspack arrived */
	LWBS_BS_EV_PLAN,         /* answer to a LOOKUP action */
	LWBS_BS_EV_RESPONSE,     /* response to our SEND action */
	LWBS_BS_EV_TIMEOUT,      /* session lifetime exceeded */
	LWBS_BS_EV_TRANSPORT_ERROR, /* our request could not be delivered */
};

struct lwbs_bs_event {
	enum lwbs_bs_event_kind kind;
	union {
		struct { /* REQUEST, PACK_REQUEST */
			int method;              /* LWBS_COAP_GET/POST/... */
			bool confirmable;
			const char *const *queries; /* Uri-Query option values, NUL-terminated */
			size_t n_queries;
			int accept;              /* Accept option or LWBS_CF_NONE */
			size_t payload_len;
			/* Identity authenticated by the transport (PSK identity,
			 * certificate name) or NULL (NoSec). When the client omits
			 * ep (1.1+), it is taken from here. */
			const char *identity;
		} req;
		struct { /* PLAN */
			const struct lwbs_bs_plan *plan; /* NULL: unknown endpoint (or refused) */
			int store_err;                   /* non-zero: store failed */
			/* Set by the identity/policy layer to refuse a known device:
			 * the engine answers 4.00 with result REFUSED_POLICY. Static text. */
			const char *refusal;
		} plan;
		struct { /* RESPONSE */
			int code;            /* CoAP code byte */
			int content_format;  /* or LWBS_CF_NONE */
			const uint8_t *payload;
			size_t payload_len;
		} rsp;
	} u;
};

enum lwbs_bs_action_kind {
	LWBS_BS_ACT_RESPOND, /* answer the client's /bs or /bspack request */
	LWBS_BS_ACT_LOOKUP,  /* ask the store for the plan; answer with EV_PLAN */
	LWBS_BS_ACT_SEND,    /* send a confirmable request to the client */
	LWBS_BS_ACT_DONE,    /* the session is over; see lwbs_bs_info() */
};

struct lwbs_bs_action {
	enum lwbs_bs_action_kind kind;
	/* RESPOND: code, content_format (LWBS_CF_NONE: none), payload
	 * (diagnostic text for errors, the Pack for 2.05).
	 * SEND: method, path, content_format, accept, payload.
	 * LOOKUP: endpoint (NULL when the client gave none and no identity),
	 * identity.
	 * Pointers stay valid until the next lwbs_bs_handle() call. */
	int code;
	int method;
	struct lwbs_path path;
	int content_format;
	int accept;
	const uint8_t *payload;
	size_t payload_len;
	const char *endpoint;
	const char *identity;
};

struct lwbs_bs_opts {
	/* Largest Bootstrap-Request payload accepted (it should be empty). */
	size_t max_request_payload;
	/* Upper bound for one encoded write payload (default 64 KiB). */
	size_t max_write_payload;
};

struct lwbs_bs_session;

/* Caller owns the session; NULL on allocation failure. opts may be NULL. */
struct lwbs_bs_session *lwbs_bs_session_create(const struct lwbs_bs_opts *opts);
/* NULL-safe. Does not release the plan: the caller does that after DONE. */
void lwbs_bs_session_destroy(struct lwbs_bs_session *s);
/* Makes the session reusable for a new client without freeing memory. */
void lwbs_bs_session_reset(struct lwbs_bs_session *s);

/* Consumes one event. Returns 0, or a negative code when the event does
 * not fit the state (e.g. a RESPONSE with nothing outstanding): the event is
 * ignored and the session is unchanged. */
int lwbs_bs_handle(struct lwbs_bs_session *s, const struct lwbs_bs_event *ev);
/* Next action produced by the events so far; false when there is none. */
bool lwbs_bs_poll(struct lwbs_bs_session *s, struct lwbs_bs_action *out);

struct lwbs_bs_info {
	const char *endpoint;       /* NULL until known */
	enum lwbs_bs_result result; /* RUNNING until DONE */
	const char *reason;         /* human text for the result; NUL-terminated */
	const char *diagnostic;     /* client's diagnostic payload on an error answer, or NULL */
	int last_code;              /* code of the answer that ended the session, or 0 */
	struct lwbs_path last_path; /* path of the request that failed */
	enum lwbs_version version;  /* from Discover (or pct) ; 0 if unknown */
	int content_format;         /* format used for writes, or LWBS_CF_NONE */
	unsigned requests_sent;     /* our requests (Discover, Read, Delete, Write, Finish) */
	bool pack;
	const struct lwbs_bs_plan *plan; /* the plan in use, or NULL */
};

void lwbs_bs_info(const struct lwbs_bs_session *s, struct lwbs_bs_info *out);

/* Pure helper: parse a Bootstrap-Request query list. ep and pct are
 * optional; unknown parameters are ignored. Returns 0, LWBS_ESYNTAX
 * (malformed, duplicate, non-numeric pct, empty ep). */
int lwbs_bs_parse_query(const char *const *queries, size_t n, const char **ep, size_t *ep_len, int *pct);

#endif
