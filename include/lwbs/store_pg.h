/* lwbs — the PostgreSQL store: devices and profiles as `lwbsctl provision
 * apply` writes them (docs/postgres.md), looked up asynchronously through
 * a small pool of libpq connections, and session audit records written to
 * session_audit.
 *
 * Nothing here blocks: every connection is non-blocking and driven from
 * the caller's event loop through three hooks.
 *
 *   lwbs_store_pg_fds()      the fds to watch and their events (POLLIN,
 *                            POLLOUT; equal to EPOLLIN, EPOLLOUT), one per
 *                            connection that has a socket;
 *   lwbs_store_pg_process()  call when any of them is ready or when the
 *                            timeout below has passed; it finds out which
 *                            sockets are ready by itself (poll with a zero
 *                            timeout), so a spurious call is harmless;
 *   lwbs_store_pg_next_timeout_ms()  the milliseconds until process() is
 *                            due anyway (reconnect backoff, connect and
 *                            queue deadlines), or -1 for none.
 *
 * The set of fds and their events may change after any call into the
 * store (lookup, audit, release, reload, process): the loop fetches the
 * list again after each turn and updates its watches (an fd may be closed
 * and its number reused by the next connection). Times are CLOCK_MONOTONIC
 * milliseconds (lwbs_store_pg_now_ms()).
 *
 * Lookups: store.h's lookup() returns 0 and the callback runs later from
 * process(), or at once with -EBUSY when the queue of pending lookups is
 * full, -ENOTCONN when every connection is down and has failed since its
 * last success, or 0 and a NULL plan for a value that cannot match. A
 * lookup sent on a connection that drops fails with -ECONNRESET; one that
 * waits longer than lookup_timeout_ms in the queue with -ETIMEDOUT, one
 * the server cancels (statement_timeout) with -ETIMEDOUT, other server
 * errors with -EIO, stored documents the loader refuses with -EBADMSG.
 * A dropped connection reconnects after 100 ms, doubling up to 5 s.
 * A connection that becomes idle takes the queued lookups of the first
 * one's kind (up to 128) and sends them as one statement: under load the
 * database's cost per statement is paid once per batch. A batch fails or
 * times out as a whole.
 *
 * Enrolment: enrol() (store.h) is queued, bounded and answered like a
 * lookup; the device is committed before the plan is answered, 0 and a
 * NULL plan when no template fits, -EEXIST when its endpoint or one of
 * its identities belongs to another device (docs/identity.md).
 *
 * Plans are built by the embedded store's code from the stored documents:
 * one plan per profile, cached by the profile's id, updated_at and hashes,
 * shared by every device without overrides; a device with overrides gets
 * its own plan, freed when its hold is released. reload() empties the
 * cache (plans in use stay valid until released).
 *
 * Audit: audit() returns 0 and queues the record (a batch is sent once it
 * holds 64 records or its oldest has waited 10 ms; its callback runs after
 * the INSERT of the batch holding it committed: 0, or -ECONNRESET / -EIO
 * when the batch failed, in which case it may or may not be stored), or
 * returns -EBUSY (queue full) without calling back. Queued records wait
 * across reconnects. The columns transport, version, format, diagnostic
 * and requests of struct lwbs_audit_record have no column in schema 1 and
 * are not stored.
 *
 * Destroy only once lwbs_store_pg_pending() is 0 if answers matter:
 * destroy() closes the connections and drops queued and in-flight work
 * without calling back. Every hold must be released before destroy().
 * Callbacks may call lookup(), audit() and release() but not destroy().
 * Single-threaded. The DSN and password are never logged and never in
 * last_error (libpq's messages do not carry them).
 */
#ifndef LWBS_STORE_PG_H
#define LWBS_STORE_PG_H

#include <stddef.h>
#include <stdint.h>

#include "lwbs/store.h"

struct lwbs_store_pg_config {
	const char *dsn;           /* libpq connection string; NULL: read dsn_file */
	const char *dsn_file;      /* first line is the connection string; NULL and no dsn:
				    * libpq's environment (PGHOST, PGSERVICE, ~/.pgpass ...) */
	const char *password_file; /* first line is the password; NULL: none (libpq's own) */
	unsigned pool_size;        /* connections; 0: 4 */
	unsigned queue_max;        /* lookups waiting for a connection; 0: 1024 */
	unsigned audit_queue_max;  /* audit records waiting; 0: 10000 */
	unsigned statement_timeout_ms; /* server side, per statement; 0: 2000 */
	unsigned connect_timeout_ms;   /* one connection attempt; 0: 5000 */
	unsigned lookup_timeout_ms;    /* waiting in the queue; 0: 5000 */
};

/* Reads the files and checks the DSN's syntax, then starts connecting (it
 * does not wait). Returns the store (lwbs_store_destroy()) or NULL with
 * err filled. */
struct lwbs_store *lwbs_store_pg_create(const struct lwbs_store_pg_config *cfg, char *err, size_t err_cap);

struct lwbs_store_pg_fd {
	int fd;
	short events; /* POLLIN | POLLOUT */
};

/* Fills out[0..cap) and returns the number of fds (at most pool_size). */
size_t lwbs_store_pg_fds(struct lwbs_store *s, struct lwbs_store_pg_fd *out, size_t cap);

/* Reads, writes, connects, reconnects, expires and dispatches; runs the
 * callbacks that became due. */
void lwbs_store_pg_process(struct lwbs_store *s, int64_t now_ms);

/* Milliseconds until process() is due (0: now), or -1: only on fd events. */
int lwbs_store_pg_next_timeout_ms(struct lwbs_store *s, int64_t now_ms);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t lwbs_store_pg_now_ms(void);

struct lwbs_store_pg_stats {
	unsigned pool, connected;
	unsigned queued_lookups, queued_audits, in_flight;
	uint64_t lookups, cache_hits, cache_misses, failures, reconnects, audits_written;
	uint64_t lookup_statements; /* statements sent for lookups: one per batch */
	const char *last_error; /* the last connection or server error, "" if none; borrowed */
};

void lwbs_store_pg_stats(struct lwbs_store *s, struct lwbs_store_pg_stats *out);

/* Lookups and audit records queued or in flight. */
size_t lwbs_store_pg_pending(struct lwbs_store *s);

#endif
