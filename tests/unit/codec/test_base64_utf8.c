/* Unit tests for base64 / base64url and UTF-8 validation (RFC 4648 §10 vectors). */
#include "lwbs/codec.h"
#include "lwbs/err.h"
#include "../test.h"

static void check_b64(const char *in, const char *std, const char *url)
{
	struct lwbs_buf b;
	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_base64_encode((const uint8_t *)in, strlen(in), &b), 0);
	CHECK_MEM(b.data, b.len, std, strlen(std));
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_base64url_encode((const uint8_t *)in, strlen(in), &b), 0);
	CHECK_MEM(b.data, b.len, url, strlen(url));
	lwbs_buf_finish(&b);

	struct lwbs_arena *a = lwbs_arena_create(0);
	uint8_t *d = NULL;
	size_t n = 99;
	CHECK_INT(lwbs_base64_decode(std, strlen(std), a, &d, &n), 0);
	CHECK_MEM(d, n, in, strlen(in));
	CHECK_INT(lwbs_base64_decode(url, strlen(url), a, &d, &n), 0);
	CHECK_MEM(d, n, in, strlen(in));
	lwbs_arena_destroy(a);
}

static void test_rfc4648(void)
{
	check_b64("", "", "");
	check_b64("f", "Zg==", "Zg");
	check_b64("fo", "Zm8=", "Zm8");
	check_b64("foo", "Zm9v", "Zm9v");
	check_b64("foob", "Zm9vYg==", "Zm9vYg");
	check_b64("fooba", "Zm9vYmE=", "Zm9vYmE");
	check_b64("foobar", "Zm9vYmFy", "Zm9vYmFy");
}

static void test_alphabets(void)
{
	const uint8_t bin[] = {0xfb, 0xff, 0xbf};
	struct lwbs_buf b;
	lwbs_buf_init(&b, 0);
	lwbs_base64_encode(bin, 3, &b);
	CHECK_MEM(b.data, b.len, "+/+/", 4);
	lwbs_buf_reset(&b);
	lwbs_base64url_encode(bin, 3, &b);
	CHECK_MEM(b.data, b.len, "-_-_", 4);
	lwbs_buf_finish(&b);

	struct lwbs_arena *a = lwbs_arena_create(0);
	uint8_t *d;
	size_t n;
	CHECK_INT(lwbs_base64_decode("-_-_", 4, a, &d, &n), 0);
	CHECK_MEM(d, n, bin, 3);
	CHECK_INT(lwbs_base64_decode("+/-_", 4, a, &d, &n), LWBS_ESYNTAX); /* mixed */
	CHECK_INT(lwbs_base64_decode("Zg=", 3, a, &d, &n), LWBS_ESYNTAX);  /* short padding */
	CHECK_INT(lwbs_base64_decode("Z", 1, a, &d, &n), LWBS_ESYNTAX);
	CHECK_INT(lwbs_base64_decode("Zh==", 4, a, &d, &n), LWBS_ESYNTAX); /* leftover bits */
	CHECK_INT(lwbs_base64_decode("Zm 9v", 5, a, &d, &n), LWBS_ESYNTAX);
	CHECK_INT(lwbs_base64_decode("Zm9v====", 8, a, &d, &n), LWBS_ESYNTAX);
	lwbs_arena_destroy(a);
}

static void test_utf8(void)
{
	CHECK(lwbs_utf8_valid((const uint8_t *)"", 0));
	CHECK(lwbs_utf8_valid((const uint8_t *)"plain", 5));
	CHECK(lwbs_utf8_valid((const uint8_t *)"\xc3\xa9", 2));          /* é */
	CHECK(lwbs_utf8_valid((const uint8_t *)"\xe2\x82\xac", 3));      /* € */
	CHECK(lwbs_utf8_valid((const uint8_t *)"\xf0\x9f\x98\x80", 4));  /* U+1F600 */
	CHECK(lwbs_utf8_valid((const uint8_t *)"\xf4\x8f\xbf\xbf", 4));  /* U+10FFFF */
	CHECK(!lwbs_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	CHECK(!lwbs_utf8_valid((const uint8_t *)"\xc0\xaf", 2));         /* overlong */
	CHECK(!lwbs_utf8_valid((const uint8_t *)"\xe0\x80\xaf", 3));     /* overlong */
	CHECK(!lwbs_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));     /* surrogate */
	CHECK(!lwbs_utf8_valid((const uint8_t *)"\xc3", 1));             /* truncated */
	CHECK(!lwbs_utf8_valid((const uint8_t *)"\x80", 1));             /* stray continuation */
	CHECK(!lwbs_utf8_valid((const uint8_t *)"\xff", 1));
	CHECK(!lwbs_utf8_valid((const uint8_t *)"a\xe2\x82", 3));
}

TEST_MAIN(test_rfc4648, test_alphabets, test_utf8)
