/* lwbs — base64 (RFC 4648 §4) and base64url (§5) for SenML vd, plain-text
 * opaque values and configuration files. */
#include <errno.h>

#include "lwbs/codec.h"
#include "lwbs/err.h"

static const char std_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int encode(const uint8_t *p, size_t n, struct lwbs_buf *out, const char *alpha, bool pad)
{
	size_t full = n / 3, rest = n % 3;
	size_t olen = full * 4 + (rest ? (pad ? 4 : rest + 1) : 0);
	uint8_t *d = lwbs_buf_reserve(out, olen);
	if (!d)
		return out->err;
	for (size_t i = 0; i < full; i++, p += 3) {
		uint32_t v = ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
		*d++ = (uint8_t)alpha[v >> 18];
		*d++ = (uint8_t)alpha[(v >> 12) & 63];
		*d++ = (uint8_t)alpha[(v >> 6) & 63];
		*d++ = (uint8_t)alpha[v & 63];
	}
	if (rest) {
		uint32_t v = (uint32_t)p[0] << 16;
		if (rest == 2)
			v |= (uint32_t)p[1] << 8;
		*d++ = (uint8_t)alpha[v >> 18];
		*d++ = (uint8_t)alpha[(v >> 12) & 63];
		if (rest == 2)
			*d++ = (uint8_t)alpha[(v >> 6) & 63];
		else if (pad)
			*d++ = '=';
		if (pad)
			*d++ = '=';
	}
	return 0;
}

int lwbs_base64_encode(const uint8_t *p, size_t n, struct lwbs_buf *out)
{
	return encode(p, n, out, std_alpha, true);
}

int lwbs_base64url_encode(const uint8_t *p, size_t n, struct lwbs_buf *out)
{
	return encode(p, n, out, url_alpha, false);
}

static int sextet(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

int lwbs_base64_decode(const char *s, size_t n, struct lwbs_arena *a, uint8_t **out, size_t *out_len)
{
	/* Padding: either none, or exactly enough to reach a multiple of 4. */
	size_t pad = 0;
	while (n > 0 && s[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (pad && (n + pad) % 4 != 0)
		return LWBS_ESYNTAX;
	if (n % 4 == 1)
		return LWBS_ESYNTAX;
	bool std = false, url = false;
	size_t olen = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
	uint8_t *d = lwbs_arena_alloc(a, olen ? olen : 1);
	if (!d)
		return -ENOMEM;
	size_t o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = sextet(s[i]);
		if (v < 0)
			return LWBS_ESYNTAX;
		if (s[i] == '+' || s[i] == '/')
			std = true;
		if (s[i] == '-' || s[i] == '_')
			url = true;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Mixed alphabets or non-zero leftover bits are not canonical input. */
	if ((std && url) || acc != 0)
		return LWBS_ESYNTAX;
	*out = d;
	*out_len = o;
	return 0;
}
