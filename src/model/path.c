/* lwbs — LwM2M path parsing and printing. */
#include <errno.h>
#include <stdio.h>

#include "lwbs/err.h"
#include "lwbs/path.h"

int lwbs_path_parse(const char *s, size_t n, struct lwbs_path *out)
{
	struct lwbs_path p = {{0, 0, 0, 0}, 0};
	size_t i = 0;

	if (n == 0 || (n == 1 && s[0] == '/')) {
		*out = p;
		return 0;
	}
	if (s[0] != '/')
		return LWBS_EPATH;
	i = 1;
	while (i < n) {
		if (p.len == 4)
			return LWBS_EPATH;
		uint32_t v = 0;
		size_t start = i;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			v = v * 10 + (uint32_t)(s[i] - '0');
			if (v > LWBS_ID_MAX)
				return LWBS_EPATH;
			i++;
		}
		if (i == start)
			return LWBS_EPATH; /* empty segment or not a digit */
		p.id[p.len++] = (uint16_t)v;
		if (i == n)
			break;
		if (s[i] != '/')
			return LWBS_EPATH;
		i++; /* a single trailing '/' ends the loop here */
		if (i == n)
			break;
	}
	*out = p;
	return 0;
}

int lwbs_path_print(const struct lwbs_path *p, char *out, size_t cap)
{
	if (p->len > 4)
		return -EINVAL;
	if (p->len == 0) {
		if (cap < 2)
			return -ENOBUFS;
		out[0] = '/';
		out[1] = '\0';
		return 1;
	}
	size_t pos = 0;
	for (unsigned i = 0; i < p->len; i++) {
		int w = snprintf(out + pos, cap - pos, "/%u", (unsigned)p->id[i]);
		if (w < 0 || (size_t)w >= cap - pos)
			return -ENOBUFS;
		pos += (size_t)w;
	}
	return (int)pos;
}

int lwbs_path_cmp(const struct lwbs_path *a, const struct lwbs_path *b)
{
	unsigned n = a->len < b->len ? a->len : b->len;
	for (unsigned i = 0; i < n; i++)
		if (a->id[i] != b->id[i])
			return a->id[i] < b->id[i] ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return 0;
}

bool lwbs_path_equal(const struct lwbs_path *a, const struct lwbs_path *b)
{
	return lwbs_path_cmp(a, b) == 0;
}

bool lwbs_path_has_prefix(const struct lwbs_path *p, const struct lwbs_path *prefix)
{
	if (prefix->len > p->len)
		return false;
	for (unsigned i = 0; i < prefix->len; i++)
		if (p->id[i] != prefix->id[i])
			return false;
	return true;
}
