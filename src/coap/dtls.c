/* lwbs — DTLS 1.2 set-up of the libcoap context (see dtls.h). */
#include "dtls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../daemon/log.h"
#include "lwbs/prov.h"
#include "lwbs/store_embedded.h"
#include "srclimit.h"

#define IDENT_MAX 256       /* PSK identity / subject bytes (TR12: 128 must work) */

struct listener {
	struct sockaddr_storage addr;
	socklen_t len;
	unsigned accept;
	bool stream; /* a TLS (TCP) listener */
};

struct lwbs_dtls {
	struct lwbs_dtls_conf c;
	/* libcoap may read the PEM files again during a handshake: the names
	 * live as long as the context */
	char *cert_file, *key_file, *ca_file;
	struct listener *listeners;
	size_t n_listeners;
	/* the failed-handshake limit: handshakes started (after the cookie
	 * exchange) and not completed, per source address */
	struct lwbs_srclimit *fails;
	struct lwbs_dtls_stats st;
	/* why the handshake of refused_cs was refused (by lwbs, in a callback) */
	coap_session_t *refused_cs;
	const char *refused_why;
	coap_bin_const_t key; /* the key of the last identity, borrowed from the store */
	/* rate-limited logging of failures */
	int64_t log_ms;
	unsigned long fails_since_log, dropped_since_log;
	char last_peer[64];
};

/* ---- helpers -------------------------------------------------------------- */

static void addr_str(const struct sockaddr *a, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)a;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(out, cap, "%s:%u", host, port);
	} else if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)a;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(out, cap, "[%s]:%u", host, port);
	} else {
		snprintf(out, cap, "?");
	}
}

static uint16_t addr_port(const struct sockaddr *a)
{
	return a->sa_family == AF_INET ? ntohs(((const struct sockaddr_in *)a)->sin_port)
				       : ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
}

static bool addr_any(const struct sockaddr *a)
{
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)a)->sin6_addr);
}

/* The listener a session arrived on: same protocol family (datagram or
 * stream) and port, and the same address unless the listener is bound to
 * the wildcard. */
static const struct listener *listener_of(const struct lwbs_dtls *d, coap_session_t *cs)
{
	const coap_address_t *la = coap_session_get_addr_local(cs);
	const struct sockaddr *sa;
	uint8_t k1[16], k2[16], f1 = 0, f2 = 0;
	size_t n1, n2;

	if (!la)
		return NULL;
	sa = &la->addr.sa;
	n1 = lwbs_srclimit_addr_key(sa, k1, &f1);
	for (size_t i = 0; i < d->n_listeners; i++) {
		const struct listener *l = &d->listeners[i];
		const struct sockaddr *ls = (const struct sockaddr *)&l->addr;

		if (l->stream != (coap_session_get_proto(cs) == COAP_PROTO_TLS) || addr_port(ls) != addr_port(sa))
			continue;
		if (addr_any(ls))
			return l;
		n2 = lwbs_srclimit_addr_key(ls, k2, &f2);
		if (n1 && n1 == n2 && f1 == f2 && memcmp(k1, k2, n1) == 0)
			return l;
	}
	return NULL;
}

static void log_failures(struct lwbs_dtls *d, bool force)
{
	int64_t now = lwbs_loop_now(d->c.loop);

	if (!d->fails_since_log && !d->dropped_since_log)
		return;
	if (!force && now - d->log_ms < 1000)
		return;
	lwbs_log(LWBS_LOG_WARN, "dtls: %lu failed handshakes, %lu datagrams from blocked sources dropped "
		 "(last failure from %s)", d->fails_since_log, d->dropped_since_log, d->last_peer);
	d->fails_since_log = 0;
	d->dropped_since_log = 0;
	d->log_ms = now;
}

/* ---- the failed-handshake limit ------------------------------------------- */

bool lwbs_dtls_note_start(struct lwbs_dtls *d, const struct sockaddr *addr)
{
	if (!d->fails || !lwbs_srclimit_note(d->fails, addr, lwbs_loop_now(d->c.loop)))
		return false;
	d->st.blocked_sources++;
	addr_str(addr, d->last_peer, sizeof(d->last_peer));
	log_failures(d, true);
	lwbs_log(LWBS_LOG_WARN, "dtls: source %s blocked for %u s: more than %u handshakes not completed in %u s",
		 d->last_peer, d->c.block_s, d->c.max_failures, d->c.window_s);
	return true;
}

void lwbs_dtls_note_connected(struct lwbs_dtls *d, const struct sockaddr *addr)
{
	if (d->fails)
		lwbs_srclimit_credit(d->fails, addr, lwbs_loop_now(d->c.loop));
}

bool lwbs_dtls_blocked(struct lwbs_dtls *d, const struct sockaddr *addr)
{
	return d->fails && lwbs_srclimit_blocked(d->fails, addr, lwbs_loop_now(d->c.loop));
}

bool lwbs_dtls_drop(struct lwbs_dtls *d, const struct sockaddr *addr)
{
	if (!lwbs_dtls_blocked(d, addr))
		return false;
	d->dropped_since_log++;
	d->st.blocked_datagrams++;
	return true;
}

void lwbs_dtls_housekeeping(struct lwbs_dtls *d)
{
	log_failures(d, false);
}

/* ---- identities ------------------------------------------------------------ */

static int copy_ident(const uint8_t *p, size_t n, char *out, size_t cap)
{
	if (n == 0)
		return -ENOENT;
	if (memchr(p, '\0', n))
		return -EINVAL;
	if (n >= cap)
		return -E2BIG;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

static int asn1_text(const ASN1_STRING *s, char *out, size_t cap)
{
	unsigned char *utf8 = NULL;
	int n = ASN1_STRING_to_UTF8(&utf8, s), r;

	if (n < 0)
		return -EINVAL;
	r = copy_ident(utf8, (size_t)n, out, cap);
	OPENSSL_free(utf8);
	return r;
}

static int x509_subject(X509 *x, enum lwbs_dtls_subject f, char *out, size_t cap)
{
	switch (f) {
	case LWBS_DTLS_SUBJECT_CN: {
		X509_NAME *nm = X509_get_subject_name(x);
		int i = -1, last = -1;

		while ((i = X509_NAME_get_index_by_NID(nm, NID_commonName, i)) >= 0)
			last = i;
		if (last < 0)
			return -ENOENT;
		return asn1_text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, last)), out, cap);
	}
	case LWBS_DTLS_SUBJECT_SAN: {
		GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
		int r = -ENOENT;

		for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens) && r == -ENOENT; i++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

			if (g->type == GEN_URI || g->type == GEN_DNS || g->type == GEN_EMAIL)
				r = asn1_text(g->d.ia5, out, cap);
		}
		GENERAL_NAMES_free(gens);
		return r;
	}
	case LWBS_DTLS_SUBJECT_DN: {
		BIO *b = BIO_new(BIO_s_mem());
		char *p;
		long n;
		int r = -EINVAL;

		if (b && X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
			n = BIO_get_mem_data(b, &p);
			r = n > 0 ? copy_ident((const uint8_t *)p, (size_t)n, out, cap) : -ENOENT;
		}
		BIO_free(b);
		return r;
	}
	case LWBS_DTLS_SUBJECT_SERIAL: {
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
		char *hex = bn ? BN_bn2hex(bn) : NULL;
		int r = hex ? copy_ident((const uint8_t *)hex, strlen(hex), out, cap) : -EINVAL;

		for (size_t i = 0; r == 0 && out[i]; i++)
			if (out[i] >= 'A' && out[i] <= 'F')
				out[i] = (char)(out[i] - 'A' + 'a');
		OPENSSL_free(hex);
		BN_free(bn);
		return r;
	}
	}
	return -EINVAL;
}

int lwbs_dtls_cert_subject(const uint8_t *der, size_t len, enum lwbs_dtls_subject f, char *out, size_t cap)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	int r;

	if (!x)
		return -EINVAL;
	r = x509_subject(x, f, out, cap);
	X509_free(x);
	return r;
}

int lwbs_dtls_identity(const struct lwbs_dtls *d, coap_session_t *cs, enum lwbs_ident_kind *kind, char *out,
		       size_t cap)
{
	const coap_bin_const_t *id = coap_session_get_psk_identity(cs);
	coap_tls_library_t lib;
	SSL *ssl;
	X509 *x;
	int r;

	if (coap_session_get_proto(cs) != COAP_PROTO_DTLS && coap_session_get_proto(cs) != COAP_PROTO_TLS)
		return -ENOENT;
	if (id && id->length) {
		r = copy_ident(id->s, id->length, out, cap);
		if (r == 0)
			*kind = LWBS_IDENT_PSK_ID;
		return r;
	}
	ssl = coap_session_get_tls(cs, &lib);
	if (!ssl || lib != COAP_TLS_LIBRARY_OPENSSL)
		return -ENOENT;
	x = SSL_get0_peer_certificate(ssl);
	if (!x)
		return -ENOENT;
	r = x509_subject(x, d->c.subject, out, cap);
	if (r == 0)
		*kind = LWBS_IDENT_CERT_SUBJECT;
	return r;
}

int lwbs_dtls_lookup_embedded(void *arg, enum lwbs_ident_kind kind, const char *value, size_t len,
			      const uint8_t **key, size_t *key_len)
{
	const struct lwbs_prov *p = lwbs_store_embedded_current(arg);
	const struct lwbs_prov_device *dev = p ? lwbs_prov_find(p, kind, value, len) : NULL;

	if (!dev)
		return -ENOENT;
	if (kind == LWBS_IDENT_PSK_ID) {
		if (!dev->psk_key.len || dev->psk_key.ptr == lwbs_prov_redacted)
			return -ENOENT;
		*key = dev->psk_key.ptr;
		*key_len = dev->psk_key.len;
	}
	return 0;
}

/* ---- libcoap callbacks ----------------------------------------------------- */

static void peer_of(coap_session_t *cs, char *out, size_t cap)
{
	const coap_address_t *ra = coap_session_get_addr_remote(cs);

	if (ra)
		addr_str(&ra->addr.sa, out, cap);
	else
		snprintf(out, cap, "?");
}

/* The callbacks' refusal of cs's handshake, for lwbs_dtls_failure(). */
static void refuse(struct lwbs_dtls *d, coap_session_t *cs, const char *why)
{
	d->refused_cs = cs;
	d->refused_why = why;
}

const char *lwbs_dtls_failure(struct lwbs_dtls *d, coap_session_t *cs)
{
	const char *why = d->refused_cs == cs ? d->refused_why : NULL;

	d->refused_cs = NULL;
	return why ? why : "handshake failed (wrong key, certificate not accepted, no common cipher suite, or aborted)";
}

void lwbs_dtls_get_stats(const struct lwbs_dtls *d, struct lwbs_dtls_stats *out)
{
	*out = d->st;
}

static const coap_bin_const_t *on_psk_identity(coap_bin_const_t *identity, coap_session_t *cs, void *arg)
{
	struct lwbs_dtls *d = arg;
	const struct listener *l = listener_of(d, cs);
	char id[IDENT_MAX], peer[64];
	const uint8_t *key = NULL;
	size_t key_len = 0;
	int r;

	d->key.s = NULL;
	d->key.length = 0;
	if (!l || !(l->accept & LWBS_DTLS_PSK)) {
		refuse(d, cs, "PSK not accepted on this listener");
		if (lwbs_log_enabled(LWBS_LOG_DEBUG)) {
			peer_of(cs, peer, sizeof(peer));
			lwbs_log(LWBS_LOG_DEBUG, "dtls: peer %s: PSK not accepted on this listener", peer);
		}
		return NULL;
	}
	r = identity ? copy_ident(identity->s, identity->length, id, sizeof(id)) : -ENOENT;
	if (r == 0)
		r = d->c.lookup(d->c.lookup_arg, LWBS_IDENT_PSK_ID, id, strlen(id), &key, &key_len);
	if (r || !key_len) {
		refuse(d, cs, "unknown PSK identity");
		if (lwbs_log_enabled(LWBS_LOG_DEBUG)) {
			peer_of(cs, peer, sizeof(peer));
			lwbs_log(LWBS_LOG_DEBUG, "dtls: peer %s: unknown PSK identity", peer);
		}
		return NULL;
	}
	/* libcoap copies the key before the handshake goes on */
	d->key.s = key;
	d->key.length = key_len;
	return &d->key;
}

static int on_cert(const char *cn, const uint8_t *der, size_t der_len, coap_session_t *cs, unsigned depth,
		   int validated, void *arg)
{
	struct lwbs_dtls *d = arg;
	const struct listener *l;
	char subj[IDENT_MAX], peer[64];
	const uint8_t *key;
	size_t key_len;
	int r;

	if (!validated)
		return 0;
	if (depth > 0)
		return 1;
	l = listener_of(d, cs);
	if (!l || !(l->accept & LWBS_DTLS_X509)) {
		refuse(d, cs, "certificates not accepted on this listener");
		if (lwbs_log_enabled(LWBS_LOG_DEBUG)) {
			peer_of(cs, peer, sizeof(peer));
			lwbs_log(LWBS_LOG_DEBUG, "dtls: peer %s: certificates not accepted on this listener", peer);
		}
		return 0;
	}
	r = lwbs_dtls_cert_subject(der, der_len, d->c.subject, subj, sizeof(subj));
	if (r == 0)
		r = d->c.lookup(d->c.lookup_arg, LWBS_IDENT_CERT_SUBJECT, subj, strlen(subj), &key, &key_len);
	if (r) {
		refuse(d, cs, "certificate subject not provisioned");
		peer_of(cs, peer, sizeof(peer));
		lwbs_log(LWBS_LOG_INFO, "dtls: peer %s: certificate subject %s not provisioned", peer,
			 r == -ENOENT ? "is" : "unreadable or");
		return 0;
	}
	return 1;
}

void lwbs_dtls_event(struct lwbs_dtls *d, coap_session_t *cs, coap_event_t ev)
{
	const coap_address_t *ra = coap_session_get_addr_remote(cs);

	if (!ra || coap_session_get_proto(cs) != COAP_PROTO_DTLS)
		return;
	switch (ev) {
	case COAP_EVENT_SERVER_SESSION_NEW:
		lwbs_dtls_note_start(d, &ra->addr.sa);
		break;
	case COAP_EVENT_DTLS_CONNECTED:
		lwbs_dtls_note_connected(d, &ra->addr.sa);
		break;
	case COAP_EVENT_DTLS_ERROR:
		addr_str(&ra->addr.sa, d->last_peer, sizeof(d->last_peer));
		d->fails_since_log++;
		d->st.handshake_failures++;
		break;
	default:
		break;
	}
}

/* ---- set-up ---------------------------------------------------------------- */

static void ssl_reason(char *buf, size_t cap)
{
	unsigned long e = ERR_peek_last_error();

	if (e)
		ERR_error_string_n(e, buf, cap);
	else
		snprintf(buf, cap, "unreadable");
	ERR_clear_error();
}

int lwbs_dtls_check_files(const struct lwbs_dtls_conf *c, char *err, size_t err_cap)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_server_method());
	const char *key = c->key_file ? c->key_file : c->cert_file;
	char why[256];
	int r = -EINVAL;

	if (!ctx) {
		snprintf(err, err_cap, "out of memory");
		return -ENOMEM;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, c->cert_file) != 1) {
		ssl_reason(why, sizeof(why));
		snprintf(err, err_cap, "x509 cert %s: %s", c->cert_file, why);
	} else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ssl_reason(why, sizeof(why));
		snprintf(err, err_cap, "x509 key %s: %s", key, why);
	} else if (SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		snprintf(err, err_cap, "x509 key %s does not belong to the certificate %s", key, c->cert_file);
	} else if (c->ca_file && SSL_CTX_load_verify_locations(ctx, c->ca_file, NULL) != 1) {
		ssl_reason(why, sizeof(why));
		snprintf(err, err_cap, "x509 ca %s: %s", c->ca_file, why);
	} else {
		r = 0;
	}
	SSL_CTX_free(ctx);
	return r;
}

int lwbs_dtls_create(coap_context_t *ctx, const struct lwbs_dtls_conf *c, struct lwbs_dtls **out, char *err,
		     size_t err_cap)
{
	struct lwbs_dtls *d;
	coap_dtls_spsk_t psk = {.version = COAP_DTLS_SPSK_SETUP_VERSION};
	int r = -ENOMEM;

	if (!coap_dtls_is_supported()) {
		snprintf(err, err_cap, "libcoap was built without DTLS");
		return -ENOTSUP;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		goto nomem;
	d->c = *c;
	if (c->max_failures) {
		struct lwbs_srclimit_conf lc = {.max = c->max_failures, .window_s = c->window_s, .block_s = c->block_s};

		d->fails = lwbs_srclimit_create(&lc);
		if (!d->fails)
			goto nomem;
	}
	psk.validate_id_call_back = on_psk_identity;
	psk.id_call_back_arg = d;
	if (!coap_context_set_psk2(ctx, &psk)) {
		snprintf(err, err_cap, "dtls: cannot set PSK up");
		r = -EINVAL;
		goto fail;
	}
	if (c->cert_file && (r = lwbs_dtls_check_files(c, err, err_cap)) != 0)
		goto fail;
	if (c->cert_file) {
		coap_dtls_pki_t pki = {
			.version = COAP_DTLS_PKI_SETUP_VERSION,
			.verify_peer_cert = 1,
			.check_common_ca = 1,
			.allow_self_signed = 0,
			.allow_expired_certs = 0,
			.cert_chain_validation = 1,
			.cert_chain_verify_depth = 4,
			.check_cert_revocation = 0,
			.validate_cn_call_back = on_cert,
			.cn_call_back_arg = d,
		};

		d->cert_file = strdup(c->cert_file);
		d->key_file = strdup(c->key_file ? c->key_file : c->cert_file);
		d->ca_file = c->ca_file ? strdup(c->ca_file) : NULL;
		if (!d->cert_file || !d->key_file || (c->ca_file && !d->ca_file))
			goto nomem;
		pki.pki_key.key_type = COAP_PKI_KEY_PEM;
		pki.pki_key.key.pem.public_cert = d->cert_file;
		pki.pki_key.key.pem.private_key = d->key_file;
		pki.pki_key.key.pem.ca_file = d->ca_file;
		if (!coap_context_set_pki(ctx, &pki)) {
			snprintf(err, err_cap, "dtls: cannot load the certificate %s, key %s or CA bundle %s",
				 c->cert_file, d->key_file, c->ca_file ? c->ca_file : "(none)");
			r = -EINVAL;
			goto fail;
		}
	}
	*out = d;
	return 0;
nomem:
	snprintf(err, err_cap, "out of memory");
	r = -ENOMEM;
fail:
	lwbs_dtls_destroy(d);
	return r;
}

void lwbs_dtls_destroy(struct lwbs_dtls *d)
{
	if (!d)
		return;
	free(d->cert_file);
	free(d->key_file);
	free(d->ca_file);
	free(d->listeners);
	lwbs_srclimit_destroy(d->fails);
	free(d);
}

int lwbs_dtls_add_listener(struct lwbs_dtls *d, const struct sockaddr *addr, socklen_t len, unsigned accept,
			   bool stream)
{
	struct listener *ls = realloc(d->listeners, (d->n_listeners + 1) * sizeof(*ls));

	if (!ls)
		return -ENOMEM;
	d->listeners = ls;
	ls += d->n_listeners++;
	memset(ls, 0, sizeof(*ls));
	memcpy(&ls->addr, addr, len);
	ls->len = len;
	ls->accept = accept;
	ls->stream = stream;
	return 0;
}
