/* lwbs — the RADIUS accounting listener over loopback sockets: answers
 * after the journal write, retransmissions, wrong secret, unknown NAS,
 * Accounting-On, replay after a restart, lookup by source address. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../../src/daemon/log.h"
#include "../../../src/daemon/loop.h"
#include "../../../src/radius/listener.h"
#include "lwbs/radius.h"
#include "../test.h"
#include "vectors.h"

static struct lwbs_loop *loop;
static struct lwbs_radius_listener *lis;
static struct lwbs_loop_timer stop_timer;
static char jpath[64];

static void on_stop(void *arg)
{
	lwbs_loop_stop(loop);
}

static void on_iter(void *arg)
{
	lwbs_radius_listener_kick(lis);
	lwbs_log_flush();
}

/* Runs the loop for ms milliseconds. */
static void run(int ms)
{
	lwbs_loop_timer_arm(loop, &stop_timer, ms);
	lwbs_loop_run(loop);
}

static uint16_t free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t n = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &n);
	close(fd);
	return ntohs(a.sin_port);
}

static int client(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	connect(fd, (struct sockaddr *)&a, sizeof(a));
	return fd;
}

/* Reads one datagram if there is one: its length, or -1. */
static ssize_t recv_one(int fd, uint8_t *buf, size_t cap)
{
	return recv(fd, buf, cap, MSG_DONTWAIT);
}

static struct lwbs_radius_listener_stats stats(void)
{
	struct lwbs_radius_listener_stats s;

	lwbs_radius_listener_stats(lis, &s);
	return s;
}

static const char *imsi_at(const char *ip)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	const struct lwbs_radius_binding *b;

	inet_pton(AF_INET, ip, &a.sin_addr);
	b = lwbs_radius_listener_lookup(lis, (struct sockaddr *)&a, lwbs_loop_wall(loop));
	return b ? b->imsi : "(none)";
}

static void setup_conf(struct lwbs_radius_conf *c, uint16_t port, const char *secret)
{
	memset(c, 0, sizeof(*c));
	c->enabled = true;
	c->listen = calloc(1, sizeof(*c->listen));
	struct sockaddr_in *in = (struct sockaddr_in *)&c->listen[0].addr;
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->listen[0].addr_len = sizeof(*in);
	strcpy(c->listen[0].address, "127.0.0.1");
	c->listen[0].port = port;
	c->n_listen = 1;
	c->nas = calloc(2, sizeof(*c->nas));
	CHECK_INT(lwbs_radius_parse_prefix("127.0.0.0/8", c->nas[0].addr, &c->nas[0].plen), 0);
	CHECK_INT(c->nas[0].plen, 104);
	strcpy(c->nas[0].name, "loopback");
	c->nas[0].secret = strdup(secret);
	c->nas[0].secret_len = strlen(secret);
	/* a longer prefix elsewhere does not match loopback */
	CHECK_INT(lwbs_radius_parse_prefix("2001:db8::/32", c->nas[1].addr, &c->nas[1].plen), 0);
	strcpy(c->nas[1].name, "v6");
	c->nas[1].secret = strdup("other");
	c->nas[1].secret_len = 5;
	c->n_nas = 2;
	c->journal = strdup(jpath);
	c->log_interval_s = 60;
}

static size_t start_pkt(uint8_t *out, uint8_t id, uint8_t status, const char *ip4, const char *sess,
			const char *imsi)
{
	struct alist l = {.n = 0};
	uint8_t a[4];

	a_int(&l, LWBS_RADIUS_A_ACCT_STATUS_TYPE, status);
	a_raw(&l, LWBS_RADIUS_A_NAS_IP_ADDRESS, "\xc0\x00\x02\x01", 4);
	if (ip4) {
		inet_pton(AF_INET, ip4, a);
		a_raw(&l, LWBS_RADIUS_A_FRAMED_IP_ADDRESS, a, 4);
	}
	if (sess)
		a_str(&l, LWBS_RADIUS_A_ACCT_SESSION_ID, sess);
	if (imsi)
		a_3gpp_str(&l, LWBS_RADIUS_3GPP_IMSI, imsi);
	return make_acct(out, id, l.b, l.n);
}

static void test_prefix_parse(void)
{
	uint8_t a[16], p;

	CHECK_INT(lwbs_radius_parse_prefix("10.1.2.3/8", a, &p), 0);
	CHECK_INT(p, 104);
	CHECK_MEM(a, 16, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\0\0\0", 16);
	CHECK_INT(lwbs_radius_parse_prefix("2001:db8::1", a, &p), 0);
	CHECK_INT(p, 128);
	CHECK_INT(lwbs_radius_parse_prefix("10.0.0.0/33", a, &p), -EINVAL);
	CHECK_INT(lwbs_radius_parse_prefix("10.0.0.0/", a, &p), -EINVAL);
	CHECK_INT(lwbs_radius_parse_prefix("10.0.0.0/-1", a, &p), -EINVAL);
	CHECK_INT(lwbs_radius_parse_prefix("host.example", a, &p), -EINVAL);
	CHECK_INT(lwbs_radius_parse_prefix("", a, &p), -EINVAL);
}

static void test_listener(void)
{
	struct lwbs_radius_conf conf;
	uint16_t port = free_port();
	uint8_t pkt[4096], buf[4096];
	char err[256];
	ssize_t n;
	int fd;

	snprintf(jpath, sizeof(jpath), "/tmp/lwbs-listener-%d", (int)getpid());
	unlink(jpath);
	setup_conf(&conf, port, SECRET);
	loop = lwbs_loop_create();
	lwbs_loop_timer_init(&stop_timer, on_stop, NULL);
	lwbs_loop_set_hook(loop, on_iter, NULL);
	CHECK_INT(lwbs_radius_listener_create(loop, &conf, &lis, err, sizeof(err)), 0);
	fd = client(port);

	/* STANDARDS §6.2: the Start gets the exact response of the vector */
	CHECK_INT(send(fd, std_start, sizeof(std_start), 0), (long long)sizeof(std_start));
	run(100);
	n = recv_one(fd, buf, sizeof(buf));
	CHECK_MEM(buf, n > 0 ? (size_t)n : 0, std_response, sizeof(std_response));
	CHECK_STR(imsi_at("10.20.30.40"), "262011234567890");
	CHECK_INT(stats().journal_records, 1);
	CHECK_INT(stats().journal_writes, 1);

	/* the retransmission is answered again, with no second record */
	send(fd, std_start, sizeof(std_start), 0);
	run(50);
	n = recv_one(fd, buf, sizeof(buf));
	CHECK_MEM(buf, n > 0 ? (size_t)n : 0, std_response, sizeof(std_response));
	CHECK_INT(stats().resent, 1);
	CHECK_INT(stats().journal_records, 1);

	/* two copies in one go: the second is in progress and dropped */
	size_t len = start_pkt(pkt, 7, LWBS_RADIUS_START, "10.0.0.7", "S7", "262010000000007");
	send(fd, pkt, len, 0);
	send(fd, pkt, len, 0);
	run(100);
	CHECK(recv_one(fd, buf, sizeof(buf)) > 0);
	CHECK(recv_one(fd, buf, sizeof(buf)) < 0);
	CHECK_INT(stats().dup_dropped, 1);
	CHECK_STR(imsi_at("10.0.0.7"), "262010000000007");

	/* a wrong secret: dropped, no answer */
	memcpy(buf, pkt, len);
	buf[1] = 8;
	{
		struct rad_seg seg[] = {{buf, 4}, {"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16},
					{buf + 20, len - 20}, {"wrong", 5}};
		rad_md5(seg, 4, buf + 4);
	}
	send(fd, buf, len, 0);
	run(50);
	CHECK(recv_one(fd, buf, sizeof(buf)) < 0);
	CHECK_INT(stats().bad_auth, 1);

	/* a request without binding (no address) is answered, not recorded */
	len = start_pkt(pkt, 9, LWBS_RADIUS_START, NULL, "S9", NULL);
	send(fd, pkt, len, 0);
	run(50);
	CHECK(recv_one(fd, buf, sizeof(buf)) > 0);
	CHECK_INT(stats().refused, 1);
	CHECK_INT(stats().journal_records, 2);

	/* restart: the journal gives the bindings back */
	lwbs_radius_listener_destroy(lis);
	lis = NULL;
	CHECK_INT(lwbs_radius_listener_create(loop, &conf, &lis, err, sizeof(err)), 0);
	CHECK_STR(imsi_at("10.20.30.40"), "262011234567890");
	CHECK_STR(imsi_at("10.0.0.7"), "262010000000007");
	CHECK_INT(stats().bindings, 2);
	{
		struct sockaddr_in6 m = {.sin6_family = AF_INET6};
		struct lwbs_radius_binding cp;

		/* IPv4-mapped source, through the identity callback form */
		inet_pton(AF_INET6, "::ffff:10.20.30.40", &m.sin6_addr);
		CHECK_INT(lwbs_radius_listener_binding(lis, (struct sockaddr *)&m, lwbs_loop_wall(loop), &cp), 0);
		CHECK_STR(cp.imsi, "262011234567890");
		CHECK(cp.updated > 0 && cp.updated <= lwbs_loop_wall(loop));
		/* max_age: a binding older than that is not used */
		conf.max_age_s = 1;
		CHECK(lwbs_radius_listener_lookup(lis, (struct sockaddr *)&m, cp.updated + 1000) != NULL);
		CHECK(lwbs_radius_listener_lookup(lis, (struct sockaddr *)&m, cp.updated + 1001) == NULL);
		conf.max_age_s = 0;
		inet_pton(AF_INET6, "::ffff:10.20.30.41", &m.sin6_addr);
		CHECK_INT(lwbs_radius_listener_binding(lis, (struct sockaddr *)&m, lwbs_loop_wall(loop), &cp), -ENOENT);
	}

	/* Stop of session S7 removes it */
	len = start_pkt(pkt, 10, LWBS_RADIUS_STOP, "10.0.0.7", "S7", NULL);
	send(fd, pkt, len, 0);
	run(100);
	CHECK(recv_one(fd, buf, sizeof(buf)) > 0);
	CHECK_STR(imsi_at("10.0.0.7"), "(none)");

	/* Accounting-On from the NAS clears its bindings */
	len = start_pkt(pkt, 11, LWBS_RADIUS_ACCT_ON, NULL, NULL, NULL);
	send(fd, pkt, len, 0);
	run(100);
	CHECK(recv_one(fd, buf, sizeof(buf)) > 0);
	CHECK_STR(imsi_at("10.20.30.40"), "(none)");
	CHECK_INT(stats().bindings, 0);

	/* many in one batch */
	for (int i = 0; i < 200; i++) {
		char ip[32], sess[16], imsi[16];

		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 250, i % 250 + 1);
		snprintf(sess, sizeof(sess), "B%d", i);
		snprintf(imsi, sizeof(imsi), "2620100%08d", i);
		len = start_pkt(pkt, (uint8_t)i, LWBS_RADIUS_START, ip, sess, imsi);
		send(fd, pkt, len, 0);
	}
	run(300);
	int got = 0;
	while (recv_one(fd, buf, sizeof(buf)) > 0)
		got++;
	CHECK_INT(got, 200);
	CHECK_INT(stats().bindings, 200);
	CHECK(stats().journal_writes < 200);
	CHECK_STR(imsi_at("10.1.0.200"), "262010000000199");
	lwbs_radius_listener_destroy(lis);
	lis = NULL;

	/* compaction on the next write once the journal is past its limit */
	conf.journal_compact = 1;
	CHECK_INT(lwbs_radius_listener_create(loop, &conf, &lis, err, sizeof(err)), 0);
	CHECK_INT(stats().bindings, 200);
	len = start_pkt(pkt, 201, LWBS_RADIUS_STOP, "10.1.0.1", "B0", NULL);
	send(fd, pkt, len, 0);
	run(100);
	CHECK(recv_one(fd, buf, sizeof(buf)) > 0);
	lwbs_radius_listener_destroy(lis);
	lis = NULL;
	conf.journal_compact = 0;
	CHECK_INT(lwbs_radius_listener_create(loop, &conf, &lis, err, sizeof(err)), 0);
	CHECK_INT(stats().bindings, 199);
	{
		struct stat st;

		/* one record per binding: the 205 records were rewritten */
		CHECK_INT(stat(jpath, &st), 0);
		CHECK(st.st_size < 199 * 110);
		CHECK(st.st_size > 199 * 60);
	}
	CHECK_STR(imsi_at("10.1.0.1"), "(none)");
	CHECK_STR(imsi_at("10.1.0.2"), "262010000000001");

	/* max_batch 8: reading pauses while a batch is written, nothing lost */
	lwbs_radius_listener_destroy(lis);
	lis = NULL;
	conf.max_batch = 8;
	CHECK_INT(lwbs_radius_listener_create(loop, &conf, &lis, err, sizeof(err)), 0);
	for (int i = 0; i < 100; i++) {
		char ip[32], sess[16];

		snprintf(ip, sizeof(ip), "10.2.0.%d", i + 1);
		snprintf(sess, sizeof(sess), "M%d", i);
		len = start_pkt(pkt, (uint8_t)i, LWBS_RADIUS_START, ip, sess, "262010000000100");
		send(fd, pkt, len, 0);
	}
	run(300);
	got = 0;
	while (recv_one(fd, buf, sizeof(buf)) > 0)
		got++;
	CHECK_INT(got, 100);
	CHECK(stats().journal_writes >= 13);
	CHECK_INT(stats().bindings, 299);
	conf.max_batch = 0;

	/* unknown NAS: a conf whose only NAS is elsewhere */
	lwbs_radius_listener_destroy(lis);
	lis = NULL;
	CHECK_INT(lwbs_radius_parse_prefix("192.0.2.0/24", conf.nas[0].addr, &conf.nas[0].plen), 0);
	CHECK_INT(lwbs_radius_listener_create(loop, &conf, &lis, err, sizeof(err)), 0);
	len = start_pkt(pkt, 12, LWBS_RADIUS_START, "10.0.0.12", "S12", NULL);
	send(fd, pkt, len, 0);
	run(50);
	CHECK(recv_one(fd, buf, sizeof(buf)) < 0);
	CHECK_INT(stats().unknown_nas, 1);

	lwbs_radius_listener_destroy(lis);
	lis = NULL;
	close(fd);
	lwbs_radius_conf_clear(&conf);
	lwbs_loop_timer_cancel(loop, &stop_timer);
	lwbs_loop_destroy(loop);
	lwbs_log_flush();
	unlink(jpath);
}

TEST_MAIN(test_prefix_parse, test_listener)
