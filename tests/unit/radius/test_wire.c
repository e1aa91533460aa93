/* lwbs — RADIUS wire codec: STANDARDS §6.2 vector, radclient captures,
 * authenticators, malformed datagrams. */
#include <errno.h>

#include "lwbs/radius.h"
#include "lwbs/err.h"
#include "../test.h"
#include "vectors.h"

static struct lwbs_radius_packet pkt;

static void test_std_vector(void)
{
	CHECK_INT(lwbs_radius_parse(std_start, sizeof(std_start), &pkt), 0);
	CHECK_INT(pkt.code, 4);
	CHECK_INT(pkt.id, 0x2a);
	CHECK_INT(pkt.len, 121);
	CHECK_INT(pkt.nattrs, 8);
	CHECK_INT(pkt.msg_auth, -1);
	CHECK_INT(pkt.attrs[0].type, 40);
	CHECK_INT(pkt.attrs[0].off, 22);
	CHECK_INT(pkt.attrs[0].len, 4);
	const struct lwbs_radius_attr *a = lwbs_radius_find(&pkt, 30);
	CHECK(a != NULL);
	if (a)
		CHECK_MEM(pkt.data + a->off, a->len, "lwm2m.example", 13);
	CHECK(lwbs_radius_find(&pkt, 95) == NULL);
	static const uint8_t auth[16] = {0x39, 0x78, 0x1b, 0xe6, 0x47, 0x38, 0xb5, 0x9c,
					 0x73, 0xc0, 0x01, 0xde, 0xed, 0xa4, 0x04, 0x87};
	CHECK_MEM(lwbs_radius_authenticator(&pkt), 16, auth, 16);

	CHECK_INT(lwbs_radius_verify(&pkt, SECRET, SECRET_LEN), 0);
	CHECK_INT(lwbs_radius_verify(&pkt, "testing124", 10), -EACCES);
	CHECK_INT(lwbs_radius_verify(&pkt, "", 0), -EACCES);

	uint8_t out[64];
	size_t n = 0;
	CHECK_INT(lwbs_radius_build_response(&pkt, SECRET, SECRET_LEN, false, out, sizeof(out), &n),
		  0);
	CHECK_MEM(out, n, std_response, sizeof(std_response));
	CHECK_INT(lwbs_radius_build_response(&pkt, SECRET, SECRET_LEN, false, out, 19, &n),
		  -ENOBUFS);

	/* A tampered byte anywhere fails the check. */
	uint8_t copy[sizeof(std_start)];
	for (size_t i = 0; i < sizeof(copy); i++) {
		memcpy(copy, std_start, sizeof(copy));
		copy[i] ^= 0x01;
		struct lwbs_radius_packet p2;
		int rc = lwbs_radius_parse(copy, sizeof(copy), &p2);
		if (rc == 0)
			CHECK_INT(lwbs_radius_verify(&p2, SECRET, SECRET_LEN), -EACCES);
	}
}

static void test_extra_bytes_and_truncation(void)
{
	uint8_t big[sizeof(std_start) + 7];
	memcpy(big, std_start, sizeof(std_start));
	memset(big + sizeof(std_start), 0xee, 7);
	CHECK_INT(lwbs_radius_parse(big, sizeof(big), &pkt), 0);
	CHECK_INT(pkt.len, 121);
	CHECK_INT(pkt.nattrs, 8);
	CHECK_INT(lwbs_radius_verify(&pkt, SECRET, SECRET_LEN), 0);

	for (size_t n = 0; n < sizeof(std_start); n++) {
		uint8_t *cut = malloc(n ? n : 1);
		memcpy(cut, std_start, n);
		CHECK_INT(lwbs_radius_parse(cut, n, &pkt), LWBS_ETRUNC);
		free(cut);
	}
	/* Length field shortened to end inside an attribute. */
	for (unsigned l = 21; l < sizeof(std_start); l++) {
		uint8_t c[sizeof(std_start)];
		memcpy(c, std_start, sizeof(c));
		c[2] = 0;
		c[3] = (uint8_t)l;
		int rc = lwbs_radius_parse(c, sizeof(c), &pkt);
		/* attribute boundaries of the vector */
		static const unsigned ends[] = {26, 32, 38, 52, 67, 85, 108};
		bool boundary = false;
		for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
			boundary |= ends[i] == l;
		if (boundary)
			CHECK_INT(rc, 0);
		else
			CHECK(rc == LWBS_ELENGTH || rc == LWBS_ETRUNC);
	}
}

static void test_bad_lengths(void)
{
	uint8_t c[sizeof(std_start)];
	memcpy(c, std_start, sizeof(c));
	c[3] = 19;
	CHECK_INT(lwbs_radius_parse(c, sizeof(c), &pkt), LWBS_ELENGTH);
	c[2] = 0x10;
	c[3] = 0x01; /* 4097 */
	CHECK_INT(lwbs_radius_parse(c, sizeof(c), &pkt), LWBS_ELENGTH);

	/* Attribute length 0, 1 and past the end. */
	for (int v = 0; v < 2; v++) {
		memcpy(c, std_start, sizeof(c));
		c[21] = (uint8_t)v;
		CHECK_INT(lwbs_radius_parse(c, sizeof(c), &pkt), LWBS_ELENGTH);
	}
	memcpy(c, std_start, sizeof(c));
	c[109] = 0x0e; /* last VSA one octet too long */
	CHECK_INT(lwbs_radius_parse(c, sizeof(c), &pkt), LWBS_ELENGTH);
	/* A lone trailing octet after the attributes. */
	uint8_t d[sizeof(std_start) + 1];
	memcpy(d, std_start, sizeof(std_start));
	d[3] = sizeof(d);
	d[sizeof(std_start)] = 40;
	CHECK_INT(lwbs_radius_parse(d, sizeof(d), &pkt), LWBS_ETRUNC);

	/* 4096 octets is the maximum, 4097 too long. */
	static uint8_t max[4097];
	memset(max, 0, sizeof(max));
	max[0] = 4;
	max[2] = 0x10;
	max[3] = 0x00;
	for (size_t i = 20; i + 2 <= 4096; i += 2) {
		max[i] = 33;
		max[i + 1] = 2;
	}
	CHECK_INT(lwbs_radius_parse(max, 4096, &pkt), 0);
	CHECK_INT(pkt.nattrs, LWBS_RADIUS_ATTR_MAX);
	uint8_t out[LWBS_RADIUS_MAX_LEN];
	size_t n;
	CHECK_INT(lwbs_radius_build_response(&pkt, SECRET, SECRET_LEN, false, out, sizeof(out), &n),
		  0);
	CHECK_INT(n, 4096);
	CHECK_INT(lwbs_radius_build_response(&pkt, SECRET, SECRET_LEN, true, out, sizeof(out), &n),
		  -ENOBUFS);
	max[2] = 0x10;
	max[3] = 0x01;
	max[4096] = 0;
	CHECK_INT(lwbs_radius_parse(max, 4097, &pkt), LWBS_ELENGTH);

	/* Other codes are not ours. */
	memcpy(c, std_start, sizeof(c));
	c[0] = 1;
	CHECK_INT(lwbs_radius_parse(c, sizeof(c), &pkt), -ENOMSG);
	c[0] = 5;
	CHECK_INT(lwbs_radius_parse(c, sizeof(c), &pkt), -ENOMSG);
}

static void test_message_authenticator_rules(void)
{
	/* Two Message-Authenticators, or one of the wrong size. */
	uint8_t attrs[36] = {80, 18};
	attrs[18] = 80;
	attrs[19] = 18;
	uint8_t buf[64];
	size_t n = make_acct(buf, 1, attrs, 36);
	CHECK_INT(lwbs_radius_parse(buf, n, &pkt), -EBADMSG);
	uint8_t short_ma[17] = {80, 17};
	n = make_acct(buf, 1, short_ma, 17);
	CHECK_INT(lwbs_radius_parse(buf, n, &pkt), -EBADMSG);
}

static void test_radclient_captures(void)
{
	CHECK_INT(lwbs_radius_parse(rc_start, sizeof(rc_start), &pkt), 0);
	CHECK_INT(pkt.len, 154);
	CHECK_INT(pkt.nattrs, 10);
	CHECK_INT(lwbs_radius_verify(&pkt, SECRET, SECRET_LEN), 0);
	CHECK_INT(lwbs_radius_verify(&pkt, "testing12", 9), -EACCES);

	CHECK_INT(lwbs_radius_parse(rc_status, sizeof(rc_status), &pkt), 0);
	CHECK_INT(pkt.code, 12);
	CHECK_INT(pkt.msg_auth, 0);
	CHECK_INT(lwbs_radius_verify(&pkt, SECRET, SECRET_LEN), 0);
	CHECK_INT(lwbs_radius_verify(&pkt, "x", 1), -EACCES);
	uint8_t out[64];
	size_t n;
	CHECK_INT(lwbs_radius_build_response(&pkt, SECRET, SECRET_LEN, true, out, sizeof(out), &n),
		  0);
	CHECK_INT(n, 38);
	CHECK_INT(out[0], 5);
	CHECK_INT(out[1], 0xf9);

	/* Status-Server without Message-Authenticator is refused. */
	uint8_t bare[20];
	memcpy(bare, rc_status, 20);
	bare[3] = 20;
	CHECK_INT(lwbs_radius_parse(bare, 20, &pkt), 0);
	CHECK_INT(lwbs_radius_verify(&pkt, SECRET, SECRET_LEN), -EBADMSG);

	/* Accounting-Request with Message-Authenticator and Proxy-State. */
	CHECK_INT(lwbs_radius_parse(rc_stop_ma, sizeof(rc_stop_ma), &pkt), 0);
	CHECK_INT(pkt.msg_auth, 5);
	CHECK_INT(lwbs_radius_verify(&pkt, SECRET, SECRET_LEN), 0);

	/* A wrong Message-Authenticator with a Request Authenticator that is
	 * right for it: only the HMAC check catches it. */
	uint8_t c[sizeof(rc_stop_ma)];
	memcpy(c, rc_stop_ma, sizeof(c));
	c[sizeof(c) - 1] ^= 0x80;
	memset(c + 4, 0, 16);
	struct rad_seg seg[] = {{c, sizeof(c)}, {SECRET, SECRET_LEN}};
	rad_md5(seg, 2, c + 4);
	CHECK_INT(lwbs_radius_parse(c, sizeof(c), &pkt), 0);
	CHECK_INT(lwbs_radius_verify(&pkt, SECRET, SECRET_LEN), -EACCES);

	/* Response: Proxy-State echoed, Message-Authenticator and Response
	 * Authenticator recomputed independently here. */
	CHECK_INT(lwbs_radius_parse(rc_stop_ma, sizeof(rc_stop_ma), &pkt), 0);
	CHECK_INT(lwbs_radius_build_response(&pkt, SECRET, SECRET_LEN, true, out, sizeof(out), &n),
		  0);
	CHECK_INT(n, 20 + 6 + 18);
	static const uint8_t ps[] = {0x21, 0x06, 0x01, 0x02, 0x03, 0x04, 0x50, 0x12};
	CHECK_MEM(out + 20, 8, ps, 8);
	uint8_t w[44], dig[16];
	memcpy(w, out, n);
	memcpy(w + 4, rc_stop_ma + 4, 16);
	memset(w + 28, 0, 16);
	struct rad_seg s1 = {w, n};
	rad_hmac_md5(SECRET, SECRET_LEN, &s1, 1, dig);
	CHECK_MEM(out + 28, 16, dig, 16);
	memcpy(w + 28, dig, 16);
	struct rad_seg s2[] = {{w, n}, {SECRET, SECRET_LEN}};
	rad_md5(s2, 2, dig);
	CHECK_MEM(out + 4, 16, dig, 16);
}

static void test_hmac_rfc2202(void)
{
	/* RFC 2202 test case 2 and 6 (key longer than the block). */
	uint8_t d[16];
	struct rad_seg s = {"what do ya want for nothing?", 28};
	CHECK_INT(rad_hmac_md5("Jefe", 4, &s, 1, d), 0);
	static const uint8_t e2[16] = {0x75, 0x0c, 0x78, 0x3e, 0x6a, 0xb0, 0xb5, 0x03,
				       0xea, 0xa8, 0x6e, 0x31, 0x0a, 0x5d, 0xb7, 0x38};
	CHECK_MEM(d, 16, e2, 16);
	uint8_t key[80];
	memset(key, 0xaa, sizeof(key));
	struct rad_seg s6 = {"Test Using Larger Than Block-Size Key - Hash Key First", 54};
	CHECK_INT(rad_hmac_md5(key, sizeof(key), &s6, 1, d), 0);
	static const uint8_t e6[16] = {0x6b, 0x1a, 0xb7, 0xfe, 0x4b, 0xd7, 0xbf, 0x8f,
				       0x0b, 0x62, 0xe6, 0xce, 0x61, 0xb9, 0xd0, 0xcd};
	CHECK_MEM(d, 16, e6, 16);
}

TEST_MAIN(test_std_vector, test_extra_bytes_and_truncation, test_bad_lengths,
	  test_message_authenticator_rules, test_radclient_captures, test_hmac_rfc2202)
