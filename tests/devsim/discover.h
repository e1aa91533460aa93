/* lwbs-devsim — finding the Bootstrap-Server over DNS (--discover dns),
 * as a device that knows only its IMSI would (STANDARDS.md §5, docs/dns.md):
 *
 *   name  = <label>.mnc<MNC>.mcc<MCC>.<suffix>.   (lwbs_dns_plmn_name)
 *   URI   _<scheme>._udp.<name>  -> scheme://host:port   (RFC 7553)
 *   else SRV _<scheme>._udp.<name> -> target + port       (RFC 2782)
 *   then A (else AAAA) of the host when it is a name
 *
 * The record parsing and selection below are pure (unit-tested); only
 * devsim_discover() does I/O (c-ares against one DNS server). */
#ifndef DEVSIM_DISCOVER_H
#define DEVSIM_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lwbs/buf.h"

#define DEVSIM_TARGET_MAX 1024

/* One URI or SRV record. target: the URI (URI record) or the host name
 * without the trailing dot (SRV record). port: SRV only. */
struct devsim_dns_target {
	uint16_t priority, weight, port;
	char target[DEVSIM_TARGET_MAX];
};

/* Parses the presentation form of a URI record as lwbs_dns_rdata_format()
 * writes it: `10 1 "coap://host:5683"` (\" \\ and \DDD escapes). -EINVAL if
 * malformed, the target is empty or holds a NUL; -ENAMETOOLONG if the
 * target does not fit. */
int devsim_dns_uri_rr_parse(const char *rdata, struct devsim_dns_target *out);

/* Parses `10 10 5683 host.example.` (SRV). -ENOENT for the target "."
 * (RFC 2782: the service is not available there); -EINVAL if malformed or
 * the target is not a host name. */
int devsim_dns_srv_rr_parse(const char *rdata, struct devsim_dns_target *out);

/* The record to use: the lowest priority; among those the highest weight
 * (the largest share of a weighted choice); then the first in answer
 * order. -ENOENT when n is 0. */
int devsim_dns_target_pick(const struct devsim_dns_target *t, size_t n, size_t *idx);

/* A URI split for connecting: scheme lower case; host without brackets;
 * port the explicit one or the scheme's default (coap, coap+tcp: 5683;
 * coaps, coaps+tcp: 5684; other schemes need an explicit port). */
struct devsim_uri {
	char scheme[16];
	char host[256];
	uint16_t port;
	bool host_is_ip; /* IPv4 or IPv6 literal */
};

/* Parses "scheme://host[:port][/path...]". -EINVAL if malformed (no
 * scheme, empty or invalid host, userinfo, bad port, unknown scheme without
 * a port). */
int devsim_uri_parse(const char *s, struct devsim_uri *out);

/* ---- I/O ------------------------------------------------------------ */

struct devsim_discover_conf {
	const char *imsi;
	int mnc_len;          /* 2 or 3 */
	const char *dns;      /* "ADDR[:PORT]", IPv6 as "[ADDR]:PORT" */
	const char *label;    /* "bsf" */
	const char *suffix;   /* "pub.3gppnetwork.org" */
	const char *scheme;   /* "coap" or "coaps" */
	double timeout;       /* s, for all queries together */
};

/* What devsim_discover() found and how. Caller memory; release with
 * devsim_discovery_finish(). */
struct devsim_discovery {
	char uri[DEVSIM_TARGET_MAX]; /* the discovered URI, "" if none */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char reason[512];      /* why it failed */
	struct lwbs_buf steps; /* JSON array text of the queries, NUL-terminated */
};

/* Resolves the Bootstrap-Server. 0: uri and addr are set. -EINVAL: the
 * configuration is unusable (IMSI, --dns, --scheme...): reason says why, no
 * query was sent. -ENOTSUP: a URI was found whose scheme lwbs-devsim cannot
 * bootstrap with (uri set). Another negative code: discovery failed
 * (reason). steps holds the queries made in every case. */
int devsim_discover(const struct devsim_discover_conf *c, struct devsim_discovery *d);
void devsim_discovery_finish(struct devsim_discovery *d);

/* The one-line JSON report of a failed discovery, on stdout. */
void devsim_discovery_print_failure(const struct devsim_discovery *d, const char *lwm2m);

#endif
