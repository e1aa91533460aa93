/* lwbsd — metrics endpoint. */
#include "metrics.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MAX_CONNS 16
#define REQ_MAX 2048

struct conn {
	struct lwbs_metrics_server *srv;
	struct lwbs_loop_fd src;
	int fd;
	bool used;
	size_t in_len;
	char in[REQ_MAX];
	struct lwbs_buf out;
	size_t out_off;
};

struct lwbs_metrics_server {
	struct lwbs_loop *loop;
	struct lwbs_loop_fd src;
	int fd;
	struct lwbs_metrics *m;
	lwbs_metrics_refresh_fn refresh;
	void *arg;
	struct conn conns[MAX_CONNS];
};

/* One unlabelled metric of the given type ("counter" or "gauge"). */
static void metric(struct lwbs_buf *b, const char *type, const char *name, const char *help,
		   unsigned long long v)
{
	lwbs_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, v);
}

static void counter(struct lwbs_buf *b, const char *name, const char *help, unsigned long long v)
{
	metric(b, "counter", name, help, v);
}

static void gauge(struct lwbs_buf *b, const char *name, const char *help, unsigned long long v)
{
	metric(b, "gauge", name, help, v);
}

/* The header of a labelled counter, then its samples with sample(). */
static void family(struct lwbs_buf *b, const char *name, const char *help)
{
	lwbs_buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
}

static void sample(struct lwbs_buf *b, const char *name, const char *label, const char *value,
		   unsigned long long v)
{
	lwbs_buf_printf(b, "%s{%s=\"%s\"} %llu\n", name, label, value, v);
}

/* The RADIUS accounting listener (docs/radius.md): every packet received
 * is answered, answered again from the cache (a retransmission), or dropped
 * for one reason. */
static void render_radius(const struct lwbs_radius_listener_stats *st, struct lwbs_buf *b)
{
	counter(b, "lwbs_radius_requests_total", "Accounting packets received.", st->received);
	counter(b, "lwbs_radius_responses_total", "Accounting-Responses sent for new requests.", st->answered);
	counter(b, "lwbs_radius_resent_total", "Retransmitted requests answered again without a write.",
		st->resent);
	family(b, "lwbs_radius_dropped_total", "Accounting packets dropped unanswered, by reason.");
	sample(b, "lwbs_radius_dropped_total", "reason", "unknown_nas", st->unknown_nas);
	sample(b, "lwbs_radius_dropped_total", "reason", "bad_authenticator", st->bad_auth);
	sample(b, "lwbs_radius_dropped_total", "reason", "malformed", st->malformed);
	sample(b, "lwbs_radius_dropped_total", "reason", "in_progress", st->dup_dropped);
	counter(b, "lwbs_radius_unbound_total",
		"Authentic requests answered without a binding (no address or no session id).", st->refused);
	counter(b, "lwbs_radius_applied_total", "Requests applied to the binding table.", st->applied);
	counter(b, "lwbs_radius_durable_records_total", "Binding changes handed to the journal or database.",
		st->journal_records);
	counter(b, "lwbs_radius_durable_writes_total", "Journal fdatasyncs or database commits.",
		st->journal_writes);
	counter(b, "lwbs_radius_durable_errors_total", "Failed journal or database writes.", st->journal_errors);
	gauge(b, "lwbs_radius_bindings", "Active bindings.", st->bindings);
	gauge(b, "lwbs_radius_table_bytes", "Memory held by the binding table.", st->table_bytes);
	gauge(b, "lwbs_radius_in_flight", "Requests waiting for their write.", st->in_flight);
}

void lwbs_metrics_render(const struct lwbs_metrics *m, struct lwbs_buf *b)
{
	family(b, "lwbs_sessions_total", "Finished bootstrap sessions by result.");
	for (int r = LWBS_BS_OK; r < LWBS_BS_RESULT_COUNT; r++)
		sample(b, "lwbs_sessions_total", "result", lwbs_bs_result_name((enum lwbs_bs_result)r),
		       m->results[r]);
	gauge(b, "lwbs_sessions_active", "Bootstrap sessions in progress.", m->sessions_active);
	counter(b, "lwbs_bs_requests_total", "Requests received on /bs and /bspack.", m->requests_in);
	counter(b, "lwbs_coap_requests_sent_total", "Requests sent to clients.", m->requests_out);
	counter(b, "lwbs_coap_responses_total", "Responses received from clients.", m->responses_in);
	counter(b, "lwbs_coap_undelivered_total", "Requests to clients not delivered.", m->nacks);
	counter(b, "lwbs_busy_refusals_total", "Requests refused with 5.03 (limit or shutdown).",
		m->busy_refusals);
	counter(b, "lwbs_blocked_requests_total",
		"NoSec requests dropped: their source is blocked (unknown_limit).", m->blocked_drops);
	family(b, "lwbs_identity_refusals_total",
	       "NoSec requests on trusted listeners refused by the identity policy, by reason.");
	for (int r = LWBS_IDENTITY_OK + 1; r < LWBS_IDENTITY_REASON_COUNT; r++)
		sample(b, "lwbs_identity_refusals_total", "reason",
		       lwbs_identity_reason_name((enum lwbs_identity_reason)r), m->identity_refusals[r]);
	counter(b, "lwbs_store_lookups_total", "Store lookups.", m->store_lookups);
	counter(b, "lwbs_store_errors_total", "Store lookups that failed.", m->store_errors);
	counter(b, "lwbs_store_reloads_total", "Successful store reloads.", m->reloads);
	counter(b, "lwbs_store_reload_failures_total", "Failed store reloads.", m->reload_failures);
	gauge(b, "lwbs_audit_queue_depth", "Audit records queued or being written.", m->audit_depth);
	counter(b, "lwbs_audit_records_total", "Audit records made durable.", m->audit_written);
	counter(b, "lwbs_audit_errors_total", "Audit records that could not be written.", m->audit_errors);
	if (m->dtls) {
		counter(b, "lwbs_dtls_handshake_failures_total", "DTLS handshakes that failed.",
			m->dtls_handshake_failures);
		counter(b, "lwbs_dtls_blocked_sources_total", "Sources blocked by handshake_limit.",
			m->dtls_blocked_sources);
		counter(b, "lwbs_dtls_blocked_datagrams_total", "Datagrams of blocked sources dropped.",
			m->dtls_blocked_datagrams);
	}
	if (m->radius)
		render_radius(&m->radius_st, b);
}

static void conn_close(struct conn *c)
{
	lwbs_loop_del_fd(c->srv->loop, &c->src);
	close(c->fd);
	lwbs_buf_finish(&c->out);
	c->used = false;
}

static void conn_write(struct conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = write(c->fd, c->out.data + c->out_off, c->out.len - c->out_off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				lwbs_loop_mod_fd(c->srv->loop, &c->src, EPOLLOUT);
				return;
			}
			break;
		}
		c->out_off += (size_t)n;
	}
	conn_close(c);
}

static void answer(struct conn *c)
{
	struct lwbs_metrics_server *s = c->srv;
	struct lwbs_buf body;

	lwbs_buf_init(&body, 1u << 20);
	lwbs_buf_init(&c->out, 1u << 20);
	if (strncmp(c->in, "GET ", 4) != 0) {
		lwbs_buf_puts(&c->out, "HTTP/1.0 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
	} else {
		if (s->refresh)
			s->refresh(s->arg, s->m);
		lwbs_metrics_render(s->m, &body);
		lwbs_buf_printf(&c->out,
				"HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
				"Content-Length: %zu\r\nConnection: close\r\n\r\n",
				body.len);
		lwbs_buf_put(&c->out, body.data, body.len);
	}
	lwbs_buf_finish(&body);
	c->out_off = 0;
	conn_write(c);
}

static void on_conn(void *arg, uint32_t events)
{
	struct conn *c = arg;

	if (c->out.data) {
		conn_write(c);
		return;
	}
	for (;;) {
		ssize_t n = read(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->in_len += (size_t)n;
		c->in[c->in_len] = '\0';
		if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n") || c->in_len == sizeof(c->in) - 1) {
			answer(c);
			return;
		}
	}
}

static void on_accept(void *arg, uint32_t events)
{
	struct lwbs_metrics_server *s = arg;

	for (;;) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c = NULL;

		if (fd < 0)
			return;
		for (int i = 0; i < MAX_CONNS; i++) {
			if (!s->conns[i].used) {
				c = &s->conns[i];
				break;
			}
		}
		if (!c) {
			close(fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->srv = s;
		c->fd = fd;
		c->used = true;
		if (lwbs_loop_add_fd(s->loop, &c->src, fd, EPOLLIN, on_conn, c)) {
			close(fd);
			c->used = false;
		}
	}
}

int lwbs_metrics_server_create(struct lwbs_loop *loop, const struct sockaddr *addr, socklen_t len,
			       struct lwbs_metrics *m, lwbs_metrics_refresh_fn refresh, void *arg,
			       struct lwbs_metrics_server **out)
{
	struct lwbs_metrics_server *s = calloc(1, sizeof(*s));
	int one = 1, r;

	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->m = m;
	s->refresh = refresh;
	s->arg = arg;
	s->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail_errno;
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->fd, addr, len) < 0 || listen(s->fd, 16) < 0)
		goto fail_errno;
	r = lwbs_loop_add_fd(loop, &s->src, s->fd, EPOLLIN, on_accept, s);
	if (r)
		goto fail;
	*out = s;
	return 0;
fail_errno:
	r = -errno;
fail:
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return r;
}

void lwbs_metrics_server_destroy(struct lwbs_metrics_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < MAX_CONNS; i++)
		if (s->conns[i].used)
			conn_close(&s->conns[i]);
	lwbs_loop_del_fd(s->loop, &s->src);
	close(s->fd);
	free(s);
}
