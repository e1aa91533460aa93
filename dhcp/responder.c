/* lwbs-dhcpd — sockets, batches, rate limit and the event loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dhcpd.h"
#include "lwbs/buf.h"
#include "lwbs/err.h"

#define BATCH 64
#define RX_SIZE 4096
#define TX_SIZE 4096
#define MAX_SOCKS (2 * DHCPD_MAX_ADDRS)
#define RATE_SLOTS 8192 /* direct-mapped; a collision restarts a bucket */
#define CTRL_SIZE 64

struct bucket {
	uint8_t key[16];
	uint8_t used;
	double tokens;
	uint64_t last_ns;
};

struct sock {
	int fd;
	int family;
	bool any; /* bound to the wildcard address */
};

struct slot {
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} peer;
	_Alignas(struct cmsghdr) uint8_t ctrl[CTRL_SIZE];
};

struct dhcpd {
	struct dhcpd_conf conf;
	struct sock socks[MAX_SOCKS];
	unsigned n_socks;
	unsigned ifindex[DHCPD_MAX_IFS];
	unsigned n_ifindex;
	uint8_t duid[LWBS_DHCP6_DUID_MAX];
	size_t duid_len;
	int epfd, sigfd;
	struct dhcpd_counters cnt;
	dhcpd_uri_lookup_fn lookup;
	void *lookup_ctx;
	void (*tick)(void *ctx);
	void *tick_ctx;
	uint32_t tick_s;
	struct bucket *buckets;
	uint64_t now_ns;

	/* one receive batch and its replies */
	uint8_t rx[BATCH][RX_SIZE];
	struct slot rxs[BATCH];
	struct iovec rxiov[BATCH];
	struct mmsghdr rxm[BATCH];
	uint8_t tx[BATCH][TX_SIZE];
	struct slot txs[BATCH];
	struct iovec txiov[BATCH];
	struct mmsghdr txm[BATCH];
};

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logmsg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("lwbs-dhcpd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- DUID (RFC 8415 §11): configured, DUID-LL of an interface, or DUID-EN ---- */

static int duid_ll(const char *ifname, uint8_t *out, size_t *len)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	int rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (rc < 0)
		return -errno;
	const uint8_t *mac = (const uint8_t *)ifr.ifr_hwaddr.sa_data;
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return -ENOENT;
	out[0] = 0;
	out[1] = 3; /* DUID-LL */
	out[2] = 0;
	out[3] = 1; /* Ethernet */
	memcpy(out + 4, mac, 6);
	*len = 10;
	return 0;
}

static uint64_t fnv64(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static void derive_duid(const struct dhcpd_conf *c, uint8_t *out, size_t *len)
{
	if (c->duid_len) {
		memcpy(out, c->duid, c->duid_len);
		*len = c->duid_len;
		return;
	}
	for (unsigned i = 0; i < c->n_ifs; i++)
		if (duid_ll(c->ifs[i], out, len) == 0)
			return;
	if (!c->n_ifs) {
		struct if_nameindex *ifs = if_nameindex();
		for (struct if_nameindex *it = ifs; it && it->if_index; it++)
			if (strcmp(it->if_name, "lo") && duid_ll(it->if_name, out, len) == 0) {
				if_freenameindex(ifs);
				return;
			}
		if (ifs)
			if_freenameindex(ifs);
	}
	/* DUID-EN: enterprise number and an identifier stable for this host. */
	char id[128] = "";
	FILE *f = fopen("/etc/machine-id", "r");
	if (!f || !fgets(id, sizeof(id), f))
		gethostname(id, sizeof(id) - 1);
	if (f)
		fclose(f);
	uint32_t en = c->carrier.type == LWBS_DHCP_CARRIER_VIVSO ? c->carrier.enterprise : 32473;
	uint64_t h = fnv64(id, strlen(id));
	out[0] = 0;
	out[1] = 2;
	for (int i = 0; i < 4; i++)
		out[2 + i] = (uint8_t)(en >> (24 - 8 * i));
	for (int i = 0; i < 8; i++)
		out[6 + i] = (uint8_t)(h >> (56 - 8 * i));
	*len = 14;
}

/* Joins All_DHCP_Relay_Agents_and_Servers (ff02::1:2) on the configured
 * interfaces, or on every non-loopback interface when none is configured. */
static void join_all_dhcp(struct dhcpd *d, int fd)
{
	struct ipv6_mreq mr;
	inet_pton(AF_INET6, "ff02::1:2", &mr.ipv6mr_multiaddr);
	if (d->n_ifindex) {
		for (unsigned i = 0; i < d->n_ifindex; i++) {
			mr.ipv6mr_interface = d->ifindex[i];
			if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)) < 0)
				logmsg("cannot join ff02::1:2 on %s: %s", d->conf.ifs[i],
				       strerror(errno));
		}
		return;
	}
	struct if_nameindex *ifs = if_nameindex();
	for (struct if_nameindex *it = ifs; it && it->if_index; it++) {
		if (!strcmp(it->if_name, "lo"))
			continue;
		mr.ipv6mr_interface = it->if_index;
		setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr));
	}
	if (ifs)
		if_freenameindex(ifs);
}

/* ---- sockets ---- */

static int open_sock(struct dhcpd *d, int family, const void *addr, char *err, size_t errlen)
{
	int one = 1;
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	char txt[INET6_ADDRSTRLEN];
	inet_ntop(family, addr, txt, sizeof(txt));
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (d->conf.receive_buffer &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &d->conf.receive_buffer, sizeof(int)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &d->conf.receive_buffer, sizeof(int));
	bool any;
	if (family == AF_INET) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(d->conf.v4_port)};
		memcpy(&sa.sin_addr, addr, 4);
		any = sa.sin_addr.s_addr == htonl(INADDR_ANY);
		if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto fail;
	} else {
		struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(d->conf.v6_port)};
		memcpy(&sa.sin6_addr, addr, 16);
		any = IN6_IS_ADDR_UNSPECIFIED(&sa.sin6_addr);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0 ||
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto fail;
		if (any)
			join_all_dhcp(d, fd);
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = d->n_socks};
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		goto fail;
	d->socks[d->n_socks++] = (struct sock){fd, family, any};
	return 0;
fail:
	snprintf(err, errlen, "cannot listen on %s port %u: %s", txt,
		 family == AF_INET ? d->conf.v4_port : d->conf.v6_port, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* ---- per-client token bucket ---- */

static bool rate_ok(struct dhcpd *d, const uint8_t key[16])
{
	if (!d->conf.rate)
		return true;
	struct bucket *b = &d->buckets[fnv64(key, 16) % RATE_SLOTS];
	if (!b->used || memcmp(b->key, key, 16) != 0) {
		memcpy(b->key, key, 16);
		b->used = 1;
		b->tokens = d->conf.burst;
		b->last_ns = d->now_ns;
	}
	double add = (double)(d->now_ns - b->last_ns) * 1e-9 * d->conf.rate;
	b->last_ns = d->now_ns;
	b->tokens = b->tokens + add > d->conf.burst ? d->conf.burst : b->tokens + add;
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

static bool if_allowed(const struct dhcpd *d, unsigned ifindex)
{
	if (!d->n_ifindex)
		return true;
	for (unsigned i = 0; i < d->n_ifindex; i++)
		if (d->ifindex[i] == ifindex)
			return true;
	return false;
}

static void count_drop(struct dhcpd *d, int rc)
{
	if (rc == -ENOMSG)
		d->cnt.dropped_not_for_us++;
	else
		d->cnt.dropped_malformed++;
}

static struct lwbs_dhcp_policy policy_for(struct dhcpd *d, const struct sockaddr *client)
{
	struct lwbs_dhcp_policy p = {
		.carrier = d->conf.carrier,
		.always_send = d->conf.always_send,
		.uri = d->conf.uri,
		.uri_len = d->conf.uri_len,
	};
	const char *uri;
	size_t len;
	if (!d->lookup)
		return p;
	if (d->lookup(d->lookup_ctx, client, &uri, &len) == 0) {
		p.uri = uri;
		p.uri_len = len;
		d->cnt.subscriber_hits++;
	} else {
		d->cnt.subscriber_misses++;
	}
	return p;
}

/* Handles received datagram i of a v4 batch; fills tx slot *n on an answer. */
static void handle4(struct dhcpd *d, unsigned i, unsigned *n)
{
	struct mmsghdr *m = &d->rxm[i];
	struct in_pktinfo pi = {0};
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m->msg_hdr); c; c = CMSG_NXTHDR(&m->msg_hdr, c))
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
	if (!if_allowed(d, (unsigned)pi.ipi_ifindex)) {
		d->cnt.dropped_not_for_us++;
		return;
	}
	struct lwbs_dhcp4_msg req;
	int rc = lwbs_dhcp4_parse(d->rx[i], m->msg_len, &req);
	if (rc) {
		count_drop(d, rc);
		return;
	}
	const struct sockaddr_in *src = &d->rxs[i].peer.v4;
	struct sockaddr_in client = {.sin_family = AF_INET, .sin_port = htons(LWBS_DHCP4_CLIENT_PORT)};
	memcpy(&client.sin_addr, req.ciaddr, 4);
	uint8_t key[16] = {0};
	memcpy(key, client.sin_addr.s_addr ? (const void *)req.ciaddr : (const void *)&src->sin_addr, 4);
	if (!rate_ok(d, key)) {
		d->cnt.dropped_ratelimit++;
		return;
	}
	const uint8_t *sid = d->conf.has_server_id ? d->conf.server_id : (const uint8_t *)&pi.ipi_spec_dst;
	struct lwbs_dhcp_policy pol = policy_for(d, (const struct sockaddr *)&client);
	struct lwbs_buf b;
	lwbs_buf_init_fixed(&b, d->tx[*n], TX_SIZE);
	rc = lwbs_dhcp4_answer(&req, &pol, sid, (const uint8_t *)&src->sin_addr, &b);
	if (rc) {
		count_drop(d, rc);
		return;
	}
	struct slot *s = &d->txs[*n];
	s->peer.v4 = client;
	struct msghdr *h = &d->txm[*n].msg_hdr;
	memset(h, 0, sizeof(*h));
	d->txiov[*n] = (struct iovec){d->tx[*n], b.len};
	h->msg_name = &s->peer.v4;
	h->msg_namelen = sizeof(s->peer.v4);
	h->msg_iov = &d->txiov[*n];
	h->msg_iovlen = 1;
	/* Answer from the address the request reached. */
	h->msg_control = s->ctrl;
	h->msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo));
	struct cmsghdr *c = CMSG_FIRSTHDR(h);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
	struct in_pktinfo out = {.ipi_spec_dst = pi.ipi_spec_dst};
	memcpy(CMSG_DATA(c), &out, sizeof(out));
	(*n)++;
}

static void handle6(struct dhcpd *d, unsigned i, unsigned *n)
{
	struct mmsghdr *m = &d->rxm[i];
	struct in6_pktinfo pi;
	memset(&pi, 0, sizeof(pi));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m->msg_hdr); c; c = CMSG_NXTHDR(&m->msg_hdr, c))
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
	if (!if_allowed(d, pi.ipi6_ifindex)) {
		d->cnt.dropped_not_for_us++;
		return;
	}
	struct lwbs_dhcp6_msg req;
	int rc = lwbs_dhcp6_parse(d->rx[i], m->msg_len, &req);
	if (rc) {
		count_drop(d, rc);
		return;
	}
	/* RFC 8415 §16: a client's Information-request sent to a unicast
	 * address is discarded unless the site allows it (as dnsmasq does). */
	if (!req.relay_depth && !IN6_IS_ADDR_MULTICAST(&pi.ipi6_addr) && !d->conf.v6_accept_unicast) {
		d->cnt.dropped_not_for_us++;
		return;
	}
	const struct sockaddr_in6 *src = &d->rxs[i].peer.v6;
	struct sockaddr_in6 client = *src;
	if (req.relay_depth)
		memcpy(&client.sin6_addr, req.relay[req.relay_depth - 1].peer_addr, 16);
	if (!rate_ok(d, client.sin6_addr.s6_addr)) {
		d->cnt.dropped_ratelimit++;
		return;
	}
	struct lwbs_dhcp_policy pol = policy_for(d, (const struct sockaddr *)&client);
	struct lwbs_buf b;
	lwbs_buf_init_fixed(&b, d->tx[*n], TX_SIZE);
	rc = lwbs_dhcp6_answer(&req, &pol, d->duid, d->duid_len, &b);
	if (rc) {
		count_drop(d, rc);
		return;
	}
	struct slot *s = &d->txs[*n];
	s->peer.v6 = *src;
	struct msghdr *h = &d->txm[*n].msg_hdr;
	memset(h, 0, sizeof(*h));
	d->txiov[*n] = (struct iovec){d->tx[*n], b.len};
	h->msg_name = &s->peer.v6;
	h->msg_namelen = sizeof(s->peer.v6);
	h->msg_iov = &d->txiov[*n];
	h->msg_iovlen = 1;
	/* §18.3.10: through the receiving interface, from the unicast address
	 * the request reached (the kernel picks one for multicast). */
	h->msg_control = s->ctrl;
	h->msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo));
	struct cmsghdr *c = CMSG_FIRSTHDR(h);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
	struct in6_pktinfo out;
	memset(&out, 0, sizeof(out));
	if (!IN6_IS_ADDR_MULTICAST(&pi.ipi6_addr))
		out.ipi6_addr = pi.ipi6_addr;
	out.ipi6_ifindex = pi.ipi6_ifindex;
	memcpy(CMSG_DATA(c), &out, sizeof(out));
	(*n)++;
}

static void flush(struct dhcpd *d, int fd, unsigned n)
{
	unsigned off = 0;
	while (off < n) {
		int rc = sendmmsg(fd, d->txm + off, n - off, 0);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return; /* the rest are lost; clients retransmit */
			off++; /* this destination failed (unreachable, ...) */
			continue;
		}
		d->cnt.answered += (unsigned)rc;
		off += (unsigned)rc;
	}
}

static void serve(struct dhcpd *d, const struct sock *s)
{
	struct timespec ts;
	/* At most 16 batches per wake-up so that other sockets get a turn. */
	for (int round = 0; round < 16; round++) {
		for (unsigned i = 0; i < BATCH; i++) {
			struct msghdr *h = &d->rxm[i].msg_hdr;
			d->rxiov[i] = (struct iovec){d->rx[i], RX_SIZE};
			h->msg_name = &d->rxs[i].peer;
			h->msg_namelen = sizeof(d->rxs[i].peer);
			h->msg_iov = &d->rxiov[i];
			h->msg_iovlen = 1;
			h->msg_control = d->rxs[i].ctrl;
			h->msg_controllen = CTRL_SIZE;
			h->msg_flags = 0;
		}
		int got = recvmmsg(s->fd, d->rxm, BATCH, 0, NULL);
		if (got <= 0)
			return;
		clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
		d->now_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		unsigned n = 0;
		for (int i = 0; i < got; i++) {
			d->cnt.received++;
			if (d->rxm[i].msg_hdr.msg_flags & MSG_TRUNC) {
				d->cnt.dropped_malformed++;
				continue;
			}
			if (s->family == AF_INET)
				handle4(d, (unsigned)i, &n);
			else
				handle6(d, (unsigned)i, &n);
		}
		if (n)
			flush(d, s->fd, n);
		if (got < BATCH)
			return;
	}
}

/* ---- lifecycle ---- */

static int resolve_ifs(struct dhcpd *d, char *err, size_t errlen)
{
	d->n_ifindex = 0;
	for (unsigned i = 0; i < d->conf.n_ifs; i++) {
		unsigned idx = if_nametoindex(d->conf.ifs[i]);
		if (!idx) {
			snprintf(err, errlen, "interface %s: %s", d->conf.ifs[i], strerror(errno));
			return -1;
		}
		d->ifindex[d->n_ifindex++] = idx;
	}
	return 0;
}

struct dhcpd *dhcpd_create(const struct dhcpd_conf *conf, char *err, size_t errlen)
{
	sigset_t set;
	struct dhcpd *d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->conf = *conf;
	d->epfd = d->sigfd = -1;
	d->buckets = calloc(RATE_SLOTS, sizeof(*d->buckets));
	if (!d->buckets) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (resolve_ifs(d, err, errlen))
		goto fail;
	derive_duid(&d->conf, d->duid, &d->duid_len);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		goto fail;
	}
	for (unsigned i = 0; i < conf->n_v4; i++)
		if (open_sock(d, AF_INET, &conf->v4[i], err, errlen))
			goto fail;
	for (unsigned i = 0; i < conf->n_v6; i++)
		if (open_sock(d, AF_INET6, &conf->v6[i], err, errlen))
			goto fail;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = MAX_SOCKS};
	if (d->sigfd < 0 || epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->sigfd, &ev) < 0) {
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		goto fail;
	}
	return d;
fail:
	dhcpd_destroy(d);
	return NULL;
}

void dhcpd_destroy(struct dhcpd *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < d->n_socks; i++)
		close(d->socks[i].fd);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->epfd >= 0)
		close(d->epfd);
	free(d->buckets);
	free(d);
}

void dhcpd_set_uri_lookup(struct dhcpd *d, dhcpd_uri_lookup_fn fn, void *ctx)
{
	d->lookup = fn;
	d->lookup_ctx = ctx;
}

void dhcpd_set_tick(struct dhcpd *d, uint32_t period_s, void (*fn)(void *ctx), void *ctx)
{
	d->tick = fn;
	d->tick_ctx = ctx;
	d->tick_s = period_s;
}

void dhcpd_counters(const struct dhcpd *d, struct dhcpd_counters *out)
{
	*out = d->cnt;
}

static void print_counters(const struct dhcpd *d)
{
	logmsg("counters received=%llu answered=%llu dropped_malformed=%llu "
	       "dropped_ratelimit=%llu dropped_not_for_us=%llu subscriber_hits=%llu "
	       "subscriber_misses=%llu",
	       (unsigned long long)d->cnt.received, (unsigned long long)d->cnt.answered,
	       (unsigned long long)d->cnt.dropped_malformed,
	       (unsigned long long)d->cnt.dropped_ratelimit,
	       (unsigned long long)d->cnt.dropped_not_for_us,
	       (unsigned long long)d->cnt.subscriber_hits,
	       (unsigned long long)d->cnt.subscriber_misses);
}

static bool same_listen(const struct dhcpd_conf *a, const struct dhcpd_conf *b)
{
	return a->n_v4 == b->n_v4 && a->n_v6 == b->n_v6 && a->n_ifs == b->n_ifs &&
	       a->v4_port == b->v4_port && a->v6_port == b->v6_port &&
	       a->receive_buffer == b->receive_buffer &&
	       !memcmp(a->v4, b->v4, sizeof(a->v4)) && !memcmp(a->v6, b->v6, sizeof(a->v6)) &&
	       !memcmp(a->ifs, b->ifs, sizeof(a->ifs));
}

/* SIGHUP: a valid file replaces the answer settings; a bad one keeps the
 * old configuration. Listening sockets change only with a restart. */
static void reload(struct dhcpd *d, const char *path)
{
	struct dhcpd_conf c;
	char err[512];
	dhcpd_conf_defaults(&c);
	if (dhcpd_conf_load(path, &c, err, sizeof(err))) {
		logmsg("reload failed, keeping the old configuration: %s", err);
		return;
	}
	if (!same_listen(&c, &d->conf)) {
		logmsg("reload: listen settings changed; they take effect on restart");
		memcpy(c.v4, d->conf.v4, sizeof(c.v4));
		memcpy(c.v6, d->conf.v6, sizeof(c.v6));
		memcpy(c.ifs, d->conf.ifs, sizeof(c.ifs));
		c.n_v4 = d->conf.n_v4;
		c.n_v6 = d->conf.n_v6;
		c.n_ifs = d->conf.n_ifs;
		c.v4_port = d->conf.v4_port;
		c.v6_port = d->conf.v6_port;
		c.receive_buffer = d->conf.receive_buffer;
	}
	if (memcmp(&c.subs, &d->conf.subs, sizeof(c.subs))) {
		logmsg("reload: subscribers changed; they take effect on restart");
		c.subs = d->conf.subs;
	}
	d->conf = c;
	derive_duid(&d->conf, d->duid, &d->duid_len);
	memset(d->buckets, 0, RATE_SLOTS * sizeof(*d->buckets));
	logmsg("configuration reloaded from %s", path);
}

int dhcpd_run(struct dhcpd *d, const char *conf_path)
{
	struct epoll_event evs[MAX_SOCKS + 1];
	struct timespec ts;
	int64_t next_ms = 0;
	for (;;) {
		int timeout = -1;
		if (d->tick && d->tick_s) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
			if (!next_ms)
				next_ms = now_ms + (int64_t)d->tick_s * 1000;
			if (now_ms >= next_ms) {
				d->tick(d->tick_ctx);
				next_ms = now_ms + (int64_t)d->tick_s * 1000;
			}
			timeout = (int)(next_ms - now_ms);
		}
		int n = epoll_wait(d->epfd, evs, MAX_SOCKS + 1, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			logmsg("epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (int i = 0; i < n; i++) {
			uint32_t id = evs[i].data.u32;
			if (id < d->n_socks) {
				serve(d, &d->socks[id]);
				continue;
			}
			struct signalfd_siginfo si;
			while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGHUP && conf_path) {
					reload(d, conf_path);
				} else if (si.ssi_signo == SIGUSR1) {
					print_counters(d);
				} else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
					print_counters(d);
					return 0;
				}
			}
		}
	}
}
