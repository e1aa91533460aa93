/* Zone text, serial rule and the unchanged/changed decision. */
#include <errno.h>

#include "lwbs/dns.h"
#include "../test.h"

static const char small_yaml[] =
	"soa: {rname: hostmaster.example.net., mname: ns1.example.net.}\n"
	"ns: [ns1.example.net.]\n"
	"addresses: [192.0.2.10, '2001:db8:0:0::10']\n"
	"services:\n"
	"  - {scheme: coaps}\n"
	"  - {scheme: coap+tcp, port: 15683, priority: 20, weight: 5}\n"
	"txt: ['v=1 \"q\"']\n"
	"ttl: {default: 600, srv: 120}\n"
	"plmns: [{mcc: '234', mnc: '15'}, {mcc: '310', mnc: '260'}]\n";

static const char small_zone0[] =
	"; Zone bsf.mnc015.mcc234.pub.3gppnetwork.org: LwM2M bootstrap server discovery.\n"
	"; PLMN MCC 234 MNC 15 (mnc015.mcc234)\n"
	"; Written by lwbsctl zone generate: edit the PLMN list, not this file.\n"
	"$ORIGIN bsf.mnc015.mcc234.pub.3gppnetwork.org.\n"
	"$TTL 600\n"
	"@           600     IN SOA   ns1.example.net. hostmaster.example.net. (\n"
	"\t\t2026010100\t; serial\n"
	"\t\t3600\t; refresh\n"
	"\t\t600\t; retry\n"
	"\t\t1209600\t; expire\n"
	"\t\t300 )\t; minimum (negative-caching TTL)\n"
	"@           600     IN NS    ns1.example.net.\n"
	"\n"
	"@           600     IN A     192.0.2.10\n"
	"@           600     IN AAAA  2001:db8::10\n"
	"@           600     IN TXT   \"v=1 \\\"q\\\"\"\n"
	"\n"
	"_coaps._udp 120     IN SRV   10 10 5684 bsf.mnc015.mcc234.pub.3gppnetwork.org.\n"
	"_coaps._udp 600     IN URI   10 10 \"coaps://bsf.mnc015.mcc234.pub.3gppnetwork.org:5684\"\n"
	"\n"
	"_coap._tcp  120     IN SRV   20 5 15683 bsf.mnc015.mcc234.pub.3gppnetwork.org.\n"
	"_coap._tcp  600     IN URI   20 5 \"coap+tcp://bsf.mnc015.mcc234.pub.3gppnetwork.org:15683\"\n";

static struct lwbs_arena *arena;

static int parse(const char *yaml, struct lwbs_dns_input *in)
{
	struct lwbs_dns_diag d = {0};
	int r = lwbs_dns_input_parse(yaml, strlen(yaml), "t.yaml", arena, in, &d);
	if (r)
		fprintf(stderr, "parse: %s\n", d.text);
	return r;
}

static void test_render(void)
{
	struct lwbs_dns_input in;
	struct lwbs_buf b;
	char apex[LWBS_DNS_NAME_MAX];

	CHECK_INT(parse(small_yaml, &in), 0);
	CHECK_INT(lwbs_dns_zone_count(&in), 2);
	CHECK_INT(lwbs_dns_zone_apex(&in, 1, apex, sizeof(apex)), 0);
	CHECK_STR(apex, "bsf.mnc260.mcc310.pub.3gppnetwork.org");
	CHECK_INT(lwbs_dns_zone_apex(&in, 2, apex, sizeof(apex)), -EINVAL);
	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_dns_zone_render(&in, 0, 2026010100, &b), 0);
	lwbs_buf_putc(&b, 0);
	CHECK_STR((const char *)b.data, small_zone0);
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_dns_named_conf(&in, "/var/lib/bind/lwbs", &b), 0);
	lwbs_buf_putc(&b, 0);
	CHECK_STR((const char *)b.data,
		  "// LwM2M bootstrap discovery zones, written by lwbsctl zone generate.\n"
		  "// Include this file from named.conf.\n"
		  "zone \"bsf.mnc015.mcc234.pub.3gppnetwork.org\" {\n\ttype primary;\n"
		  "\tfile \"/var/lib/bind/lwbs/bsf.mnc015.mcc234.pub.3gppnetwork.org.zone\";\n};\n"
		  "zone \"bsf.mnc260.mcc310.pub.3gppnetwork.org\" {\n\ttype primary;\n"
		  "\tfile \"/var/lib/bind/lwbs/bsf.mnc260.mcc310.pub.3gppnetwork.org.zone\";\n};\n");
	lwbs_buf_finish(&b);
}

static void test_combined(void)
{
	static const char yaml[] =
		"layout: combined\nlabel: lwm2m-bs\nsuffix: Example.NET.\n"
		"soa: {rname: hostmaster}\n"
		"ns: [{name: ns1, addresses: [192.0.2.53]}]\n"
		"addresses: ['2001:db8::1']\n"
		"plmns: [{mcc: '262', mnc: '01'}, {mcc: '405', mnc: '854', mnc_length: 3}]\n";
	static const char want[] =
		"; Zone example.net: LwM2M bootstrap server discovery.\n"
		"; PLMN MCC 262 MNC 01 (mnc001.mcc262)\n"
		"; PLMN MCC 405 MNC 854 (mnc854.mcc405)\n"
		"; Written by lwbsctl zone generate: edit the PLMN list, not this file.\n"
		"$ORIGIN example.net.\n"
		"$TTL 300\n"
		"@                                  300     IN SOA   ns1.example.net. hostmaster.example.net. (\n"
		"\t\t7\t; serial\n"
		"\t\t3600\t; refresh\n"
		"\t\t600\t; retry\n"
		"\t\t1209600\t; expire\n"
		"\t\t300 )\t; minimum (negative-caching TTL)\n"
		"@                                  300     IN NS    ns1.example.net.\n"
		"\n"
		"ns1                                300     IN A     192.0.2.53\n"
		"\n"
		"lwm2m-bs.mnc001.mcc262             300     IN AAAA  2001:db8::1\n"
		"\n"
		"_coaps._udp.lwm2m-bs.mnc001.mcc262 300     IN SRV   10 10 5684 lwm2m-bs.mnc001.mcc262.example.net.\n"
		"_coaps._udp.lwm2m-bs.mnc001.mcc262 300     IN URI   10 10 \"coaps://lwm2m-bs.mnc001.mcc262.example.net:5684\"\n"
		"\n"
		"lwm2m-bs.mnc854.mcc405             300     IN AAAA  2001:db8::1\n"
		"\n"
		"_coaps._udp.lwm2m-bs.mnc854.mcc405 300     IN SRV   10 10 5684 lwm2m-bs.mnc854.mcc405.example.net.\n"
		"_coaps._udp.lwm2m-bs.mnc854.mcc405 300     IN URI   10 10 \"coaps://lwm2m-bs.mnc854.mcc405.example.net:5684\"\n";
	struct lwbs_dns_input in;
	struct lwbs_buf b;

	CHECK_INT(parse(yaml, &in), 0);
	CHECK_INT(lwbs_dns_zone_count(&in), 1);
	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_dns_zone_render(&in, 0, 7, &b), 0);
	lwbs_buf_putc(&b, 0);
	CHECK_STR((const char *)b.data, want);
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_dns_named_conf(&in, "", &b), 0);
	lwbs_buf_putc(&b, 0);
	CHECK(strstr((const char *)b.data, "\tfile \"example.net.zone\";\n") != NULL);
	lwbs_buf_finish(&b);
}

static void test_serial_next(void)
{
	uint32_t s = 0;

	/* changed the same day: nn + 1 */
	CHECK_INT(lwbs_dns_serial_next(2026010100, 20260101, &s), 0);
	CHECK_INT(s, 2026010101);
	/* a new day: today * 100 */
	CHECK_INT(lwbs_dns_serial_next(2026010105, 20260102, &s), 0);
	CHECK_INT(s, 2026010200);
	/* more than 99 changes in a day roll into the next day's numbers */
	CHECK_INT(lwbs_dns_serial_next(2026010199, 20260101, &s), 0);
	CHECK_INT(s, 2026010200);
	/* a clock behind the old serial never lowers it */
	CHECK_INT(lwbs_dns_serial_next(2026050100, 20260101, &s), 0);
	CHECK_INT(s, 2026050101);
	CHECK_INT(lwbs_dns_serial_next(UINT32_MAX, 20260101, &s), -ERANGE);
	CHECK_INT(lwbs_dns_serial_next(0, 20261301, &s), -EINVAL);
	CHECK_INT(lwbs_dns_serial_next(0, 20260100, &s), -EINVAL);
	CHECK_INT(lwbs_dns_serial_next(0, 2026010, &s), -EINVAL);
}

static void test_find_serial(void)
{
	uint32_t s = 0;
	static const char t[] = "x\n\t\t2026010103\t; serial\n";

	CHECK_INT(lwbs_dns_zone_find_serial(t, strlen(t), &s), 0);
	CHECK_INT(s, 2026010103);
	CHECK_INT(lwbs_dns_zone_find_serial(t, strlen(t) - 1, &s), -ENOENT);
	CHECK_INT(lwbs_dns_zone_find_serial("\t\t99999999999\t; serial\n", 23, &s), -ENOENT);
	CHECK_INT(lwbs_dns_zone_find_serial("", 0, &s), -ENOENT);
}

static void test_plan(void)
{
	struct lwbs_dns_input in, in2;
	struct lwbs_buf first, b;
	uint32_t serial = 0;
	bool changed = false;

	CHECK_INT(parse(small_yaml, &in), 0);
	lwbs_buf_init(&first, 0);
	lwbs_buf_init(&b, 0);
	/* no previous file: today * 100 */
	CHECK_INT(lwbs_dns_zone_plan(&in, 0, NULL, 0, 20260101, &first, &serial, &changed), 0);
	CHECK_INT(serial, 2026010100);
	CHECK(changed);
	CHECK_MEM(first.data, first.len, small_zone0, strlen(small_zone0));
	/* unchanged input, later day: same serial, same bytes, no rewrite */
	CHECK_INT(lwbs_dns_zone_plan(&in, 0, (char *)first.data, first.len, 20260309, &b, &serial,
				     &changed), 0);
	CHECK_INT(serial, 2026010100);
	CHECK(!changed);
	CHECK_MEM(b.data, b.len, first.data, first.len);
	/* changed input, same day: nn + 1 */
	CHECK_INT(parse("soa: {rname: hostmaster.example.net., mname: ns1.example.net.}\n"
			"ns: [ns1.example.net.]\naddresses: [192.0.2.11]\n"
			"plmns: [{mcc: '234', mnc: '15'}]\n", &in2), 0);
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_dns_zone_plan(&in2, 0, (char *)first.data, first.len, 20260101, &b, &serial,
				     &changed), 0);
	CHECK_INT(serial, 2026010101);
	CHECK(changed);
	CHECK(memmem(b.data, b.len, "192.0.2.11", 10) != NULL);
	/* changed input, a new day */
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_dns_zone_plan(&in2, 0, (char *)first.data, first.len, 20260102, &b, &serial,
				     &changed), 0);
	CHECK_INT(serial, 2026010200);
	CHECK(changed);
	/* a previous file without a serial line: as if there were none */
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_dns_zone_plan(&in, 0, "junk", 4, 20260102, &b, &serial, &changed), 0);
	CHECK_INT(serial, 2026010200);
	CHECK(changed);
	lwbs_buf_finish(&b);
	lwbs_buf_finish(&first);
}

static void test_records(void)
{
	struct lwbs_dns_input in;
	struct lwbs_dns_rr *rrs;
	size_t n;

	CHECK_INT(parse(small_yaml, &in), 0);
	CHECK_INT(lwbs_dns_zone_records(&in, 1, arena, &rrs, &n), 0);
	CHECK_INT(n, 8);
	CHECK_STR(rrs[0].owner, "bsf.mnc260.mcc310.pub.3gppnetwork.org.");
	CHECK_INT(rrs[0].type, LWBS_DNS_T_NS);
	CHECK_INT(rrs[0].ttl, 600);
	CHECK_STR(rrs[7].owner, "_coap._tcp.bsf.mnc260.mcc310.pub.3gppnetwork.org.");
	CHECK_INT(rrs[7].type, LWBS_DNS_T_URI);
	CHECK_STR(rrs[7].rdata, "20 5 \"coap+tcp://bsf.mnc260.mcc310.pub.3gppnetwork.org:15683\"");
}

static void setup(void)
{
	arena = lwbs_arena_create(0);
}

static void teardown(void)
{
	lwbs_arena_destroy(arena);
}

TEST_MAIN(setup, test_render, test_combined, test_serial_next, test_find_serial, test_plan,
	  test_records, teardown)
