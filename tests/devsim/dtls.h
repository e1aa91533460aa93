/* lwbs-devsim — DTLS 1.2 client (OpenSSL) over devsim's connected,
 * non-blocking UDP socket: PSK (identity and key) or X.509 (client
 * certificate and key), optional verification of the server's certificate
 * against a CA bundle, optional cipher list (OpenSSL names, e.g.
 * "PSK-AES128-CCM8" to offer only TLS_PSK_WITH_AES_128_CCM_8).
 *
 * The handshake is driven step by step (devsim_dtls_step) from the
 * caller's poll loop: wait for POLLIN on the socket or for
 * devsim_dtls_timeout_ms(), then step again. Afterwards every CoAP
 * message is one DTLS record (devsim_dtls_send / devsim_dtls_recv).
 */
#ifndef DEVSIM_DTLS_H
#define DEVSIM_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DEVSIM_PSK_MAX 64

struct devsim_dtls_conf {
	const char *psk_identity; /* PSK mode when set */
	uint8_t psk_key[DEVSIM_PSK_MAX];
	size_t psk_key_len;
	const char *cert, *key;   /* X.509 mode: PEM files */
	const char *ca;           /* PEM bundle to verify the server, or NULL (not verified) */
	const char *ciphers;      /* OpenSSL cipher list, or NULL for OpenSSL's default */
};

struct devsim_dtls_ctx;
struct devsim_dtls;

/* The shared part (one OpenSSL SSL_CTX: credentials, cipher list, CA),
 * for any number of sessions. c is copied. NULL with err filled on error
 * (unreadable certificate, bad cipher list). */
struct devsim_dtls_ctx *devsim_dtls_ctx_new(const struct devsim_dtls_conf *c, char *err, size_t cap);
/* NULL-safe; after every session opened on it is destroyed. Wipes the PSK. */
void devsim_dtls_ctx_free(struct devsim_dtls_ctx *x);

/* One DTLS client session (one SSL) on x over the connected socket fd
 * (stays the caller's), not yet started. PSK mode: identity (borrowed
 * until the handshake is over) replaces the conf's psk_identity when not
 * NULL. NULL with err filled on error. */
struct devsim_dtls *devsim_dtls_open(struct devsim_dtls_ctx *x, int fd, const char *identity, char *err,
				     size_t cap);
/* devsim_dtls_ctx_new and devsim_dtls_open in one: the session owns its
 * context (single-device mode). */
struct devsim_dtls *devsim_dtls_create(const struct devsim_dtls_conf *c, int fd, char *err, size_t cap);
/* Sends close_notify when connected, frees (and the context when the
 * session owns it). NULL-safe. */
void devsim_dtls_destroy(struct devsim_dtls *t);

/* One handshake step: 1 connected, 0 in progress (wait for the socket or
 * the timeout), or a negative code with err filled ("handshake failed:
 * ..." with OpenSSL's reason, e.g. the alert received). */
int devsim_dtls_step(struct devsim_dtls *t, char *err, size_t cap);
/* Milliseconds until the handshake retransmission timer fires, or -1. */
int devsim_dtls_timeout_ms(struct devsim_dtls *t);

/* Sends one datagram's worth of data as one record. 0 or a negative code. */
int devsim_dtls_send(struct devsim_dtls *t, const void *p, size_t n);
/* Receives one record: its length, -EAGAIN when nothing is waiting,
 * -ECONNRESET when the server closed or sent a fatal alert. */
ssize_t devsim_dtls_recv(struct devsim_dtls *t, void *buf, size_t cap);

/* Whether the handshake has completed. */
bool devsim_dtls_connected(const struct devsim_dtls *t);
/* Negotiated suite (OpenSSL name), or "" before the handshake. */
const char *devsim_dtls_cipher(const struct devsim_dtls *t);

/* --psk-key: "hex:HEX" or plain text. 0 or -EINVAL (bad hex, empty, longer
 * than DEVSIM_PSK_MAX). */
int devsim_dtls_parse_key(const char *s, uint8_t *out, size_t *len);

#endif
