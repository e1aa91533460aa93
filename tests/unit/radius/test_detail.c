/* lwbs — FreeRADIUS detail file reader (STANDARDS §6.7). */
#include <errno.h>

#include "lwbs/err.h"
#include "lwbs/radius.h"
#include "../test.h"
#include "vectors.h"

static const char file[] =
	"Tue Mar  1 12:34:56 2022\n"
	"\tAcct-Status-Type = Start\n"
	"\tNAS-IP-Address = 192.0.2.1\n"
	"\tFramed-IP-Address = 10.20.30.40\n"
	"\tCalling-Station-Id = \"491701234567\"\n"
	"\tCalled-Station-Id = \"lwm2m.example\"\n"
	"\tAcct-Session-Id = \"C0000201000001F4\"\n"
	"\tFramed-Protocol = GPRS-PDP-Context\n"
	"\tNAS-Port-Type = Wireless-UMTS\n"
	"\t3GPP-IMSI = \"262011234567890\"\n"
	"\t3GPP-IMSI-MCC-MNC = \"26201\"\n"
	"\t3GPP-SGSN-MCC-MNC = \"26202\"\n"
	"\t3GPP-IMEISV = \"3520990012345601\"\n"
	"\t3GPP-RAT-Type = EUTRAN\n"
	"\t3GPP-Charging-ID = 3735928559\n"
	"\t3GPP-MS-Time-Zone = 0x2300\n"
	"\t3GPP-User-Location-Info = 0x8262f2100001" "62f21000012345\n"
	"\tEvent-Timestamp = \"Mar  1 2022 12:34:56 CET\"\n"
	"\tFreeradius-Proxied-To = 127.0.0.1\n"
	"\tAcct-Unique-Session-Id = \"4f6b0c1e8e2f4d7a\"\n"
	"\tTimestamp = 1646138096\n"
	"\n"
	/* odd spacing, CRLF, extra blank lines, Attr- forms, escapes */
	"Tue Mar  1 12:40:00 2022\r\n"
	"    Acct-Status-Type   =   Interim-Update  \r\n"
	"\tNAS-Identifier = \"pgw\\0401\"\n"
	"\tNAS-IPv6-Address = 2001:db8::1\n"
	"\tFramed-IPv6-Prefix = 2001:db8:0:1::/64\n"
	"\tAcct-Session-Id = \"sess\\\"2\\\\\"\n"
	"\tAttr-26.10415.1 = 0x323632303131323334353637383931\n"
	"\tAttr-26.10415.99 = 0x0102\n"
	"\tAttr-26.9.1 = 0x61\n"
	"\tAttr-8 = 0x0a000063\n"
	"\tEvent-Timestamp = 1646138400\n"
	"\tTimestamp = 1646138401\n"
	"\n\n\n"
	"Tue Mar  1 12:50:00 2022\n"
	"\tPacket-Type = Accounting-Request\n"
	"\tAcct-Status-Type = Accounting-Off\n"
	"\tNAS-IP-Address = 192.0.2.1\n"
	"\tTimestamp = 1646139000\n";

static void test_records(void)
{
	struct lwbs_radius_detail d;
	struct lwbs_radius_binding b;
	enum lwbs_radius_reason why;
	lwbs_radius_detail_init(&d, file, sizeof(file) - 1);

	CHECK_INT(lwbs_radius_detail_next(&d, &b, &why), 0);
	CHECK_INT(d.rec_line, 1);
	check_std_start(&b);
	CHECK_STR(b.sgsn_mcc_mnc, "26202");
	CHECK_STR(b.imeisv, "3520990012345601");
	CHECK_INT(b.rat_type, 6);
	CHECK_INT(b.charging_id, 3735928559u);
	CHECK_MEM(b.uli, b.uli_len, "\x82\x62\xf2\x10\x00\x01\x62\xf2\x10\x00\x01\x23\x45", 13);
	CHECK_INT(b.event_time, 1646138096); /* text date: the Timestamp */

	CHECK_INT(lwbs_radius_detail_next(&d, &b, &why), 0);
	CHECK_INT(d.rec_line, 23);
	CHECK_INT(b.status, LWBS_RADIUS_INTERIM);
	CHECK_STR(b.nas_id, "pgw 1");
	CHECK_STR(b.session_id, "sess\"2\\");
	CHECK_STR(b.imsi, "262011234567891");
	CHECK_MEM(b.ipv4, 4, "\x0a\x00\x00\x63", 4);
	CHECK_INT(b.ipv6_plen, 64);
	CHECK_MEM(b.ipv6, 8, "\x20\x01\x0d\xb8\x00\x00\x00\x01", 8);
	CHECK(b.has & LWBS_RADIUS_HAS_NAS_IPV6);
	CHECK_INT(b.event_time, 1646138400);

	CHECK_INT(lwbs_radius_detail_next(&d, &b, &why), 0);
	CHECK_INT(d.rec_line, 38);
	CHECK_INT(b.status, LWBS_RADIUS_ACCT_OFF);
	CHECK_INT(lwbs_radius_detail_next(&d, &b, &why), -ENOENT);
	CHECK_INT(d.pos, sizeof(file) - 1);
}

/* Each text must give err at line. */
static void expect(const char *text, int err, unsigned line, enum lwbs_radius_reason why_want,
		   int at)
{
	struct lwbs_radius_detail d;
	struct lwbs_radius_binding b;
	enum lwbs_radius_reason why = LWBS_RADIUS_R_OK;
	lwbs_radius_detail_init(&d, text, strlen(text));
	int rc = lwbs_radius_detail_next(&d, &b, &why);
	if (rc != err || (err == LWBS_ESYNTAX && d.err_line != line) ||
	    (err == -EBADMSG && why != why_want)) {
		fprintf(stderr, "case at line %d: rc %d err_line %u why %s\n", at, rc, d.err_line,
			lwbs_radius_reason_str(why));
		test_failures++;
	}
	test_checks++;
}

#define H "Tue Mar  1 12:34:56 2022\n"
#define OK_BODY "\tAcct-Status-Type = Start\n\tNAS-IP-Address = 192.0.2.1\n" \
	"\tFramed-IP-Address = 10.0.0.1\n\tAcct-Session-Id = \"s\"\n"

static void test_errors(void)
{
	expect(H OK_BODY "\tTimestamp = 1\n", 0, 0, 0, __LINE__);
	expect(H OK_BODY "\tNo-Equals-Sign\n", LWBS_ESYNTAX, 6, 0, __LINE__);
	expect(H OK_BODY "\tX = \"unterminated\n", LWBS_ESYNTAX, 6, 0, __LINE__);
	expect(H OK_BODY "\tX = \"a\" trailing\n", LWBS_ESYNTAX, 6, 0, __LINE__);
	expect(H OK_BODY "\tX = \"bad \\q escape\"\n", LWBS_ESYNTAX, 6, 0, __LINE__);
	expect(H OK_BODY "\tX = 0x123\n", LWBS_ESYNTAX, 6, 0, __LINE__);
	expect(H OK_BODY "\tX = 0xzz\n", LWBS_ESYNTAX, 6, 0, __LINE__);
	expect(H OK_BODY "\tX =\n", LWBS_ESYNTAX, 6, 0, __LINE__);
	expect(H OK_BODY "\t = 1\n", LWBS_ESYNTAX, 6, 0, __LINE__);
	expect(H "\tAcct-Status-Type = Begin\n", LWBS_ESYNTAX, 2, 0, __LINE__);
	expect(H "\tFramed-IP-Address = 10.0.0.256\n", LWBS_ESYNTAX, 2, 0, __LINE__);
	expect(H "\tFramed-IPv6-Prefix = 2001:db8::/129\n", LWBS_ESYNTAX, 2, 0, __LINE__);
	expect(H "\tFramed-IPv6-Prefix = 2001:db8::\n", LWBS_ESYNTAX, 2, 0, __LINE__);
	expect(H "\t3GPP-Charging-ID = 4294967296\n", LWBS_ESYNTAX, 2, 0, __LINE__);
	expect(H "\t3GPP-RAT-Type = 256\n", LWBS_ESYNTAX, 2, 0, __LINE__);
	expect(H "\tTimestamp = soon\n", LWBS_ESYNTAX, 2, 0, __LINE__);
	expect(H "\tAttr-26.10415.1 = \"262011234567890\"\n", LWBS_ESYNTAX, 2, 0, __LINE__);
	expect(H "\tAttr-26.x.1 = 0x00\n", LWBS_ESYNTAX, 2, 0, __LINE__);
	expect(H "\tAttr-300 = 0x00\n", LWBS_ESYNTAX, 2, 0, __LINE__);
	expect(H OK_BODY "Not indented\n", LWBS_ESYNTAX, 6, 0, __LINE__);
	expect("\tAcct-Status-Type = Start\n", LWBS_ESYNTAX, 1, 0, __LINE__);
	/* Unfinished last line: a file still being written. */
	expect(H OK_BODY "\tTimestamp = 1", LWBS_ETRUNC, 0, 0, __LINE__);
	expect("Tue Mar", LWBS_ETRUNC, 0, 0, __LINE__);
	expect("", -ENOENT, 0, 0, __LINE__);
	expect("\n \n\t\n", -ENOENT, 0, 0, __LINE__);
	/* Well-formed records that give no binding. */
	expect(H "\tPacket-Type = Access-Request\n" OK_BODY, -EBADMSG, 0,
	       LWBS_RADIUS_R_NOT_ACCOUNTING, __LINE__);
	expect(H "\tNAS-IP-Address = 192.0.2.1\n", -EBADMSG, 0, LWBS_RADIUS_R_NO_STATUS, __LINE__);
	expect(H OK_BODY "\t3GPP-IMSI = \"26201x\"\n", -EBADMSG, 0, LWBS_RADIUS_R_BAD_IMSI,
	       __LINE__);
	expect(H OK_BODY "\tAttr-26.10415.1 = 0x3236\n", -EBADMSG, 0, LWBS_RADIUS_R_BAD_IMSI,
	       __LINE__);
	expect(H "\tAcct-Status-Type = Failed\n", -EBADMSG, 0, LWBS_RADIUS_R_UNSUPPORTED_STATUS,
	       __LINE__);
}

/* After an error the reader continues with the next record; a truncated
 * record leaves pos at its start so that the caller can retry. */
static void test_resync(void)
{
	static const char text[] = H "\tbroken line\n\tTimestamp = 1\n\n" H OK_BODY "\n" H OK_BODY;
	struct lwbs_radius_detail d;
	struct lwbs_radius_binding b;
	enum lwbs_radius_reason why;
	lwbs_radius_detail_init(&d, text, sizeof(text) - 1);
	CHECK_INT(lwbs_radius_detail_next(&d, &b, &why), LWBS_ESYNTAX);
	CHECK_INT(d.err_line, 2);
	CHECK_INT(lwbs_radius_detail_next(&d, &b, &why), 0);
	CHECK_INT(d.rec_line, 5);
	CHECK_INT(lwbs_radius_detail_next(&d, &b, &why), 0);
	CHECK_INT(d.rec_line, 11);
	CHECK_INT(lwbs_radius_detail_next(&d, &b, &why), -ENOENT);

	static const char partial[] = H OK_BODY "\n" H "\tAcct-Status-Type = St";
	lwbs_radius_detail_init(&d, partial, sizeof(partial) - 1);
	CHECK_INT(lwbs_radius_detail_next(&d, &b, &why), 0);
	size_t pos = d.pos;
	CHECK_INT(lwbs_radius_detail_next(&d, &b, &why), LWBS_ETRUNC);
	CHECK_INT(d.pos, pos);
	CHECK_MEM(partial + d.pos, 3, "Tue", 3);
}

TEST_MAIN(test_records, test_errors, test_resync)
