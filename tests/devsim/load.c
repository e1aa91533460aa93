/* lwbs-devsim — load mode: N concurrent devices in a closed loop on
 * non-blocking UDP sockets and one epoll; every device runs the same
 * client state machine as the single-device mode. */
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

#define FAIL_BACKOFF_US 100000 /* pause after a failed session */
#define SCAN_US 10000          /* timer scan period */

struct ldev {
	struct devsim_client c;
	int fd;
	bool running;
	int64_t started_us;
	int64_t restart_us; /* when not running */
	char ep[128];
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
	if (out->len && !lwbs_buf_err(out))
		send(d->fd, out->data, out->len, MSG_DONTWAIT);
	lwbs_buf_reset(out);
}

static void start(const struct devsim_opts *o, struct ldev *d, unsigned long *next_ep, int64_t now,
		  struct lwbs_buf *out)
{
	snprintf(d->ep, sizeof(d->ep), "%s%lu", o->ep_prefix, *next_ep % o->endpoints);
	(*next_ep)++;
	d->c.conf.endpoint = d->ep;
	d->c.dev.conf.endpoint = d->ep;
	d->running = true;
	d->started_us = now;
	if (devsim_client_start(&d->c, now / 1000, out))
		devsim_client_fail(&d->c, "cannot start");
	send_out(d, out);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* A session ended: count it when it ends inside the measured window. */
static void account(struct stats *st, struct ldev *d, int64_t now, bool counted, bool timeout)
{
	const char *why;
	bool ok = d->c.ok && d->c.dev.finished && devsim_device_check(&d->c.dev, &why) == 0;

	d->running = false;
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

int devsim_load_run(const struct devsim_opts *o)
{
	unsigned n = o->load;
	struct ldev *devs = calloc(n, sizeof(*devs));
	struct epoll_event *evs = calloc(n, sizeof(*evs));
	struct stats st = {0};
	uint8_t dgram[65536], obuf[4 * DEVSIM_MAX_DGRAM];
	struct lwbs_buf out;
	unsigned long next_ep = 0, retx0 = 0;
	uint32_t base = 0;
	int ep = -1, rc = 1;

	if (!devs || !evs)
		goto done;
	if (o->local_base) {
		struct in_addr a;
		if (o->server_addr.ss_family != AF_INET || inet_pton(AF_INET, o->local_base, &a) != 1) {
			fprintf(stderr, "lwbs-devsim: --local-base must be an IPv4 address (IPv4 server)\n");
			rc = 2;
			goto done;
		}
		base = ntohl(a.s_addr);
		if ((base >> 24) != 127 || ((base + n - 1) >> 24) != 127) {
			fprintf(stderr, "lwbs-devsim: --local-base + %u leaves 127.0.0.0/8\n", n);
			rc = 2;
			goto done;
		}
	}
	raise_nofile(n);
	for (unsigned i = 0; i < n; i++)
		devs[i].fd = -1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
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
		struct sockaddr_in la = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(base + i)};
		if (devsim_client_init(&devs[i].c, &dc, &cc)) {
			fprintf(stderr, "lwbs-devsim: out of memory\n");
			goto done;
		}
		devs[i].fd = devsim_transport_open(o, o->local_base ? (struct sockaddr *)&la : NULL,
						   sizeof(la));
		if (devs[i].fd < 0) {
			fprintf(stderr, "lwbs-devsim: device %u: cannot open the transport: %s\n", i,
				strerror(-devs[i].fd));
			goto done;
		}
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, devs[i].fd, &ev) < 0)
			goto done;
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
				if (!d->running) {
					if (now >= d->restart_us)
						start(o, d, &next_ep, now, &out);
					continue;
				}
				/* Ended here: the session timed out or the
				 * Bootstrap-Request was never answered. */
				if (now - d->started_us > sess_to) {
					devsim_client_fail(&d->c, "timeout");
				} else if (devsim_client_deadline(&d->c) <= now / 1000) {
					devsim_client_timer(&d->c, now / 1000, &out);
					send_out(d, &out);
				}
				if (d->c.state == DEVSIM_CL_DONE)
					account(&st, d, now, measuring, true);
			}
		}
		int ne = epoll_wait(ep, evs, (int)n, 5);
		if (ne < 0 && errno != EINTR)
			goto done;
		for (int k = 0; k < ne; k++) {
			struct ldev *d = &devs[evs[k].data.u32];
			for (;;) {
				ssize_t len = recv(d->fd, dgram, sizeof(dgram), MSG_DONTWAIT);
				if (len < 0) {
					if (errno == EAGAIN || errno == EWOULDBLOCK)
						break;
					continue; /* ICMP errors surface here; keep draining */
				}
				now = devsim_now_us();
				devsim_client_input(&d->c, now / 1000, dgram, (size_t)len, &out);
				send_out(d, &out);
				if (d->running && d->c.state == DEVSIM_CL_DONE) {
					account(&st, d, now, measuring, false);
					if (d->c.ok)
						start(o, d, &next_ep, now, &out);
				}
			}
		}
	}

	int64_t t_end = devsim_now_us();
	double cpu = measuring ? cpu_seconds() - cpu0 : 0;
	double window = measuring ? (double)(t_end - m_start) / 1e6 : 0;
	unsigned long retx = 0;
	for (unsigned i = 0; i < n; i++)
		retx += devs[i].c.retransmissions;
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
	if (ep >= 0)
		close(ep);
	for (unsigned i = 0; devs && i < n; i++) {
		if (devs[i].fd >= 0)
			close(devs[i].fd);
		if (devs[i].c.dev.arena[0])
			devsim_client_finish(&devs[i].c);
	}
	free(devs);
	free(evs);
	free(st.lat_us);
	return rc;
}
