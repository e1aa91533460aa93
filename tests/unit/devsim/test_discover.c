/* lwbs-devsim --discover dns: the pure parts (URI/SRV record text, record
 * choice, URI splitting), and the records as dns/wire.c delivers them from
 * a real answer. */
#include <errno.h>

#include "../test.h"
#include "discover.h"
#include "lwbs/arena.h"
#include "lwbs/dns.h"

static void test_uri_rr(void)
{
	struct devsim_dns_target t;

	CHECK_INT(devsim_dns_uri_rr_parse("10 1 \"coap://bsf.mnc015.mcc234.pub.3gppnetwork.org:5683\"", &t), 0);
	CHECK_INT(t.priority, 10);
	CHECK_INT(t.weight, 1);
	CHECK_STR(t.target, "coap://bsf.mnc015.mcc234.pub.3gppnetwork.org:5683");

	/* the escapes lwbs_dns_quote() writes */
	CHECK_INT(devsim_dns_uri_rr_parse("0 65535 \"a\\\"b\\\\c\\032d\\255\"", &t), 0);
	CHECK_INT(t.priority, 0);
	CHECK_INT(t.weight, 65535);
	CHECK_STR(t.target, "a\"b\\c d\xff");

	/* malformed: out is left alone */
	static const char *const bad[] = {
		"",
		"10",
		"10 1",
		"10 1 ",
		"10 1 coap://x",        /* not quoted */
		"10 1 \"coap://x",      /* not closed */
		"10 1 \"coap://x\" ",   /* trailing text */
		"10 1 \"\"",            /* empty target (RFC 7553 §4.5) */
		"65536 1 \"coap://x\"", /* priority out of range */
		"10 100000 \"coap://x\"",
		"-1 1 \"coap://x\"",
		"10  1 \"coap://x\"",
		"10 1 \"a\\000b\"",     /* NUL in the target */
		"10 1 \"a\\25\"",       /* short \DDD */
		"10 1 \"a\\256\"",      /* \DDD above 255 */
		"10 1 \"a\\",           /* lone backslash */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t.priority = 7;
		int r = devsim_dns_uri_rr_parse(bad[i], &t);
		if (r != -EINVAL)
			fprintf(stderr, "  input %zu: \"%s\"\n", i, bad[i]);
		CHECK_INT(r, -EINVAL);
		CHECK_INT(t.priority, 7);
	}

	/* a target that does not fit */
	char big[DEVSIM_TARGET_MAX + 16];
	memset(big, 'a', sizeof(big));
	memcpy(big, "1 1 \"", 5);
	big[sizeof(big) - 2] = '"';
	big[sizeof(big) - 1] = 0;
	CHECK_INT(devsim_dns_uri_rr_parse(big, &t), -ENAMETOOLONG);
	/* the longest that fits */
	big[5 + DEVSIM_TARGET_MAX - 1] = '"';
	big[5 + DEVSIM_TARGET_MAX] = 0;
	CHECK_INT(devsim_dns_uri_rr_parse(big, &t), 0);
	CHECK_INT(strlen(t.target), DEVSIM_TARGET_MAX - 1);
}

static void test_srv_rr(void)
{
	struct devsim_dns_target t;

	CHECK_INT(devsim_dns_srv_rr_parse("10 20 5683 bsf.mnc015.mcc234.pub.3gppnetwork.org.", &t), 0);
	CHECK_INT(t.priority, 10);
	CHECK_INT(t.weight, 20);
	CHECK_INT(t.port, 5683);
	CHECK_STR(t.target, "bsf.mnc015.mcc234.pub.3gppnetwork.org");

	t.port = 1;
	CHECK_INT(devsim_dns_srv_rr_parse("0 0 0 .", &t), -ENOENT); /* RFC 2782: not available */
	CHECK_INT(t.port, 1);
	CHECK_INT(devsim_dns_srv_rr_parse("10 10 5683 host", &t), -EINVAL);   /* no final dot */
	CHECK_INT(devsim_dns_srv_rr_parse("10 10 5683 ", &t), -EINVAL);
	CHECK_INT(devsim_dns_srv_rr_parse("10 10 host.", &t), -EINVAL);
	CHECK_INT(devsim_dns_srv_rr_parse("10 10 70000 host.", &t), -EINVAL);
	CHECK_INT(devsim_dns_srv_rr_parse("10 10 5683 a\\.b.", &t), -EINVAL); /* not a host name */
	CHECK_INT(devsim_dns_srv_rr_parse("10 10 5683 a..b.", &t), -EINVAL);
	CHECK_INT(t.port, 1);
}

static void test_pick(void)
{
	struct devsim_dns_target t[5] = {
		{.priority = 20, .weight = 100},
		{.priority = 10, .weight = 1},
		{.priority = 10, .weight = 5},
		{.priority = 10, .weight = 5},
		{.priority = 30, .weight = 1000},
	};
	size_t idx = 99;

	CHECK_INT(devsim_dns_target_pick(t, 0, &idx), -ENOENT);
	CHECK_INT(idx, 99);
	CHECK_INT(devsim_dns_target_pick(t, 1, &idx), 0);
	CHECK_INT(idx, 0);
	/* lowest priority first, then the highest weight, then answer order */
	CHECK_INT(devsim_dns_target_pick(t, 5, &idx), 0);
	CHECK_INT(idx, 2);
	CHECK_INT(devsim_dns_target_pick(t, 2, &idx), 0);
	CHECK_INT(idx, 1);
	CHECK_INT(devsim_dns_target_pick(t + 3, 2, &idx), 0);
	CHECK_INT(idx, 0);
}

static void test_uri_parse(void)
{
	struct devsim_uri u;

	CHECK_INT(devsim_uri_parse("coap://bsf.mnc015.mcc234.pub.3gppnetwork.org:5683", &u), 0);
	CHECK_STR(u.scheme, "coap");
	CHECK_STR(u.host, "bsf.mnc015.mcc234.pub.3gppnetwork.org");
	CHECK_INT(u.port, 5683);
	CHECK(!u.host_is_ip);

	CHECK_INT(devsim_uri_parse("coaps://bs.example.net", &u), 0);
	CHECK_STR(u.scheme, "coaps");
	CHECK_INT(u.port, 5684);
	CHECK_INT(devsim_uri_parse("COAP://BS.Example.net./bs?x#y", &u), 0);
	CHECK_STR(u.scheme, "coap");
	CHECK_STR(u.host, "BS.Example.net");
	CHECK_INT(u.port, 5683);
	CHECK_INT(devsim_uri_parse("coap+tcp://h:", &u), 0); /* empty port: default */
	CHECK_STR(u.scheme, "coap+tcp");
	CHECK_INT(u.port, 5683);
	CHECK_INT(devsim_uri_parse("coaps+tcp://h", &u), 0);
	CHECK_INT(u.port, 5684);

	CHECK_INT(devsim_uri_parse("coap://127.0.0.1:40000", &u), 0);
	CHECK_STR(u.host, "127.0.0.1");
	CHECK_INT(u.port, 40000);
	CHECK(u.host_is_ip);
	CHECK_INT(devsim_uri_parse("coap://[2001:db8::10]:5690/", &u), 0);
	CHECK_STR(u.host, "2001:db8::10");
	CHECK_INT(u.port, 5690);
	CHECK(u.host_is_ip);
	CHECK_INT(devsim_uri_parse("coaps://[::1]", &u), 0);
	CHECK_STR(u.host, "::1");
	CHECK_INT(u.port, 5684);
	CHECK_INT(devsim_uri_parse("http://h:80", &u), 0); /* any scheme with a port */
	CHECK_STR(u.scheme, "http");
	CHECK_INT(u.port, 80);

	static const char *const bad[] = {
		"",
		"coap",
		"coap:",
		"coap:/h",
		"coap://",
		"coap://:5683",
		"coap://h:0",
		"coap://h:65536",
		"coap://h:56x3",
		"coap://h:5683x",
		"coap://user@h",
		"coap://[::1",
		"coap://[::1]x",
		"coap://[not-v6]:5683",
		"coap://h_1:5683",
		"coap://-h",
		"coap://a..b",
		"http://h",         /* no default port */
		"1coap://h",
		"coap+very-long-scheme://h:1",
		"://h",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		u.port = 7;
		int r = devsim_uri_parse(bad[i], &u);
		if (r != -EINVAL)
			fprintf(stderr, "  input %zu: \"%s\"\n", i, bad[i]);
		CHECK_INT(r, -EINVAL);
		CHECK_INT(u.port, 7);
	}
}

/* A URI answer as named sends it, through dns/wire.c, into the parser. */
static void test_from_wire(void)
{
	static const uint8_t msg[] = {
		0x12, 0x34, 0x85, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
		/* question: _coap._udp.bsf.example. URI IN */
		5, '_', 'c', 'o', 'a', 'p', 4, '_', 'u', 'd', 'p', 3, 'b', 's', 'f',
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0x01, 0x00, 0x00, 0x01,
		/* answer 1: URI 20 1 "coap://a.example:6000" */
		0xc0, 0x0c, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 25,
		0x00, 20, 0x00, 1, 'c', 'o', 'a', 'p', ':', '/', '/', 'a', '.', 'e', 'x', 'a', 'm',
		'p', 'l', 'e', ':', '6', '0', '0', '0',
		/* answer 2: URI 10 1 "coap://b.example" */
		0xc0, 0x0c, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 20,
		0x00, 10, 0x00, 1, 'c', 'o', 'a', 'p', ':', '/', '/', 'b', '.', 'e', 'x', 'a', 'm',
		'p', 'l', 'e',
	};
	struct lwbs_arena *a = lwbs_arena_create(0);
	struct lwbs_dns_answer ans;
	struct devsim_dns_target t[2];
	struct devsim_uri u;
	size_t idx;

	CHECK(a != NULL);
	CHECK_INT(lwbs_dns_answer_parse(msg, sizeof(msg), "_coap._udp.bsf.example.", LWBS_DNS_T_URI, a,
					&ans), 0);
	CHECK_INT(ans.n, 2);
	if (ans.n == 2) {
		CHECK_INT(devsim_dns_uri_rr_parse(ans.rrs[0].rdata, &t[0]), 0);
		CHECK_INT(devsim_dns_uri_rr_parse(ans.rrs[1].rdata, &t[1]), 0);
		CHECK_INT(devsim_dns_target_pick(t, 2, &idx), 0);
		CHECK_INT(idx, 1);
		CHECK_STR(t[idx].target, "coap://b.example");
		CHECK_INT(devsim_uri_parse(t[idx].target, &u), 0);
		CHECK_STR(u.host, "b.example");
		CHECK_INT(u.port, 5683);
	}
	lwbs_arena_destroy(a);
}

TEST_MAIN(test_uri_rr, test_srv_rr, test_pick, test_uri_parse, test_from_wire)
