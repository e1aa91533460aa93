/* dhcp_bench — closed-loop load generator for lwbs-dhcpd.
 *
 * Keeps N requests in flight (DHCPINFORM with 125 in the parameter list,
 * or a DHCPv6 Information-request with 17 in the ORO), each answered reply
 * carrying the vendor option sends the next one. A request unanswered
 * after the timeout counts as lost and is replaced. Counts only replies in
 * the measured window after the warm-up.
 *
 *   dhcp_bench [-6] -s SERVER -b BIND [-p PORT] [-P BIND_PORT]
 *              [-n INFLIGHT] [-t SECONDS] [-w WARMUP] [-T TIMEOUT_MS]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_INFLIGHT 4096
#define BATCH 64

struct slot {
	uint32_t gen;
	uint64_t sent_ns;
};

static int v6;
static struct slot slots[MAX_INFLIGHT];
static uint8_t req[BATCH][512];
static size_t req_len;
static struct sockaddr_storage server;
static socklen_t server_len;
static uint8_t tmpl[512];

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static size_t build_template(const void *bind_addr)
{
	size_t k = 0;
	if (v6) {
		static const uint8_t t[] = {11, 0, 0, 0, 0, 1, 0, 10, 0, 3, 0, 1, 2, 0x11, 0x22, 0x33,
					    0x44, 0x55, 0, 6, 0, 4, 0, 23, 0, 17, 0, 8, 0, 2, 0, 0};
		memcpy(tmpl, t, sizeof(t));
		return sizeof(t);
	}
	memset(tmpl, 0, 240);
	tmpl[0] = 1;
	tmpl[1] = 1;
	tmpl[2] = 6;
	memcpy(tmpl + 12, bind_addr, 4);
	static const uint8_t mac[6] = {2, 0x11, 0x22, 0x33, 0x44, 0x55};
	memcpy(tmpl + 28, mac, 6);
	memcpy(tmpl + 236, "\x63\x82\x53\x63", 4);
	k = 240;
	static const uint8_t o[] = {53, 1, 8, 61, 7, 1, 2, 0x11, 0x22, 0x33, 0x44, 0x55,
				    55, 3, 1, 3, 125, 255};
	memcpy(tmpl + k, o, sizeof(o));
	k += sizeof(o);
	while (k < 300)
		tmpl[k++] = 0;
	return k;
}

/* The id is the slot in the low bits, the generation above. */
static uint32_t make_id(unsigned slot)
{
	return v6 ? ((slots[slot].gen & 0x7fff) << 9 | slot) & 0xffffff
		  : (slots[slot].gen << 12) | slot;
}

static void put_id(uint8_t *p, uint32_t id)
{
	if (v6) {
		p[1] = (uint8_t)(id >> 16);
		p[2] = (uint8_t)(id >> 8);
		p[3] = (uint8_t)id;
	} else {
		p[4] = (uint8_t)(id >> 24);
		p[5] = (uint8_t)(id >> 16);
		p[6] = (uint8_t)(id >> 8);
		p[7] = (uint8_t)id;
	}
}

/* Returns the id of a reply carrying the vendor option, or -1. */
static int64_t reply_id(const uint8_t *p, size_t n)
{
	if (v6) {
		if (n < 4 || p[0] != 7)
			return -1;
		for (size_t i = 4; i + 4 <= n;) {
			unsigned code = p[i] << 8 | p[i + 1], len = p[i + 2] << 8 | p[i + 3];
			if (code == 17)
				return p[1] << 16 | p[2] << 8 | p[3];
			i += 4 + len;
		}
		return -1;
	}
	if (n < 241 || p[0] != 2)
		return -1;
	for (size_t i = 240; i + 1 < n && p[i] != 255;) {
		if (p[i] == 0) {
			i++;
			continue;
		}
		if (p[i] == 125)
			return (int64_t)((uint32_t)p[4] << 24 | p[5] << 16 | p[6] << 8 | p[7]);
		i += 2 + p[i + 1];
	}
	return -1;
}

static int send_batch(int fd, const unsigned *which, unsigned n)
{
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	uint64_t t = now_ns();
	memset(m, 0, sizeof(m));
	for (unsigned i = 0; i < n; i++) {
		memcpy(req[i], tmpl, req_len);
		put_id(req[i], make_id(which[i]));
		slots[which[i]].sent_ns = t;
		iov[i] = (struct iovec){req[i], req_len};
		m[i].msg_hdr.msg_name = &server;
		m[i].msg_hdr.msg_namelen = server_len;
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	unsigned off = 0;
	while (off < n) {
		int rc = sendmmsg(fd, m + off, n - off, 0);
		if (rc < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				struct pollfd pfd = {fd, POLLOUT, 0};
				poll(&pfd, 1, 10);
				continue;
			}
			perror("sendmmsg");
			return -1;
		}
		off += (unsigned)rc;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *srv = NULL, *bind_s = NULL;
	unsigned port = 0, bport = 0, inflight = 256;
	double seconds = 20, warmup = 2, timeout_ms = 1000;
	int ch;
	while ((ch = getopt(argc, argv, "6s:b:p:P:n:t:w:T:")) != -1) {
		switch (ch) {
		case '6': v6 = 1; break;
		case 's': srv = optarg; break;
		case 'b': bind_s = optarg; break;
		case 'p': port = (unsigned)atoi(optarg); break;
		case 'P': bport = (unsigned)atoi(optarg); break;
		case 'n': inflight = (unsigned)atoi(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'w': warmup = atof(optarg); break;
		case 'T': timeout_ms = atof(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-6] -s SERVER -b BIND [-p PORT] [-P BIND_PORT] "
				"[-n INFLIGHT] [-t S] [-w S] [-T MS]\n", argv[0]);
			return 2;
		}
	}
	if (!srv || !bind_s || !inflight || inflight > (v6 ? 512u : MAX_INFLIGHT)) {
		fprintf(stderr, "dhcp_bench: need -s and -b; -n 1..%u\n", v6 ? 512u : MAX_INFLIGHT);
		return 2;
	}
	port = port ? port : (v6 ? 547 : 67);
	bport = bport ? bport : (v6 ? 546 : 68);
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int buf = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
	struct sockaddr_storage local;
	socklen_t local_len;
	memset(&local, 0, sizeof(local));
	memset(&server, 0, sizeof(server));
	if (v6) {
		struct sockaddr_in6 *l = (void *)&local, *s = (void *)&server;
		l->sin6_family = s->sin6_family = AF_INET6;
		l->sin6_port = htons((uint16_t)bport);
		s->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, bind_s, &l->sin6_addr) != 1 ||
		    inet_pton(AF_INET6, srv, &s->sin6_addr) != 1)
			return fprintf(stderr, "dhcp_bench: bad address\n"), 2;
		local_len = server_len = sizeof(*l);
		req_len = build_template(&l->sin6_addr);
	} else {
		struct sockaddr_in *l = (void *)&local, *s = (void *)&server;
		l->sin_family = s->sin_family = AF_INET;
		l->sin_port = htons((uint16_t)bport);
		s->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, bind_s, &l->sin_addr) != 1 ||
		    inet_pton(AF_INET, srv, &s->sin_addr) != 1)
			return fprintf(stderr, "dhcp_bench: bad address\n"), 2;
		local_len = server_len = sizeof(*l);
		req_len = build_template(&l->sin_addr);
	}
	if (bind(fd, (struct sockaddr *)&local, local_len) < 0) {
		perror("bind");
		return 1;
	}

	uint64_t start = now_ns(), t0 = start + (uint64_t)(warmup * 1e9),
		 t1 = t0 + (uint64_t)(seconds * 1e9), tmo = (uint64_t)(timeout_ms * 1e6);
	unsigned long long replies = 0, lost = 0, stray = 0;
	unsigned pend[BATCH], np = 0;
	for (unsigned i = 0; i < inflight; i++) {
		pend[np++] = i;
		if (np == BATCH) {
			if (send_batch(fd, pend, np))
				return 1;
			np = 0;
		}
	}
	if (np && send_batch(fd, pend, np))
		return 1;
	np = 0;

	struct rusage ru0, ru1;
	int measuring = 0;
	uint8_t rx[BATCH][1500];
	struct iovec iov[BATCH];
	struct mmsghdr mm[BATCH];
	uint64_t last_scan = start;
	for (;;) {
		uint64_t t = now_ns();
		if (!measuring && t >= t0) {
			getrusage(RUSAGE_SELF, &ru0);
			measuring = 1;
		}
		if (t >= t1)
			break;
		struct pollfd pfd = {fd, POLLIN, 0};
		poll(&pfd, 1, 5);
		for (unsigned i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){rx[i], sizeof(rx[i])};
			memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		int got = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
		t = now_ns();
		for (int i = 0; i < got; i++) {
			int64_t id = reply_id(rx[i], mm[i].msg_len);
			unsigned slot = (unsigned)(id & (v6 ? 0x1ff : 0xfff));
			if (id < 0 || slot >= inflight || (uint32_t)id != make_id(slot)) {
				stray++;
				continue;
			}
			if (measuring && t < t1)
				replies++;
			slots[slot].gen++;
			pend[np++] = slot;
		}
		/* timeouts, checked every 10 ms */
		if (t - last_scan > 10000000) {
			last_scan = t;
			for (unsigned s = 0; s < inflight && np < BATCH; s++) {
				if (t - slots[s].sent_ns > tmo) {
					if (measuring)
						lost++;
					slots[s].gen++;
					pend[np++] = s;
				}
			}
		}
		if (np) {
			if (send_batch(fd, pend, np))
				return 1;
			np = 0;
		}
	}
	getrusage(RUSAGE_SELF, &ru1);
	double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec -
			      ru0.ru_stime.tv_sec) +
		     (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec -
			      ru0.ru_stime.tv_usec) * 1e-6;
	printf("mode=%s inflight=%u seconds=%.1f replies=%llu rate=%.0f lost=%llu stray=%llu "
	       "gen_cpu_us_per_reply=%.2f\n",
	       v6 ? "v6" : "v4", inflight, seconds, replies, (double)replies / seconds, lost, stray,
	       replies ? cpu * 1e6 / (double)replies : 0.0);
	return 0;
}
