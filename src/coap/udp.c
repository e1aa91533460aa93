/* lwbs — native CoAP-over-UDP front end (see udp.h). */
#include "udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../daemon/log.h"
#include "lwbs/codec.h"
#include "lwbs/coapmsg.h"
#include "lwbs/err.h"
#include "lwbs/identity.h"
#include "lwbs/model.h"
#include "frontend.h"
#include "srclimit.h"

#define BATCH 64
#define RX_MAX 2048            /* larger datagrams are dropped (MSG_TRUNC) */
#define TX_MAX 1280            /* our largest datagram */
#define BLOCK_SZX 6            /* 1024-byte blocks */
#define ONE_DGRAM_PAYLOAD 1024 /* larger payloads go block-wise */
#define ACK_TIMEOUT_MS 2000
#define MAX_RETRANSMIT 4
#define EXCHANGE_LIFETIME_MS 247000
#define MAX_IDLE_PEERS 32768
#define HOUSEKEEPING_MS 1000
#define MAX_QUERIES 16
#define QUERY_BYTES 512
#define PEER_STR 64
#define CACHE_INLINE 96
#define RX_ROUNDS 16

#define CODE_CONTINUE LWBS_COAP_CODE(2, 31)
#define CODE_BAD_OPTION LWBS_COAP_CODE(4, 2)
#define CODE_INCOMPLETE LWBS_COAP_CODE(4, 8)

union addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct sock {
	struct lwbs_loop_fd src;
	struct lwbs_udp_server *srv;
	int fd;
	/* trusted NoSec listener: requests resolved through the identity
	 * policy (lwbs_udp_server_set_identity), or NULL */
	const struct lwbs_identity_resolver *identity;
	/* requests refused as unknown, per source (owned), or NULL */
	struct lwbs_srclimit *unknown;
};

struct sess;

/* One client address. Lives while a session runs, then EXCHANGE_LIFETIME
 * in the idle FIFO to answer duplicates. */
struct peer {
	union addr addr;
	socklen_t alen;
	uint32_t hash;
	struct sock *sock;
	struct sess *sess;           /* NULL when idle */
	struct peer *idle_prev, *idle_next;
	bool idle;
	int64_t idle_since;
	uint16_t next_mid;           /* our message ids towards this peer */
	char str[PEER_STR];          /* "addr:port", for the log; "" until needed */

	/* the last CON request received and its answer, for duplicates: a
	 * duplicate has the same message id and token (a client that reuses
	 * a message id with a new token sent a new request) */
	bool have_last;
	uint16_t last_mid;
	uint8_t last_tkl;
	uint8_t last_token[LWBS_COAPMSG_MAX_TOKEN];
	uint16_t last_len;
	uint8_t *last;               /* last_inline or last_big */
	uint8_t last_inline[CACHE_INLINE];
	uint8_t *last_big;
	size_t last_big_cap;

	/* a large response (a Pack) served block-wise */
	uint8_t *body;
	size_t body_len, body_cap;
	int body_cf;
	bool body_valid;
};

/* Our confirmable message in flight: a request, or a separate response. */
struct tx {
	bool busy;
	bool is_response;
	bool acked;                  /* empty ACK seen: the response comes separately */
	uint16_t mid;
	uint8_t token[4];
	unsigned count;
	int64_t timeout;
	int64_t due;                 /* next retransmission (monotonic ms) */
	size_t len;
	uint8_t data[TX_MAX];
};

struct sess {
	struct lwbs_udp_server *srv;
	struct lwbs_bs_session *eng;
	struct peer *peer;
	struct lwbs_store_hold *hold;
	/* Timers are lazy: an armed timer is left alone when its session
	 * ends or its message is acknowledged, and checks the deadline below
	 * when it fires; so a session costs about one heap operation. */
	struct lwbs_loop_timer life, retx;
	int64_t life_due;
	struct sess *prev, *next;    /* active list, or free list */
	bool active;

	/* the client's request being answered */
	bool in_handler;             /* inside the datagram handler: piggyback */
	bool answered;
	/* a CON request not yet acknowledged: its answer, if ready by
	 * ack_due, goes piggybacked; else the empty ACK then (the retx
	 * timer, lazily) and the answer separately */
	bool ack_wait;
	int64_t ack_due;
	uint8_t req_type;
	uint16_t req_mid;
	uint8_t req_tkl;
	uint8_t req_token[LWBS_COAPMSG_MAX_TOKEN];
	int req_szx;                 /* Block2 size the client asked for, or -1 */

	/* store answer */
	bool in_lookup, plan_ready;
	int plan_err;
	const struct lwbs_bs_plan *plan;
	const char *refusal;         /* identity policy refusal (reason name), or NULL */
	/* a lookup's callback is still due: a session that ends meanwhile
	 * waits for it in the orphan list before it can be reused */
	bool lookup_out, orphan;

	/* our request (or separate response) in flight */
	struct tx tx;
	/* the request being sent, for Block1 and Block2 continuations; its
	 * payload is borrowed from the engine until its next event */
	struct lwbs_bs_action req;
	size_t b1_off;               /* bytes of the payload sent before this block */
	int b1_szx;                  /* -1: not block-wise */
	struct lwbs_buf rx_body;     /* Block2 reassembly of a response */
	/* a request produced while a separate response is unacknowledged */
	bool send_pending;
	/* the engine is done, but its separate answer is not acknowledged:
	 * the session (and its retransmissions) lasts until it is */
	bool finish_pending;

	int64_t start_wall;
};

struct out {
	union addr addr;
	uint8_t data[TX_MAX];
};

struct lwbs_udp_server {
	struct lwbs_coap_opts o;
	struct sock **socks;
	size_t n_socks;

	struct peer **slots;         /* open addressing, linear probing */
	size_t mask, n_peers;
	struct peer *idle_head, *idle_tail;
	size_t n_idle;
	struct peer *free_peers;     /* recycled (idle_next links) */
	uint64_t seed;
	uint32_t rng;

	struct sess *active, *free_sess;
	struct sess *orphans;        /* ended while their lookup was out */
	size_t n_active;
	bool draining;
	struct lwbs_frontend_busy busy;
	struct lwbs_loop_timer hk;

	/* receive batch */
	struct mmsghdr rx_msgs[BATCH];
	struct iovec rx_iov[BATCH];
	union addr rx_addr[BATCH];
	uint8_t rx_buf[BATCH][RX_MAX];

	/* send batch (one socket at a time) */
	struct sock *out_sock;
	size_t n_out;
	struct out outq[BATCH];
	struct mmsghdr tx_msgs[BATCH];
	struct iovec tx_iov[BATCH];
};

static void drain_actions(struct sess *s);
static void on_life(void *arg);
static void on_retx(void *arg);

/* ---- helpers --------------------------------------------------------- */

static uint32_t rnd(struct lwbs_udp_server *srv)
{
	uint32_t x = srv->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	srv->rng = x;
	return x;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static uint32_t addr_hash(const struct lwbs_udp_server *srv, const struct sock *sk, const union addr *a)
{
	uint64_t h = srv->seed ^ (uint64_t)(uintptr_t)sk;

	if (a->sa.sa_family == AF_INET) {
		h = mix64(h ^ ((uint64_t)a->in.sin_addr.s_addr << 16 | a->in.sin_port));
	} else {
		uint64_t w[2];

		memcpy(w, &a->in6.sin6_addr, 16);
		h = mix64(h ^ w[0]);
		h = mix64(h ^ w[1] ^ ((uint64_t)a->in6.sin6_port << 32) ^ a->in6.sin6_scope_id);
	}
	return (uint32_t)h;
}

static bool addr_eq(const union addr *a, const union addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_port == b->in.sin_port && a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	return a->in6.sin6_port == b->in6.sin6_port && a->in6.sin6_scope_id == b->in6.sin6_scope_id &&
	       memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
}

static void addr_str(const union addr *a, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->in.sin_addr, ip, sizeof(ip));
		snprintf(out, cap, "%s:%u", ip, ntohs(a->in.sin_port));
	} else {
		inet_ntop(AF_INET6, &a->in6.sin6_addr, ip, sizeof(ip));
		snprintf(out, cap, "[%s]:%u", ip, ntohs(a->in6.sin6_port));
	}
}

/* ---- output batch ------------------------------------------------------- */

static void flush(struct lwbs_udp_server *srv)
{
	size_t done = 0;

	while (done < srv->n_out) {
		int n = sendmmsg(srv->out_sock->fd, srv->tx_msgs + done, (unsigned)(srv->n_out - done), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* full or unreachable: skip the datagram; CON ones are
			 * retransmitted, the peer retransmits its own */
			done++;
			continue;
		}
		done += (size_t)n;
	}
	srv->n_out = 0;
}

/* A slot in the send batch for a datagram to (sk, a); NULL never. */
static struct out *out_slot(struct lwbs_udp_server *srv, struct sock *sk, const union addr *a, socklen_t alen)
{
	struct out *o;

	if (srv->n_out == BATCH || (srv->n_out && srv->out_sock != sk))
		flush(srv);
	srv->out_sock = sk;
	o = &srv->outq[srv->n_out];
	memcpy(&o->addr, a, alen);
	srv->tx_iov[srv->n_out].iov_base = o->data;
	srv->tx_msgs[srv->n_out].msg_hdr.msg_name = &o->addr;
	srv->tx_msgs[srv->n_out].msg_hdr.msg_namelen = alen;
	return o;
}

static void out_commit(struct lwbs_udp_server *srv, size_t len)
{
	srv->tx_iov[srv->n_out].iov_len = len;
	srv->n_out++;
}

static void send_bytes(struct lwbs_udp_server *srv, struct sock *sk, const union addr *a, socklen_t alen,
		       const uint8_t *p, size_t len)
{
	struct out *o;

	if (len > TX_MAX)
		return;
	o = out_slot(srv, sk, a, alen);
	memcpy(o->data, p, len);
	out_commit(srv, len);
}

/* Encodes m straight into the send batch; the bytes are returned in
 * *bytes and *len (valid until the next flush) for caching. */
static int send_msg(struct lwbs_udp_server *srv, struct sock *sk, const union addr *a, socklen_t alen,
		    const struct lwbs_coapmsg *m, const uint8_t **bytes, size_t *len)
{
	struct out *o = out_slot(srv, sk, a, alen);
	struct lwbs_buf b;
	int r;

	lwbs_buf_init_fixed(&b, o->data, sizeof(o->data));
	r = lwbs_coapmsg_encode(m, &b);
	if (r)
		return r;
	out_commit(srv, b.len);
	if (bytes) {
		*bytes = o->data;
		*len = b.len;
	}
	return 0;
}

static void send_empty(struct lwbs_udp_server *srv, struct sock *sk, const union addr *a, socklen_t alen,
		       uint8_t type, uint16_t mid)
{
	uint8_t d[4] = {(uint8_t)(0x40 | type << 4), 0, (uint8_t)(mid >> 8), (uint8_t)mid};

	send_bytes(srv, sk, a, alen, d, 4);
}

/* ---- peers ---------------------------------------------------------------- */

static void idle_unlink(struct lwbs_udp_server *srv, struct peer *p)
{
	if (!p->idle)
		return;
	if (p->idle_prev)
		p->idle_prev->idle_next = p->idle_next;
	else
		srv->idle_head = p->idle_next;
	if (p->idle_next)
		p->idle_next->idle_prev = p->idle_prev;
	else
		srv->idle_tail = p->idle_prev;
	p->idle_prev = p->idle_next = NULL;
	p->idle = false;
	srv->n_idle--;
}

static void table_del(struct lwbs_udp_server *srv, struct peer *p)
{
	size_t i = p->hash & srv->mask;

	while (srv->slots[i] != p)
		i = (i + 1) & srv->mask;
	/* backward-shift deletion */
	for (size_t j = i;;) {
		size_t k;

		j = (j + 1) & srv->mask;
		if (!srv->slots[j])
			break;
		k = srv->slots[j]->hash & srv->mask;
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			srv->slots[i] = srv->slots[j];
			i = j;
		}
	}
	srv->slots[i] = NULL;
	srv->n_peers--;
}

static void table_put(struct lwbs_udp_server *srv, struct peer *p)
{
	size_t i = p->hash & srv->mask;

	while (srv->slots[i])
		i = (i + 1) & srv->mask;
	srv->slots[i] = p;
	srv->n_peers++;
}

static int table_grow(struct lwbs_udp_server *srv)
{
	size_t old = srv->mask + 1, cap = old * 2;
	struct peer **o = srv->slots, **n = calloc(cap, sizeof(*n));

	if (!n)
		return -ENOMEM;
	srv->slots = n;
	srv->mask = cap - 1;
	srv->n_peers = 0;
	for (size_t i = 0; i < old; i++)
		if (o[i])
			table_put(srv, o[i]);
	free(o);
	return 0;
}

static struct peer *peer_find(struct lwbs_udp_server *srv, struct sock *sk, const union addr *a, uint32_t h)
{
	for (size_t i = h & srv->mask;; i = (i + 1) & srv->mask) {
		struct peer *p = srv->slots[i];

		if (!p)
			return NULL;
		if (p->hash == h && p->sock == sk && addr_eq(&p->addr, a))
			return p;
	}
}

static void peer_free(struct lwbs_udp_server *srv, struct peer *p)
{
	idle_unlink(srv, p);
	table_del(srv, p);
	p->body_valid = false;
	p->idle_next = srv->free_peers;
	srv->free_peers = p;
}

static void peer_make_idle(struct lwbs_udp_server *srv, struct peer *p)
{
	idle_unlink(srv, p);
	p->idle = true;
	p->idle_since = lwbs_loop_now(srv->o.loop);
	p->idle_prev = srv->idle_tail;
	p->idle_next = NULL;
	if (srv->idle_tail)
		srv->idle_tail->idle_next = p;
	else
		srv->idle_head = p;
	srv->idle_tail = p;
	srv->n_idle++;
	while (srv->n_idle > MAX_IDLE_PEERS)
		peer_free(srv, srv->idle_head);
}

static struct peer *peer_get(struct lwbs_udp_server *srv, struct sock *sk, const union addr *a, socklen_t alen)
{
	uint32_t h = addr_hash(srv, sk, a);
	struct peer *p = peer_find(srv, sk, a, h);

	if (p)
		return p;
	if ((srv->n_peers + 1) * 2 > srv->mask + 1 && table_grow(srv))
		return NULL;
	p = srv->free_peers;
	if (p) {
		srv->free_peers = p->idle_next;
	} else {
		p = calloc(1, sizeof(*p));
		if (!p)
			return NULL;
	}
	memcpy(&p->addr, a, alen);
	p->alen = alen;
	p->hash = h;
	p->sock = sk;
	p->sess = NULL;
	p->idle = false;
	p->idle_prev = p->idle_next = NULL;
	p->next_mid = (uint16_t)rnd(srv);
	p->have_last = false;
	p->body_valid = false;
	p->str[0] = '\0';
	table_put(srv, p);
	peer_make_idle(srv, p); /* until a session takes it */
	return p;
}

/* Remembers the answer to the peer's last CON request. */
static void cache_answer(struct peer *p, uint16_t mid, uint8_t tkl, const uint8_t *token, const uint8_t *d,
			 size_t len)
{
	p->have_last = false;
	if (len <= CACHE_INLINE) {
		p->last = p->last_inline;
	} else {
		if (len > p->last_big_cap) {
			uint8_t *n = realloc(p->last_big, len);

			if (!n)
				return;
			p->last_big = n;
			p->last_big_cap = len;
		}
		p->last = p->last_big;
	}
	memcpy(p->last, d, len);
	p->last_len = (uint16_t)len;
	p->last_mid = mid;
	p->last_tkl = tkl;
	memcpy(p->last_token, token, tkl);
	p->have_last = true;
}

static void housekeeping(void *arg)
{
	struct lwbs_udp_server *srv = arg;
	int64_t now = lwbs_loop_now(srv->o.loop);

	while (srv->idle_head && now - srv->idle_head->idle_since >= EXCHANGE_LIFETIME_MS)
		peer_free(srv, srv->idle_head);
	lwbs_loop_timer_arm(srv->o.loop, &srv->hk, HOUSEKEEPING_MS);
}

/* ---- sessions ------------------------------------------------------------ */

/* Lazy timer: makes sure t fires no later than due. */
static void timer_at(struct lwbs_udp_server *srv, struct lwbs_loop_timer *t, int64_t due)
{
	if (!lwbs_loop_timer_armed(t) || t->due_ms > due)
		lwbs_loop_timer_arm(srv->o.loop, t, due - lwbs_loop_now(srv->o.loop));
}

static struct sess *sess_get(struct lwbs_udp_server *srv, struct peer *p)
{
	struct sess *s = srv->free_sess;

	if (s) {
		srv->free_sess = s->next;
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
		lwbs_loop_timer_init(&s->life, on_life, s);
		lwbs_loop_timer_init(&s->retx, on_retx, s);
		lwbs_buf_init(&s->rx_body, 1u << 20);
	}
	s->prev = NULL;
	s->next = srv->active;
	if (srv->active)
		srv->active->prev = s;
	srv->active = s;
	srv->n_active++;
	s->active = true;
	s->peer = p;
	p->sess = s;
	idle_unlink(srv, p);
	s->hold = NULL;
	s->in_lookup = s->plan_ready = false;
	s->tx.busy = false;
	s->ack_wait = false;
	s->send_pending = false;
	s->finish_pending = false;
	s->b1_szx = -1;
	lwbs_buf_reset(&s->rx_body);
	s->start_wall = lwbs_loop_wall(srv->o.loop);
	if (!p->str[0])
		addr_str(&p->addr, p->str, sizeof(p->str));
	timer_at(srv, &s->life, s->life_due = lwbs_loop_now(srv->o.loop) + srv->o.session_timeout_ms);
	return s;
}

/* The session is over: report it, give the plan back, let the peer idle,
 * return the session to the free list. */
static void sess_finish(struct sess *s, enum lwbs_bs_result override, const char *why)
{
	struct lwbs_udp_server *srv = s->srv;
	struct lwbs_bs_info info;

	lwbs_bs_info(s->eng, &info);
	if (override != LWBS_BS_RUNNING && !s->finish_pending) {
		info.result = override;
		info.reason = why;
	}
	lwbs_frontend_report(&srv->o, s->start_wall, s->peer->str, "udp", &info);
	lwbs_frontend_note_refusal(&srv->o, s->peer->sock->unknown, &s->peer->addr.sa, "udp", &info);
	lwbs_store_release(srv->o.store, s->hold);
	s->hold = NULL;
	s->tx.busy = false;
	s->ack_wait = false;
	s->send_pending = false;
	s->peer->sess = NULL;
	peer_make_idle(srv, s->peer);
	s->peer = NULL;
	lwbs_bs_session_reset(s->eng);
	if (s->prev)
		s->prev->next = s->next;
	else
		srv->active = s->next;
	if (s->next)
		s->next->prev = s->prev;
	srv->n_active--;
	s->active = false;
	if (s->lookup_out) {
		s->orphan = true;
		s->prev = NULL;
		s->next = srv->orphans;
		if (srv->orphans)
			srv->orphans->prev = s;
		srv->orphans = s;
		return;
	}
	s->next = srv->free_sess;
	srv->free_sess = s;
}

/* The lookup of an ended session answered: give the plan back and make the
 * session reusable. */
static void orphan_done(struct sess *s, struct lwbs_store_hold *hold)
{
	struct lwbs_udp_server *srv = s->srv;

	lwbs_store_release(srv->o.store, hold);
	if (s->prev)
		s->prev->next = s->next;
	else
		srv->orphans = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->orphan = false;
	s->next = srv->free_sess;
	srv->free_sess = s;
}

static void feed(struct sess *s, const struct lwbs_bs_event *ev)
{
	if (lwbs_bs_handle(s->eng, ev) == 0)
		drain_actions(s);
}

/* ---- transmission of our confirmable messages ----------------------------- */

static void tx_start(struct sess *s)
{
	struct lwbs_udp_server *srv = s->srv;
	struct peer *p = s->peer;

	s->tx.busy = true;
	s->tx.acked = false;
	s->tx.count = 0;
	s->tx.timeout = ACK_TIMEOUT_MS + rnd(srv) % (ACK_TIMEOUT_MS / 2);
	s->tx.due = lwbs_loop_now(srv->o.loop) + s->tx.timeout;
	send_bytes(srv, p->sock, &p->addr, p->alen, s->tx.data, s->tx.len);
	timer_at(srv, &s->retx, s->tx.due);
}

static void tx_stop(struct sess *s)
{
	s->tx.busy = false; /* the retransmission timer finds it idle */
}

static void transport_error(struct sess *s)
{
	struct lwbs_bs_event ev = {.kind = LWBS_BS_EV_TRANSPORT_ERROR};
	bool response = s->tx.is_response;

	tx_stop(s);
	s->srv->o.metrics->nacks++;
	if (response) {
		/* our separate answer never arrived: nothing the engine waits for */
		sess_finish(s, LWBS_BS_FAIL_TRANSPORT, "separate response not acknowledged");
		return;
	}
	s->b1_szx = -1;
	feed(s, &ev);
}

/* The client's CON request gets its empty ACK now: its answer will come
 * as a separate response (RFC 7252 §5.2.2). Duplicates get it again. */
static void ack_now(struct sess *s)
{
	struct peer *p = s->peer;
	uint8_t ack[4] = {0x60, 0, (uint8_t)(s->req_mid >> 8), (uint8_t)s->req_mid};

	s->ack_wait = false;
	send_bytes(s->srv, p->sock, &p->addr, p->alen, ack, 4);
	cache_answer(p, s->req_mid, s->req_tkl, s->req_token, ack, 4);
}

static void on_retx(void *arg)
{
	struct sess *s = arg;
	struct lwbs_udp_server *srv = s->srv;

	int64_t now = lwbs_loop_now(srv->o.loop);

	if (!s->active)
		return;
	if (s->ack_wait) {
		if (now >= s->ack_due) {
			ack_now(s);
			flush(srv);
		} else {
			timer_at(srv, &s->retx, s->ack_due);
		}
	}
	if (!s->tx.busy || s->tx.acked)
		return;
	if (now < s->tx.due) {
		timer_at(srv, &s->retx, s->tx.due);
		return;
	}
	if (s->tx.count == MAX_RETRANSMIT) {
		transport_error(s);
	} else {
		s->tx.count++;
		s->tx.timeout *= 2;
		s->tx.due = now + s->tx.timeout;
		send_bytes(srv, s->peer->sock, &s->peer->addr, s->peer->alen, s->tx.data, s->tx.len);
		timer_at(srv, &s->retx, s->tx.due);
	}
	flush(srv);
}

/* Encodes block or whole request s->req into s->tx and sends it. Block1
 * from s->b1_off when s->b1_szx >= 0; asks for block *b2 of the answer
 * when b2 is not NULL. */
static int send_current(struct sess *s, const struct lwbs_coapmsg_block *b2)
{
	const struct lwbs_bs_action *a = &s->req;
	struct lwbs_coapmsg m;
	char seg[4][8];
	uint8_t cf[4], acc[4], b1[4], sz1[4], b2v[4];
	struct lwbs_buf b;
	size_t len = a->payload_len;
	const uint8_t *pl = a->payload;
	int r;

	m.type = LWBS_COAPMSG_CON;
	m.code = (uint8_t)a->method;
	m.mid = s->peer->next_mid++;
	m.tkl = 4;
	memcpy(m.token, s->tx.token, 4);
	m.n_opts = 0;
	if (a->method == LWBS_COAP_POST) {
		lwbs_coapmsg_add_opt(&m, LWBS_COAPMSG_OPT_URI_PATH, "bs", 2);
	} else {
		for (int i = 0; i < a->path.len && i < 4; i++) {
			char *e = seg[i] + sizeof(seg[i]), *d = e;
			unsigned v = a->path.id[i];

			do
				*--d = (char)('0' + v % 10);
			while (v /= 10);
			lwbs_coapmsg_add_opt(&m, LWBS_COAPMSG_OPT_URI_PATH, d, (size_t)(e - d));
		}
	}
	if (a->content_format != LWBS_CF_NONE)
		lwbs_coapmsg_add_uint(&m, LWBS_COAPMSG_OPT_CONTENT_FORMAT, (uint32_t)a->content_format, cf);
	if (a->accept != LWBS_CF_NONE)
		lwbs_coapmsg_add_uint(&m, LWBS_COAPMSG_OPT_ACCEPT, (uint32_t)a->accept, acc);
	if (s->b1_szx >= 0) {
		size_t bs = LWBS_COAPMSG_BLOCK_SIZE(s->b1_szx);
		struct lwbs_coapmsg_block blk = {
			.num = (uint32_t)(s->b1_off / bs),
			.more = s->b1_off + bs < a->payload_len,
			.szx = (uint8_t)s->b1_szx,
		};
		int64_t v = lwbs_coapmsg_block_value(&blk);

		if (v < 0)
			return (int)v;
		lwbs_coapmsg_add_uint(&m, LWBS_COAPMSG_OPT_BLOCK1, (uint32_t)v, b1);
		if (blk.num == 0)
			lwbs_coapmsg_add_uint(&m, LWBS_COAPMSG_OPT_SIZE1, (uint32_t)a->payload_len, sz1);
		pl = a->payload + s->b1_off;
		len = blk.more ? bs : a->payload_len - s->b1_off;
	}
	if (b2) {
		int64_t v = lwbs_coapmsg_block_value(b2);

		if (v < 0)
			return (int)v;
		lwbs_coapmsg_add_uint(&m, LWBS_COAPMSG_OPT_BLOCK2, (uint32_t)v, b2v);
		len = 0; /* only GET asks for a body block-wise */
	}
	m.payload = pl;
	m.payload_len = len;
	lwbs_buf_init_fixed(&b, s->tx.data, sizeof(s->tx.data));
	r = lwbs_coapmsg_encode(&m, &b);
	if (r)
		return r;
	s->tx.len = b.len;
	s->tx.mid = m.mid;
	s->tx.is_response = false;
	tx_start(s);
	return 0;
}

static int send_request(struct sess *s, const struct lwbs_bs_action *a)
{
	uint32_t t = rnd(s->srv);

	s->req = *a;
	memcpy(s->tx.token, &t, 4);
	s->b1_off = 0;
	s->b1_szx = a->payload_len > ONE_DGRAM_PAYLOAD ? BLOCK_SZX : -1;
	lwbs_buf_reset(&s->rx_body);
	s->srv->o.metrics->requests_out++;
	return send_current(s, NULL);
}

/* ---- answers to the client's requests --------------------------------------- */

/* Builds an answer to the request (type, mid, token) of peer p with code,
 * content format and payload (Block2 from p->body when the payload is
 * large; block is the block number asked for). Separate: CON with a new
 * message id, kept in s->tx for retransmission. */
static void answer(struct lwbs_udp_server *srv, struct peer *p, struct sess *sep, uint8_t req_type,
		   uint16_t req_mid, uint8_t tkl, const uint8_t *token, int code, int cf, const uint8_t *payload,
		   size_t len, int szx, uint32_t block)
{
	struct lwbs_coapmsg m;
	uint8_t cfb[4], b2[4], sz2[4];
	const uint8_t *bytes;
	size_t blen;

	m.type = req_type == LWBS_COAPMSG_CON ? (sep ? LWBS_COAPMSG_CON : LWBS_COAPMSG_ACK) : LWBS_COAPMSG_NON;
	m.code = (uint8_t)code;
	m.mid = m.type == LWBS_COAPMSG_ACK ? req_mid : p->next_mid++;
	m.tkl = tkl;
	memcpy(m.token, token, tkl);
	m.n_opts = 0;
	m.payload = payload;
	m.payload_len = len;
	if (cf != LWBS_CF_NONE)
		lwbs_coapmsg_add_uint(&m, LWBS_COAPMSG_OPT_CONTENT_FORMAT, (uint32_t)cf, cfb);
	if (szx >= 0) {
		size_t bs = LWBS_COAPMSG_BLOCK_SIZE(szx), off = (size_t)block * bs;
		struct lwbs_coapmsg_block blk = {.num = block, .more = off + bs < len, .szx = (uint8_t)szx};
		int64_t v = lwbs_coapmsg_block_value(&blk);

		if (v < 0 || off >= len) {
			m.code = LWBS_COAP_BAD_REQUEST;
			m.payload = (const uint8_t *)"block out of range";
			m.payload_len = strlen((const char *)m.payload);
			m.n_opts = 0;
		} else {
			lwbs_coapmsg_add_uint(&m, LWBS_COAPMSG_OPT_BLOCK2, (uint32_t)v, b2);
			if (block == 0)
				lwbs_coapmsg_add_uint(&m, LWBS_COAPMSG_OPT_SIZE2, (uint32_t)len, sz2);
			m.payload = payload + off;
			m.payload_len = blk.more ? bs : len - off;
		}
	}
	if (sep && m.type == LWBS_COAPMSG_CON) {
		struct lwbs_buf b;

		lwbs_buf_init_fixed(&b, sep->tx.data, sizeof(sep->tx.data));
		if (lwbs_coapmsg_encode(&m, &b))
			return;
		sep->tx.len = b.len;
		sep->tx.mid = m.mid;
		sep->tx.is_response = true;
		tx_start(sep);
		return;
	}
	if (send_msg(srv, p->sock, &p->addr, p->alen, &m, &bytes, &blen))
		return;
	if (req_type == LWBS_COAPMSG_CON)
		cache_answer(p, req_mid, tkl, token, bytes, blen);
}

/* The one place where the engine's answer to the client's request goes
 * out: piggybacked inside the handler or while the empty ACK is held back,
 * else as a separate response. */
static void respond(struct sess *s, const struct lwbs_bs_action *a)
{
	struct lwbs_udp_server *srv = s->srv;
	struct peer *p = s->peer;
	const uint8_t *pl = a->payload;
	size_t len = a->payload_len;
	int szx = -1;
	struct sess *sep = s->in_handler || s->ack_wait ? NULL : s;

	if (s->answered)
		return;
	s->answered = true;
	s->ack_wait = false; /* the lazy retx timer finds nothing to acknowledge */
	if (len > ONE_DGRAM_PAYLOAD || (s->req_szx >= 0 && len > LWBS_COAPMSG_BLOCK_SIZE(s->req_szx))) {
		if (len > p->body_cap) {
			uint8_t *n = realloc(p->body, len);

			if (!n) {
				answer(srv, p, sep, s->req_type, s->req_mid, s->req_tkl,
				       s->req_token, LWBS_COAP_INTERNAL_ERROR, LWBS_CF_NONE, NULL, 0, -1, 0);
				return;
			}
			p->body = n;
			p->body_cap = len;
		}
		memcpy(p->body, pl, len);
		p->body_len = len;
		p->body_cf = a->content_format;
		p->body_valid = true;
		pl = p->body;
		szx = s->req_szx >= 0 && s->req_szx < BLOCK_SZX ? s->req_szx : BLOCK_SZX;
	}
	answer(srv, p, sep, s->req_type, s->req_mid, s->req_tkl, s->req_token, a->code,
	       a->content_format, pl, len, szx, 0);
}

/* ---- store ------------------------------------------------------------------ */

static void feed_plan(struct sess *s)
{
	struct lwbs_bs_event ev = {.kind = LWBS_BS_EV_PLAN};

	s->plan_ready = false;
	ev.u.plan.plan = s->plan;
	ev.u.plan.store_err = s->plan_err;
	ev.u.plan.refusal = s->refusal;
	if (s->plan_err)
		s->srv->o.metrics->store_errors++;
	feed(s, &ev);
}

static void on_lookup(void *arg, int err, const struct lwbs_bs_plan *plan, struct lwbs_store_hold *hold)
{
	struct sess *s = arg;

	s->lookup_out = false;
	if (s->orphan) {
		orphan_done(s, hold);
		return;
	}
	s->hold = hold;
	s->plan = err ? NULL : plan;
	s->plan_err = err;
	s->plan_ready = true;
	if (!s->in_lookup) {
		/* answered later, from the loop */
		feed_plan(s);
		flush(s->srv);
	}
}

static void on_resolved(void *arg, int err, const struct lwbs_bs_plan *plan, struct lwbs_store_hold *hold,
			enum lwbs_identity_reason reason)
{
	struct sess *s = arg;

	if (reason != LWBS_IDENTITY_OK && !s->orphan) {
		s->refusal = lwbs_identity_reason_name(reason);
		s->srv->o.metrics->identity_refusals[reason]++;
	}
	on_lookup(s, err, plan, hold);
}

static void lookup(struct sess *s, const struct lwbs_bs_action *a)
{
	/* a trusted listener, and no transport identity (NoSec) */
	const struct lwbs_identity_resolver *id = a->identity ? NULL : s->peer->sock->identity;
	struct lwbs_store_query q;
	int r;

	s->refusal = NULL;
	if (!id && !a->endpoint && !a->identity) {
		s->plan = NULL;
		s->plan_err = 0;
		s->plan_ready = true;
		return;
	}
	s->srv->o.metrics->store_lookups++;
	s->in_lookup = true;
	s->lookup_out = true;
	if (id) {
		r = lwbs_identity_resolve(id, &s->peer->addr.sa, a->endpoint, lwbs_loop_wall(s->srv->o.loop),
					  on_resolved, s);
	} else {
		q.kind = a->endpoint ? LWBS_IDENT_ENDPOINT : LWBS_IDENT_PSK_ID;
		q.value = a->endpoint ? a->endpoint : a->identity;
		q.len = strlen(q.value);
		r = lwbs_store_lookup(s->srv->o.store, &q, on_lookup, s);
	}
	s->in_lookup = false;
	if (r < 0)
		s->lookup_out = false;
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
			if (s->tx.busy && s->tx.is_response) {
				/* after our separate answer is acknowledged */
				s->req = a;
				s->send_pending = true;
				break;
			}
			if (send_request(s, &a) < 0) {
				transport_error(s);
				return;
			}
			break;
		case LWBS_BS_ACT_DONE:
			if (s->tx.busy && s->tx.is_response)
				s->finish_pending = true;
			else
				sess_finish(s, LWBS_BS_RUNNING, NULL);
			return;
		}
	}
}

static void sess_expire(struct sess *s)
{
	struct lwbs_udp_server *srv = s->srv;
	struct lwbs_bs_event ev = {.kind = LWBS_BS_EV_TIMEOUT};

	tx_stop(s);
	s->send_pending = false;
	if (!s->finish_pending && lwbs_bs_handle(s->eng, &ev) == 0)
		drain_actions(s);
	if (s->active) /* the engine did not end it: do it here */
		sess_finish(s, LWBS_BS_FAIL_TIMEOUT, "session timed out");
	flush(srv);
}

static void on_life(void *arg)
{
	struct sess *s = arg;
	int64_t now = lwbs_loop_now(s->srv->o.loop);

	if (!s->active)
		return;
	if (now < s->life_due) {
		timer_at(s->srv, &s->life, s->life_due);
		return;
	}
	sess_expire(s);
}

/* ---- incoming requests -------------------------------------------------------- */

/* Uri-Query values, NUL-terminated, into qbuf. -E2BIG when they do not
 * fit, -EINVAL for an embedded NUL. */
static int collect_queries(const struct lwbs_coapmsg *m, char *qbuf, const char **qv, size_t *n_out)
{
	size_t used = 0, n = 0;

	for (size_t i = 0; i < m->n_opts; i++) {
		const struct lwbs_coapmsg_opt *o = &m->opts[i];

		if (o->num != LWBS_COAPMSG_OPT_URI_QUERY)
			continue;
		if (n == MAX_QUERIES || used + o->len + 1 > QUERY_BYTES)
			return -E2BIG;
		if (memchr(o->val, '\0', o->len))
			return -EINVAL;
		memcpy(qbuf + used, o->val, o->len);
		qbuf[used + o->len] = '\0';
		qv[n++] = qbuf + used;
		used += o->len + 1;
	}
	*n_out = n;
	return 0;
}

enum target { T_NONE, T_BS, T_BSPACK };

/* Checks the options: returns the resource, or T_NONE with *code set. */
static enum target classify(const struct lwbs_coapmsg *m, int *code)
{
	const uint8_t *seg = NULL;
	size_t seg_len = 0, n_seg = 0;

	for (size_t i = 0; i < m->n_opts; i++) {
		const struct lwbs_coapmsg_opt *o = &m->opts[i];

		switch (o->num) {
		case LWBS_COAPMSG_OPT_URI_PATH:
			seg = o->val;
			seg_len = o->len;
			n_seg++;
			break;
		case LWBS_COAPMSG_OPT_URI_HOST:
		case LWBS_COAPMSG_OPT_URI_PORT:
		case LWBS_COAPMSG_OPT_URI_QUERY:
		case LWBS_COAPMSG_OPT_ACCEPT:
		case LWBS_COAPMSG_OPT_BLOCK2:
		case LWBS_COAPMSG_OPT_BLOCK1:
			break;
		default:
			if (o->num & 1) { /* critical and unknown (RFC 7252 §5.4.1) */
				*code = CODE_BAD_OPTION;
				return T_NONE;
			}
		}
	}
	*code = LWBS_COAP_NOT_FOUND;
	if (n_seg != 1)
		return T_NONE;
	if (seg_len == 2 && !memcmp(seg, "bs", 2))
		return T_BS;
	if (seg_len == 6 && !memcmp(seg, "bspack", 6))
		return T_BSPACK;
	return T_NONE;
}

static void simple_answer(struct lwbs_udp_server *srv, struct peer *p, const struct lwbs_coapmsg *m, int code,
			  const char *text)
{
	answer(srv, p, NULL, m->type, m->mid, m->tkl, m->token, code, LWBS_CF_NONE, (const uint8_t *)text,
	       text ? strlen(text) : 0, -1, 0);
}

static void on_request(struct lwbs_udp_server *srv, struct peer *p, const struct lwbs_coapmsg *m)
{
	struct lwbs_bs_event ev = {0};
	const struct lwbs_coapmsg_opt *b2o = lwbs_coapmsg_find(m, LWBS_COAPMSG_OPT_BLOCK2);
	struct lwbs_coapmsg_block b2 = {0};
	char qbuf[QUERY_BYTES];
	const char *qv[MAX_QUERIES];
	size_t n_q = 0;
	enum target t;
	struct sess *s;
	int code, r;

	if (m->type == LWBS_COAPMSG_CON && p->have_last && p->last_mid == m->mid && p->last_tkl == m->tkl &&
	    !memcmp(p->last_token, m->token, m->tkl)) {
		/* a duplicate: the same answer again, the engine does not see it */
		send_bytes(srv, p->sock, &p->addr, p->alen, p->last, p->last_len);
		return;
	}
	s = p->sess;
	if (m->type == LWBS_COAPMSG_CON && s && s->ack_wait && s->req_mid == m->mid && s->req_tkl == m->tkl &&
	    !memcmp(s->req_token, m->token, m->tkl)) {
		/* a duplicate while its empty ACK is held back: the client
		 * is retransmitting, so acknowledge now; no second lookup */
		ack_now(s);
		return;
	}
	t = classify(m, &code);
	if (t == T_NONE) {
		simple_answer(srv, p, m, code, NULL);
		return;
	}
	if (b2o && lwbs_coapmsg_block_decode(b2o, &b2)) {
		simple_answer(srv, p, m, CODE_BAD_OPTION, "bad Block2 option");
		return;
	}
	if (b2o && b2.num > 0) {
		/* a further block of a large answer */
		if (!p->body_valid || t != T_BSPACK)
			simple_answer(srv, p, m, CODE_INCOMPLETE, "no large answer to continue");
		else
			answer(srv, p, NULL, m->type, m->mid, m->tkl, m->token, LWBS_COAP_CONTENT, p->body_cf,
			       p->body, p->body_len, b2.szx < BLOCK_SZX ? b2.szx : BLOCK_SZX, b2.num);
		return;
	}
	srv->o.metrics->requests_in++;
	p->body_valid = false;
	r = collect_queries(m, qbuf, qv, &n_q);
	if (r) {
		char peer[PEER_STR];
		const char *why = r == -E2BIG ? "query too long" : "query contains a NUL byte";

		simple_answer(srv, p, m, LWBS_COAP_BAD_REQUEST, why);
		addr_str(&p->addr, peer, sizeof(peer));
		lwbs_frontend_report_refused(&srv->o, peer, "udp", LWBS_BS_REFUSED_BAD_REQUEST, why);
		return;
	}
	if (p->sess) /* a new request while bootstrapping: the old session ends */
		sess_finish(p->sess, LWBS_BS_FAIL_SUPERSEDED, "the client sent a new request");
	if (srv->draining || srv->n_active >= srv->o.max_sessions) {
		lwbs_frontend_refuse_busy(&srv->o, &srv->busy, srv->draining);
		simple_answer(srv, p, m, LWBS_COAP_SERVICE_UNAVAILABLE, NULL);
		return;
	}
	s = sess_get(srv, p);
	if (!s) {
		lwbs_log(LWBS_LOG_ERROR, "out of memory for a new session");
		simple_answer(srv, p, m, LWBS_COAP_INTERNAL_ERROR, NULL);
		return;
	}
	ev.kind = t == T_BSPACK ? LWBS_BS_EV_PACK_REQUEST : LWBS_BS_EV_REQUEST;
	ev.u.req.method = m->code;
	ev.u.req.confirmable = m->type == LWBS_COAPMSG_CON;
	ev.u.req.queries = qv;
	ev.u.req.n_queries = n_q;
	ev.u.req.accept = LWBS_CF_NONE;
	int64_t acc = lwbs_coapmsg_uint(m, LWBS_COAPMSG_OPT_ACCEPT);
	if (acc >= 0)
		ev.u.req.accept = (int)acc;
	ev.u.req.payload_len = m->payload_len;
	ev.u.req.identity = NULL;

	s->req_type = m->type;
	s->req_mid = m->mid;
	s->req_tkl = m->tkl;
	memcpy(s->req_token, m->token, m->tkl);
	s->req_szx = b2o ? b2.szx : -1;
	s->answered = false;
	p->have_last = false;
	s->in_handler = true;
	feed(s, &ev);
	s->in_handler = false;
	if (s->active && !s->answered && m->type == LWBS_COAPMSG_CON) {
		/* the answer comes later: the empty ACK at once, or held back
		 * for ack_delay_ms in case the answer is ready by then, to go
		 * piggybacked (RFC 7252 §5.2.2) */
		if (!srv->o.ack_delay_ms) {
			ack_now(s);
			return;
		}
		s->ack_wait = true;
		s->ack_due = lwbs_loop_now(srv->o.loop) + srv->o.ack_delay_ms;
		timer_at(srv, &s->retx, s->ack_due);
	}
}

/* ---- incoming responses ------------------------------------------------------- */

static void on_response(struct sess *s, const struct lwbs_coapmsg *m)
{
	struct lwbs_udp_server *srv = s->srv;
	struct lwbs_bs_event ev = {.kind = LWBS_BS_EV_RESPONSE};
	const struct lwbs_coapmsg_opt *o;
	struct lwbs_coapmsg_block blk;
	int64_t cf;

	if (s->b1_szx >= 0 && m->code == CODE_CONTINUE) {
		/* Block1: the client took a block; send the next one in the
		 * size it asks for */
		size_t bs = LWBS_COAPMSG_BLOCK_SIZE(s->b1_szx);

		o = lwbs_coapmsg_find(m, LWBS_COAPMSG_OPT_BLOCK1);
		if (o && lwbs_coapmsg_block_decode(o, &blk) == 0 && blk.szx < s->b1_szx)
			s->b1_szx = blk.szx;
		if (s->b1_off + bs < s->req.payload_len) {
			tx_stop(s);
			s->b1_off += bs;
			if (send_current(s, NULL) < 0)
				transport_error(s);
			return;
		}
	}
	o = lwbs_coapmsg_find(m, LWBS_COAPMSG_OPT_BLOCK2);
	if (o && m->code == LWBS_COAP_CONTENT && lwbs_coapmsg_block_decode(o, &blk) == 0 &&
	    (size_t)blk.num << (blk.szx + 4) == s->rx_body.len) {
		lwbs_buf_put(&s->rx_body, m->payload, m->payload_len);
		if (blk.more && !lwbs_buf_err(&s->rx_body)) {
			/* Block2: ask for the next block of the client's answer */
			tx_stop(s);
			s->b1_szx = -1;
			blk.num++;
			blk.more = false;
			if (send_current(s, &blk) < 0)
				transport_error(s);
			return;
		}
	}
	tx_stop(s);
	s->b1_szx = -1;
	srv->o.metrics->responses_in++;
	cf = lwbs_coapmsg_uint(m, LWBS_COAPMSG_OPT_CONTENT_FORMAT);
	ev.u.rsp.code = m->code;
	ev.u.rsp.content_format = cf >= 0 ? (int)cf : LWBS_CF_NONE;
	ev.u.rsp.payload = m->payload;
	ev.u.rsp.payload_len = m->payload_len;
	if (s->rx_body.len) {
		ev.u.rsp.payload = s->rx_body.data;
		ev.u.rsp.payload_len = s->rx_body.len;
	}
	feed(s, &ev);
}

/* Our separate response was acknowledged: a request the engine produced
 * meanwhile goes out now. */
static void response_acked(struct sess *s)
{
	tx_stop(s);
	if (s->finish_pending) {
		sess_finish(s, LWBS_BS_RUNNING, NULL);
		return;
	}
	if (s->send_pending) {
		s->send_pending = false;
		if (send_request(s, &s->req) < 0)
			transport_error(s);
	}
}

static void on_dgram(struct sock *sk, union addr *a, socklen_t alen, const uint8_t *d, size_t n)
{
	struct lwbs_udp_server *srv = sk->srv;
	struct lwbs_coapmsg m;
	struct peer *p;
	struct sess *s;
	bool known, ours;

	if (lwbs_coapmsg_parse(d, n, &m)) {
		/* a malformed CON is rejected with RST (RFC 7252 §4.2) */
		if (n >= 4 && (d[0] >> 6) == 1 && ((d[0] >> 4) & 3) == LWBS_COAPMSG_CON)
			send_empty(srv, sk, a, alen, LWBS_COAPMSG_RST, (uint16_t)(d[2] << 8 | d[3]));
		return;
	}
	if (lwbs_coapmsg_is_request(&m)) {
		if (m.type != LWBS_COAPMSG_CON && m.type != LWBS_COAPMSG_NON)
			return;
		if (lwbs_frontend_blocked(&srv->o, sk->unknown, &a->sa))
			return; /* dropped before it costs a peer */
		p = peer_get(srv, sk, a, alen);
		if (p)
			on_request(srv, p, &m);
		return;
	}
	if (m.code == 0 && m.type == LWBS_COAPMSG_CON) { /* CoAP ping */
		send_empty(srv, sk, a, alen, LWBS_COAPMSG_RST, m.mid);
		return;
	}
	p = peer_find(srv, sk, a, addr_hash(srv, sk, a));
	s = p ? p->sess : NULL;
	if (m.code != 0 && (m.code >> 5) < 2) { /* reserved classes */
		if (m.type == LWBS_COAPMSG_CON)
			send_empty(srv, sk, a, alen, LWBS_COAPMSG_RST, m.mid);
		return;
	}
	switch (m.type) {
	case LWBS_COAPMSG_ACK:
	case LWBS_COAPMSG_RST:
		if (!s || !s->tx.busy || m.mid != s->tx.mid)
			return;
		if (m.type == LWBS_COAPMSG_RST) {
			transport_error(s);
		} else if (s->tx.is_response) {
			response_acked(s);
		} else if (m.code == 0) {
			s->tx.acked = true; /* separate response follows */
		} else if (m.tkl == 4 && !memcmp(m.token, s->tx.token, 4)) {
			on_response(s, &m);
		}
		return;
	default: /* CON or NON: a separate response */
		known = s && !s->tx.is_response && m.tkl == 4 && !memcmp(m.token, s->tx.token, 4);
		ours = known && s->tx.busy;
		/* a duplicate of one already taken (our ACK was lost) is ACKed
		 * again; one we know nothing about is reset */
		if (m.type == LWBS_COAPMSG_CON)
			send_empty(srv, sk, a, alen, known ? LWBS_COAPMSG_ACK : LWBS_COAPMSG_RST, m.mid);
		if (ours)
			on_response(s, &m);
		return;
	}
}

static void on_readable(void *arg, uint32_t events)
{
	struct sock *sk = arg;
	struct lwbs_udp_server *srv = sk->srv;

	for (int round = 0; round < RX_ROUNDS; round++) {
		int n;

		for (int i = 0; i < BATCH; i++)
			srv->rx_msgs[i].msg_hdr.msg_namelen = sizeof(srv->rx_addr[i]);
		n = recvmmsg(sk->fd, srv->rx_msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			struct msghdr *h = &srv->rx_msgs[i].msg_hdr;

			if (h->msg_flags & MSG_TRUNC)
				continue;
			if (h->msg_namelen != sizeof(struct sockaddr_in) && h->msg_namelen != sizeof(struct sockaddr_in6))
				continue;
			on_dgram(sk, &srv->rx_addr[i], h->msg_namelen, srv->rx_buf[i], srv->rx_msgs[i].msg_len);
		}
		flush(srv);
		if (n < BATCH)
			break;
	}
	flush(srv);
}

/* ---- setup ------------------------------------------------------------------ */

int lwbs_udp_server_create(const struct lwbs_coap_opts *o, struct lwbs_udp_server **out, char *err,
			   size_t err_cap)
{
	struct lwbs_udp_server *srv = calloc(1, sizeof(*srv));

	if (!srv) {
		snprintf(err, err_cap, "out of memory");
		return -ENOMEM;
	}
	srv->o = *o;
	srv->mask = 4095;
	srv->slots = calloc(srv->mask + 1, sizeof(*srv->slots));
	if (!srv->slots) {
		free(srv);
		snprintf(err, err_cap, "out of memory");
		return -ENOMEM;
	}
	if (getrandom(&srv->seed, sizeof(srv->seed), 0) != sizeof(srv->seed))
		srv->seed = (uint64_t)lwbs_loop_wall(o->loop) * 0x9e3779b97f4a7c15ull;
	srv->rng = (uint32_t)(srv->seed >> 32) | 1;
	for (int i = 0; i < BATCH; i++) {
		srv->rx_iov[i].iov_base = srv->rx_buf[i];
		srv->rx_iov[i].iov_len = RX_MAX;
		srv->rx_msgs[i].msg_hdr.msg_iov = &srv->rx_iov[i];
		srv->rx_msgs[i].msg_hdr.msg_iovlen = 1;
		srv->rx_msgs[i].msg_hdr.msg_name = &srv->rx_addr[i];
		srv->tx_msgs[i].msg_hdr.msg_iov = &srv->tx_iov[i];
		srv->tx_msgs[i].msg_hdr.msg_iovlen = 1;
	}
	lwbs_loop_timer_init(&srv->hk, housekeeping, srv);
	lwbs_loop_timer_arm(o->loop, &srv->hk, HOUSEKEEPING_MS);
	*out = srv;
	return 0;
}

static size_t rcvbuf_of(int fd)
{
	int got = 0;
	socklen_t gl = sizeof(got);

	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &gl) < 0)
		return 0;
	return (size_t)got / 2; /* the kernel reports twice the usable size */
}

void lwbs_udp_server_set_identity(struct lwbs_udp_server *srv, const struct lwbs_identity_resolver *r)
{
	if (srv->n_socks)
		srv->socks[srv->n_socks - 1]->identity = r;
}

int lwbs_udp_server_set_unknown_limit(struct lwbs_udp_server *srv, const struct lwbs_srclimit_conf *c)
{
	struct sock *sk = srv->n_socks ? srv->socks[srv->n_socks - 1] : NULL;

	if (!sk || !c->max)
		return 0;
	lwbs_srclimit_destroy(sk->unknown);
	sk->unknown = lwbs_srclimit_create(c);
	return sk->unknown ? 0 : -ENOMEM;
}

int lwbs_udp_server_listen(struct lwbs_udp_server *srv, const struct sockaddr *addr, socklen_t len,
			   size_t rcvbuf, size_t *rcvbuf_got, char *err, size_t err_cap)
{
	struct sock *sk, **socks;
	int one = 1, v = rcvbuf > (size_t)(1 << 30) ? 1 << 30 : (int)rcvbuf, r;
	int fd = socket(addr->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		snprintf(err, err_cap, "socket: %s", strerror(errno));
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (rcvbuf_of(fd) < rcvbuf) /* capped by rmem_max: root may force it */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v));
	if (bind(fd, addr, len) < 0) {
		r = -errno;
		snprintf(err, err_cap, "cannot listen: %s", strerror(errno));
		close(fd);
		return r;
	}
	sk = calloc(1, sizeof(*sk));
	socks = realloc(srv->socks, (srv->n_socks + 1) * sizeof(*socks));
	if (!sk || !socks) {
		free(sk);
		if (socks)
			srv->socks = socks;
		close(fd);
		snprintf(err, err_cap, "out of memory");
		return -ENOMEM;
	}
	srv->socks = socks;
	sk->srv = srv;
	sk->fd = fd;
	r = lwbs_loop_add_fd(srv->o.loop, &sk->src, fd, EPOLLIN, on_readable, sk);
	if (r) {
		free(sk);
		close(fd);
		snprintf(err, err_cap, "epoll: %s", strerror(-r));
		return r;
	}
	socks[srv->n_socks++] = sk;
	*rcvbuf_got = rcvbuf_of(fd);
	return 0;
}

void lwbs_udp_server_drain(struct lwbs_udp_server *srv)
{
	srv->draining = true;
}

size_t lwbs_udp_server_active(const struct lwbs_udp_server *srv)
{
	return srv->n_active;
}

void lwbs_udp_server_expire_all(struct lwbs_udp_server *srv)
{
	while (srv->active)
		sess_expire(srv->active);
}

void lwbs_udp_server_destroy(struct lwbs_udp_server *srv)
{
	struct sess *s;
	struct peer *p;

	if (!srv)
		return;
	lwbs_udp_server_expire_all(srv);
	flush(srv);
	lwbs_loop_timer_cancel(srv->o.loop, &srv->hk);
	for (size_t i = 0; i < srv->n_socks; i++) {
		lwbs_loop_del_fd(srv->o.loop, &srv->socks[i]->src);
		close(srv->socks[i]->fd);
		lwbs_srclimit_destroy(srv->socks[i]->unknown);
		free(srv->socks[i]);
	}
	free(srv->socks);
	while (srv->idle_head)
		peer_free(srv, srv->idle_head);
	while ((p = srv->free_peers)) {
		srv->free_peers = p->idle_next;
		free(p->last_big);
		free(p->body);
		free(p);
	}
	/* the store is destroyed after the server: lookups still out never answer */
	while ((s = srv->orphans)) {
		srv->orphans = s->next;
		s->next = srv->free_sess;
		srv->free_sess = s;
	}
	while ((s = srv->free_sess)) {
		srv->free_sess = s->next;
		lwbs_loop_timer_cancel(srv->o.loop, &s->life);
		lwbs_loop_timer_cancel(srv->o.loop, &s->retx);
		lwbs_bs_session_destroy(s->eng);
		lwbs_buf_finish(&s->rx_body);
		free(s);
	}
	free(srv->slots);
	free(srv);
}
