/* lwbs — generated DM credentials: PSK identity templates and random keys
 * (include/lwbs/identity.h). Built into the store library (src/store), which
 * generates and journals credentials; only the key generator touches
 * OpenSSL. */
#include <errno.h>
#include <string.h>

#include <openssl/rand.h>

#include "lwbs/err.h"
#include "lwbs/identity.h"

static const struct {
	const char *name;
	enum lwbs_ident_kind kind;
} placeholders[] = {
	{"endpoint", LWBS_IDENT_ENDPOINT},
	{"imsi", LWBS_IDENT_IMSI},
	{"msisdn", LWBS_IDENT_MSISDN},
	{"imei", LWBS_IDENT_IMEI},
};

/* Placeholder at s ("{name}"): its kind and length, or -1. */
static int placeholder(const char *s, size_t *len)
{
	const char *end = strchr(s, '}');

	if (!end)
		return -1;
	for (size_t i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++) {
		size_t nl = strlen(placeholders[i].name);
		if ((size_t)(end - s - 1) == nl && !memcmp(s + 1, placeholders[i].name, nl)) {
			*len = nl + 2;
			return (int)placeholders[i].kind;
		}
	}
	return -1;
}

/* One pass over tmpl; with out == NULL only checks. */
static int expand(const char *tmpl, const char *const *ident, char *out, size_t cap)
{
	size_t n = 0, limit = cap ? cap - 1 : 0;

	if (limit > LWBS_IDENTITY_PSK_ID_MAX)
		limit = LWBS_IDENTITY_PSK_ID_MAX;
	for (const char *s = tmpl; *s;) {
		const char *piece;
		size_t plen;

		if ((s[0] == '{' && s[1] == '{') || (s[0] == '}' && s[1] == '}')) {
			piece = s;
			plen = 1;
			s += 2;
		} else if (s[0] == '}') {
			return LWBS_ESYNTAX;
		} else if (s[0] == '{') {
			size_t tl;
			int k = placeholder(s, &tl);
			if (k < 0)
				return LWBS_ESYNTAX;
			s += tl;
			if (!out)
				continue;
			piece = ident[k];
			if (!piece || !*piece)
				return -ENOENT;
			plen = strlen(piece);
		} else {
			piece = s;
			plen = 1;
			s++;
		}
		if (!out)
			continue;
		if (plen > limit - n)
			return -ENOBUFS;
		memcpy(out + n, piece, plen);
		n += plen;
	}
	if (out) {
		if (!n)
			return -ENOENT;
		out[n] = 0;
	}
	return 0;
}

int lwbs_identity_template_check(const char *tmpl)
{
	if (!tmpl || !*tmpl)
		return LWBS_ESYNTAX;
	return expand(tmpl, NULL, NULL, 0);
}

int lwbs_identity_template_expand(const char *tmpl, const char *const ident[LWBS_IDENT_COUNT], char *out,
				  size_t cap)
{
	char tmp[LWBS_IDENTITY_PSK_ID_MAX + 1];
	int rc = lwbs_identity_template_check(tmpl);

	if (rc)
		return rc;
	if (!cap)
		return -ENOBUFS;
	rc = expand(tmpl, ident, tmp, cap < sizeof(tmp) ? cap : sizeof(tmp));
	if (!rc)
		memcpy(out, tmp, strlen(tmp) + 1);
	return rc;
}

int lwbs_identity_key_generate(uint8_t *key, size_t len)
{
	if (len < LWBS_IDENTITY_KEY_MIN || len > LWBS_IDENTITY_KEY_MAX)
		return -EINVAL;
	if (RAND_bytes(key, (int)len) != 1)
		return -EIO;
	return 0;
}
