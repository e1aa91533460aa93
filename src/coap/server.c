/* lwbs — CoAP front end over libcoap 4.3.1 (see server.h). */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <coap3/coap.h>

#include "../daemon/log.h"
#include "dtls.h"
#include "frontend.h"
#include "srclimit.h"
#include "lwbs/codec.h"
#include "lwbs/model.h"

#define MAX_QUERIES 16
#define QUERY_BYTES 512
#define PEER_MAX 64
/* libcoap frees the least recently used idle session beyond this count,
 * and ignores new DTLS handshakes beyond the second limit (its default is
 * 100): both must stay far above the devices served at once, or devices
 * that just finished a handshake lose their association. Floods are held
 * by the per-source handshake limit (dtls.c). */
#define MAX_IDLE_SESSIONS 65536
#define MAX_HANDSHAKE_SESSIONS 16384
#define HOUSEKEEPING_MS 20
/* coap_io_do_epoll() ends with a walk of every session and a timerfd
 * re-arm (coap_io_prepare_epoll), whatever it was given: one call is
 * handed every datagram waiting on a listener socket (one copy of the
 * socket's event per datagram, each copy reading one), up to these. */
#define BATCH_EVENTS 256
#define BATCH_PER_SOCKET 128
#define IDENT_MAX 256 /* DTLS identity and the ep compared with it, with NUL */

struct sess {
	struct lwbs_coap_server *srv;
	struct lwbs_bs_session *eng;
	coap_session_t *cs;          /* referenced while the session runs */
	struct lwbs_store_hold *hold;
	struct lwbs_loop_timer timer;
	struct sess *prev, *next;    /* active list, or free list (next only) */
	bool active;

	/* the request being handled: its response goes here */
	coap_resource_t *res;
	const coap_pdu_t *req;
	const coap_string_t *query;
	coap_pdu_t *rsp;

	/* store answer, when it comes back inside lookup() */
	bool in_lookup, plan_ready;
	int plan_err;
	const struct lwbs_bs_plan *plan;

	/* the Bootstrap-Request that started the session, to recognise its
	 * retransmissions, and the code it was answered with */
	coap_mid_t req_mid;
	int req_code;

	/* a request produced while the client's request is being answered
	 * waits until that answer is on the wire */
	bool send_pending, in_pending_list;
	struct lwbs_bs_action pending;
	struct sess *pending_next;

	/* our request in flight */
	bool outstanding;
	uint8_t token[8];
	size_t token_len;

	int64_t start_wall;
	char peer[PEER_MAX];

	/* DTLS or TLS: the identity the session authenticated with (looked
	 * up instead of ep), the ep of the lookup, and the policy refusal */
	const char *transport;       /* audit name: udp, dtls, tcp, tls */
	enum lwbs_ident_kind ident_kind;
	char identity[IDENT_MAX];    /* "" on NoSec */
	char ep[IDENT_MAX];
	bool ep_too_long;
	const char *refusal;
};

/* A datagram listener socket of libcoap's (UDP or DTLS) and the data of
 * its entry in libcoap's epoll set, to count what waits on it. */
struct dgram_sock {
	int fd;
	uint64_t epoll_data;
	bool known;     /* epoll_data found */
	bool peek_off;  /* SO_PEEK_OFF works: waiting datagrams are counted */
	bool dtls;      /* datagrams from blocked sources are dropped */
};

struct lwbs_coap_server {
	struct lwbs_coap_opts o;
	coap_context_t *ctx;
	struct lwbs_loop_fd src;
	int coap_fd;
	bool fd_added;
	struct lwbs_loop_timer hk_timer;
	int64_t last_housekeeping;
	struct dgram_sock *dgram;
	size_t n_dgram;
	struct sess *active;     /* doubly linked */
	struct sess *pending;    /* sessions with a deferred request */
	struct sess *free_list;
	size_t n_active;
	bool draining;
	struct lwbs_frontend_busy busy;
	struct lwbs_dtls *dtls;  /* NULL: no DTLS listener */
	struct lwbs_srclimit *unknown; /* NoSec: refused as unknown per source, or NULL */
};

static void drain_actions(struct sess *s);

/* ---- libcoap logging -------------------------------------------------- */

static int coap_level_to_lwbs(coap_log_t l)
{
	if (l <= LOG_ERR)
		return LWBS_LOG_ERROR;
	if (l <= LOG_WARNING)
		return LWBS_LOG_WARN;
	if (l <= LOG_INFO)
		return LWBS_LOG_INFO;
	return LWBS_LOG_DEBUG;
}

static void coap_log_cb(coap_log_t level, const char *message)
{
	char buf[512];
	size_t n = strlen(message);

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, message, n);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	lwbs_log((enum lwbs_log_level)coap_level_to_lwbs(level), "libcoap: %s", buf);
}

void lwbs_coap_set_log_level(int level)
{
	static const coap_log_t map[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

	coap_set_log_handler(coap_log_cb);
	coap_set_log_level(map[level < 0 ? 0 : level > 3 ? 3 : level]);
}

/* ---- sessions ------------------------------------------------------------ */

static void on_timer(void *arg);

static struct sess *sess_get(struct lwbs_coap_server *srv)
{
	struct sess *s = srv->free_list;

	if (s) {
		srv->free_list = s->next;
	} else {
		s = calloc(1, sizeof(*s));
		if (!s)
			return NULL;
		s->eng = lwbs_bs_session_create(NULL);
		if (!s->eng) {
			free(s);
			return NULL;
		}
		s->srv = srv;
		lwbs_loop_timer_init(&s->timer, on_timer, s);
	}
	s->prev = NULL;
	s->next = srv->active;
	if (srv->active)
		srv->active->prev = s;
	srv->active = s;
	srv->n_active++;
	s->active = true;
	return s;
}

static void sess_put(struct sess *s)
{
	struct lwbs_coap_server *srv = s->srv;

	if (s->prev)
		s->prev->next = s->next;
	else
		srv->active = s->next;
	if (s->next)
		s->next->prev = s->prev;
	srv->n_active--;
	s->active = false;
	s->prev = NULL;
	s->next = srv->free_list;
	srv->free_list = s;
}

static void peer_str(coap_session_t *cs, char *out, size_t cap)
{
	size_t n = coap_print_addr(coap_session_get_addr_remote(cs), (unsigned char *)out, cap - 1);

	out[n] = '\0';
}

/* The audit name of a session's transport. */
static const char *proto_name(coap_proto_t p)
{
	switch (p) {
	case COAP_PROTO_DTLS:
		return "dtls";
	case COAP_PROTO_TCP:
		return "tcp";
	case COAP_PROTO_TLS:
		return "tls";
	default:
		return "udp";
	}
}

static void sess_attach(struct sess *s, coap_session_t *cs)
{
	struct lwbs_coap_server *srv = s->srv;

	s->cs = coap_session_reference(cs);
	coap_session_set_app_data(cs, s);
	peer_str(cs, s->peer, sizeof(s->peer));
	s->start_wall = lwbs_loop_wall(srv->o.loop);
	s->outstanding = false;
	s->hold = NULL;
	s->plan_ready = false;
	s->in_lookup = false;
	lwbs_loop_timer_arm(srv->o.loop, &s->timer, srv->o.session_timeout_ms);
}

/* The session is over: report it, give the plan back, detach from libcoap,
 * and return it to the free list. */
static void sess_finish(struct sess *s, enum lwbs_bs_result override, const char *why)
{
	struct lwbs_coap_server *srv = s->srv;
	struct lwbs_bs_info info;

	lwbs_bs_info(s->eng, &info);
	if (override != LWBS_BS_RUNNING) {
		info.result = override;
		info.reason = why;
	}
	lwbs_frontend_report(&srv->o, s->start_wall, s->peer, s->transport, &info);
	if (s->cs && !s->identity[0])
		lwbs_frontend_note_refusal(&srv->o, srv->unknown, &coap_session_get_addr_remote(s->cs)->addr.sa,
					   s->transport, &info);
	lwbs_store_release(srv->o.store, s->hold);
	s->hold = NULL;
	lwbs_loop_timer_cancel(srv->o.loop, &s->timer);
	if (s->cs) {
		coap_session_set_app_data(s->cs, NULL);
		coap_session_release(s->cs);
		s->cs = NULL;
	}
	s->outstanding = false;
	s->send_pending = false;
	lwbs_bs_session_reset(s->eng);
	sess_put(s);
}

/* ---- engine actions ------------------------------------------------------ */

static void add_uint_option(coap_pdu_t *pdu, uint16_t opt, unsigned v)
{
	uint8_t buf[4];

	coap_add_option(pdu, opt, coap_encode_var_safe(buf, sizeof(buf), v), buf);
}

static void release_copy(coap_session_t *cs, void *p)
{
	free(p);
}

/* Room left for a payload in one PDU after header, token and options. */
static bool fits_one_pdu(coap_session_t *cs, size_t len)
{
	return len + 64 <= coap_session_max_pdu_size(cs);
}

/* The one place where a response to the client's request is built. The
 * request handler sets s->rsp; an answer produced later (an asynchronous
 * store) would need libcoap's async API here. */
static void respond(struct sess *s, const struct lwbs_bs_action *a)
{
	coap_pdu_t *rsp = s->rsp;

	if (!rsp) {
		lwbs_log(LWBS_LOG_ERROR, "peer %s: answer produced outside the request handler dropped", s->peer);
		return;
	}
	coap_pdu_set_code(rsp, (coap_pdu_code_t)a->code);
	s->req_code = a->code;
	if (a->payload_len == 0) {
		if (a->content_format != LWBS_CF_NONE)
			add_uint_option(rsp, COAP_OPTION_CONTENT_FORMAT, (unsigned)a->content_format);
		return;
	}
	if (fits_one_pdu(s->cs, a->payload_len)) {
		if (a->content_format != LWBS_CF_NONE)
			add_uint_option(rsp, COAP_OPTION_CONTENT_FORMAT, (unsigned)a->content_format);
		coap_add_data(rsp, a->payload_len, a->payload);
		return;
	}
	/* large (a Pack): Block2 by libcoap, from a copy it frees when done */
	uint8_t *copy = malloc(a->payload_len);

	if (!copy) {
		coap_pdu_set_code(rsp, COAP_RESPONSE_CODE_INTERNAL_ERROR);
		return;
	}
	memcpy(copy, a->payload, a->payload_len);
	if (!coap_add_data_large_response(s->res, s->cs, s->req, rsp, s->query,
					  a->content_format != LWBS_CF_NONE ? (uint16_t)a->content_format
									    : COAP_MEDIATYPE_APPLICATION_OCTET_STREAM,
					  -1, 0, a->payload_len, copy, release_copy, copy)) {
		coap_pdu_set_code(rsp, COAP_RESPONSE_CODE_INTERNAL_ERROR);
		free(copy);
	}
}

static int send_request(struct sess *s, const struct lwbs_bs_action *a)
{
	coap_session_t *cs = s->cs;
	coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, (coap_pdu_code_t)a->method, cs);
	char seg[8];

	if (!pdu)
		return -ENOMEM;
	coap_session_new_token(cs, &s->token_len, s->token);
	coap_add_token(pdu, s->token_len, s->token);
	if (a->method == LWBS_COAP_POST) {
		coap_add_option(pdu, COAP_OPTION_URI_PATH, 2, (const uint8_t *)"bs");
	} else {
		for (int i = 0; i < a->path.len; i++) {
			int n = snprintf(seg, sizeof(seg), "%u", a->path.id[i]);

			coap_add_option(pdu, COAP_OPTION_URI_PATH, (size_t)n, (const uint8_t *)seg);
		}
	}
	if (a->content_format != LWBS_CF_NONE)
		add_uint_option(pdu, COAP_OPTION_CONTENT_FORMAT, (unsigned)a->content_format);
	if (a->accept != LWBS_CF_NONE)
		add_uint_option(pdu, COAP_OPTION_ACCEPT, (unsigned)a->accept);
	if (a->payload_len > 0) {
		if (fits_one_pdu(cs, a->payload_len)) {
			coap_add_data(pdu, a->payload_len, a->payload);
		} else {
			/* Block1 by libcoap, from a copy it frees when done */
			uint8_t *copy = malloc(a->payload_len);

			if (!copy) {
				coap_delete_pdu(pdu);
				return -ENOMEM;
			}
			memcpy(copy, a->payload, a->payload_len);
			if (!coap_add_data_large_request(cs, pdu, a->payload_len, copy, release_copy, copy)) {
				free(copy);
				coap_delete_pdu(pdu);
				return -ENOMEM;
			}
		}
	}
	if (coap_send(cs, pdu) == COAP_INVALID_MID)
		return -EIO;
	s->outstanding = true;
	s->srv->o.metrics->requests_out++;
	return 0;
}

static void feed(struct sess *s, const struct lwbs_bs_event *ev)
{
	if (lwbs_bs_handle(s->eng, ev) == 0)
		drain_actions(s);
}

static void feed_plan(struct sess *s)
{
	struct lwbs_bs_event ev = {.kind = LWBS_BS_EV_PLAN};

	s->plan_ready = false;
	ev.u.plan.plan = s->plan;
	ev.u.plan.store_err = s->plan_err;
	ev.u.plan.refusal = s->plan ? s->refusal : NULL;
	if (s->plan_err)
		s->srv->o.metrics->store_errors++;
	feed(s, &ev);
}

static void on_lookup(void *arg, int err, const struct lwbs_bs_plan *plan, struct lwbs_store_hold *hold)
{
	struct sess *s = arg;

	s->hold = hold;
	s->plan = err ? NULL : plan;
	s->plan_err = err;
	/* STANDARDS.md §1.2: ep must name the device of the DTLS identity
	 * (or be the identity itself; an omitted ep is the identity) */
	s->refusal = NULL;
	if (s->plan && s->identity[0] &&
	    (s->ep_too_long || (strcmp(s->ep, s->plan->endpoint ? s->plan->endpoint : "") != 0 &&
				strcmp(s->ep, s->identity) != 0)))
		s->refusal = "endpoint does not match the DTLS identity";
	s->plan_ready = true;
	if (!s->in_lookup)
		feed_plan(s); /* answered later, from the loop */
}

static void lookup(struct sess *s, const struct lwbs_bs_action *a)
{
	struct lwbs_store_query q;
	int r;

	if (!a->endpoint && !a->identity) {
		s->plan = NULL;
		s->plan_err = 0;
		s->plan_ready = true;
		return;
	}
	if (s->identity[0]) {
		/* DTLS: the authenticated identity finds the device */
		int n = snprintf(s->ep, sizeof(s->ep), "%s", a->endpoint ? a->endpoint : s->identity);

		s->ep_too_long = n < 0 || (size_t)n >= sizeof(s->ep);
		q.kind = s->ident_kind;
		q.value = s->identity;
	} else {
		q.kind = a->endpoint ? LWBS_IDENT_ENDPOINT : LWBS_IDENT_PSK_ID;
		q.value = a->endpoint ? a->endpoint : a->identity;
	}
	q.len = strlen(q.value);
	s->srv->o.metrics->store_lookups++;
	s->in_lookup = true;
	r = lwbs_store_lookup(s->srv->o.store, &q, on_lookup, s);
	s->in_lookup = false;
	if (r < 0 && !s->plan_ready) {
		s->plan = NULL;
		s->plan_err = r;
		s->plan_ready = true;
	}
}

static void drain_actions(struct sess *s)
{
	struct lwbs_bs_action a;

	while (s->active && lwbs_bs_poll(s->eng, &a)) {
		switch (a.kind) {
		case LWBS_BS_ACT_RESPOND:
			respond(s, &a);
			break;
		case LWBS_BS_ACT_LOOKUP:
			lookup(s, &a);
			if (s->plan_ready) {
				feed_plan(s);
				return; /* feed_plan drained what followed */
			}
			break;
		case LWBS_BS_ACT_SEND:
			if (s->rsp) {
				/* inside the request handler: send once the
				 * answer (2.04) has gone out */
				s->pending = a;
				s->send_pending = true;
				if (!s->in_pending_list) {
					s->in_pending_list = true;
					s->pending_next = s->srv->pending;
					s->srv->pending = s;
				}
				break;
			}
			if (send_request(s, &a) < 0) {
				struct lwbs_bs_event ev = {.kind = LWBS_BS_EV_TRANSPORT_ERROR};

				s->srv->o.metrics->nacks++;
				feed(s, &ev);
				return;
			}
			break;
		case LWBS_BS_ACT_DONE:
			sess_finish(s, LWBS_BS_RUNNING, NULL);
			return;
		}
	}
}

static void on_timer(void *arg)
{
	struct sess *s = arg;
	struct lwbs_bs_event ev = {.kind = LWBS_BS_EV_TIMEOUT};

	s->outstanding = false;
	if (lwbs_bs_handle(s->eng, &ev) == 0)
		drain_actions(s);
	if (s->active) /* the engine did not end it: do it here */
		sess_finish(s, LWBS_BS_FAIL_TIMEOUT, "session timed out");
}

/* ---- libcoap handlers ---------------------------------------------------- */

static bool token_matches(const struct sess *s, coap_bin_const_t t)
{
	return s->outstanding && t.length == s->token_len && memcmp(t.s, s->token, t.length) == 0;
}

static coap_response_t on_response(coap_session_t *cs, const coap_pdu_t *sent, const coap_pdu_t *rcvd,
				   const coap_mid_t mid)
{
	struct sess *s = coap_session_get_app_data(cs);
	struct lwbs_bs_event ev = {.kind = LWBS_BS_EV_RESPONSE};
	const uint8_t *data = NULL;
	size_t len = 0, off, total;
	coap_opt_iterator_t it;
	coap_opt_t *o;

	if (!s || !token_matches(s, coap_pdu_get_token(rcvd)))
		return COAP_RESPONSE_OK; /* unknown or late: ignore */
	if (COAP_RESPONSE_CLASS(coap_pdu_get_code(rcvd)) < 2)
		return COAP_RESPONSE_OK;
	s->srv->o.metrics->responses_in++;
	s->outstanding = false;
	coap_get_data_large(rcvd, &len, &data, &off, &total);
	ev.u.rsp.code = (int)coap_pdu_get_code(rcvd);
	ev.u.rsp.content_format = LWBS_CF_NONE;
	o = coap_check_option(rcvd, COAP_OPTION_CONTENT_FORMAT, &it);
	if (o)
		ev.u.rsp.content_format = (int)coap_decode_var_bytes(coap_opt_value(o), coap_opt_length(o));
	ev.u.rsp.payload = data;
	ev.u.rsp.payload_len = data ? len : 0;
	feed(s, &ev);
	return COAP_RESPONSE_OK;
}

static void on_nack(coap_session_t *cs, const coap_pdu_t *sent, const coap_nack_reason_t reason,
		    const coap_mid_t mid)
{
	struct sess *s = coap_session_get_app_data(cs);
	struct lwbs_bs_event ev = {.kind = LWBS_BS_EV_TRANSPORT_ERROR};

	if (!s || !s->outstanding)
		return;
	if (sent && !token_matches(s, coap_pdu_get_token(sent)))
		return;
	s->srv->o.metrics->nacks++;
	s->outstanding = false;
	feed(s, &ev);
}

/* The request's Uri-Query values, NUL-terminated, into qbuf. -E2BIG when
 * they do not fit, -EINVAL for an embedded NUL. */
static int collect_queries(const coap_pdu_t *req, char *qbuf, const char **qv, size_t *n_out)
{
	coap_opt_filter_t f;
	coap_opt_iterator_t it;
	coap_opt_t *o;
	size_t used = 0, n = 0;

	coap_option_filter_clear(&f);
	coap_option_filter_set(&f, COAP_OPTION_URI_QUERY);
	coap_option_iterator_init(req, &it, &f);
	while ((o = coap_option_next(&it))) {
		size_t len = coap_opt_length(o);
		const uint8_t *v = coap_opt_value(o);

		if (n == MAX_QUERIES || used + len + 1 > QUERY_BYTES)
			return -E2BIG;
		if (memchr(v, '\0', len))
			return -EINVAL;
		memcpy(qbuf + used, v, len);
		qbuf[used + len] = '\0';
		qv[n++] = qbuf + used;
		used += len + 1;
	}
	*n_out = n;
	return 0;
}

static void on_request(coap_resource_t *res, coap_session_t *cs, const coap_pdu_t *req,
		       const coap_string_t *query, coap_pdu_t *rsp, bool pack)
{
	struct lwbs_coap_server *srv = coap_get_app_data(coap_session_get_context(cs));
	struct sess *s = coap_session_get_app_data(cs);
	struct lwbs_bs_event ev = {.kind = pack ? LWBS_BS_EV_PACK_REQUEST : LWBS_BS_EV_REQUEST};
	char qbuf[QUERY_BYTES];
	const char *qv[MAX_QUERIES];
	size_t n_q = 0, len = 0;
	const uint8_t *data;
	coap_opt_iterator_t it;
	coap_opt_t *o;
	coap_proto_t proto = coap_session_get_proto(cs);
	bool secure = proto == COAP_PROTO_DTLS || proto == COAP_PROTO_TLS;
	/* RFC 8323: no message types over TCP, every request is reliable */
	bool reliable = COAP_PROTO_RELIABLE(proto);
	const char *transport = proto_name(proto);
	enum lwbs_ident_kind ik = LWBS_IDENT_ENDPOINT;
	char ident[IDENT_MAX];
	const char *why = NULL;
	int r;

	if (!secure && lwbs_frontend_blocked(&srv->o, srv->unknown, &coap_session_get_addr_remote(cs)->addr.sa))
		return; /* no response code set: libcoap sends at most an empty ACK */
	srv->o.metrics->requests_in++;
	r = collect_queries(req, qbuf, qv, &n_q);
	if (r)
		why = r == -E2BIG ? "query too long" : "query contains a NUL byte";
	else if (secure && (!srv->dtls || lwbs_dtls_identity(srv->dtls, cs, &ik, ident, sizeof(ident)) != 0))
		why = "no usable DTLS identity";
	if (why) {
		char peer[PEER_MAX];

		peer_str(cs, peer, sizeof(peer));
		coap_pdu_set_code(rsp, COAP_RESPONSE_CODE_BAD_REQUEST);
		coap_add_data(rsp, strlen(why), (const uint8_t *)why);
		lwbs_frontend_report_refused(&srv->o, peer, transport, LWBS_BS_REFUSED_BAD_REQUEST, why);
		return;
	}
	ev.u.req.method = (int)coap_pdu_get_code(req);
	ev.u.req.confirmable = reliable || coap_pdu_get_type(req) == COAP_MESSAGE_CON;
	ev.u.req.queries = qv;
	ev.u.req.n_queries = n_q;
	ev.u.req.accept = LWBS_CF_NONE;
	o = coap_check_option(req, COAP_OPTION_ACCEPT, &it);
	if (o)
		ev.u.req.accept = (int)coap_decode_var_bytes(coap_opt_value(o), coap_opt_length(o));
	if (coap_get_data(req, &len, &data))
		ev.u.req.payload_len = len;
	ev.u.req.identity = secure ? ident : NULL;

	if (s && !reliable && ev.u.req.confirmable && coap_pdu_get_mid(req) == s->req_mid) {
		/* a retransmission of the request that started this session:
		 * the same answer again */
		coap_pdu_set_code(rsp, (coap_pdu_code_t)s->req_code);
		return;
	}
	if (s) {
		/* a new request on a session already bootstrapping: the old one
		 * ends as superseded */
		s->rsp = NULL;
		if (lwbs_bs_handle(s->eng, &ev) == 0)
			drain_actions(s);
		if (s->active)
			sess_finish(s, LWBS_BS_FAIL_SUPERSEDED, "the client sent a new request");
	}
	if (srv->draining || srv->n_active >= srv->o.max_sessions) {
		coap_pdu_set_code(rsp, COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE);
		lwbs_frontend_refuse_busy(&srv->o, &srv->busy, srv->draining);
		return;
	}
	s = sess_get(srv);
	if (!s) {
		coap_pdu_set_code(rsp, COAP_RESPONSE_CODE_INTERNAL_ERROR);
		lwbs_log(LWBS_LOG_ERROR, "out of memory for a new session");
		return;
	}
	sess_attach(s, cs);
	s->transport = transport;
	s->ident_kind = ik;
	if (secure)
		memcpy(s->identity, ident, strlen(ident) + 1);
	else
		s->identity[0] = '\0';
	s->refusal = NULL;
	s->req_mid = coap_pdu_get_mid(req);
	s->req_code = LWBS_COAP_INTERNAL_ERROR;
	s->res = res;
	s->req = req;
	s->query = query;
	s->rsp = rsp;
	feed(s, &ev);
	s->rsp = NULL;
	s->req = NULL;
	s->query = NULL;
	s->res = NULL;
}

static void on_bs(coap_resource_t *res, coap_session_t *cs, const coap_pdu_t *req, const coap_string_t *query,
		  coap_pdu_t *rsp)
{
	on_request(res, cs, req, query, rsp, false);
}

static void on_bspack(coap_resource_t *res, coap_session_t *cs, const coap_pdu_t *req,
		      const coap_string_t *query, coap_pdu_t *rsp)
{
	on_request(res, cs, req, query, rsp, true);
}

/* libcoap's timed work (retransmissions, idle sessions, block-wise
 * expiry) walks every session: coap_io_process() would do it for every
 * datagram. It runs here at most every HOUSEKEEPING_MS instead, and when
 * libcoap asks for it. */
static void housekeeping(struct lwbs_coap_server *srv)
{
	coap_tick_t now;
	unsigned next;

	coap_ticks(&now);
	next = coap_io_prepare_epoll(srv->ctx, now);
	srv->last_housekeeping = lwbs_loop_now(srv->o.loop);
	if (srv->dtls)
		lwbs_dtls_housekeeping(srv->dtls);
	lwbs_loop_timer_arm(srv->o.loop, &srv->hk_timer,
			    next == 0 || next > 1000 ? 1000 : next < HOUSEKEEPING_MS ? HOUSEKEEPING_MS : next);
}

static void on_hk_timer(void *arg)
{
	housekeeping(arg);
}

static void flush_pending(struct lwbs_coap_server *srv)
{
	struct sess *s;

	while ((s = srv->pending)) {
		srv->pending = s->pending_next;
		s->in_pending_list = false;
		if (!s->active || !s->send_pending)
			continue;
		s->send_pending = false;
		if (send_request(s, &s->pending) < 0) {
			struct lwbs_bs_event ev = {.kind = LWBS_BS_EV_TRANSPORT_ERROR};

			srv->o.metrics->nacks++;
			feed(s, &ev);
		}
	}
}

static struct dgram_sock *dgram_of(struct lwbs_coap_server *srv, const struct epoll_event *ev)
{
	for (size_t i = 0; i < srv->n_dgram; i++)
		if (srv->dgram[i].known && srv->dgram[i].epoll_data == ev->data.u64)
			return &srv->dgram[i];
	return NULL;
}

/* How many datagrams wait on g's socket (up to max), peeking past each
 * with SO_PEEK_OFF (without it: 1 when any waits); on a DTLS listener those from a blocked source are
 * dropped once they reach the head (counting stops at one further on).
 * *dropped tells whether any was. */
static unsigned waiting(struct lwbs_coap_server *srv, struct dgram_sock *g, unsigned max, bool *dropped)
{
	bool filter = g->dtls && srv->dtls;
	unsigned n = 0;
	int zero = 0;
	uint8_t byte;

	*dropped = false;
	if (g->peek_off)
		setsockopt(g->fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero));
	while (n < max) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		/* MSG_TRUNC: the peek offset moves past the whole datagram */
		if (recvfrom(g->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&ss, &sl) < 0)
			break;
		if (!filter || !lwbs_dtls_drop(srv->dtls, (struct sockaddr *)&ss)) {
			n++;
			if (!g->peek_off)
				break; /* only the head can be seen: one at a time */
			continue;
		}
		if (n > 0)
			break; /* dropped when it is at the head */
		recv(g->fd, &byte, 1, MSG_DONTWAIT); /* drops the whole datagram */
		if (g->peek_off)
			setsockopt(g->fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero));
		*dropped = true;
	}
	return n;
}

/* Datagrams (and libcoap's timer) are ready: hand libcoap everything that
 * waits, in as few coap_io_do_epoll() calls as possible. */
static void on_coap_fd(void *arg, uint32_t events)
{
	struct lwbs_coap_server *srv = arg;
	struct epoll_event evs[64], batch[BATCH_EVENTS];
	int n, rounds = 0;
	bool more;

	do {
		size_t m = 0;

		n = epoll_wait(srv->coap_fd, evs, 64, 0);
		more = n == 64;
		for (int i = 0; i < n; i++) {
			struct dgram_sock *g = dgram_of(srv, &evs[i]);
			size_t room = BATCH_EVENTS - m - (size_t)(n - i - 1);
			unsigned k;
			bool dropped;

			if (!g || !(evs[i].events & EPOLLIN)) {
				batch[m++] = evs[i];
				continue;
			}
			k = waiting(srv, g, room < BATCH_PER_SOCKET ? (unsigned)room : BATCH_PER_SOCKET, &dropped);
			/* readable yet nothing counted: a datagram the peek
			 * skips (an empty one already peeked) */
			if (k == 0 && !dropped)
				k = 1;
			more |= k == BATCH_PER_SOCKET || k == room;
			for (unsigned j = 0; j < k; j++)
				batch[m++] = evs[i];
		}
		if (m > 0)
			coap_io_do_epoll(srv->ctx, batch, m);
		flush_pending(srv);
	} while (more && ++rounds < 16);
	if (lwbs_loop_now(srv->o.loop) - srv->last_housekeeping >= HOUSEKEEPING_MS)
		housekeeping(srv);
}

/* ---- setup ----------------------------------------------------------- */

/* A TCP or TLS connection went away under a running session: the request
 * in flight, if any, is not delivered; a session still running then ends
 * as a transport failure rather than waiting for its timeout. */
static void on_closed(coap_session_t *cs)
{
	struct sess *s = coap_session_get_app_data(cs);
	struct lwbs_bs_event ev = {.kind = LWBS_BS_EV_TRANSPORT_ERROR};

	if (!s || !s->active)
		return;
	if (s->outstanding) {
		s->outstanding = false;
		s->srv->o.metrics->nacks++;
		feed(s, &ev);
	}
	if (s->active && s->cs == cs)
		sess_finish(s, LWBS_BS_FAIL_TRANSPORT, "connection closed");
}

static int on_event(coap_session_t *cs, const coap_event_t ev)
{
	struct lwbs_coap_server *srv = coap_get_app_data(coap_session_get_context(cs));

	if (srv && srv->dtls)
		lwbs_dtls_event(srv->dtls, cs, ev);
	/* a handshake that failed (not an error on an established session,
	 * whose bootstrap session has its own record): one audit record */
	if (srv && srv->dtls && ev == COAP_EVENT_DTLS_ERROR &&
	    coap_session_get_state(cs) == COAP_SESSION_STATE_HANDSHAKE) {
		char peer[PEER_MAX];

		peer_str(cs, peer, sizeof(peer));
		lwbs_frontend_report_refused(&srv->o, peer, proto_name(coap_session_get_proto(cs)),
					     LWBS_BS_REFUSED_HANDSHAKE, lwbs_dtls_failure(srv->dtls, cs));
	}
	if (COAP_PROTO_RELIABLE(coap_session_get_proto(cs)) &&
	    (ev == COAP_EVENT_TCP_CLOSED || ev == COAP_EVENT_TCP_FAILED || ev == COAP_EVENT_SESSION_CLOSED ||
	     ev == COAP_EVENT_SESSION_FAILED))
		on_closed(cs);
	return 0;
}

static int add_resource(struct lwbs_coap_server *srv, const char *path, coap_method_handler_t h)
{
	coap_resource_t *r = coap_resource_init(coap_make_str_const(path), 0);

	if (!r)
		return -ENOMEM;
	coap_register_handler(r, COAP_REQUEST_GET, h);
	coap_register_handler(r, COAP_REQUEST_POST, h);
	coap_register_handler(r, COAP_REQUEST_PUT, h);
	coap_register_handler(r, COAP_REQUEST_DELETE, h);
	coap_add_resource(srv->ctx, r);
	return 0;
}

int lwbs_coap_server_create(const struct lwbs_coap_opts *o, struct lwbs_coap_server **out, char *err,
			    size_t err_cap)
{
	struct lwbs_coap_server *srv = calloc(1, sizeof(*srv));
	int fd, r;

	if (!srv)
		return -ENOMEM;
	srv->o = *o;
	lwbs_loop_timer_init(&srv->hk_timer, on_hk_timer, srv);
	coap_startup();
	srv->ctx = coap_new_context(NULL);
	if (!srv->ctx) {
		snprintf(err, err_cap, "cannot create the CoAP context");
		r = -ENOMEM;
		goto fail;
	}
	coap_set_app_data(srv->ctx, srv);
	coap_context_set_block_mode(srv->ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
	coap_context_set_max_idle_sessions(srv->ctx, MAX_IDLE_SESSIONS);
	coap_context_set_max_handshake_sessions(srv->ctx, MAX_HANDSHAKE_SESSIONS);
	coap_register_response_handler(srv->ctx, on_response);
	coap_register_nack_handler(srv->ctx, on_nack);
	coap_register_event_handler(srv->ctx, on_event);
	if (add_resource(srv, "bs", on_bs) || add_resource(srv, "bspack", on_bspack)) {
		snprintf(err, err_cap, "cannot create the CoAP resources");
		r = -ENOMEM;
		goto fail;
	}
	fd = coap_context_get_coap_fd(srv->ctx);
	if (fd < 0) {
		snprintf(err, err_cap, "libcoap was built without epoll support");
		r = -ENOTSUP;
		goto fail;
	}
	r = lwbs_loop_add_fd(o->loop, &srv->src, fd, EPOLLIN, on_coap_fd, srv);
	if (r) {
		snprintf(err, err_cap, "epoll: %s", strerror(-r));
		goto fail;
	}
	srv->fd_added = true;
	srv->coap_fd = fd;
	housekeeping(srv);
	*out = srv;
	return 0;
fail:
	lwbs_coap_server_destroy(srv);
	return r;
}

static bool known_fd(const struct lwbs_coap_server *srv, int fd)
{
	for (size_t i = 0; i < srv->n_dgram; i++)
		if (srv->dgram[i].fd == fd)
			return true;
	return false;
}

/* libcoap 4.3.1 does not expose an endpoint's socket: find the UDP socket
 * bound to addr among our descriptors (done once per listener). */
static int find_socket(const struct lwbs_coap_server *srv, const struct sockaddr *addr)
{
	struct rlimit rl;
	int max = 1024;
	uint16_t port = addr->sa_family == AF_INET ? ((const struct sockaddr_in *)addr)->sin_port
						   : ((const struct sockaddr_in6 *)addr)->sin6_port;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536)
		max = (int)rl.rlim_cur;
	for (int fd = 3; fd < max; fd++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int type;
		socklen_t tl = sizeof(type);
		uint16_t p;

		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_DGRAM)
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 || ss.ss_family != addr->sa_family)
			continue;
		p = ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					    : ((struct sockaddr_in6 *)&ss)->sin6_port;
		if ((port == 0 || p == port) && !known_fd(srv, fd))
			return fd;
	}
	return -1;
}

/* The data of fd's entry in libcoap's epoll set epfd (libcoap's own
 * socket structure), from the kernel's /proc/self/fdinfo of epfd. */
static int epoll_data_of(int epfd, int fd, uint64_t *data)
{
	char path[64], line[256];
	FILE *f;
	int r = -ENOENT;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", epfd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		int tfd;
		unsigned ev;
		unsigned long long d;

		if (sscanf(line, "tfd: %d events: %x data: %llx", &tfd, &ev, &d) == 3 && tfd == fd) {
			*data = d;
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

/* Registers the datagram socket fd of a new UDP or DTLS endpoint. */
static int add_dgram(struct lwbs_coap_server *srv, int fd, bool dtls)
{
	struct dgram_sock *g = realloc(srv->dgram, (srv->n_dgram + 1) * sizeof(*g));
	int zero = 0;

	if (!g)
		return -ENOMEM;
	srv->dgram = g;
	g += srv->n_dgram++;
	memset(g, 0, sizeof(*g));
	g->fd = fd;
	g->dtls = dtls;
	g->known = epoll_data_of(srv->coap_fd, fd, &g->epoll_data) == 0;
	g->peek_off = setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero)) == 0;
	if (!g->known || !g->peek_off)
		lwbs_log(LWBS_LOG_WARN, "coap: listener socket %d: %s: one datagram per event loop pass", fd,
			 !g->known ? "not found in libcoap's epoll set" : "no SO_PEEK_OFF");
	return 0;
}

static int listen_proto(struct lwbs_coap_server *srv, const struct sockaddr *addr, socklen_t len,
			coap_proto_t proto, size_t rcvbuf, size_t *rcvbuf_got, int *fd_out, char *err, size_t err_cap)
{
	coap_address_t a;
	int fd, v = (int)rcvbuf, got = 0, r;
	socklen_t gl = sizeof(got);

	coap_address_init(&a);
	memcpy(&a.addr, addr, len);
	a.size = len;
	if (COAP_PROTO_RELIABLE(proto) && !coap_tcp_is_supported()) {
		snprintf(err, err_cap, "libcoap was built without TCP");
		return -ENOTSUP;
	}
	if (proto == COAP_PROTO_TLS && !coap_tls_is_supported()) {
		snprintf(err, err_cap, "libcoap was built without TLS");
		return -ENOTSUP;
	}
	errno = 0;
	if (!coap_new_endpoint(srv->ctx, &a, proto)) {
		snprintf(err, err_cap, "cannot listen: %s", strerror(errno ? errno : EADDRINUSE));
		return -EADDRINUSE;
	}
	*rcvbuf_got = 0;
	*fd_out = -1;
	if (COAP_PROTO_RELIABLE(proto))
		return 0; /* per-connection TCP buffers: the kernel's autotuning */
	fd = find_socket(srv, addr);
	if (fd < 0)
		return 0;
	r = add_dgram(srv, fd, proto == COAP_PROTO_DTLS);
	if (r)
		return r;
	*fd_out = fd;
	/* SO_RCVBUFFORCE passes rmem_max when we may; else the capped one */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &gl) == 0)
		*rcvbuf_got = (size_t)got / 2; /* the kernel reports twice the usable size */
	return 0;
}

int lwbs_coap_server_listen(struct lwbs_coap_server *srv, const struct sockaddr *addr, socklen_t len,
			    size_t rcvbuf, size_t *rcvbuf_got, char *err, size_t err_cap)
{
	int fd;

	return listen_proto(srv, addr, len, COAP_PROTO_UDP, rcvbuf, rcvbuf_got, &fd, err, err_cap);
}

int lwbs_coap_server_set_unknown_limit(struct lwbs_coap_server *srv, const struct lwbs_srclimit_conf *c)
{
	if (srv->unknown || !c->max)
		return 0;
	srv->unknown = lwbs_srclimit_create(c);
	return srv->unknown ? 0 : -ENOMEM;
}

int lwbs_coap_server_set_dtls(struct lwbs_coap_server *srv, const struct lwbs_dtls_conf *c, char *err,
			      size_t err_cap)
{
	if (srv->dtls) {
		snprintf(err, err_cap, "DTLS is already set up");
		return -EALREADY;
	}
	return lwbs_dtls_create(srv->ctx, c, &srv->dtls, err, err_cap);
}

int lwbs_coap_server_listen_tcp(struct lwbs_coap_server *srv, const struct sockaddr *addr, socklen_t len,
				char *err, size_t err_cap)
{
	size_t got;
	int fd;

	return listen_proto(srv, addr, len, COAP_PROTO_TCP, 0, &got, &fd, err, err_cap);
}

static int listen_secure(struct lwbs_coap_server *srv, const struct sockaddr *addr, socklen_t len,
			 coap_proto_t proto, unsigned accept, size_t rcvbuf, size_t *rcvbuf_got, char *err,
			 size_t err_cap)
{
	int fd, r;

	if (!srv->dtls) {
		snprintf(err, err_cap, "DTLS is not set up");
		return -EINVAL;
	}
	r = listen_proto(srv, addr, len, proto, rcvbuf, rcvbuf_got, &fd, err, err_cap);
	if (r)
		return r;
	/* the listener's address as bound (port 0 resolved) for the policy */
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (fd >= 0 && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		addr = (const struct sockaddr *)&ss;
		len = sl;
	}
	r = lwbs_dtls_add_listener(srv->dtls, addr, len, accept, proto == COAP_PROTO_TLS);
	if (r)
		snprintf(err, err_cap, "out of memory");
	return r;
}

int lwbs_coap_server_listen_dtls(struct lwbs_coap_server *srv, const struct sockaddr *addr, socklen_t len,
				 unsigned accept, size_t rcvbuf, size_t *rcvbuf_got, char *err, size_t err_cap)
{
	return listen_secure(srv, addr, len, COAP_PROTO_DTLS, accept, rcvbuf, rcvbuf_got, err, err_cap);
}

int lwbs_coap_server_listen_tls(struct lwbs_coap_server *srv, const struct sockaddr *addr, socklen_t len,
				unsigned accept, char *err, size_t err_cap)
{
	size_t got;

	return listen_secure(srv, addr, len, COAP_PROTO_TLS, accept, 0, &got, err, err_cap);
}

void lwbs_coap_server_drain(struct lwbs_coap_server *srv)
{
	srv->draining = true;
}

size_t lwbs_coap_server_active(const struct lwbs_coap_server *srv)
{
	return srv->n_active;
}

void lwbs_coap_server_metrics(const struct lwbs_coap_server *srv, struct lwbs_metrics *m)
{
	struct lwbs_dtls_stats st;

	m->dtls = srv->dtls != NULL;
	if (!srv->dtls)
		return;
	lwbs_dtls_get_stats(srv->dtls, &st);
	m->dtls_handshake_failures = st.handshake_failures;
	m->dtls_blocked_sources = st.blocked_sources;
	m->dtls_blocked_datagrams = st.blocked_datagrams;
}

void lwbs_coap_server_expire_all(struct lwbs_coap_server *srv)
{
	while (srv->active)
		on_timer(srv->active);
}

void lwbs_coap_server_destroy(struct lwbs_coap_server *srv)
{
	struct sess *s;

	if (!srv)
		return;
	lwbs_coap_server_expire_all(srv);
	if (srv->fd_added)
		lwbs_loop_del_fd(srv->o.loop, &srv->src);
	lwbs_loop_timer_cancel(srv->o.loop, &srv->hk_timer);
	if (srv->ctx)
		coap_free_context(srv->ctx);
	lwbs_dtls_destroy(srv->dtls); /* after the context: its callbacks use it */
	lwbs_srclimit_destroy(srv->unknown);
	while ((s = srv->free_list)) {
		srv->free_list = s->next;
		lwbs_bs_session_destroy(s->eng);
		free(s);
	}
	free(srv->dgram);
	coap_cleanup();
	free(srv);
}
