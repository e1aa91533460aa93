/* lwbs — output buffer for encoders.
 *
 * A buffer either grows with realloc (lwbs_buf_init) up to a limit, or
 * writes into caller memory (lwbs_buf_init_fixed). The first error sticks:
 * after a failed write every later write is a no-op and lwbs_buf_err()
 * returns the error, so an encoder may write a whole message and check once.
 */
#ifndef LWBS_BUF_H
#define LWBS_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct lwbs_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t limit; /* growable: maximum len (0 = 16 MiB) */
	int err;      /* first error, 0 if none */
	int fixed;    /* data is caller memory; never reallocated or freed */
};

/* Growable buffer, empty; caller calls lwbs_buf_finish(). */
void lwbs_buf_init(struct lwbs_buf *b, size_t limit);
/* Buffer over caller memory mem[0..cap). */
void lwbs_buf_init_fixed(struct lwbs_buf *b, void *mem, size_t cap);
/* Frees growable storage. NULL-safe; the buffer may be re-initialised. */
void lwbs_buf_finish(struct lwbs_buf *b);
/* Like lwbs_buf_finish, after overwriting the storage with zeros: for
 * buffers that held secrets. NULL-safe. */
void lwbs_buf_finish_secret(struct lwbs_buf *b);
/* Empties the buffer and clears the error; keeps storage. */
void lwbs_buf_reset(struct lwbs_buf *b);

int lwbs_buf_put(struct lwbs_buf *b, const void *p, size_t n);
int lwbs_buf_putc(struct lwbs_buf *b, uint8_t c);
int lwbs_buf_puts(struct lwbs_buf *b, const char *s);
int lwbs_buf_printf(struct lwbs_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int lwbs_buf_vprintf(struct lwbs_buf *b, const char *fmt, va_list ap);
int lwbs_buf_put_be16(struct lwbs_buf *b, uint16_t v);
int lwbs_buf_put_be32(struct lwbs_buf *b, uint32_t v);
int lwbs_buf_put_be64(struct lwbs_buf *b, uint64_t v);
/* Reserves n bytes at the end and returns a pointer to them (or NULL). */
uint8_t *lwbs_buf_reserve(struct lwbs_buf *b, size_t n);

static inline int lwbs_buf_err(const struct lwbs_buf *b) { return b->err; }

#endif
