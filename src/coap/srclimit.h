/* lwbs — a per-source limit: a source address with more than max events
 * within window_s seconds is blocked for block_s seconds. The CoAP front
 * ends count NoSec requests refused as unknown with it (unknown_limit,
 * docs/lwbsd.md) so that one noisy source cannot starve the others.
 *
 * Pure: the caller passes the clock (monotonic milliseconds); no I/O, no
 * logging. Sources are keyed by address (never port: a client picks its
 * port freely); an IPv4-mapped IPv6 address is its IPv4 address. The table
 * is fixed (LWBS_SRCLIMIT_SLOTS sources, a few probes each): when the
 * probed slots are all in use, the oldest window that is not blocked gives
 * way, so a flood of new sources never unblocks a blocked one.
 */
#ifndef LWBS_COAP_SRCLIMIT_H
#define LWBS_COAP_SRCLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define LWBS_SRCLIMIT_SLOTS 4096

struct lwbs_srclimit_conf {
	unsigned max;      /* events allowed per window; 0: no limit */
	unsigned window_s; /* >= 1 */
	unsigned block_s;  /* >= 1 */
};

struct lwbs_srclimit;

/* c is copied. Caller owns the limit (lwbs_srclimit_destroy); NULL when out
 * of memory. */
struct lwbs_srclimit *lwbs_srclimit_create(const struct lwbs_srclimit_conf *c);
/* NULL-safe. */
void lwbs_srclimit_destroy(struct lwbs_srclimit *l);

/* Counts one event from addr at now; true when this blocks the source
 * (the event that goes over max; events of a blocked source count for
 * nothing). */
bool lwbs_srclimit_note(struct lwbs_srclimit *l, const struct sockaddr *addr, int64_t now);
/* Takes one event of addr's current window back (a handshake counted by
 * note that completed): the count is then of events not taken back. */
void lwbs_srclimit_credit(struct lwbs_srclimit *l, const struct sockaddr *addr, int64_t now);
/* Whether addr is blocked at now. */
bool lwbs_srclimit_blocked(const struct lwbs_srclimit *l, const struct sockaddr *addr, int64_t now);
/* The limit as given to lwbs_srclimit_create (borrowed while l lives). */
const struct lwbs_srclimit_conf *lwbs_srclimit_conf(const struct lwbs_srclimit *l);

/* The IP address of a (without port) into k: its length (4 or 16; an
 * IPv4-mapped IPv6 address is its IPv4 address) with *family 4 or 6, or 0
 * when a is neither IPv4 nor IPv6. */
size_t lwbs_srclimit_addr_key(const struct sockaddr *a, uint8_t k[16], uint8_t *family);

#endif
