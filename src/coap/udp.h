/* lwbs — the native CoAP-over-UDP front end (NoSec): lwbsd's own UDP
 * sockets in the daemon's event loop, the project's message codec
 * (lwbs/coapmsg.h), and the bootstrap engine (lwbs/bootstrap.h).
 *
 * Per datagram the cost does not grow with the number of peers: peers are
 * found in an open-addressing table keyed by socket, address and port;
 * retransmissions and session lifetimes are timers of the loop's heap
 * (O(log n)); idle peers (kept EXCHANGE_LIFETIME for duplicate detection,
 * at most a bounded number) leave from the head of a FIFO. Datagrams are
 * read with recvmmsg() and written with sendmmsg() in batches.
 *
 * CoAP behaviour (RFC 7252, RFC 7959):
 *  - a CON request gets a piggybacked response when the engine answers
 *    within the handler (the embedded store always does); otherwise an
 *    empty ACK at once and a separate CON response (retransmitted) later;
 *  - a duplicate CON (same peer and message id as the last request) gets
 *    the cached answer again without reaching the engine;
 *  - paths other than /bs and /bspack get 4.04, unknown critical options
 *    4.02, an empty CON (ping) an RST;
 *  - our requests are CON with a per-peer message id and a 4-byte token,
 *    retransmitted after ACK_TIMEOUT 2 s x [1, 1.5), doubling, at most 4
 *    times; RST or exhaustion is a transport error for the engine; a
 *    separate response is ACKed;
 *  - payloads above 1024 bytes go with Block1 (requests; SZX 6, or the
 *    client's smaller size) and Block2 (responses: block 0 at once, later
 *    blocks served from a copy kept with the peer).
 */
#ifndef LWBS_COAP_UDP_H
#define LWBS_COAP_UDP_H

#include <stddef.h>
#include <sys/socket.h>

#include "server.h"

struct lwbs_udp_server;

/* Caller owns the server (lwbs_udp_server_destroy); o is copied, the
 * objects it points to are borrowed. 0 or a negative code (err filled). */
int lwbs_udp_server_create(const struct lwbs_coap_opts *o, struct lwbs_udp_server **out, char *err,
			   size_t err_cap);
/* Ends every session (as timed out), closes the sockets. NULL-safe. */
void lwbs_udp_server_destroy(struct lwbs_udp_server *s);

/* Opens a UDP socket bound to addr (SO_REUSEPORT, non-blocking) and adds
 * it to the loop. rcvbuf: wanted receive buffer; *rcvbuf_got: what the
 * kernel granted (SO_RCVBUF, then SO_RCVBUFFORCE when capped). */
int lwbs_udp_server_listen(struct lwbs_udp_server *s, const struct sockaddr *addr, socklen_t len,
			   size_t rcvbuf, size_t *rcvbuf_got, char *err, size_t err_cap);

struct lwbs_identity_resolver;

/* Makes the socket opened by the last lwbs_udp_server_listen() a trusted
 * listener: a NoSec request on it is resolved through r
 * (lwbs_identity_resolve: RADIUS binding of the source address, policy,
 * store) instead of being looked up by endpoint name; a refusal ends it
 * with 4.00 and result policy, the reason name in the audit record and in
 * metrics. r is borrowed. */
void lwbs_udp_server_set_identity(struct lwbs_udp_server *s, const struct lwbs_identity_resolver *r);

struct lwbs_srclimit_conf;

/* Limits the socket opened by the last lwbs_udp_server_listen(): a source
 * with more than c->max requests refused as unknown (unknown endpoint, or
 * an identity policy refusal) within c->window_s is dropped unanswered for
 * c->block_s (src/coap/srclimit.h; c->max 0: no limit). 0 or -ENOMEM. */
int lwbs_udp_server_set_unknown_limit(struct lwbs_udp_server *s, const struct lwbs_srclimit_conf *c);

/* Stops taking new sessions: new requests get 5.03. */
void lwbs_udp_server_drain(struct lwbs_udp_server *s);
/* Sessions in progress. */
size_t lwbs_udp_server_active(const struct lwbs_udp_server *s);
/* Ends every session in progress as timed out. */
void lwbs_udp_server_expire_all(struct lwbs_udp_server *s);

#endif
