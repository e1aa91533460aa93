/* Unit tests for the arena, the output buffer and error strings. */
#include <errno.h>
#include <stdint.h>

#include "lwbs/arena.h"
#include "lwbs/buf.h"
#include "lwbs/err.h"
#include "lwbs/rd.h"
#include "../test.h"

static void test_arena(void)
{
	struct lwbs_arena *a = lwbs_arena_create(64);
	CHECK(a != NULL);
	char *p = lwbs_arena_alloc(a, 10);
	CHECK(p != NULL);
	CHECK(((uintptr_t)p & 15) == 0);
	for (int i = 0; i < 10; i++)
		CHECK(p[i] == 0);
	/* bigger than a chunk */
	uint8_t *big = lwbs_arena_alloc(a, 1000);
	CHECK(big != NULL);
	big[999] = 1;
	char *s = lwbs_arena_strndup(a, "hello world", 5);
	CHECK_STR(s, "hello");
	CHECK(lwbs_arena_memdup(a, "", 0) != NULL);
	CHECK(lwbs_arena_used(a) >= 1010);
	lwbs_arena_reset(a);
	CHECK_INT(lwbs_arena_used(a), 0);
	lwbs_arena_set_limit(a, 100);
	CHECK(lwbs_arena_alloc(a, 64) != NULL);
	CHECK(lwbs_arena_alloc(a, 64) == NULL); /* 128 > 100 */
	CHECK(lwbs_arena_alloc(a, SIZE_MAX) == NULL);
	lwbs_arena_destroy(a);
	lwbs_arena_destroy(NULL);
}

static void test_buf(void)
{
	struct lwbs_buf b;
	lwbs_buf_init(&b, 0);
	CHECK_INT(lwbs_buf_puts(&b, "ab"), 0);
	CHECK_INT(lwbs_buf_printf(&b, "%d-%s", 42, "x"), 0);
	CHECK_INT(lwbs_buf_put_be16(&b, 0x0102), 0);
	CHECK_INT(lwbs_buf_put_be32(&b, 0x03040506), 0);
	CHECK_INT(lwbs_buf_put_be64(&b, 0x0708090a0b0c0d0eULL), 0);
	CHECK_MEM(b.data, b.len, "ab42-x\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e", 20);
	/* long printf goes through the slow path */
	char longs[600];
	memset(longs, 'z', sizeof(longs) - 1);
	longs[599] = 0;
	lwbs_buf_reset(&b);
	CHECK_INT(lwbs_buf_printf(&b, "<%s>", longs), 0);
	CHECK_INT(b.len, 601);
	CHECK(b.data[0] == '<' && b.data[600] == '>');
	lwbs_buf_finish(&b);

	uint8_t mem[4];
	lwbs_buf_init_fixed(&b, mem, sizeof(mem));
	CHECK_INT(lwbs_buf_put(&b, "abc", 3), 0);
	CHECK_INT(lwbs_buf_put(&b, "de", 2), -ENOBUFS);
	CHECK_INT(lwbs_buf_putc(&b, 'f'), -ENOBUFS); /* sticky */
	CHECK_INT(b.len, 3);
	CHECK_INT(lwbs_buf_err(&b), -ENOBUFS);
	lwbs_buf_finish(&b);

	/* secret buffers: NULL-safe, empty-safe, reusable after */
	lwbs_buf_finish_secret(NULL);
	lwbs_buf_init(&b, 0);
	lwbs_buf_finish_secret(&b);
	CHECK(b.data == NULL && b.len == 0);
	lwbs_buf_init(&b, 0);
	lwbs_buf_puts(&b, "key");
	lwbs_buf_finish_secret(&b);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);

	lwbs_buf_init(&b, 8);
	CHECK_INT(lwbs_buf_put(&b, "12345678", 8), 0);
	CHECK_INT(lwbs_buf_putc(&b, '9'), -ENOBUFS);
	lwbs_buf_finish(&b);
}

static void test_rd(void)
{
	const uint8_t d[] = {1, 2, 3, 4, 5, 6, 7};
	struct lwbs_rd r;
	lwbs_rd_init(&r, d, sizeof(d));
	CHECK_INT(lwbs_rd_u8(&r), 1);
	CHECK_INT(lwbs_rd_be16(&r), 0x0203);
	CHECK_INT(lwbs_rd_be32(&r), 0x04050607);
	CHECK_INT(lwbs_rd_left(&r), 0);
	CHECK_INT(lwbs_rd_err(&r), 0);
	CHECK_INT(lwbs_rd_u8(&r), 0);
	CHECK_INT(lwbs_rd_err(&r), LWBS_ETRUNC);
	lwbs_rd_init(&r, d, 3);
	CHECK(lwbs_rd_take(&r, 4) == NULL);
	CHECK_INT(lwbs_rd_be16(&r), 0); /* error sticks */
	lwbs_rd_init(&r, d, 3);
	CHECK_INT(lwbs_rd_beN(&r, 3), 0x010203);
	lwbs_rd_init(&r, d, 7);
	CHECK_INT(lwbs_rd_beN(&r, 9), 0);
	CHECK_INT(lwbs_rd_err(&r), LWBS_ELENGTH);
}

static void test_strerror(void)
{
	CHECK_STR(lwbs_strerror(0), "success");
	CHECK_STR(lwbs_strerror(LWBS_ETRUNC), "input truncated");
	CHECK_STR(lwbs_strerror(LWBS_EFORMAT), "content format not supported here");
	CHECK_STR(lwbs_strerror(-ENOMEM), strerror(ENOMEM));
	CHECK_STR(lwbs_strerror(LWBS_ERR_LAST), "unknown error");
	CHECK_STR(lwbs_strerror(5), "unknown error");
}

TEST_MAIN(test_arena, test_buf, test_rd, test_strerror)
