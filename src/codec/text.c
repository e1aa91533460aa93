/* lwbs — plain text (content format 0) and opaque (42).
 *
 * Both carry exactly one value, so the request path must be a single
 * resource (/O/I/R) or a resource instance (/O/I/R/RI).
 *
 * Plain text representation (LwM2M Core, "Plain Text"):
 *   integer, time  optional sign then decimal digits ("-12", "+7", "0")
 *   unsigned       decimal digits; a leading '-' is out of range unless the
 *                  value is zero
 *   float          [sign] digits [. digits] [e [sign] digits], digits on at
 *                  least one side of the point; no spaces, hex, inf or nan.
 *                  Parsed with strtod() in the "C" locale (lwbs never calls
 *                  setlocale() for LC_NUMERIC). Encoded as the shortest %g
 *                  text, over all precisions, that reads back to the same
 *                  double (bit-exact but for the sign of zero, which %g
 *                  keeps: "-0"); NaN and
 *                  infinities cannot be written in text (LWBS_ERANGE_VAL).
 *   boolean        "0" or "1" only; "true"/"false" are LWBS_ESYNTAX (the
 *                  LwM2M text format defines 0 and 1, nothing else)
 *   objlnk         "OID:IID", both decimal 0..65535
 *   opaque         base64 (standard alphabet with padding on output; either
 *                  alphabet, padding optional on input)
 *   string, corelnk  UTF-8 as is
 * The type comes from the typer; an unknown resource is a string.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/codec.h"
#include "lwbs/err.h"

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* Decimal digits s[0..n) (n >= 1, all digits) into *out; false on
 * overflow past max. */
static bool parse_digits(const uint8_t *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool all_digits(const uint8_t *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

static int text_int(const uint8_t *s, size_t n, int64_t *out)
{
	bool neg = false;
	uint64_t mag;

	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		s++;
		n--;
	}
	if (!all_digits(s, n))
		return LWBS_ESYNTAX;
	if (!parse_digits(s, n, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &mag))
		return LWBS_ERANGE_VAL;
	*out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return 0;
}

static int text_uint(const uint8_t *s, size_t n, uint64_t *out)
{
	bool neg = false;
	uint64_t v;

	if (n && s[0] == '-') {
		neg = true;
		s++;
		n--;
	}
	if (!all_digits(s, n))
		return LWBS_ESYNTAX;
	if (!parse_digits(s, n, UINT64_MAX, &v) || (neg && v != 0))
		return LWBS_ERANGE_VAL;
	*out = v;
	return 0;
}

/* Checks the strict float grammar described above. */
static bool float_syntax_ok(const uint8_t *s, size_t n)
{
	size_t i = 0, int_digits = 0, frac_digits = 0;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	while (i < n && is_digit(s[i])) {
		i++;
		int_digits++;
	}
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && is_digit(s[i])) {
			i++;
			frac_digits++;
		}
	}
	if (int_digits + frac_digits == 0)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t exp_digits = 0;
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		while (i < n && is_digit(s[i])) {
			i++;
			exp_digits++;
		}
		if (exp_digits == 0)
			return false;
	}
	return i == n;
}

/* strtod() needs a NUL-terminated copy, taken from the arena. */
static int text_float(const uint8_t *s, size_t n, struct lwbs_arena *a, double *out)
{
	if (!float_syntax_ok(s, n))
		return LWBS_ESYNTAX;
	char *tmp = lwbs_arena_strndup(a, (const char *)s, n);
	if (!tmp)
		return -ENOMEM;
	double f = strtod(tmp, NULL);
	if (isinf(f))
		return LWBS_ERANGE_VAL;
	*out = f;
	return 0;
}

static int text_objlnk(const uint8_t *s, size_t n, struct lwbs_value *out)
{
	const uint8_t *colon = memchr(s, ':', n);
	uint64_t oid, iid;

	if (!colon)
		return LWBS_ESYNTAX;
	size_t a = (size_t)(colon - s), b = n - a - 1;
	if (!all_digits(s, a) || !all_digits(colon + 1, b))
		return LWBS_ESYNTAX;
	if (!parse_digits(s, a, UINT16_MAX, &oid) || !parse_digits(colon + 1, b, UINT16_MAX, &iid))
		return LWBS_ERANGE_VAL;
	*out = lwbs_value_objlnk((uint16_t)oid, (uint16_t)iid);
	return 0;
}

static bool single_value_path(const struct lwbs_path *base)
{
	return base && (base->len == LWBS_LEVEL_RESOURCE || base->len == LWBS_LEVEL_RES_INSTANCE);
}

/* Stores v at base in a new tree. */
static int store_value(const struct lwbs_path *base, const struct lwbs_value *v,
		       struct lwbs_arena *a, struct lwbs_node **out)
{
	struct lwbs_node *root = lwbs_node_root(a);
	if (!root)
		return -ENOMEM;
	int rc = lwbs_node_set(a, root, base, v);
	if (rc)
		return rc;
	*out = root;
	return 0;
}

/* The checks both decoders start with: a single-value request path, and a
 * body pointer unless the body is empty (then *p points at ""). */
static int check_input(const struct lwbs_path *base, size_t n, const uint8_t **p)
{
	if (!single_value_path(base))
		return LWBS_EPATH;
	if (n && !*p)
		return -EINVAL;
	if (!n)
		*p = (const uint8_t *)"";
	return 0;
}

int lwbs_text_decode(const uint8_t *p, size_t n, const struct lwbs_path *base,
		     const struct lwbs_typer *typer, struct lwbs_arena *a, struct lwbs_node **out)
{
	enum lwbs_type t = LWBS_TYPE_NONE;
	struct lwbs_value v;
	int rc;

	rc = check_input(base, n, &p);
	if (rc)
		return rc;
	if (typer && typer->fn)
		t = typer->fn(typer->ctx, base->id[0], base->id[2]);

	switch (t) {
	case LWBS_TYPE_INTEGER:
	case LWBS_TYPE_TIME: {
		int64_t i;
		rc = text_int(p, n, &i);
		if (rc)
			return rc;
		v = t == LWBS_TYPE_TIME ? lwbs_value_time(i) : lwbs_value_int(i);
		break;
	}
	case LWBS_TYPE_UNSIGNED: {
		uint64_t u;
		rc = text_uint(p, n, &u);
		if (rc)
			return rc;
		v = lwbs_value_uint(u);
		break;
	}
	case LWBS_TYPE_FLOAT: {
		double f;
		rc = text_float(p, n, a, &f);
		if (rc)
			return rc;
		v = lwbs_value_float(f);
		break;
	}
	case LWBS_TYPE_BOOLEAN:
		if (n != 1 || (p[0] != '0' && p[0] != '1'))
			return LWBS_ESYNTAX;
		v = lwbs_value_bool(p[0] == '1');
		break;
	case LWBS_TYPE_OBJLNK:
		rc = text_objlnk(p, n, &v);
		if (rc)
			return rc;
		break;
	case LWBS_TYPE_OPAQUE: {
		uint8_t *bytes;
		size_t len;
		rc = lwbs_base64_decode((const char *)p, n, a, &bytes, &len);
		if (rc)
			return rc;
		v = lwbs_value_bytes(LWBS_TYPE_OPAQUE, bytes, len);
		break;
	}
	case LWBS_TYPE_CORELNK:
	default:
		if (!lwbs_utf8_valid(p, n))
			return LWBS_EUTF8;
		v = lwbs_value_bytes(t == LWBS_TYPE_CORELNK ? t : LWBS_TYPE_STRING, p, n);
		break;
	}
	return store_value(base, &v, a, out);
}

/* The value node at base, which must be a single resource or a resource
 * instance holding a value. */
static int value_at(const struct lwbs_node *root, const struct lwbs_path *base,
		    const struct lwbs_value **out)
{
	if (!single_value_path(base))
		return LWBS_EPATH;
	const struct lwbs_node *n = lwbs_node_find(root, base);
	if (!n)
		return -ENOENT;
	if (n->multiple)
		return LWBS_EPATH;
	if (!n->has_value)
		return LWBS_EMISSING;
	*out = &n->value;
	return 0;
}

/* The shortest %g text (over every precision, so 100 is "100" rather
 * than "1e+02") that strtod() reads back as exactly f. */
static int put_float(double f, struct lwbs_buf *out)
{
	char best[32] = "", tmp[32];
	size_t best_len = SIZE_MAX;

	if (!isfinite(f))
		return LWBS_ERANGE_VAL;
	for (int prec = 1; prec <= 17; prec++) {
		int n = snprintf(tmp, sizeof(tmp), "%.*g", prec, f);
		if (n > 0 && (size_t)n < best_len && strtod(tmp, NULL) == f) {
			memcpy(best, tmp, (size_t)n + 1);
			best_len = (size_t)n;
		}
	}
	return lwbs_buf_puts(out, best);
}

int lwbs_text_encode(const struct lwbs_node *root, const struct lwbs_path *base, struct lwbs_buf *out)
{
	const struct lwbs_value *v;
	int rc = value_at(root, base, &v);
	if (rc)
		return rc;

	switch (v->type) {
	case LWBS_TYPE_STRING:
	case LWBS_TYPE_CORELNK:
		lwbs_buf_put(out, v->v.bytes.ptr, v->v.bytes.len);
		break;
	case LWBS_TYPE_OPAQUE:
		lwbs_base64_encode(v->v.bytes.ptr, v->v.bytes.len, out);
		break;
	case LWBS_TYPE_INTEGER:
	case LWBS_TYPE_TIME:
		lwbs_buf_printf(out, "%" PRId64, v->v.i);
		break;
	case LWBS_TYPE_UNSIGNED:
		lwbs_buf_printf(out, "%" PRIu64, v->v.u);
		break;
	case LWBS_TYPE_FLOAT:
		rc = put_float(v->v.f, out);
		if (rc)
			return rc;
		break;
	case LWBS_TYPE_BOOLEAN:
		lwbs_buf_putc(out, v->v.b ? '1' : '0');
		break;
	case LWBS_TYPE_OBJLNK:
		lwbs_buf_printf(out, "%u:%u", v->v.objlnk.oid, v->v.objlnk.iid);
		break;
	case LWBS_TYPE_NONE:
		break;
	default:
		return LWBS_ETYPE;
	}
	return lwbs_buf_err(out);
}

int lwbs_opaque_decode(const uint8_t *p, size_t n, const struct lwbs_path *base,
		       const struct lwbs_typer *typer, struct lwbs_arena *a, struct lwbs_node **out)
{
	int rc = check_input(base, n, &p);
	if (rc)
		return rc;
	struct lwbs_value v = lwbs_value_bytes(LWBS_TYPE_OPAQUE, p, n);
	return store_value(base, &v, a, out);
}

int lwbs_opaque_encode(const struct lwbs_node *root, const struct lwbs_path *base, struct lwbs_buf *out)
{
	const struct lwbs_value *v;
	int rc = value_at(root, base, &v);
	if (rc)
		return rc;
	if (v->type != LWBS_TYPE_OPAQUE)
		return LWBS_ETYPE;
	lwbs_buf_put(out, v->v.bytes.ptr, v->v.bytes.len);
	return lwbs_buf_err(out);
}
