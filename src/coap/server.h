/* lwbs — the CoAP front end: libcoap 4.3.1 glue between UDP or DTLS
 * datagrams, or TCP or TLS streams (RFC 8323), and the bootstrap engine
 * (include/lwbs/bootstrap.h).
 *
 * One libcoap context, integrated into the daemon's event loop as one
 * descriptor (coap_context_get_coap_fd) processed with COAP_IO_NO_WAIT.
 * Resources /bs and /bspack take every method (the engine answers 4.05 to
 * the wrong ones); other paths get libcoap's 4.04. Each Bootstrap-Request
 * gets a session object (engine session + plan hold + lifetime timer) from
 * a free list, tied to its coap_session_t with coap_session_set_app_data.
 */
#ifndef LWBS_COAP_SERVER_H
#define LWBS_COAP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "../daemon/loop.h"
#include "../daemon/metrics.h"
#include "lwbs/store.h"

/* Called when a session is over, once, with its audit record (strings
 * borrowed for the call). */
typedef void (*lwbs_coap_done_fn)(void *arg, const struct lwbs_audit_record *r);

struct lwbs_coap_opts {
	struct lwbs_loop *loop;     /* borrowed */
	struct lwbs_store *store;   /* borrowed */
	struct lwbs_metrics *metrics; /* borrowed; counters updated in place */
	lwbs_coap_done_fn done;
	void *done_arg;
	unsigned session_timeout_ms;
	unsigned max_sessions;
	/* native UDP front end: how long the empty ACK to a CON request whose
	 * answer is not ready at once is held back, so that an answer ready
	 * within it goes piggybacked (RFC 7252 §5.2.2); 0: the empty ACK at once */
	unsigned ack_delay_ms;
};

struct lwbs_coap_server;

/* Caller owns the server (lwbs_coap_server_destroy). 0 or a negative code
 * with err filled. */
int lwbs_coap_server_create(const struct lwbs_coap_opts *o, struct lwbs_coap_server **out, char *err,
			    size_t err_cap);
/* Ends every session (as timed out), frees libcoap. NULL-safe. */
void lwbs_coap_server_destroy(struct lwbs_coap_server *s);

/* Opens a UDP listener. rcvbuf: wanted SO_RCVBUF; *rcvbuf_got: what the
 * kernel granted (0 when the socket could not be found to set it). */
int lwbs_coap_server_listen(struct lwbs_coap_server *s, const struct sockaddr *addr, socklen_t len,
			    size_t rcvbuf, size_t *rcvbuf_got, char *err, size_t err_cap);

struct lwbs_srclimit_conf;

/* Limits the NoSec (udp, tcp) listeners, once, all alike: a source with
 * more than c->max sessions refused as unknown (unknown endpoint) within
 * c->window_s gets no answer for c->block_s (src/coap/srclimit.h; c->max
 * 0: no limit). DTLS and TLS are not counted: an unknown identity fails
 * the handshake (handshake_limit). 0 or -ENOMEM. */
int lwbs_coap_server_set_unknown_limit(struct lwbs_coap_server *s, const struct lwbs_srclimit_conf *c);

struct lwbs_dtls_conf;

/* Sets DTLS up (src/coap/dtls.h), once, before the first
 * lwbs_coap_server_listen_dtls(). c is copied; its files are read now. */
int lwbs_coap_server_set_dtls(struct lwbs_coap_server *s, const struct lwbs_dtls_conf *c, char *err,
			      size_t err_cap);
/* Opens a DTLS listener taking the security modes in accept (LWBS_DTLS_*
 * bits). On a DTLS session the device is looked up by its DTLS identity,
 * and a request whose ep is neither that device's endpoint name nor the
 * identity itself is refused (4.00, "endpoint does not match the DTLS
 * identity"). Otherwise as lwbs_coap_server_listen(). */
int lwbs_coap_server_listen_dtls(struct lwbs_coap_server *s, const struct sockaddr *addr, socklen_t len,
				 unsigned accept, size_t rcvbuf, size_t *rcvbuf_got, char *err, size_t err_cap);

/* Opens a CoAP over TCP listener (RFC 8323, NoSec). Requests over TCP
 * have no message type: the engine sees them as confirmable. A connection
 * closed under a running session ends it as a transport failure. */
int lwbs_coap_server_listen_tcp(struct lwbs_coap_server *s, const struct sockaddr *addr, socklen_t len,
				char *err, size_t err_cap);
/* Opens a CoAP over TLS listener (RFC 8323) with the DTLS set-up of
 * lwbs_coap_server_set_dtls(): PSK and X.509 as on a DTLS listener, the
 * same identity rules. */
int lwbs_coap_server_listen_tls(struct lwbs_coap_server *s, const struct sockaddr *addr, socklen_t len,
				unsigned accept, char *err, size_t err_cap);

/* Stops taking new sessions: new requests get 5.03. */
void lwbs_coap_server_drain(struct lwbs_coap_server *s);
/* Sessions in progress. */
size_t lwbs_coap_server_active(const struct lwbs_coap_server *s);
/* Ends every session in progress as timed out (shutdown grace over). */
void lwbs_coap_server_expire_all(struct lwbs_coap_server *s);

/* The handshake counters of its dtls/tls listeners into m (m->dtls false
 * when it has none). */
void lwbs_coap_server_metrics(const struct lwbs_coap_server *s, struct lwbs_metrics *m);

/* Routes libcoap's own messages into the daemon log at level (enum
 * lwbs_log_level) and above. */
void lwbs_coap_set_log_level(int level);

#endif
