/* radius_bench — Accounting-Request load generator for lwbsd's RADIUS
 * listener (tests/bench/radius.sh).
 *
 *   radius_bench HOST PORT SECRET COUNT [INFLIGHT=256] [PHASES=start,stop] [FIRST=0]
 *
 * Sends COUNT Starts with distinct Framed-IP-Address / IMSI / session
 * (indexes FIRST .. FIRST+COUNT-1), keeping INFLIGHT requests outstanding
 * over enough sockets for 8-bit Identifiers, then (phase stop) the Stops
 * of the same sessions. A request unanswered after 2 s is sent again
 * unchanged (a retransmission); one sent MAX_SENDS times without an answer
 * ends the run with exit status 1 (a server that drops what it cannot
 * store never answers). Checks each Response Authenticator and prints,
 * per phase, "PHASE COUNT SECONDS RATE/s retransmissions N bad N". */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IDS_PER_SOCK 256
#define TIMEOUT_S 2.0
#define MAX_SENDS 10

struct slot {
	int used;
	int sends;
	double sent;
	uint16_t len;
	uint8_t pkt[320];
};

struct sock {
	int fd;
	struct slot slot[IDS_PER_SOCK];
	uint8_t free_ids[IDS_PER_SOCK]; /* a ring: taken at head, the oldest freed */
	unsigned head;
	unsigned nfree;
};

static const char *secret;
static size_t secret_len;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void md5(const void *a, size_t an, const void *b, size_t bn, const void *c, size_t cn,
		uint8_t out[16])
{
	EVP_MD_CTX *x = EVP_MD_CTX_new();

	EVP_DigestInit_ex(x, EVP_md5(), NULL);
	EVP_DigestUpdate(x, a, an);
	if (bn)
		EVP_DigestUpdate(x, b, bn);
	EVP_DigestUpdate(x, c, cn);
	EVP_DigestFinal_ex(x, out, NULL);
	EVP_MD_CTX_free(x);
}

static uint8_t *attr(uint8_t *w, uint8_t type, const void *v, size_t n)
{
	*w++ = type;
	*w++ = (uint8_t)(n + 2);
	memcpy(w, v, n);
	return w + n;
}

static uint8_t *vsa(uint8_t *w, uint8_t vtype, const char *s)
{
	uint8_t b[64] = {0, 0, 0x28, 0xaf, vtype, (uint8_t)(strlen(s) + 2)};

	memcpy(b + 6, s, strlen(s));
	return attr(w, 26, b, strlen(s) + 6);
}

/* Start (1) or Stop (2) for index i. */
static uint16_t build(uint8_t *p, uint8_t id, int status, uint32_t i)
{
	uint8_t *w = p + 20;
	uint8_t st[4] = {0, 0, 0, (uint8_t)status};
	uint32_t ip = 0x0a000000u + 1 + i; /* 10.0.0.1 + i */
	uint8_t ipb[4] = {(uint8_t)(ip >> 24), (uint8_t)(ip >> 16), (uint8_t)(ip >> 8), (uint8_t)ip};
	char sess[24], imsi[16], msisdn[16];

	snprintf(sess, sizeof(sess), "B%08X", i);
	snprintf(imsi, sizeof(imsi), "26201%010u", i);
	snprintf(msisdn, sizeof(msisdn), "4917%08u", i % 100000000u);
	w = attr(w, 40, st, 4);
	w = attr(w, 4, "\xc0\x00\x02\x01", 4);
	w = attr(w, 8, ipb, 4);
	w = attr(w, 44, sess, strlen(sess));
	if (status == 1) {
		w = attr(w, 31, msisdn, strlen(msisdn));
		w = attr(w, 30, "lwm2m.example", 13);
		w = vsa(w, 1, imsi);
		w = vsa(w, 8, "26201");
		w = vsa(w, 20, "3520990012345601");
	}
	uint16_t len = (uint16_t)(w - p);
	p[0] = 4;
	p[1] = id;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	memset(p + 4, 0, 16);
	uint8_t auth[16];
	md5(p, len, NULL, 0, secret, secret_len, auth);
	memcpy(p + 4, auth, 16);
	return len;
}

/* The Response Authenticator of r (len n) answers req. */
static int response_ok(const uint8_t *r, size_t n, const uint8_t *req)
{
	uint8_t hdr[20], d[16];

	if (n < 20 || r[0] != 5 || ((size_t)r[2] << 8 | r[3]) != n)
		return 0;
	memcpy(hdr, r, 4);
	memcpy(hdr + 4, req + 4, 16);
	md5(hdr, 20, r + 20, n - 20, secret, secret_len, d);
	return memcmp(d, r + 4, 16) == 0;
}

/* Identifiers are reused oldest freed first: a server may still be
 * finishing the request it has just answered (FreeRADIUS's main thread
 * after its worker sent the answer) and takes a new request with the same
 * Identifier at once for a conflicting one. */
static uint8_t take_id(struct sock *s)
{
	uint8_t id = s->free_ids[s->head];

	s->head = (s->head + 1) % IDS_PER_SOCK;
	s->nfree--;
	return id;
}

static void put_id(struct sock *s, uint8_t id)
{
	s->free_ids[(s->head + s->nfree) % IDS_PER_SOCK] = id;
	s->nfree++;
}

static int run_phase(struct sock *s, int nsock, int status, uint32_t first, uint32_t count,
		     unsigned inflight, const char *name)
{
	uint32_t next = 0, done = 0;
	unsigned out = 0;
	unsigned long retrans = 0, bad = 0;
	double t0 = now_s(), last_scan = t0;
	struct pollfd *pfd = calloc((size_t)nsock, sizeof(*pfd));
	int rr = 0;

	for (int k = 0; k < nsock; k++) {
		pfd[k].fd = s[k].fd;
		pfd[k].events = POLLIN;
	}
	while (done < count) {
		while (out < inflight && next < count) {
			int k = -1;

			for (int j = 0; j < nsock; j++) {
				int c = (rr + j) % nsock;
				if (s[c].nfree) {
					k = c;
					break;
				}
			}
			if (k < 0)
				break;
			rr = (k + 1) % nsock;
			uint8_t id = take_id(&s[k]);
			struct slot *sl = &s[k].slot[id];
			sl->len = build(sl->pkt, id, status, first + next);
			sl->used = 1;
			sl->sends = 1;
			sl->sent = now_s();
			if (send(s[k].fd, sl->pkt, sl->len, 0) < 0 && errno != EAGAIN && errno != ENOBUFS) {
				perror("send");
				return -1;
			}
			next++;
			out++;
		}
		if (poll(pfd, (nfds_t)nsock, 50) < 0 && errno != EINTR) {
			perror("poll");
			return -1;
		}
		for (int k = 0; k < nsock; k++) {
			uint8_t buf[4096];
			ssize_t n;

			while ((n = recv(s[k].fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
				struct slot *sl = &s[k].slot[buf[1]];

				if (!sl->used)
					continue; /* answer to a retransmission already counted */
				if (!response_ok(buf, (size_t)n, sl->pkt)) {
					bad++;
					continue;
				}
				sl->used = 0;
				put_id(&s[k], buf[1]);
				out--;
				done++;
			}
		}
		double t = now_s();
		if (t - last_scan > 0.25) {
			last_scan = t;
			for (int k = 0; k < nsock; k++)
				for (int id = 0; id < IDS_PER_SOCK; id++) {
					struct slot *sl = &s[k].slot[id];
					if (sl->used && t - sl->sent > TIMEOUT_S) {
						if (sl->sends == MAX_SENDS) {
							fprintf(stderr, "radius_bench: %s: no answer after %d sends\n",
								name, MAX_SENDS);
							free(pfd);
							return -1;
						}
						sl->sends++;
						sl->sent = t;
						send(s[k].fd, sl->pkt, sl->len, 0);
						retrans++;
					}
				}
		}
	}
	double el = now_s() - t0;
	printf("%s %u %.3f %.0f/s retransmissions %lu bad %lu\n", name, count, el, count / el, retrans, bad);
	fflush(stdout);
	free(pfd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: radius_bench HOST PORT SECRET COUNT [INFLIGHT=256] [PHASES=start,stop] [FIRST=0]\n");
		return 2;
	}
	secret = argv[3];
	secret_len = strlen(secret);
	uint32_t count = (uint32_t)strtoul(argv[4], NULL, 10);
	unsigned inflight = argc > 5 ? (unsigned)strtoul(argv[5], NULL, 10) : 256;
	const char *phases = argc > 6 ? argv[6] : "start,stop";
	uint32_t first = argc > 7 ? (uint32_t)strtoul(argv[7], NULL, 10) : 0;
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *ai;

	if (getaddrinfo(argv[1], argv[2], &hints, &ai)) {
		fprintf(stderr, "radius_bench: cannot resolve %s\n", argv[1]);
		return 2;
	}
	/* 200 of the 256 Identifiers per socket */
	int nsock = (int)((inflight + 199) / 200);
	struct sock *s = calloc((size_t)nsock, sizeof(*s));
	for (int k = 0; k < nsock; k++) {
		int rcv = 4 << 20;
		s[k].fd = socket(ai->ai_family, SOCK_DGRAM, 0);
		setsockopt(s[k].fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		if (s[k].fd < 0 || connect(s[k].fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			perror("socket");
			return 1;
		}
		for (int id = 0; id < 200; id++)
			put_id(&s[k], (uint8_t)id);
	}
	freeaddrinfo(ai);
	if (strstr(phases, "start") && run_phase(s, nsock, 1, first, count, inflight, "start"))
		return 1;
	if (strstr(phases, "stop") && run_phase(s, nsock, 2, first, count, inflight, "stop"))
		return 1;
	for (int k = 0; k < nsock; k++)
		close(s[k].fd);
	free(s);
	return 0;
}
