/* Unit tests: CoAP over TCP framing (RFC 8323 §3.2) in src/coap/msg.c. */
#include <errno.h>
#include <stdlib.h>

#include "../test.h"
#include "lwbs/coapmsg.h"
#include "lwbs/err.h"

/* POST /bs?ep=dev, token 01: Len 10, TKL 1. */
static const uint8_t bs_req[] = {
	0xa1, 0x02, 0x01,
	0xb2, 'b', 's',                     /* Uri-Path (11) */
	0x46, 'e', 'p', '=', 'd', 'e', 'v', /* Uri-Query (15, delta 4) */
};

/* CSM, no token, Max-Message-Size 1152 and Block-Wise-Transfer. */
static const uint8_t csm[] = {0x40, 0xe1, 0x22, 0x04, 0x80, 0x20};

/* CSM with nothing: the shortest frame. */
static const uint8_t csm_empty[] = {0x00, 0xe1};

static void test_encode_request(void)
{
	struct lwbs_coapmsg m = {0};
	struct lwbs_buf b;

	m.code = 0x02;
	m.tkl = 1;
	m.token[0] = 0x01;
	m.mid = 0x1234; /* ignored over TCP */
	m.type = LWBS_COAPMSG_NON;
	CHECK_INT(lwbs_coapmsg_add_opt(&m, LWBS_COAPMSG_OPT_URI_QUERY, "ep=dev", 6), 0);
	CHECK_INT(lwbs_coapmsg_add_opt(&m, LWBS_COAPMSG_OPT_URI_PATH, "bs", 2), 0);
	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_coapmsg_tcp_encode(&m, &b), 0);
	CHECK_MEM(b.data, b.len, bs_req, sizeof(bs_req));
	lwbs_buf_finish(&b);
}

static void test_parse_request(void)
{
	struct lwbs_coapmsg m;
	size_t len = 0;
	char path[16];

	CHECK_INT(lwbs_coapmsg_tcp_frame_len(bs_req, sizeof(bs_req), &len), 0);
	CHECK_INT(len, sizeof(bs_req));
	CHECK_INT(lwbs_coapmsg_tcp_parse(bs_req, sizeof(bs_req), &m), 0);
	CHECK_INT(m.code, 0x02);
	CHECK_INT(m.type, LWBS_COAPMSG_CON);
	CHECK_INT(m.mid, 0);
	CHECK_INT(m.tkl, 1);
	CHECK_INT(m.token[0], 1);
	CHECK_INT(m.n_opts, 2);
	CHECK_INT(lwbs_coapmsg_path(&m, path, sizeof(path)), 0);
	CHECK_STR(path, "/bs");
	CHECK_MEM(m.opts[1].val, m.opts[1].len, "ep=dev", 6);
	CHECK(m.payload == NULL && m.payload_len == 0);
}

static void test_csm(void)
{
	struct lwbs_coapmsg m = {0};
	struct lwbs_buf b;
	uint8_t tmp[4];

	m.code = LWBS_COAPMSG_CSM;
	CHECK_INT(lwbs_coapmsg_add_opt(&m, LWBS_COAPMSG_OPT_BLOCK_WISE, NULL, 0), 0);
	CHECK_INT(lwbs_coapmsg_add_uint(&m, LWBS_COAPMSG_OPT_MAX_MESSAGE_SIZE, 1152, tmp), 0);
	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_coapmsg_tcp_encode(&m, &b), 0);
	CHECK_MEM(b.data, b.len, csm, sizeof(csm));
	lwbs_buf_finish(&b);

	CHECK_INT(lwbs_coapmsg_tcp_parse(csm, sizeof(csm), &m), 0);
	CHECK_INT(m.code, LWBS_COAPMSG_CSM);
	CHECK_INT(m.tkl, 0);
	CHECK_INT(lwbs_coapmsg_uint(&m, LWBS_COAPMSG_OPT_MAX_MESSAGE_SIZE), 1152);
	CHECK(lwbs_coapmsg_find(&m, LWBS_COAPMSG_OPT_BLOCK_WISE) != NULL);

	m = (struct lwbs_coapmsg){.code = LWBS_COAPMSG_CSM};
	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_coapmsg_tcp_encode(&m, &b), 0);
	CHECK_MEM(b.data, b.len, csm_empty, sizeof(csm_empty));
	lwbs_buf_finish(&b);
	CHECK_INT(lwbs_coapmsg_tcp_parse(csm_empty, sizeof(csm_empty), &m), 0);
	CHECK_INT(m.code, LWBS_COAPMSG_CSM);
	CHECK_INT(m.n_opts, 0);
}

/* A frame whose options+payload are body bytes: a payload of body - 1
 * bytes (marker included), token 2 bytes, code 2.05. Checks the header
 * bytes and the round trip. */
static void check_length(size_t body, const uint8_t *hdr, size_t hdr_len)
{
	struct lwbs_coapmsg m = {0}, back;
	struct lwbs_buf b;
	uint8_t *pl = malloc(body);
	size_t len = 0;

	CHECK(pl != NULL);
	if (!pl)
		return;
	for (size_t i = 0; i < body; i++)
		pl[i] = (uint8_t)(i * 7 + 1);
	m.code = 0x45;
	m.tkl = 2;
	m.token[0] = 0xaa;
	m.token[1] = 0xbb;
	m.payload = pl;
	m.payload_len = body - 1;
	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_coapmsg_tcp_encode(&m, &b), 0);
	CHECK_INT(b.len, hdr_len + 1 + 2 + body);
	CHECK_MEM(b.data, hdr_len, hdr, hdr_len);
	CHECK_INT(b.data[hdr_len], 0x45);
	CHECK_INT(b.data[hdr_len + 3], 0xff);
	/* the length is known from the header alone */
	CHECK_INT(lwbs_coapmsg_tcp_frame_len(b.data, hdr_len, &len), 0);
	CHECK_INT(len, b.len);
	if (hdr_len > 1)
		CHECK_INT(lwbs_coapmsg_tcp_frame_len(b.data, hdr_len - 1, &len), LWBS_ETRUNC);
	CHECK_INT(lwbs_coapmsg_tcp_parse(b.data, b.len, &back), 0);
	CHECK_INT(back.code, 0x45);
	CHECK_INT(back.tkl, 2);
	CHECK_MEM(back.token, 2, "\xaa\xbb", 2);
	CHECK_MEM(back.payload, back.payload_len, pl, body - 1);
	lwbs_buf_finish(&b);
	free(pl);
}

static void test_lengths(void)
{
	check_length(12, (const uint8_t[]){0xc2}, 1);
	check_length(13, (const uint8_t[]){0xd2, 0x00}, 2);
	check_length(268, (const uint8_t[]){0xd2, 0xff}, 2);
	check_length(269, (const uint8_t[]){0xe2, 0x00, 0x00}, 3);
	check_length(65804, (const uint8_t[]){0xe2, 0xff, 0xff}, 3);
	check_length(65805, (const uint8_t[]){0xf2, 0x00, 0x00, 0x00, 0x00}, 5);
	check_length(70000, (const uint8_t[]){0xf2, 0x00, 0x00, 0x10, 0x63}, 5);
}

static void test_truncated(void)
{
	const struct {
		const uint8_t *p;
		size_t n;
	} v[] = {{bs_req, sizeof(bs_req)}, {csm, sizeof(csm)}, {csm_empty, sizeof(csm_empty)}};
	struct lwbs_coapmsg m;
	size_t len;

	for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		for (size_t i = 0; i < v[k].n; i++)
			CHECK_INT(lwbs_coapmsg_tcp_parse(v[k].p, i, &m), LWBS_ETRUNC);
		CHECK_INT(lwbs_coapmsg_tcp_frame_len(v[k].p, 0, &len), LWBS_ETRUNC);
	}
	/* extended lengths cut inside the extension */
	CHECK_INT(lwbs_coapmsg_tcp_frame_len((const uint8_t[]){0xd0}, 1, &len), LWBS_ETRUNC);
	CHECK_INT(lwbs_coapmsg_tcp_frame_len((const uint8_t[]){0xe0, 0x01}, 2, &len), LWBS_ETRUNC);
	CHECK_INT(lwbs_coapmsg_tcp_frame_len((const uint8_t[]){0xf0, 0x01, 0x02, 0x03}, 4, &len), LWBS_ETRUNC);
	/* the largest length is still a size */
	CHECK_INT(lwbs_coapmsg_tcp_frame_len((const uint8_t[]){0xf8, 0xff, 0xff, 0xff, 0xff}, 5, &len), 0);
	CHECK(len == (size_t)65805 + 0xffffffffu + 1 + 4 + 1 + 8);
}

static void test_malformed(void)
{
	struct lwbs_coapmsg m;
	size_t len;
	uint8_t longer[sizeof(bs_req) + 1];

	/* token length 9-15 */
	CHECK_INT(lwbs_coapmsg_tcp_frame_len((const uint8_t[]){0x09, 0x01}, 2, &len), -EBADMSG);
	CHECK_INT(lwbs_coapmsg_tcp_parse((const uint8_t[]){0x0f, 0x01}, 2, &m), -EBADMSG);
	/* more bytes than the frame */
	memcpy(longer, bs_req, sizeof(bs_req));
	longer[sizeof(bs_req)] = 0;
	CHECK_INT(lwbs_coapmsg_tcp_parse(longer, sizeof(longer), &m), -EBADMSG);
	/* a payload marker with nothing after it */
	CHECK_INT(lwbs_coapmsg_tcp_parse((const uint8_t[]){0x10, 0x45, 0xff}, 3, &m), -EBADMSG);
	/* an option running past the frame (Uri-Path of 5 bytes in a Len of 3) */
	CHECK_INT(lwbs_coapmsg_tcp_parse((const uint8_t[]){0x30, 0x01, 0xb5, 'a', 'b'}, 5, &m), LWBS_ETRUNC);
	/* a reserved option nibble */
	CHECK_INT(lwbs_coapmsg_tcp_parse((const uint8_t[]){0x10, 0x01, 0xf0}, 3, &m), -EBADMSG);
	/* tkl > 8 on encode */
	struct lwbs_coapmsg bad = {.code = 1, .tkl = 9};
	struct lwbs_buf b;

	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_coapmsg_tcp_encode(&bad, &b), -EINVAL);
	lwbs_buf_finish(&b);
}

/* Two frames back to back in one stream: the length splits them. */
static void test_stream(void)
{
	uint8_t s[sizeof(csm) + sizeof(bs_req)];
	struct lwbs_coapmsg m;
	size_t len;

	memcpy(s, csm, sizeof(csm));
	memcpy(s + sizeof(csm), bs_req, sizeof(bs_req));
	CHECK_INT(lwbs_coapmsg_tcp_frame_len(s, sizeof(s), &len), 0);
	CHECK_INT(len, sizeof(csm));
	CHECK_INT(lwbs_coapmsg_tcp_parse(s, len, &m), 0);
	CHECK_INT(m.code, LWBS_COAPMSG_CSM);
	CHECK_INT(lwbs_coapmsg_tcp_frame_len(s + len, sizeof(s) - len, &len), 0);
	CHECK_INT(len, sizeof(bs_req));
	CHECK_INT(lwbs_coapmsg_tcp_parse(s + sizeof(csm), len, &m), 0);
	CHECK_INT(m.code, 0x02);
}

TEST_MAIN(test_encode_request, test_parse_request, test_csm, test_lengths, test_truncated, test_malformed,
	  test_stream)
