/* lwbs — 3GPP PLMN names and DNS zone generation for finding the bootstrap
 * server (STANDARDS.md §5).
 *
 * Pure: no I/O, no clock, no logging. The caller passes today's date into
 * the serial logic and writes the rendered text where it wants.
 *
 *   name  = <label>.mnc<MNC, 3 digits>.mcc<MCC>.<suffix>
 *   zones = one per PLMN (apex = that name) or one combined (apex = suffix)
 */
#ifndef LWBS_DNS_H
#define LWBS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwbs/arena.h"
#include "lwbs/buf.h"

/* Presentation-format domain name, with the trailing dot and NUL. */
#define LWBS_DNS_NAME_MAX 256

enum {
	LWBS_DNS_T_A = 1,
	LWBS_DNS_T_NS = 2,
	LWBS_DNS_T_SOA = 6,
	LWBS_DNS_T_TXT = 16,
	LWBS_DNS_T_AAAA = 28,
	LWBS_DNS_T_SRV = 33,
	LWBS_DNS_T_URI = 256,
};

/* ---- PLMN (dns/plmn.c) ---------------------------------------------- */

struct lwbs_dns_plmn {
	char mcc[4]; /* 3 digits */
	char mnc[4]; /* 2 or 3 digits, as significant */
};

/* mcc: 3 digits; mnc: 2 or 3 digits; mnc_len: 0 (take mnc's length) or
 * 2/3 (must equal it). -EINVAL on any violation. */
int lwbs_dns_plmn_set(struct lwbs_dns_plmn *out, const char *mcc, const char *mnc, int mnc_len);
/* From an IMSI (6..15 digits) and the MNC length (2 or 3), which the IMSI
 * digits do not tell (TS 23.003 §2.2). */
int lwbs_dns_plmn_from_imsi(struct lwbs_dns_plmn *out, const char *imsi, int mnc_len);
/* From a 3GPP-IMSI-MCC-MNC value: 5 or 6 digits, "26201", "310410". */
int lwbs_dns_plmn_from_mccmnc(struct lwbs_dns_plmn *out, const char *mccmnc);
/* "mnc015.mcc234" into out[cap]; -ENOBUFS if it does not fit. */
int lwbs_dns_plmn_domain(const struct lwbs_dns_plmn *p, char *out, size_t cap);
/* "<label>.mnc015.mcc234.<suffix>." (FQDN, trailing dot). label may be
 * NULL or "" (no label); suffix without a trailing dot or with one. */
int lwbs_dns_plmn_name(const struct lwbs_dns_plmn *p, const char *label, const char *suffix,
		       char *out, size_t cap);

/* Checks a host name (LDH labels of 1..63, total <= 253, optional trailing
 * dot; "" is rejected). 0 or -EINVAL. */
int lwbs_dns_name_check(const char *name);

/* ---- Input model (filled by dns/zone_input.c) ------------------------ */

enum lwbs_dns_scheme {
	LWBS_DNS_COAP,       /* _coap._udp  5683 */
	LWBS_DNS_COAPS,      /* _coaps._udp 5684 */
	LWBS_DNS_COAP_TCP,   /* _coap._tcp  5683 */
	LWBS_DNS_COAPS_TCP,  /* _coaps._tcp 5684 */
};

enum lwbs_dns_layout {
	LWBS_DNS_PER_PLMN,
	LWBS_DNS_COMBINED,
};

struct lwbs_dns_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t bytes[16];
};

struct lwbs_dns_service {
	enum lwbs_dns_scheme scheme;
	uint16_t port, priority, weight;
};

/* A name server. name ends in '.' when absolute, else it is relative to
 * each zone's apex (and then in-zone: it needs addresses, written as glue). */
struct lwbs_dns_ns {
	const char *name;
	struct lwbs_dns_addr *addrs;
	size_t n_addrs;
};

struct lwbs_dns_ttls {
	uint32_t dflt, address, srv, uri, txt, ns;
};

struct lwbs_dns_soa {
	const char *mname, *rname; /* absolute ('.') or relative to the apex */
	uint32_t refresh, retry, expire, minimum;
};

/* Everything points into the arena the parser was handed. */
struct lwbs_dns_input {
	const char *label;  /* "bsf" */
	const char *suffix; /* "pub.3gppnetwork.org", no trailing dot */
	enum lwbs_dns_layout layout;
	struct lwbs_dns_ttls ttl;
	struct lwbs_dns_soa soa;
	struct lwbs_dns_ns *ns;
	size_t n_ns;
	struct lwbs_dns_addr *addrs;
	size_t n_addrs;
	struct lwbs_dns_service *services;
	size_t n_services;
	const char **txt;
	size_t n_txt;
	struct lwbs_dns_plmn *plmns;
	size_t n_plmns;
};

/* Where an input error is, and what it is. line/column are 1-based
 * (0 when unknown); text is "file:line:column: message". */
struct lwbs_dns_diag {
	unsigned line, column;
	char text[384];
};

/* Parses the PLMN YAML document text[0..len). file names the input in
 * diagnostics. Allocates from a. On error returns a negative code and fills
 * diag (if not NULL); *out is written only on success. */
int lwbs_dns_input_parse(const char *text, size_t len, const char *file, struct lwbs_arena *a,
			 struct lwbs_dns_input *out, struct lwbs_dns_diag *diag);

/* ---- Zones (dns/zone.c) ---------------------------------------------- */

/* One resource record other than SOA. owner is an FQDN with trailing dot,
 * lower case; rdata is in presentation form, names absolute, exactly as
 * lwbs_dns_rdata_format() writes the same data taken from the wire. */
struct lwbs_dns_rr {
	const char *owner;
	uint16_t type;
	uint32_t ttl;
	const char *rdata;
};

const char *lwbs_dns_type_name(uint16_t type);
/* SRV/URI owner prefix of a scheme: "_coaps._udp". */
const char *lwbs_dns_scheme_owner(enum lwbs_dns_scheme s);
const char *lwbs_dns_scheme_name(enum lwbs_dns_scheme s);

/* Whether a name server name (absolute with '.', else relative to the
 * apex and so always in zone) lies within the zone apex (no dot). */
bool lwbs_dns_in_zone(const char *name, const char *apex);

size_t lwbs_dns_zone_count(const struct lwbs_dns_input *in);
/* Apex of zone i without the trailing dot ("bsf.mnc015.mcc234.pub.3gppnetwork.org"). */
int lwbs_dns_zone_apex(const struct lwbs_dns_input *in, size_t i, char *out, size_t cap);
/* The records of zone i in file order. Allocated from a. */
int lwbs_dns_zone_records(const struct lwbs_dns_input *in, size_t i, struct lwbs_arena *a,
			  struct lwbs_dns_rr **rrs, size_t *n);
/* Appends the zone file text of zone i with this serial to out. */
int lwbs_dns_zone_render(const struct lwbs_dns_input *in, size_t i, uint32_t serial,
			 struct lwbs_buf *out);
/* Finds the SOA serial in text lwbs_dns_zone_render() wrote. -ENOENT if none. */
int lwbs_dns_zone_find_serial(const char *text, size_t len, uint32_t *serial);
/* The serial after old: max(old + 1, today * 100). today is YYYYMMDD.
 * -ERANGE if the result does not fit in 32 bits, -EINVAL for a bad date. */
int lwbs_dns_serial_next(uint32_t old, uint32_t today, uint32_t *out);

/* Decides zone i's new text given the previous file (old, or NULL): if the
 * text rendered with the old serial equals old, *changed = false and out
 * holds old's text unchanged; otherwise the serial follows
 * lwbs_dns_serial_next() (today * 100 without a usable old file). */
int lwbs_dns_zone_plan(const struct lwbs_dns_input *in, size_t i, const char *old, size_t old_len,
		       uint32_t today, struct lwbs_buf *out, uint32_t *serial, bool *changed);

/* named.conf snippet: one "zone" statement per zone, file "<dir>/<apex>.zone"
 * (dir "" = just the file name, relative to named's directory). */
int lwbs_dns_named_conf(const struct lwbs_dns_input *in, const char *dir, struct lwbs_buf *out);

/* ---- Wire (dns/wire.c): answers from a DNS response ------------------ */

/* Formats a character-string as a quoted presentation string ("..." with
 * \" \\ and \DDD escapes). */
int lwbs_dns_quote(struct lwbs_buf *out, const uint8_t *s, size_t n);

/* Presentation form of rdata[0..rdlen) of type (A, AAAA, NS, SRV, URI,
 * TXT) within message msg (names may be compressed). -EBADMSG if
 * malformed, -ENOTSUP for another type. */
int lwbs_dns_rdata_format(const uint8_t *msg, size_t msg_len, size_t rdata_off, uint16_t rdlen,
			  uint16_t type, struct lwbs_buf *out);

struct lwbs_dns_answer {
	int rcode;   /* 0 NOERROR, 3 NXDOMAIN, ... */
	bool aa;     /* authoritative answer */
	struct lwbs_dns_rr *rrs; /* answers of qtype owned by qname */
	size_t n;
};

/* Parses response msg[0..len) and keeps the answer records of class IN
 * whose type is qtype and whose owner equals qname (FQDN, any case).
 * Allocates from a. -EBADMSG if the message is malformed. */
int lwbs_dns_answer_parse(const uint8_t *msg, size_t len, const char *qname, uint16_t qtype,
			  struct lwbs_arena *a, struct lwbs_dns_answer *out);

#endif
