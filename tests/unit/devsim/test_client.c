/* Unit tests: one simulated client's CoAP bootstrap session, driven by
 * hand-built Bootstrap-Server datagrams (no sockets). */
#include "../test.h"
#include "client.h"
#include "lwbs/codec.h"

static const uint8_t tlv_sec[] = {
	0xC8, 0x00, 0x14, 'c', 'o', 'a', 'p', ':', '/', '/', '1', '0', '.', '0', '.', '0', '.', '1', ':',
	'5', '6', '8', '3', 0xC1, 0x01, 0x00, 0xC1, 0x02, 0x03, 0xC1, 0x0A, 0x01,
};
static const uint8_t tlv_srv[] = {0xC1, 0x00, 0x01, 0xC4, 0x01, 0x00, 0x01, 0x51, 0x80,
				  0xC1, 0x06, 0x01, 0xC1, 0x07, 0x55};

struct sim {
	struct devsim_client c;
	struct lwbs_buf out;
	struct lwbs_coapmsg last; /* parsed from out */
	uint16_t mid;
};

static void setup(struct sim *s, enum lwbs_version v, int pct, unsigned mute, bool pack)
{
	struct devsim_device_conf dc = {v, 0, "coap://bs:5683", "dev-1", false};
	struct devsim_client_conf cc = {"dev-1", pct, pack, 112, mute, true, 42};
	CHECK_INT(devsim_client_init(&s->c, &dc, &cc), 0);
	lwbs_buf_init(&s->out, 0);
	s->mid = 100;
}

static void teardown(struct sim *s)
{
	devsim_client_finish(&s->c);
	lwbs_buf_finish(&s->out);
}

/* Parses what the client wrote; false when it wrote nothing. */
static bool got(struct sim *s)
{
	if (!s->out.len)
		return false;
	CHECK_INT(lwbs_coapmsg_parse(s->out.data, s->out.len, &s->last), 0);
	return true;
}

/* The BS sends a CON request; returns the response code the client sent. */
static uint8_t bs(struct sim *s, uint8_t method, const char *p1, const char *p2, int cf, int accept,
		  const void *payload, size_t n, uint16_t mid)
{
	struct lwbs_coapmsg m = {0};
	struct lwbs_buf b;
	uint8_t t1[4], t2[4];

	m.type = LWBS_COAPMSG_CON;
	m.code = method;
	m.mid = mid;
	m.tkl = 2;
	m.token[0] = 0xab;
	m.token[1] = (uint8_t)mid;
	if (p1)
		lwbs_coapmsg_add_opt(&m, LWBS_COAPMSG_OPT_URI_PATH, p1, strlen(p1));
	if (p2)
		lwbs_coapmsg_add_opt(&m, LWBS_COAPMSG_OPT_URI_PATH, p2, strlen(p2));
	if (cf >= 0)
		lwbs_coapmsg_add_uint(&m, LWBS_COAPMSG_OPT_CONTENT_FORMAT, (uint32_t)cf, t1);
	if (accept >= 0)
		lwbs_coapmsg_add_uint(&m, LWBS_COAPMSG_OPT_ACCEPT, (uint32_t)accept, t2);
	m.payload = payload;
	m.payload_len = n;
	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_coapmsg_encode(&m, &b), 0);
	lwbs_buf_reset(&s->out);
	devsim_client_input(&s->c, 1000, b.data, b.len, &s->out);
	lwbs_buf_finish(&b);
	if (!got(s))
		return 0;
	CHECK_INT(s->last.type, LWBS_COAPMSG_ACK);
	CHECK_INT(s->last.mid, mid);
	CHECK_INT(s->last.tkl, 2);
	return s->last.code;
}

/* The BS answers our outstanding request (piggybacked). */
static void answer(struct sim *s, uint8_t code, int cf, const void *payload, size_t n)
{
	struct lwbs_coapmsg req, m = {0};
	struct lwbs_buf b;
	uint8_t t[4];

	CHECK_INT(lwbs_coapmsg_parse(s->c.req, s->c.req_len, &req), 0);
	m.type = LWBS_COAPMSG_ACK;
	m.code = code;
	m.mid = req.mid;
	m.tkl = req.tkl;
	memcpy(m.token, req.token, req.tkl);
	if (cf >= 0)
		lwbs_coapmsg_add_uint(&m, LWBS_COAPMSG_OPT_CONTENT_FORMAT, (uint32_t)cf, t);
	m.payload = payload;
	m.payload_len = n;
	lwbs_buf_init(&b, 0);
	lwbs_coapmsg_encode(&m, &b);
	lwbs_buf_reset(&s->out);
	devsim_client_input(&s->c, 1000, b.data, b.len, &s->out);
	lwbs_buf_finish(&b);
}

static void test_full_session(void)
{
	struct sim s;
	char q[32];

	setup(&s, LWBS_V1_1, 112, 0, false);
	CHECK_INT(devsim_client_start(&s.c, 0, &s.out), 0);
	CHECK(got(&s));
	CHECK_INT(s.last.type, LWBS_COAPMSG_CON);
	CHECK_INT(s.last.code, DEVSIM_POST);
	CHECK_INT(lwbs_coapmsg_path(&s.last, q, sizeof(q)), 0);
	CHECK_STR(q, "/bs");
	CHECK_INT(s.last.n_opts, 3);
	CHECK_MEM(s.last.opts[1].val, s.last.opts[1].len, "ep=dev-1", 8);
	CHECK_MEM(s.last.opts[2].val, s.last.opts[2].len, "pct=112", 7);
	CHECK_INT(s.c.state, DEVSIM_CL_REQUESTING);
	/* an unrelated ACK changes nothing */
	lwbs_buf_reset(&s.out);
	devsim_client_input(&s.c, 10, (const uint8_t *)"\x60\x00\x00\x00", 4, &s.out);
	CHECK_INT(s.c.state, DEVSIM_CL_REQUESTING);
	answer(&s, DEVSIM_CHANGED, -1, NULL, 0);
	CHECK_INT(s.c.state, DEVSIM_CL_SERVING);
	CHECK_INT(s.c.bs_code, DEVSIM_CHANGED);
	CHECK_INT(devsim_client_deadline(&s.c), INT64_MAX);

	CHECK_INT(bs(&s, DEVSIM_GET, NULL, NULL, -1, 40, NULL, 0, 1), DEVSIM_CONTENT);
	CHECK_INT(lwbs_coapmsg_uint(&s.last, LWBS_COAPMSG_OPT_CONTENT_FORMAT), 40);
	CHECK_MEM(s.last.payload, s.last.payload_len, "</>;lwm2m=1.1,</0/0>,</1>,</2>,</3/0>,</11>,</21>", 49);
	/* the BS retransmits: same answer, the device is not asked again */
	uint8_t first[DEVSIM_MAX_DGRAM];
	size_t first_len = s.out.len;
	memcpy(first, s.out.data, first_len);
	CHECK_INT(bs(&s, DEVSIM_GET, NULL, NULL, -1, 40, NULL, 0, 1), DEVSIM_CONTENT);
	CHECK_MEM(s.out.data, s.out.len, first, first_len);
	CHECK_INT(s.c.n_log, 1);

	CHECK_INT(bs(&s, DEVSIM_DELETE, "0", NULL, -1, -1, NULL, 0, 2), DEVSIM_DELETED);
	CHECK_INT(bs(&s, DEVSIM_PUT, "0", "1", LWBS_CF_TLV, -1, tlv_sec, sizeof(tlv_sec), 3), DEVSIM_CHANGED);
	CHECK_INT(bs(&s, DEVSIM_PUT, "1", "0", LWBS_CF_TLV, -1, tlv_srv, sizeof(tlv_srv), 4), DEVSIM_CHANGED);
	CHECK_INT(bs(&s, DEVSIM_POST, "bs", NULL, -1, -1, NULL, 0, 5), DEVSIM_CHANGED);
	CHECK_INT(s.c.state, DEVSIM_CL_DONE);
	CHECK(s.c.ok);
	CHECK_STR(s.c.reason, "bootstrap finished");
	CHECK_INT(s.c.n_log, 5);
	CHECK_STR(s.c.log[3].path, "/1/0");
	CHECK_INT(s.c.log[3].cf, LWBS_CF_TLV);
	CHECK_INT(s.c.log[3].code, DEVSIM_CHANGED);
	/* a retransmitted Finish is still answered */
	CHECK_INT(bs(&s, DEVSIM_POST, "bs", NULL, -1, -1, NULL, 0, 5), DEVSIM_CHANGED);

	/* A new session starts from the factory state. */
	lwbs_buf_reset(&s.out);
	CHECK_INT(devsim_client_start(&s.c, 5000, &s.out), 0);
	CHECK_INT(s.c.n_log, 0);
	CHECK(!s.c.ok);
	CHECK_INT(devsim_device_bs_account(s.c.dev.root), 0);
	teardown(&s);
}

static void test_retransmit_and_errors(void)
{
	struct sim s;
	char cs[8];

	/* 1.0 never sends pct */
	setup(&s, LWBS_V1_0, 112, 0, false);
	CHECK_INT(devsim_client_start(&s.c, 0, &s.out), 0);
	CHECK(got(&s));
	CHECK_INT(s.last.n_opts, 2);
	int64_t dl = devsim_client_deadline(&s.c);
	CHECK(dl >= 2000 && dl <= 3000);
	for (int i = 1; i <= DEVSIM_MAX_RETRANSMIT; i++) {
		lwbs_buf_reset(&s.out);
		devsim_client_timer(&s.c, dl - 1, &s.out);
		CHECK_INT(s.out.len, 0);
		devsim_client_timer(&s.c, dl, &s.out);
		CHECK_MEM(s.out.data, s.out.len, s.c.req, s.c.req_len);
		int64_t next = devsim_client_deadline(&s.c);
		CHECK(next - dl >= (2000 << i) && next - dl <= (3000 << i));
		dl = next;
	}
	lwbs_buf_reset(&s.out);
	devsim_client_timer(&s.c, dl, &s.out);
	CHECK_INT(s.out.len, 0);
	CHECK_INT(s.c.state, DEVSIM_CL_DONE);
	CHECK(!s.c.ok);
	CHECK_STR(s.c.reason, "no answer to the Bootstrap-Request");
	CHECK_INT(s.c.retransmissions, DEVSIM_MAX_RETRANSMIT);

	/* refused Bootstrap-Request */
	lwbs_buf_reset(&s.out);
	CHECK_INT(devsim_client_start(&s.c, 0, &s.out), 0);
	answer(&s, DEVSIM_BAD_REQUEST, -1, NULL, 0);
	CHECK_INT(s.c.state, DEVSIM_CL_DONE);
	CHECK_STR(s.c.reason, "Bootstrap-Request answered 4.00");
	CHECK_STR(devsim_code_str(0xa1, cs), "5.01");

	/* empty ACK, then the separate response */
	lwbs_buf_reset(&s.out);
	CHECK_INT(devsim_client_start(&s.c, 0, &s.out), 0);
	uint8_t ack[4] = {0x60, 0x00, (uint8_t)(s.c.mid >> 8), (uint8_t)s.c.mid};
	devsim_client_input(&s.c, 10, ack, 4, &s.out);
	CHECK(s.c.acked);
	CHECK_INT(devsim_client_deadline(&s.c), INT64_MAX);
	uint8_t sep[] = {0x44, 0x44, 0x77, 0x77, s.c.token[0], s.c.token[1], s.c.token[2], s.c.token[3]};
	lwbs_buf_reset(&s.out);
	devsim_client_input(&s.c, 20, sep, sizeof(sep), &s.out);
	CHECK_MEM(s.out.data, s.out.len, "\x60\x00\x77\x77", 4);
	CHECK_INT(s.c.state, DEVSIM_CL_SERVING);

	/* Finish refused ends the session as failed */
	CHECK_INT(bs(&s, DEVSIM_POST, "bs", NULL, -1, -1, NULL, 0, 9), DEVSIM_NOT_ACCEPTABLE);
	CHECK_MEM(s.last.payload, s.last.payload_len, "no Security instance for a LwM2M server", 39);
	CHECK_INT(s.c.state, DEVSIM_CL_DONE);
	CHECK(!s.c.ok);
	CHECK_STR(s.c.reason, "Bootstrap-Finish answered 4.06");
	teardown(&s);
}

static void test_mute_and_block1(void)
{
	struct sim s;
	uint8_t big[40];

	setup(&s, LWBS_V1_1, -1, 2, false);
	CHECK_INT(devsim_client_start(&s.c, 0, &s.out), 0);
	CHECK(got(&s));
	CHECK_INT(s.last.n_opts, 2); /* no pct */
	answer(&s, DEVSIM_CHANGED, -1, NULL, 0);
	/* Block1 PUT of the Security instance in 16-byte blocks (SZX 0). */
	memset(big, 0, sizeof(big));
	memcpy(big, tlv_sec, sizeof(tlv_sec));
	size_t total = sizeof(tlv_sec);
	for (uint32_t num = 0; num * 16 < total; num++) {
		struct lwbs_coapmsg m = {0};
		struct lwbs_buf b;
		uint8_t t1[4], t2[4];
		bool more = (num + 1) * 16 < total;
		m.type = LWBS_COAPMSG_CON;
		m.code = DEVSIM_PUT;
		m.mid = (uint16_t)(50 + num);
		lwbs_coapmsg_add_opt(&m, LWBS_COAPMSG_OPT_URI_PATH, "0", 1);
		lwbs_coapmsg_add_opt(&m, LWBS_COAPMSG_OPT_URI_PATH, "1", 1);
		lwbs_coapmsg_add_uint(&m, LWBS_COAPMSG_OPT_CONTENT_FORMAT, LWBS_CF_TLV, t1);
		lwbs_coapmsg_add_uint(&m, LWBS_COAPMSG_OPT_BLOCK1, num << 4 | (more ? 8 : 0), t2);
		m.payload = tlv_sec + num * 16;
		m.payload_len = more ? 16 : total - num * 16;
		lwbs_buf_init(&b, 0);
		lwbs_coapmsg_encode(&m, &b);
		lwbs_buf_reset(&s.out);
		devsim_client_input(&s.c, 100, b.data, b.len, &s.out);
		lwbs_buf_finish(&b);
		CHECK(got(&s));
		CHECK_INT(s.last.code, more ? 0x5f : DEVSIM_CHANGED);
		CHECK_INT(lwbs_coapmsg_uint(&s.last, LWBS_COAPMSG_OPT_BLOCK1), num << 4 | (more ? 8 : 0));
	}
	CHECK_INT(s.c.served, 1);
	const struct lwbs_path p = LWBS_PATH_RES(0, 1, 10);
	CHECK(lwbs_node_find(s.c.dev.root, &p) != NULL);
	/* a block out of sequence */
	uint8_t b1 = 0x28;
	uint8_t oos[] = {0x40, DEVSIM_PUT, 0x01, 0x00, 0xb1, '0', 0x01, '2', 0xd1, 0x03, b1, 0xff, 0x00};
	lwbs_buf_reset(&s.out);
	devsim_client_input(&s.c, 100, oos, sizeof(oos), &s.out);
	CHECK(got(&s));
	CHECK_INT(s.last.code, 0x88);
	/* one more request is answered, then silence */
	CHECK_INT(bs(&s, DEVSIM_PUT, "1", "0", LWBS_CF_TLV, -1, tlv_srv, sizeof(tlv_srv), 70), DEVSIM_CHANGED);
	CHECK_INT(bs(&s, DEVSIM_POST, "bs", NULL, -1, -1, NULL, 0, 71), 0);
	CHECK_INT(s.c.state, DEVSIM_CL_SERVING);
	devsim_client_fail(&s.c, "timeout");
	CHECK_STR(s.c.reason, "timeout");
	teardown(&s);
}

static void test_pack(void)
{
	struct sim s;
	const char *pack = "[{\"bn\":\"/0/1/\",\"n\":\"0\",\"vs\":\"coap://dm\"},{\"n\":\"1\",\"vb\":false},"
			   "{\"n\":\"2\",\"v\":3},{\"n\":\"10\",\"v\":9},"
			   "{\"bn\":\"/1/0/\",\"n\":\"0\",\"v\":9},{\"n\":\"1\",\"v\":60},{\"n\":\"6\",\"vb\":true},"
			   "{\"n\":\"7\",\"vs\":\"U\"}]";
	char q[32];

	setup(&s, LWBS_V1_2, -1, 0, true);
	CHECK_INT(devsim_client_start(&s.c, 0, &s.out), 0);
	CHECK(got(&s));
	CHECK_INT(s.last.code, DEVSIM_GET);
	CHECK_INT(lwbs_coapmsg_path(&s.last, q, sizeof(q)), 0);
	CHECK_STR(q, "/bspack");
	CHECK_INT(lwbs_coapmsg_uint(&s.last, LWBS_COAPMSG_OPT_ACCEPT), 112);
	/* 5.01: fall back to POST /bs */
	answer(&s, 0xa1, -1, NULL, 0);
	CHECK_INT(s.c.pack_code, 0xa1);
	CHECK(got(&s));
	CHECK_INT(s.last.code, DEVSIM_POST);
	CHECK_INT(s.c.state, DEVSIM_CL_REQUESTING);

	lwbs_buf_reset(&s.out);
	CHECK_INT(devsim_client_start(&s.c, 0, &s.out), 0);
	answer(&s, DEVSIM_CONTENT, LWBS_CF_SENML_JSON, pack, strlen(pack));
	CHECK_INT(s.c.state, DEVSIM_CL_DONE);
	CHECK(s.c.ok);
	CHECK_INT(s.c.pack_code, DEVSIM_CONTENT);
	teardown(&s);
}

TEST_MAIN(test_full_session, test_retransmit_and_errors, test_mute_and_block1, test_pack)
