/* lwbsd — counters, and a tiny Prometheus text endpoint served from the
 * event loop (non-blocking; one short HTTP/1.0 answer per connection). */
#ifndef LWBSD_METRICS_H
#define LWBSD_METRICS_H

#include <sys/socket.h>

#include "loop.h"
#include "lwbs/bootstrap.h"
#include "lwbs/buf.h"
#include "lwbs/identity.h"
#include "../radius/listener.h"

struct lwbs_metrics {
	unsigned long long results[LWBS_BS_RESULT_COUNT]; /* finished sessions by result */
	unsigned long long requests_in;  /* /bs and /bspack requests received */
	unsigned long long responses_in; /* responses to our requests */
	unsigned long long requests_out; /* our requests (Discover, Write, ...) */
	unsigned long long nacks;        /* our requests not delivered */
	unsigned long long store_lookups, store_errors;
	unsigned long long reloads, reload_failures;
	unsigned long long busy_refusals; /* 5.03: max_sessions reached or shutting down */
	/* NoSec requests dropped because their source is blocked (unknown_limit) */
	unsigned long long blocked_drops;
	/* trusted listeners: NoSec requests refused by the identity policy, by reason */
	unsigned long long identity_refusals[LWBS_IDENTITY_REASON_COUNT];
	/* gauges, filled by the refresh callback */
	unsigned long long sessions_active;
	unsigned long long audit_depth, audit_written, audit_errors;
	/* DTLS/TLS handshakes (when a dtls or tls listener exists) */
	bool dtls;
	unsigned long long dtls_handshake_failures, dtls_blocked_sources, dtls_blocked_datagrams;
	/* the RADIUS accounting listener (radius: section), when there is one */
	bool radius;
	struct lwbs_radius_listener_stats radius_st;
};

typedef void (*lwbs_metrics_refresh_fn)(void *arg, struct lwbs_metrics *m);

/* Prometheus text exposition of m. */
void lwbs_metrics_render(const struct lwbs_metrics *m, struct lwbs_buf *out);

struct lwbs_metrics_server;

/* Listens on addr; each GET gets the current counters (refresh runs first).
 * Caller owns the server (lwbs_metrics_server_destroy). m is borrowed. */
int lwbs_metrics_server_create(struct lwbs_loop *loop, const struct sockaddr *addr, socklen_t len,
			       struct lwbs_metrics *m, lwbs_metrics_refresh_fn refresh, void *arg,
			       struct lwbs_metrics_server **out);
void lwbs_metrics_server_destroy(struct lwbs_metrics_server *s);

#endif
