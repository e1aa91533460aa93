/* lwbs-devsim — CoAP over TCP and TLS, RFC 8323 (see tcp.h). */
#include "tcp.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "lwbs/coapmsg.h"
#include "lwbs/err.h"

#define RX_MAX (64 * 1024 + 64) /* the largest frame taken */

struct devsim_tcp {
	int fd;
	int64_t stop;
	SSL_CTX *ctx;
	SSL *ssl;
	struct devsim_dtls_conf cred; /* copy: the PSK callback reads it */
	bool csm_seen;
	/* the client's request in flight: responses become its ACK */
	bool req_sent;
	uint16_t req_mid;
	uint16_t next_mid; /* for the server's requests */
	uint8_t rx[RX_MAX];
	size_t rx_len;
};

static void ssl_why(const char *what, char *why, size_t cap)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(why, cap, "%s%s%s", what, *buf ? ": " : "", buf);
	ERR_clear_error();
}

/* Waits for events on the socket until the deadline: 0, or -ETIMEDOUT. */
static int wait_fd(const struct devsim_tcp *t, short events)
{
	for (;;) {
		int64_t left = t->stop - devsim_now_us();
		struct pollfd pfd = {t->fd, events, 0};
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)((left + 999) / 1000));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static unsigned int on_psk(SSL *ssl, const char *hint, char *identity, unsigned int max_identity_len,
			   unsigned char *psk, unsigned int max_psk_len)
{
	const struct devsim_tcp *t = SSL_get_app_data(ssl);
	size_t il = strlen(t->cred.psk_identity);

	if (il + 1 > max_identity_len || t->cred.psk_key_len > max_psk_len)
		return 0;
	memcpy(identity, t->cred.psk_identity, il + 1);
	memcpy(psk, t->cred.psk_key, t->cred.psk_key_len);
	return (unsigned int)t->cred.psk_key_len;
}

static int tls_setup(struct devsim_tcp *t, char *why, size_t cap)
{
	const struct devsim_dtls_conf *c = &t->cred;

	t->ctx = SSL_CTX_new(TLS_client_method());
	if (!t->ctx) {
		ssl_why("SSL_CTX_new", why, cap);
		return -ENOMEM;
	}
	/* LwM2M 1.1 §7.2: TLS 1.2, the same suites as DTLS */
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(t->ctx, TLS1_2_VERSION);
	if (c->ciphers && SSL_CTX_set_cipher_list(t->ctx, c->ciphers) != 1) {
		ssl_why("bad --ciphers", why, cap);
		return -EINVAL;
	}
	if (c->psk_identity)
		SSL_CTX_set_psk_client_callback(t->ctx, on_psk);
	if (c->cert && (SSL_CTX_use_certificate_chain_file(t->ctx, c->cert) != 1 ||
			SSL_CTX_use_PrivateKey_file(t->ctx, c->key ? c->key : c->cert, SSL_FILETYPE_PEM) != 1 ||
			SSL_CTX_check_private_key(t->ctx) != 1)) {
		ssl_why(c->cert, why, cap);
		return -EINVAL;
	}
	if (c->ca) {
		if (SSL_CTX_load_verify_locations(t->ctx, c->ca, NULL) != 1) {
			ssl_why(c->ca, why, cap);
			return -EINVAL;
		}
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	}
	t->ssl = SSL_new(t->ctx);
	if (!t->ssl || SSL_set_fd(t->ssl, t->fd) != 1) {
		ssl_why("SSL_new", why, cap);
		return -ENOMEM;
	}
	SSL_set_app_data(t->ssl, t);
	for (;;) {
		int r = SSL_connect(t->ssl), e;

		if (r == 1)
			return 0;
		e = SSL_get_error(t->ssl, r);
		if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
		    wait_fd(t, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)) {
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				snprintf(why, cap, "handshake failed: timeout");
			else if (ERR_peek_error())
				ssl_why("handshake failed", why, cap);
			else
				snprintf(why, cap, "handshake failed: the server closed the connection");
			return -ECONNREFUSED;
		}
	}
}

/* Writes all of p, waiting for the socket up to the deadline. */
static int write_all(struct devsim_tcp *t, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w;

		if (t->ssl) {
			int r = SSL_write(t->ssl, p, (int)n), e;

			if (r > 0) {
				w = r;
			} else {
				e = SSL_get_error(t->ssl, r);
				if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
					return -EIO;
				if (wait_fd(t, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT))
					return -ETIMEDOUT;
				continue;
			}
		} else {
			w = send(t->fd, p, n, MSG_NOSIGNAL);
			if (w < 0) {
				if (errno != EAGAIN && errno != EINTR)
					return -errno;
				if (wait_fd(t, POLLOUT))
					return -ETIMEDOUT;
				continue;
			}
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int send_frame(struct devsim_tcp *t, const struct lwbs_coapmsg *m)
{
	uint8_t buf[4 * 1536 + 16];
	struct lwbs_buf b;
	int r;

	lwbs_buf_init_fixed(&b, buf, sizeof(buf));
	r = lwbs_coapmsg_tcp_encode(m, &b);
	return r ? r : write_all(t, b.data, b.len);
}

struct devsim_tcp *devsim_tcp_open(const struct devsim_opts *o, int fd, int64_t stop, char *why, size_t cap)
{
	struct devsim_tcp *t = calloc(1, sizeof(*t));
	struct lwbs_coapmsg csm = {.code = LWBS_COAPMSG_CSM};
	uint8_t tmp[4];
	int err = 0;
	socklen_t el = sizeof(err);

	if (!t) {
		snprintf(why, cap, "out of memory");
		return NULL;
	}
	t->fd = fd;
	t->stop = stop;
	t->cred = o->dtls;
	t->next_mid = 1;
	if (wait_fd(t, POLLOUT) || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
		snprintf(why, cap, "cannot connect: %s", err ? strerror(err) : "timeout");
		goto fail;
	}
	if (o->secure && tls_setup(t, why, cap))
		goto fail;
	lwbs_coapmsg_add_uint(&csm, LWBS_COAPMSG_OPT_MAX_MESSAGE_SIZE, DEVSIM_TCP_MAX_MESSAGE, tmp);
	if (send_frame(t, &csm)) {
		snprintf(why, cap, "cannot send the CSM");
		goto fail;
	}
	return t;
fail:
	devsim_tcp_destroy(t);
	return NULL;
}

int devsim_tcp_send(struct devsim_tcp *t, const uint8_t *p, size_t n)
{
	struct lwbs_coapmsg m;
	int r = lwbs_coapmsg_parse(p, n, &m);

	if (r)
		return r;
	if (m.code == 0)
		return 0; /* empty ACK or RST: nothing to say over TCP */
	if (lwbs_coapmsg_is_request(&m)) {
		if (t->req_sent && m.mid == t->req_mid)
			return 0; /* a retransmission */
		t->req_sent = true;
		t->req_mid = m.mid;
	}
	return send_frame(t, &m);
}

/* Reads what the socket has into rx: 0, -EAGAIN (nothing new), or
 * -ECONNRESET. */
static int fill(struct devsim_tcp *t)
{
	size_t room = sizeof(t->rx) - t->rx_len;
	ssize_t n;

	if (room == 0)
		return -ECONNRESET; /* a frame larger than we take */
	if (t->ssl) {
		int r = SSL_read(t->ssl, t->rx + t->rx_len, (int)room), e;

		if (r > 0) {
			n = r;
		} else {
			e = SSL_get_error(t->ssl, r);
			return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? -EAGAIN : -ECONNRESET;
		}
	} else {
		n = recv(t->fd, t->rx + t->rx_len, room, MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? -EAGAIN : -ECONNRESET;
		if (n == 0)
			return -ECONNRESET;
	}
	t->rx_len += (size_t)n;
	return 0;
}

/* The next complete frame in rx into *m (pointers into rx) and its length
 * in *used: 0, -EAGAIN (incomplete), -ECONNRESET (unparseable). */
static int next_frame(struct devsim_tcp *t, struct lwbs_coapmsg *m, size_t *used)
{
	size_t len;
	int r = lwbs_coapmsg_tcp_frame_len(t->rx, t->rx_len, &len);

	if (r == LWBS_ETRUNC || (r == 0 && len > t->rx_len))
		return r == 0 && len > sizeof(t->rx) ? -ECONNRESET : -EAGAIN;
	if (r || lwbs_coapmsg_tcp_parse(t->rx, len, m))
		return -ECONNRESET;
	*used = len;
	return 0;
}

ssize_t devsim_tcp_recv(struct devsim_tcp *t, uint8_t *buf, size_t cap)
{
	for (;;) {
		struct lwbs_coapmsg m;
		struct lwbs_buf b;
		size_t used;
		int r = next_frame(t, &m, &used);

		if (r == -EAGAIN) {
			r = fill(t);
			if (r)
				return r;
			continue;
		}
		if (r)
			return r;
		if (m.code == LWBS_COAPMSG_RELEASE || m.code == LWBS_COAPMSG_ABORT)
			return -ECONNRESET;
		if (m.code == LWBS_COAPMSG_PING) {
			struct lwbs_coapmsg pong = {.code = LWBS_COAPMSG_PONG, .tkl = m.tkl};

			memcpy(pong.token, m.token, m.tkl);
			r = send_frame(t, &pong);
		} else if (m.code == LWBS_COAPMSG_CSM) {
			t->csm_seen = true;
		} else if (m.code != 0 && m.code < 0xe0) {
			if (lwbs_coapmsg_is_request(&m)) {
				m.type = LWBS_COAPMSG_CON;
				m.mid = t->next_mid++;
			} else {
				m.type = LWBS_COAPMSG_ACK;
				m.mid = t->req_mid;
			}
			lwbs_buf_init_fixed(&b, buf, cap);
			r = lwbs_coapmsg_encode(&m, &b);
			memmove(t->rx, t->rx + used, t->rx_len - used);
			t->rx_len -= used;
			return r ? -ECONNRESET : (ssize_t)b.len;
		}
		/* empty messages, Pong and other signals: nothing for the client */
		memmove(t->rx, t->rx + used, t->rx_len - used);
		t->rx_len -= used;
		if (r)
			return -ECONNRESET;
	}
}

const char *devsim_tcp_cipher(const struct devsim_tcp *t)
{
	return t->ssl ? SSL_get_cipher_name(t->ssl) : NULL;
}

bool devsim_tcp_csm_seen(const struct devsim_tcp *t)
{
	return t->csm_seen;
}

void devsim_tcp_destroy(struct devsim_tcp *t)
{
	if (!t)
		return;
	if (t->ssl) {
		if (SSL_is_init_finished(t->ssl))
			SSL_shutdown(t->ssl);
		SSL_free(t->ssl);
	}
	SSL_CTX_free(t->ctx);
	OPENSSL_cleanse(t->cred.psk_key, sizeof(t->cred.psk_key));
	free(t);
}
