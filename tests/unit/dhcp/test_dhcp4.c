/* Unit tests: DHCPv4 INFORM parsing and the DHCPACK carrying the URI. */
#include <errno.h>
#include <stdint.h>

#include "lwbs/dhcp.h"
#include "lwbs/err.h"
#include "../test.h"
#include "dhcp_test.h"

static const uint8_t CIADDR[4] = {10, 1, 2, 3};
static const uint8_t SID[4] = {10, 0, 0, 1};

/* Builds a BOOTREQUEST with header fields and the given option bytes
 * (which must include End). Returns the length. */
static size_t mk(uint8_t *p, const uint8_t ciaddr[4], const uint8_t giaddr[4], uint8_t hops,
		 const uint8_t *opts, size_t optlen)
{
	memset(p, 0, 240);
	p[0] = 1;
	p[1] = 1;
	p[2] = 6;
	p[3] = hops;
	p[4] = 0xde; p[5] = 0xad; p[6] = 0xbe; p[7] = 0xef; /* xid */
	p[8] = 0; p[9] = 3;                                 /* secs */
	p[10] = 0x80;                                       /* broadcast flag */
	if (ciaddr)
		memcpy(p + 12, ciaddr, 4);
	if (giaddr)
		memcpy(p + 24, giaddr, 4);
	static const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
	memcpy(p + 28, mac, 6);
	p[236] = 0x63; p[237] = 0x82; p[238] = 0x53; p[239] = 0x63;
	memcpy(p + 240, opts, optlen);
	return 240 + optlen;
}

/* Finds option code in a reply's options field; returns its value or NULL. */
static const uint8_t *find_opt(const uint8_t *pkt, size_t len, uint8_t code, uint8_t *olen)
{
	size_t i = 240;
	while (i < len && pkt[i] != 255) {
		if (pkt[i] == 0) {
			i++;
			continue;
		}
		if (i + 1 >= len || i + 2 + pkt[i + 1] > len)
			return NULL;
		if (pkt[i] == code) {
			*olen = pkt[i + 1];
			return pkt + i + 2;
		}
		i += 2 + pkt[i + 1];
	}
	return NULL;
}

static int answer(const uint8_t *pkt, size_t len, const struct lwbs_dhcp_policy *pol,
		  const uint8_t *src, uint8_t *out, size_t *outlen)
{
	struct lwbs_dhcp4_msg m;
	struct lwbs_buf b;
	int rc = lwbs_dhcp4_parse(pkt, len, &m);
	if (rc)
		return rc;
	lwbs_buf_init_fixed(&b, out, 1500);
	rc = lwbs_dhcp4_answer(&m, pol, SID, src, &b);
	*outlen = b.len;
	return rc;
}

static void test_inform_125(void)
{
	static const uint8_t opts[] = {53, 1, 8, 61, 7, 1, 2, 0x11, 0x22, 0x33, 0x44, 0x55,
				       55, 3, 1, 125, 3, 255};
	uint8_t pkt[600], out[1500];
	size_t len = mk(pkt, CIADDR, NULL, 0, opts, sizeof(opts)), olen = 0;
	struct lwbs_dhcp_policy pol = vivso(false);

	CHECK_INT(answer(pkt, len, &pol, CIADDR, out, &olen), 0);
	CHECK_INT(olen, 300);
	CHECK_INT(out[0], 2);
	CHECK_INT(out[1], 1);
	CHECK_INT(out[2], 6);
	CHECK_INT(out[3], 0);
	CHECK_MEM(out + 4, 4, "\xde\xad\xbe\xef", 4);
	CHECK_MEM(out + 8, 2, "\0\0", 2);          /* secs 0 */
	CHECK_MEM(out + 10, 2, "\x80\0", 2);       /* flags copied */
	CHECK_MEM(out + 12, 4, CIADDR, 4);         /* ciaddr copied */
	CHECK_MEM(out + 16, 4, "\0\0\0\0", 4);     /* yiaddr 0 */
	CHECK_MEM(out + 24, 4, "\0\0\0\0", 4);     /* giaddr 0 */
	CHECK_MEM(out + 28, 16, pkt + 28, 16);     /* chaddr */
	CHECK_MEM(out + 236, 4, "\x63\x82\x53\x63", 4);
	/* options in order: 53, 54, 61, 125, End */
	static const uint8_t want[] = {
		53, 1, 5,
		54, 4, 10, 0, 0, 1,
		61, 7, 1, 2, 0x11, 0x22, 0x33, 0x44, 0x55,
		125, 35, 0x00, 0x00, 0x7e, 0xd9, 30, 1, 28,
		'c', 'o', 'a', 'p', 's', ':', '/', '/', 'b', 's', 'f', '.', 'e', 'x', 'a', 'm', 'p',
		'l', 'e', '.', 'n', 'e', 't', ':', '5', '6', '8', '4',
		255,
	};
	CHECK_MEM(out + 240, sizeof(want), want, sizeof(want));
	for (size_t i = 240 + sizeof(want); i < olen; i++)
		CHECK_INT(out[i], 0);
	uint8_t l;
	CHECK(find_opt(out, olen, 51, &l) == NULL);
}

static void test_inform_no_prl(void)
{
	static const uint8_t opts[] = {53, 1, 8, 55, 2, 1, 3, 255};
	uint8_t pkt[600], out[1500], l;
	size_t len = mk(pkt, CIADDR, NULL, 0, opts, sizeof(opts)), olen = 0;
	struct lwbs_dhcp_policy pol = vivso(false);

	CHECK_INT(answer(pkt, len, &pol, CIADDR, out, &olen), 0);
	CHECK(find_opt(out, olen, 125, &l) == NULL);
	CHECK(find_opt(out, olen, 54, &l) != NULL);
	pol = vivso(true);
	CHECK_INT(answer(pkt, len, &pol, CIADDR, out, &olen), 0);
	const uint8_t *v = find_opt(out, olen, 125, &l);
	CHECK(v != NULL);
	CHECK_INT(l, 35);
}

static void test_option_carrier(void)
{
	static const uint8_t opts[] = {53, 1, 8, 55, 1, 224, 255};
	uint8_t pkt[600], out[1500], l;
	size_t len = mk(pkt, CIADDR, NULL, 0, opts, sizeof(opts)), olen = 0;
	struct lwbs_dhcp_policy pol = vivso(false);
	pol.carrier = (struct lwbs_dhcp_carrier){.type = LWBS_DHCP_CARRIER_OPTION, .v4_code = 224,
						 .v6_code = 65001};
	CHECK_INT(answer(pkt, len, &pol, CIADDR, out, &olen), 0);
	const uint8_t *v = find_opt(out, olen, 224, &l);
	CHECK(v != NULL);
	if (v)
		CHECK_MEM(v, l, URI, sizeof(URI) - 1);
	CHECK(find_opt(out, olen, 125, &l) == NULL);
	/* a URI longer than the carrier holds */
	char big[300];
	memset(big, 'a', sizeof(big));
	pol.uri = big;
	pol.uri_len = 256;
	CHECK_INT(answer(pkt, len, &pol, CIADDR, out, &olen), -ERANGE);
	pol = vivso(true);
	pol.uri = big;
	pol.uri_len = LWBS_DHCP_URI_MAX_VIVSO + 1;
	CHECK_INT(answer(pkt, len, &pol, CIADDR, out, &olen), -ERANGE);
	pol.uri_len = LWBS_DHCP_URI_MAX_VIVSO;
	CHECK_INT(answer(pkt, len, &pol, CIADDR, out, &olen), 0);
	v = find_opt(out, olen, 125, &l);
	CHECK(v != NULL);
	CHECK_INT(l, 255);
}

static void test_dropped(void)
{
	uint8_t pkt[600], out[1500];
	size_t olen, len;
	struct lwbs_dhcp_policy pol = vivso(true);
	static const uint8_t with50[] = {53, 1, 8, 50, 4, 10, 1, 2, 3, 255};
	static const uint8_t with51[] = {53, 1, 8, 51, 4, 0, 0, 1, 0, 255};
	static const uint8_t plain[] = {53, 1, 8, 255};

	len = mk(pkt, CIADDR, NULL, 0, with50, sizeof(with50));
	CHECK_INT(answer(pkt, len, &pol, CIADDR, out, &olen), -EPROTO);
	len = mk(pkt, CIADDR, NULL, 0, with51, sizeof(with51));
	CHECK_INT(answer(pkt, len, &pol, CIADDR, out, &olen), -EPROTO);
	len = mk(pkt, NULL, NULL, 0, plain, sizeof(plain)); /* ciaddr 0 */
	CHECK_INT(answer(pkt, len, &pol, NULL, out, &olen), -EPROTO);
	/* direct INFORM whose source is not ciaddr */
	static const uint8_t other[4] = {10, 9, 9, 9};
	len = mk(pkt, CIADDR, NULL, 0, plain, sizeof(plain));
	CHECK_INT(answer(pkt, len, &pol, other, out, &olen), -EPROTO);
	CHECK_INT(answer(pkt, len, &pol, CIADDR, out, &olen), 0);
	/* every message type but INFORM is ignored */
	for (uint8_t t = 1; t <= 18; t++) {
		if (t == 8)
			continue;
		uint8_t o[] = {53, 1, t, 255};
		len = mk(pkt, CIADDR, NULL, 0, o, sizeof(o));
		CHECK_INT(answer(pkt, len, &pol, CIADDR, out, &olen), -ENOMSG);
	}
	/* plain BOOTP (no option 53) and a BOOTREPLY */
	static const uint8_t bootp[] = {1, 4, 10, 0, 0, 1, 255};
	len = mk(pkt, CIADDR, NULL, 0, bootp, sizeof(bootp));
	CHECK_INT(answer(pkt, len, &pol, CIADDR, out, &olen), -ENOMSG);
	len = mk(pkt, CIADDR, NULL, 0, plain, sizeof(plain));
	pkt[0] = 2;
	CHECK_INT(answer(pkt, len, &pol, CIADDR, out, &olen), -ENOMSG);
	/* another server's identifier */
	static const uint8_t foreign[] = {53, 1, 8, 54, 4, 10, 0, 0, 2, 255};
	static const uint8_t ours[] = {53, 1, 8, 54, 4, 10, 0, 0, 1, 255};
	len = mk(pkt, CIADDR, NULL, 0, foreign, sizeof(foreign));
	CHECK_INT(answer(pkt, len, &pol, CIADDR, out, &olen), -ENOMSG);
	len = mk(pkt, CIADDR, NULL, 0, ours, sizeof(ours));
	CHECK_INT(answer(pkt, len, &pol, CIADDR, out, &olen), 0);
}

static void test_relayed(void)
{
	static const uint8_t giaddr[4] = {10, 1, 0, 1};
	static const uint8_t relay_src[4] = {10, 1, 0, 1};
	static const uint8_t opts[] = {53, 1, 8, 55, 1, 125,
				       82, 6, 1, 4, 'p', 'o', 'r', 't', 255};
	uint8_t pkt[600], out[1500], l;
	size_t len = mk(pkt, CIADDR, giaddr, 1, opts, sizeof(opts)), olen = 0;
	struct lwbs_dhcp_policy pol = vivso(false);
	struct lwbs_dhcp4_msg m;

	CHECK_INT(lwbs_dhcp4_parse(pkt, len, &m), 0);
	CHECK(m.has_relay_info);
	CHECK_INT(m.hops, 1);
	/* source is the relay, not ciaddr: still answered, to ciaddr */
	CHECK_INT(answer(pkt, len, &pol, relay_src, out, &olen), 0);
	CHECK_INT(out[3], 0);                     /* hops cleared */
	CHECK_MEM(out + 12, 4, CIADDR, 4);
	CHECK_MEM(out + 24, 4, "\0\0\0\0", 4);    /* giaddr cleared */
	CHECK(find_opt(out, olen, 82, &l) == NULL);
	CHECK(find_opt(out, olen, 125, &l) != NULL);
}

static void test_overload(void)
{
	uint8_t pkt[600], out[1500], l;
	size_t len, olen = 0;
	struct lwbs_dhcp_policy pol = vivso(false);
	struct lwbs_dhcp4_msg m;

	/* options: 53 and 52=3; file: PRL with 125; sname: client id */
	static const uint8_t opts[] = {53, 1, 8, 52, 1, 3, 255};
	len = mk(pkt, CIADDR, NULL, 0, opts, sizeof(opts));
	static const uint8_t file[] = {55, 1, 125, 255};
	static const uint8_t sname[] = {61, 2, 0, 7, 255};
	memcpy(pkt + 108, file, sizeof(file));
	memcpy(pkt + 44, sname, sizeof(sname));
	CHECK_INT(lwbs_dhcp4_parse(pkt, len, &m), 0);
	CHECK_INT(m.overload, 3);
	CHECK(lwbs_dhcp4_requested(&m, 125));
	CHECK_INT(m.client_id_len, 2);
	CHECK_INT(answer(pkt, len, &pol, CIADDR, out, &olen), 0);
	CHECK(find_opt(out, olen, 125, &l) != NULL);

	/* the same data in sname is ignored unless overload says so */
	static const uint8_t opts1[] = {53, 1, 8, 52, 1, 1, 255};
	len = mk(pkt, CIADDR, NULL, 0, opts1, sizeof(opts1));
	memcpy(pkt + 108, file, sizeof(file));
	memcpy(pkt + 44, sname, sizeof(sname));
	CHECK_INT(lwbs_dhcp4_parse(pkt, len, &m), 0);
	CHECK(!m.has_client_id);

	/* overload loop: option 52 inside the file field */
	static const uint8_t loop[] = {52, 1, 3, 255};
	len = mk(pkt, CIADDR, NULL, 0, opts, sizeof(opts));
	memcpy(pkt + 108, loop, sizeof(loop));
	CHECK_INT(lwbs_dhcp4_parse(pkt, len, &m), -EBADMSG);
	/* overloaded file without End */
	len = mk(pkt, CIADDR, NULL, 0, opts1, sizeof(opts1));
	memset(pkt + 108, 0, 128);
	pkt[108] = 55;
	pkt[109] = 1;
	pkt[110] = 125;
	memset(pkt + 111, 0, 128 - 3);
	CHECK_INT(lwbs_dhcp4_parse(pkt, len, &m), LWBS_ETRUNC);
	/* option running past the end of the file field */
	pkt[108 + 126] = 12;
	pkt[108 + 127] = 5;
	CHECK(lwbs_dhcp4_parse(pkt, len, &m) < 0);
	/* 52 twice, bad value */
	static const uint8_t twice[] = {53, 1, 8, 52, 1, 1, 52, 1, 1, 255};
	len = mk(pkt, CIADDR, NULL, 0, twice, sizeof(twice));
	memset(pkt + 44, 0, 192);
	pkt[108] = 255;
	CHECK_INT(lwbs_dhcp4_parse(pkt, len, &m), -EBADMSG);
	static const uint8_t bad[] = {53, 1, 8, 52, 1, 4, 255};
	len = mk(pkt, CIADDR, NULL, 0, bad, sizeof(bad));
	CHECK_INT(lwbs_dhcp4_parse(pkt, len, &m), -EBADMSG);
}

static void test_malformed(void)
{
	static const uint8_t opts[] = {53, 1, 8, 61, 3, 1, 2, 3, 55, 2, 1, 125, 0, 0, 255};
	uint8_t pkt[600];
	struct lwbs_dhcp4_msg m;
	size_t len = mk(pkt, CIADDR, NULL, 0, opts, sizeof(opts));

	CHECK_INT(lwbs_dhcp4_parse(pkt, len, &m), 0);
	/* every strict prefix fails; exact-size heap copies so ASan sees overreads */
	for (size_t n = 0; n < len; n++) {
		uint8_t *cp = malloc(n ? n : 1);
		memcpy(cp, pkt, n);
		int rc = lwbs_dhcp4_parse(cp, n, &m);
		if (rc >= 0)
			fprintf(stderr, "prefix %zu parsed\n", n);
		CHECK(rc < 0);
		free(cp);
	}
	/* option length past the end */
	static const uint8_t past[] = {53, 1, 8, 55, 20, 1, 255};
	len = mk(pkt, CIADDR, NULL, 0, past, sizeof(past));
	CHECK_INT(lwbs_dhcp4_parse(pkt, len, &m), LWBS_ELENGTH);
	/* bad cookie, hlen > 16, wrong fixed lengths, duplicates */
	len = mk(pkt, CIADDR, NULL, 0, opts, sizeof(opts));
	pkt[239] = 0x64;
	CHECK_INT(lwbs_dhcp4_parse(pkt, len, &m), -EBADMSG);
	pkt[239] = 0x63;
	pkt[2] = 17;
	CHECK_INT(lwbs_dhcp4_parse(pkt, len, &m), -EBADMSG);
	static const uint8_t t2[] = {53, 2, 8, 8, 255};
	static const uint8_t dup53[] = {53, 1, 8, 53, 1, 8, 255};
	static const uint8_t sid3[] = {53, 1, 8, 54, 3, 1, 2, 3, 255};
	static const uint8_t prl0[] = {53, 1, 8, 55, 0, 255};
	len = mk(pkt, CIADDR, NULL, 0, t2, sizeof(t2));
	CHECK_INT(lwbs_dhcp4_parse(pkt, len, &m), -EBADMSG);
	len = mk(pkt, CIADDR, NULL, 0, dup53, sizeof(dup53));
	CHECK_INT(lwbs_dhcp4_parse(pkt, len, &m), -EBADMSG);
	len = mk(pkt, CIADDR, NULL, 0, sid3, sizeof(sid3));
	CHECK_INT(lwbs_dhcp4_parse(pkt, len, &m), -EBADMSG);
	len = mk(pkt, CIADDR, NULL, 0, prl0, sizeof(prl0));
	CHECK_INT(lwbs_dhcp4_parse(pkt, len, &m), -EBADMSG);
	/* RFC 3396: a split client id is concatenated, up to 255 bytes */
	uint8_t split[3 + 2 + 200 + 2 + 55 + 3 + 1];
	size_t k = 0;
	split[k++] = 53; split[k++] = 1; split[k++] = 8;
	split[k++] = 61; split[k++] = 200; memset(split + k, 'a', 200); k += 200;
	split[k++] = 61; split[k++] = 55; memset(split + k, 'b', 55); k += 55;
	split[k++] = 255;
	len = mk(pkt, CIADDR, NULL, 0, split, k);
	CHECK_INT(lwbs_dhcp4_parse(pkt, len, &m), 0);
	CHECK_INT(m.client_id_len, 255);
	CHECK_INT(m.client_id[254], 'b');
	/* one byte more does not fit */
	k--;
	split[k++] = 61; split[k++] = 1; split[k++] = 'c';
	split[k++] = 255;
	len = mk(pkt, CIADDR, NULL, 0, split, k);
	CHECK_INT(lwbs_dhcp4_parse(pkt, len, &m), -EBADMSG);
}

static void test_small_buffer(void)
{
	static const uint8_t opts[] = {53, 1, 8, 55, 1, 125, 255};
	uint8_t pkt[600], out[1500];
	size_t len = mk(pkt, CIADDR, NULL, 0, opts, sizeof(opts));
	struct lwbs_dhcp_policy pol = vivso(false);
	struct lwbs_dhcp4_msg m;
	struct lwbs_buf b;
	CHECK_INT(lwbs_dhcp4_parse(pkt, len, &m), 0);
	for (size_t cap = 0; cap < 300; cap += 7) {
		lwbs_buf_init_fixed(&b, out, cap);
		CHECK_INT(lwbs_dhcp4_answer(&m, &pol, SID, CIADDR, &b), -ENOBUFS);
		CHECK_INT(b.len, 0);
	}
}

TEST_MAIN(test_inform_125, test_inform_no_prl, test_option_carrier, test_dropped, test_relayed,
	  test_overload, test_malformed, test_small_buffer)
