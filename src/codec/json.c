/* lwbs — strict JSON parser (RFC 8259) and JSON output helpers. */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/hex.h"
#include "lwbs/codec.h"
#include "lwbs/err.h"

struct parser {
	const uint8_t *p;
	const uint8_t *end;
	struct lwbs_arena *a;
	size_t values;
};

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int hex4(const uint8_t *s, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		int d = lwbs_hex_digit(s[i]);
		if (d < 0)
			return LWBS_ESYNTAX;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(uint8_t *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (uint8_t)(0xC0 | (cp >> 6));
		o[1] = (uint8_t)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (uint8_t)(0xE0 | (cp >> 12));
		o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (uint8_t)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (uint8_t)(0xF0 | (cp >> 18));
	o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (uint8_t)(0x80 | (cp & 0x3F));
	return 4;
}

/* Decodes the escapes of raw[0..n) (the bytes between the quotes, already
 * checked to end properly) into o; returns the output length or an error.
 * Every escape is at least as long as what it produces. */
static long unescape(const uint8_t *raw, size_t n, uint8_t *o)
{
	size_t i = 0, k = 0;
	while (i < n) {
		uint8_t c = raw[i++];
		if (c != '\\') {
			o[k++] = c;
			continue;
		}
		c = raw[i++]; /* present: the scan checked every '\\' has a successor */
		switch (c) {
		case '"': o[k++] = '"'; break;
		case '\\': o[k++] = '\\'; break;
		case '/': o[k++] = '/'; break;
		case 'b': o[k++] = '\b'; break;
		case 'f': o[k++] = '\f'; break;
		case 'n': o[k++] = '\n'; break;
		case 'r': o[k++] = '\r'; break;
		case 't': o[k++] = '\t'; break;
		case 'u': {
			uint32_t cp, lo;
			if (n - i < 4 || hex4(raw + i, &cp) != 0)
				return LWBS_ESYNTAX;
			i += 4;
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return LWBS_EUTF8; /* lone low surrogate */
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (n - i < 6 || raw[i] != '\\' || raw[i + 1] != 'u')
					return LWBS_EUTF8;
				if (hex4(raw + i + 2, &lo) != 0)
					return LWBS_ESYNTAX;
				if (lo < 0xDC00 || lo > 0xDFFF)
					return LWBS_EUTF8;
				i += 6;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			}
			k += put_utf8(o + k, cp);
			break;
		}
		default:
			return LWBS_ESYNTAX;
		}
	}
	return (long)k;
}

/* At the opening quote. */
static int parse_string(struct parser *ps, const char **out, size_t *out_len)
{
	const uint8_t *start = ++ps->p;
	bool escaped = false;

	for (;;) {
		if (ps->p >= ps->end)
			return LWBS_ETRUNC;
		uint8_t c = *ps->p;
		if (c == '"')
			break;
		if (c < 0x20)
			return LWBS_ESYNTAX;
		if (c == '\\') {
			escaped = true;
			if (ps->end - ps->p < 2)
				return LWBS_ETRUNC;
			ps->p++;
		}
		ps->p++;
	}
	size_t raw_len = (size_t)(ps->p - start);
	ps->p++; /* closing quote */

	if (!escaped) {
		char *s = lwbs_arena_strndup(ps->a, (const char *)start, raw_len);
		if (!s)
			return -ENOMEM;
		*out = s;
		*out_len = raw_len;
		return 0;
	}
	uint8_t *o = lwbs_arena_alloc(ps->a, raw_len + 1);
	if (!o)
		return -ENOMEM;
	long k = unescape(start, raw_len, o);
	if (k < 0)
		return (int)k;
	o[k] = 0;
	*out = (const char *)o;
	*out_len = (size_t)k;
	return 0;
}

static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* One or more digits (of a fraction or an exponent). */
static int skip_digits(struct parser *ps)
{
	if (ps->p >= ps->end)
		return LWBS_ETRUNC;
	if (!is_digit(*ps->p))
		return LWBS_ESYNTAX;
	while (ps->p < ps->end && is_digit(*ps->p))
		ps->p++;
	return 0;
}

static int parse_number(struct parser *ps, struct lwbs_json *v)
{
	const uint8_t *start = ps->p;
	bool neg = false, integral = true, overflow = false;
	uint64_t mag = 0;

	if (*ps->p == '-') {
		neg = true;
		ps->p++;
	}
	if (ps->p >= ps->end)
		return LWBS_ETRUNC;
	if (*ps->p == '0') {
		ps->p++;
	} else if (is_digit(*ps->p)) {
		while (ps->p < ps->end && is_digit(*ps->p)) {
			unsigned d = (unsigned)(*ps->p - '0');
			if (mag > (UINT64_MAX - d) / 10)
				overflow = true;
			else
				mag = mag * 10 + d;
			ps->p++;
		}
	} else {
		return LWBS_ESYNTAX;
	}
	if (ps->p < ps->end && *ps->p == '.') {
		integral = false;
		ps->p++;
		int rc = skip_digits(ps);
		if (rc)
			return rc;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		integral = false;
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		int rc = skip_digits(ps);
		if (rc)
			return rc;
	}

	v->type = LWBS_JSON_NUMBER;
	if (integral && !overflow) {
		if (!neg && mag <= (uint64_t)INT64_MAX) {
			v->num = LWBS_JSON_NUM_INT;
			v->v.i = (int64_t)mag;
			return 0;
		}
		if (!neg) {
			v->num = LWBS_JSON_NUM_UINT;
			v->v.u = mag;
			return 0;
		}
		if (mag <= (uint64_t)INT64_MAX + 1) {
			v->num = LWBS_JSON_NUM_INT;
			v->v.i = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
			return 0;
		}
	}
	/* strtod needs a NUL-terminated copy; the lexeme is pure ASCII. */
	size_t len = (size_t)(ps->p - start);
	char small[64];
	char *s = small;
	if (len >= sizeof(small)) {
		s = lwbs_arena_strndup(ps->a, (const char *)start, len);
		if (!s)
			return -ENOMEM;
	} else {
		memcpy(small, start, len);
		small[len] = 0;
	}
	double d = strtod(s, NULL);
	if (isinf(d))
		return LWBS_ERANGE_VAL;
	v->num = LWBS_JSON_NUM_DOUBLE;
	v->v.d = d;
	return 0;
}

static int parse_literal(struct parser *ps, const char *lit, uint8_t type, struct lwbs_json *v)
{
	size_t n = strlen(lit);
	size_t left = (size_t)(ps->end - ps->p);
	size_t cmp = left < n ? left : n;
	if (memcmp(ps->p, lit, cmp) != 0)
		return LWBS_ESYNTAX;
	if (left < n)
		return LWBS_ETRUNC;
	ps->p += n;
	v->type = type;
	return 0;
}

static int key_cmp(const void *x, const void *y)
{
	const struct lwbs_json *a = *(const struct lwbs_json *const *)x;
	const struct lwbs_json *b = *(const struct lwbs_json *const *)y;
	size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
	int c = memcmp(a->key, b->key, n);
	if (c)
		return c;
	return a->key_len < b->key_len ? -1 : a->key_len > b->key_len;
}

static bool same_key(const struct lwbs_json *a, const struct lwbs_json *b)
{
	return a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0;
}

static int check_dup_keys(struct parser *ps, const struct lwbs_json *obj)
{
	if (obj->count <= 16) {
		for (const struct lwbs_json *m = obj->child; m; m = m->next)
			for (const struct lwbs_json *o = m->next; o; o = o->next)
				if (same_key(m, o))
					return LWBS_EDUP;
		return 0;
	}
	const struct lwbs_json **v = lwbs_arena_alloc(ps->a, obj->count * sizeof(*v));
	if (!v)
		return -ENOMEM;
	size_t i = 0;
	for (const struct lwbs_json *m = obj->child; m; m = m->next)
		v[i++] = m;
	qsort(v, obj->count, sizeof(*v), key_cmp);
	for (i = 1; i < obj->count; i++)
		if (same_key(v[i - 1], v[i]))
			return LWBS_EDUP;
	return 0;
}

static int parse_value(struct parser *ps, unsigned depth, struct lwbs_json **out);

/* At '[' or '{'. */
static int parse_container(struct parser *ps, unsigned depth, struct lwbs_json *v)
{
	bool obj = *ps->p == '{';
	uint8_t close = obj ? '}' : ']';
	struct lwbs_json **tail = &v->child;

	if (depth >= LWBS_DECODE_MAX_DEPTH)
		return LWBS_EDEPTH;
	v->type = obj ? LWBS_JSON_OBJECT : LWBS_JSON_ARRAY;
	ps->p++;
	skip_ws(ps);
	if (ps->p >= ps->end)
		return LWBS_ETRUNC;
	if (*ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		size_t key_len = 0;
		struct lwbs_json *item;
		int rc;

		if (obj) {
			if (ps->p >= ps->end)
				return LWBS_ETRUNC;
			if (*ps->p != '"')
				return LWBS_ESYNTAX;
			rc = parse_string(ps, &key, &key_len);
			if (rc)
				return rc;
			skip_ws(ps);
			if (ps->p >= ps->end)
				return LWBS_ETRUNC;
			if (*ps->p != ':')
				return LWBS_ESYNTAX;
			ps->p++;
			skip_ws(ps);
		}
		rc = parse_value(ps, depth + 1, &item);
		if (rc)
			return rc;
		item->key = key;
		item->key_len = key_len;
		*tail = item;
		tail = &item->next;
		v->count++;

		skip_ws(ps);
		if (ps->p >= ps->end)
			return LWBS_ETRUNC;
		if (*ps->p == close) {
			ps->p++;
			break;
		}
		if (*ps->p != ',')
			return LWBS_ESYNTAX;
		ps->p++;
		skip_ws(ps);
	}
	return obj ? check_dup_keys(ps, v) : 0;
}

static int parse_value(struct parser *ps, unsigned depth, struct lwbs_json **out)
{
	struct lwbs_json *v;
	int rc;

	if (ps->p >= ps->end)
		return LWBS_ETRUNC;
	if (++ps->values > LWBS_JSON_MAX_VALUES)
		return LWBS_ELIMIT;
	v = lwbs_arena_alloc(ps->a, sizeof(*v));
	if (!v)
		return -ENOMEM;

	switch (*ps->p) {
	case '{':
	case '[':
		rc = parse_container(ps, depth, v);
		break;
	case '"':
		v->type = LWBS_JSON_STRING;
		rc = parse_string(ps, &v->v.s.ptr, &v->v.s.len);
		break;
	case 't':
		rc = parse_literal(ps, "true", LWBS_JSON_TRUE, v);
		break;
	case 'f':
		rc = parse_literal(ps, "false", LWBS_JSON_FALSE, v);
		break;
	case 'n':
		rc = parse_literal(ps, "null", LWBS_JSON_NULL, v);
		break;
	default:
		if (*ps->p == '-' || is_digit(*ps->p))
			rc = parse_number(ps, v);
		else
			rc = LWBS_ESYNTAX;
		break;
	}
	if (rc)
		return rc;
	*out = v;
	return 0;
}

int lwbs_json_parse(const uint8_t *p, size_t n, struct lwbs_arena *a, struct lwbs_json **out)
{
	struct parser ps = {.p = p, .end = p + n, .a = a, .values = 0};
	struct lwbs_json *v;
	int rc;

	if (!lwbs_utf8_valid(p, n))
		return LWBS_EUTF8;
	skip_ws(&ps);
	rc = parse_value(&ps, 0, &v);
	if (rc)
		return rc;
	skip_ws(&ps);
	if (ps.p != ps.end)
		return LWBS_ESYNTAX;
	*out = v;
	return 0;
}

bool lwbs_json_key_is(const struct lwbs_json *m, const char *key)
{
	size_t n = strlen(key);
	return m->key_len == n && memcmp(m->key, key, n) == 0;
}

const struct lwbs_json *lwbs_json_get(const struct lwbs_json *obj, const char *key)
{
	if (obj->type != LWBS_JSON_OBJECT)
		return NULL;
	for (const struct lwbs_json *m = obj->child; m; m = m->next)
		if (lwbs_json_key_is(m, key))
			return m;
	return NULL;
}

bool lwbs_json_value_path(const struct lwbs_path *p, const struct lwbs_path *base)
{
	return p->len >= LWBS_LEVEL_RESOURCE && lwbs_path_has_prefix(p, base);
}

enum lwbs_type lwbs_json_res_type(const struct lwbs_typer *typer, const struct lwbs_path *p)
{
	if (!typer || !typer->fn)
		return LWBS_TYPE_NONE;
	return typer->fn(typer->ctx, p->id[0], p->id[2]);
}

/* 2^63 and 2^64 as doubles (exact). A double of exactly -2^63 is refused
 * too: integer lexemes just below INT64_MIN round to it. */
#define TWO63 9223372036854775808.0
#define TWO64 18446744073709551616.0

int lwbs_json_number_value(const struct lwbs_json *num, enum lwbs_type t, struct lwbs_value *out)
{
	struct lwbs_value v = {0};

	if (num->type != LWBS_JSON_NUMBER)
		return LWBS_ETYPE;
	if (t == LWBS_TYPE_NONE)
		t = num->num == LWBS_JSON_NUM_INT    ? LWBS_TYPE_INTEGER :
		    num->num == LWBS_JSON_NUM_UINT   ? LWBS_TYPE_UNSIGNED :
						       LWBS_TYPE_FLOAT;
	v.type = t;
	switch (t) {
	case LWBS_TYPE_INTEGER:
	case LWBS_TYPE_TIME:
		if (num->num == LWBS_JSON_NUM_INT) {
			v.v.i = num->v.i;
		} else if (num->num == LWBS_JSON_NUM_UINT) {
			return LWBS_ERANGE_VAL;
		} else {
			double d = num->v.d;
			if (d != trunc(d))
				return LWBS_ETYPE;
			if (d <= -TWO63 || d >= TWO63)
				return LWBS_ERANGE_VAL;
			v.v.i = (int64_t)d;
		}
		break;
	case LWBS_TYPE_UNSIGNED:
		if (num->num == LWBS_JSON_NUM_INT) {
			if (num->v.i < 0)
				return LWBS_ERANGE_VAL;
			v.v.u = (uint64_t)num->v.i;
		} else if (num->num == LWBS_JSON_NUM_UINT) {
			v.v.u = num->v.u;
		} else {
			double d = num->v.d;
			if (d != trunc(d))
				return LWBS_ETYPE;
			if (d < 0 || d >= TWO64)
				return LWBS_ERANGE_VAL;
			v.v.u = (uint64_t)d;
		}
		break;
	case LWBS_TYPE_FLOAT:
		v.v.f = num->num == LWBS_JSON_NUM_INT  ? (double)num->v.i :
			num->num == LWBS_JSON_NUM_UINT ? (double)num->v.u :
							 num->v.d;
		break;
	default:
		return LWBS_ETYPE;
	}
	*out = v;
	return 0;
}

static int parse_id(const char *s, size_t n, uint16_t *out)
{
	uint32_t v = 0;
	if (n == 0 || n > 5)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EBADMSG;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v > 65535)
		return -EBADMSG;
	*out = (uint16_t)v;
	return 0;
}

int lwbs_json_objlnk_parse(const char *s, size_t n, uint16_t *oid, uint16_t *iid)
{
	const char *colon = memchr(s, ':', n);
	uint16_t o, i;
	if (!colon)
		return -EBADMSG;
	if (parse_id(s, (size_t)(colon - s), &o) || parse_id(colon + 1, n - (size_t)(colon - s) - 1, &i))
		return -EBADMSG;
	*oid = o;
	*iid = i;
	return 0;
}

int lwbs_json_objlnk_value(const struct lwbs_json *val, enum lwbs_type t, struct lwbs_value *out)
{
	uint16_t oid, iid;
	int rc;

	if (t != LWBS_TYPE_NONE && t != LWBS_TYPE_OBJLNK)
		return LWBS_ETYPE;
	rc = lwbs_json_objlnk_parse(val->v.s.ptr, val->v.s.len, &oid, &iid);
	if (rc)
		return rc;
	*out = lwbs_value_objlnk(oid, iid);
	return 0;
}

int lwbs_json_put_string(struct lwbs_buf *b, const void *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = s;
	size_t run = 0;

	if (!lwbs_utf8_valid(p, n))
		return LWBS_EUTF8;
	lwbs_buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		lwbs_buf_put(b, p + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': lwbs_buf_puts(b, "\\\""); break;
		case '\\': lwbs_buf_puts(b, "\\\\"); break;
		case '\n': lwbs_buf_puts(b, "\\n"); break;
		case '\r': lwbs_buf_puts(b, "\\r"); break;
		case '\t': lwbs_buf_puts(b, "\\t"); break;
		case '\b': lwbs_buf_puts(b, "\\b"); break;
		case '\f': lwbs_buf_puts(b, "\\f"); break;
		default: {
			char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			lwbs_buf_put(b, esc, sizeof(esc));
		}
		}
	}
	lwbs_buf_put(b, p + run, n - run);
	lwbs_buf_putc(b, '"');
	return lwbs_buf_err(b);
}

int lwbs_json_put_double(struct lwbs_buf *b, double d)
{
	char s[40];

	if (!isfinite(d))
		return -ERANGE;
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(s, sizeof(s), "%.*g", prec, d);
		if (strtod(s, NULL) == d)
			break;
	}
	lwbs_buf_puts(b, s);
	if (!strpbrk(s, ".e"))
		lwbs_buf_puts(b, ".0");
	return lwbs_buf_err(b);
}
