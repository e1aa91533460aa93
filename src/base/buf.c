/* lwbs — output buffer with a sticky first error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/buf.h"

#define DEFAULT_LIMIT (16u * 1024 * 1024)

void lwbs_buf_init(struct lwbs_buf *b, size_t limit)
{
	memset(b, 0, sizeof(*b));
	b->limit = limit ? limit : DEFAULT_LIMIT;
}

void lwbs_buf_init_fixed(struct lwbs_buf *b, void *mem, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->data = mem;
	b->cap = cap;
	b->limit = cap;
	b->fixed = 1;
}

void lwbs_buf_finish(struct lwbs_buf *b)
{
	if (!b)
		return;
	if (!b->fixed)
		free(b->data);
	memset(b, 0, sizeof(*b));
}

void lwbs_buf_finish_secret(struct lwbs_buf *b)
{
	if (b && b->data)
		explicit_bzero(b->data, b->cap);
	lwbs_buf_finish(b);
}

void lwbs_buf_reset(struct lwbs_buf *b)
{
	b->len = 0;
	b->err = 0;
}

static int grow(struct lwbs_buf *b, size_t n)
{
	if (b->err)
		return b->err;
	if (n > b->limit || b->len > b->limit - n) {
		b->err = -ENOBUFS;
		return b->err;
	}
	size_t need = b->len + n;
	if (need <= b->cap)
		return 0;
	if (b->fixed) {
		b->err = -ENOBUFS;
		return b->err;
	}
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > b->limit / 2 ? b->limit : cap * 2;
	uint8_t *d = realloc(b->data, cap);
	if (!d) {
		b->err = -ENOMEM;
		return b->err;
	}
	b->data = d;
	b->cap = cap;
	return 0;
}

uint8_t *lwbs_buf_reserve(struct lwbs_buf *b, size_t n)
{
	if (n == 0) {
		/* Never compute a pointer from NULL: make sure storage exists. */
		if (b->err || (!b->data && grow(b, 1) != 0))
			return NULL;
		return b->data + b->len;
	}
	if (grow(b, n) != 0)
		return NULL;
	uint8_t *p = b->data + b->len;
	b->len += n;
	return p;
}

int lwbs_buf_put(struct lwbs_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return b->err;
	uint8_t *d = lwbs_buf_reserve(b, n);
	if (!d)
		return b->err;
	memcpy(d, p, n);
	return 0;
}

int lwbs_buf_putc(struct lwbs_buf *b, uint8_t c)
{
	return lwbs_buf_put(b, &c, 1);
}

int lwbs_buf_puts(struct lwbs_buf *b, const char *s)
{
	return lwbs_buf_put(b, s, strlen(s));
}

int lwbs_buf_vprintf(struct lwbs_buf *b, const char *fmt, va_list ap)
{
	if (b->err)
		return b->err;
	char small[256];
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(small, sizeof(small), fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		b->err = -EINVAL;
		return b->err;
	}
	if ((size_t)n < sizeof(small))
		return lwbs_buf_put(b, small, (size_t)n);
	uint8_t *d = lwbs_buf_reserve(b, (size_t)n + 1);
	if (!d)
		return b->err;
	vsnprintf((char *)d, (size_t)n + 1, fmt, ap);
	b->len -= 1; /* drop the NUL */
	return 0;
}

int lwbs_buf_printf(struct lwbs_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = lwbs_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int lwbs_buf_put_be16(struct lwbs_buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	return lwbs_buf_put(b, x, 2);
}

int lwbs_buf_put_be32(struct lwbs_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	return lwbs_buf_put(b, x, 4);
}

int lwbs_buf_put_be64(struct lwbs_buf *b, uint64_t v)
{
	uint8_t x[8];
	for (int i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (56 - 8 * i));
	return lwbs_buf_put(b, x, 8);
}
