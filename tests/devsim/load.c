/* lwbs-devsim — load mode: N concurrent devices in a closed loop on
 * non-blocking UDP sockets and one epoll; every device runs the same
 * client state machine as the single-device mode. Over coaps:// every
 * session is a new socket and a new DTLS-PSK handshake (one SSL_CTX for
 * all devices), driven by the same loop, then the bootstrap over that
 * association (or, with --handshake-only, nothing), then close_notify. */
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

#include "client.h"
#include "devsim.h"
#include "dtls.h"

#define FAIL_BACKOFF_US 100000 /* pause after a failed session */
#define SCAN_US 10000          /* timer scan period */

enum ldev_phase {
	LD_IDLE = 0,  /* between sessions */
	LD_HANDSHAKE, /* coaps: DTLS handshake in progress */
	LD_BOOTSTRAP, /* the client's session runs */
};

struct ldev {
	struct devsim_client c;
	int fd;
	struct devsim_dtls *tls; /* coaps: this session's association */
	enum ldev_phase phase;
	int64_t started_us;
	int64_t restart_us; /* when idle */
	int64_t hs_timer_us; /* handshake: when the DTLS flight is due again */
	char ep[128];
	char id[128];       /* coaps: PSK identity */
};

/* What every device shares. */
struct lrun {
	const struct devsim_opts *o;
	struct ldev *devs;
	int ep;
	uint32_t base; /* first source address, host order, or 0 */
	struct devsim_dtls_ctx *x;
	unsigned long next_ep;
};

struct stats {
	unsigned long sessions, failed, timeouts;
	uint32_t *lat_us;
	size_t n_lat, cap_lat;
};

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static void raise_nofile(unsigned need)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need + 64) {
		rl.rlim_cur = rl.rlim_max < need + 64 ? rl.rlim_max : need + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void send_out(struct ldev *d, struct lwbs_buf *out)
{
	if (out->len && !lwbs_buf_err(out)) {
		if (d->tls)
			devsim_dtls_send(d->tls, out->data, out->len);
		else
			send(d->fd, out->data, out->len, MSG_DONTWAIT);
	}
	lwbs_buf_reset(out);
}

/* Device i's socket, bound to its own source address when there is one,
 * and watched by the epoll. The fd or a negative errno. */
static int open_socket(struct lrun *r, unsigned i)
{
	struct sockaddr_in la = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(r->base + i)};
	int fd = devsim_transport_open(r->o, r->base ? (struct sockaddr *)&la : NULL, sizeof(la));
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};

	if (fd < 0)
		return fd;
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* coaps: close_notify, then a fresh socket for the next handshake (a new
 * source port, as a device that re-bootstraps). */
static void close_tls(struct ldev *d)
{
	devsim_dtls_destroy(d->tls);
	d->tls = NULL;
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

static void begin_bootstrap(struct ldev *d, int64_t now, struct lwbs_buf *out)
{
	d->phase = LD_BOOTSTRAP;
	if (devsim_client_start(&d->c, now / 1000, out))
		devsim_client_fail(&d->c, "cannot start");
	send_out(d, out);
}

/* One handshake step: on success the bootstrap starts (or, handshake-only,
 * the session is over); on failure the client is failed with the reason. */
static void handshake_step(struct lrun *r, struct ldev *d, int64_t now, struct lwbs_buf *out)
{
	char why[160];
	int rc = devsim_dtls_step(d->tls, why, sizeof(why));

	if (rc < 0) {
		devsim_client_fail(&d->c, why);
	} else if (rc == 1) {
		if (!r->o->handshake_only)
			begin_bootstrap(d, now, out);
	} else {
		/* kept here: asking OpenSSL for every device at every scan costs */
		int ms = devsim_dtls_timeout_ms(d->tls);
		d->hs_timer_us = ms < 0 ? INT64_MAX : now + (int64_t)ms * 1000;
	}
}

static void start(struct lrun *r, struct ldev *d, int64_t now, struct lwbs_buf *out)
{
	const struct devsim_opts *o = r->o;
	unsigned long k = r->next_ep++ % o->endpoints;
	char why[160];

	snprintf(d->ep, sizeof(d->ep), "%s%lu", o->ep_prefix, k);
	d->c.conf.endpoint = d->ep;
	d->c.dev.conf.endpoint = d->ep;
	d->started_us = now;
	if (!o->secure) {
		begin_bootstrap(d, now, out);
		return;
	}
	/* the client waits for the handshake; a failure before the bootstrap
	 * ends it with the reason, and its last session never counts again */
	d->c.state = DEVSIM_CL_IDLE;
	d->c.ok = false;
	d->phase = LD_HANDSHAKE;
	snprintf(d->id, sizeof(d->id), "%s%lu", o->psk_identity_prefix, k);
	d->fd = open_socket(r, (unsigned)(d - r->devs));
	if (d->fd < 0) {
		devsim_client_fail(&d->c, "cannot open the socket");
		return;
	}
	d->tls = devsim_dtls_open(r->x, d->fd, d->id, why, sizeof(why));
	if (!d->tls) {
		devsim_client_fail(&d->c, why);
		return;
	}
	handshake_step(r, d, now, out);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Has the session ended, and how: handshake-only sessions end with the
 * handshake, the others when the client is done. */
static bool session_over(const struct devsim_opts *o, const struct ldev *d, bool *ok)
{
	const char *why;

	if (d->c.state == DEVSIM_CL_DONE) {
		*ok = d->phase == LD_BOOTSTRAP && d->c.ok && d->c.dev.finished &&
		      devsim_device_check(&d->c.dev, &why) == 0;
		return true;
	}
	if (o->handshake_only && d->phase == LD_HANDSHAKE && devsim_dtls_connected(d->tls)) {
		*ok = true;
		return true;
	}
	return false;
}

/* A session ended: count it when it ends inside the measured window. */
static void account(struct lrun *r, struct stats *st, struct ldev *d, int64_t now, bool counted, bool ok,
		    bool timeout)
{
	if (r->o->secure)
		close_tls(d);
	d->phase = LD_IDLE;
	d->restart_us = ok ? now : now + FAIL_BACKOFF_US;
	if (!counted)
		return;
	if (!ok) {
		st->failed++;
		st->timeouts += timeout;
		return;
	}
	st->sessions++;
	if (st->n_lat == st->cap_lat) {
		size_t cap = st->cap_lat ? 2 * st->cap_lat : 65536;
		uint32_t *n = realloc(st->lat_us, cap * sizeof(*n));
		if (!n)
			return;
		st->lat_us = n;
		st->cap_lat = cap;
	}
	int64_t l = now - d->started_us;
	st->lat_us[st->n_lat++] = l > UINT32_MAX ? UINT32_MAX : (uint32_t)l;
}

/* Reads what the device's socket holds: handshake records, or datagrams
 * (records over DTLS) for the client. */
static void receive(struct lrun *r, struct ldev *d, uint8_t *dgram, size_t cap, struct lwbs_buf *out)
{
	if (d->fd < 0)
		return;
	if (d->phase == LD_HANDSHAKE) {
		if (d->c.state == DEVSIM_CL_DONE) /* failed to start: ended at the next scan */
			return;
		handshake_step(r, d, devsim_now_us(), out);
		if (d->phase != LD_BOOTSTRAP || d->c.state == DEVSIM_CL_DONE)
			return;
	}
	for (;;) {
		ssize_t len;

		if (d->tls) {
			len = devsim_dtls_recv(d->tls, dgram, cap);
			if (len == -ECONNRESET) {
				devsim_client_fail(&d->c, "the server closed the DTLS session");
				return;
			}
			if (len < 0)
				return;
		} else {
			len = recv(d->fd, dgram, cap, MSG_DONTWAIT);
			if (len < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return;
				continue; /* ICMP errors surface here; keep draining */
			}
		}
		devsim_client_input(&d->c, devsim_now_us() / 1000, dgram, (size_t)len, out);
		send_out(d, out);
		if (d->c.state == DEVSIM_CL_DONE)
			return;
	}
}

int devsim_load_run(const struct devsim_opts *o)
{
	unsigned n = o->load;
	struct ldev *devs = calloc(n, sizeof(*devs));
	struct epoll_event *evs = calloc(n, sizeof(*evs));
	struct lrun run = {.o = o, .devs = devs, .ep = -1};
	struct stats st = {0};
	uint8_t dgram[65536], obuf[4 * DEVSIM_MAX_DGRAM];
	struct lwbs_buf out;
	unsigned long retx0 = 0;
	char why[256];
	int rc = 1;
	bool ok;

	if (!devs || !evs)
		goto done;
	for (unsigned i = 0; i < n; i++)
		devs[i].fd = -1;
	if (o->local_base) {
		struct in_addr a;
		if (o->server_addr.ss_family != AF_INET || inet_pton(AF_INET, o->local_base, &a) != 1) {
			fprintf(stderr, "lwbs-devsim: --local-base must be an IPv4 address (IPv4 server)\n");
			rc = 2;
			goto done;
		}
		run.base = ntohl(a.s_addr);
		if ((run.base >> 24) != 127 || ((run.base + n - 1) >> 24) != 127) {
			fprintf(stderr, "lwbs-devsim: --local-base + %u leaves 127.0.0.0/8\n", n);
			rc = 2;
			goto done;
		}
	}
	if (o->secure) {
		run.x = devsim_dtls_ctx_new(&o->dtls, why, sizeof(why));
		if (!run.x) {
			fprintf(stderr, "lwbs-devsim: %s\n", why);
			rc = 2;
			goto done;
		}
	}
	raise_nofile(n);
	run.ep = epoll_create1(EPOLL_CLOEXEC);
	if (run.ep < 0)
		goto done;
	for (unsigned i = 0; i < n; i++) {
		struct devsim_device_conf dc = {
			.version = o->version, .bs_iid = o->bs_iid, .bs_uri = o->server,
			.fail_finish = o->fail_finish,
		};
		struct devsim_client_conf cc = {
			.pct = o->pct, .mute_after = o->mute_after,
			.seed = (uint32_t)(devsim_now_us() * 2654435761u) ^ (i * 40503u + 1),
		};
		if (devsim_client_init(&devs[i].c, &dc, &cc)) {
			fprintf(stderr, "lwbs-devsim: out of memory\n");
			goto done;
		}
		/* coaps: a socket per session, opened by start() */
		if (o->secure)
			continue;
		devs[i].fd = open_socket(&run, i);
		if (devs[i].fd < 0) {
			fprintf(stderr, "lwbs-devsim: device %u: cannot open the transport: %s\n", i,
				strerror(-devs[i].fd));
			goto done;
		}
	}

	lwbs_buf_init_fixed(&out, obuf, sizeof(obuf));
	int64_t t0 = devsim_now_us();
	int64_t m_start = t0 + (int64_t)(o->warmup * 1e6);
	int64_t m_end = o->duration > 0 ? m_start + (int64_t)(o->duration * 1e6) : INT64_MAX;
	int64_t sess_to = (int64_t)(o->timeout * 1e6), next_scan = t0;
	double cpu0 = 0;
	bool measuring = false;
	/* Spread the first requests over 100 ms. */
	for (unsigned i = 0; i < n; i++)
		devs[i].restart_us = t0 + (int64_t)i * 100000 / n;

	for (;;) {
		int64_t now = devsim_now_us();
		if (!measuring && now >= m_start) {
			measuring = true;
			cpu0 = cpu_seconds();
			retx0 = 0;
			for (unsigned i = 0; i < n; i++)
				retx0 += devs[i].c.retransmissions;
		}
		if (now >= m_end || (o->sessions && st.sessions + st.failed >= o->sessions))
			break;
		if (now >= next_scan) {
			next_scan = now + SCAN_US;
			for (unsigned i = 0; i < n; i++) {
				struct ldev *d = &devs[i];
				bool timeout = true;

				if (d->phase == LD_IDLE) {
					if (now < d->restart_us)
						continue;
					start(&run, d, now, &out);
					timeout = false;
				} else if (d->c.state == DEVSIM_CL_DONE) {
					timeout = false; /* failed in start() */
				} else if (now - d->started_us > sess_to) {
					/* the session timed out, or the handshake or the
					 * Bootstrap-Request was never answered */
					devsim_client_fail(&d->c, "timeout");
				} else if (d->phase == LD_HANDSHAKE) {
					if (now >= d->hs_timer_us)
						handshake_step(&run, d, now, &out);
				} else if (devsim_client_deadline(&d->c) <= now / 1000) {
					devsim_client_timer(&d->c, now / 1000, &out);
					send_out(d, &out);
				}
				if (session_over(o, d, &ok))
					account(&run, &st, d, now, measuring, ok, timeout);
			}
		}
		int ne = epoll_wait(run.ep, evs, (int)n, 5);
		if (ne < 0 && errno != EINTR)
			goto done;
		for (int k = 0; k < ne; k++) {
			struct ldev *d = &devs[evs[k].data.u32];

			receive(&run, d, dgram, sizeof(dgram), &out);
			if (d->phase == LD_IDLE || !session_over(o, d, &ok))
				continue;
			now = devsim_now_us();
			account(&run, &st, d, now, measuring, ok, false);
			if (ok)
				start(&run, d, now, &out);
		}
	}

	int64_t t_end = devsim_now_us();
	double cpu = measuring ? cpu_seconds() - cpu0 : 0;
	double window = measuring ? (double)(t_end - m_start) / 1e6 : 0;
	unsigned long retx = 0;
	for (unsigned i = 0; i < n; i++)
		retx += devs[i].c.retransmissions;
	if (st.n_lat)
		qsort(st.lat_us, st.n_lat, sizeof(*st.lat_us), cmp_u32);
	double p50 = st.n_lat ? st.lat_us[st.n_lat / 2] / 1e3 : 0;
	double p99 = st.n_lat ? st.lat_us[(size_t)((double)(st.n_lat - 1) * 0.99)] / 1e3 : 0;
	printf("{\"sessions\":%lu,\"failed\":%lu,\"timeouts\":%lu,\"sessions_per_s\":%.1f,"
	       "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"cpu_s\":%.3f,\"cpu_us_per_session\":%.1f,"
	       "\"concurrency\":%u,\"duration_s\":%.3f,\"retransmissions\":%lu}\n",
	       st.sessions, st.failed, st.timeouts, window > 0 ? st.sessions / window : 0.0, p50, p99,
	       cpu, st.sessions ? cpu * 1e6 / st.sessions : 0.0, n, window,
	       measuring ? retx - retx0 : 0);
	fflush(stdout);
	rc = st.failed ? 1 : 0;
done:
	if (run.ep >= 0)
		close(run.ep);
	for (unsigned i = 0; devs && i < n; i++) {
		devsim_dtls_destroy(devs[i].tls);
		if (devs[i].fd >= 0)
			close(devs[i].fd);
		if (devs[i].c.dev.arena[0])
			devsim_client_finish(&devs[i].c);
	}
	devsim_dtls_ctx_free(run.x);
	free(devs);
	free(evs);
	free(st.lat_us);
	return rc;
}
