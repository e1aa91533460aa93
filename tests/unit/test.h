/* lwbs — minimal unit test harness: CHECK* macros record failures with
 * file:line and keep going; TEST_MAIN runs the listed functions and exits
 * non-zero if anything failed. */
#ifndef LWBS_TEST_H
#define LWBS_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_checks;
static int test_failures;

#define CHECK(cond)                                                                      \
	do {                                                                             \
		test_checks++;                                                           \
		if (!(cond)) {                                                           \
			test_failures++;                                                 \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                        \
	} while (0)

#define CHECK_INT(a, b)                                                                  \
	do {                                                                             \
		long long _a = (long long)(a), _b = (long long)(b);                      \
		test_checks++;                                                           \
		if (_a != _b) {                                                          \
			test_failures++;                                                 \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, \
				__LINE__, #a, _a, #b, _b);                               \
		}                                                                        \
	} while (0)

#define CHECK_STR(a, b)                                                                  \
	do {                                                                             \
		const char *_a = (a), *_b = (b);                                         \
		test_checks++;                                                           \
		if (!_a || !_b || strcmp(_a, _b) != 0) {                                 \
			test_failures++;                                                 \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, \
				__LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)");   \
		}                                                                        \
	} while (0)

static inline void test_hexdump(const char *label, const void *p, size_t n)
{
	const unsigned char *b = p;
	fprintf(stderr, "  %s (%zu):", label, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %02x", b[i]);
	fputc('\n', stderr);
}

#define CHECK_MEM(a, alen, b, blen)                                                      \
	do {                                                                             \
		size_t _al = (alen), _bl = (blen);                                       \
		test_checks++;                                                           \
		if (_al != _bl || (_al && memcmp((a), (b), _al) != 0)) {                          \
			test_failures++;                                                 \
			fprintf(stderr, "%s:%d: bytes differ: %s vs %s\n", __FILE__, __LINE__, #a, #b); \
			test_hexdump("got", (a), _al);                                   \
			test_hexdump("want", (b), _bl);                                  \
		}                                                                        \
	} while (0)

/* Writes text to dir/name (a test's temporary files); a failure counts. */
static inline void test_write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	test_checks++;
	if (!f) {
		test_failures++;
		fprintf(stderr, "cannot write %s\n", path);
		return;
	}
	fputs(text, f);
	fclose(f);
}

#define TEST_MAIN(...)                                                                   \
	int main(void)                                                                   \
	{                                                                                \
		void (*tests[])(void) = {__VA_ARGS__};                                   \
		for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)            \
			tests[i]();                                                      \
		fprintf(stderr, "%d checks, %d failed\n", test_checks, test_failures);  \
		return test_failures ? 1 : 0;                                            \
	}

#endif
