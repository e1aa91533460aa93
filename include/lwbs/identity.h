/* lwbs — identity and policy for NoSec Bootstrap-Requests on trusted
 * listeners (STANDARDS.md §1.2 NoSec rule, §6.5, §7.2), and zero-touch DM
 * credentials.
 *
 *   policy.c       PURE: RADIUS binding (or none) + the request's ep (or
 *                  none) + the listener's policy -> which identity to look
 *                  up in the store, or a refusal with a stable reason;
 *                  endpoint-name URN parsing (urn:imei:, urn:imei-imsi:,
 *                  urn:imei-msisdn:)
 *   credentials.c  PSK identity template expansion ("{imsi}", ...) and key
 *                  generation (OpenSSL RAND_bytes). Built into the store
 *                  library, which generates credentials (src/store/state.c).
 *   resolve.c      source address -> binding -> policy -> store lookup (or
 *                  auto-enrolment) -> plan or refusal, for the front ends.
 *
 * Reason names are stable (logs, metrics, audit): lwbs_identity_reason_name().
 */
#ifndef LWBS_IDENTITY_H
#define LWBS_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lwbs/radius.h"
#include "lwbs/store.h"

enum lwbs_identity_reason {
	LWBS_IDENTITY_OK = 0,
	LWBS_IDENTITY_NO_BINDING,        /* "no_binding": no RADIUS binding for the source address */
	LWBS_IDENTITY_STALE_BINDING,     /* "stale_binding": older than max_binding_age */
	LWBS_IDENTITY_APN_NOT_TRUSTED,   /* "apn_not_trusted": APN not in the trusted list */
	LWBS_IDENTITY_ROAMING,           /* "roaming": serving PLMN not home nor allowed, or unknown */
	LWBS_IDENTITY_NO_IDENTITY,       /* "no_identity": binding has no IMSI, IMEI or MSISDN */
	LWBS_IDENTITY_BAD_ENDPOINT_URN,  /* "bad_endpoint_urn": urn:imei* not in the §1.2 format */
	LWBS_IDENTITY_ENDPOINT_MISMATCH, /* "endpoint_mismatch": ep differs from the network identity */
	LWBS_IDENTITY_NO_TEMPLATE,       /* "no_template": unknown device, no enrolment template fits */
	LWBS_IDENTITY_REASON_COUNT,
};

/* Stable machine name ("roaming") and a static human sentence. */
const char *lwbs_identity_reason_name(enum lwbs_identity_reason r);
const char *lwbs_identity_reason_text(enum lwbs_identity_reason r);

/* The policy of a trusted listener. Safe by default: a zeroed struct
 * trusts no APN, allows no roaming, and (max_binding_age 0) is given the
 * default age by lwbs_identity_policy_init(). Strings borrowed. */
struct lwbs_identity_policy {
	const char *const *trusted_apns; /* compared case-insensitively */
	size_t n_trusted_apns;
	const char *const *allowed_plmns; /* serving PLMNs (MCC+MNC) allowed besides home */
	size_t n_allowed_plmns;
	bool allow_roaming;       /* any serving PLMN */
	int64_t max_binding_age;  /* same unit as binding->updated (seconds in lwbsd) */
	bool match_endpoint;      /* an ep must match the network identity */
	bool auto_enrol;          /* unknown devices may be enrolled from a template */
};

#define LWBS_IDENTITY_DEFAULT_MAX_AGE 86400

/* Defaults: no trusted APN, no roaming, max age 86400, match_endpoint. */
void lwbs_identity_policy_init(struct lwbs_identity_policy *p);

/* Identity kinds an endpoint name may carry (CORE12 "Endpoint Client Name"). */
enum lwbs_identity_urn_kind {
	LWBS_IDENTITY_URN_NONE = 0,   /* not an urn:imei* name */
	LWBS_IDENTITY_URN_IMEI,       /* urn:imei:{15} */
	LWBS_IDENTITY_URN_IMEI_IMSI,  /* urn:imei-imsi:{15}-{IMSI} */
	LWBS_IDENTITY_URN_IMEI_MSISDN, /* urn:imei-msisdn:{15}-{MSISDN} */
};

struct lwbs_identity_urn {
	enum lwbs_identity_urn_kind kind;
	char imei[16];   /* 15 digits */
	char imsi[LWBS_RADIUS_IMSI_MAX + 1];
	char msisdn[LWBS_RADIUS_MSISDN_MAX + 1];
};

/* Parses ep[0..len) (not NUL-terminated). The prefix is matched
 * case-insensitively (RFC 8141 NID). IMEI: exactly 15 digits; IMSI 6..15
 * digits; MSISDN 1..15 digits. Returns 0 with *out (kind NONE for any other
 * name), or LWBS_ESYNTAX for an urn:imei* name that breaks its format. */
int lwbs_identity_urn_parse(const char *ep, size_t len, struct lwbs_identity_urn *out);

/* True when two IMEI/IMEISV digit strings (14..16 digits) name the same
 * device: their first 14 digits (TAC + serial) are equal. */
bool lwbs_identity_imei_equal(const char *a, const char *b);

/* What to do with one NoSec request. */
struct lwbs_identity_decision {
	enum lwbs_identity_reason reason; /* OK: look query up */
	enum lwbs_ident_kind kind;        /* IMEI (from a urn:imei* ep), else IMSI, IMEI, MSISDN */
	char value[LWBS_RADIUS_IMEISV_MAX + 1]; /* NUL-terminated */
	/* ep is not an identity URN but must be the endpoint of the device
	 * found (match_endpoint on, ep given): the caller compares. */
	bool require_endpoint;
};

/* Decides. binding: the source address's binding or NULL. ep/ep_len: the
 * request's endpoint name or NULL. now: same unit as binding->updated.
 * Checks in this order: binding present, fresh, APN trusted, not roaming,
 * an identity present, ep format, ep matches. Always fills *out. */
void lwbs_identity_decide(const struct lwbs_identity_policy *pol, const struct lwbs_radius_binding *binding,
			  const char *ep, size_t ep_len, int64_t now, struct lwbs_identity_decision *out);

/* ---- Generated credentials (credentials.c) ---- */

#define LWBS_IDENTITY_PSK_ID_MAX 255
#define LWBS_IDENTITY_KEY_MIN 8
#define LWBS_IDENTITY_KEY_MAX 64

/* Checks a PSK identity template: text with placeholders {endpoint},
 * {imsi}, {msisdn}, {imei}; "{{" and "}}" are literal braces. 0 or
 * LWBS_ESYNTAX. */
int lwbs_identity_template_check(const char *tmpl);

/* Expands tmpl with ident[] (indexed by enum lwbs_ident_kind; NULL = not
 * known) into out[0..cap), NUL-terminated. -ENOENT when a placeholder's
 * identity is unknown, -ENOBUFS when the result (without NUL) exceeds
 * cap - 1 or LWBS_IDENTITY_PSK_ID_MAX bytes, LWBS_ESYNTAX for a bad template. */
int lwbs_identity_template_expand(const char *tmpl, const char *const ident[LWBS_IDENT_COUNT], char *out,
				  size_t cap);

/* Fills key[0..len) with random bytes from OpenSSL (RAND_bytes).
 * -EINVAL for a length outside LWBS_IDENTITY_KEY_MIN..MAX, -EIO when the
 * generator fails. */
int lwbs_identity_key_generate(uint8_t *key, size_t len);

/* ---- Resolution for the front ends (resolve.c) ---- */

/* Current binding of a source address: 0 and *out, or -ENOENT. */
typedef int (*lwbs_identity_binding_fn)(void *arg, const struct sockaddr *src, int64_t now,
					 struct lwbs_radius_binding *out);

/* Answer of lwbs_identity_resolve(): exactly one call. err: store failure
 * (negative) or 0. plan/hold as from lwbs_store_lookup (release the hold).
 * reason: OK with a plan (device found or enrolled), OK with plan NULL
 * (unknown device), or a refusal (plan NULL). */
typedef void (*lwbs_identity_done_fn)(void *arg, int err, const struct lwbs_bs_plan *plan,
				       struct lwbs_store_hold *hold, enum lwbs_identity_reason reason);

struct lwbs_identity_resolver {
	struct lwbs_store *store;                /* borrowed */
	const struct lwbs_identity_policy *policy; /* borrowed */
	lwbs_identity_binding_fn binding;
	void *binding_arg;
};

/* Resolves one NoSec request from src with endpoint ep (or NULL). cb may
 * run before this returns (embedded store) or later (PostgreSQL). Returns
 * 0, or a negative code when the store could not be asked (cb not called). */
int lwbs_identity_resolve(const struct lwbs_identity_resolver *r, const struct sockaddr *src, const char *ep,
			  int64_t now, lwbs_identity_done_fn cb, void *arg);

#endif
