/* DNS answers as dns check reads them: A, AAAA, NS, SRV, URI (RFC 7553 §4),
 * TXT, name compression, and truncation at every byte. */
#include <errno.h>

#include "lwbs/dns.h"
#include "lwbs/err.h"
#include "../test.h"

/* Response to "_coaps._udp.bsf.mnc015.mcc234.pub.3gppnetwork.org URI":
 * header, question, two URI answers (owner compressed to the question),
 * one SRV answer of another type that must be ignored. */
static const uint8_t uri_msg[] = {
	0x12, 0x34, 0x84, 0x00, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
	/* question at 12 */
	6, '_', 'c', 'o', 'a', 'p', 's', 4, '_', 'u', 'd', 'p',
	3, 'b', 's', 'f', 6, 'm', 'n', 'c', '0', '1', '5', 6, 'm', 'c', 'c', '2', '3', '4',
	3, 'p', 'u', 'b', 11, '3', 'g', 'p', 'p', 'n', 'e', 't', 'w', 'o', 'r', 'k', 3, 'o', 'r', 'g', 0,
	0x01, 0x00, 0x00, 0x01,
	/* answer 1: URI 10 1 "coaps://h:5684" TTL 300 */
	0xc0, 0x0c, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x12,
	0x00, 0x0a, 0x00, 0x01, 'c', 'o', 'a', 'p', 's', ':', '/', '/', 'h', ':', '5', '6', '8', '4',
	/* answer 2: URI 20 0 "a\"b" in upper-case owner via pointer to "BSF..." label */
	0xc0, 0x0c, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x07,
	0x00, 0x14, 0x00, 0x00, 'a', '"', 'b',
	/* answer 3: SRV at the same owner: not the queried type */
	0xc0, 0x0c, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x08,
	0x00, 0x0a, 0x00, 0x0a, 0x16, 0x34, 0xc0, 0x18,
};
#define QNAME "_coaps._udp.bsf.mnc015.mcc234.pub.3gppnetwork.org."

static void test_uri(void)
{
	struct lwbs_arena *a = lwbs_arena_create(0);
	struct lwbs_dns_answer ans;

	CHECK_INT(lwbs_dns_answer_parse(uri_msg, sizeof(uri_msg), QNAME, LWBS_DNS_T_URI, a, &ans), 0);
	CHECK_INT(ans.rcode, 0);
	CHECK(ans.aa);
	CHECK_INT(ans.n, 2);
	CHECK_STR(ans.rrs[0].owner, QNAME);
	CHECK_INT(ans.rrs[0].ttl, 300);
	CHECK_STR(ans.rrs[0].rdata, "10 1 \"coaps://h:5684\"");
	CHECK_STR(ans.rrs[1].rdata, "20 0 \"a\\\"b\"");
	CHECK_INT(ans.rrs[1].ttl, 60);
	/* the SRV answer, asked for as SRV; its target is compressed */
	CHECK_INT(lwbs_dns_answer_parse(uri_msg, sizeof(uri_msg), QNAME, LWBS_DNS_T_SRV, a, &ans), 0);
	CHECK_INT(ans.n, 1);
	CHECK_STR(ans.rrs[0].rdata, "10 10 5684 bsf.mnc015.mcc234.pub.3gppnetwork.org.");
	/* another name: nothing */
	CHECK_INT(lwbs_dns_answer_parse(uri_msg, sizeof(uri_msg), "x.", LWBS_DNS_T_URI, a, &ans), 0);
	CHECK_INT(ans.n, 0);
	lwbs_arena_destroy(a);
}

static void test_truncation(void)
{
	struct lwbs_arena *a = lwbs_arena_create(0);
	struct lwbs_dns_answer ans;

	for (size_t n = 0; n < sizeof(uri_msg); n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, uri_msg, n);
		int r = lwbs_dns_answer_parse(copy, n, QNAME, LWBS_DNS_T_URI, a, &ans);
		CHECK_INT(r, -EBADMSG);
		free(copy);
	}
	lwbs_arena_destroy(a);
}

static void test_bad(void)
{
	struct lwbs_arena *a = lwbs_arena_create(0);
	struct lwbs_dns_answer ans;
	uint8_t m[sizeof(uri_msg)];

	/* a query (QR clear) is not an answer */
	memcpy(m, uri_msg, sizeof(m));
	m[2] = 0x04;
	CHECK_INT(lwbs_dns_answer_parse(m, sizeof(m), QNAME, LWBS_DNS_T_URI, a, &ans), -EBADMSG);
	/* a forward compression pointer */
	memcpy(m, uri_msg, sizeof(m));
	m[sizeof(m) - 1] = 0xf0;
	CHECK_INT(lwbs_dns_answer_parse(m, sizeof(m), QNAME, LWBS_DNS_T_SRV, a, &ans), -EBADMSG);
	/* a pointer to itself */
	static const uint8_t loop[] = {0, 0, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
	CHECK_INT(lwbs_dns_answer_parse(loop, sizeof(loop), "a.", 1, a, &ans), -EBADMSG);
	lwbs_arena_destroy(a);
}

static void test_rdata(void)
{
	struct lwbs_buf b;
	static const uint8_t a4[] = {192, 0, 2, 10};
	static const uint8_t a6[] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
	static const uint8_t txt[] = {3, 'a', 'b', 'c', 0, 2, 0x01, 0xff};
	static const uint8_t ns[] = {3, 'N', 'S', '1', 2, 'e', 'x', 0};
	static const uint8_t uri_empty[] = {0, 1, 0, 1};

	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_dns_rdata_format(a4, 4, 0, 4, LWBS_DNS_T_A, &b), 0);
	CHECK_INT(lwbs_dns_rdata_format(a6, 16, 0, 16, LWBS_DNS_T_AAAA, &b), 0);
	lwbs_buf_putc(&b, 0);
	CHECK_STR((char *)b.data, "192.0.2.102001:db8::10");
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_dns_rdata_format(txt, sizeof(txt), 0, sizeof(txt), LWBS_DNS_T_TXT, &b), 0);
	lwbs_buf_putc(&b, 0);
	CHECK_STR((char *)b.data, "\"abc\" \"\" \"\\001\\255\"");
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_dns_rdata_format(ns, sizeof(ns), 0, sizeof(ns), LWBS_DNS_T_NS, &b), 0);
	lwbs_buf_putc(&b, 0);
	CHECK_STR((char *)b.data, "ns1.ex.");
	CHECK_INT(lwbs_dns_rdata_format(ns, sizeof(ns), 0, sizeof(ns) - 1, LWBS_DNS_T_NS, &b), -EBADMSG);
	CHECK_INT(lwbs_dns_rdata_format(a4, 4, 0, 3, LWBS_DNS_T_A, &b), -EBADMSG);
	CHECK_INT(lwbs_dns_rdata_format(a4, 4, 0, 4, LWBS_DNS_T_AAAA, &b), -EBADMSG);
	CHECK_INT(lwbs_dns_rdata_format(txt, sizeof(txt), 0, sizeof(txt) - 1, LWBS_DNS_T_TXT, &b),
		  -EBADMSG);
	CHECK_INT(lwbs_dns_rdata_format(uri_empty, 4, 0, 4, LWBS_DNS_T_URI, &b), -EBADMSG);
	CHECK_INT(lwbs_dns_rdata_format(a4, 4, 0, 8, LWBS_DNS_T_A, &b), -EBADMSG);
	CHECK_INT(lwbs_dns_rdata_format(a4, 4, 0, 4, 99, &b), -ENOTSUP);
	lwbs_buf_finish(&b);
}

TEST_MAIN(test_uri, test_truncation, test_bad, test_rdata)
