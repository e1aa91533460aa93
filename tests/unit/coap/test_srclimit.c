/* Unit tests: src/coap/srclimit.c — the per-source limit on requests
 * refused as unknown, driven with a clock of the test's own: blocking past
 * max within the window, a new window, the end of a block, sources kept
 * apart (address, not port; IPv4-mapped IPv6 as IPv4), no limit with max
 * 0, and a flood of new sources that cannot unblock a blocked one. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "../test.h"
#include "../../../src/coap/srclimit.h"

static struct sockaddr_in v4(const char *a, uint16_t port)
{
	struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(port)};

	inet_pton(AF_INET, a, &s.sin_addr);
	return s;
}

static struct sockaddr_in6 v6(const char *a, uint16_t port)
{
	struct sockaddr_in6 s = {.sin6_family = AF_INET6, .sin6_port = htons(port)};

	inet_pton(AF_INET6, a, &s.sin6_addr);
	return s;
}

#define SA(x) ((const struct sockaddr *)&(x))

static void test_block(void)
{
	struct lwbs_srclimit_conf c = {.max = 3, .window_s = 10, .block_s = 30};
	struct lwbs_srclimit *l = lwbs_srclimit_create(&c);
	struct sockaddr_in a = v4("192.0.2.1", 1000), a2 = v4("192.0.2.1", 2000), b = v4("192.0.2.2", 1000);
	struct sockaddr_in6 mapped = v6("::ffff:192.0.2.1", 3000), six = v6("2001:db8::1", 1000);

	CHECK(l);
	CHECK_INT(lwbs_srclimit_conf(l)->max, 3);
	/* three in the window are allowed, from any port of the address */
	CHECK(!lwbs_srclimit_note(l, SA(a), 0));
	CHECK(!lwbs_srclimit_note(l, SA(a2), 1000));
	CHECK(!lwbs_srclimit_note(l, SA(mapped), 2000));
	CHECK(!lwbs_srclimit_blocked(l, SA(a), 2000));
	/* the fourth blocks the address, once */
	CHECK(lwbs_srclimit_note(l, SA(a), 3000));
	CHECK(!lwbs_srclimit_note(l, SA(a), 3001));
	CHECK(lwbs_srclimit_blocked(l, SA(a), 3001));
	CHECK(lwbs_srclimit_blocked(l, SA(a2), 3001));
	CHECK(lwbs_srclimit_blocked(l, SA(mapped), 3001));
	/* other sources are not */
	CHECK(!lwbs_srclimit_blocked(l, SA(b), 3001));
	CHECK(!lwbs_srclimit_blocked(l, SA(six), 3001));
	CHECK(!lwbs_srclimit_note(l, SA(b), 3002));
	/* the block lasts block_s from the event that caused it */
	CHECK(lwbs_srclimit_blocked(l, SA(a), 32999));
	CHECK(!lwbs_srclimit_blocked(l, SA(a), 33000));
	/* afterwards it counts afresh: events while blocked counted nothing */
	CHECK(!lwbs_srclimit_note(l, SA(a), 33000));
	CHECK(!lwbs_srclimit_note(l, SA(a), 33001));
	CHECK(!lwbs_srclimit_note(l, SA(a), 33002));
	CHECK(lwbs_srclimit_note(l, SA(a), 33003));
	lwbs_srclimit_destroy(l);
}

static void test_window(void)
{
	struct lwbs_srclimit_conf c = {.max = 2, .window_s = 5, .block_s = 60};
	struct lwbs_srclimit *l = lwbs_srclimit_create(&c);
	struct sockaddr_in6 a = v6("2001:db8::7", 5683);

	/* two per window, spread over windows, never block */
	for (int64_t t = 0; t < 60000; t += 2600)
		CHECK(!lwbs_srclimit_note(l, SA(a), t));
	CHECK(!lwbs_srclimit_blocked(l, SA(a), 60000));
	/* three within one window do */
	CHECK(!lwbs_srclimit_note(l, SA(a), 100000));
	CHECK(!lwbs_srclimit_note(l, SA(a), 100001));
	CHECK(lwbs_srclimit_note(l, SA(a), 104999));
	lwbs_srclimit_destroy(l);
}

static void test_no_limit(void)
{
	struct lwbs_srclimit_conf c = {.max = 0, .window_s = 1, .block_s = 1};
	struct lwbs_srclimit *l = lwbs_srclimit_create(&c);
	struct sockaddr_in a = v4("198.51.100.1", 1);

	for (int i = 0; i < 1000; i++)
		CHECK(!lwbs_srclimit_note(l, SA(a), i));
	CHECK(!lwbs_srclimit_blocked(l, SA(a), 1000));
	lwbs_srclimit_destroy(l);
	lwbs_srclimit_destroy(NULL);
}

static void test_flood(void)
{
	struct lwbs_srclimit_conf c = {.max = 1, .window_s = 60, .block_s = 600};
	struct lwbs_srclimit *l = lwbs_srclimit_create(&c);
	struct sockaddr_in bad = v4("203.0.113.9", 1), s;
	char name[32];

	CHECK(!lwbs_srclimit_note(l, SA(bad), 0));
	CHECK(lwbs_srclimit_note(l, SA(bad), 1));
	/* many more sources than slots, each with one event */
	for (unsigned i = 0; i < 4 * LWBS_SRCLIMIT_SLOTS; i++) {
		snprintf(name, sizeof(name), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		s = v4(name, 1);
		lwbs_srclimit_note(l, SA(s), 2 + i / 64);
	}
	CHECK(lwbs_srclimit_blocked(l, SA(bad), 1000));
	lwbs_srclimit_destroy(l);
}

/* The failed-handshake use: a start counts, a completed handshake takes
 * it back, so only handshakes left incomplete add up; a credit never goes
 * below zero, and one in a new window takes back nothing of the old. */
static void test_credit(void)
{
	struct lwbs_srclimit_conf c = {.max = 2, .window_s = 10, .block_s = 30};
	struct lwbs_srclimit *l = lwbs_srclimit_create(&c);
	struct sockaddr_in a = v4("192.0.2.7", 1000), b = v4("192.0.2.8", 1000);
	uint8_t k[16], fam = 0;

	CHECK(l);
	/* a hundred handshakes that complete never block */
	for (int i = 0; i < 100; i++) {
		CHECK(!lwbs_srclimit_note(l, SA(a), 1000 + i));
		lwbs_srclimit_credit(l, SA(a), 1000 + i);
	}
	CHECK(!lwbs_srclimit_blocked(l, SA(a), 1200));
	/* credits before any start do not bank allowance */
	lwbs_srclimit_credit(l, SA(a), 1200);
	lwbs_srclimit_credit(l, SA(a), 1200);
	CHECK(!lwbs_srclimit_note(l, SA(a), 1300));
	CHECK(!lwbs_srclimit_note(l, SA(a), 1301));
	CHECK(lwbs_srclimit_note(l, SA(a), 1302)); /* third incomplete: blocked */
	CHECK(lwbs_srclimit_blocked(l, SA(a), 1303));
	/* a credit for an unknown source creates nothing */
	lwbs_srclimit_credit(l, SA(b), 1400);
	CHECK(!lwbs_srclimit_blocked(l, SA(b), 1400));
	/* a credit after the window is over takes nothing back */
	CHECK(!lwbs_srclimit_note(l, SA(b), 2000));
	CHECK(!lwbs_srclimit_note(l, SA(b), 2001));
	lwbs_srclimit_credit(l, SA(b), 12001);
	CHECK(!lwbs_srclimit_note(l, SA(b), 12002));
	CHECK(!lwbs_srclimit_note(l, SA(b), 12003));
	CHECK(lwbs_srclimit_note(l, SA(b), 12004));
	/* the address key */
	CHECK_INT(lwbs_srclimit_addr_key(SA(a), k, &fam), 4);
	CHECK_INT(fam, 4);
	CHECK_MEM(k, 4, "\xc0\x00\x02\x07", 4);
	lwbs_srclimit_destroy(l);
}

TEST_MAIN(test_block, test_window, test_no_limit, test_flood, test_credit)
