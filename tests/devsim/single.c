/* lwbs-devsim — single-device mode: one bootstrap, a JSON report on stdout. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "devsim.h"
#include "lwbs/err.h"
#include "tcp.h"

static const char *method_name(uint8_t m)
{
	switch (m) {
	case DEVSIM_GET: return "GET";
	case DEVSIM_POST: return "POST";
	case DEVSIM_PUT: return "PUT";
	case DEVSIM_DELETE: return "DELETE";
	default: return "OTHER";
	}
}

static void print_report(const struct devsim_client *c, const struct devsim_opts *o, const char *cipher)
{
	enum lwbs_version v = o->version;
	struct lwbs_buf b;
	char cs[8];

	lwbs_buf_init(&b, 0);
	lwbs_buf_printf(&b, "{\"result\":\"%s\",\"reason\":", c->ok ? "ok" : "failed");
	devsim_json_string(&b, c->reason, strlen(c->reason));
	if (o->discovered) {
		lwbs_buf_puts(&b, ",\"discovered\":");
		devsim_json_string(&b, o->discovered, strlen(o->discovered));
		lwbs_buf_printf(&b, ",\"discovery\":%s", o->discovery_json);
	}
	if (cipher) {
		lwbs_buf_puts(&b, ",\"cipher\":");
		devsim_json_string(&b, cipher, strlen(cipher));
	}
	lwbs_buf_printf(&b, ",\"lwm2m\":\"%s\",\"bootstrap_request\":", lwbs_version_str(v));
	if (c->bs_code)
		lwbs_buf_printf(&b, "\"%s\"", devsim_code_str(c->bs_code, cs));
	else
		lwbs_buf_puts(&b, "null");
	if (c->conf.pack) {
		lwbs_buf_puts(&b, ",\"bootstrap_pack\":");
		if (c->pack_code)
			lwbs_buf_printf(&b, "\"%s\"", devsim_code_str(c->pack_code, cs));
		else
			lwbs_buf_puts(&b, "null");
	}
	lwbs_buf_puts(&b, ",\"requests\":[");
	for (size_t i = 0; i < c->n_log; i++) {
		const struct devsim_log_entry *e = &c->log[i];
		lwbs_buf_printf(&b, "%s{\"method\":\"%s\",\"path\":", i ? "," : "", method_name(e->method));
		devsim_json_string(&b, e->path, strlen(e->path));
		if (e->accept >= 0)
			lwbs_buf_printf(&b, ",\"accept\":%d", e->accept);
		if (e->cf >= 0)
			lwbs_buf_printf(&b, ",\"format\":%d", e->cf);
		lwbs_buf_printf(&b, ",\"code\":\"%s\"}", devsim_code_str(e->code, cs));
	}
	lwbs_buf_puts(&b, "],\"objects\":");
	devsim_device_json(&c->dev, &b);
	lwbs_buf_puts(&b, "}\n");
	if (!lwbs_buf_err(&b))
		fwrite(b.data, 1, b.len, stdout);
	fflush(stdout);
	lwbs_buf_finish(&b);
}

static int local_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = {0}, *res;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
	if (getaddrinfo(s, "0", &hints, &res) != 0)
		return -EINVAL;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* Sends what the client wrote: one datagram, one DTLS record, or one
 * RFC 8323 frame. */
static void flush(int fd, struct devsim_dtls *tls, struct devsim_tcp *tcp, struct lwbs_buf *out)
{
	if (out->len && !lwbs_buf_err(out)) {
		if (tcp)
			devsim_tcp_send(tcp, out->data, out->len);
		else if (tls)
			devsim_dtls_send(tls, out->data, out->len);
		else
			send(fd, out->data, out->len, 0);
	}
	lwbs_buf_reset(out);
}

/* Runs the DTLS handshake until connected, failed, or stop (monotonic
 * us): waits for the socket or the DTLS retransmission timer. */
static int handshake(struct devsim_dtls *tls, int fd, int64_t stop, char *why, size_t cap)
{
	for (;;) {
		int r = devsim_dtls_step(tls, why, cap);

		if (r == 1)
			return 0;
		if (r < 0)
			return r;
		int64_t now = devsim_now_us();
		if (now >= stop) {
			snprintf(why, cap, "handshake failed: timeout");
			return -ETIMEDOUT;
		}
		int wait_ms = (int)((stop - now + 999) / 1000), t_ms = devsim_dtls_timeout_ms(tls);
		if (t_ms >= 0 && t_ms < wait_ms)
			wait_ms = t_ms;
		struct pollfd pfd = {fd, POLLIN, 0};
		if (poll(&pfd, 1, wait_ms) < 0 && errno != EINTR) {
			snprintf(why, cap, "poll: %s", strerror(errno));
			return -errno;
		}
	}
}

int devsim_single_run(const struct devsim_opts *o)
{
	struct devsim_device_conf dc = {
		.version = o->version,
		.bs_iid = o->bs_iid,
		.bs_uri = o->server,
		.endpoint = o->ep,
		.fail_finish = o->fail_finish,
	};
	struct devsim_client_conf cc = {
		.endpoint = o->ep,
		.pct = o->pct,
		.pack = o->pack,
		.accept = o->accept,
		.mute_after = o->mute_after,
		.log = true,
		.seed = (uint32_t)devsim_now_us() ^ (uint32_t)getpid(),
	};
	struct sockaddr_storage ls;
	socklen_t ll = 0;
	struct devsim_client *c;
	struct lwbs_buf out;
	struct devsim_dtls *tls = NULL;
	struct devsim_tcp *tcp = NULL;
	uint8_t dgram[65536], obuf[4 * DEVSIM_MAX_DGRAM];
	char why[256];
	int fd, rc;

	if (o->local && local_addr(o->local, &ls, &ll)) {
		fprintf(stderr, "lwbs-devsim: --local must be an IP address: %s\n", o->local);
		return 2;
	}
	c = calloc(1, sizeof(*c));
	if (!c || devsim_client_init(c, &dc, &cc)) {
		fprintf(stderr, "lwbs-devsim: out of memory\n");
		free(c);
		return 1;
	}
	fd = devsim_transport_open(o, o->local ? (struct sockaddr *)&ls : NULL, ll);
	if (fd < 0) {
		fprintf(stderr, "lwbs-devsim: cannot open the transport: %s\n", strerror(-fd));
		devsim_client_finish(c);
		free(c);
		return 1;
	}
	lwbs_buf_init_fixed(&out, obuf, sizeof(obuf));
	int64_t now = devsim_now_us(), stop = now + (int64_t)(o->timeout * 1e6);
	if (o->tcp) {
		tcp = devsim_tcp_open(o, fd, stop, why, sizeof(why));
		if (!tcp) {
			devsim_client_fail(c, why);
			goto report;
		}
	} else if (o->secure) {
		tls = devsim_dtls_create(&o->dtls, fd, why, sizeof(why));
		if (!tls) {
			fprintf(stderr, "lwbs-devsim: %s\n", why);
			close(fd);
			devsim_client_finish(c);
			free(c);
			return 2;
		}
		if (handshake(tls, fd, stop, why, sizeof(why))) {
			devsim_client_fail(c, why);
			goto report;
		}
	}
	rc = devsim_client_start(c, devsim_now_us() / 1000, &out);
	flush(fd, tls, tcp, &out);
	while (!rc && c->state != DEVSIM_CL_DONE) {
		now = devsim_now_us();
		if (now >= stop) {
			devsim_client_fail(c, "timeout");
			break;
		}
		int64_t wake = stop, dl = devsim_client_deadline(c);
		if (dl != INT64_MAX && dl * 1000 < wake)
			wake = dl * 1000;
		struct pollfd pfd = {fd, POLLIN, 0};
		int wait_ms = (int)((wake - now + 999) / 1000);
		if (poll(&pfd, 1, wait_ms) < 0 && errno != EINTR)
			break;
		for (;;) {
			ssize_t n = tcp ? devsim_tcp_recv(tcp, dgram, sizeof(dgram))
				    : tls ? devsim_dtls_recv(tls, dgram, sizeof(dgram))
					  : recv(fd, dgram, sizeof(dgram), MSG_DONTWAIT);
			if (n == -ECONNRESET)
				devsim_client_fail(c, tcp ? "the server closed the connection"
							  : "the server closed the DTLS session");
			if (n < 0)
				break;
			devsim_client_input(c, devsim_now_us() / 1000, dgram, (size_t)n, &out);
			flush(fd, tls, tcp, &out);
		}
		devsim_client_timer(c, devsim_now_us() / 1000, &out);
		flush(fd, tls, tcp, &out);
	}
	if (rc)
		devsim_client_fail(c, lwbs_strerror(rc));
report:
	print_report(c, o, tls ? devsim_dtls_cipher(tls) : tcp ? devsim_tcp_cipher(tcp) : NULL);
	rc = c->ok ? 0 : 1;
	devsim_tcp_destroy(tcp);
	devsim_dtls_destroy(tls);
	close(fd);
	devsim_client_finish(c);
	free(c);
	return rc;
}
