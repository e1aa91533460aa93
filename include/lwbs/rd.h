/* lwbs — bounds-checked read cursor for pure decoders.
 *
 * Every read checks the remaining length; the first failure sets err
 * (LWBS_ETRUNC) and every later read returns 0 without moving, so a
 * decoder can read a whole header and check lwbs_rd_err() once.
 */
#ifndef LWBS_RD_H
#define LWBS_RD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lwbs/err.h"

struct lwbs_rd {
	const uint8_t *p;
	const uint8_t *end;
	int err;
};

static inline void lwbs_rd_init(struct lwbs_rd *r, const void *p, size_t n)
{
	r->p = (const uint8_t *)p;
	r->end = r->p + n;
	r->err = 0;
}

static inline size_t lwbs_rd_left(const struct lwbs_rd *r)
{
	return r->err ? 0 : (size_t)(r->end - r->p);
}

static inline int lwbs_rd_err(const struct lwbs_rd *r) { return r->err; }

static inline int lwbs_rd_need(struct lwbs_rd *r, size_t n)
{
	if (r->err)
		return 0;
	if ((size_t)(r->end - r->p) < n) {
		r->err = LWBS_ETRUNC;
		return 0;
	}
	return 1;
}

static inline uint8_t lwbs_rd_u8(struct lwbs_rd *r)
{
	if (!lwbs_rd_need(r, 1))
		return 0;
	return *r->p++;
}

static inline uint16_t lwbs_rd_be16(struct lwbs_rd *r)
{
	if (!lwbs_rd_need(r, 2))
		return 0;
	uint16_t v = (uint16_t)((r->p[0] << 8) | r->p[1]);
	r->p += 2;
	return v;
}

static inline uint32_t lwbs_rd_be32(struct lwbs_rd *r)
{
	if (!lwbs_rd_need(r, 4))
		return 0;
	uint32_t v = ((uint32_t)r->p[0] << 24) | ((uint32_t)r->p[1] << 16) |
		     ((uint32_t)r->p[2] << 8) | r->p[3];
	r->p += 4;
	return v;
}

static inline uint64_t lwbs_rd_be64(struct lwbs_rd *r)
{
	uint64_t hi = lwbs_rd_be32(r);
	uint64_t lo = lwbs_rd_be32(r);
	return (hi << 32) | lo;
}

/* Big-endian unsigned integer of n (0..8) bytes. */
static inline uint64_t lwbs_rd_beN(struct lwbs_rd *r, size_t n)
{
	uint64_t v = 0;
	if (n > 8 || !lwbs_rd_need(r, n)) {
		if (!r->err)
			r->err = LWBS_ELENGTH;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | r->p[i];
	r->p += n;
	return v;
}

/* Returns a pointer to the next n bytes and skips them (NULL on error). */
static inline const uint8_t *lwbs_rd_take(struct lwbs_rd *r, size_t n)
{
	if (!lwbs_rd_need(r, n))
		return NULL;
	const uint8_t *p = r->p;
	r->p += n;
	return p;
}

#endif
