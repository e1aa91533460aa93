/* lwbs-devsim — DTLS 1.2 client (see dtls.h). */
#include "lwbs/hex.h"
#include "dtls.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

struct devsim_dtls_ctx {
	struct devsim_dtls_conf c;
	SSL_CTX *ctx;
};

struct devsim_dtls {
	struct devsim_dtls_ctx *x;
	bool own_ctx;
	const char *identity;
	SSL *ssl;
	bool connected;
};

static void ssl_err(const char *what, char *err, size_t cap)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, cap, "%s%s%s", what, *buf ? ": " : "", buf);
	ERR_clear_error();
}

static unsigned int on_psk(SSL *ssl, const char *hint, char *identity, unsigned int max_identity_len,
			   unsigned char *psk, unsigned int max_psk_len)
{
	struct devsim_dtls *t = SSL_get_app_data(ssl);
	const struct devsim_dtls_conf *c = &t->x->c;
	size_t il = strlen(t->identity);

	if (il + 1 > max_identity_len || c->psk_key_len > max_psk_len)
		return 0;
	memcpy(identity, t->identity, il + 1);
	memcpy(psk, c->psk_key, c->psk_key_len);
	return (unsigned int)c->psk_key_len;
}

struct devsim_dtls_ctx *devsim_dtls_ctx_new(const struct devsim_dtls_conf *c, char *err, size_t cap)
{
	struct devsim_dtls_ctx *x = calloc(1, sizeof(*x));

	if (!x) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	x->c = *c;
	x->ctx = SSL_CTX_new(DTLS_client_method());
	if (!x->ctx) {
		ssl_err("SSL_CTX_new", err, cap);
		goto fail;
	}
	SSL_CTX_set_min_proto_version(x->ctx, DTLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(x->ctx, DTLS1_2_VERSION);
	if (c->ciphers && SSL_CTX_set_cipher_list(x->ctx, c->ciphers) != 1) {
		ssl_err("bad --ciphers", err, cap);
		goto fail;
	}
	if (c->psk_identity || c->psk_key_len)
		SSL_CTX_set_psk_client_callback(x->ctx, on_psk);
	if (c->cert) {
		if (SSL_CTX_use_certificate_chain_file(x->ctx, c->cert) != 1) {
			ssl_err(c->cert, err, cap);
			goto fail;
		}
		if (SSL_CTX_use_PrivateKey_file(x->ctx, c->key ? c->key : c->cert, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(x->ctx) != 1) {
			ssl_err(c->key ? c->key : c->cert, err, cap);
			goto fail;
		}
	}
	if (c->ca) {
		if (SSL_CTX_load_verify_locations(x->ctx, c->ca, NULL) != 1) {
			ssl_err(c->ca, err, cap);
			goto fail;
		}
		SSL_CTX_set_verify(x->ctx, SSL_VERIFY_PEER, NULL);
	}
	return x;
fail:
	devsim_dtls_ctx_free(x);
	return NULL;
}

void devsim_dtls_ctx_free(struct devsim_dtls_ctx *x)
{
	if (!x)
		return;
	SSL_CTX_free(x->ctx);
	OPENSSL_cleanse(x->c.psk_key, sizeof(x->c.psk_key));
	free(x);
}

struct devsim_dtls *devsim_dtls_open(struct devsim_dtls_ctx *x, int fd, const char *identity, char *err,
				     size_t cap)
{
	struct devsim_dtls *t = calloc(1, sizeof(*t));
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);
	BIO *bio;

	if (!t) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	t->x = x;
	t->identity = identity ? identity : x->c.psk_identity;
	if (x->c.psk_key_len && !t->identity) {
		snprintf(err, cap, "no PSK identity");
		goto fail;
	}
	t->ssl = SSL_new(x->ctx);
	bio = t->ssl ? BIO_new_dgram(fd, BIO_NOCLOSE) : NULL;
	if (!bio) {
		ssl_err("SSL_new", err, cap);
		goto fail;
	}
	/* the socket is connected: the BIO then writes without an address */
	if (getpeername(fd, (struct sockaddr *)&peer, &pl) < 0) {
		snprintf(err, cap, "getpeername: %s", strerror(errno));
		BIO_free(bio);
		goto fail;
	}
	BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &peer);
	SSL_set_bio(t->ssl, bio, bio);
	SSL_set_app_data(t->ssl, t);
	SSL_set_connect_state(t->ssl);
	/* room for the CoAP datagrams devsim sends (1280-byte IPv6 minimum) */
	SSL_set_options(t->ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(t->ssl, 1400);
	return t;
fail:
	devsim_dtls_destroy(t);
	return NULL;
}

struct devsim_dtls *devsim_dtls_create(const struct devsim_dtls_conf *c, int fd, char *err, size_t cap)
{
	struct devsim_dtls_ctx *x = devsim_dtls_ctx_new(c, err, cap);
	struct devsim_dtls *t = x ? devsim_dtls_open(x, fd, NULL, err, cap) : NULL;

	if (!t) {
		devsim_dtls_ctx_free(x);
		return NULL;
	}
	t->own_ctx = true;
	return t;
}

void devsim_dtls_destroy(struct devsim_dtls *t)
{
	if (!t)
		return;
	if (t->ssl && t->connected)
		SSL_shutdown(t->ssl);
	ERR_clear_error();
	SSL_free(t->ssl);
	if (t->own_ctx)
		devsim_dtls_ctx_free(t->x);
	free(t);
}

int devsim_dtls_step(struct devsim_dtls *t, char *err, size_t cap)
{
	int r;

	if (t->connected)
		return 1;
	/* retransmits the last flight when its timer has run out */
	if (DTLSv1_handle_timeout(t->ssl) < 0) {
		ssl_err("handshake failed", err, cap);
		return -ETIMEDOUT;
	}
	r = SSL_do_handshake(t->ssl);
	if (r == 1) {
		t->connected = true;
		return 1;
	}
	switch (SSL_get_error(t->ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return 0;
	default:
		ssl_err("handshake failed", err, cap);
		return -ECONNREFUSED;
	}
}

int devsim_dtls_timeout_ms(struct devsim_dtls *t)
{
	struct timeval tv;

	if (t->connected || DTLSv1_get_timeout(t->ssl, &tv) != 1)
		return -1;
	return (int)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
}

int devsim_dtls_send(struct devsim_dtls *t, const void *p, size_t n)
{
	if (!t->connected)
		return -ENOTCONN;
	if (n == 0)
		return 0;
	if (SSL_write(t->ssl, p, (int)n) <= 0) {
		ERR_clear_error();
		return -EIO;
	}
	return 0;
}

ssize_t devsim_dtls_recv(struct devsim_dtls *t, void *buf, size_t cap)
{
	int r;

	if (!t->connected)
		return -ENOTCONN;
	r = SSL_read(t->ssl, buf, (int)cap);
	if (r > 0)
		return r;
	switch (SSL_get_error(t->ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return -EAGAIN;
	default:
		ERR_clear_error();
		return -ECONNRESET;
	}
}

bool devsim_dtls_connected(const struct devsim_dtls *t)
{
	return t->connected;
}

const char *devsim_dtls_cipher(const struct devsim_dtls *t)
{
	return t->connected ? SSL_get_cipher_name(t->ssl) : "";
}

int devsim_dtls_parse_key(const char *s, uint8_t *out, size_t *len)
{
	size_t n;

	if (strncmp(s, "hex:", 4) != 0) {
		n = strlen(s);
		if (n == 0 || n > DEVSIM_PSK_MAX)
			return -EINVAL;
		memcpy(out, s, n);
		*len = n;
		return 0;
	}
	s += 4;
	n = strlen(s);
	if (n == 0 || n % 2 || n / 2 > DEVSIM_PSK_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = lwbs_hex_digit(s[2 * i]), lo = lwbs_hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}
