/* lwbsd — RADIUS accounting listener (listener.h). */
#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../daemon/log.h"
#include "../daemon/loop.h"
#include "../daemon/offload.h"
#include "journal.h"
#include "lwbs/buf.h"
#include "pg.h"

#define RX_BATCH 64
#define RX_ROUNDS 4         /* recvmmsg calls per readiness event */
#define LOG_SLOTS 256
#define DUP_ENTRIES 65536
#define DUP_MAX_AGE_S 30
#define RCVBUF (4u << 20)
#define DEFAULT_MAX_BATCH 1024
#define DEFAULT_COMPACT ((size_t)64 << 20)
#define JOURNAL_BATCH_MAX ((size_t)1 << 31) /* a snapshot of ~10 M bindings */
#define RETRY_MS 1000

union sa {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct sock {
	struct lwbs_radius_listener *l;
	struct lwbs_loop_fd src;
	int fd;
};

/* An answer that waits until its batch is durable. */
struct reply {
	uint32_t sock;
	socklen_t peer_len;
	union sa peer;
	struct lwbs_radius_peer key;
	uint8_t id;
	uint8_t auth[LWBS_RADIUS_AUTH_LEN];
	uint32_t off, len; /* the response in batch.out */
};

struct batch {
	struct lwbs_buf journal; /* encoded records, or the SQL */
	struct lwbs_radius_pg_batch keys; /* PostgreSQL: addresses touched */
	struct lwbs_buf out;     /* responses */
	struct reply *replies;
	size_t n, cap;
	bool snapshot; /* journal holds the whole table: replace the file */
};

/* Drop logging: at most one line per source and interval. */
struct log_slot {
	uint8_t addr[16];
	int64_t last_ms;
	unsigned long suppressed;
};

struct lwbs_radius_listener {
	struct lwbs_loop *loop;
	const struct lwbs_radius_conf *conf;
	struct sock *socks;
	size_t nsocks;
	struct lwbs_radius_table *table;
	struct lwbs_radius_dupcache *dup;
	struct lwbs_radius_journal *journal;
	struct lwbs_radius_pg *pg;
	struct lwbs_offload *writer; /* journal or pg */
	struct lwbs_loop_timer retry;
	int64_t retry_at;      /* no write before (loop ms) after a failure */
	struct batch pending;  /* loop thread */
	struct batch inflight; /* the writer's while it is busy */
	bool paused;           /* pending is full: sockets not read */
	bool resync;           /* a write failed: the next one is a snapshot */
	size_t compact_base;   /* journal size after the last rewrite */
	size_t compact_at;
	unsigned max_batch;
	struct lwbs_radius_listener_stats st;
	struct lwbs_radius_binding scratch; /* lookup result */
	struct lwbs_radius_packet pkt;
	struct log_slot logs[LOG_SLOTS];
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];
	union sa from[RX_BATCH];
	uint8_t rx[RX_BATCH][LWBS_RADIUS_MAX_LEN];
};

/* ---- configuration helpers ---- */

int lwbs_radius_parse_prefix(const char *s, uint8_t addr[16], uint8_t *plen)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long bits = 0;
	uint8_t a[16] = {0};
	int max, base;

	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = 0;
	if (inet_pton(AF_INET, host, a + 12) == 1) {
		a[10] = a[11] = 0xff;
		max = 32;
		base = 96;
	} else if (inet_pton(AF_INET6, host, a) == 1) {
		max = 128;
		base = 0;
	} else {
		return -EINVAL;
	}
	if (slash) {
		char *end;

		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		bits = strtoul(slash + 1, &end, 10);
		if (*end || bits > (unsigned long)max)
			return -EINVAL;
	} else {
		bits = (unsigned long)max;
	}
	unsigned p = (unsigned)base + (unsigned)bits;
	for (unsigned i = p; i < 128; i++)
		a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	memcpy(addr, a, 16);
	*plen = (uint8_t)p;
	return 0;
}

static bool prefix_match(const uint8_t *net, unsigned plen, const uint8_t *addr)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (memcmp(net, addr, full))
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff00u >> rest);
	return (net[full] & mask) == (addr[full] & mask);
}

const struct lwbs_radius_nas *lwbs_radius_conf_nas(const struct lwbs_radius_conf *c,
						   const uint8_t addr[16])
{
	const struct lwbs_radius_nas *best = NULL;

	for (size_t i = 0; i < c->n_nas; i++) {
		const struct lwbs_radius_nas *n = &c->nas[i];

		if ((!best || n->plen > best->plen) && prefix_match(n->addr, n->plen, addr))
			best = n;
	}
	return best;
}

void lwbs_radius_conf_clear(struct lwbs_radius_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_nas; i++) {
		if (c->nas[i].secret) {
			OPENSSL_cleanse(c->nas[i].secret, c->nas[i].secret_len);
			free(c->nas[i].secret);
		}
	}
	free(c->nas);
	free(c->listen);
	free(c->journal);
	free(c->dsn_file);
	memset(c, 0, sizeof(*c));
}

/* ---- addresses ---- */

static void sa_key(const union sa *s, struct lwbs_radius_peer *k)
{
	memset(k, 0, sizeof(*k));
	if (s->sa.sa_family == AF_INET) {
		k->addr[10] = k->addr[11] = 0xff;
		memcpy(k->addr + 12, &s->in.sin_addr, 4);
		k->port = ntohs(s->in.sin_port);
	} else {
		memcpy(k->addr, &s->in6.sin6_addr, 16);
		k->port = ntohs(s->in6.sin6_port);
	}
}

static void key_str(const uint8_t addr[16], char *out, size_t cap)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (!memcmp(addr, mapped, 12))
		inet_ntop(AF_INET, addr + 12, out, (socklen_t)cap);
	else
		inet_ntop(AF_INET6, addr, out, (socklen_t)cap);
}

/* ---- rate-limited drop logs ---- */

static void drop_log(struct lwbs_radius_listener *l, const uint8_t addr[16], const char *what)
{
	uint32_t h = lwbs_radius_crc32c(0, addr, 16) % LOG_SLOTS;
	struct log_slot *s = &l->logs[h];
	int64_t now = lwbs_loop_now(l->loop);
	int64_t iv = (int64_t)l->conf->log_interval_s * 1000;
	char a[INET6_ADDRSTRLEN];

	if (!lwbs_log_enabled(LWBS_LOG_WARN))
		return;
	if (!memcmp(s->addr, addr, 16) && s->last_ms && now - s->last_ms < iv) {
		s->suppressed++;
		return;
	}
	key_str(addr, a, sizeof(a));
	if (!memcmp(s->addr, addr, 16) && s->suppressed)
		lwbs_log(LWBS_LOG_WARN, "radius: %s: %s (%lu more dropped since the last report)", a, what,
			 s->suppressed);
	else
		lwbs_log(LWBS_LOG_WARN, "radius: %s: %s", a, what);
	memcpy(s->addr, addr, 16);
	s->last_ms = now;
	s->suppressed = 0;
}

/* ---- batches ---- */

static void batch_init(struct batch *b)
{
	memset(b, 0, sizeof(*b));
	lwbs_buf_init(&b->journal, JOURNAL_BATCH_MAX);
	lwbs_buf_init(&b->out, (size_t)256 << 20);
	lwbs_radius_pg_batch_init(&b->keys);
}

static void batch_reset(struct batch *b)
{
	lwbs_buf_reset(&b->journal);
	lwbs_buf_reset(&b->out);
	lwbs_radius_pg_batch_reset(&b->keys);
	b->n = 0;
	b->snapshot = false;
}

static void batch_finish(struct batch *b)
{
	lwbs_buf_finish(&b->journal);
	lwbs_buf_finish(&b->out);
	lwbs_radius_pg_batch_finish(&b->keys);
	free(b->replies);
}

static struct reply *batch_add(struct batch *b)
{
	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 256;
		struct reply *r = realloc(b->replies, nc * sizeof(*r));

		if (!r)
			return NULL;
		b->replies = r;
		b->cap = nc;
	}
	return &b->replies[b->n++];
}

static void send_one(struct lwbs_radius_listener *l, uint32_t sock, const union sa *to,
		     socklen_t to_len, const uint8_t *p, size_t n)
{
	if (sendto(l->socks[sock].fd, p, n, MSG_DONTWAIT, &to->sa, to_len) < 0)
		lwbs_log(LWBS_LOG_DEBUG, "radius: send: %s", strerror(errno));
}

/* Sends every reply of b (sendmmsg per run of the same socket) and marks
 * the requests answered. */
static void send_replies(struct lwbs_radius_listener *l, struct batch *b)
{
	struct mmsghdr m[RX_BATCH];
	struct iovec v[RX_BATCH];
	size_t i = 0;

	while (i < b->n) {
		uint32_t sock = b->replies[i].sock;
		unsigned k = 0;

		while (i + k < b->n && k < RX_BATCH && b->replies[i + k].sock == sock) {
			struct reply *r = &b->replies[i + k];

			v[k].iov_base = b->out.data + r->off;
			v[k].iov_len = r->len;
			memset(&m[k], 0, sizeof(m[k]));
			m[k].msg_hdr.msg_name = &r->peer;
			m[k].msg_hdr.msg_namelen = r->peer_len;
			m[k].msg_hdr.msg_iov = &v[k];
			m[k].msg_hdr.msg_iovlen = 1;
			k++;
		}
		unsigned sent = 0;
		while (sent < k) {
			int n = sendmmsg(l->socks[sock].fd, m + sent, k - sent, MSG_DONTWAIT);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				/* a full socket buffer: the NAS retransmits and
				 * gets the answer from the duplicate cache */
				lwbs_log(LWBS_LOG_DEBUG, "radius: sendmmsg: %s", strerror(errno));
				break;
			}
			sent += (unsigned)n;
		}
		for (unsigned j = 0; j < k; j++) {
			struct reply *r = &b->replies[i + j];

			lwbs_radius_dupcache_mark_answered(l->dup, &r->key, r->id, r->auth);
		}
		l->st.answered += k;
		i += k;
	}
}

static void set_reading(struct lwbs_radius_listener *l, bool on)
{
	if (l->paused == !on)
		return;
	l->paused = !on;
	for (size_t i = 0; i < l->nsocks; i++)
		lwbs_loop_mod_fd(l->loop, &l->socks[i].src, on ? EPOLLIN : 0);
}

/* ---- the writer ---- */

static int write_job(void *arg)
{
	struct lwbs_radius_listener *l = arg;
	struct batch *b = &l->inflight;

	if (l->pg)
		return lwbs_radius_pg_exec(l->pg, (const char *)b->journal.data);
	if (b->snapshot)
		return lwbs_radius_journal_replace(l->journal, b->journal.data, b->journal.len);
	return lwbs_radius_journal_append(l->journal, b->journal.data, b->journal.len);
}

static void write_done(void *arg, int result)
{
	struct lwbs_radius_listener *l = arg;
	struct batch *b = &l->inflight;

	if (result) {
		l->st.journal_errors++;
		if (l->pg) {
			lwbs_log(LWBS_LOG_ERROR, "radius: PostgreSQL: %s; %zu requests not answered, retrying",
				 lwbs_radius_pg_error(l->pg), b->n);
			/* final states: the same keys are written again */
			lwbs_radius_pg_batch_merge(&l->pending.keys, &b->keys);
		} else {
			l->resync = true;
			lwbs_log(LWBS_LOG_ERROR, "radius: journal %s: %s; %zu requests not answered",
				 l->conf->journal, strerror(-result), b->n);
		}
		l->retry_at = lwbs_loop_now(l->loop) + RETRY_MS;
		lwbs_loop_timer_arm(l->loop, &l->retry, RETRY_MS);
		/* their retransmissions are processed again and answered after
		 * the snapshot that resync writes */
		for (size_t i = 0; i < b->n; i++)
			lwbs_radius_dupcache_forget(l->dup, &b->replies[i].key, b->replies[i].id,
						    b->replies[i].auth);
	} else {
		if (b->snapshot) {
			l->compact_base = lwbs_radius_journal_size(l->journal);
			l->resync = false;
			lwbs_log(LWBS_LOG_INFO, "radius: journal rewritten: %zu bindings, %zu bytes",
				 lwbs_radius_table_count(l->table), l->compact_base);
		}
		send_replies(l, b);
	}
	if (b->snapshot) {
		/* give the snapshot's memory back: later batches are small */
		lwbs_buf_finish(&b->journal);
		lwbs_buf_init(&b->journal, JOURNAL_BATCH_MAX);
	}
	batch_reset(b);
	set_reading(l, true);
	lwbs_radius_listener_kick(l);
}

static void start_write(struct lwbs_radius_listener *l)
{
	struct batch tmp = l->inflight;

	l->inflight = l->pending;
	l->pending = tmp;
	l->st.journal_writes++;
	lwbs_offload_start(l->writer);
	set_reading(l, true);
}

/* A batch could not be built: nothing of it is answered. The journal is
 * rewritten by the next write (resync); PostgreSQL misses these changes
 * unless the requests are retransmitted. */
static void drop_pending(struct lwbs_radius_listener *l, int err)
{
	lwbs_log(LWBS_LOG_ERROR, "radius: write batch: %s; %zu requests not answered", strerror(-err),
		 l->pending.n);
	l->st.journal_errors++;
	for (size_t i = 0; i < l->pending.n; i++)
		lwbs_radius_dupcache_forget(l->dup, &l->pending.replies[i].key, l->pending.replies[i].id,
					    l->pending.replies[i].auth);
	batch_reset(&l->pending);
	set_reading(l, true);
}

static void kick_pg(struct lwbs_radius_listener *l)
{
	int r;

	if (l->pending.keys.n == 0 && !l->pending.keys.err) {
		/* nothing to record (refused or ignored requests only) */
		send_replies(l, &l->pending);
		batch_reset(&l->pending);
		set_reading(l, true);
		return;
	}
	lwbs_buf_reset(&l->pending.journal);
	r = lwbs_radius_pg_batch_sql(&l->pending.keys, l->table, &l->pending.journal);
	if (r) {
		drop_pending(l, r);
		return;
	}
	start_write(l);
}

void lwbs_radius_listener_kick(struct lwbs_radius_listener *l)
{
	if (!l)
		return;
	if (!l->writer) {
		send_replies(l, &l->pending);
		batch_reset(&l->pending);
		set_reading(l, true);
		return;
	}
	if (lwbs_offload_busy(l->writer) || lwbs_loop_now(l->loop) < l->retry_at)
		return;
	if (l->pg) {
		kick_pg(l);
		return;
	}
	bool grown = lwbs_radius_journal_size(l->journal) > l->compact_at &&
		     lwbs_radius_journal_size(l->journal) > 2 * l->compact_base;
	bool snapshot = l->resync || (grown && l->pending.journal.len > 0);

	if (!snapshot && l->pending.journal.len == 0) {
		/* nothing to record (refused or ignored requests only) */
		send_replies(l, &l->pending);
		batch_reset(&l->pending);
		set_reading(l, true);
		return;
	}
	if (snapshot) {
		/* the table already holds what the pending records say */
		lwbs_buf_reset(&l->pending.journal);
		lwbs_radius_journal_snapshot(l->table, &l->pending.journal);
		l->pending.snapshot = true;
	}
	if (lwbs_buf_err(&l->pending.journal)) {
		l->resync = true;
		drop_pending(l, lwbs_buf_err(&l->pending.journal));
		return;
	}
	start_write(l);
}

static void on_retry(void *arg)
{
	lwbs_radius_listener_kick(arg);
}

/* ---- requests ---- */

static void answer_now(struct lwbs_radius_listener *l, uint32_t sock, const union sa *from,
		       socklen_t from_len, const struct lwbs_radius_nas *nas)
{
	uint8_t out[LWBS_RADIUS_MAX_LEN];
	size_t n;

	if (lwbs_radius_build_response(&l->pkt, nas->secret, nas->secret_len, l->pkt.msg_auth >= 0, out,
				       sizeof(out), &n) == 0)
		send_one(l, sock, from, from_len, out, n);
}

static void handle(struct lwbs_radius_listener *l, uint32_t sock, const uint8_t *data, size_t len,
		   const union sa *from, socklen_t from_len)
{
	struct lwbs_radius_peer key;
	struct lwbs_radius_binding b;
	enum lwbs_radius_reason why;
	enum lwbs_radius_apply res;
	const struct lwbs_radius_nas *nas;
	int r;

	l->st.received++;
	sa_key(from, &key);
	nas = lwbs_radius_conf_nas(l->conf, key.addr);
	if (!nas) {
		l->st.unknown_nas++;
		drop_log(l, key.addr, "request from an unknown NAS dropped");
		return;
	}
	if (lwbs_radius_parse(data, len, &l->pkt)) {
		l->st.malformed++;
		drop_log(l, key.addr, "malformed or unsupported request dropped");
		return;
	}
	r = lwbs_radius_verify(&l->pkt, nas->secret, nas->secret_len);
	if (r) {
		if (r == -EACCES) {
			l->st.bad_auth++;
			drop_log(l, key.addr, "bad authenticator (wrong shared secret?), request dropped");
		} else {
			l->st.malformed++;
			drop_log(l, key.addr, "request without a valid Message-Authenticator dropped");
		}
		return;
	}
	if (l->pkt.code == LWBS_RADIUS_STATUS_SERVER) {
		answer_now(l, sock, from, from_len, nas);
		l->st.answered++;
		return;
	}
	const uint8_t *auth = lwbs_radius_authenticator(&l->pkt);
	int64_t now_s = lwbs_loop_now(l->loop) / 1000;
	switch (lwbs_radius_dupcache_check(l->dup, &key, l->pkt.id, auth, now_s)) {
	case LWBS_RADIUS_DUP_ANSWERED:
		/* the answer depends on the request and the secret only:
		 * rebuilding it gives the octets sent before */
		answer_now(l, sock, from, from_len, nas);
		l->st.resent++;
		return;
	case LWBS_RADIUS_DUP_IN_PROGRESS:
		l->st.dup_dropped++;
		return;
	case LWBS_RADIUS_DUP_NEW:
		break;
	}
	r = lwbs_radius_binding_extract(&l->pkt, &b, &why);
	if (r) {
		/* authentic but nothing to record: answered, or the NAS would
		 * retransmit it for ever */
		char what[96];

		l->st.refused++;
		snprintf(what, sizeof(what), "accounting request without a binding (%s)",
			 lwbs_radius_reason_str(why));
		drop_log(l, key.addr, what);
	} else {
		size_t removed = 0;

		if (l->pg)
			lwbs_radius_pg_batch_before(&l->pending.keys, l->table, &b);
		r = lwbs_radius_table_apply(l->table, &b, lwbs_loop_wall(l->loop), &res, &removed);
		if (r) {
			lwbs_radius_dupcache_forget(l->dup, &key, l->pkt.id, auth);
			lwbs_log(LWBS_LOG_ERROR, "radius: binding table: %s", strerror(-r));
			return;
		}
		l->st.applied++;
		if (b.status == LWBS_RADIUS_ACCT_ON || b.status == LWBS_RADIUS_ACCT_OFF) {
			char a[INET6_ADDRSTRLEN];

			key_str(key.addr, a, sizeof(a));
			lwbs_log(LWBS_LOG_INFO, "radius: Accounting-%s from %s (%s): %zu bindings removed",
				 b.status == LWBS_RADIUS_ACCT_ON ? "On" : "Off", a, nas->name, removed);
		}
		if (res != LWBS_RADIUS_IGNORED && l->journal) {
			lwbs_radius_journal_encode(&l->pending.journal, &b, lwbs_loop_wall(l->loop));
			l->st.journal_records++;
		} else if (res != LWBS_RADIUS_IGNORED && l->pg) {
			lwbs_radius_pg_batch_touch(&l->pending.keys, &b);
			l->st.journal_records++;
		}
	}

	struct reply *rp = batch_add(&l->pending);
	uint8_t *out = rp ? lwbs_buf_reserve(&l->pending.out, LWBS_RADIUS_MAX_LEN) : NULL;
	size_t n;

	if (!out || lwbs_radius_build_response(&l->pkt, nas->secret, nas->secret_len, l->pkt.msg_auth >= 0,
					       out, LWBS_RADIUS_MAX_LEN, &n)) {
		/* the record is applied (and queued); the retransmission is
		 * answered once it is durable */
		if (rp)
			l->pending.n--;
		lwbs_radius_dupcache_forget(l->dup, &key, l->pkt.id, auth);
		return;
	}
	l->pending.out.len -= LWBS_RADIUS_MAX_LEN - n;
	rp->sock = sock;
	rp->peer = *from;
	rp->peer_len = from_len;
	rp->key = key;
	rp->id = l->pkt.id;
	memcpy(rp->auth, auth, LWBS_RADIUS_AUTH_LEN);
	rp->off = (uint32_t)(out - l->pending.out.data);
	rp->len = (uint32_t)n;
}

static void on_readable(void *arg, uint32_t events)
{
	struct sock *s = arg;
	struct lwbs_radius_listener *l = s->l;
	uint32_t idx = (uint32_t)(s - l->socks);

	for (int round = 0; round < RX_ROUNDS && !l->paused; round++) {
		unsigned room = l->pending.n < l->max_batch ? l->max_batch - (unsigned)l->pending.n : 0;
		unsigned want = room < RX_BATCH ? room : RX_BATCH;

		if (want == 0) {
			/* full while a write is in flight or being retried */
			set_reading(l, false);
			return;
		}

		for (unsigned i = 0; i < want; i++) {
			l->iov[i].iov_base = l->rx[i];
			l->iov[i].iov_len = LWBS_RADIUS_MAX_LEN;
			memset(&l->msgs[i].msg_hdr, 0, sizeof(l->msgs[i].msg_hdr));
			l->msgs[i].msg_hdr.msg_name = &l->from[i];
			l->msgs[i].msg_hdr.msg_namelen = sizeof(l->from[i]);
			l->msgs[i].msg_hdr.msg_iov = &l->iov[i];
			l->msgs[i].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(s->fd, l->msgs, want, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			if (l->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				l->st.received++;
				l->st.malformed++;
				continue;
			}
			handle(l, idx, l->rx[i], l->msgs[i].msg_len, &l->from[i],
			       l->msgs[i].msg_hdr.msg_namelen);
		}
		if (l->pending.n >= l->max_batch)
			set_reading(l, false);
		if ((unsigned)n < want)
			return;
	}
}

/* ---- set-up ---- */

static int open_socket(struct lwbs_radius_listener *l, const struct lwbs_radius_listen *c, size_t i,
		       char *err, size_t cap)
{
	int one = 1, rcv = RCVBUF;
	int fd = socket(c->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int r;

	if (fd < 0) {
		r = -errno;
		snprintf(err, cap, "radius: listen %s port %u: %s", c->address, c->port, strerror(errno));
		return r;
	}
	if (c->addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (bind(fd, (const struct sockaddr *)&c->addr, c->addr_len) < 0) {
		r = -errno;
		snprintf(err, cap, "radius: listen %s port %u: %s", c->address, c->port, strerror(errno));
		close(fd);
		return r;
	}
	l->socks[i].l = l;
	l->socks[i].fd = fd;
	r = lwbs_loop_add_fd(l->loop, &l->socks[i].src, fd, EPOLLIN, on_readable, &l->socks[i]);
	if (r) {
		snprintf(err, cap, "radius: epoll: %s", strerror(-r));
		close(fd);
		l->socks[i].fd = -1;
		return r;
	}
	lwbs_log(LWBS_LOG_INFO, "radius: accounting on udp %s port %u", c->address, c->port);
	return 0;
}

int lwbs_radius_listener_create(struct lwbs_loop *loop, const struct lwbs_radius_conf *c,
				struct lwbs_radius_listener **out, char *err, size_t err_cap)
{
	struct lwbs_radius_listener *l = calloc(1, sizeof(*l));
	int r = -ENOMEM;

	if (!l) {
		snprintf(err, err_cap, "radius: out of memory");
		return -ENOMEM;
	}
	l->loop = loop;
	l->conf = c;
	lwbs_loop_timer_init(&l->retry, on_retry, l);
	l->max_batch = c->max_batch ? c->max_batch : DEFAULT_MAX_BATCH;
	l->compact_at = c->journal_compact ? c->journal_compact : DEFAULT_COMPACT;
	batch_init(&l->pending);
	batch_init(&l->inflight);
	l->table = lwbs_radius_table_create();
	l->dup = lwbs_radius_dupcache_create(DUP_ENTRIES, DUP_MAX_AGE_S);
	l->socks = calloc(c->n_listen ? c->n_listen : 1, sizeof(*l->socks));
	if (!l->table || !l->dup || !l->socks) {
		snprintf(err, err_cap, "radius: out of memory");
		goto fail;
	}
	for (size_t i = 0; i < c->n_listen; i++)
		l->socks[i].fd = -1;
	if (c->dsn_file) {
		size_t rows = 0;

		r = lwbs_radius_pg_open(c->dsn_file, l->table, &rows, &l->pg, err, err_cap);
		if (r)
			goto fail;
		lwbs_log(LWBS_LOG_INFO, "radius: PostgreSQL: %zu rows loaded, %zu bindings", rows,
			 lwbs_radius_table_count(l->table));
	} else if (c->journal) {
		struct lwbs_radius_journal_info info;

		r = lwbs_radius_journal_open(c->journal, l->table, &l->journal, &info, err, err_cap);
		if (r)
			goto fail;
		/* unknown live size: a journal past the limit is rewritten
		 * on the first write */
		l->compact_base = 0;
		lwbs_log(LWBS_LOG_INFO, "radius: journal %s: %zu records replayed, %zu bindings, %zu bytes",
			 c->journal, info.records, lwbs_radius_table_count(l->table), info.bytes);
		if (info.dropped_bytes)
			lwbs_log(LWBS_LOG_WARN, "radius: journal %s: %zu bytes of a torn or corrupt tail dropped",
				 c->journal, info.dropped_bytes);
		if (info.skipped)
			lwbs_log(LWBS_LOG_WARN, "radius: journal %s: %zu records refused by the table",
				 c->journal, info.skipped);
	} else {
		lwbs_log(LWBS_LOG_WARN, "radius: no journal: bindings are kept in memory only");
	}
	if (l->journal || l->pg) {
		r = lwbs_offload_create(loop, write_job, write_done, l, &l->writer);
		if (r) {
			snprintf(err, err_cap, "radius: writer thread: %s", strerror(-r));
			goto fail;
		}
	}
	for (size_t i = 0; i < c->n_listen; i++) {
		r = open_socket(l, &c->listen[i], i, err, err_cap);
		if (r)
			goto fail;
		l->nsocks++;
	}
	*out = l;
	return 0;
fail:
	lwbs_radius_listener_destroy(l);
	return r;
}

void lwbs_radius_listener_destroy(struct lwbs_radius_listener *l)
{
	if (!l)
		return;
	if (l->writer) {
		lwbs_radius_listener_kick(l);
		lwbs_offload_destroy(l->writer); /* answers what it writes */
	}
	lwbs_loop_timer_cancel(l->loop, &l->retry);
	for (size_t i = 0; i < l->nsocks; i++) {
		lwbs_loop_del_fd(l->loop, &l->socks[i].src);
		close(l->socks[i].fd);
	}
	free(l->socks);
	lwbs_radius_journal_close(l->journal);
	lwbs_radius_pg_close(l->pg);
	lwbs_radius_dupcache_destroy(l->dup);
	lwbs_radius_table_destroy(l->table);
	batch_finish(&l->pending);
	batch_finish(&l->inflight);
	free(l);
}

const struct lwbs_radius_binding *lwbs_radius_listener_lookup(struct lwbs_radius_listener *l,
							      const struct sockaddr *src, int64_t now_ms)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	int r;

	if (!l || !src)
		return NULL;
	if (src->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)src;

		r = lwbs_radius_table_lookup4(l->table, (const uint8_t *)&in->sin_addr, &l->scratch);
	} else if (src->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)src)->sin6_addr.s6_addr;

		if (!memcmp(a, mapped, 12))
			r = lwbs_radius_table_lookup4(l->table, a + 12, &l->scratch);
		else
			r = lwbs_radius_table_lookup6(l->table, a, &l->scratch);
	} else {
		return NULL;
	}
	if (r)
		return NULL;
	if (l->conf->max_age_s && now_ms - l->scratch.updated > (int64_t)l->conf->max_age_s * 1000)
		return NULL;
	return &l->scratch;
}

int lwbs_radius_listener_binding(void *arg, const struct sockaddr *src, int64_t now,
				 struct lwbs_radius_binding *out)
{
	const struct lwbs_radius_binding *b = lwbs_radius_listener_lookup(arg, src, now);

	if (!b)
		return -ENOENT;
	*out = *b;
	return 0;
}

void lwbs_radius_listener_stats(const struct lwbs_radius_listener *l,
				struct lwbs_radius_listener_stats *out)
{
	*out = l->st;
	out->bindings = lwbs_radius_table_count(l->table);
	out->table_bytes = lwbs_radius_table_memory(l->table);
	out->in_flight = l->pending.n + l->inflight.n;
}
