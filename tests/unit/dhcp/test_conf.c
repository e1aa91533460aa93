/* Unit tests: lwbs-dhcpd configuration loading and its error messages. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "dhcpd.h"
#include "../test.h"

static int load_text(const char *text, struct dhcpd_conf *c, char *err, size_t errlen)
{
	char path[] = "/tmp/lwbs-dhcpd-conf-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	dhcpd_conf_defaults(c);
	int rc = dhcpd_conf_load(path, c, err, errlen);
	if (rc) {
		/* drop the temporary path prefix: "file:line:col: msg" -> "line:col: msg" */
		char *colon = strchr(err, ':');
		if (colon)
			memmove(err, colon + 1, strlen(colon + 1) + 1);
	}
	unlink(path);
	return rc;
}

static void test_full(void)
{
	struct dhcpd_conf c;
	char err[512] = "";
	int rc = load_text("listen:\n"
			   "  v4: [\"10.0.0.1\", \"0.0.0.0\"]\n"
			   "  v6: []\n"
			   "  v4_port: 1067\n"
			   "  interfaces: [eth0]\n"
			   "  v6_accept_unicast: true\n"
			   "  receive_buffer: 0\n"
			   "uri: coaps://bsf.example.net:5684\n"
			   "carrier: {type: option, v4_code: 224, v6_code: 65001}\n"
			   "always_send: true\n"
			   "server_id: 10.0.0.1\n"
			   "duid: \"00:02:00:00:7e:d9:01\"\n"
			   "rate_limit: {per_second: 0, burst: 5}\n",
			   &c, err, sizeof(err));
	CHECK_INT(rc, 0);
	if (rc)
		fprintf(stderr, "%s\n", err);
	CHECK_INT(c.n_v4, 2);
	CHECK_INT(c.n_v6, 0);
	CHECK_INT(c.v4_port, 1067);
	CHECK_INT(c.v6_port, 547);
	CHECK_STR(c.ifs[0], "eth0");
	CHECK(c.v6_accept_unicast);
	CHECK_INT(c.receive_buffer, 0);
	CHECK_STR(c.uri, "coaps://bsf.example.net:5684");
	CHECK_INT(c.carrier.type, LWBS_DHCP_CARRIER_OPTION);
	CHECK_INT(c.carrier.v4_code, 224);
	CHECK_INT(c.carrier.v6_code, 65001);
	CHECK(c.always_send);
	CHECK(c.has_server_id);
	CHECK_MEM(c.server_id, 4, "\x0a\0\0\x01", 4);
	CHECK_MEM(c.duid, c.duid_len, "\0\2\0\0\x7e\xd9\1", 7);
	CHECK_INT(c.rate, 0);
	CHECK_INT(c.burst, 5);

	rc = load_text("uri: coap://x\n", &c, err, sizeof(err));
	CHECK_INT(rc, 0);
	CHECK_INT(c.carrier.type, LWBS_DHCP_CARRIER_VIVSO);
	CHECK_INT(c.carrier.enterprise, 32473);
	CHECK_INT(c.carrier.suboption, 1);
	CHECK_INT(c.rate, 20);
	CHECK_INT(c.subs.journal[0], 0);
	CHECK_INT(c.subs.refresh, 5);

	rc = load_text("uri: coap://x\n"
		       "subscribers:\n"
		       "  journal: /var/lib/lwbs/radius.journal\n"
		       "  by_plmn:\n"
		       "    \"26201\": coaps://bs-a.example:5684\n"
		       "    310410: coaps://bs-b.example:5684\n",
		       &c, err, sizeof(err));
	CHECK_INT(rc, 0);
	CHECK_STR(c.subs.journal, "/var/lib/lwbs/radius.journal");
	CHECK_INT(c.subs.refresh, 5);
	CHECK_INT(c.subs.n_plmn, 2);
	CHECK_STR(c.subs.by_plmn[0].plmn, "26201");
	CHECK_STR(c.subs.by_plmn[0].uri, "coaps://bs-a.example:5684");
	CHECK_INT(c.subs.by_plmn[0].uri_len, 25);
	CHECK_STR(c.subs.by_plmn[1].plmn, "310410");
	CHECK_STR(c.subs.by_plmn[1].uri, "coaps://bs-b.example:5684");
}

static void test_errors(void)
{
	struct dhcpd_conf c;
	char err[512];
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"carrier: {type: vivso}\n", "1:1: uri is required"},
		{"uri: x\nbogus: 1\n", "2:1: unknown key \"bogus\""},
		{"uri: x\nlisten:\n  v4: [\"1.2.3\"]\n", "3:8: expected an IPv4 address"},
		{"uri: x\ncarrier:\n  type: option\n  v4_code: 224\n",
		 "3:3: carrier type option needs v4_code and v6_code"},
		{"uri: x\ncarrier: {type: dhcp}\n", "2:17: carrier type must be vivso or option"},
		{"uri: x\ncarrier: {suboption: 255}\n", "2:22: 255 is outside 1..254"},
		{"uri: x\nalways_send: maybe\n", "2:14: expected true or false"},
		{"uri: x\nduid: \"0g\"\n", "2:7: duid must be hex digits (optionally colon-separated)"},
		{"uri: [a\n", "2:1: did not find expected ',' or ']'"},
		{"uri: x\nlisten: {v4: [], v6: []}\n", "1:1: listen: neither v4 nor v6 addresses"},
		{"uri: x\nsubscribers: {refresh: 5}\n", "2:14: subscribers needs a journal"},
		{"uri: x\nsubscribers: {journal: j, refresh: 0}\n", "2:36: 0 is outside 1..3600"},
		{"uri: x\nsubscribers: {journal: j, by_plmn: {2620: u}}\n",
		 "2:37: by_plmn keys are MCC-MNC, 5 or 6 digits"},
		{"uri: x\nsubscribers: {journal: j, by_plmn: {\"26201\": u, 26201: v}}\n",
		 "2:49: PLMN 26201 listed twice"},
		{"uri: x\nsubscribers: {journal: j, by_plmn: {26201: \"\"}}\n",
		 "2:44: uri must be 1..255 bytes"},
		{"uri: x\nsubscribers: {journal: j, colour: red}\n", "2:27: unknown key in subscribers"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dhcpd_conf_defaults(&c);
		uint16_t before = c.v4_port;
		CHECK_INT(load_text(cases[i].text, &c, err, sizeof(err)), -EINVAL);
		CHECK_STR(err, cases[i].msg);
		CHECK_INT(c.v4_port, before);
	}
	/* a URI too long for option 125 */
	char text[400];
	snprintf(text, sizeof(text), "uri: %0250d\n", 7);
	CHECK_INT(load_text(text, &c, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "1:6: uri longer than 248 bytes does not fit option 125");
	snprintf(text, sizeof(text), "uri: x\nsubscribers: {journal: j, by_plmn: {26201: %0250d}}\n", 7);
	CHECK_INT(load_text(text, &c, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "2:14: the uri of PLMN 26201 does not fit option 125 (248 bytes)");
	dhcpd_conf_defaults(&c);
	CHECK_INT(dhcpd_conf_load("/nonexistent/lwbs-dhcpd.yaml", &c, err, sizeof(err)), -ENOENT);
}

TEST_MAIN(test_full, test_errors)
