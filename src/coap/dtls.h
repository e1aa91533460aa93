/* lwbs — DTLS 1.2 for the libcoap front end (src/coap/server.c): PSK and
 * X.509 set-up of one libcoap context, the per-listener security policy,
 * the identity a session authenticated with, and a per-source limit on
 * failed handshakes.
 *
 * PSK: no global key. libcoap asks for the key of each identity a client
 * presents (coap_context_set_psk2, validate_id_call_back); the answer comes
 * synchronously from lwbs_dtls_lookup_fn (the embedded store's index). An
 * unknown identity, a device without a key, or a listener that does not
 * accept PSK ends the handshake; a wrong key fails it at Finished.
 *
 * X.509: the server's chain and key and the CA bundle for client
 * certificates come from the configuration; libcoap/OpenSSL verify the
 * chain and the validity period (expired or not yet valid certificates are
 * refused). At depth 0 the device must be provisioned under its subject
 * (CN, first SAN, serial number or whole DN, as configured) or the
 * handshake ends.
 *
 * Cipher suites: libcoap 4.3.1 with OpenSSL 3.0 leaves the OpenSSL
 * defaults for DTLS 1.2 in place, which include TLS_PSK_WITH_AES_128_CCM_8
 * (PSK-AES128-CCM8), TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, and the AES-GCM
 * and AES-CCM suites; a client offering only a CCM_8 suite completes
 * (tests/integration/dtls_test.py checks both).
 *
 * RPK is not offered: Debian's libcoap 4.3.1 built against OpenSSL 3.0
 * has no raw public key support (coap_dtls_rpk_is_supported() is 0).
 *
 * Secrets: keys are never logged; libcoap gets a pointer into the store's
 * copy (it duplicates the key within the callback), so no other copy is
 * made here.
 */
#ifndef LWBS_COAP_DTLS_H
#define LWBS_COAP_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <coap3/coap.h>

#include "../daemon/loop.h"
#include "lwbs/store.h"

/* Security modes a DTLS listener accepts (bits). */
#define LWBS_DTLS_PSK (1u << 0)
#define LWBS_DTLS_X509 (1u << 1)

/* Which part of a client certificate names the device
 * (LWBS_IDENT_CERT_SUBJECT). */
enum lwbs_dtls_subject {
	LWBS_DTLS_SUBJECT_CN = 0, /* the last CN of the subject name */
	LWBS_DTLS_SUBJECT_SAN,    /* the first URI, DNS or e-mail SAN */
	LWBS_DTLS_SUBJECT_SERIAL, /* the serial number, lower-case hex */
	LWBS_DTLS_SUBJECT_DN,     /* the whole subject, RFC 2253 ("CN=x,O=y") */
};

/* Looks an identity up: 0 when a device is provisioned under it (for
 * LWBS_IDENT_PSK_ID also its key in *key and *key_len, borrowed for the call,
 * never logged), -ENOENT when not (or, for a PSK identity, when the device
 * has no key). Must answer synchronously. */
typedef int (*lwbs_dtls_lookup_fn)(void *arg, enum lwbs_ident_kind kind, const char *value, size_t len,
				   const uint8_t **key, size_t *key_len);

struct lwbs_dtls_conf {
	struct lwbs_loop *loop; /* borrowed: the clock of the failure limit */
	lwbs_dtls_lookup_fn lookup;
	void *lookup_arg;
	/* X.509 (all NULL: none). PEM files, borrowed for the create call. */
	const char *cert_file; /* server certificate, chain after it */
	const char *key_file;
	const char *ca_file;   /* CA bundle for client certificates */
	enum lwbs_dtls_subject subject;
	/* A source address with more than max_failures handshakes started
	 * and not completed within window_s seconds is ignored for block_s
	 * seconds (max_failures 0: no limit). */
	unsigned max_failures;
	unsigned window_s;
	unsigned block_s;
};

struct lwbs_dtls;

/* Sets PSK (always) and X.509 (when cert_file is set) up on ctx. Caller owns *out (lwbs_dtls_destroy, before
 * ctx is freed); 0 or a negative code with err filled. */
int lwbs_dtls_create(coap_context_t *ctx, const struct lwbs_dtls_conf *c, struct lwbs_dtls **out, char *err,
		     size_t err_cap);
/* Reads c's certificate, key and CA bundle once (libcoap reads them only
 * during a handshake), so that a bad file is one clear line at start-up
 * and in --check-config: 0 or -EINVAL with err filled ("x509 cert FILE:
 * reason", key not matching the certificate, ...). */
int lwbs_dtls_check_files(const struct lwbs_dtls_conf *c, char *err, size_t err_cap);
/* NULL-safe. Wipes nothing of libcoap's (it owns its copies). */
void lwbs_dtls_destroy(struct lwbs_dtls *d);

/* Declares a DTLS listener (stream false) or a TLS listener over TCP
 * (stream true, RFC 8323; same PSK and X.509 set-up): its local address
 * and the modes it accepts (LWBS_DTLS_* bits). 0 or -ENOMEM. */
int lwbs_dtls_add_listener(struct lwbs_dtls *d, const struct sockaddr *addr, socklen_t len, unsigned accept,
			   bool stream);

/* Whether a datagram from addr, waiting on a DTLS listener socket, is to
 * be dropped before libcoap reads it (its source is blocked); a drop is
 * counted for the periodic warning. */
bool lwbs_dtls_drop(struct lwbs_dtls *d, const struct sockaddr *addr);
/* Logs the failures and drops counted since the last warning, at most
 * once a second. Call from the front end's housekeeping. */
void lwbs_dtls_housekeeping(struct lwbs_dtls *d);

/* Feed every libcoap event of ctx here (from the context's event
 * handler): DTLS handshakes started (a new server session, which libcoap
 * creates only after the cookie exchange, so a spoofed source cannot) and
 * completed are counted per source address. */
void lwbs_dtls_event(struct lwbs_dtls *d, coap_session_t *cs, coap_event_t ev);

/* Why the handshake of cs failed: the refusal of lwbs's PSK or certificate
 * callback for cs, or a generic reason (the failure was OpenSSL's: wrong
 * key, certificate not verified, ...). Call once, on its
 * COAP_EVENT_DTLS_ERROR. */
const char *lwbs_dtls_failure(struct lwbs_dtls *d, coap_session_t *cs);

struct lwbs_dtls_stats {
	unsigned long long handshake_failures; /* DTLS handshakes that failed */
	unsigned long long blocked_sources;    /* sources blocked by handshake_limit */
	unsigned long long blocked_datagrams;  /* datagrams of blocked sources dropped */
};
void lwbs_dtls_get_stats(const struct lwbs_dtls *d, struct lwbs_dtls_stats *out);

/* What lwbs_dtls_event does, exported for the unit test of the limit: a
 * handshake started from addr (returns true when this blocks the source:
 * more than max_failures handshakes started in the window and not
 * completed; a wrong PSK key is never answered with an alert in DTLS, so
 * incomplete handshakes, not alerts, are what is counted), and one
 * completed. */
bool lwbs_dtls_note_start(struct lwbs_dtls *d, const struct sockaddr *addr);
void lwbs_dtls_note_connected(struct lwbs_dtls *d, const struct sockaddr *addr);
/* Whether addr is blocked now. */
bool lwbs_dtls_blocked(struct lwbs_dtls *d, const struct sockaddr *addr);

/* The identity cs authenticated with: LWBS_IDENT_PSK_ID and the PSK
 * identity, or LWBS_IDENT_CERT_SUBJECT and the configured subject field.
 * out gets a NUL-terminated copy. 0, -ENOENT (not a DTLS or TLS session, or no
 * identity), -E2BIG (does not fit), -EINVAL (a NUL byte in the identity). */
int lwbs_dtls_identity(const struct lwbs_dtls *d, coap_session_t *cs, enum lwbs_ident_kind *kind, char *out,
		       size_t cap);

/* The subject field f of a DER certificate into out (NUL-terminated). 0,
 * -ENOENT (no such field), -E2BIG, -EINVAL (bad DER or NUL byte). */
int lwbs_dtls_cert_subject(const uint8_t *der, size_t len, enum lwbs_dtls_subject f, char *out, size_t cap);

/* A lwbs_dtls_lookup_fn over the embedded store (arg: struct lwbs_store *
 * made by lwbs_store_embedded_create): the device's psk_identity/psk_key
 * and cert_subject identities of the current snapshot. */
int lwbs_dtls_lookup_embedded(void *arg, enum lwbs_ident_kind kind, const char *value, size_t len,
			      const uint8_t **key, size_t *key_len);

#endif
