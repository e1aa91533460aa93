/* Unit tests: DHCPv6 Information-request, Relay-forward and the Reply. */
#include <errno.h>
#include <stdint.h>

#include "lwbs/dhcp.h"
#include "lwbs/err.h"
#include "../test.h"
#include "dhcp_test.h"

static const uint8_t DUID[] = {0, 3, 0, 1, 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};

/* Information-request: xid 0x123456, client id, ORO {23, 17}, elapsed. */
static const uint8_t INFO_REQ[] = {
	11, 0x12, 0x34, 0x56,
	0, 1, 0, 10, 0, 3, 0, 1, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55,
	0, 6, 0, 4, 0, 23, 0, 17,
	0, 8, 0, 2, 0, 0,
};

static int answer(const uint8_t *pkt, size_t len, const struct lwbs_dhcp_policy *pol,
		  uint8_t *out, size_t *olen)
{
	struct lwbs_dhcp6_msg m;
	struct lwbs_buf b;
	int rc = lwbs_dhcp6_parse(pkt, len, &m);
	if (rc)
		return rc;
	lwbs_buf_init_fixed(&b, out, 2048);
	rc = lwbs_dhcp6_answer(&m, pol, DUID, sizeof(DUID), &b);
	*olen = b.len;
	return rc;
}

static const uint8_t WANT_REPLY[] = {
	7, 0x12, 0x34, 0x56,
	0, 2, 0, 10, 0, 3, 0, 1, 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
	0, 1, 0, 10, 0, 3, 0, 1, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55,
	0, 17, 0, 36, 0x00, 0x00, 0x7e, 0xd9, 0, 1, 0, 28,
	'c', 'o', 'a', 'p', 's', ':', '/', '/', 'b', 's', 'f', '.', 'e', 'x', 'a', 'm', 'p',
	'l', 'e', '.', 'n', 'e', 't', ':', '5', '6', '8', '4',
};

static void test_info_request(void)
{
	uint8_t out[2048];
	size_t olen = 0;
	struct lwbs_dhcp_policy pol = vivso(false);
	CHECK_INT(answer(INFO_REQ, sizeof(INFO_REQ), &pol, out, &olen), 0);
	CHECK_MEM(out, olen, WANT_REPLY, sizeof(WANT_REPLY));

	/* without 17 in the ORO: no option 17 unless always_send */
	uint8_t req[sizeof(INFO_REQ)];
	memcpy(req, INFO_REQ, sizeof(req));
	req[25] = 24;
	CHECK_INT(answer(req, sizeof(req), &pol, out, &olen), 0);
	CHECK_INT(olen, 32);
	pol = vivso(true);
	CHECK_INT(answer(req, sizeof(req), &pol, out, &olen), 0);
	CHECK_MEM(out, olen, WANT_REPLY, sizeof(WANT_REPLY));

	/* no client id: answered, without option 1 */
	static const uint8_t anon[] = {11, 0, 0, 1, 0, 6, 0, 2, 0, 17};
	pol = vivso(false);
	CHECK_INT(answer(anon, sizeof(anon), &pol, out, &olen), 0);
	CHECK_INT(olen, 4 + 14 + 40);
	CHECK_INT(out[5], 2);
	CHECK_INT(out[19], 17);

	/* our own server id is fine */
	uint8_t own[sizeof(anon) + 14];
	memcpy(own, anon, sizeof(anon));
	memcpy(own + sizeof(anon), "\0\2\0\12", 4);
	memcpy(own + sizeof(anon) + 4, DUID, sizeof(DUID));
	CHECK_INT(answer(own, sizeof(own), &pol, out, &olen), 0);
	/* a foreign one is not */
	own[sizeof(own) - 1] ^= 1;
	CHECK_INT(answer(own, sizeof(own), &pol, out, &olen), -ENOMSG);
}

static void test_option_carrier(void)
{
	uint8_t out[2048];
	size_t olen = 0;
	struct lwbs_dhcp_policy pol = vivso(false);
	pol.carrier = (struct lwbs_dhcp_carrier){.type = LWBS_DHCP_CARRIER_OPTION, .v4_code = 224,
						 .v6_code = 65001};
	static const uint8_t req[] = {11, 0, 0, 9, 0, 6, 0, 4, 0, 17, 0xfd, 0xe9};
	CHECK_INT(answer(req, sizeof(req), &pol, out, &olen), 0);
	CHECK_INT(olen, 4 + 14 + 4 + 28);
	CHECK_MEM(out + 18, 4, "\xfd\xe9\x00\x1c", 4);
	CHECK_MEM(out + 22, 28, URI, 28);
}

static void test_discarded(void)
{
	uint8_t out[2048];
	size_t olen = 0;
	struct lwbs_dhcp_policy pol = vivso(true);
	static const uint8_t ia_na[] = {11, 0, 0, 1, 0, 3, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t ia_ta[] = {11, 0, 0, 1, 0, 4, 0, 4, 0, 0, 0, 1};
	static const uint8_t ia_pd[] = {11, 0, 0, 1, 0, 25, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
	CHECK_INT(answer(ia_na, sizeof(ia_na), &pol, out, &olen), -EPROTO);
	CHECK_INT(answer(ia_ta, sizeof(ia_ta), &pol, out, &olen), -EPROTO);
	CHECK_INT(answer(ia_pd, sizeof(ia_pd), &pol, out, &olen), -EPROTO);
	/* Solicit, Request, Relay-reply, Reply ... are not ours */
	static const uint8_t types[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15};
	for (size_t i = 0; i < sizeof(types); i++) {
		uint8_t m[] = {types[i], 0, 0, 1};
		CHECK_INT(answer(m, sizeof(m), &pol, out, &olen), -ENOMSG);
	}
}

static void test_relay(void)
{
	/* Relay-forward(hop 1) [Interface-Id "eth7", Relay-forward(hop 0) [RM Info-request]] */
	uint8_t pkt[512];
	size_t k = 0, inner_at;
	pkt[k++] = 12;
	pkt[k++] = 1;
	memset(pkt + k, 0x20, 16); k += 16; /* link */
	memset(pkt + k, 0x30, 16); k += 16; /* peer */
	memcpy(pkt + k, "\0\x12\0\x04" "eth7", 8); k += 8;
	pkt[k++] = 0; pkt[k++] = 9;
	size_t outer_len_at = k;
	k += 2;
	inner_at = k;
	pkt[k++] = 12;
	pkt[k++] = 0;
	memset(pkt + k, 0x40, 16); k += 16;
	memset(pkt + k, 0xfe, 16); k += 16;
	pkt[k++] = 0; pkt[k++] = 9; pkt[k++] = 0; pkt[k++] = sizeof(INFO_REQ);
	memcpy(pkt + k, INFO_REQ, sizeof(INFO_REQ)); k += sizeof(INFO_REQ);
	pkt[outer_len_at] = (uint8_t)((k - inner_at) >> 8);
	pkt[outer_len_at + 1] = (uint8_t)(k - inner_at);

	struct lwbs_dhcp6_msg m;
	CHECK_INT(lwbs_dhcp6_parse(pkt, k, &m), 0);
	CHECK_INT(m.relay_depth, 2);
	CHECK_INT(m.msg_type, 11);
	CHECK_INT(m.relay[0].interface_id_len, 4);
	CHECK(m.relay[1].interface_id == NULL);
	CHECK_INT(m.relay[1].peer_addr[0], 0xfe);

	uint8_t out[2048];
	size_t olen = 0;
	struct lwbs_dhcp_policy pol = vivso(false);
	CHECK_INT(answer(pkt, k, &pol, out, &olen), 0);
	/* outer Relay-reply */
	size_t in1 = sizeof(WANT_REPLY) + 34 + 4, in0 = in1 + 34 + 8 + 4;
	CHECK_INT(olen, in0);
	CHECK_INT(out[0], 13);
	CHECK_INT(out[1], 1);
	CHECK_MEM(out + 2, 32, pkt + 2, 32);
	CHECK_MEM(out + 34, 8, "\0\x12\0\x04" "eth7", 8);
	CHECK_INT(out[42] << 8 | out[43], 9);
	CHECK_INT(out[44] << 8 | out[45], in1);
	/* inner Relay-reply */
	const uint8_t *r1 = out + 46;
	CHECK_INT(r1[0], 13);
	CHECK_INT(r1[1], 0);
	CHECK_MEM(r1 + 2, 32, pkt + inner_at + 2, 32);
	CHECK_INT(r1[34] << 8 | r1[35], 9);
	CHECK_INT(r1[36] << 8 | r1[37], sizeof(WANT_REPLY));
	CHECK_MEM(r1 + 38, sizeof(WANT_REPLY), WANT_REPLY, sizeof(WANT_REPLY));

	/* truncation at every byte */
	for (size_t n = 0; n < k; n++) {
		uint8_t *cp = malloc(n ? n : 1);
		memcpy(cp, pkt, n);
		/* each Relay Message length then runs past the end */
		CHECK(lwbs_dhcp6_parse(cp, n, &m) < 0);
		free(cp);
	}
	/* Relay-forward without a Relay Message, with two */
	static const uint8_t norm[34] = {12};
	CHECK_INT(lwbs_dhcp6_parse(norm, sizeof(norm), &m), -EBADMSG);
	uint8_t two[34 + 8 + 8];
	memset(two, 0, sizeof(two));
	two[0] = 12;
	memcpy(two + 34, "\0\x09\0\x04\x0b\0\0\1\0\x09\0\x04\x0b\0\0\1", 16);
	CHECK_INT(lwbs_dhcp6_parse(two, sizeof(two), &m), -EBADMSG);
	memcpy(two + 42, "\0\x07\0\x04", 4);
	CHECK_INT(lwbs_dhcp6_parse(two, sizeof(two), &m), 0);
}

/* Relay-forward nested depth times around INFO_REQ. */
static size_t nest(uint8_t *p, unsigned depth)
{
	size_t k = 0;
	size_t inner = sizeof(INFO_REQ);
	for (unsigned i = 0; i < depth; i++) {
		memset(p + k, 0, 34);
		p[k] = 12;
		p[k + 1] = (uint8_t)(depth - 1 - i);
		k += 34;
		size_t len = inner + (depth - 1 - i) * 38;
		p[k++] = 0; p[k++] = 9;
		p[k++] = (uint8_t)(len >> 8); p[k++] = (uint8_t)len;
	}
	memcpy(p + k, INFO_REQ, sizeof(INFO_REQ));
	return k + sizeof(INFO_REQ);
}

static void test_depth(void)
{
	uint8_t pkt[64 * 40], out[2048];
	size_t olen = 0;
	struct lwbs_dhcp6_msg m;
	struct lwbs_dhcp_policy pol = vivso(false);
	size_t n = nest(pkt, LWBS_DHCP6_RELAY_MAX);
	CHECK_INT(lwbs_dhcp6_parse(pkt, n, &m), 0);
	CHECK_INT(m.relay_depth, LWBS_DHCP6_RELAY_MAX);
	CHECK_INT(answer(pkt, n, &pol, out, &olen), 0);
	CHECK_INT(olen, sizeof(WANT_REPLY) + 38 * LWBS_DHCP6_RELAY_MAX);
	n = nest(pkt, LWBS_DHCP6_RELAY_MAX + 1);
	CHECK_INT(lwbs_dhcp6_parse(pkt, n, &m), LWBS_EDEPTH);
	n = nest(pkt, 40);
	CHECK_INT(lwbs_dhcp6_parse(pkt, n, &m), LWBS_EDEPTH);
	/* reply that does not fit */
	struct lwbs_buf b;
	n = nest(pkt, 3);
	CHECK_INT(lwbs_dhcp6_parse(pkt, n, &m), 0);
	for (size_t cap = 0; cap < sizeof(WANT_REPLY) + 3 * 38; cap += 5) {
		lwbs_buf_init_fixed(&b, out, cap);
		CHECK_INT(lwbs_dhcp6_answer(&m, &pol, DUID, sizeof(DUID), &b), -ENOBUFS);
		CHECK_INT(b.len, 0);
	}
}

static void test_malformed(void)
{
	struct lwbs_dhcp6_msg m;
	/* truncation at every byte of a plain Information-request */
	for (size_t n = 0; n < sizeof(INFO_REQ); n++) {
		uint8_t *cp = malloc(n ? n : 1);
		memcpy(cp, INFO_REQ, n);
		int rc = lwbs_dhcp6_parse(cp, n, &m);
		/* prefixes that end exactly on an option boundary are complete
		 * messages (DHCPv6 has no End marker) */
		if (n == 4 || n == 18 || n == 26)
			CHECK_INT(rc, 0);
		else
			CHECK(rc < 0);
		free(cp);
	}
	static const uint8_t past[] = {11, 0, 0, 1, 0, 6, 0, 40, 0, 17};
	static const uint8_t odd_oro[] = {11, 0, 0, 1, 0, 6, 0, 3, 0, 17, 0};
	static const uint8_t short_duid[] = {11, 0, 0, 1, 0, 1, 0, 1, 7};
	static const uint8_t dup_cid[] = {11, 0, 0, 1, 0, 1, 0, 2, 0, 4, 0, 1, 0, 2, 0, 4};
	static const uint8_t elapsed3[] = {11, 0, 0, 1, 0, 8, 0, 3, 0, 0, 0};
	static const uint8_t rm_in_client[] = {11, 0, 0, 1, 0, 9, 0, 0};
	CHECK_INT(lwbs_dhcp6_parse(past, sizeof(past), &m), LWBS_ELENGTH);
	CHECK_INT(lwbs_dhcp6_parse(odd_oro, sizeof(odd_oro), &m), -EBADMSG);
	CHECK_INT(lwbs_dhcp6_parse(short_duid, sizeof(short_duid), &m), -EBADMSG);
	CHECK_INT(lwbs_dhcp6_parse(dup_cid, sizeof(dup_cid), &m), -EBADMSG);
	CHECK_INT(lwbs_dhcp6_parse(elapsed3, sizeof(elapsed3), &m), -EBADMSG);
	CHECK_INT(lwbs_dhcp6_parse(rm_in_client, sizeof(rm_in_client), &m), -EBADMSG);
	uint8_t long_duid[4 + 4 + 131] = {11, 0, 0, 1, 0, 1, 0, 131};
	CHECK_INT(lwbs_dhcp6_parse(long_duid, sizeof(long_duid), &m), -EBADMSG);
}

TEST_MAIN(test_info_request, test_option_carrier, test_discarded, test_relay, test_depth,
	  test_malformed)
