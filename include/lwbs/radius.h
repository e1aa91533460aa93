/* lwbs — RADIUS accounting (RFC 2865/2866, 3GPP TS 29.061 §16): pure parts.
 *
 *   wire.c     datagram <-> struct lwbs_radius_packet, Request Authenticator
 *              and Message-Authenticator checks, Accounting-Response builder
 *   digest.c   MD5 / HMAC-MD5 through OpenSSL EVP (the only OpenSSL user)
 *   binding.c  parsed Accounting-Request -> struct lwbs_radius_binding,
 *              with an explicit reason for every refusal
 *   table.c    in-memory IPv4 / IPv6-prefix -> binding table (STANDARDS §6.5)
 *              and the retransmission cache (§6.6)
 *   detail.c   FreeRADIUS `detail` file records -> the same binding struct
 *
 * Nothing here does I/O, reads a clock or logs: times are passed in by the
 * caller (seconds, any monotonic or wall base used consistently).
 *
 * Return codes: 0, or
 *   LWBS_ETRUNC, LWBS_ELENGTH, -EBADMSG  malformed datagram / record
 *   -ENOMSG    well-formed but not a request this server answers
 *   -EACCES    authenticator or Message-Authenticator mismatch
 *   -ENOMEM    allocation failed (table, caches)
 *   -ENOBUFS   the response does not fit the output buffer
 *   LWBS_ESYNTAX  detail file syntax error (line number in the cursor)
 */
#ifndef LWBS_RADIUS_H
#define LWBS_RADIUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LWBS_RADIUS_HDR_LEN 20
#define LWBS_RADIUS_MAX_LEN 4096
#define LWBS_RADIUS_AUTH_LEN 16
/* Every attribute is at least 2 octets, so no valid packet has more. */
#define LWBS_RADIUS_ATTR_MAX ((LWBS_RADIUS_MAX_LEN - LWBS_RADIUS_HDR_LEN) / 2)
#define LWBS_RADIUS_ACCT_PORT 1813
#define LWBS_RADIUS_VENDOR_3GPP 10415

enum lwbs_radius_code {
	LWBS_RADIUS_ACCESS_REQUEST = 1,
	LWBS_RADIUS_ACCOUNTING_REQUEST = 4,
	LWBS_RADIUS_ACCOUNTING_RESPONSE = 5,
	LWBS_RADIUS_STATUS_SERVER = 12,
};

enum lwbs_radius_attr_type {
	LWBS_RADIUS_A_USER_NAME = 1,
	LWBS_RADIUS_A_NAS_IP_ADDRESS = 4,
	LWBS_RADIUS_A_FRAMED_IP_ADDRESS = 8,
	LWBS_RADIUS_A_VENDOR_SPECIFIC = 26,
	LWBS_RADIUS_A_CALLED_STATION_ID = 30,
	LWBS_RADIUS_A_CALLING_STATION_ID = 31,
	LWBS_RADIUS_A_NAS_IDENTIFIER = 32,
	LWBS_RADIUS_A_PROXY_STATE = 33,
	LWBS_RADIUS_A_ACCT_STATUS_TYPE = 40,
	LWBS_RADIUS_A_ACCT_SESSION_ID = 44,
	LWBS_RADIUS_A_EVENT_TIMESTAMP = 55,
	LWBS_RADIUS_A_MESSAGE_AUTHENTICATOR = 80,
	LWBS_RADIUS_A_NAS_IPV6_ADDRESS = 95,
	LWBS_RADIUS_A_FRAMED_IPV6_PREFIX = 97,
};

/* 3GPP vendor-specific sub-attributes (Vendor-Id 10415) used here. */
enum lwbs_radius_3gpp_type {
	LWBS_RADIUS_3GPP_IMSI = 1,
	LWBS_RADIUS_3GPP_CHARGING_ID = 2,
	LWBS_RADIUS_3GPP_IMSI_MCC_MNC = 8,
	LWBS_RADIUS_3GPP_SGSN_MCC_MNC = 18,
	LWBS_RADIUS_3GPP_IMEISV = 20,
	LWBS_RADIUS_3GPP_RAT_TYPE = 21,
	LWBS_RADIUS_3GPP_USER_LOCATION_INFO = 22,
};

/* One top-level attribute: its value is data[off .. off+len). */
struct lwbs_radius_attr {
	uint16_t off;
	uint8_t type;
	uint8_t len; /* value length, 0..253 */
};

/* A parsed request. data is borrowed: it must stay valid and unchanged
 * while the packet is used. About 8 KiB: keep one per worker, not per
 * packet on a small stack. */
struct lwbs_radius_packet {
	const uint8_t *data;
	uint16_t len; /* the Length field; octets after it are ignored */
	uint8_t code;
	uint8_t id;
	int msg_auth;    /* index in attrs of Message-Authenticator, -1 if none */
	uint16_t nattrs;
	struct lwbs_radius_attr attrs[LWBS_RADIUS_ATTR_MAX];
};

/* Parses a datagram of n octets (RFC 2865 §3/§5): 20 <= Length <= 4096,
 * Length <= n (octets beyond Length are padding and ignored), every
 * attribute length >= 2 and inside Length, at most one Message-Authenticator
 * and it has 16 octets. Only Accounting-Request (4) and Status-Server (12)
 * are accepted (-ENOMSG for other codes). *out is written on success only. */
int lwbs_radius_parse(const void *dgram, size_t n, struct lwbs_radius_packet *out);

/* Value of the first attribute of the given type, or NULL. */
const struct lwbs_radius_attr *lwbs_radius_find(const struct lwbs_radius_packet *p,
						uint8_t type);

/* Checks the packet against the shared secret (borrowed for the call):
 * Accounting-Request: the Request Authenticator (RFC 2866 §3) and, when
 * present, the Message-Authenticator (HMAC-MD5 with the authenticator field
 * zeroed). Status-Server: the Message-Authenticator is mandatory (RFC 5997)
 * and computed over the packet as received. Returns 0, -EACCES on a
 * mismatch, -EBADMSG for a Status-Server without Message-Authenticator,
 * -ENOMEM if the digest could not be set up. Comparison is constant-time. */
int lwbs_radius_verify(const struct lwbs_radius_packet *p, const void *secret,
		       size_t secret_len);

/* Builds the Accounting-Response (code 5) to req into out[0..cap): the
 * request's Identifier, every Proxy-State of the request copied in order
 * (RFC 2865 §5.33), a Message-Authenticator when msg_auth is true (HMAC-MD5
 * with the request authenticator in the header), then the Response
 * Authenticator MD5(5 | id | len | request authenticator | attrs | secret).
 * *out_len is written on success. -ENOBUFS if cap is too small. */
int lwbs_radius_build_response(const struct lwbs_radius_packet *req, const void *secret,
			       size_t secret_len, bool msg_auth, uint8_t *out, size_t cap,
			       size_t *out_len);

/* ---- Bindings (binding.c, detail.c) ---- */

enum lwbs_radius_status {
	LWBS_RADIUS_START = 1,
	LWBS_RADIUS_STOP = 2,
	LWBS_RADIUS_INTERIM = 3,
	LWBS_RADIUS_ACCT_ON = 7,
	LWBS_RADIUS_ACCT_OFF = 8,
};

/* Why a request or record gave no binding. Stable names for logs/metrics
 * from lwbs_radius_reason_str(). */
enum lwbs_radius_reason {
	LWBS_RADIUS_R_OK = 0,
	LWBS_RADIUS_R_NOT_ACCOUNTING,     /* "not_accounting": code/Packet-Type */
	LWBS_RADIUS_R_NO_STATUS,          /* "no_status" */
	LWBS_RADIUS_R_UNSUPPORTED_STATUS, /* "unsupported_status": not 1/2/3/7/8 */
	LWBS_RADIUS_R_BAD_ATTR_LENGTH,    /* "bad_attr_length": wrong size for type */
	LWBS_RADIUS_R_DUPLICATE_ATTR,     /* "duplicate_attr": single-valued twice */
	LWBS_RADIUS_R_BAD_VSA,            /* "bad_vsa": malformed 3GPP VSA */
	LWBS_RADIUS_R_NO_ADDRESS,         /* "no_address": no usable v4/v6 key */
	LWBS_RADIUS_R_BAD_IPV6_PREFIX,    /* "bad_ipv6_prefix" */
	LWBS_RADIUS_R_NO_NAS,             /* "no_nas": no NAS-IP/IPv6/Identifier */
	LWBS_RADIUS_R_BAD_NAS_ID,         /* "bad_nas_id" */
	LWBS_RADIUS_R_NO_SESSION_ID,      /* "no_session_id" */
	LWBS_RADIUS_R_BAD_SESSION_ID,     /* "bad_session_id" */
	LWBS_RADIUS_R_BAD_IMSI,           /* "bad_imsi": not 6..15 digits */
	LWBS_RADIUS_R_BAD_MCC_MNC,        /* "bad_mcc_mnc": not 5..6 digits */
	LWBS_RADIUS_R_MCC_MNC_MISMATCH,   /* "mcc_mnc_mismatch": not a prefix of IMSI */
	LWBS_RADIUS_R_BAD_SGSN_MCC_MNC,   /* "bad_sgsn_mcc_mnc" */
	LWBS_RADIUS_R_BAD_IMEISV,         /* "bad_imeisv": not 14..16 digits */
	LWBS_RADIUS_R_BAD_MSISDN,         /* "bad_msisdn": not 1..15 digits ('+' ok) */
	LWBS_RADIUS_R_BAD_APN,            /* "bad_apn": empty, > 100 or control chars */
	LWBS_RADIUS_R__COUNT,
};

const char *lwbs_radius_reason_str(enum lwbs_radius_reason r);

#define LWBS_RADIUS_IMSI_MAX 15
#define LWBS_RADIUS_MSISDN_MAX 15
#define LWBS_RADIUS_IMEISV_MAX 16
#define LWBS_RADIUS_MCC_MNC_MAX 6
#define LWBS_RADIUS_APN_MAX 100       /* TS 23.003 §9.1 */
#define LWBS_RADIUS_STR_MAX 253       /* Acct-Session-Id, NAS-Identifier */
#define LWBS_RADIUS_ULI_MAX 32        /* longer User-Location-Info is dropped */

/* Presence bits of struct lwbs_radius_binding. */
enum lwbs_radius_has {
	LWBS_RADIUS_HAS_IPV4 = 1u << 0,
	LWBS_RADIUS_HAS_IPV6 = 1u << 1,
	LWBS_RADIUS_HAS_NAS_IPV4 = 1u << 2,
	LWBS_RADIUS_HAS_NAS_IPV6 = 1u << 3,
	LWBS_RADIUS_HAS_CHARGING_ID = 1u << 4,
	LWBS_RADIUS_HAS_RAT = 1u << 5,
	LWBS_RADIUS_HAS_EVENT_TIME = 1u << 6,
};

/* One accounting record, self-contained (no pointers). Strings are
 * NUL-terminated and empty when absent. Digit strings are validated: a
 * present but malformed value refuses the whole record. A leading '+' of the
 * MSISDN is dropped. Framed-IP-Address 0.0.0.0, 255.255.255.254 and
 * 255.255.255.255 are not addresses (RFC 2865 §5.8) and count as absent. */
struct lwbs_radius_binding {
	uint8_t status; /* enum lwbs_radius_status */
	uint8_t ipv6_plen;   /* 1..128 */
	uint8_t rat_type;    /* 3GPP-RAT-Type */
	uint8_t uli_len;
	uint32_t has;        /* enum lwbs_radius_has */
	uint8_t ipv4[4];     /* Framed-IP-Address */
	uint8_t ipv6[16];    /* Framed-IPv6-Prefix, bits past plen zero */
	uint8_t nas_ipv4[4];
	uint8_t nas_ipv6[16];
	uint32_t charging_id;
	uint32_t event_time; /* Event-Timestamp; detail: else the record Timestamp */
	int64_t updated;     /* set by the table: caller's time of the last apply */
	char imsi[LWBS_RADIUS_IMSI_MAX + 1];
	char msisdn[LWBS_RADIUS_MSISDN_MAX + 1];
	char imeisv[LWBS_RADIUS_IMEISV_MAX + 1];
	char mcc_mnc[LWBS_RADIUS_MCC_MNC_MAX + 1];      /* 3GPP-IMSI-MCC-MNC */
	char sgsn_mcc_mnc[LWBS_RADIUS_MCC_MNC_MAX + 1]; /* serving PLMN */
	char apn[LWBS_RADIUS_APN_MAX + 1];              /* Called-Station-Id */
	char session_id[LWBS_RADIUS_STR_MAX + 1];       /* Acct-Session-Id */
	char nas_id[LWBS_RADIUS_STR_MAX + 1];           /* NAS-Identifier */
	uint8_t uli[LWBS_RADIUS_ULI_MAX];               /* 3GPP-User-Location-Info */
};

/* Extracts the binding of an Accounting-Request. Start, Interim and Stop
 * need an address, a NAS and an Acct-Session-Id; On/Off need a NAS only.
 * Returns 0 (and *out), or -EBADMSG with *why set. */
int lwbs_radius_binding_extract(const struct lwbs_radius_packet *p,
				struct lwbs_radius_binding *out,
				enum lwbs_radius_reason *why);

/* True if two records come from the same NAS: at least one of NAS-IP,
 * NAS-IPv6, NAS-Identifier is present in both and every one present in
 * both is equal. */
bool lwbs_radius_same_nas(const struct lwbs_radius_binding *a,
			  const struct lwbs_radius_binding *b);

/* ---- FreeRADIUS detail files (detail.c, STANDARDS §6.7) ---- */

/* Cursor over the text of a detail file (borrowed). */
struct lwbs_radius_detail {
	const char *text;
	size_t len;
	size_t pos;         /* offset of the first unread octet */
	unsigned line;      /* line number of the next line (1-based) */
	unsigned err_line;  /* line of the last error */
	unsigned rec_line;  /* header line of the last record returned/refused */
};

void lwbs_radius_detail_init(struct lwbs_radius_detail *d, const char *text, size_t len);

/* Reads the next record. Returns
 *   0         a binding in *out (*why = OK)
 *   -ENOENT   no more records
 *   -EBADMSG  the record is well-formed but gives no binding (*why)
 *   LWBS_ESYNTAX  a malformed line (d->err_line); the rest of that record
 *             is skipped, the next call continues after it
 *   LWBS_ETRUNC   the text ends inside a line (a file still being written):
 *             d->pos stays at the start of that record
 * Records are separated by blank lines; a record may also end at the end
 * of the text after a complete line. */
int lwbs_radius_detail_next(struct lwbs_radius_detail *d, struct lwbs_radius_binding *out,
			    enum lwbs_radius_reason *why);

/* ---- Binding table (table.c, STANDARDS §6.5) ---- */

enum lwbs_radius_apply {
	LWBS_RADIUS_INSERTED,  /* new binding */
	LWBS_RADIUS_REPLACED,  /* the address belonged to another session */
	LWBS_RADIUS_REFRESHED, /* same session and NAS: data and time updated */
	LWBS_RADIUS_REMOVED,   /* Stop matched, or On/Off removed >= 0 bindings */
	LWBS_RADIUS_IGNORED,   /* Stop for another session/NAS or unknown address;
				* Interim older (Event-Timestamp) than the holder */
};

struct lwbs_radius_table;

/* Empty table; NULL on allocation failure. */
struct lwbs_radius_table *lwbs_radius_table_create(void);
/* NULL-safe. */
void lwbs_radius_table_destroy(struct lwbs_radius_table *t);

/* Applies one record (borrowed) received at time now:
 *   Start     inserts; any binding holding its IPv4 address or its exact
 *             IPv6 prefix is replaced (addresses are reused)
 *   Interim   refreshes the same session; re-creates a missing one; takes
 *             the address from another session unless its Event-Timestamp
 *             is older than that session's
 *   Stop      removes the binding at its address only if Acct-Session-Id
 *             and NAS match
 *   On / Off  removes every binding of that NAS (*removed counts them)
 * Returns 0 and *res (and *removed if not NULL), or -ENOMEM (table
 * unchanged), -EINVAL for a record that binding_extract would refuse. */
int lwbs_radius_table_apply(struct lwbs_radius_table *t, const struct lwbs_radius_binding *b,
			    int64_t now, enum lwbs_radius_apply *res, size_t *removed);

/* Binding for a packet source: IPv4 exact, IPv6 longest prefix. 0 and
 * *out (a copy), or -ENOENT. */
int lwbs_radius_table_lookup4(const struct lwbs_radius_table *t, const uint8_t addr[4],
			      struct lwbs_radius_binding *out);
int lwbs_radius_table_lookup6(const struct lwbs_radius_table *t, const uint8_t addr[16],
			      struct lwbs_radius_binding *out);

/* Calls fn with a copy of every binding (valid for the call), in no
 * particular order; the table must not change meanwhile. Stops at fn's
 * first nonzero return and returns it; 0 when every call returned 0. */
int lwbs_radius_table_foreach(const struct lwbs_radius_table *t,
			      int (*fn)(void *arg, const struct lwbs_radius_binding *b), void *arg);

size_t lwbs_radius_table_count(const struct lwbs_radius_table *t);
/* Bytes currently allocated by the table (entries, indexes, strings). */
size_t lwbs_radius_table_memory(const struct lwbs_radius_table *t);

/* ---- Retransmission cache (table.c, STANDARDS §6.6) ---- */

/* Source of a request; IPv4 as an IPv4-mapped IPv6 address. */
struct lwbs_radius_peer {
	uint8_t addr[16];
	uint16_t port;
};

enum lwbs_radius_dup {
	LWBS_RADIUS_DUP_NEW,         /* process it (now recorded as in progress) */
	LWBS_RADIUS_DUP_IN_PROGRESS, /* a copy is being processed: drop it */
	LWBS_RADIUS_DUP_ANSWERED,    /* already answered: send the response again */
};

struct lwbs_radius_dupcache;

/* Holds at most max_entries requests (rounded up to a power of two, 4-way
 * set associative: a full set evicts its oldest), each for max_age
 * seconds. NULL on allocation failure. */
struct lwbs_radius_dupcache *lwbs_radius_dupcache_create(size_t max_entries, int64_t max_age);
void lwbs_radius_dupcache_destroy(struct lwbs_radius_dupcache *c);

/* Classifies a request keyed by (peer, Identifier) with its Request
 * Authenticator. Same key with another authenticator is a new request that
 * replaces the old one (RFC 5080 §2.2.2). */
enum lwbs_radius_dup lwbs_radius_dupcache_check(struct lwbs_radius_dupcache *c,
						const struct lwbs_radius_peer *peer, uint8_t id,
						const uint8_t auth[16], int64_t now);
/* The request was answered (mark) or failed and must be processed again
 * when retransmitted (forget). No-op if it is no longer cached. */
void lwbs_radius_dupcache_mark_answered(struct lwbs_radius_dupcache *c,
					const struct lwbs_radius_peer *peer, uint8_t id,
					const uint8_t auth[16]);
void lwbs_radius_dupcache_forget(struct lwbs_radius_dupcache *c,
				 const struct lwbs_radius_peer *peer, uint8_t id,
				 const uint8_t auth[16]);

/* Request Authenticator of a parsed packet (bytes 4..19). */
static inline const uint8_t *lwbs_radius_authenticator(const struct lwbs_radius_packet *p)
{
	return p->data + 4;
}

#endif
