/* lwbs — CBOR reader and writer (see cbor.h). */
#include "cbor.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lwbs/codec.h"
#include "lwbs/err.h"

#define CBOR_BREAK 0xff
#define AI_INDEFINITE 31

void lwbs_cbor_reader_init(struct lwbs_cbor_reader *r, const void *p, size_t n,
			   struct lwbs_arena *a)
{
	lwbs_rd_init(&r->rd, p, n);
	r->arena = a;
	r->depth = 0;
	r->err = 0;
}

static int fail(struct lwbs_cbor_reader *r, int err)
{
	if (!r->err)
		r->err = err;
	return r->err;
}

/* Reads an initial byte and its argument. ai == 31 leaves *arg at 0. */
static int read_head(struct lwbs_cbor_reader *r, unsigned *major, unsigned *ai, uint64_t *arg)
{
	uint8_t b = lwbs_rd_u8(&r->rd);
	if (lwbs_rd_err(&r->rd))
		return fail(r, lwbs_rd_err(&r->rd));
	*major = b >> 5;
	*ai = b & 0x1f;
	*arg = 0;
	if (*ai < 24) {
		*arg = *ai;
	} else if (*ai <= 27) {
		*arg = lwbs_rd_beN(&r->rd, (size_t)1 << (*ai - 24));
		if (lwbs_rd_err(&r->rd))
			return fail(r, lwbs_rd_err(&r->rd));
	} else if (*ai != AI_INDEFINITE) {
		return fail(r, -EBADMSG); /* 28..30 are reserved */
	}
	return 0;
}

static size_t left(const struct lwbs_cbor_reader *r)
{
	return lwbs_rd_left(&r->rd);
}

/* Takes a definite string of arg bytes, checking text for UTF-8. */
static int take_string(struct lwbs_cbor_reader *r, unsigned major, uint64_t arg,
		       const uint8_t **p)
{
	if (arg > left(r))
		return fail(r, LWBS_ELENGTH);
	*p = lwbs_rd_take(&r->rd, (size_t)arg);
	if (major == 3 && !lwbs_utf8_valid(*p, (size_t)arg))
		return fail(r, LWBS_EUTF8);
	return 0;
}

/* An indefinite-length string: definite chunks of the same major type up to
 * a break. The first pass checks and measures; the second joins the chunks
 * in the arena. */
static int read_indefinite_string(struct lwbs_cbor_reader *r, unsigned major,
				  struct lwbs_cbor_item *it)
{
	const uint8_t *start = r->rd.p;
	size_t total = 0;
	unsigned cmaj, cai;
	uint64_t arg;
	const uint8_t *chunk;

	for (;;) {
		if (!lwbs_rd_need(&r->rd, 1))
			return fail(r, lwbs_rd_err(&r->rd));
		if (*r->rd.p == CBOR_BREAK) {
			r->rd.p++;
			break;
		}
		if (read_head(r, &cmaj, &cai, &arg))
			return r->err;
		if (cmaj != major || cai == AI_INDEFINITE)
			return fail(r, -EBADMSG);
		if (take_string(r, major, arg, &chunk))
			return r->err;
		total += (size_t)arg;
	}

	uint8_t *out = lwbs_arena_alloc(r->arena, total + 1);
	if (!out)
		return fail(r, -ENOMEM);
	struct lwbs_rd again;
	lwbs_rd_init(&again, start, (size_t)(r->rd.p - start));
	size_t off = 0;
	while (off < total) {
		uint8_t b = lwbs_rd_u8(&again);
		size_t n = b & 0x1f;
		if (n >= 24)
			n = (size_t)lwbs_rd_beN(&again, (size_t)1 << (n - 24));
		memcpy(out + off, lwbs_rd_take(&again, n), n);
		off += n;
	}
	it->ptr = out;
	it->len = total;
	return 0;
}

static double half_to_double(uint16_t h)
{
	unsigned exp = (h >> 10) & 0x1f;
	unsigned mant = h & 0x3ff;
	double v;

	if (exp == 0)
		v = ldexp((double)mant, -24); /* subnormal */
	else if (exp < 31)
		v = ldexp((double)(mant | 0x400), (int)exp - 25);
	else
		v = mant ? NAN : INFINITY;
	return (h & 0x8000) ? -v : v;
}

static int open_container(struct lwbs_cbor_reader *r)
{
	if (r->depth >= LWBS_DECODE_MAX_DEPTH)
		return fail(r, LWBS_EDEPTH);
	r->depth++;
	return 0;
}

int lwbs_cbor_read(struct lwbs_cbor_reader *r, struct lwbs_cbor_item *it)
{
	unsigned major, ai;
	uint64_t arg;

	if (r->err)
		return r->err;
	if (read_head(r, &major, &ai, &arg))
		return r->err;
	memset(it, 0, sizeof(*it));
	it->u = arg;

	switch (major) {
	case 0:
	case 1:
		if (ai == AI_INDEFINITE)
			return fail(r, -EBADMSG);
		it->kind = major == 0 ? LWBS_CBOR_UINT : LWBS_CBOR_NEGINT;
		return 0;
	case 2:
	case 3:
		it->kind = major == 2 ? LWBS_CBOR_BYTES : LWBS_CBOR_TEXT;
		it->u = 0;
		if (ai == AI_INDEFINITE)
			return read_indefinite_string(r, major, it);
		it->len = (size_t)arg;
		return take_string(r, major, arg, &it->ptr);
	case 4:
	case 5:
		it->kind = major == 4 ? LWBS_CBOR_ARRAY : LWBS_CBOR_MAP;
		it->indefinite = ai == AI_INDEFINITE;
		if (!it->indefinite) {
			/* Every item takes at least one byte; a pair two. */
			uint64_t room = left(r);
			if (major == 5)
				room /= 2;
			if (arg > room)
				return fail(r, LWBS_ELENGTH);
		}
		return open_container(r);
	case 6:
		return fail(r, LWBS_EFORMAT);
	default:
		break;
	}

	/* major 7 */
	switch (ai) {
	case 20:
		it->kind = LWBS_CBOR_FALSE;
		return 0;
	case 21:
		it->kind = LWBS_CBOR_TRUE;
		return 0;
	case 22:
		it->kind = LWBS_CBOR_NULL;
		return 0;
	case 23:
		it->kind = LWBS_CBOR_UNDEFINED;
		return 0;
	case 25:
		it->kind = LWBS_CBOR_FLOAT;
		it->f = half_to_double((uint16_t)arg);
		return 0;
	case 26: {
		uint32_t bits = (uint32_t)arg;
		float f;
		memcpy(&f, &bits, sizeof(f));
		it->kind = LWBS_CBOR_FLOAT;
		it->f = f;
		return 0;
	}
	case 27:
		it->kind = LWBS_CBOR_FLOAT;
		memcpy(&it->f, &arg, sizeof(it->f));
		return 0;
	default:
		/* other simple values, and a break where an item is expected */
		return fail(r, -EBADMSG);
	}
}

void lwbs_cbor_iter_init(struct lwbs_cbor_iter *i, const struct lwbs_cbor_item *container)
{
	i->left = container->u;
	i->indefinite = container->indefinite;
	i->is_map = container->kind == LWBS_CBOR_MAP;
	i->done = false;
}

static int close_container(struct lwbs_cbor_reader *r, struct lwbs_cbor_iter *i)
{
	i->done = true;
	r->depth--;
	return 0;
}

int lwbs_cbor_iter_next(struct lwbs_cbor_reader *r, struct lwbs_cbor_iter *i)
{
	if (r->err)
		return r->err;
	if (i->done)
		return 0;
	if (i->indefinite) {
		if (!lwbs_rd_need(&r->rd, 1))
			return fail(r, lwbs_rd_err(&r->rd));
		if (*r->rd.p == CBOR_BREAK) {
			r->rd.p++;
			return close_container(r, i);
		}
		return 1;
	}
	if (i->left == 0)
		return close_container(r, i);
	i->left--;
	return 1;
}

int lwbs_cbor_skip(struct lwbs_cbor_reader *r)
{
	struct lwbs_cbor_item it;
	struct lwbs_cbor_iter i;
	int rc;

	if (lwbs_cbor_read(r, &it))
		return r->err;
	if (it.kind != LWBS_CBOR_ARRAY && it.kind != LWBS_CBOR_MAP)
		return 0;
	lwbs_cbor_iter_init(&i, &it);
	while ((rc = lwbs_cbor_iter_next(r, &i)) == 1) {
		if (lwbs_cbor_skip(r))
			return r->err;
		if (i.is_map && lwbs_cbor_skip(r))
			return r->err;
	}
	return rc;
}

int lwbs_cbor_finish(struct lwbs_cbor_reader *r)
{
	if (r->err)
		return r->err;
	if (left(r) != 0)
		return fail(r, -EBADMSG);
	return 0;
}

/* --- item to value --- */

static int float_to_int(double f, enum lwbs_type want, struct lwbs_value *out)
{
	if (isnan(f) || (isfinite(f) && trunc(f) != f))
		return LWBS_ETYPE;
	if (want == LWBS_TYPE_UNSIGNED) {
		if (f < 0 || f >= 0x1p64)
			return LWBS_ERANGE_VAL;
		*out = lwbs_value_uint((uint64_t)f);
		return 0;
	}
	if (f < -0x1p63 || f >= 0x1p63)
		return LWBS_ERANGE_VAL;
	*out = want == LWBS_TYPE_TIME ? lwbs_value_time((int64_t)f) : lwbs_value_int((int64_t)f);
	return 0;
}

int lwbs_cbor_number(const struct lwbs_cbor_item *it, enum lwbs_type want, struct lwbs_value *out)
{
	bool neg = it->kind == LWBS_CBOR_NEGINT;

	if (it->kind != LWBS_CBOR_UINT && !neg && it->kind != LWBS_CBOR_FLOAT)
		return LWBS_ETYPE;

	switch (want) {
	case LWBS_TYPE_NONE:
		if (it->kind == LWBS_CBOR_FLOAT) {
			*out = lwbs_value_float(it->f);
			return 0;
		}
		if (it->u > INT64_MAX) {
			if (neg)
				return LWBS_ERANGE_VAL;
			*out = lwbs_value_uint(it->u);
			return 0;
		}
		*out = lwbs_value_int(neg ? -1 - (int64_t)it->u : (int64_t)it->u);
		return 0;
	case LWBS_TYPE_INTEGER:
	case LWBS_TYPE_TIME: {
		if (it->kind == LWBS_CBOR_FLOAT)
			return float_to_int(it->f, want, out);
		if (it->u > INT64_MAX)
			return LWBS_ERANGE_VAL;
		int64_t i = neg ? -1 - (int64_t)it->u : (int64_t)it->u;
		*out = want == LWBS_TYPE_TIME ? lwbs_value_time(i) : lwbs_value_int(i);
		return 0;
	}
	case LWBS_TYPE_UNSIGNED:
		if (it->kind == LWBS_CBOR_FLOAT)
			return float_to_int(it->f, want, out);
		if (neg)
			return LWBS_ERANGE_VAL;
		*out = lwbs_value_uint(it->u);
		return 0;
	case LWBS_TYPE_FLOAT:
		if (it->kind == LWBS_CBOR_FLOAT)
			*out = lwbs_value_float(it->f);
		else if (neg)
			*out = lwbs_value_float(-1.0 - (double)it->u);
		else
			*out = lwbs_value_float((double)it->u);
		return 0;
	default:
		return LWBS_ETYPE;
	}
}

int lwbs_cbor_objlnk_parse(const uint8_t *p, size_t n, struct lwbs_value *out)
{
	uint32_t id[2] = {0, 0};
	size_t i = 0;

	for (int k = 0; k < 2; k++) {
		size_t digits = 0;
		while (i < n && p[i] >= '0' && p[i] <= '9') {
			id[k] = id[k] * 10 + (uint32_t)(p[i] - '0');
			if (id[k] > 65535)
				return LWBS_ETYPE;
			i++;
			digits++;
		}
		if (digits == 0)
			return LWBS_ETYPE;
		if (k == 0) {
			if (i == n || p[i] != ':')
				return LWBS_ETYPE;
			i++;
		}
	}
	if (i != n)
		return LWBS_ETYPE;
	*out = lwbs_value_objlnk((uint16_t)id[0], (uint16_t)id[1]);
	return 0;
}

int lwbs_cbor_objlnk_print(const struct lwbs_value *v, char *out, size_t cap)
{
	return snprintf(out, cap, "%u:%u", (unsigned)v->v.objlnk.oid, (unsigned)v->v.objlnk.iid);
}

int lwbs_cbor_value(const struct lwbs_cbor_item *it, enum lwbs_type want, struct lwbs_value *out)
{
	switch (it->kind) {
	case LWBS_CBOR_UINT:
	case LWBS_CBOR_NEGINT:
	case LWBS_CBOR_FLOAT:
		return lwbs_cbor_number(it, want, out);
	case LWBS_CBOR_TEXT:
		if (want == LWBS_TYPE_OBJLNK)
			return lwbs_cbor_objlnk_parse(it->ptr, it->len, out);
		if (want == LWBS_TYPE_NONE || want == LWBS_TYPE_STRING || want == LWBS_TYPE_CORELNK) {
			*out = lwbs_value_bytes(want == LWBS_TYPE_CORELNK ? LWBS_TYPE_CORELNK : LWBS_TYPE_STRING,
						it->ptr, it->len);
			return 0;
		}
		return LWBS_ETYPE;
	case LWBS_CBOR_BYTES:
		if (want != LWBS_TYPE_NONE && want != LWBS_TYPE_OPAQUE)
			return LWBS_ETYPE;
		*out = lwbs_value_bytes(LWBS_TYPE_OPAQUE, it->ptr, it->len);
		return 0;
	case LWBS_CBOR_FALSE:
	case LWBS_CBOR_TRUE:
		if (want != LWBS_TYPE_NONE && want != LWBS_TYPE_BOOLEAN)
			return LWBS_ETYPE;
		*out = lwbs_value_bool(it->kind == LWBS_CBOR_TRUE);
		return 0;
	default:
		return LWBS_ETYPE;
	}
}

/* --- writer --- */

int lwbs_cbor_put_head(struct lwbs_buf *b, unsigned major, uint64_t arg)
{
	uint8_t m = (uint8_t)(major << 5);

	if (arg < 24)
		lwbs_buf_putc(b, m | (uint8_t)arg);
	else if (arg <= UINT8_MAX) {
		lwbs_buf_putc(b, m | 24);
		lwbs_buf_putc(b, (uint8_t)arg);
	} else if (arg <= UINT16_MAX) {
		lwbs_buf_putc(b, m | 25);
		lwbs_buf_put_be16(b, (uint16_t)arg);
	} else if (arg <= UINT32_MAX) {
		lwbs_buf_putc(b, m | 26);
		lwbs_buf_put_be32(b, (uint32_t)arg);
	} else {
		lwbs_buf_putc(b, m | 27);
		lwbs_buf_put_be64(b, arg);
	}
	return lwbs_buf_err(b);
}

int lwbs_cbor_put_uint(struct lwbs_buf *b, uint64_t u)
{
	return lwbs_cbor_put_head(b, 0, u);
}

int lwbs_cbor_put_int(struct lwbs_buf *b, int64_t i)
{
	if (i >= 0)
		return lwbs_cbor_put_head(b, 0, (uint64_t)i);
	/* -1 - i without overflow: ~i */
	return lwbs_cbor_put_head(b, 1, ~(uint64_t)i);
}

int lwbs_cbor_put_bytes(struct lwbs_buf *b, const void *p, size_t n)
{
	lwbs_cbor_put_head(b, 2, n);
	if (n)
		lwbs_buf_put(b, p, n);
	return lwbs_buf_err(b);
}

int lwbs_cbor_put_text(struct lwbs_buf *b, const void *p, size_t n)
{
	lwbs_cbor_put_head(b, 3, n);
	if (n)
		lwbs_buf_put(b, p, n);
	return lwbs_buf_err(b);
}

int lwbs_cbor_put_bool(struct lwbs_buf *b, bool v)
{
	lwbs_buf_putc(b, v ? 0xf5 : 0xf4);
	return lwbs_buf_err(b);
}

int lwbs_cbor_put_float(struct lwbs_buf *b, double d)
{
	uint64_t bits;

	memcpy(&bits, &d, sizeof(bits));
	/* Only convert values float can hold, so the cast stays defined. */
	if (!isfinite(d) || fabs(d) <= FLT_MAX) {
		float f = (float)d;
		double back = f;
		uint64_t back_bits;
		memcpy(&back_bits, &back, sizeof(back_bits));
		if (back_bits == bits) {
			uint32_t fbits;
			memcpy(&fbits, &f, sizeof(fbits));
			lwbs_buf_putc(b, 0xfa);
			lwbs_buf_put_be32(b, fbits);
			return lwbs_buf_err(b);
		}
	}
	lwbs_buf_putc(b, 0xfb);
	lwbs_buf_put_be64(b, bits);
	return lwbs_buf_err(b);
}

int lwbs_cbor_put_array(struct lwbs_buf *b, uint64_t n)
{
	return lwbs_cbor_put_head(b, 4, n);
}

int lwbs_cbor_put_map(struct lwbs_buf *b, uint64_t n)
{
	return lwbs_cbor_put_head(b, 5, n);
}

int lwbs_cbor_put_value(struct lwbs_buf *b, const struct lwbs_value *v)
{
	char lnk[16];
	int n;

	switch (v->type) {
	case LWBS_TYPE_INTEGER:
	case LWBS_TYPE_TIME:
		return lwbs_cbor_put_int(b, v->v.i);
	case LWBS_TYPE_UNSIGNED:
		return lwbs_cbor_put_uint(b, v->v.u);
	case LWBS_TYPE_FLOAT:
		return lwbs_cbor_put_float(b, v->v.f);
	case LWBS_TYPE_STRING:
	case LWBS_TYPE_CORELNK:
		return lwbs_cbor_put_text(b, v->v.bytes.ptr, v->v.bytes.len);
	case LWBS_TYPE_BOOLEAN:
		return lwbs_cbor_put_bool(b, v->v.b);
	case LWBS_TYPE_OPAQUE:
		return lwbs_cbor_put_bytes(b, v->v.bytes.ptr, v->v.bytes.len);
	case LWBS_TYPE_OBJLNK:
		n = lwbs_cbor_objlnk_print(v, lnk, sizeof(lnk));
		return lwbs_cbor_put_text(b, lnk, (size_t)n);
	default:
		return -EINVAL;
	}
}
