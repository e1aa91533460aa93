/* lwbs-devsim — CoAP over TCP and over TLS (RFC 8323) for the
 * single-device mode: coap+tcp:// and coaps+tcp:// servers.
 *
 * The client (client.c) speaks CoAP-over-UDP messages; this transport
 * translates them to and from RFC 8323 frames, so that one client serves
 * every transport: outgoing empty ACK/RST and retransmissions of a request
 * already sent are dropped (TCP is reliable), type and message id are
 * stripped; incoming requests become CON with a fresh message id, incoming
 * responses become piggybacked ACKs of the outstanding request. At
 * connection start each side sends its CSM (7.01); the server's is
 * accepted, a Ping (7.02) is answered with a Pong, a Release or Abort ends
 * the connection.
 *
 * The socket is non-blocking: connection, TLS handshake and writes wait
 * with poll() up to the caller's deadline, never longer.
 */
#ifndef DEVSIM_TCP_H
#define DEVSIM_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "devsim.h"

/* The Max-Message-Size devsim announces in its CSM (RFC 8323's default):
 * the server sends larger bodies block-wise. */
#define DEVSIM_TCP_MAX_MESSAGE 1152

struct devsim_tcp;

/* Over fd (a non-blocking TCP socket, connect() started, stays the
 * caller's): waits for the connection, runs TLS when o->secure (the
 * credentials of o->dtls; "handshake failed: ..." on failure), sends the
 * CSM. Gives up at stop (monotonic us). NULL with why filled on error. */
struct devsim_tcp *devsim_tcp_open(const struct devsim_opts *o, int fd, int64_t stop, char *why, size_t cap);
/* Sends one CoAP-over-UDP message of the client as a frame (or nothing,
 * see above). 0 or a negative code. */
int devsim_tcp_send(struct devsim_tcp *t, const uint8_t *p, size_t n);
/* The next message from the server as CoAP over UDP into buf: its length,
 * -EAGAIN when no complete frame is waiting, -ECONNRESET when the server
 * closed, released or aborted the connection or sent a frame that cannot
 * be parsed. */
ssize_t devsim_tcp_recv(struct devsim_tcp *t, uint8_t *buf, size_t cap);
/* The negotiated TLS suite (OpenSSL name), or NULL over plain TCP. */
const char *devsim_tcp_cipher(const struct devsim_tcp *t);
/* Whether the server's CSM has arrived. */
bool devsim_tcp_csm_seen(const struct devsim_tcp *t);
/* Closes TLS (close_notify), frees. NULL-safe. Does not close fd. */
void devsim_tcp_destroy(struct devsim_tcp *t);

#endif
