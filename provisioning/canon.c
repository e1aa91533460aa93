/* lwbs provisioning — the canonical JSON form of profiles and devices, its
 * SHA-256 digests and the diff rule. Pure: no I/O. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/codec.h"
#include "lwbs/provision.h"

/* ---------- SHA-256 (FIPS 180-4) ---------- */

struct sha256 {
	uint32_t h[8];
	uint8_t blk[64];
	size_t n;
	uint64_t total;
};

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
	e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
	s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha_init(struct sha256 *s)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(s->h, iv, sizeof(iv));
	s->n = 0;
	s->total = 0;
}

static void sha_update(struct sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->total += len;
	if (s->n) {
		size_t k = 64 - s->n < len ? 64 - s->n : len;
		memcpy(s->blk + s->n, p, k);
		s->n += k;
		p += k;
		len -= k;
		if (s->n < 64)
			return;
		sha_block(s, s->blk);
		s->n = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		sha_block(s, p);
	memcpy(s->blk, p, len);
	s->n = len;
}

static void sha_final(struct sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->total * 8;

	s->blk[s->n++] = 0x80;
	if (s->n > 56) {
		memset(s->blk + s->n, 0, 64 - s->n);
		sha_block(s, s->blk);
		s->n = 0;
	}
	memset(s->blk + s->n, 0, 56 - s->n);
	for (int i = 0; i < 8; i++)
		s->blk[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha_block(s, s->blk);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}

/* ---------- documents ---------- */

void lwbs_provision_doc_init(struct lwbs_provision_doc *d)
{
	memset(d, 0, sizeof(*d));
	lwbs_buf_init(&d->json, 64u << 20);
}

void lwbs_provision_doc_reset(struct lwbs_provision_doc *d)
{
	lwbs_buf_reset(&d->json);
	d->n_secrets = 0;
	d->has_redacted = false;
	d->overrides_off = 0;
	d->overrides_len = 0;
}

void lwbs_provision_doc_finish(struct lwbs_provision_doc *d)
{
	lwbs_buf_finish(&d->json);
	free(d->secrets);
	memset(d, 0, sizeof(*d));
}

/* Writer state: the document and the JSON path of the value being written
 * (comma-separated, without braces). */
struct w {
	struct lwbs_provision_doc *d;
	struct lwbs_buf *b;
	char path[120];
	size_t plen;
	int err;
};

static size_t path_push(struct w *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_push(struct w *w, const char *fmt, ...)
{
	size_t old = w->plen;
	va_list ap;
	int n;

	if (w->plen && w->plen < sizeof(w->path) - 1)
		w->path[w->plen++] = ',';
	va_start(ap, fmt);
	n = vsnprintf(w->path + w->plen, sizeof(w->path) - w->plen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(w->path) - w->plen)
		w->err = -ENAMETOOLONG;
	else
		w->plen += (size_t)n;
	return old;
}

static void path_pop(struct w *w, size_t old)
{
	w->plen = old;
	w->path[old] = 0;
}

static void jstr(struct w *w, const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *s = p;
	size_t run = 0;

	lwbs_buf_putc(w->b, '"');
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		lwbs_buf_put(w->b, s + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\') {
			lwbs_buf_putc(w->b, '\\');
			lwbs_buf_putc(w->b, c);
		} else if (c == '\n') {
			lwbs_buf_puts(w->b, "\\n");
		} else if (c == '\t') {
			lwbs_buf_puts(w->b, "\\t");
		} else {
			char e[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
			lwbs_buf_puts(w->b, e);
		}
	}
	lwbs_buf_put(w->b, s + run, n - run);
	lwbs_buf_putc(w->b, '"');
}

static void jcstr(struct w *w, const char *s)
{
	jstr(w, s, strlen(s));
}

/* `,"key":` (no comma before the first key of an object: first is reset). */
static void jkey(struct w *w, bool *first, const char *key)
{
	if (!*first)
		lwbs_buf_putc(w->b, ',');
	*first = false;
	jcstr(w, key);
	lwbs_buf_putc(w->b, ':');
}

static void jhex(struct w *w, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t *o;

	lwbs_buf_puts(w->b, "\"hex:");
	o = lwbs_buf_reserve(w->b, 2 * n);
	if (o)
		for (size_t i = 0; i < n; i++) {
			o[2 * i] = (uint8_t)hex[p[i] >> 4];
			o[2 * i + 1] = (uint8_t)hex[p[i] & 15];
		}
	lwbs_buf_putc(w->b, '"');
}

/* A secret at the current path: "redacted" in the document, the value on
 * the side. */
static void jsecret(struct w *w, const uint8_t *p, size_t n, bool text)
{
	struct lwbs_provision_doc *d = w->d;
	struct lwbs_provision_secret *s;

	if (d->n_secrets == d->cap_secrets) {
		size_t nc = d->cap_secrets ? d->cap_secrets * 2 : 4;
		void *na = realloc(d->secrets, nc * sizeof(*d->secrets));
		if (!na) {
			w->err = -ENOMEM;
			return;
		}
		d->secrets = na;
		d->cap_secrets = nc;
	}
	s = &d->secrets[d->n_secrets++];
	snprintf(s->path, sizeof(s->path), "{%s}", w->path);
	s->redacted = p == lwbs_prov_redacted;
	s->ptr = s->redacted ? NULL : p;
	s->len = s->redacted ? 0 : n;
	s->text = text;
	if (s->redacted)
		d->has_redacted = true;
	lwbs_buf_puts(w->b, "\"redacted\"");
}

static void jbytes(struct w *w, const struct lwbs_prov_bytes *b)
{
	if (b->secret)
		jsecret(w, b->ptr, b->len, false);
	else
		jhex(w, b->ptr, b->len);
}

/* ---------- resources ---------- */

/* The model's name of a type that carries a value; NULL for "none" and
 * for anything outside the enum. */
static const char *type_name(enum lwbs_type t)
{
	if (t == LWBS_TYPE_NONE || (unsigned)t > LWBS_TYPE_CORELNK)
		return NULL;
	return lwbs_type_name(t);
}

static void jvalue(struct w *w, const struct lwbs_prov_res *r)
{
	const struct lwbs_value *v = &r->value;

	switch (v->type) {
	case LWBS_TYPE_STRING:
	case LWBS_TYPE_CORELNK:
		if (r->secret)
			jsecret(w, v->v.bytes.ptr, v->v.bytes.len, true);
		else
			jstr(w, v->v.bytes.ptr, v->v.bytes.len);
		return;
	case LWBS_TYPE_OPAQUE:
		if (r->secret)
			jsecret(w, v->v.bytes.ptr, v->v.bytes.len, false);
		else
			jhex(w, v->v.bytes.ptr, v->v.bytes.len);
		return;
	case LWBS_TYPE_INTEGER:
	case LWBS_TYPE_TIME:
		lwbs_buf_printf(w->b, "%" PRId64, v->v.i);
		return;
	case LWBS_TYPE_UNSIGNED:
		lwbs_buf_printf(w->b, "%" PRIu64, v->v.u);
		return;
	case LWBS_TYPE_FLOAT:
		if (isnan(v->v.f))
			lwbs_buf_puts(w->b, "\"nan\"");
		else if (isinf(v->v.f))
			lwbs_buf_puts(w->b, v->v.f < 0 ? "\"-inf\"" : "\"inf\"");
		else
			lwbs_buf_printf(w->b, "%.17g", v->v.f);
		return;
	case LWBS_TYPE_BOOLEAN:
		lwbs_buf_puts(w->b, v->v.b ? "true" : "false");
		return;
	case LWBS_TYPE_OBJLNK:
		lwbs_buf_printf(w->b, "\"%u:%u\"", v->v.objlnk.oid, v->v.objlnk.iid);
		return;
	case LWBS_TYPE_NONE:
		break;
	}
	w->err = -EINVAL;
}

/* {RID: {type, value}}; instances of one multiple resource are adjacent
 * (the loader adds them together) and become {RIID: value}. */
static void jres(struct w *w, const struct lwbs_prov_res *r, size_t n)
{
	bool first = true;

	lwbs_buf_putc(w->b, '{');
	for (size_t i = 0; i < n;) {
		char key[12];
		const char *tn = type_name(r[i].value.type);
		size_t old, j = i;

		if (!tn) {
			w->err = -EINVAL;
			return;
		}
		snprintf(key, sizeof(key), "%u", r[i].rid);
		jkey(w, &first, key);
		old = path_push(w, "%u", r[i].rid);
		lwbs_buf_printf(w->b, "{\"type\":\"%s\",\"value\":", tn);
		size_t old2 = path_push(w, "value");
		if (r[i].riid < 0) {
			jvalue(w, &r[i]);
			j = i + 1;
		} else {
			bool f2 = true;
			lwbs_buf_putc(w->b, '{');
			for (j = i; j < n && r[j].rid == r[i].rid && r[j].riid >= 0; j++) {
				snprintf(key, sizeof(key), "%d", (int)r[j].riid);
				jkey(w, &f2, key);
				size_t old3 = path_push(w, "%d", (int)r[j].riid);
				jvalue(w, &r[j]);
				path_pop(w, old3);
			}
			lwbs_buf_putc(w->b, '}');
		}
		path_pop(w, old2);
		lwbs_buf_putc(w->b, '}');
		path_pop(w, old);
		i = j;
	}
	lwbs_buf_putc(w->b, '}');
}

/* ---------- profiles ---------- */

static const char *const mode_names[] = {"psk", "rpk", "x509", "nosec", "est"};

/* The mode a server (possibly a partial override) ends up with. */
static uint8_t server_mode(const struct lwbs_prov_server *s, const struct lwbs_prov_profile *base)
{
	if ((s->set & LWBS_PROV_SRV_MODE) || !base)
		return s->mode;
	if (s->bootstrap)
		return base->bootstrap_server ? base->bootstrap_server->mode : s->mode;
	for (size_t i = 0; i < base->n_servers; i++)
		if (base->servers[i].ssid == s->ssid)
			return base->servers[i].mode;
	return s->mode;
}

static bool is_text(const uint8_t *p, size_t n)
{
	return !memchr(p, 0, n) && lwbs_utf8_valid(p, n);
}

static void jserver(struct w *w, const struct lwbs_prov_server *s, const struct lwbs_prov_profile *base)
{
	uint8_t mode = server_mode(s, base);
	bool first = true;
	size_t old;

	lwbs_buf_putc(w->b, '{');
	if (s->set & LWBS_PROV_SRV_URI) {
		jkey(w, &first, "uri");
		jcstr(w, s->uri);
	}
	if (s->set & LWBS_PROV_SRV_SSID) {
		jkey(w, &first, "ssid");
		lwbs_buf_printf(w->b, "%u", s->ssid);
	}
	if (s->set & LWBS_PROV_SRV_MODE) {
		jkey(w, &first, "security");
		jcstr(w, s->mode < 5 ? mode_names[s->mode] : "?");
	}
	if (s->set & LWBS_PROV_SRV_IDENTITY) {
		if (mode == LWBS_PROV_MODE_PSK && is_text(s->identity.ptr, s->identity.len)) {
			jkey(w, &first, "psk_identity");
			jstr(w, s->identity.ptr, s->identity.len);
		} else {
			jkey(w, &first, mode == LWBS_PROV_MODE_RPK ? "public_key" : "certificate");
			jhex(w, s->identity.ptr, s->identity.len);
		}
	}
	if (s->set & LWBS_PROV_SRV_SERVER_KEY) {
		jkey(w, &first, mode == LWBS_PROV_MODE_RPK ? "server_public_key" : "server_certificate");
		jhex(w, s->server_key.ptr, s->server_key.len);
	}
	if (s->set & LWBS_PROV_SRV_SECRET_KEY) {
		const char *k = mode == LWBS_PROV_MODE_PSK ? "psk_key" : "private_key";
		jkey(w, &first, k);
		old = path_push(w, "%s", k);
		jbytes(w, &s->secret_key);
		path_pop(w, old);
	}
	if ((s->set & LWBS_PROV_SRV_GENERATE) && s->generate) {
		bool gfirst = true;

		jkey(w, &first, "generate_credentials");
		lwbs_buf_putc(w->b, '{');
		jkey(w, &gfirst, "psk_identity");
		jcstr(w, s->generate->identity);
		jkey(w, &gfirst, "key_length");
		lwbs_buf_printf(w->b, "%u", s->generate->key_len);
		jkey(w, &gfirst, "rotate");
		lwbs_buf_puts(w->b, s->generate->rotate ? "true" : "false");
		lwbs_buf_putc(w->b, '}');
	}
	static const struct {
		uint32_t bit;
		const char *key;
		size_t off;
	} nums[] = {
		{LWBS_PROV_SRV_LIFETIME, "lifetime", offsetof(struct lwbs_prov_server, lifetime)},
		{LWBS_PROV_SRV_PMIN, "pmin", offsetof(struct lwbs_prov_server, pmin)},
		{LWBS_PROV_SRV_PMAX, "pmax", offsetof(struct lwbs_prov_server, pmax)},
		{LWBS_PROV_SRV_DISABLE_TIMEOUT, "disable_timeout", offsetof(struct lwbs_prov_server, disable_timeout)},
		{LWBS_PROV_SRV_HOLD_OFF, "hold_off", offsetof(struct lwbs_prov_server, hold_off)},
		{LWBS_PROV_SRV_ACCOUNT_TIMEOUT, "account_timeout", offsetof(struct lwbs_prov_server, account_timeout)},
	};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (s->set & nums[i].bit) {
			uint32_t v;
			memcpy(&v, (const char *)s + nums[i].off, sizeof(v));
			jkey(w, &first, nums[i].key);
			lwbs_buf_printf(w->b, "%" PRIu32, v);
		}
	if (s->set & LWBS_PROV_SRV_NSTORE) {
		jkey(w, &first, "notification_storing");
		lwbs_buf_puts(w->b, s->notification_storing ? "true" : "false");
	}
	if (s->set & LWBS_PROV_SRV_BS_ON_FAILURE) {
		jkey(w, &first, "bootstrap_on_failure");
		lwbs_buf_puts(w->b, s->bootstrap_on_failure ? "true" : "false");
	}
	if (s->set & LWBS_PROV_SRV_BINDING) {
		jkey(w, &first, "binding");
		jcstr(w, s->binding);
	}
	if (s->set & LWBS_PROV_SRV_APN) {
		jkey(w, &first, "apn");
		jcstr(w, s->apn);
	}
	if (s->set & LWBS_PROV_SRV_OSCORE) {
		jkey(w, &first, "oscore");
		jcstr(w, s->oscore);
	}
	if (s->set & LWBS_PROV_SRV_SEC_RES) {
		jkey(w, &first, "security_resources");
		old = path_push(w, "security_resources");
		jres(w, s->sec_res, s->n_sec_res);
		path_pop(w, old);
	}
	if (s->set & LWBS_PROV_SRV_SRV_RES) {
		jkey(w, &first, "server_resources");
		old = path_push(w, "server_resources");
		jres(w, s->srv_res, s->n_srv_res);
		path_pop(w, old);
	}
	lwbs_buf_putc(w->b, '}');
}

static void jacl(struct w *w, const struct lwbs_prov_acl *a)
{
	bool first = true;

	lwbs_buf_printf(w->b, "{\"object\":%u,\"instance\":%u,\"owner\":%u,\"entries\":{", a->oid, a->iid, a->owner);
	for (size_t i = 0; i < a->n_entries; i++) {
		char key[8];
		snprintf(key, sizeof(key), "%u", a->entries[i].ssid);
		jkey(w, &first, key);
		lwbs_buf_printf(w->b, "%u", a->entries[i].rights);
	}
	lwbs_buf_puts(w->b, "}}");
}

static void japn(struct w *w, const struct lwbs_prov_apn *a)
{
	static const char *const auths[] = {"pap", "chap", "pap_or_chap", "none"};
	static const char *const pdns[] = {"non-ip", "ipv4", "ipv6", "ipv4v6"};
	bool first = true;

	lwbs_buf_putc(w->b, '{');
	jkey(w, &first, "name");
	jcstr(w, a->name);
	if (a->apn) {
		jkey(w, &first, "apn");
		jcstr(w, a->apn);
	}
	if (a->auto_select >= 0) {
		jkey(w, &first, "auto_select");
		lwbs_buf_puts(w->b, a->auto_select ? "true" : "false");
	}
	if (a->enable >= 0) {
		jkey(w, &first, "enable");
		lwbs_buf_puts(w->b, a->enable ? "true" : "false");
	}
	jkey(w, &first, "auth");
	jcstr(w, a->auth >= 0 && a->auth < 4 ? auths[a->auth] : "none");
	if (a->user) {
		jkey(w, &first, "user");
		jcstr(w, a->user);
	}
	if (a->secret.ptr) {
		jkey(w, &first, "secret");
		size_t old = path_push(w, "secret");
		jsecret(w, a->secret.ptr, a->secret.len, true);
		path_pop(w, old);
	}
	if (a->pdn_type >= 0 && a->pdn_type < 4) {
		jkey(w, &first, "pdn_type");
		jcstr(w, pdns[a->pdn_type]);
	}
	if (a->n_res) {
		jkey(w, &first, "resources");
		size_t old = path_push(w, "resources");
		jres(w, a->res, a->n_res);
		path_pop(w, old);
	}
	lwbs_buf_putc(w->b, '}');
}

static void joscore(struct w *w, const struct lwbs_prov_oscore *o)
{
	bool first = true;
	size_t old;

	lwbs_buf_putc(w->b, '{');
	jkey(w, &first, "name");
	jcstr(w, o->name);
	jkey(w, &first, "master_secret");
	old = path_push(w, "master_secret");
	jsecret(w, o->master_secret.ptr, o->master_secret.len, false);
	path_pop(w, old);
	jkey(w, &first, "sender_id");
	jhex(w, o->sender_id.ptr, o->sender_id.len);
	jkey(w, &first, "recipient_id");
	jhex(w, o->recipient_id.ptr, o->recipient_id.len);
	if (o->has_salt) {
		jkey(w, &first, "master_salt");
		jhex(w, o->master_salt.ptr, o->master_salt.len);
	}
	if (o->has_id_context) {
		jkey(w, &first, "id_context");
		jhex(w, o->id_context.ptr, o->id_context.len);
	}
	if (o->aead != -1) {
		jkey(w, &first, "aead");
		lwbs_buf_printf(w->b, "%d", o->aead);
	}
	if (o->hmac != -1) {
		jkey(w, &first, "hmac");
		lwbs_buf_printf(w->b, "%d", o->hmac);
	}
	lwbs_buf_putc(w->b, '}');
}

static void jinst(struct w *w, const struct lwbs_prov_inst *o)
{
	lwbs_buf_printf(w->b, "{\"path\":\"/%u/%u\"", o->oid, o->iid);
	if (o->n_res) {
		lwbs_buf_puts(w->b, ",\"resources\":");
		size_t old = path_push(w, "resources");
		jres(w, o->res, o->n_res);
		path_pop(w, old);
	}
	lwbs_buf_putc(w->b, '}');
}

static const char *cf_name(int cf)
{
	switch (cf) {
	case LWBS_CF_TLV: return "tlv";
	case LWBS_CF_SENML_CBOR: return "senml-cbor";
	case LWBS_CF_SENML_JSON: return "senml-json";
	case LWBS_CF_LWM2M_CBOR: return "lwm2m-cbor";
	default: return "auto";
	}
}

/* A list of n elements of size sz at arr, each written by fn under
 * path KEY,i. */
#define JLIST(w, first, key, arr, n, fn, ...)                                   \
	do {                                                                    \
		jkey(w, first, key);                                            \
		size_t _o = path_push(w, "%s", key);                            \
		lwbs_buf_putc((w)->b, '[');                                     \
		for (size_t _i = 0; _i < (n); _i++) {                           \
			if (_i)                                                 \
				lwbs_buf_putc((w)->b, ',');                     \
			size_t _o2 = path_push(w, "%zu", _i);                   \
			fn(w, &(arr)[_i], ##__VA_ARGS__);                       \
			path_pop(w, _o2);                                       \
		}                                                               \
		lwbs_buf_putc((w)->b, ']');                                     \
		path_pop(w, _o);                                                \
	} while (0)

/* The keys of profile (or overrides) pr that were given; base resolves the
 * credential key names of partial override servers. */
static void jprofile_body(struct w *w, bool *first, const struct lwbs_prov_profile *pr,
			  const struct lwbs_prov_profile *base)
{
	if (pr->set & LWBS_PROV_P_SERVERS)
		JLIST(w, first, "servers", pr->servers, pr->n_servers, jserver, base);
	if ((pr->set & LWBS_PROV_P_BS) && pr->bootstrap_server) {
		jkey(w, first, "bootstrap_server");
		size_t old = path_push(w, "bootstrap_server");
		jserver(w, pr->bootstrap_server, base);
		path_pop(w, old);
	}
	if (pr->set & LWBS_PROV_P_ACL)
		JLIST(w, first, "acl", pr->acl, pr->n_acl, jacl);
	if (pr->set & LWBS_PROV_P_APN)
		JLIST(w, first, "apn", pr->apn, pr->n_apn, japn);
	if (pr->set & LWBS_PROV_P_OSCORE)
		JLIST(w, first, "oscore", pr->oscore, pr->n_oscore, joscore);
	if (pr->set & LWBS_PROV_P_OBJECTS)
		JLIST(w, first, "objects", pr->objects, pr->n_objects, jinst);
	if (pr->set & LWBS_PROV_P_DELETE) {
		char ps[LWBS_PATH_STRMAX];
		jkey(w, first, "delete");
		lwbs_buf_putc(w->b, '[');
		for (size_t i = 0; i < pr->n_deletes; i++) {
			if (i)
				lwbs_buf_putc(w->b, ',');
			lwbs_path_print(&pr->deletes[i], ps, sizeof(ps));
			jcstr(w, ps);
		}
		lwbs_buf_putc(w->b, ']');
	}
	if (pr->set & LWBS_PROV_P_CF) {
		jkey(w, first, "content_format");
		jcstr(w, cf_name(pr->content_format));
	}
	static const struct {
		uint32_t bit;
		const char *key;
		size_t off;
	} flags[] = {
		{LWBS_PROV_P_DISCOVER, "discover", offsetof(struct lwbs_prov_profile, discover)},
		{LWBS_PROV_P_AUTO_IDS, "auto_security_ids", offsetof(struct lwbs_prov_profile, auto_security_ids)},
		{LWBS_PROV_P_READ_EXISTING, "read_existing", offsetof(struct lwbs_prov_profile, read_existing)},
		{LWBS_PROV_P_KEEP_EXISTING, "keep_existing", offsetof(struct lwbs_prov_profile, keep_existing)},
		{LWBS_PROV_P_PACK, "pack", offsetof(struct lwbs_prov_profile, allow_pack)},
	};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (pr->set & flags[i].bit) {
			bool v;
			memcpy(&v, (const char *)pr + flags[i].off, sizeof(v));
			jkey(w, first, flags[i].key);
			lwbs_buf_puts(w->b, v ? "true" : "false");
		}
	if (pr->set & LWBS_PROV_P_WRITE) {
		jkey(w, first, "write");
		jcstr(w, pr->write_per_object ? "per-object" : "per-instance");
	}
}

/* Digests: hash_redacted over the document; hash over the document and
 * every secret (path, NUL, length, value). */
static int finish_doc(struct w *w)
{
	struct lwbs_provision_doc *d = w->d;
	struct sha256 s, doc_only;

	if (w->err)
		return w->err;
	if (lwbs_buf_err(&d->json))
		return lwbs_buf_err(&d->json);
	sha_init(&s);
	sha_update(&s, d->json.data, d->json.len);
	doc_only = s; /* both digests start with the document */
	sha_final(&doc_only, d->hash_redacted);
	memset(d->hash, 0, sizeof(d->hash));
	if (d->has_redacted)
		return 0;
	for (size_t i = 0; i < d->n_secrets; i++) {
		const struct lwbs_provision_secret *x = &d->secrets[i];
		uint8_t len[8];
		for (int k = 0; k < 8; k++)
			len[k] = (uint8_t)((uint64_t)x->len >> (56 - 8 * k));
		sha_update(&s, x->path, strlen(x->path) + 1);
		sha_update(&s, len, sizeof(len));
		sha_update(&s, x->ptr, x->len);
	}
	sha_final(&s, d->hash);
	return 0;
}

int lwbs_provision_profile_doc(const struct lwbs_prov_profile *pr, struct lwbs_provision_doc *out)
{
	struct w w = {.d = out, .b = &out->json};
	bool first = true;

	lwbs_provision_doc_reset(out);
	lwbs_buf_putc(w.b, '{');
	jkey(&w, &first, "name");
	jcstr(&w, pr->name);
	jprofile_body(&w, &first, pr, NULL);
	lwbs_buf_putc(w.b, '}');
	return finish_doc(&w);
}

int lwbs_provision_device_doc(const struct lwbs_prov_device *d, struct lwbs_provision_doc *out)
{
	static const char *const keys[LWBS_IDENT_COUNT] = {
		[LWBS_IDENT_IMSI] = "imsi", [LWBS_IDENT_MSISDN] = "msisdn", [LWBS_IDENT_IMEI] = "imei",
		[LWBS_IDENT_PSK_ID] = "psk_identity", [LWBS_IDENT_CERT_SUBJECT] = "cert_subject",
	};
	struct w w = {.d = out, .b = &out->json};
	bool first = true;

	lwbs_provision_doc_reset(out);
	lwbs_buf_putc(w.b, '{');
	jkey(&w, &first, "endpoint");
	jcstr(&w, d->ident[LWBS_IDENT_ENDPOINT]);
	jkey(&w, &first, "profile");
	jcstr(&w, d->profile_name);
	for (int k = LWBS_IDENT_IMSI; k < LWBS_IDENT_COUNT; k++) {
		const char *v = d->ident[k];
		if (!v)
			continue;
		jkey(&w, &first, k == LWBS_IDENT_IMEI && strlen(v) == 16 ? "imeisv" : keys[k]);
		jcstr(&w, v);
	}
	if (d->psk_key.ptr) {
		jkey(&w, &first, "psk_key");
		size_t old = path_push(&w, "psk_key");
		jsecret(&w, d->psk_key.ptr, d->psk_key.len, false);
		path_pop(&w, old);
	}
	if (d->batch) {
		jkey(&w, &first, "batch");
		jcstr(&w, d->batch);
	}
	if (d->overrides) {
		bool f2 = true;
		jkey(&w, &first, "overrides");
		size_t old = path_push(&w, "overrides");
		out->overrides_off = w.b->len;
		lwbs_buf_putc(w.b, '{');
		jprofile_body(&w, &f2, d->overrides, d->profile);
		lwbs_buf_putc(w.b, '}');
		out->overrides_len = w.b->len - out->overrides_off;
		path_pop(&w, old);
	}
	lwbs_buf_putc(w.b, '}');
	return finish_doc(&w);
}

enum lwbs_provision_change lwbs_provision_compare(const struct lwbs_provision_doc *in, const uint8_t *stored_hash,
						  const uint8_t *stored_hash_redacted)
{
	if (in->has_redacted)
		return stored_hash_redacted &&
				       !memcmp(in->hash_redacted, stored_hash_redacted, LWBS_PROVISION_HASH_LEN)
			       ? LWBS_PROVISION_SAME
			       : LWBS_PROVISION_CHANGED;
	return stored_hash && !memcmp(in->hash, stored_hash, LWBS_PROVISION_HASH_LEN) ? LWBS_PROVISION_SAME
										      : LWBS_PROVISION_CHANGED;
}

size_t lwbs_provision_ident_key(enum lwbs_ident_kind k, const char *value, const char **key)
{
	size_t n = strlen(value);

	if (k == LWBS_IDENT_MSISDN && n && value[0] == '+') {
		value++;
		n--;
	}
	if (k == LWBS_IDENT_IMEI && n > 14)
		n = 14;
	*key = value;
	return n;
}

const char *lwbs_provision_ident_sql(enum lwbs_ident_kind k)
{
	switch (k) {
	case LWBS_IDENT_IMSI: return "imsi";
	case LWBS_IDENT_MSISDN: return "msisdn";
	case LWBS_IDENT_IMEI: return "imei";
	case LWBS_IDENT_PSK_ID: return "psk_id";
	case LWBS_IDENT_CERT_SUBJECT: return "cert_subject";
	default: return "endpoint";
	}
}
