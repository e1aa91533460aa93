/* Unit tests: the native UDP front end (src/coap/udp.c) on 127.0.0.1 with
 * a store that answers later, so that the asynchronous path runs: empty
 * ACK, duplicate answered from the cache, separate CON response,
 * retransmitted until acknowledged. Also the answers that need no store:
 * ping, unknown path, unknown critical option, NON request, Block2
 * continuation with nothing to continue. And a whole session with the
 * embedded store: Discover answered with Block2, a large Write taken with
 * Block1 in a smaller block size than offered. And the empty ACK held
 * back (ack_delay): the answer piggybacked when ready in time. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../test.h"
#include "../../../src/coap/udp.h"
#include "../../../src/daemon/log.h"
#include "../../../src/daemon/loop.h"
#include "lwbs/coapmsg.h"
#include "lwbs/store_embedded.h"

struct fake_store {
	struct lwbs_store base;
	lwbs_store_lookup_fn cb;
	void *arg;
	int lookups;
};

static int fake_lookup(struct lwbs_store *st, const struct lwbs_store_query *q, lwbs_store_lookup_fn cb, void *arg)
{
	struct fake_store *f = (struct fake_store *)st;

	f->cb = cb;
	f->arg = arg;
	f->lookups++;
	return 0;
}

static int n_released;

static void fake_release(struct lwbs_store *st, struct lwbs_store_hold *h)
{
	n_released++;
}

static const struct lwbs_store_ops fake_ops = {.name = "fake", .lookup = fake_lookup, .release = fake_release};

static int n_done;
static char last_result[32];

static void on_done(void *arg, const struct lwbs_audit_record *r)
{
	n_done++;
	snprintf(last_result, sizeof(last_result), "%s", r->result);
}

static void stop_loop(void *arg)
{
	lwbs_loop_stop(arg);
}

static void run_for(struct lwbs_loop *l, int ms)
{
	struct lwbs_loop_timer t;

	lwbs_loop_timer_init(&t, stop_loop, l);
	lwbs_loop_timer_arm(l, &t, ms);
	lwbs_loop_run(l);
	lwbs_loop_timer_cancel(l, &t);
}

/* Next datagram for the client, parsed into m (its bytes in buf). */
static int client_recv(int fd, uint8_t *buf, size_t cap, struct lwbs_coapmsg *m)
{
	ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);

	if (n < 0)
		return -errno;
	return lwbs_coapmsg_parse(buf, (size_t)n, m);
}

static void client_send(int fd, const struct lwbs_coapmsg *m)
{
	uint8_t d[512];
	struct lwbs_buf b;

	lwbs_buf_init_fixed(&b, d, sizeof(d));
	CHECK_INT(lwbs_coapmsg_encode(m, &b), 0);
	CHECK_INT((int)send(fd, d, b.len, 0), (int)b.len);
}

/* Sends m, lets the server run, and parses its answer into r (bytes in
 * buf): client_recv's result. */
static int exchange(struct lwbs_loop *loop, int fd, const struct lwbs_coapmsg *m, uint8_t *buf, size_t cap,
		    struct lwbs_coapmsg *r)
{
	client_send(fd, m);
	run_for(loop, 30);
	return client_recv(fd, buf, cap, r);
}

static struct lwbs_coapmsg request(uint8_t type, uint16_t mid, const char *path)
{
	struct lwbs_coapmsg m = {.type = type, .code = LWBS_COAP_POST, .mid = mid, .tkl = 4};

	memcpy(m.token, "\x01\x02\x03\x04", 4);
	lwbs_coapmsg_add_opt(&m, LWBS_COAPMSG_OPT_URI_PATH, path, strlen(path));
	lwbs_coapmsg_add_opt(&m, LWBS_COAPMSG_OPT_URI_QUERY, "ep=dev-x", 8);
	return m;
}

/* The options every test runs the front end with. */
static struct lwbs_coap_opts opts(struct lwbs_loop *loop, struct lwbs_store *st, struct lwbs_metrics *metrics)
{
	return (struct lwbs_coap_opts){
		.loop = loop, .store = st, .metrics = metrics, .done = on_done,
		.session_timeout_ms = 60000, .max_sessions = 10,
	};
}

/* A server with o on a free 127.0.0.1 port, and in *fd a client socket
 * connected to it; *got: the receive buffer the server got. */
static struct lwbs_udp_server *start_server(const struct lwbs_coap_opts *o, int *fd, size_t *got)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	struct lwbs_udp_server *srv = NULL;
	char err[256];

	CHECK_INT(lwbs_udp_server_create(o, &srv, err, sizeof(err)), 0);
	/* a free port, then the server on it */
	*fd = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK_INT(bind(*fd, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_INT(getsockname(*fd, (struct sockaddr *)&a, &al), 0);
	close(*fd);
	CHECK_INT(lwbs_udp_server_listen(srv, (struct sockaddr *)&a, sizeof(a), 65536, got, err, sizeof(err)), 0);
	*fd = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK_INT(connect(*fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return srv;
}

static void test_async_answer(void)
{
	struct lwbs_loop *loop = lwbs_loop_create();
	struct fake_store st = {.base.ops = &fake_ops};
	struct lwbs_metrics metrics = {0};
	struct lwbs_coap_opts o = opts(loop, &st.base, &metrics);
	struct lwbs_udp_server *srv;
	size_t got;
	uint8_t buf[1500], first[1500];
	size_t first_len;
	struct lwbs_coapmsg m, r;
	int fd;

	CHECK(loop != NULL);
	srv = start_server(&o, &fd, &got);
	CHECK(got >= 4096);

	/* the store does not answer within the handler: an empty ACK */
	m = request(LWBS_COAPMSG_CON, 0x100, "bs");
	CHECK_INT(exchange(loop, fd, &m, buf, sizeof(buf), &r), 0);
	CHECK_INT(r.type, LWBS_COAPMSG_ACK);
	CHECK_INT(r.code, 0);
	CHECK_INT(r.mid, 0x100);
	CHECK_INT(st.lookups, 1);
	CHECK_INT(lwbs_udp_server_active(srv), 1);

	/* its duplicate: the empty ACK again, the engine does not see it */
	CHECK_INT(exchange(loop, fd, &m, buf, sizeof(buf), &r), 0);
	CHECK_INT(r.type, LWBS_COAPMSG_ACK);
	CHECK_INT(r.code, 0);
	CHECK_INT(r.mid, 0x100);
	CHECK_INT(st.lookups, 1);

	/* the store answers (unknown device): a separate CON 4.00 with the
	 * request's token; the session lasts until it is acknowledged */
	st.cb(st.arg, 0, NULL, NULL);
	CHECK_INT(client_recv(fd, first, sizeof(first), &r), 0);
	CHECK_INT(r.type, LWBS_COAPMSG_CON);
	CHECK_INT(r.code, LWBS_COAP_BAD_REQUEST);
	CHECK_INT(r.tkl, 4);
	CHECK_MEM(r.token, 4, "\x01\x02\x03\x04", 4);
	CHECK(r.mid != 0x100);
	first_len = 0;
	{
		struct lwbs_buf b;

		lwbs_buf_init_fixed(&b, first, sizeof(first));
		CHECK_INT(lwbs_coapmsg_encode(&r, &b), 0);
		first_len = b.len;
	}
	uint16_t sep_mid = r.mid;
	CHECK_INT(n_done, 0);
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), -EAGAIN);

	/* not acknowledged: retransmitted after 2-3 s, the same message */
	run_for(loop, 3100);
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	CHECK_INT((int)n, (int)first_len);
	CHECK_MEM(buf, (size_t)n, first, first_len);

	/* acknowledged: the session ends with the engine's result */
	struct lwbs_coapmsg ack = {.type = LWBS_COAPMSG_ACK, .mid = sep_mid};
	client_send(fd, &ack);
	run_for(loop, 30);
	CHECK_INT(n_done, 1);
	CHECK_STR(last_result, "unknown_endpoint");
	CHECK_INT(lwbs_udp_server_active(srv), 0);
	CHECK_INT(metrics.results[LWBS_BS_REFUSED_UNKNOWN_EP], 1);

	/* ping: RST */
	struct lwbs_coapmsg ping = {.type = LWBS_COAPMSG_CON, .mid = 0x200};
	CHECK_INT(exchange(loop, fd, &ping, buf, sizeof(buf), &r), 0);
	CHECK_INT(r.type, LWBS_COAPMSG_RST);
	CHECK_INT(r.mid, 0x200);

	/* unknown path: piggybacked 4.04; as NON: a NON 4.04 */
	m = request(LWBS_COAPMSG_CON, 0x201, "nothere");
	client_send(fd, &m);
	m = request(LWBS_COAPMSG_NON, 0x202, "nothere");
	CHECK_INT(exchange(loop, fd, &m, buf, sizeof(buf), &r), 0);
	CHECK_INT(r.type, LWBS_COAPMSG_ACK);
	CHECK_INT(r.mid, 0x201);
	CHECK_INT(r.code, LWBS_COAP_NOT_FOUND);
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), 0);
	CHECK_INT(r.type, LWBS_COAPMSG_NON);
	CHECK_INT(r.code, LWBS_COAP_NOT_FOUND);
	CHECK_MEM(r.token, 4, "\x01\x02\x03\x04", 4);

	/* an unknown critical option (If-Match, 1): 4.02 */
	m = request(LWBS_COAPMSG_CON, 0x203, "bs");
	lwbs_coapmsg_add_opt(&m, 1, "x", 1);
	client_send(fd, &m);
	/* Block2 block 1 of a Pack never sent: 4.08 */
	uint8_t b2[4];
	m = request(LWBS_COAPMSG_CON, 0x204, "bspack");
	lwbs_coapmsg_add_uint(&m, LWBS_COAPMSG_OPT_BLOCK2, 0x16, b2);
	CHECK_INT(exchange(loop, fd, &m, buf, sizeof(buf), &r), 0);
	CHECK_INT(r.mid, 0x203);
	CHECK_INT(r.code, LWBS_COAP_CODE(4, 2));
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), 0);
	CHECK_INT(r.mid, 0x204);
	CHECK_INT(r.code, LWBS_COAP_CODE(4, 8));
	CHECK_INT(st.lookups, 1);

	/* the first request's message id again with another token: a new
	 * request (a client that picks message ids at random), not a duplicate */
	m = request(LWBS_COAPMSG_CON, 0x100, "bs");
	m.token[0] = 0x55;
	client_send(fd, &m);
	run_for(loop, 30);
	CHECK_INT(st.lookups, 2);
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), 0);
	CHECK_INT(r.type, LWBS_COAPMSG_ACK);
	CHECK_INT(r.code, 0);
	CHECK_INT(lwbs_udp_server_active(srv), 1);

	/* garbage: a malformed CON gets RST, others nothing */
	CHECK_INT((int)send(fd, "\x40\x01\x00\x07\xf1", 5, 0), 5);
	CHECK_INT((int)send(fd, "\x50\x01\x00\x08\xf1", 5, 0), 5);
	run_for(loop, 30);
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), 0);
	CHECK_INT(r.type, LWBS_COAPMSG_RST);
	CHECK_INT(r.mid, 7);
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), -EAGAIN);

	close(fd);
	lwbs_udp_server_destroy(srv);
	lwbs_loop_destroy(loop);
}


/* ---- a whole session with the embedded store, block-wise both ways ---- */

struct rig {
	struct lwbs_loop *loop;
	struct lwbs_udp_server *srv;
	int fd;
};

/* Server's next request to the client (waits for it); 0 or -EAGAIN. */
static int next_request(struct rig *g, uint8_t *buf, size_t cap, struct lwbs_coapmsg *m)
{
	for (int i = 0; i < 20; i++) {
		int r = client_recv(g->fd, buf, cap, m);

		if (r != -EAGAIN)
			return r;
		run_for(g->loop, 10);
	}
	return -EAGAIN;
}

static void reply(struct rig *g, const struct lwbs_coapmsg *req, uint8_t code, const struct lwbs_coapmsg_opt *extra,
		  size_t n_extra, const void *payload, size_t len)
{
	struct lwbs_coapmsg r = {.type = LWBS_COAPMSG_ACK, .code = code, .mid = req->mid, .tkl = req->tkl};

	memcpy(r.token, req->token, req->tkl);
	for (size_t i = 0; i < n_extra; i++)
		lwbs_coapmsg_add_opt(&r, extra[i].num, extra[i].val, extra[i].len);
	r.payload = payload;
	r.payload_len = len;
	client_send(g->fd, &r);
}

static void test_blockwise_session(void)
{
	static const char discover[] = "</>;lwm2m=1.0,</0/0>;ssid=0,</1>,</3/0>,</5>";
	char dir[] = "/tmp/lwbs-test-udp-XXXXXX", path[64], err[256];
	struct rig g;
	struct lwbs_metrics metrics = {0};
	uint8_t buf[1500], cert[1500];
	struct lwbs_coapmsg m;
	size_t got, disc_off = 0, body = 0;
	int blocks_in = 0, n_put = 0, smaller = 0;
	bool finished = false;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/devices.yaml", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	for (size_t i = 0; i < sizeof(cert); i++)
		cert[i] = (uint8_t)(i * 7);
	fputs("profiles:\n  - name: big\n    servers:\n      - uri: coaps://dm.example.net:5684\n"
	      "        ssid: 101\n        security: x509\n        certificate: hex:", f);
	for (size_t i = 0; i < sizeof(cert); i++)
		fprintf(f, "%02x", cert[i]);
	fputs("\n        private_key: hex:00112233\n        server_certificate: hex:aabbcc\n"
	      "devices:\n  - endpoint: dev-x\n    profile: big\n", f);
	fclose(f);
	const char *files[] = {path};
	struct lwbs_store *st = lwbs_store_embedded_create(files, 1, err, sizeof(err));
	CHECK(st != NULL);

	g.loop = lwbs_loop_create();
	struct lwbs_coap_opts o = opts(g.loop, st, &metrics);
	g.srv = start_server(&o, &g.fd, &got);

	n_done = 0;
	m = request(LWBS_COAPMSG_CON, 0x500, "bs");
	client_send(g.fd, &m);
	CHECK_INT(next_request(&g, buf, sizeof(buf), &m), 0);
	CHECK_INT(m.type, LWBS_COAPMSG_ACK);
	CHECK_INT(m.code, LWBS_COAP_CHANGED); /* piggybacked: the store answered at once */

	while (!finished && next_request(&g, buf, sizeof(buf), &m) == 0) {
		char p[64];
		struct lwbs_coapmsg_opt ext[2];
		uint8_t v1[4], v2[4];

		CHECK_INT(m.type, LWBS_COAPMSG_CON);
		CHECK_INT(lwbs_coapmsg_path(&m, p, sizeof(p)), 0);
		if (m.code == LWBS_COAP_GET && !strcmp(p, "/")) {
			/* Discover answered in 16-byte Block2 blocks */
			const struct lwbs_coapmsg_opt *b2 = lwbs_coapmsg_find(&m, LWBS_COAPMSG_OPT_BLOCK2);
			struct lwbs_coapmsg_block blk = {0};
			struct lwbs_coapmsg tmp = {0};

			if (b2) {
				CHECK_INT(lwbs_coapmsg_block_decode(b2, &blk), 0);
				CHECK_INT(blk.num * 16, disc_off);
			} else {
				CHECK_INT(disc_off, 0);
			}
			blk.szx = 0;
			blk.more = disc_off + 16 < strlen(discover);
			size_t n = blk.more ? 16 : strlen(discover) - disc_off;
			lwbs_coapmsg_add_uint(&tmp, LWBS_COAPMSG_OPT_CONTENT_FORMAT, 40, v1);
			lwbs_coapmsg_add_uint(&tmp, LWBS_COAPMSG_OPT_BLOCK2, (uint32_t)lwbs_coapmsg_block_value(&blk), v2);
			memcpy(ext, tmp.opts, sizeof(ext));
			reply(&g, &m, LWBS_COAP_CONTENT, ext, 2, discover + disc_off, n);
			disc_off += n;
			blocks_in++;
		} else if (m.code == LWBS_COAP_DELETE) {
			reply(&g, &m, LWBS_COAP_DELETED, NULL, 0, NULL, 0);
		} else if (m.code == LWBS_COAP_PUT) {
			const struct lwbs_coapmsg_opt *b1 = lwbs_coapmsg_find(&m, LWBS_COAPMSG_OPT_BLOCK1);
			struct lwbs_coapmsg_block blk;
			struct lwbs_coapmsg tmp = {0};

			if (!b1) {
				n_put++;
				reply(&g, &m, LWBS_COAP_CHANGED, NULL, 0, NULL, 0);
				continue;
			}
			/* take the big write in 256-byte blocks */
			CHECK_INT(lwbs_coapmsg_block_decode(b1, &blk), 0);
			CHECK_INT(LWBS_COAPMSG_BLOCK_SIZE(blk.szx) * blk.num, body);
			if (blk.num == 0) {
				CHECK_INT(blk.szx, 6);
				CHECK(lwbs_coapmsg_uint(&m, LWBS_COAPMSG_OPT_SIZE1) > 1024);
			} else {
				CHECK_INT(blk.szx, 4);
				smaller++;
			}
			body += m.payload_len;
			if (blk.more) {
				CHECK_INT(m.payload_len, LWBS_COAPMSG_BLOCK_SIZE(blk.szx));
				blk.szx = 4;
				lwbs_coapmsg_add_uint(&tmp, LWBS_COAPMSG_OPT_BLOCK1, (uint32_t)lwbs_coapmsg_block_value(&blk), v1);
				reply(&g, &m, LWBS_COAP_CODE(2, 31), tmp.opts, 1, NULL, 0);
			} else {
				n_put++;
				lwbs_coapmsg_add_uint(&tmp, LWBS_COAPMSG_OPT_BLOCK1, (uint32_t)lwbs_coapmsg_block_value(&blk), v1);
				reply(&g, &m, LWBS_COAP_CHANGED, tmp.opts, 1, NULL, 0);
			}
		} else if (m.code == LWBS_COAP_POST && !strcmp(p, "/bs")) {
			reply(&g, &m, LWBS_COAP_CHANGED, NULL, 0, NULL, 0);
			finished = true;
		} else {
			reply(&g, &m, LWBS_COAP_NOT_FOUND, NULL, 0, NULL, 0);
		}
	}
	run_for(g.loop, 20);
	CHECK(finished);
	CHECK_INT(blocks_in, (int)((strlen(discover) + 15) / 16));
	CHECK(body > sizeof(cert)); /* the certificate went block-wise, whole */
	CHECK(smaller >= 2);        /* in the smaller size the client asked for */
	CHECK(n_put >= 2);
	CHECK_INT(n_done, 1);
	CHECK_STR(last_result, "ok");
	CHECK_INT(metrics.nacks, 0);

	close(g.fd);
	lwbs_udp_server_destroy(g.srv);
	lwbs_loop_destroy(g.loop);
	lwbs_store_destroy(st);
	unlink(path);
	rmdir(dir);
}

/* A session that ends while its lookup is out (a new request from the same
 * client supersedes it) must not be reused before the late answer comes:
 * that answer only gives the plan back, the new session gets its own. */
static void test_superseded_while_waiting(void)
{
	struct lwbs_loop *loop = lwbs_loop_create();
	struct fake_store st = {.base.ops = &fake_ops};
	struct lwbs_metrics metrics = {0};
	struct lwbs_coap_opts o = opts(loop, &st.base, &metrics);
	struct lwbs_udp_server *srv;
	size_t got;
	uint8_t buf[1500];
	struct lwbs_coapmsg m, r;
	lwbs_store_lookup_fn first_cb;
	void *first_arg;
	int fd, done0 = n_done;

	CHECK(loop != NULL);
	srv = start_server(&o, &fd, &got);

	m = request(LWBS_COAPMSG_CON, 0x300, "bs");
	CHECK_INT(exchange(loop, fd, &m, buf, sizeof(buf), &r), 0); /* empty ACK */
	CHECK_INT(st.lookups, 1);
	first_cb = st.cb;
	first_arg = st.arg;

	/* a new request while the lookup is out: the first session ends
	 * (superseded) and a second one looks up on its own */
	m = request(LWBS_COAPMSG_CON, 0x301, "bs");
	CHECK_INT(exchange(loop, fd, &m, buf, sizeof(buf), &r), 0);
	CHECK_INT(r.type, LWBS_COAPMSG_ACK);
	CHECK_INT(r.mid, 0x301);
	CHECK_INT(st.lookups, 2);
	CHECK(st.arg != first_arg);
	CHECK_INT(n_done, done0 + 1);
	CHECK_STR(last_result, "superseded");
	CHECK_INT(lwbs_udp_server_active(srv), 1);

	/* the late answer of the first: its hold is given back, nothing sent */
	n_released = 0;
	first_cb(first_arg, 0, NULL, (struct lwbs_store_hold *)&st);
	CHECK_INT(n_released, 1);
	run_for(loop, 30);
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), -EAGAIN);
	CHECK_INT(n_done, done0 + 1);

	/* the second answers: its own separate response */
	st.cb(st.arg, 0, NULL, NULL);
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), 0);
	CHECK_INT(r.type, LWBS_COAPMSG_CON);
	CHECK_INT(r.code, LWBS_COAP_BAD_REQUEST);
	struct lwbs_coapmsg ack = {.type = LWBS_COAPMSG_ACK, .mid = r.mid};
	client_send(fd, &ack);
	run_for(loop, 30);
	CHECK_INT(n_done, done0 + 2);
	CHECK_STR(last_result, "unknown_endpoint");
	CHECK_INT(lwbs_udp_server_active(srv), 0);

	/* a session ended with its lookup out, then the server destroyed
	 * (the store would drop the answer): nothing leaks */
	m = request(LWBS_COAPMSG_CON, 0x302, "bs");
	client_send(fd, &m);
	run_for(loop, 30);
	CHECK_INT(st.lookups, 3);
	lwbs_udp_server_destroy(srv);
	close(fd);
	lwbs_loop_destroy(loop);
}

/* ---- the empty ACK held back (session.ack_delay) -------------------------- */

/* The embedded store's answers, handed to the front end only when the test
 * says so: a store that answers later with a real plan. */
struct later_store {
	struct lwbs_store base;
	struct lwbs_store *inner;
	lwbs_store_lookup_fn cb;
	void *arg;
	int err;
	const struct lwbs_bs_plan *plan;
	struct lwbs_store_hold *hold;
	int lookups;
};

static void later_keep(void *arg, int err, const struct lwbs_bs_plan *plan, struct lwbs_store_hold *hold)
{
	struct later_store *l = arg;

	l->err = err;
	l->plan = plan;
	l->hold = hold;
}

static int later_lookup(struct lwbs_store *st, const struct lwbs_store_query *q, lwbs_store_lookup_fn cb, void *arg)
{
	struct later_store *l = (struct later_store *)st;

	l->cb = cb;
	l->arg = arg;
	l->lookups++;
	return lwbs_store_lookup(l->inner, q, later_keep, l);
}

static void later_release(struct lwbs_store *st, struct lwbs_store_hold *h)
{
	struct later_store *l = (struct later_store *)st;

	lwbs_store_release(l->inner, h);
}

static const struct lwbs_store_ops later_ops = {.name = "later", .lookup = later_lookup, .release = later_release};

/* The store answers the lookup now. */
static void later_answer(struct later_store *l)
{
	lwbs_store_lookup_fn cb = l->cb;

	l->cb = NULL;
	CHECK(cb != NULL);
	cb(l->arg, l->err, l->plan, l->hold);
}

/* With session.ack_delay (here 300 ms; ack_delay 0, the empty ACK at once,
 * is test_async_answer): an answer ready within it goes piggybacked, alone;
 * one ready later gets the empty ACK at the deadline, then the separate
 * CON; a retransmission while the ACK is held back is acknowledged at once
 * and costs no second lookup. */
static void test_ack_delay(void)
{
	char dir[] = "/tmp/lwbs-test-udp-XXXXXX", path[64], err[256];
	struct later_store st = {.base.ops = &later_ops};
	struct lwbs_metrics metrics = {0};
	struct lwbs_loop *loop = lwbs_loop_create();
	struct lwbs_udp_server *srv;
	uint8_t buf[1500];
	struct lwbs_coapmsg m, r;
	size_t got;
	int fd;
	FILE *f;

	CHECK(loop != NULL);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/devices.yaml", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	fputs("profiles:\n  - name: p\n    servers:\n      - {uri: 'coap://dm.example:5683', ssid: 1, security: nosec}\n"
	      "devices:\n  - endpoint: dev-x\n    profile: p\n", f);
	fclose(f);
	const char *files[] = {path};
	st.inner = lwbs_store_embedded_create(files, 1, err, sizeof(err));
	CHECK(st.inner != NULL);
	struct lwbs_coap_opts o = opts(loop, &st.base, &metrics);
	o.ack_delay_ms = 300;
	srv = start_server(&o, &fd, &got);

	/* answered within the delay: one datagram, the ACK carrying 2.04
	 * with the request's message id and token; the engine's next
	 * request (Discover) follows at once, nothing waits for an ACK */
	m = request(LWBS_COAPMSG_CON, 0x600, "bs");
	client_send(fd, &m);
	run_for(loop, 30);
	CHECK_INT(st.lookups, 1);
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), -EAGAIN);
	later_answer(&st);
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), 0);
	CHECK_INT(r.type, LWBS_COAPMSG_ACK);
	CHECK_INT(r.code, LWBS_COAP_CHANGED);
	CHECK_INT(r.mid, 0x600);
	CHECK_INT(r.tkl, 4);
	CHECK_MEM(r.token, 4, "\x01\x02\x03\x04", 4);
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), 0);
	CHECK_INT(r.type, LWBS_COAPMSG_CON);
	CHECK_INT(r.code, LWBS_COAP_GET);
	/* past the deadline: no empty ACK, no separate response */
	run_for(loop, 400);
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), -EAGAIN);
	/* a duplicate gets the piggybacked answer again */
	CHECK_INT(exchange(loop, fd, &m, buf, sizeof(buf), &r), 0);
	CHECK_INT(r.type, LWBS_COAPMSG_ACK);
	CHECK_INT(r.code, LWBS_COAP_CHANGED);
	CHECK_INT(r.mid, 0x600);
	CHECK_INT(st.lookups, 1);
	CHECK_INT(metrics.nacks, 0);

	/* answered after the delay: the empty ACK at the deadline, then the
	 * 2.04 as a separate CON; once it is acknowledged, Discover */
	m = request(LWBS_COAPMSG_CON, 0x601, "bs");
	client_send(fd, &m);
	run_for(loop, 30);
	CHECK_INT(st.lookups, 2);
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), -EAGAIN);
	run_for(loop, 400);
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), 0);
	CHECK_INT(r.type, LWBS_COAPMSG_ACK);
	CHECK_INT(r.code, 0);
	CHECK_INT(r.mid, 0x601);
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), -EAGAIN);
	later_answer(&st);
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), 0);
	CHECK_INT(r.type, LWBS_COAPMSG_CON);
	CHECK_INT(r.code, LWBS_COAP_CHANGED);
	CHECK_MEM(r.token, 4, "\x01\x02\x03\x04", 4);
	CHECK(r.mid != 0x601);
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), -EAGAIN); /* Discover waits */
	struct lwbs_coapmsg ack = {.type = LWBS_COAPMSG_ACK, .mid = r.mid};
	CHECK_INT(exchange(loop, fd, &ack, buf, sizeof(buf), &r), 0);
	CHECK_INT(r.type, LWBS_COAPMSG_CON);
	CHECK_INT(r.code, LWBS_COAP_GET);

	/* the request retransmitted while its ACK is held back: the empty
	 * ACK at once, no second lookup; again: the same ACK; the answer
	 * then comes separately, once */
	m = request(LWBS_COAPMSG_CON, 0x602, "bs");
	client_send(fd, &m);
	run_for(loop, 30);
	CHECK_INT(st.lookups, 3);
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), -EAGAIN);
	for (int i = 0; i < 2; i++) {
		CHECK_INT(exchange(loop, fd, &m, buf, sizeof(buf), &r), 0);
		CHECK_INT(r.type, LWBS_COAPMSG_ACK);
		CHECK_INT(r.code, 0);
		CHECK_INT(r.mid, 0x602);
		CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), -EAGAIN);
	}
	CHECK_INT(st.lookups, 3);
	CHECK_INT(lwbs_udp_server_active(srv), 1);
	run_for(loop, 400); /* the deadline passes: nothing more */
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), -EAGAIN);
	later_answer(&st);
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), 0);
	CHECK_INT(r.type, LWBS_COAPMSG_CON);
	CHECK_INT(r.code, LWBS_COAP_CHANGED);
	CHECK_MEM(r.token, 4, "\x01\x02\x03\x04", 4);
	CHECK_INT(client_recv(fd, buf, sizeof(buf), &r), -EAGAIN);
	CHECK_INT(st.lookups, 3);

	close(fd);
	lwbs_udp_server_destroy(srv);
	lwbs_loop_destroy(loop);
	lwbs_store_destroy(st.inner);
	unlink(path);
	rmdir(dir);
}

TEST_MAIN(test_async_answer, test_blockwise_session, test_superseded_while_waiting, test_ack_delay)
