/* The PLMN YAML file: defaults, and every bad input with its message. */
#include <errno.h>

#include "lwbs/dns.h"
#include "../test.h"

#define HEAD "soa: {rname: h.example.net.}\nns: [ns1.example.net.]\naddresses: [192.0.2.1]\n"

static void test_defaults(void)
{
	struct lwbs_arena *a = lwbs_arena_create(0);
	struct lwbs_dns_input in;
	const char *y = HEAD "plmns: [{mcc: '234', mnc: '15'}]\n";

	CHECK_INT(lwbs_dns_input_parse(y, strlen(y), "f", a, &in, NULL), 0);
	CHECK_STR(in.label, "bsf");
	CHECK_STR(in.suffix, "pub.3gppnetwork.org");
	CHECK_INT(in.layout, LWBS_DNS_PER_PLMN);
	CHECK_INT(in.ttl.dflt, 300);
	CHECK_INT(in.ttl.ns, 300);
	CHECK_STR(in.soa.mname, "ns1.example.net.");
	CHECK_INT(in.soa.refresh, 3600);
	CHECK_INT(in.soa.retry, 600);
	CHECK_INT(in.soa.expire, 1209600);
	CHECK_INT(in.soa.minimum, 300);
	CHECK_INT(in.n_services, 1);
	CHECK_INT(in.services[0].scheme, LWBS_DNS_COAPS);
	CHECK_INT(in.services[0].port, 5684);
	CHECK_INT(in.services[0].priority, 10);
	CHECK_INT(in.services[0].weight, 10);
	CHECK_INT(in.n_txt, 0);
	y = HEAD "ttl: 60\nservices: [{scheme: coap}, {scheme: coap+tcp}, {scheme: coaps+tcp}]\n"
		 "plmns: [{mcc: '234', mnc: '015'}]\n";
	CHECK_INT(lwbs_dns_input_parse(y, strlen(y), "f", a, &in, NULL), 0);
	CHECK_INT(in.ttl.srv, 60);
	CHECK_INT(in.services[0].port, 5683);
	CHECK_INT(in.services[1].port, 5683);
	CHECK_INT(in.services[2].port, 5684);
	CHECK_STR(in.plmns[0].mnc, "015");
	lwbs_arena_destroy(a);
}

static const struct {
	const char *yaml, *msg;
} bad[] = {
	{HEAD "plmns: [{mcc: '23', mnc: '15'}]\n",
	 "f.yaml:4:15: MCC must be 3 digits, not \"23\""},
	{HEAD "plmns: [{mcc: 2345, mnc: '15'}]\n",
	 "f.yaml:4:15: MCC must be 3 digits, not \"2345\""},
	{HEAD "plmns: [{mcc: '234', mnc: '5'}]\n",
	 "f.yaml:4:27: MNC must be 2 or 3 digits, not \"5\""},
	{HEAD "plmns:\n  - mcc: '234'\n    mnc: '015'\n    mnc_length: 2\n",
	 "f.yaml:7:17: MNC \"015\" has 3 digits but mnc_length is 2"},
	{HEAD "plmns:\n  - mcc: '234'\n    mnc: '15'\n    mnc_length: 4\n",
	 "f.yaml:7:17: mnc_length 4 out of range 2..3"},
	{HEAD "plmns:\n  - {mcc: '234', mnc: '15'}\n  - {mcc: '234', mnc: '015'}\n",
	 "f.yaml:6:5: duplicate PLMN 234/015: mnc015.mcc234 is already used at line 5"},
	{HEAD "plmns: [{mcc: '234'}]\n", "f.yaml:4:9: PLMN: missing key \"mnc\""},
	{HEAD "plmns: [{mcc: '234', mnc: '15', mnx: 1}]\n",
	 "f.yaml:4:33: unknown key \"mnx\" in PLMN"},
	{"soa: {rname: h.example.net.}\nns: [ns1.example.net.]\naddresses: [192.0.2.300]\n"
	 "plmns: [{mcc: '234', mnc: '15'}]\n",
	 "f.yaml:3:13: bad IP address \"192.0.2.300\""},
	{HEAD "services: [{scheme: http}]\nplmns: [{mcc: '234', mnc: '15'}]\n",
	 "f.yaml:4:21: bad scheme \"http\" (coap, coaps, coap+tcp or coaps+tcp)"},
	{HEAD "services: [{scheme: coap, port: 65536}]\nplmns: [{mcc: '234', mnc: '15'}]\n",
	 "f.yaml:4:33: port 65536 out of range 1..65535"},
	{HEAD "services: [{scheme: coap, port: 0}]\nplmns: [{mcc: '234', mnc: '15'}]\n",
	 "f.yaml:4:33: port 0 out of range 1..65535"},
	{HEAD "services: [{scheme: coap}, {scheme: coap}]\nplmns: [{mcc: '234', mnc: '15'}]\n",
	 "f.yaml:4:28: duplicate service \"coap\""},
	{HEAD "colour: blue\nplmns: [{mcc: '234', mnc: '15'}]\n",
	 "f.yaml:4:1: unknown key \"colour\" in the top level"},
	{HEAD "label: bsf\nlabel: bsg\nplmns: [{mcc: '234', mnc: '15'}]\n",
	 "f.yaml:5:1: duplicate key \"label\" in the top level"},
	{HEAD "layout: flat\nplmns: [{mcc: '234', mnc: '15'}]\n",
	 "f.yaml:4:9: bad layout \"flat\" (per-plmn or combined)"},
	{HEAD "ttl: {default: -1}\nplmns: [{mcc: '234', mnc: '15'}]\n",
	 "f.yaml:4:16: ttl.default: expected a number, not \"-1\""},
	{HEAD "plmns: []\n", "f.yaml:4:8: plmns: at least one PLMN is needed"},
	{HEAD, "f.yaml:1:1: missing key \"plmns\""},
	{"", "f.yaml:1:1: empty document"},
	{"- a\n- b\n", "f.yaml:1:1: the top level: expected a mapping"},
	{HEAD "plmns: [{mcc: '234', mnc: '15'}\n",
	 "f.yaml:5:1: did not find expected ',' or ']' (while parsing a flow sequence)"},
	{"soa: {mname: ns1.example.net.}\nns: [ns1.example.net.]\naddresses: [192.0.2.1]\n"
	 "plmns: [{mcc: '234', mnc: '15'}]\n", "f.yaml:1:6: soa: missing key \"rname\""},
	{"soa: {rname: h.example.net.}\nns: [ns1]\naddresses: [192.0.2.1]\n"
	 "plmns: [{mcc: '234', mnc: '15'}]\n",
	 "f.yaml:2:6: name server \"ns1\" is inside zone bsf.mnc015.mcc234.pub.3gppnetwork.org and needs addresses"},
	{"soa: {rname: h.example.net.}\nns: [{name: ns.example.net., addresses: [192.0.2.2]}]\n"
	 "addresses: [192.0.2.1]\nplmns: [{mcc: '234', mnc: '15'}]\n",
	 "f.yaml:2:6: name server \"ns.example.net.\" is outside zone bsf.mnc015.mcc234.pub.3gppnetwork.org: give no addresses"},
	{"soa: {rname: h.example.net.}\nns: [ns_1.example.net.]\naddresses: [192.0.2.1]\n"
	 "plmns: [{mcc: '234', mnc: '15'}]\n", "f.yaml:2:6: ns name: bad domain name \"ns_1.example.net.\""},
	{HEAD "txt: [[a]]\nplmns: [{mcc: '234', mnc: '15'}]\n",
	 "f.yaml:4:7: txt: expected a single value"},
	{HEAD "addresses: [192.0.2.1]\nplmns: [{mcc: '234', mnc: '15'}]\n",
	 "f.yaml:4:1: duplicate key \"addresses\" in the top level"},
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lwbs_arena *a = lwbs_arena_create(0);
		struct lwbs_dns_input in = {.label = "untouched"};
		struct lwbs_dns_diag d = {0};
		int r = lwbs_dns_input_parse(bad[i].yaml, strlen(bad[i].yaml), "f.yaml", a, &in, &d);
		CHECK(r < 0);
		CHECK_STR(d.text, bad[i].msg);
		CHECK_STR(in.label, "untouched");
		lwbs_arena_destroy(a);
	}
}

static void test_long_name(void)
{
	struct lwbs_arena *a = lwbs_arena_create(0);
	struct lwbs_dns_input in;
	struct lwbs_dns_diag d = {0};
	char y[1024];
	char lab[64];

	memset(lab, 'a', 63);
	lab[63] = 0;
	/* the suffix alone is a valid name (230 characters); with the label,
	 * the MNC/MCC labels and "_coaps._udp." in front it is too long */
	snprintf(y, sizeof(y), HEAD "suffix: %s.%s.%s.%.38s\nplmns: [{mcc: '234', mnc: '15'}]\n",
		 lab, lab, lab, lab);
	CHECK_INT(lwbs_dns_input_parse(y, strlen(y), "f", a, &in, &d), -EINVAL);
	CHECK_STR(d.text, "f:5:9: name for this PLMN is too long");
	lwbs_arena_destroy(a);
}

TEST_MAIN(test_defaults, test_bad, test_long_name)
