/* Unit tests: the CoAP message codec (src/coap/msg.c). */
#include <errno.h>

#include "../test.h"
#include "lwbs/coapmsg.h"
#include "lwbs/err.h"

/* CON POST /bs?ep=dev-1&pct=112, mid 0x1234, token 01 02 03 04. */
static const uint8_t bs_req[] = {
	0x44, 0x02, 0x12, 0x34, 0x01, 0x02, 0x03, 0x04,
	0xb2, 'b', 's',                              /* Uri-Path (11) */
	0x48, 'e', 'p', '=', 'd', 'e', 'v', '-', '1', /* Uri-Query (15, delta 4) */
	0x07, 'p', 'c', 't', '=', '1', '1', '2',     /* Uri-Query (delta 0) */
};

static void test_encode_request(void)
{
	struct lwbs_coapmsg m = {0};
	struct lwbs_buf b;

	m.type = LWBS_COAPMSG_CON;
	m.code = 0x02;
	m.mid = 0x1234;
	m.tkl = 4;
	memcpy(m.token, "\x01\x02\x03\x04", 4);
	/* given out of order: the encoder sorts, keeping query order */
	CHECK_INT(lwbs_coapmsg_add_opt(&m, LWBS_COAPMSG_OPT_URI_QUERY, "ep=dev-1", 8), 0);
	CHECK_INT(lwbs_coapmsg_add_opt(&m, LWBS_COAPMSG_OPT_URI_PATH, "bs", 2), 0);
	CHECK_INT(lwbs_coapmsg_add_opt(&m, LWBS_COAPMSG_OPT_URI_QUERY, "pct=112", 7), 0);
	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_coapmsg_encode(&m, &b), 0);
	CHECK_MEM(b.data, b.len, bs_req, sizeof(bs_req));
	lwbs_buf_finish(&b);
}

static void test_parse_request(void)
{
	struct lwbs_coapmsg m;
	char path[16];

	CHECK_INT(lwbs_coapmsg_parse(bs_req, sizeof(bs_req), &m), 0);
	CHECK_INT(m.type, LWBS_COAPMSG_CON);
	CHECK_INT(m.code, 2);
	CHECK_INT(m.mid, 0x1234);
	CHECK_INT(m.tkl, 4);
	CHECK_INT(m.n_opts, 3);
	CHECK_INT(m.opts[2].num, 15);
	CHECK(lwbs_coapmsg_is_request(&m));
	CHECK_INT(lwbs_coapmsg_path(&m, path, sizeof(path)), 0);
	CHECK_STR(path, "/bs");
	CHECK_INT(lwbs_coapmsg_path(&m, path, 3), -ENOBUFS);
	CHECK_INT(lwbs_coapmsg_uint(&m, LWBS_COAPMSG_OPT_ACCEPT), -1);
	/* every truncation is an error, never a read past the end */
	for (size_t i = 0; i < sizeof(bs_req); i++) {
		int rc = lwbs_coapmsg_parse(bs_req, i, &m);
		if (i == 8 || i == 11 || i == 20)
			CHECK_INT(rc, 0); /* ends at an option boundary */
		else
			CHECK(rc < 0);
	}
}

static void test_options_extended(void)
{
	struct lwbs_coapmsg m = {0}, p;
	struct lwbs_buf b;
	uint8_t big[300], t1[4], t2[4];

	memset(big, 'x', sizeof(big));
	m.type = LWBS_COAPMSG_ACK;
	m.code = 0x45;
	m.mid = 7;
	CHECK_INT(lwbs_coapmsg_add_uint(&m, LWBS_COAPMSG_OPT_CONTENT_FORMAT, 11542, t1), 0);
	CHECK_INT(lwbs_coapmsg_add_uint(&m, LWBS_COAPMSG_OPT_SIZE1, 0, t2), 0);
	CHECK_INT(lwbs_coapmsg_add_opt(&m, 2048, big, sizeof(big)), 0); /* delta and length 14 */
	CHECK_INT(lwbs_coapmsg_add_opt(&m, 2048 + 20, big, 20), 0);    /* delta and length 13 */
	m.payload = (const uint8_t *)"hi";
	m.payload_len = 2;
	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_coapmsg_encode(&m, &b), 0);
	/* header, CF (delta 12, len 2), Size1 (delta 13+35, len 0) */
	CHECK_MEM(b.data, 9, "\x60\x45\x00\x07\xc2\x2d\x16\xd0\x23", 9);
	CHECK_INT(lwbs_coapmsg_parse(b.data, b.len, &p), 0);
	CHECK_INT(p.n_opts, 4);
	CHECK_INT(lwbs_coapmsg_uint(&p, LWBS_COAPMSG_OPT_CONTENT_FORMAT), 11542);
	CHECK_INT(lwbs_coapmsg_uint(&p, LWBS_COAPMSG_OPT_SIZE1), 0);
	CHECK_INT(p.opts[2].num, 2048);
	CHECK_INT(p.opts[2].len, 300);
	CHECK_INT(p.opts[3].num, 2068);
	CHECK_INT(p.opts[3].len, 20);
	CHECK_MEM(p.payload, p.payload_len, "hi", 2);
	CHECK_INT(b.len, 340);
	for (size_t i = 9; i < b.len; i++) {
		int rc = lwbs_coapmsg_parse(b.data, i, &p);
		if (i == 9 || i == 314 || i == 337 || i == 339)
			CHECK_INT(rc, 0); /* ends at an option boundary */
		else
			CHECK(rc < 0);
	}
	lwbs_buf_finish(&b);
}

static void test_malformed(void)
{
	struct lwbs_coapmsg m;

	CHECK_INT(lwbs_coapmsg_parse((const uint8_t *)"\x60\x00\x00\x01", 4, &m), 0); /* empty ACK */
	CHECK_INT(m.type, LWBS_COAPMSG_ACK);
	CHECK_INT(m.code, 0);
	CHECK_INT(lwbs_coapmsg_parse((const uint8_t *)"\x60\x00\x00\x01\xff", 5, &m), -EBADMSG);
	CHECK_INT(lwbs_coapmsg_parse((const uint8_t *)"\x61\x00\x00\x01\x05", 5, &m), -EBADMSG);
	CHECK_INT(lwbs_coapmsg_parse((const uint8_t *)"\x80\x01\x00\x01", 4, &m), -EBADMSG); /* version 2 */
	CHECK_INT(lwbs_coapmsg_parse((const uint8_t *)"\x49\x01\x00\x01", 4, &m), -EBADMSG); /* TKL 9 */
	CHECK_INT(lwbs_coapmsg_parse((const uint8_t *)"\x40\x01\x00\x01\xff", 5, &m), -EBADMSG);
	CHECK_INT(lwbs_coapmsg_parse((const uint8_t *)"\x40\x01\x00\x01\xf0", 5, &m), -EBADMSG);
	CHECK_INT(lwbs_coapmsg_parse((const uint8_t *)"\x40\x01\x00\x01\x0f", 5, &m), -EBADMSG);
	CHECK_INT(lwbs_coapmsg_parse((const uint8_t *)"\x40\x01\x00", 3, &m), LWBS_ETRUNC);
	CHECK_INT(lwbs_coapmsg_parse((const uint8_t *)"\x40\x01\x00\x01\xe0\xff", 6, &m), LWBS_ETRUNC);
	uint8_t many[4 + 40];
	memcpy(many, "\x40\x01\x00\x01", 4);
	memset(many + 4, 0x00, 40); /* 40 empty If-Match-less options with delta 0 */
	CHECK_INT(lwbs_coapmsg_parse(many, sizeof(many), &m), LWBS_ELIMIT);
	/* option number overflow */
	CHECK_INT(lwbs_coapmsg_parse((const uint8_t *)"\x40\x01\x00\x01\xe0\xff\xff\xe0\xff\xff", 10, &m), -EBADMSG);
	/* a 5-byte uint option */
	CHECK_INT(lwbs_coapmsg_parse((const uint8_t *)"\x40\x01\x00\x01\xc5\x01\x02\x03\x04\x05", 10, &m), 0);
	CHECK_INT(lwbs_coapmsg_uint(&m, LWBS_COAPMSG_OPT_CONTENT_FORMAT), -EBADMSG);
}

static void test_token_lengths(void)
{
	uint8_t d[4 + 15];
	struct lwbs_coapmsg m;

	memset(d, 0xab, sizeof(d));
	d[1] = 0x01;
	d[2] = 0x00;
	d[3] = 0x09;
	for (unsigned tkl = 0; tkl <= 15; tkl++) {
		d[0] = (uint8_t)(0x40 | tkl);
		int rc = lwbs_coapmsg_parse(d, 4 + tkl, &m);
		if (tkl <= 8) {
			CHECK_INT(rc, 0);
			CHECK_INT(m.tkl, tkl);
			CHECK_MEM(m.token, tkl, d + 4, tkl);
			CHECK_INT(m.n_opts, 0);
			CHECK_INT(m.payload_len, 0);
		} else {
			CHECK_INT(rc, -EBADMSG);
		}
	}
	/* an empty message (0.00) carries nothing at all */
	CHECK_INT(lwbs_coapmsg_parse((const uint8_t *)"\x40\x00\x00\x01\x00", 5, &m), -EBADMSG);
	CHECK_INT(lwbs_coapmsg_parse((const uint8_t *)"\x70\x00\x12\x34", 4, &m), 0);
	CHECK_INT(m.type, LWBS_COAPMSG_RST);
	CHECK_INT(m.mid, 0x1234);
}

static void test_reserved_nibbles(void)
{
	struct lwbs_coapmsg m;
	uint8_t d[8] = {0x40, 0x01, 0x00, 0x01};

	/* every option byte with a 15 nibble other than 0xff is malformed */
	for (unsigned lo = 0; lo < 15; lo++) {
		d[4] = (uint8_t)(0xf0 | lo);
		d[5] = d[6] = d[7] = 0;
		CHECK_INT(lwbs_coapmsg_parse(d, 8, &m), -EBADMSG);
		d[4] = (uint8_t)(lo << 4 | 0x0f);
		CHECK_INT(lwbs_coapmsg_parse(d, 8, &m), -EBADMSG);
	}
	/* a payload marker with nothing after it, after an option too */
	CHECK_INT(lwbs_coapmsg_parse((const uint8_t *)"\x40\x01\x00\x01\xb2" "bs\xff", 8, &m), -EBADMSG);
	/* 0xff inside an option value is data, not a marker */
	CHECK_INT(lwbs_coapmsg_parse((const uint8_t *)"\x40\x01\x00\x01\xb1\xff\xff" "x", 8, &m), 0);
	CHECK_INT(m.n_opts, 1);
	CHECK_INT(m.opts[0].val[0], 0xff);
	CHECK_MEM(m.payload, m.payload_len, "x", 1);
}

static void test_roundtrip(void)
{
	struct lwbs_coapmsg m, again;
	struct lwbs_buf b;

	CHECK_INT(lwbs_coapmsg_parse(bs_req, sizeof(bs_req), &m), 0);
	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_coapmsg_encode(&m, &b), 0);
	CHECK_MEM(b.data, b.len, bs_req, sizeof(bs_req));
	CHECK_INT(lwbs_coapmsg_parse(b.data, b.len, &again), 0);
	CHECK_INT(again.n_opts, m.n_opts);
	lwbs_buf_finish(&b);
	/* a fixed buffer too small: the sticky error comes back */
	uint8_t small[10];
	lwbs_buf_init_fixed(&b, small, sizeof(small));
	CHECK(lwbs_coapmsg_encode(&m, &b) < 0);
	/* limits of the builders */
	m.tkl = 9;
	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_coapmsg_encode(&m, &b), -EINVAL);
	lwbs_buf_finish(&b);
	CHECK_INT(lwbs_coapmsg_add_opt(&m, 1, "x", 65536), -EINVAL);
	m.n_opts = LWBS_COAPMSG_MAX_OPTS;
	CHECK_INT(lwbs_coapmsg_add_opt(&m, 1, "x", 1), -ENOBUFS);
}

/* RFC 7959 §2.2: NUM, M, SZX in 0-3 bytes. */
static void test_block(void)
{
	struct lwbs_coapmsg_block b;
	struct lwbs_coapmsg_opt o = {.num = LWBS_COAPMSG_OPT_BLOCK2};
	struct lwbs_coapmsg m = {0};
	uint8_t tmp[4];

	o.len = 0; /* empty: NUM 0, M 0, 16-byte blocks */
	CHECK_INT(lwbs_coapmsg_block_decode(&o, &b), 0);
	CHECK_INT(b.num, 0);
	CHECK(!b.more);
	CHECK_INT(b.szx, 0);
	o.val = (const uint8_t *)"\x0e"; /* block 0, more, 1024 bytes */
	o.len = 1;
	CHECK_INT(lwbs_coapmsg_block_decode(&o, &b), 0);
	CHECK_INT(b.num, 0);
	CHECK(b.more);
	CHECK_INT(b.szx, 6);
	CHECK_INT(LWBS_COAPMSG_BLOCK_SIZE(b.szx), 1024);
	o.val = (const uint8_t *)"\x01\x26"; /* block 18, last, 1024 bytes */
	o.len = 2;
	CHECK_INT(lwbs_coapmsg_block_decode(&o, &b), 0);
	CHECK_INT(b.num, 18);
	CHECK(!b.more);
	CHECK_INT(b.szx, 6);
	o.val = (const uint8_t *)"\xff\xff\xfa"; /* largest NUM */
	o.len = 3;
	CHECK_INT(lwbs_coapmsg_block_decode(&o, &b), 0);
	CHECK_INT(b.num, LWBS_COAPMSG_BLOCK_MAX_NUM);
	CHECK(b.more);
	CHECK_INT(b.szx, 2);
	CHECK_INT(lwbs_coapmsg_block_value(&b), 0xfffffa);
	o.val = (const uint8_t *)"\x07"; /* SZX 7 is reserved */
	o.len = 1;
	CHECK_INT(lwbs_coapmsg_block_decode(&o, &b), -EBADMSG);
	o.val = (const uint8_t *)"\x00\x00\x00\x06";
	o.len = 4;
	CHECK_INT(lwbs_coapmsg_block_decode(&o, &b), -EBADMSG);

	b = (struct lwbs_coapmsg_block){.num = 1, .more = true, .szx = 6};
	CHECK_INT(lwbs_coapmsg_block_value(&b), 0x1e);
	b.szx = 7;
	CHECK_INT(lwbs_coapmsg_block_value(&b), -EINVAL);
	b = (struct lwbs_coapmsg_block){.num = LWBS_COAPMSG_BLOCK_MAX_NUM + 1, .szx = 6};
	CHECK_INT(lwbs_coapmsg_block_value(&b), -EINVAL);

	/* through an option and back */
	b = (struct lwbs_coapmsg_block){.num = 300, .more = true, .szx = 4};
	CHECK_INT(lwbs_coapmsg_add_uint(&m, LWBS_COAPMSG_OPT_BLOCK1, (uint32_t)lwbs_coapmsg_block_value(&b), tmp), 0);
	CHECK_INT(m.opts[0].len, 2);
	CHECK_MEM(m.opts[0].val, 2, "\x12\xcc", 2);
	struct lwbs_coapmsg_block back;
	CHECK_INT(lwbs_coapmsg_block_decode(&m.opts[0], &back), 0);
	CHECK_INT(back.num, 300);
	CHECK(back.more);
	CHECK_INT(back.szx, 4);
}

TEST_MAIN(test_encode_request, test_parse_request, test_options_extended, test_malformed, test_token_lengths,
	  test_reserved_nibbles, test_roundtrip, test_block)
