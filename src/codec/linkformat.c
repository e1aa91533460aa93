/* lwbs — CoRE link format (RFC 6690, content format 40).
 *
 * Parses  <target>;attr;attr=ptoken;attr="quoted \"x\"",<target>...
 * The first element may have no target (attributes only), the form LwM2M 1.0
 * clients use for `lwm2m="1.0"` / `lwm2m=1.0`. Optional whitespace (SP, HTAB,
 * CR, LF) is accepted after ',' and ';' because clients emit it; anything
 * else outside the grammar is LWBS_ESYNTAX: bytes outside printable ASCII
 * in targets, names and tokens, empty tokens, trailing separators,
 * unterminated targets or quoted strings. Quoted values are unescaped
 * (backslash takes the next byte literally) and must be UTF-8. An empty
 * payload is an empty link set.
 */
#include <errno.h>
#include <string.h>

#include "lwbs/codec.h"
#include "lwbs/err.h"

/* RFC 5987 attr-char plus '*' (for "title*"): parmname. */
static bool is_name_char(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$&+-.^_`|~*", c);
}

/* RFC 6690 ptokenchar. */
static bool is_ptoken_char(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'()*+-./:<=>?@[]^_`{|}~", c);
}

/* URI-Reference characters, leniently: printable ASCII except '<', '>'. */
static bool is_target_char(uint8_t c) { return c > 0x20 && c < 0x7F && c != '<' && c != '>'; }

static bool is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* A growable array in the arena. */
static void *grow(struct lwbs_arena *a, void *old, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return old;
	size_t ncap = *cap ? *cap * 2 : 4;
	void *nv = lwbs_arena_alloc(a, ncap * size);
	if (!nv)
		return NULL;
	if (n)
		memcpy(nv, old, n * size);
	*cap = ncap;
	return nv;
}

struct lp {
	const uint8_t *p;
	const uint8_t *end;
	struct lwbs_arena *a;
};

static void skip_ws(struct lp *s)
{
	while (s->p < s->end && is_ws(*s->p))
		s->p++;
}

static int parse_quoted(struct lp *s, struct lwbs_link_attr *at)
{
	const uint8_t *start = ++s->p;
	size_t n = 0;

	for (;;) {
		if (s->p >= s->end)
			return LWBS_ESYNTAX;
		uint8_t c = *s->p;
		if (c == '"')
			break;
		if (c == '\\') {
			if (s->end - s->p < 2)
				return LWBS_ESYNTAX;
			s->p++;
			c = *s->p;
		}
		if (c < 0x20 && c != '\t')
			return LWBS_ESYNTAX;
		s->p++;
		n++;
	}
	const uint8_t *stop = s->p++;
	char *v = lwbs_arena_alloc(s->a, n + 1);
	if (!v)
		return -ENOMEM;
	size_t k = 0;
	for (const uint8_t *q = start; q < stop; q++) {
		if (*q == '\\')
			q++;
		v[k++] = (char)*q;
	}
	v[k] = 0;
	if (!lwbs_utf8_valid((const uint8_t *)v, k))
		return LWBS_EUTF8;
	at->value = v;
	at->quoted = true;
	return 0;
}

static int parse_attr(struct lp *s, struct lwbs_link_attr *at)
{
	const uint8_t *start = s->p;

	while (s->p < s->end && is_name_char(*s->p))
		s->p++;
	if (s->p == start)
		return LWBS_ESYNTAX;
	at->name = lwbs_arena_strndup(s->a, (const char *)start, (size_t)(s->p - start));
	if (!at->name)
		return -ENOMEM;
	at->value = NULL;
	at->quoted = false;
	if (s->p >= s->end || *s->p != '=')
		return 0;
	s->p++;
	if (s->p < s->end && *s->p == '"')
		return parse_quoted(s, at);
	start = s->p;
	while (s->p < s->end && is_ptoken_char(*s->p))
		s->p++;
	if (s->p == start)
		return LWBS_ESYNTAX;
	at->value = lwbs_arena_strndup(s->a, (const char *)start, (size_t)(s->p - start));
	return at->value ? 0 : -ENOMEM;
}

/* Attributes of one link: with a target they each follow a ';', without
 * one the first comes directly. Stops at ',' or the end. */
static int parse_attrs(struct lp *s, struct lwbs_link *l, bool leading_sep)
{
	size_t cap = 0;
	bool need_sep = leading_sep;

	while (s->p < s->end && *s->p != ',') {
		if (need_sep) {
			if (*s->p != ';')
				return LWBS_ESYNTAX;
			s->p++;
			skip_ws(s);
		}
		need_sep = true;
		struct lwbs_link_attr *na = grow(s->a, l->attrs, l->n_attrs, &cap, sizeof(*na));
		if (!na)
			return -ENOMEM;
		l->attrs = na;
		int rc = parse_attr(s, &l->attrs[l->n_attrs]);
		if (rc)
			return rc;
		l->n_attrs++;
	}
	return 0;
}

static int parse_link(struct lp *s, struct lwbs_link *l, bool first)
{
	memset(l, 0, sizeof(*l));
	if (s->p >= s->end)
		return LWBS_ESYNTAX; /* trailing ',' */
	if (*s->p != '<') {
		if (!first)
			return LWBS_ESYNTAX;
		int rc = parse_attrs(s, l, false);
		if (rc == 0 && l->n_attrs == 0)
			rc = LWBS_ESYNTAX; /* leading ',' */
		return rc;
	}
	const uint8_t *start = ++s->p;
	while (s->p < s->end && is_target_char(*s->p))
		s->p++;
	if (s->p >= s->end || *s->p != '>')
		return LWBS_ESYNTAX;
	size_t tlen = (size_t)(s->p - start);
	s->p++;
	char *t = lwbs_arena_strndup(s->a, (const char *)start, tlen);
	if (!t)
		return -ENOMEM;
	l->target = t;
	if (tlen > 0 && t[0] == '/' && lwbs_path_parse(t, tlen, &l->path) == 0)
		l->has_path = true;
	else
		l->path = LWBS_PATH_ROOT;
	return parse_attrs(s, l, true);
}

int lwbs_link_parse(const uint8_t *p, size_t n, struct lwbs_arena *a, struct lwbs_linkset *out)
{
	struct lp s = {.p = p, .end = p + n, .a = a};
	struct lwbs_linkset ls = {NULL, 0};
	size_t cap = 0;

	while (s.p < s.end) {
		if (ls.n > 0) {
			s.p++; /* the ',' parse_attrs stopped at */
			skip_ws(&s);
		}
		if (ls.n >= LWBS_DECODE_MAX_NODES)
			return LWBS_ELIMIT;
		struct lwbs_link *nl = grow(a, ls.links, ls.n, &cap, sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		ls.links = nl;
		int rc = parse_link(&s, &ls.links[ls.n], ls.n == 0);
		if (rc)
			return rc;
		ls.n++;
	}
	*out = ls;
	return 0;
}

static bool needs_quotes(const char *v)
{
	if (!*v)
		return true;
	for (; *v; v++)
		if (!is_ptoken_char((uint8_t)*v))
			return true;
	return false;
}

int lwbs_link_emit(const struct lwbs_linkset *ls, struct lwbs_buf *out)
{
	for (size_t i = 0; i < ls->n; i++) {
		const struct lwbs_link *l = &ls->links[i];
		if (i)
			lwbs_buf_putc(out, ',');
		if (l->target) {
			for (const char *c = l->target; *c; c++)
				if (!is_target_char((uint8_t)*c))
					return -EINVAL;
			lwbs_buf_putc(out, '<');
			lwbs_buf_puts(out, l->target);
			lwbs_buf_putc(out, '>');
		} else if (i > 0 || l->n_attrs == 0) {
			return -EINVAL; /* only the first link may lack a target */
		}
		for (size_t j = 0; j < l->n_attrs; j++) {
			const struct lwbs_link_attr *at = &l->attrs[j];
			if (!at->name[0])
				return -EINVAL;
			for (const char *c = at->name; *c; c++)
				if (!is_name_char((uint8_t)*c))
					return -EINVAL;
			if (l->target || j > 0)
				lwbs_buf_putc(out, ';');
			lwbs_buf_puts(out, at->name);
			if (!at->value)
				continue;
			lwbs_buf_putc(out, '=');
			if (!at->quoted && !needs_quotes(at->value)) {
				lwbs_buf_puts(out, at->value);
				continue;
			}
			lwbs_buf_putc(out, '"');
			for (const char *c = at->value; *c; c++) {
				if ((uint8_t)*c < 0x20 && *c != '\t')
					return -EINVAL;
				if (*c == '"' || *c == '\\')
					lwbs_buf_putc(out, '\\');
				lwbs_buf_putc(out, (uint8_t)*c);
			}
			lwbs_buf_putc(out, '"');
		}
	}
	return lwbs_buf_err(out);
}

static bool name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a, y = *b;
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return *a == *b;
}

const char *lwbs_link_attr(const struct lwbs_link *l, const char *name, bool *present)
{
	for (size_t i = 0; i < l->n_attrs; i++) {
		if (!name_eq(l->attrs[i].name, name))
			continue;
		if (present)
			*present = true;
		return l->attrs[i].value;
	}
	if (present)
		*present = false;
	return NULL;
}
