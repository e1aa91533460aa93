/* lwbs-dhcpd — private interfaces between conf.c, responder.c and main.c. */
#ifndef LWBS_DHCPD_H
#define LWBS_DHCPD_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lwbs/dhcp.h"

#define DHCPD_MAX_ADDRS 8
#define DHCPD_MAX_IFS 16
#define DHCPD_MAX_PLMNS 64
#define DHCPD_JOURNAL_PATH_MAX 1024

/* subscribers.by_plmn: home PLMN (MCC-MNC, 5 or 6 digits) -> URI. */
struct dhcpd_plmn_uri {
	char plmn[7];
	char uri[LWBS_DHCP_URI_MAX_OPTION + 1];
	size_t uri_len;
};

/* subscribers: per-subscriber URIs from lwbsd's RADIUS binding journal.
 * journal[0] == 0: off (every client gets the top-level uri). */
struct dhcpd_subs_conf {
	char journal[DHCPD_JOURNAL_PATH_MAX];
	uint32_t refresh; /* seconds between re-reads of the journal */
	struct dhcpd_plmn_uri by_plmn[DHCPD_MAX_PLMNS];
	unsigned n_plmn;
};

struct dhcpd_conf {
	struct in_addr v4[DHCPD_MAX_ADDRS];
	unsigned n_v4;
	struct in6_addr v6[DHCPD_MAX_ADDRS];
	unsigned n_v6;
	uint16_t v4_port, v6_port;
	char ifs[DHCPD_MAX_IFS][IF_NAMESIZE];
	unsigned n_ifs;
	bool v6_accept_unicast;
	int receive_buffer; /* bytes, 0 = kernel default */
	char uri[LWBS_DHCP_URI_MAX_OPTION + 1];
	size_t uri_len;
	struct lwbs_dhcp_carrier carrier;
	bool always_send;
	bool has_server_id;
	uint8_t server_id[4];
	uint8_t duid[LWBS_DHCP6_DUID_MAX];
	size_t duid_len; /* 0: derive at start-up */
	uint32_t rate;   /* requests per second per client address, 0 = off */
	uint32_t burst;
	struct dhcpd_subs_conf subs;
};

/* Fills c with the defaults of config/lwbs-dhcpd.yaml. */
void dhcpd_conf_defaults(struct dhcpd_conf *c);
/* Loads path over the defaults. On error writes "file:line:column:
 * message" into err and returns a negative code; c is then unchanged. */
int dhcpd_conf_load(const char *path, struct dhcpd_conf *c, char *err, size_t errlen);

/* Per-subscriber URI hook: given the client's address (the datagram
 * source, or ciaddr / the innermost peer-address when relayed), writes
 * the URI to use. Returns 0 and sets *uri and *len (borrowed until the next
 * call), or a negative code to fall back to the configured URI.
 * subs.c implements it over the RADIUS binding journal. */
typedef int (*dhcpd_uri_lookup_fn)(void *ctx, const struct sockaddr *client,
				   const char **uri, size_t *len);

struct dhcpd_counters {
	uint64_t received, answered, dropped_malformed, dropped_ratelimit, dropped_not_for_us;
	/* with a lookup hook: answered with the subscriber's URI / the default */
	uint64_t subscriber_hits, subscriber_misses;
};

struct dhcpd;

/* Opens the sockets of conf (copied). NULL with errno set and a message
 * in err on failure. */
struct dhcpd *dhcpd_create(const struct dhcpd_conf *conf, char *err, size_t errlen);
void dhcpd_destroy(struct dhcpd *d);
void dhcpd_set_uri_lookup(struct dhcpd *d, dhcpd_uri_lookup_fn fn, void *ctx);
/* Calls fn(ctx) from the loop every period_s seconds (0: never). */
void dhcpd_set_tick(struct dhcpd *d, uint32_t period_s, void (*fn)(void *ctx), void *ctx);
/* Runs until SIGTERM/SIGINT; SIGHUP reloads conf_path; SIGUSR1 prints
 * the counters. Returns 0 on a clean exit. */
int dhcpd_run(struct dhcpd *d, const char *conf_path);
void dhcpd_counters(const struct dhcpd *d, struct dhcpd_counters *out);

/* ---- subs.c: the binding journal followed read-only ---- */

/* Octets read per refresh at most (a few ms of local I/O); a larger
 * backlog is read over the following refreshes. */
#define DHCPD_SUBS_REFRESH_BYTES (1u << 20)

struct dhcpd_subs;

struct dhcpd_subs_stats {
	uint64_t records;  /* records applied */
	uint64_t skipped;  /* refused by the table */
	uint64_t reloads;  /* full replays (start, compaction, truncation) */
	size_t bindings;   /* in the table answering lookups */
};

/* Replays c->journal (completely) into a new table. A missing journal is
 * not an error: it is opened at a later refresh. NULL with a message in
 * err when the file is no journal or cannot be read. */
struct dhcpd_subs *dhcpd_subs_create(const struct dhcpd_subs_conf *c, char *err, size_t errlen);
void dhcpd_subs_destroy(struct dhcpd_subs *s);
/* Applies what was appended since the last call, reading at most about
 * max_bytes. A replaced (compacted) or shortened file is replayed from its
 * start into a second table that takes over once it has caught up. A torn
 * or corrupt tail is left for the next call. */
void dhcpd_subs_refresh(struct dhcpd_subs *s, size_t max_bytes);
/* dhcpd_uri_lookup_fn: client address -> binding -> 3GPP-IMSI-MCC-MNC ->
 * by_plmn URI. -ENOENT when any step has no answer. */
int dhcpd_subs_lookup(void *ctx, const struct sockaddr *client, const char **uri, size_t *len);
void dhcpd_subs_stats(const struct dhcpd_subs *s, struct dhcpd_subs_stats *out);

#endif
