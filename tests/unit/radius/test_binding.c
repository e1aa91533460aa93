/* lwbs — RADIUS binding extraction: every attribute, every refusal. */
#include <errno.h>

#include "lwbs/radius.h"
#include "../test.h"
#include "vectors.h"

static struct lwbs_radius_packet pkt;
static uint8_t dgram[4096];

/* Parses the attribute list as an Accounting-Request and extracts. */
static int extract(const struct alist *l, struct lwbs_radius_binding *b,
		   enum lwbs_radius_reason *why)
{
	size_t n = make_acct(dgram, 7, l->b, l->n);
	if (lwbs_radius_parse(dgram, n, &pkt) != 0)
		return -999;
	return lwbs_radius_binding_extract(&pkt, b, why);
}

static void base(struct alist *l, uint32_t status)
{
	static const uint8_t nas[4] = {192, 0, 2, 1}, ip[4] = {10, 1, 2, 3};
	l->n = 0;
	a_int(l, 40, status);
	a_raw(l, 4, nas, 4);
	a_raw(l, 8, ip, 4);
	a_str(l, 44, "S1");
}

static void test_std_vector(void)
{
	struct lwbs_radius_binding b;
	enum lwbs_radius_reason why = LWBS_RADIUS_R__COUNT;
	CHECK_INT(lwbs_radius_parse(std_start, sizeof(std_start), &pkt), 0);
	CHECK_INT(lwbs_radius_binding_extract(&pkt, &b, &why), 0);
	CHECK_INT(why, LWBS_RADIUS_R_OK);
	check_std_start(&b);
	CHECK_INT(b.has, LWBS_RADIUS_HAS_IPV4 | LWBS_RADIUS_HAS_NAS_IPV4);
	CHECK_STR(b.imeisv, "");
	CHECK_STR(b.nas_id, "");
	CHECK_INT(b.uli_len, 0);

	CHECK_INT(lwbs_radius_parse(rc_start, sizeof(rc_start), &pkt), 0);
	CHECK_INT(lwbs_radius_binding_extract(&pkt, &b, &why), 0);
	CHECK_STR(b.imeisv, "3520990012345601");
	CHECK(b.has & LWBS_RADIUS_HAS_RAT);
	CHECK_INT(b.rat_type, 6);

	CHECK_INT(lwbs_radius_parse(rc_status, sizeof(rc_status), &pkt), 0);
	CHECK_INT(lwbs_radius_binding_extract(&pkt, &b, &why), -EBADMSG);
	CHECK_INT(why, LWBS_RADIUS_R_NOT_ACCOUNTING);
}

static void test_all_fields(void)
{
	struct alist l = {0};
	static const uint8_t nas6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	/* RFC 3162: reserved, prefix-length, prefix; bits past /60 set on
	 * purpose and masked off. */
	static const uint8_t pfx[10] = {0, 60, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0xab, 0xff};
	static const uint8_t uli[13] = {130, 0x62, 0xf2, 0x10, 0x12, 0x34,
					0x62, 0xf2, 0x10, 0x01, 0x23, 0x45, 0x67};
	static const uint8_t cid[4] = {0xde, 0xad, 0xbe, 0xef}, rat = 8;
	a_int(&l, 40, 3);
	a_raw(&l, 95, nas6, 16);
	a_str(&l, 32, "pgw-1.example");
	a_raw(&l, 97, pfx, sizeof(pfx));
	a_str(&l, 31, "+4915112345678");
	a_str(&l, 30, "iot.mnc001.mcc262.gprs");
	a_str(&l, 44, "0A000001-00000042");
	a_int(&l, 55, 1646138096);
	a_3gpp_str(&l, 1, "310410123456789");
	a_3gpp(&l, 2, cid, 4);
	a_3gpp_str(&l, 8, "310410");
	a_3gpp_str(&l, 18, "26202");
	a_3gpp_str(&l, 20, "35209900123456");
	a_3gpp(&l, 21, &rat, 1);
	a_3gpp(&l, 22, uli, sizeof(uli));
	/* Another vendor's VSA and an unknown IETF attribute are ignored. */
	a_raw(&l, 26, "\x00\x00\x00\x09\x01\x03x", 7);
	a_int(&l, 46, 600);

	struct lwbs_radius_binding b;
	enum lwbs_radius_reason why;
	CHECK_INT(extract(&l, &b, &why), 0);
	CHECK_INT(b.status, LWBS_RADIUS_INTERIM);
	CHECK_INT(b.has, LWBS_RADIUS_HAS_IPV6 | LWBS_RADIUS_HAS_NAS_IPV6 |
				 LWBS_RADIUS_HAS_CHARGING_ID | LWBS_RADIUS_HAS_RAT |
				 LWBS_RADIUS_HAS_EVENT_TIME);
	static const uint8_t want6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0xab, 0xf0};
	CHECK_MEM(b.ipv6, 16, want6, 16);
	CHECK_INT(b.ipv6_plen, 60);
	CHECK_MEM(b.nas_ipv6, 16, nas6, 16);
	CHECK_STR(b.nas_id, "pgw-1.example");
	CHECK_STR(b.msisdn, "4915112345678");
	CHECK_STR(b.apn, "iot.mnc001.mcc262.gprs");
	CHECK_STR(b.session_id, "0A000001-00000042");
	CHECK_INT(b.event_time, 1646138096);
	CHECK_STR(b.imsi, "310410123456789");
	CHECK_INT(b.charging_id, 0xdeadbeefu);
	CHECK_STR(b.mcc_mnc, "310410");
	CHECK_STR(b.sgsn_mcc_mnc, "26202");
	CHECK_STR(b.imeisv, "35209900123456");
	CHECK_INT(b.rat_type, 8);
	CHECK_MEM(b.uli, b.uli_len, uli, sizeof(uli));

	/* Several sub-attributes in one Vendor-Specific attribute. */
	base(&l, 1);
	a_raw(&l, 26, "\x00\x00\x28\xaf\x01\x08" "262019\x08\x07" "26201", 19);
	CHECK_INT(extract(&l, &b, &why), 0);
	CHECK_STR(b.imsi, "262019");
	CHECK_STR(b.mcc_mnc, "26201");

	/* Too long a User-Location-Info is dropped, not refused. */
	uint8_t big[40] = {130};
	base(&l, 1);
	a_3gpp(&l, 22, big, sizeof(big));
	CHECK_INT(extract(&l, &b, &why), 0);
	CHECK_INT(b.uli_len, 0);

	/* On/Off need only the NAS. */
	l.n = 0;
	a_int(&l, 40, 7);
	a_str(&l, 32, "pgw-1");
	CHECK_INT(extract(&l, &b, &why), 0);
	CHECK_INT(b.status, LWBS_RADIUS_ACCT_ON);
	CHECK_STR(b.nas_id, "pgw-1");

	/* Framed-IP-Address "NAS selects" does not count; the v6 prefix does. */
	base(&l, 1);
	l.n = 0;
	a_int(&l, 40, 1);
	a_str(&l, 32, "pgw-1");
	a_str(&l, 44, "S");
	a_raw(&l, 8, "\xff\xff\xff\xfe", 4);
	a_raw(&l, 97, "\x00\x40\x20\x01\x0d\xb8\x00\x00\x00\x07", 10);
	CHECK_INT(extract(&l, &b, &why), 0);
	CHECK_INT(b.has & LWBS_RADIUS_HAS_IPV4, 0);
	CHECK_INT(b.ipv6_plen, 64);
}

struct refusal {
	const char *what;
	enum lwbs_radius_reason why;
};

static void refuse(struct alist *l, enum lwbs_radius_reason want, const char *name, int line)
{
	struct lwbs_radius_binding b;
	enum lwbs_radius_reason why = LWBS_RADIUS_R_OK;
	int rc = extract(l, &b, &why);
	if (rc != -EBADMSG || why != want) {
		fprintf(stderr, "line %d: rc %d why %s, want %s\n", line, rc,
			lwbs_radius_reason_str(why), name);
		test_failures++;
	}
	test_checks++;
	CHECK_STR(lwbs_radius_reason_str(want), name);
}

#define REFUSE(l, r, name) refuse(l, r, name, __LINE__)

static void test_refusals(void)
{
	struct alist l = {0};
	a_str(&l, 44, "S1");
	a_raw(&l, 8, "\x0a\x00\x00\x01", 4);
	a_str(&l, 32, "n");
	REFUSE(&l, LWBS_RADIUS_R_NO_STATUS, "no_status");

	base(&l, 15);
	REFUSE(&l, LWBS_RADIUS_R_UNSUPPORTED_STATUS, "unsupported_status");

	l.n = 0;
	a_int(&l, 40, 1);
	a_str(&l, 32, "n");
	a_str(&l, 44, "S1");
	a_raw(&l, 8, "\xff\xff\xff\xff", 4);
	REFUSE(&l, LWBS_RADIUS_R_NO_ADDRESS, "no_address");

	l.n = 0;
	a_int(&l, 40, 2);
	a_raw(&l, 8, "\x0a\x00\x00\x01", 4);
	a_str(&l, 44, "S1");
	REFUSE(&l, LWBS_RADIUS_R_NO_NAS, "no_nas");
	l.n = 0;
	a_int(&l, 8, 0x0a000001);
	a_int(&l, 40, 8);
	REFUSE(&l, LWBS_RADIUS_R_NO_NAS, "no_nas");

	l.n = 0;
	a_int(&l, 40, 3);
	a_str(&l, 32, "n");
	a_int(&l, 8, 0x0a000001);
	REFUSE(&l, LWBS_RADIUS_R_NO_SESSION_ID, "no_session_id");

	base(&l, 1);
	a_3gpp_str(&l, 1, "2620112345678901");
	REFUSE(&l, LWBS_RADIUS_R_BAD_IMSI, "bad_imsi");
	base(&l, 1);
	a_3gpp_str(&l, 1, "26201123456789A");
	REFUSE(&l, LWBS_RADIUS_R_BAD_IMSI, "bad_imsi");
	base(&l, 1);
	a_3gpp_str(&l, 1, "26201");
	REFUSE(&l, LWBS_RADIUS_R_BAD_IMSI, "bad_imsi");

	base(&l, 1);
	a_3gpp_str(&l, 8, "2620");
	REFUSE(&l, LWBS_RADIUS_R_BAD_MCC_MNC, "bad_mcc_mnc");
	base(&l, 1);
	a_3gpp_str(&l, 1, "262011234567890");
	a_3gpp_str(&l, 8, "26202");
	REFUSE(&l, LWBS_RADIUS_R_MCC_MNC_MISMATCH, "mcc_mnc_mismatch");
	base(&l, 1);
	a_3gpp_str(&l, 18, "262-01");
	REFUSE(&l, LWBS_RADIUS_R_BAD_SGSN_MCC_MNC, "bad_sgsn_mcc_mnc");
	base(&l, 1);
	a_3gpp_str(&l, 20, "3520990012345");
	REFUSE(&l, LWBS_RADIUS_R_BAD_IMEISV, "bad_imeisv");
	base(&l, 1);
	a_str(&l, 31, "49 170");
	REFUSE(&l, LWBS_RADIUS_R_BAD_MSISDN, "bad_msisdn");
	base(&l, 1);
	a_str(&l, 31, "4917012345678901");
	REFUSE(&l, LWBS_RADIUS_R_BAD_MSISDN, "bad_msisdn");
	base(&l, 1);
	a_str(&l, 30, "bad apn");
	REFUSE(&l, LWBS_RADIUS_R_BAD_APN, "bad_apn");
	base(&l, 1);
	char longapn[102];
	memset(longapn, 'a', 101);
	longapn[101] = 0;
	a_str(&l, 30, longapn);
	REFUSE(&l, LWBS_RADIUS_R_BAD_APN, "bad_apn");
	base(&l, 1);
	a_raw(&l, 32, "a\0b", 3);
	REFUSE(&l, LWBS_RADIUS_R_BAD_NAS_ID, "bad_nas_id");
	l.n = 0;
	a_int(&l, 40, 1);
	a_str(&l, 32, "n");
	a_int(&l, 8, 0x0a000001);
	a_raw(&l, 44, "S\n", 2);
	REFUSE(&l, LWBS_RADIUS_R_BAD_SESSION_ID, "bad_session_id");

	base(&l, 1);
	a_int(&l, 8, 0x0a000002);
	REFUSE(&l, LWBS_RADIUS_R_DUPLICATE_ATTR, "duplicate_attr");
	base(&l, 1);
	a_3gpp_str(&l, 1, "262011234567890");
	a_3gpp_str(&l, 1, "262011234567890");
	REFUSE(&l, LWBS_RADIUS_R_DUPLICATE_ATTR, "duplicate_attr");

	l.n = 0;
	a_int(&l, 40, 1);
	a_raw(&l, 4, "\x01\x02\x03", 3);
	REFUSE(&l, LWBS_RADIUS_R_BAD_ATTR_LENGTH, "bad_attr_length");
	base(&l, 1);
	a_raw(&l, 55, "", 0);
	REFUSE(&l, LWBS_RADIUS_R_BAD_ATTR_LENGTH, "bad_attr_length");
	base(&l, 1);
	a_3gpp(&l, 21, "\x06\x00", 2);
	REFUSE(&l, LWBS_RADIUS_R_BAD_ATTR_LENGTH, "bad_attr_length");

	base(&l, 1);
	a_raw(&l, 26, "\x00\x00\x28\xaf\x01\x01", 6);
	REFUSE(&l, LWBS_RADIUS_R_BAD_VSA, "bad_vsa");
	base(&l, 1);
	a_raw(&l, 26, "\x00\x00\x28\xaf\x01\x09" "1234", 10);
	REFUSE(&l, LWBS_RADIUS_R_BAD_VSA, "bad_vsa");
	base(&l, 1);
	a_raw(&l, 26, "\x00\x00\x28\xaf", 4);
	REFUSE(&l, LWBS_RADIUS_R_BAD_VSA, "bad_vsa");

	base(&l, 1);
	a_raw(&l, 97, "\x00\x00", 2);
	REFUSE(&l, LWBS_RADIUS_R_BAD_IPV6_PREFIX, "bad_ipv6_prefix");
	base(&l, 1);
	a_raw(&l, 97, "\x00\x41\x20\x01\x0d\xb8\x00\x00\x00\x07", 10);
	REFUSE(&l, LWBS_RADIUS_R_BAD_IPV6_PREFIX, "bad_ipv6_prefix");
	base(&l, 1);
	a_raw(&l, 97, "\x00", 1);
	REFUSE(&l, LWBS_RADIUS_R_BAD_ATTR_LENGTH, "bad_attr_length");

	CHECK_STR(lwbs_radius_reason_str(LWBS_RADIUS_R__COUNT), "unknown");
	for (int r = 0; r < LWBS_RADIUS_R__COUNT; r++)
		CHECK(lwbs_radius_reason_str((enum lwbs_radius_reason)r) != NULL);
}

static void test_same_nas(void)
{
	struct lwbs_radius_binding a = {0}, b = {0};
	CHECK(!lwbs_radius_same_nas(&a, &b));
	a.has = b.has = LWBS_RADIUS_HAS_NAS_IPV4;
	memcpy(a.nas_ipv4, "\x01\x02\x03\x04", 4);
	memcpy(b.nas_ipv4, "\x01\x02\x03\x04", 4);
	CHECK(lwbs_radius_same_nas(&a, &b));
	strcpy(a.nas_id, "x");
	CHECK(lwbs_radius_same_nas(&a, &b));
	strcpy(b.nas_id, "y");
	CHECK(!lwbs_radius_same_nas(&a, &b));
	b.nas_ipv4[3] = 5;
	strcpy(b.nas_id, "x");
	CHECK(!lwbs_radius_same_nas(&a, &b));
}

TEST_MAIN(test_std_vector, test_all_fields, test_refusals, test_same_nas)
