/* lwbsd — the RADIUS accounting listener (docs/radius.md).
 *
 * Receives Accounting-Requests on UDP sockets driven by the daemon's event
 * loop, checks them against the NAS list, applies their bindings to the
 * in-memory table and to the durable store — the binding journal or
 * PostgreSQL — and answers only once the change is durable: the requests
 * received in one loop iteration (or up to max_batch of them) are written
 * together by a writer thread (one fdatasync, or one transaction), then
 * all of them are answered. A failed write is retried after a second.
 *
 * Retransmissions (same source, port, Identifier and Request
 * Authenticator): an answered one gets the cached answer again without a
 * second journal record; one still being written is dropped (its answer is
 * coming). Unknown NAS or a bad authenticator: dropped, counted, logged at
 * most once per log_interval per source. Secrets are never logged.
 *
 * Loop thread only.
 */
#ifndef LWBS_RADIUS_LISTENER_H
#define LWBS_RADIUS_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lwbs/radius.h"

struct lwbs_loop;

/* One NAS (or a prefix of them) and its shared secret. The address is in
 * IPv6 form (IPv4 as ::ffff:a.b.c.d with plen + 96). */
struct lwbs_radius_nas {
	uint8_t addr[16];
	uint8_t plen;     /* 0..128 over the IPv6 form */
	char name[64];    /* as configured, for logs */
	char *secret;     /* owned by the conf; never logged */
	size_t secret_len;
};

struct lwbs_radius_listen {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char address[64]; /* as written, for logs */
	uint16_t port;
};

/* The `radius:` section of the daemon configuration. */
struct lwbs_radius_conf {
	bool enabled;
	struct lwbs_radius_listen *listen;
	size_t n_listen;
	struct lwbs_radius_nas *nas; /* first match of the longest prefix wins */
	size_t n_nas;
	char *journal;          /* binding journal path */
	char *dsn_file;         /* or PostgreSQL (radius_bindings); neither: memory only */
	unsigned log_interval_s;  /* drop logs: at most one per source per interval */
	unsigned max_batch;       /* requests per durable write; 0: 1024 */
	unsigned max_age_s;       /* lookup ignores bindings older than this; 0: never */
	size_t journal_compact;   /* rewrite the journal past this many bytes; 0: 64 MiB */
};

/* Frees what lwbs_radius_conf holds (not c itself). NULL-safe. */
void lwbs_radius_conf_clear(struct lwbs_radius_conf *c);

/* Finds the NAS for a source address (longest prefix), or NULL. */
const struct lwbs_radius_nas *lwbs_radius_conf_nas(const struct lwbs_radius_conf *c,
						   const uint8_t addr[16]);

/* Parses "192.0.2.1", "2001:db8::1", "10.0.0.0/8" or "2001:db8::/32" into
 * the IPv6 form and a prefix length over it. 0 or -EINVAL. */
int lwbs_radius_parse_prefix(const char *s, uint8_t addr[16], uint8_t *plen);

struct lwbs_radius_listener_stats {
	unsigned long long received, answered, resent, dup_dropped;
	unsigned long long unknown_nas, bad_auth, malformed, refused;
	unsigned long long applied;         /* records applied to the table */
	unsigned long long journal_records; /* of them, changes written */
	unsigned long long journal_writes, journal_errors; /* batches (fdatasync) */
	size_t bindings, table_bytes, in_flight;
};

struct lwbs_radius_listener;

/* Replays the journal into a new table, opens the sockets and registers
 * them with loop; c is borrowed and must outlive the listener. Call with
 * the loop's signals blocked (the journal writer thread must not take
 * them). Returns 0 or a negative errno with err filled. */
int lwbs_radius_listener_create(struct lwbs_loop *loop, const struct lwbs_radius_conf *c,
				struct lwbs_radius_listener **out, char *err, size_t err_cap);
/* Waits for the write in flight, answers it, then closes. NULL-safe. */
void lwbs_radius_listener_destroy(struct lwbs_radius_listener *l);

/* Hands the requests received since the last call to the journal writer
 * (or answers them at once without a journal); call once per loop
 * iteration, from the loop's hook. */
void lwbs_radius_listener_kick(struct lwbs_radius_listener *l);

/* The current binding for a packet source (IPv4, IPv4-mapped IPv6: exact;
 * IPv6: longest prefix), or NULL. now_ms is wall-clock milliseconds
 * (lwbs_loop_wall(); binding->updated is in the same unit); with
 * max_age_s set, older bindings are not returned.
 * The result is borrowed and valid until the next call into the listener
 * or the next loop iteration. */
const struct lwbs_radius_binding *lwbs_radius_listener_lookup(struct lwbs_radius_listener *l,
							      const struct sockaddr *src, int64_t now_ms);

/* The same as a lwbs_identity_binding_fn (include/lwbs/identity.h): arg is
 * the listener, now wall-clock ms (the unit of binding->updated here);
 * 0 and a copy in *out, or -ENOENT. */
int lwbs_radius_listener_binding(void *arg, const struct sockaddr *src, int64_t now,
				 struct lwbs_radius_binding *out);

void lwbs_radius_listener_stats(const struct lwbs_radius_listener *l,
				struct lwbs_radius_listener_stats *out);

#endif
