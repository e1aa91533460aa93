/* lwbs — provisioning YAML (docs/provisioning.md) -> struct lwbs_prov.
 *
 * Each file is parsed into a libyaml document, walked once, and dropped
 * (its scalars wiped first: they may hold secrets). lwbs_prov_load_files
 * parses the next documents in a thread while the caller walks the
 * current one. Aliases are refused:
 * every node may be visited once, which also bounds the walk.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <yaml.h>

#include "lwbs/hex.h"
#include "lwbs/arena.h"
#include "lwbs/codec.h"
#include "lwbs/err.h"
#include "lwbs/model.h"
#include "lwbs/identity.h"
#include "lwbs/prov.h"

#include "prov_int.h"

#define MAX_FILE_BYTES (256u << 20)
#define MAX_KEY_FILE_BYTES (1u << 20)

struct ld {
	struct lwbs_prov *p;
	yaml_document_t *doc;
	uint8_t *seen;
	size_t n_nodes;
	uint32_t file;
	const char *base_dir;
	char *err;
	size_t cap;
};

/* ---------- errors and secrets ---------- */

void lwbs_prov_errf(char *err, size_t cap, const struct lwbs_prov *p, const struct lwbs_prov_loc *loc,
		    const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!err || !cap)
		return;
	if (loc && p && loc->file < p->n_files)
		n = snprintf(err, cap, "%s:%" PRIu32 ":%" PRIu32 ": ", p->files[loc->file], loc->line, loc->col);
	if (n < 0 || (size_t)n >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, cap - (size_t)n, fmt, ap);
	va_end(ap);
}

int lwbs_prov_keep_secret(struct lwbs_prov *p, void *ptr, size_t len)
{
	if (!len)
		return 0;
	if (p->n_secrets == p->cap_secrets) {
		size_t nc = p->cap_secrets ? p->cap_secrets * 2 : 64;
		void *ns = realloc(p->secrets, nc * sizeof(*p->secrets));
		if (!ns)
			return -ENOMEM;
		p->secrets = ns;
		p->cap_secrets = nc;
	}
	p->secrets[p->n_secrets].ptr = ptr;
	p->secrets[p->n_secrets].len = len;
	p->n_secrets++;
	return 0;
}

static struct lwbs_prov_loc loc_of(const struct ld *l, const yaml_node_t *n)
{
	struct lwbs_prov_loc loc = {l->file, (uint32_t)n->start_mark.line + 1, (uint32_t)n->start_mark.column + 1};
	return loc;
}

static int fail(struct ld *l, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[384];
	va_list ap;
	struct lwbs_prov_loc loc = loc_of(l, n);

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lwbs_prov_errf(l->err, l->cap, l->p, &loc, "%s", msg);
	return -EINVAL;
}

static int nomem(struct ld *l)
{
	snprintf(l->err, l->cap, "%s: out of memory", l->p->files[l->file]);
	return -ENOMEM;
}

/* ---------- node access ---------- */

/* The node with index i, each visited at most once (no aliases). */
static int get(struct ld *l, const yaml_node_t *from, int i, yaml_node_t **out)
{
	yaml_node_t *n = yaml_document_get_node(l->doc, i);

	if (!n || (size_t)(i - 1) >= l->n_nodes) {
		snprintf(l->err, l->cap, "%s: malformed YAML document", l->p->files[l->file]);
		return -EINVAL;
	}
	if (l->seen[i - 1])
		return fail(l, from ? from : n, "YAML aliases are not supported");
	l->seen[i - 1] = 1;
	*out = n;
	return 0;
}

static const char *sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static size_t slen(const yaml_node_t *n)
{
	return n->data.scalar.length;
}

static int want(struct ld *l, const yaml_node_t *n, yaml_node_type_t t, const char *what)
{
	if (n->type != t)
		return fail(l, n, "expected %s", what);
	return 0;
}

static char *pool_strndup(struct lwbs_prov *p, const char *s, size_t n)
{
	char *r;

	if (n + 1 > p->pool_left) {
		size_t sz = n + 1 > 65536 ? n + 1 : 65536;
		p->pool = lwbs_arena_alloc(p->arena, sz);
		if (!p->pool) {
			p->pool_left = 0;
			return NULL;
		}
		p->pool_left = sz;
	}
	r = p->pool;
	memcpy(r, s, n);
	r[n] = 0;
	p->pool += n + 1;
	p->pool_left -= n + 1;
	return r;
}

/* A string scalar (no NUL bytes), copied into the pool. */
static int get_str(struct ld *l, const yaml_node_t *n, bool allow_empty, const char **out)
{
	char *s;

	if (n->type != YAML_SCALAR_NODE)
		return fail(l, n, "expected a string");
	if (!allow_empty && !slen(n))
		return fail(l, n, "empty string");
	if (memchr(sval(n), 0, slen(n)))
		return fail(l, n, "NUL byte in string");
	s = pool_strndup(l->p, sval(n), slen(n));
	if (!s)
		return nomem(l);
	*out = s;
	return 0;
}

static int parse_i64(const char *s, size_t n, int64_t *out)
{
	char buf[32], *end;
	long long v;

	if (!n || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (buf[0] == ' ' || buf[0] == '\t' || buf[0] == '\n')
		return -EINVAL;
	errno = 0;
	if ((buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')) ||
	    (buf[0] == '-' && buf[1] == '0' && (buf[2] == 'x' || buf[2] == 'X')))
		v = strtoll(buf, &end, 16);
	else
		v = strtoll(buf, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

static int get_int(struct ld *l, const yaml_node_t *n, int64_t min, int64_t max, int64_t *out)
{
	int64_t v = 0;

	if (n->type != YAML_SCALAR_NODE || parse_i64(sval(n), slen(n), &v))
		return fail(l, n, "expected an integer");
	if (v < min || v > max)
		return fail(l, n, "%" PRId64 " is out of range %" PRId64 "..%" PRId64, v, min, max);
	*out = v;
	return 0;
}

static int get_bool(struct ld *l, const yaml_node_t *n, bool *out)
{
	if (n->type == YAML_SCALAR_NODE) {
		if (slen(n) == 4 && !memcmp(sval(n), "true", 4)) {
			*out = true;
			return 0;
		}
		if (slen(n) == 5 && !memcmp(sval(n), "false", 5)) {
			*out = false;
			return 0;
		}
	}
	return fail(l, n, "expected true or false");
}

static bool is_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Stores bytes (copied into the arena) in *out, marked secret if asked. */
static int put_bytes(struct ld *l, const uint8_t *b, size_t n, bool secret, struct lwbs_prov_bytes *out)
{
	uint8_t *c = lwbs_arena_memdup(l->p->arena, b, n);

	if (!c)
		return nomem(l);
	if (secret && lwbs_prov_keep_secret(l->p, c, n))
		return nomem(l);
	out->ptr = c;
	out->len = n;
	out->secret = secret;
	return 0;
}

static int decode_hex(struct ld *l, const yaml_node_t *n, const char *s, size_t len, bool secret,
		      struct lwbs_prov_bytes *out)
{
	uint8_t *b;

	/* separators ':' and ' ' are allowed between bytes */
	size_t digits = 0;
	for (size_t i = 0; i < len; i++) {
		if (lwbs_hex_digit((unsigned char)s[i]) >= 0)
			digits++;
		else if (s[i] != ':' && s[i] != ' ')
			return fail(l, n, "bad hex digit");
	}
	if (digits % 2)
		return fail(l, n, "odd number of hex digits");
	b = lwbs_arena_alloc(l->p->arena, digits / 2 + 1);
	if (!b)
		return nomem(l);
	size_t k = 0;
	int hi = -1;
	for (size_t i = 0; i < len; i++) {
		int v = lwbs_hex_digit((unsigned char)s[i]);
		if (v < 0) {
			if (hi >= 0)
				return fail(l, n, "bad hex digit");
			continue;
		}
		if (hi < 0) {
			hi = v;
		} else {
			b[k++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (secret && lwbs_prov_keep_secret(l->p, b, k))
		return nomem(l);
	out->ptr = b;
	out->len = k;
	out->secret = secret;
	return 0;
}

static int pem_to_der(struct ld *l, const yaml_node_t *n, const char *s, size_t len, bool secret,
		      struct lwbs_prov_bytes *out)
{
	BIO *bio = BIO_new_mem_buf(s, (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long dlen = 0;
	int rc;

	if (!bio)
		return nomem(l);
	if (len > INT_MAX || !PEM_read_bio(bio, &name, &header, &data, &dlen)) {
		BIO_free(bio);
		return fail(l, n, "malformed PEM");
	}
	rc = put_bytes(l, data, (size_t)dlen, secret, out);
	OPENSSL_cleanse(data, (size_t)dlen);
	OPENSSL_free(data);
	OPENSSL_free(name);
	OPENSSL_free(header);
	BIO_free(bio);
	return rc;
}

static int read_key_file(struct ld *l, const yaml_node_t *n, const char *rel, bool secret,
			 struct lwbs_prov_bytes *out)
{
	char path[4096];
	uint8_t *buf;
	size_t len = 0;
	FILE *f;
	int rc;

	if (!l->base_dir)
		return fail(l, n, "file: references are not allowed here");
	if (!*rel)
		return fail(l, n, "empty file name");
	if (rel[0] == '/')
		rc = snprintf(path, sizeof(path), "%s", rel);
	else
		rc = snprintf(path, sizeof(path), "%s/%s", l->base_dir, rel);
	if (rc < 0 || (size_t)rc >= sizeof(path))
		return fail(l, n, "file name too long");
	f = fopen(path, "rb");
	if (!f)
		return fail(l, n, "cannot open %s: %s", path, strerror(errno));
	buf = malloc(MAX_KEY_FILE_BYTES + 1);
	if (!buf) {
		fclose(f);
		return nomem(l);
	}
	len = fread(buf, 1, MAX_KEY_FILE_BYTES + 1, f);
	if (ferror(f) || len > MAX_KEY_FILE_BYTES) {
		fclose(f);
		OPENSSL_cleanse(buf, len);
		free(buf);
		return fail(l, n, "cannot read %s (or larger than 1 MiB)", path);
	}
	fclose(f);
	if (len >= 10 && !memcmp(buf, "-----BEGIN", 10))
		rc = pem_to_der(l, n, (const char *)buf, len, secret, out);
	else
		rc = put_bytes(l, buf, len, secret, out);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

const uint8_t lwbs_prov_redacted[8] = "redacted";

/* A secret written as `redacted` (an export without its secrets): 1 when
 * it is one and allowed (out points at lwbs_prov_redacted), 0 when it is
 * not one, <0 when refused. */
static int get_redacted(struct ld *l, const yaml_node_t *n, bool secret, struct lwbs_prov_bytes *out)
{
	if (!secret || slen(n) != 8 || memcmp(sval(n), "redacted", 8))
		return 0;
	if (!l->p->allow_redacted)
		return fail(l, n, "secret is \"redacted\": give the value");
	out->ptr = lwbs_prov_redacted;
	out->len = sizeof(lwbs_prov_redacted);
	out->secret = true;
	return 1;
}

/* Bytes: "hex:..", "base64:..", "file:PATH" (PEM converted to DER), inline
 * PEM, or (bare_hex) plain hex. */
static int get_bytes(struct ld *l, const yaml_node_t *n, bool secret, bool bare_hex, struct lwbs_prov_bytes *out)
{
	const char *s;
	size_t len;
	int rc;

	if (n->type != YAML_SCALAR_NODE)
		return fail(l, n, "expected bytes (hex:, base64:, file: or PEM)");
	if ((rc = get_redacted(l, n, secret, out)))
		return rc < 0 ? rc : 0;
	s = sval(n);
	len = slen(n);
	if (len >= 4 && !memcmp(s, "hex:", 4))
		return decode_hex(l, n, s + 4, len - 4, secret, out);
	if (len >= 7 && !memcmp(s, "base64:", 7)) {
		uint8_t *b;
		size_t bl;
		rc = lwbs_base64_decode(s + 7, len - 7, l->p->arena, &b, &bl);
		if (rc == -ENOMEM)
			return nomem(l);
		if (rc)
			return fail(l, n, "bad base64");
		if (secret && lwbs_prov_keep_secret(l->p, b, bl))
			return nomem(l);
		out->ptr = b;
		out->len = bl;
		out->secret = secret;
		return 0;
	}
	if (len >= 5 && !memcmp(s, "file:", 5)) {
		char name[4096];
		if (len - 5 >= sizeof(name) || memchr(s + 5, 0, len - 5))
			return fail(l, n, "bad file name");
		memcpy(name, s + 5, len - 5);
		name[len - 5] = 0;
		return read_key_file(l, n, name, secret, out);
	}
	if (len >= 10 && !memcmp(s, "-----BEGIN", 10))
		return pem_to_der(l, n, s, len, secret, out);
	if (bare_hex)
		return decode_hex(l, n, s, len, secret, out);
	return fail(l, n, "expected hex:, base64:, file: or PEM");
}

/* Text used as bytes (PSK identity, APN secret). */
static int get_text_bytes(struct ld *l, const yaml_node_t *n, bool secret, struct lwbs_prov_bytes *out)
{
	int rc;

	if (n->type != YAML_SCALAR_NODE)
		return fail(l, n, "expected a string");
	if ((rc = get_redacted(l, n, secret, out)))
		return rc < 0 ? rc : 0;
	return put_bytes(l, (const uint8_t *)sval(n), slen(n), secret, out);
}

/* ---------- mappings ---------- */

struct kv {
	yaml_node_t *k, *v;
	const char *key;
};

/* Iterates the pairs of mapping m: string keys, no duplicates. */
struct map_it {
	yaml_node_pair_t *cur, *end, *start;
};

static int map_begin(struct ld *l, yaml_node_t *m, const char *what, struct map_it *it)
{
	if (m->type != YAML_MAPPING_NODE)
		return fail(l, m, "expected a mapping (%s)", what);
	it->start = it->cur = m->data.mapping.pairs.start;
	it->end = m->data.mapping.pairs.top;
	return 0;
}

/* 1: got one, 0: end, <0: error. */
static int map_next(struct ld *l, struct map_it *it, struct kv *kv)
{
	int rc;

	if (it->cur >= it->end)
		return 0;
	if ((rc = get(l, NULL, it->cur->key, &kv->k)) || (rc = get(l, NULL, it->cur->value, &kv->v)))
		return rc;
	if (kv->k->type != YAML_SCALAR_NODE)
		return fail(l, kv->k, "mapping keys must be scalars");
	for (yaml_node_pair_t *q = it->start; q < it->cur; q++) {
		yaml_node_t *o = yaml_document_get_node(l->doc, q->key);
		if (o && o->type == YAML_SCALAR_NODE && slen(o) == slen(kv->k) &&
		    !memcmp(sval(o), sval(kv->k), slen(o)))
			return fail(l, kv->k, "duplicate key \"%.*s\"", (int)slen(o), sval(o));
	}
	kv->key = sval(kv->k);
	if (memchr(kv->key, 0, slen(kv->k)))
		return fail(l, kv->k, "NUL byte in key");
	it->cur++;
	return 1;
}

static int unknown_key(struct ld *l, const struct kv *kv, const char *where)
{
	return fail(l, kv->k, "unknown key \"%s\" in %s", kv->key, where);
}

static void *arr_alloc(struct ld *l, size_t n, size_t sz)
{
	if (n && sz > SIZE_MAX / n)
		return NULL;
	return lwbs_arena_alloc(l->p->arena, n * sz != 0 ? n * sz : 1);
}

static size_t seq_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

/* ---------- typed resource values ---------- */

static bool res_is_secret(uint16_t oid, uint16_t rid)
{
	return (oid == LWBS_OID_SECURITY && (rid == LWBS_SEC_SECRET_KEY || rid == 8)) ||
	       (oid == LWBS_OID_APN && rid == 6) || (oid == LWBS_OID_OSCORE && rid == 0);
}

static int type_by_name(const char *s, enum lwbs_type *out)
{
	static const struct {
		const char *name;
		enum lwbs_type t;
	} tab[] = {
		{"string", LWBS_TYPE_STRING}, {"integer", LWBS_TYPE_INTEGER}, {"unsigned", LWBS_TYPE_UNSIGNED},
		{"float", LWBS_TYPE_FLOAT},   {"boolean", LWBS_TYPE_BOOLEAN}, {"opaque", LWBS_TYPE_OPAQUE},
		{"time", LWBS_TYPE_TIME},     {"objlnk", LWBS_TYPE_OBJLNK},   {"corelnk", LWBS_TYPE_CORELNK},
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(s, tab[i].name)) {
			*out = tab[i].t;
			return 0;
		}
	return -EINVAL;
}

static int scalar_value(struct ld *l, const yaml_node_t *n, enum lwbs_type t, bool secret, struct lwbs_value *out)
{
	int64_t i;
	struct lwbs_prov_bytes b;
	int rc;

	if (n->type != YAML_SCALAR_NODE)
		return fail(l, n, "expected a %s value", lwbs_type_name(t));
	memset(out, 0, sizeof(*out));
	out->type = t;
	switch (t) {
	case LWBS_TYPE_STRING:
	case LWBS_TYPE_CORELNK:
		if ((rc = get_text_bytes(l, n, secret, &b)))
			return rc;
		out->v.bytes.ptr = b.ptr;
		out->v.bytes.len = b.len;
		return 0;
	case LWBS_TYPE_OPAQUE:
		if ((rc = get_bytes(l, n, secret, true, &b)))
			return rc;
		out->v.bytes.ptr = b.ptr;
		out->v.bytes.len = b.len;
		return 0;
	case LWBS_TYPE_INTEGER:
	case LWBS_TYPE_TIME:
		if ((rc = get_int(l, n, INT64_MIN, INT64_MAX, &i)))
			return rc;
		out->v.i = i;
		return 0;
	case LWBS_TYPE_UNSIGNED: {
		char buf[32], *end;
		if (slen(n) == 0 || slen(n) >= sizeof(buf) || sval(n)[0] == '-' || sval(n)[0] == ' ')
			return fail(l, n, "expected an unsigned integer");
		memcpy(buf, sval(n), slen(n));
		buf[slen(n)] = 0;
		errno = 0;
		out->v.u = strtoull(buf, &end, 0);
		if (errno || *end || buf[0] == '+')
			return fail(l, n, "expected an unsigned integer");
		return 0;
	}
	case LWBS_TYPE_FLOAT: {
		char buf[64], *end;
		if (slen(n) == 0 || slen(n) >= sizeof(buf))
			return fail(l, n, "expected a number");
		memcpy(buf, sval(n), slen(n));
		buf[slen(n)] = 0;
		errno = 0;
		out->v.f = strtod(buf, &end);
		if (errno || *end || buf[0] == ' ')
			return fail(l, n, "expected a number");
		return 0;
	}
	case LWBS_TYPE_BOOLEAN:
		return get_bool(l, n, &out->v.b);
	case LWBS_TYPE_OBJLNK: {
		const char *s = sval(n), *c = memchr(s, ':', slen(n));
		int64_t o, ii;
		if (!c || parse_i64(s, (size_t)(c - s), &o) || parse_i64(c + 1, slen(n) - (size_t)(c - s) - 1, &ii) ||
		    o < 0 || o > 65535 || ii < 0 || ii > 65535)
			return fail(l, n, "expected an object link \"OID:IID\"");
		out->v.objlnk.oid = (uint16_t)o;
		out->v.objlnk.iid = (uint16_t)ii;
		return 0;
	}
	case LWBS_TYPE_NONE:
		break;
	}
	return fail(l, n, "this resource takes no value");
}

static int add_res(struct ld *l, struct lwbs_prov_res **arr, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct lwbs_prov_res *na = arr_alloc(l, nc, sizeof(**arr));
		if (!na)
			return nomem(l);
		if (*n)
			memcpy(na, *arr, *n * sizeof(**arr));
		*arr = na;
		*cap = nc;
	}
	return 0;
}

/* `{RID: value}` for object oid: values typed by the model (LwM2M 1.2
 * definitions), or `{type: T, value: V}` for anything the model does not
 * know. Multiple resources take a sequence or a {RIID: value} mapping. */
static int parse_res_map(struct ld *l, yaml_node_t *m, uint16_t oid, struct lwbs_prov_res **out, size_t *n_out)
{
	const struct lwbs_obj_def *od = lwbs_model_object(oid, LWBS_V1_2);
	struct lwbs_prov_res *arr = NULL;
	size_t n = 0, cap = 0;
	struct map_it it;
	struct kv kv;
	int rc;

	if ((rc = map_begin(l, m, "resources", &it)))
		return rc;
	while ((rc = map_next(l, &it, &kv)) > 0) {
		int64_t rid;
		const struct lwbs_res_def *rd;
		enum lwbs_type t = LWBS_TYPE_NONE;
		bool multiple = false;
		yaml_node_t *v = kv.v;

		if ((rc = get_int(l, kv.k, 0, LWBS_ID_MAX, &rid)))
			return rc;
		rd = od ? lwbs_model_resource(od, (uint16_t)rid) : NULL;
		if (rd) {
			t = rd->type;
			multiple = rd->multiple;
		}
		if (v->type == YAML_MAPPING_NODE && v->data.mapping.pairs.top > v->data.mapping.pairs.start) {
			/* explicit {type:, value:} or a {RIID: value} map */
			yaml_node_t *k0 = yaml_document_get_node(l->doc, v->data.mapping.pairs.start->key);
			if (k0 && k0->type == YAML_SCALAR_NODE && slen(k0) && !is_digits(sval(k0), slen(k0))) {
				struct map_it it2;
				struct kv kv2;
				yaml_node_t *val = NULL, *tn = NULL;
				if ((rc = map_begin(l, v, "typed value", &it2)))
					return rc;
				while ((rc = map_next(l, &it2, &kv2)) > 0) {
					if (!strcmp(kv2.key, "type"))
						tn = kv2.v;
					else if (!strcmp(kv2.key, "value"))
						val = kv2.v;
					else
						return unknown_key(l, &kv2, "typed value");
				}
				if (rc)
					return rc;
				if (!tn || !val)
					return fail(l, v, "a typed value needs type and value");
				if (tn->type != YAML_SCALAR_NODE || type_by_name(sval(tn), &t))
					return fail(l, tn, "unknown type (string, integer, unsigned, float, boolean, opaque, time, objlnk, corelnk)");
				if (rd && rd->type != t)
					return fail(l, tn, "resource /%u/%u is %s in the model", oid, (unsigned)rid,
						    lwbs_type_name(rd->type));
				if (!rd)
					multiple = val->type != YAML_SCALAR_NODE;
				v = val;
			}
		}
		if (!rd && t == LWBS_TYPE_NONE) {
			if (od)
				return fail(l, kv.k, "resource /%u/%u is not in the model", oid, (unsigned)rid);
			return fail(l, kv.k, "object %u is not in the model: give {type: ..., value: ...}", oid);
		}
		if (rd && rd->type == LWBS_TYPE_NONE)
			return fail(l, kv.k, "resource /%u/%u is executable and takes no value", oid, (unsigned)rid);
		bool secret = res_is_secret(oid, (uint16_t)rid);
		if (!multiple) {
			if ((rc = add_res(l, &arr, &n, &cap)))
				return rc;
			arr[n].rid = (uint16_t)rid;
			arr[n].riid = -1;
			arr[n].secret = secret;
			arr[n].loc = loc_of(l, v);
			if ((rc = scalar_value(l, v, t, secret, &arr[n].value)))
				return rc;
			n++;
		} else if (v->type == YAML_SEQUENCE_NODE) {
			size_t cnt = seq_len(v);
			if (cnt > LWBS_ID_MAX + 1u)
				return fail(l, v, "too many resource instances");
			for (size_t i = 0; i < cnt; i++) {
				yaml_node_t *e;
				if ((rc = get(l, v, v->data.sequence.items.start[i], &e)) ||
				    (rc = add_res(l, &arr, &n, &cap)))
					return rc;
				arr[n].rid = (uint16_t)rid;
				arr[n].riid = (int32_t)i;
				arr[n].secret = secret;
				arr[n].loc = loc_of(l, e);
				if ((rc = scalar_value(l, e, t, secret, &arr[n].value)))
					return rc;
				n++;
			}
		} else if (v->type == YAML_MAPPING_NODE) {
			struct map_it it2 = {0};
			struct kv kv2;
			if ((rc = map_begin(l, v, "resource instances", &it2)))
				return rc;
			while ((rc = map_next(l, &it2, &kv2)) > 0) {
				int64_t riid;
				if ((rc = get_int(l, kv2.k, 0, LWBS_ID_MAX, &riid)) || (rc = add_res(l, &arr, &n, &cap)))
					return rc;
				arr[n].rid = (uint16_t)rid;
				arr[n].riid = (int32_t)riid;
				arr[n].secret = secret;
				arr[n].loc = loc_of(l, kv2.v);
				if ((rc = scalar_value(l, kv2.v, t, secret, &arr[n].value)))
					return rc;
				n++;
			}
			if (rc)
				return rc;
		} else {
			return fail(l, v, "resource /%u/%u is multiple: give a list or {RIID: value}", oid,
				    (unsigned)rid);
		}
	}
	if (rc)
		return rc;
	*out = arr;
	*n_out = n;
	return 0;
}

/* ---------- servers ---------- */

static int check_uri(struct ld *l, const yaml_node_t *n)
{
	static const char *const schemes[] = {"coap://", "coaps://", "coap+tcp://", "coaps+tcp://"};
	const char *s = sval(n);
	size_t len = slen(n);

	if (len > 255)
		return fail(l, n, "URI longer than 255 bytes");
	for (size_t i = 0; i < 4; i++) {
		size_t sl = strlen(schemes[i]);
		if (len > sl && !memcmp(s, schemes[i], sl)) {
			for (size_t j = 0; j < len; j++)
				if ((unsigned char)s[j] <= ' ')
					return fail(l, n, "space or control character in URI");
			return 0;
		}
	}
	return fail(l, n, "URI must start with coap://, coaps://, coap+tcp:// or coaps+tcp:// and name a host");
}

static int get_mode(struct ld *l, const yaml_node_t *n, uint8_t *out)
{
	static const char *const names[] = {"psk", "rpk", "x509", "nosec", "est"};

	if (n->type == YAML_SCALAR_NODE)
		for (size_t i = 0; i < 5; i++)
			if (!strcmp(sval(n), names[i])) {
				*out = (uint8_t)i;
				return 0;
			}
	return fail(l, n, "security must be nosec, psk, rpk, x509 or est");
}

static int check_binding(struct ld *l, const yaml_node_t *n)
{
	const char *s = sval(n);
	unsigned seen = 0;

	if (!slen(n))
		return fail(l, n, "empty binding");
	for (size_t i = 0; i < slen(n); i++) {
		const char *p = strchr("UTSNMHQ", s[i]);
		if (!s[i] || !p)
			return fail(l, n, "binding letters are U, T, S, N, M, H (and Q for 1.0)");
		if (seen & (1u << (p - "UTSNMHQ")))
			return fail(l, n, "binding letter %c repeated", s[i]);
		seen |= 1u << (p - "UTSNMHQ");
	}
	return 0;
}

static int set_u32(struct ld *l, const yaml_node_t *n, int64_t min, int64_t max, uint32_t *out)
{
	int64_t v = 0;
	int rc = get_int(l, n, min, max, &v);
	if (!rc)
		*out = (uint32_t)v;
	return rc;
}

/* generate_credentials: {psk_identity: TEMPLATE, key_length: N, rotate: B} */
static int parse_credgen(struct ld *l, yaml_node_t *m, const struct lwbs_prov_credgen **out)
{
	struct lwbs_prov_credgen *g = lwbs_arena_alloc(l->p->arena, sizeof(*g));
	struct map_it it;
	struct kv kv;
	int64_t i;
	int rc;

	if (!g)
		return nomem(l);
	memset(g, 0, sizeof(*g));
	g->key_len = 16;
	if ((rc = map_begin(l, m, "generate_credentials", &it)))
		return rc;
	while ((rc = map_next(l, &it, &kv)) > 0) {
		if (!strcmp(kv.key, "psk_identity")) {
			if ((rc = get_str(l, kv.v, false, &g->identity)))
				return rc;
			if (lwbs_identity_template_check(g->identity))
				return fail(l, kv.v, "psk_identity: unknown placeholder or unbalanced brace "
						     "(use {endpoint}, {imsi}, {msisdn}, {imei}; {{ and }} for braces)");
		} else if (!strcmp(kv.key, "key_length")) {
			if ((rc = get_int(l, kv.v, LWBS_IDENTITY_KEY_MIN, LWBS_IDENTITY_KEY_MAX, &i)))
				return rc;
			g->key_len = (uint16_t)i;
		} else if (!strcmp(kv.key, "rotate")) {
			if ((rc = get_bool(l, kv.v, &g->rotate)))
				return rc;
		} else {
			return unknown_key(l, &kv, "generate_credentials (psk_identity, key_length, rotate)");
		}
	}
	if (rc)
		return rc;
	if (!g->identity)
		return fail(l, m, "generate_credentials needs psk_identity (a template such as \"{endpoint}\")");
	*out = g;
	return 0;
}

static int parse_server(struct ld *l, yaml_node_t *m, bool bs, struct lwbs_prov_server *s)
{
	const char *where = bs ? "bootstrap_server" : "server";
	struct map_it it;
	struct kv kv;
	int rc;

	memset(s, 0, sizeof(*s));
	s->bootstrap = bs;
	s->loc = loc_of(l, m);
	if ((rc = map_begin(l, m, where, &it)))
		return rc;
	while ((rc = map_next(l, &it, &kv)) > 0) {
		const char *k = kv.key;
		yaml_node_t *v = kv.v;
		uint32_t bit;
		int64_t i;

		if (!strcmp(k, "uri")) {
			bit = LWBS_PROV_SRV_URI;
			if ((rc = get_str(l, v, false, &s->uri)) || (rc = check_uri(l, v)))
				return rc;
		} else if (!strcmp(k, "security")) {
			bit = LWBS_PROV_SRV_MODE;
			rc = get_mode(l, v, &s->mode);
		} else if (!strcmp(k, "psk_identity")) {
			bit = LWBS_PROV_SRV_IDENTITY;
			rc = get_text_bytes(l, v, false, &s->identity);
		} else if (!strcmp(k, "certificate") || !strcmp(k, "public_key")) {
			bit = LWBS_PROV_SRV_IDENTITY;
			rc = get_bytes(l, v, false, false, &s->identity);
		} else if (!strcmp(k, "psk_key")) {
			bit = LWBS_PROV_SRV_SECRET_KEY;
			rc = get_bytes(l, v, true, true, &s->secret_key);
		} else if (!strcmp(k, "private_key")) {
			bit = LWBS_PROV_SRV_SECRET_KEY;
			rc = get_bytes(l, v, true, false, &s->secret_key);
		} else if (!strcmp(k, "server_certificate") || !strcmp(k, "server_public_key")) {
			bit = LWBS_PROV_SRV_SERVER_KEY;
			rc = get_bytes(l, v, false, false, &s->server_key);
		} else if (!strcmp(k, "security_resources")) {
			bit = LWBS_PROV_SRV_SEC_RES;
			rc = parse_res_map(l, v, LWBS_OID_SECURITY, &s->sec_res, &s->n_sec_res);
		} else if (bs && !strcmp(k, "hold_off")) {
			bit = LWBS_PROV_SRV_HOLD_OFF;
			rc = set_u32(l, v, 0, INT32_MAX, &s->hold_off);
		} else if (bs && !strcmp(k, "account_timeout")) {
			bit = LWBS_PROV_SRV_ACCOUNT_TIMEOUT;
			rc = set_u32(l, v, 0, INT32_MAX, &s->account_timeout);
		} else if (bs) {
			return unknown_key(l, &kv, where);
		} else if (!strcmp(k, "ssid")) {
			bit = LWBS_PROV_SRV_SSID;
			if (!(rc = get_int(l, v, 1, 65534, &i)))
				s->ssid = (uint16_t)i;
		} else if (!strcmp(k, "lifetime")) {
			bit = LWBS_PROV_SRV_LIFETIME;
			rc = set_u32(l, v, 0, INT32_MAX, &s->lifetime);
		} else if (!strcmp(k, "pmin")) {
			bit = LWBS_PROV_SRV_PMIN;
			rc = set_u32(l, v, 0, INT32_MAX, &s->pmin);
		} else if (!strcmp(k, "pmax")) {
			bit = LWBS_PROV_SRV_PMAX;
			rc = set_u32(l, v, 0, INT32_MAX, &s->pmax);
		} else if (!strcmp(k, "disable_timeout")) {
			bit = LWBS_PROV_SRV_DISABLE_TIMEOUT;
			rc = set_u32(l, v, 0, INT32_MAX, &s->disable_timeout);
		} else if (!strcmp(k, "notification_storing")) {
			bit = LWBS_PROV_SRV_NSTORE;
			rc = get_bool(l, v, &s->notification_storing);
		} else if (!strcmp(k, "bootstrap_on_failure")) {
			bit = LWBS_PROV_SRV_BS_ON_FAILURE;
			rc = get_bool(l, v, &s->bootstrap_on_failure);
		} else if (!strcmp(k, "binding")) {
			bit = LWBS_PROV_SRV_BINDING;
			if (!(rc = get_str(l, v, false, &s->binding)))
				rc = check_binding(l, v);
		} else if (!strcmp(k, "apn")) {
			bit = LWBS_PROV_SRV_APN;
			rc = get_str(l, v, false, &s->apn);
		} else if (!strcmp(k, "oscore")) {
			bit = LWBS_PROV_SRV_OSCORE;
			rc = get_str(l, v, false, &s->oscore);
		} else if (!strcmp(k, "server_resources")) {
			bit = LWBS_PROV_SRV_SRV_RES;
			rc = parse_res_map(l, v, LWBS_OID_SERVER, &s->srv_res, &s->n_srv_res);
		} else if (!strcmp(k, "generate_credentials")) {
			bit = LWBS_PROV_SRV_GENERATE;
			rc = parse_credgen(l, v, &s->generate);
		} else {
			return unknown_key(l, &kv, where);
		}
		if (rc)
			return rc;
		if (s->set & bit)
			return fail(l, kv.k, "\"%s\" given twice (another key sets the same resource)", k);
		s->set |= bit;
	}
	return rc;
}

/* ---------- ACL, APN, OSCORE, objects ---------- */

static int get_rights(struct ld *l, const yaml_node_t *n, uint16_t *out)
{
	int64_t v = 0;

	if (n->type == YAML_SCALAR_NODE && slen(n) && !is_digits(sval(n), slen(n))) {
		unsigned r = 0;
		for (size_t i = 0; i < slen(n); i++) {
			const char *p = sval(n)[i] ? strchr("RWEDC", sval(n)[i]) : NULL;
			if (!p)
				return fail(l, n, "rights are letters from RWEDC or an integer 0..31");
			r |= 1u << (p - "RWEDC");
		}
		*out = (uint16_t)r;
		return 0;
	}
	if (get_int(l, n, 0, 31, &v))
		return fail(l, n, "rights are letters from RWEDC or an integer 0..31");
	*out = (uint16_t)v;
	return 0;
}

static int parse_acl(struct ld *l, yaml_node_t *m, struct lwbs_prov_acl *a)
{
	struct map_it it;
	struct kv kv;
	bool has_obj = false, has_inst = false;
	int rc;
	int64_t v = 0;

	memset(a, 0, sizeof(*a));
	a->loc = loc_of(l, m);
	a->owner = 65535;
	if ((rc = map_begin(l, m, "acl entry", &it)))
		return rc;
	while ((rc = map_next(l, &it, &kv)) > 0) {
		if (!strcmp(kv.key, "object")) {
			if ((rc = get_int(l, kv.v, 1, LWBS_ID_MAX, &v)))
				return rc;
			a->oid = (uint16_t)v;
			has_obj = true;
		} else if (!strcmp(kv.key, "instance")) {
			if ((rc = get_int(l, kv.v, 0, 65535, &v)))
				return rc;
			a->iid = (uint16_t)v;
			has_inst = true;
		} else if (!strcmp(kv.key, "owner")) {
			if ((rc = get_int(l, kv.v, 0, 65535, &v)))
				return rc;
			a->owner = (uint16_t)v;
		} else if (!strcmp(kv.key, "entries")) {
			struct map_it it2 = {0};
			struct kv kv2;
			size_t cnt;
			if ((rc = map_begin(l, kv.v, "acl entries", &it2)))
				return rc;
			cnt = (size_t)(it2.end - it2.start);
			a->entries = arr_alloc(l, cnt, sizeof(*a->entries));
			if (!a->entries)
				return nomem(l);
			while ((rc = map_next(l, &it2, &kv2)) > 0) {
				struct lwbs_prov_acl_entry *e = &a->entries[a->n_entries];
				if ((rc = get_int(l, kv2.k, 0, 65534, &v)))
					return rc;
				e->ssid = (uint16_t)v;
				if ((rc = get_rights(l, kv2.v, &e->rights)))
					return rc;
				a->n_entries++;
			}
			if (rc)
				return rc;
		} else {
			return unknown_key(l, &kv, "acl entry");
		}
	}
	if (rc)
		return rc;
	if (!has_obj)
		return fail(l, m, "acl entry needs object");
	if (!has_inst)
		return fail(l, m, "acl entry needs instance (65535 for the object-level ACL)");
	return 0;
}

static int get_enum(struct ld *l, const yaml_node_t *n, const char *const *names, size_t cnt, const char *msg,
		    int *out)
{
	if (n->type == YAML_SCALAR_NODE)
		for (size_t i = 0; i < cnt; i++)
			if (!strcmp(sval(n), names[i])) {
				*out = (int)i;
				return 0;
			}
	return fail(l, n, "%s", msg);
}

static int parse_apn(struct ld *l, yaml_node_t *m, struct lwbs_prov_apn *a)
{
	static const char *const auths[] = {"pap", "chap", "pap_or_chap", "none"};
	static const char *const pdns[] = {"non-ip", "ipv4", "ipv6", "ipv4v6"};
	struct map_it it;
	struct kv kv;
	bool b;
	int rc;

	memset(a, 0, sizeof(*a));
	a->loc = loc_of(l, m);
	a->auth = 3;
	a->pdn_type = a->enable = a->auto_select = -1;
	if ((rc = map_begin(l, m, "apn entry", &it)))
		return rc;
	while ((rc = map_next(l, &it, &kv)) > 0) {
		if (!strcmp(kv.key, "name"))
			rc = get_str(l, kv.v, false, &a->name);
		else if (!strcmp(kv.key, "apn"))
			rc = get_str(l, kv.v, true, &a->apn);
		else if (!strcmp(kv.key, "auth"))
			rc = get_enum(l, kv.v, auths, 4, "auth must be pap, chap, pap_or_chap or none", &a->auth);
		else if (!strcmp(kv.key, "user"))
			rc = get_str(l, kv.v, true, &a->user);
		else if (!strcmp(kv.key, "secret"))
			rc = get_text_bytes(l, kv.v, true, &a->secret);
		else if (!strcmp(kv.key, "pdn_type"))
			rc = get_enum(l, kv.v, pdns, 4, "pdn_type must be non-ip, ipv4, ipv6 or ipv4v6", &a->pdn_type);
		else if (!strcmp(kv.key, "enable")) {
			if (!(rc = get_bool(l, kv.v, &b)))
				a->enable = b;
		} else if (!strcmp(kv.key, "auto_select")) {
			if (!(rc = get_bool(l, kv.v, &b)))
				a->auto_select = b;
		} else if (!strcmp(kv.key, "resources"))
			rc = parse_res_map(l, kv.v, LWBS_OID_APN, &a->res, &a->n_res);
		else
			return unknown_key(l, &kv, "apn entry");
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	if (!a->name)
		return fail(l, m, "apn entry needs name");
	return 0;
}

static int parse_oscore(struct ld *l, yaml_node_t *m, struct lwbs_prov_oscore *o)
{
	struct map_it it;
	struct kv kv;
	bool has_ms = false, has_s = false, has_r = false;
	int64_t v = 0;
	int rc;

	memset(o, 0, sizeof(*o));
	o->loc = loc_of(l, m);
	o->aead = o->hmac = -1;
	if ((rc = map_begin(l, m, "oscore entry", &it)))
		return rc;
	while ((rc = map_next(l, &it, &kv)) > 0) {
		if (!strcmp(kv.key, "name")) {
			rc = get_str(l, kv.v, false, &o->name);
		} else if (!strcmp(kv.key, "master_secret")) {
			has_ms = true;
			rc = get_bytes(l, kv.v, true, true, &o->master_secret);
		} else if (!strcmp(kv.key, "sender_id")) {
			has_s = true;
			rc = get_bytes(l, kv.v, false, true, &o->sender_id);
		} else if (!strcmp(kv.key, "recipient_id")) {
			has_r = true;
			rc = get_bytes(l, kv.v, false, true, &o->recipient_id);
		} else if (!strcmp(kv.key, "master_salt")) {
			o->has_salt = true;
			rc = get_bytes(l, kv.v, false, true, &o->master_salt);
		} else if (!strcmp(kv.key, "id_context")) {
			o->has_id_context = true;
			rc = get_bytes(l, kv.v, false, true, &o->id_context);
		} else if (!strcmp(kv.key, "aead")) {
			if (!(rc = get_int(l, kv.v, -65536, 65535, &v)))
				o->aead = (int)v;
		} else if (!strcmp(kv.key, "hmac")) {
			if (!(rc = get_int(l, kv.v, -65536, 65535, &v)))
				o->hmac = (int)v;
		} else {
			return unknown_key(l, &kv, "oscore entry");
		}
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	if (!o->name || !has_ms || !has_s || !has_r)
		return fail(l, m, "oscore entry needs name, master_secret, sender_id and recipient_id");
	return 0;
}

static int parse_inst(struct ld *l, yaml_node_t *m, struct lwbs_prov_inst *o)
{
	struct map_it it;
	struct kv kv;
	yaml_node_t *res = NULL;
	bool has_path = false;
	int rc;

	memset(o, 0, sizeof(*o));
	o->loc = loc_of(l, m);
	if ((rc = map_begin(l, m, "object instance", &it)))
		return rc;
	while ((rc = map_next(l, &it, &kv)) > 0) {
		if (!strcmp(kv.key, "path")) {
			struct lwbs_path p;
			if (kv.v->type != YAML_SCALAR_NODE || lwbs_path_parse(sval(kv.v), slen(kv.v), &p) || p.len != 2)
				return fail(l, kv.v, "path must be /OID/IID");
			o->oid = p.id[0];
			o->iid = p.id[1];
			has_path = true;
		} else if (!strcmp(kv.key, "resources")) {
			res = kv.v;
		} else {
			return unknown_key(l, &kv, "object instance");
		}
	}
	if (rc)
		return rc;
	if (!has_path)
		return fail(l, m, "object instance needs path");
	if (res)
		return parse_res_map(l, res, o->oid, &o->res, &o->n_res);
	return 0;
}

/* ---------- profiles ---------- */

#define PARSE_LIST(l, v, type, arr, n, fn)                                                   \
	({                                                                                   \
		int _rc = want(l, v, YAML_SEQUENCE_NODE, "a list");                          \
		if (!_rc) {                                                                  \
			size_t _c = seq_len(v);                                              \
			(arr) = arr_alloc(l, _c, sizeof(type));                              \
			if (!(arr))                                                          \
				_rc = nomem(l);                                              \
			for (size_t _i = 0; !_rc && _i < _c; _i++) {                         \
				yaml_node_t *_e;                                             \
				_rc = get(l, v, v->data.sequence.items.start[_i], &_e);      \
				if (!_rc)                                                    \
					_rc = fn(l, _e, &(arr)[_i]);                         \
				if (!_rc)                                                    \
					(n) = _i + 1;                                        \
			}                                                                    \
		}                                                                            \
		_rc;                                                                         \
	})

static int parse_dm_server(struct ld *l, yaml_node_t *m, struct lwbs_prov_server *s)
{
	return parse_server(l, m, false, s);
}

static int parse_delete(struct ld *l, yaml_node_t *m, struct lwbs_path *p)
{
	if (m->type != YAML_SCALAR_NODE || lwbs_path_parse(sval(m), slen(m), p) || p->len > 2)
		return fail(l, m, "delete paths are \"/\", \"/OID\" or \"/OID/IID\"");
	return 0;
}

static const struct {
	const char *name;
	int cf;
} cf_names[] = {
	{"auto", LWBS_CF_NONE},
	{"tlv", LWBS_CF_TLV},
	{"senml-cbor", LWBS_CF_SENML_CBOR},
	{"senml-json", LWBS_CF_SENML_JSON},
	{"lwm2m-cbor", LWBS_CF_LWM2M_CBOR},
};

static void profile_defaults(struct lwbs_prov_profile *pr)
{
	static const struct lwbs_path del[2] = {{{0, 0, 0, 0}, 1}, {{1, 0, 0, 0}, 1}};

	pr->deletes = (struct lwbs_path *)del;
	pr->n_deletes = 2;
	pr->content_format = LWBS_CF_NONE;
	pr->discover = true;
	pr->auto_security_ids = true;
	pr->allow_pack = true;
}

/* overlay: a device's overrides (no name; servers may be partial). */
static int parse_profile(struct ld *l, yaml_node_t *m, bool overlay, struct lwbs_prov_profile *pr)
{
	struct map_it it;
	struct kv kv;
	int rc;

	memset(pr, 0, sizeof(*pr));
	profile_defaults(pr);
	pr->loc = loc_of(l, m);
	if ((rc = map_begin(l, m, overlay ? "overrides" : "profile", &it)))
		return rc;
	while ((rc = map_next(l, &it, &kv)) > 0) {
		const char *k = kv.key;
		yaml_node_t *v = kv.v;
		uint32_t bit = 0;

		if (!overlay && !strcmp(k, "name")) {
			rc = get_str(l, v, false, &pr->name);
		} else if (!strcmp(k, "servers")) {
			bit = LWBS_PROV_P_SERVERS;
			rc = PARSE_LIST(l, v, struct lwbs_prov_server, pr->servers, pr->n_servers, parse_dm_server);
		} else if (!strcmp(k, "bootstrap_server")) {
			bit = LWBS_PROV_P_BS;
			pr->bootstrap_server = arr_alloc(l, 1, sizeof(*pr->bootstrap_server));
			if (!pr->bootstrap_server)
				return nomem(l);
			rc = parse_server(l, v, true, pr->bootstrap_server);
		} else if (!strcmp(k, "acl")) {
			bit = LWBS_PROV_P_ACL;
			rc = PARSE_LIST(l, v, struct lwbs_prov_acl, pr->acl, pr->n_acl, parse_acl);
		} else if (!strcmp(k, "apn")) {
			bit = LWBS_PROV_P_APN;
			rc = PARSE_LIST(l, v, struct lwbs_prov_apn, pr->apn, pr->n_apn, parse_apn);
		} else if (!strcmp(k, "oscore")) {
			bit = LWBS_PROV_P_OSCORE;
			rc = PARSE_LIST(l, v, struct lwbs_prov_oscore, pr->oscore, pr->n_oscore, parse_oscore);
		} else if (!strcmp(k, "objects")) {
			bit = LWBS_PROV_P_OBJECTS;
			rc = PARSE_LIST(l, v, struct lwbs_prov_inst, pr->objects, pr->n_objects, parse_inst);
		} else if (!strcmp(k, "delete")) {
			bit = LWBS_PROV_P_DELETE;
			pr->n_deletes = 0;
			rc = PARSE_LIST(l, v, struct lwbs_path, pr->deletes, pr->n_deletes, parse_delete);
		} else if (!strcmp(k, "content_format")) {
			size_t i, cnt = sizeof(cf_names) / sizeof(cf_names[0]);
			bit = LWBS_PROV_P_CF;
			for (i = 0; v->type == YAML_SCALAR_NODE && i < cnt; i++)
				if (!strcmp(sval(v), cf_names[i].name))
					break;
			if (v->type != YAML_SCALAR_NODE || i == cnt)
				return fail(l, v, "content_format must be auto, tlv, senml-cbor, senml-json or lwm2m-cbor");
			pr->content_format = cf_names[i].cf;
			rc = 0;
		} else if (!strcmp(k, "discover")) {
			bit = LWBS_PROV_P_DISCOVER;
			rc = get_bool(l, v, &pr->discover);
		} else if (!strcmp(k, "auto_security_ids")) {
			bit = LWBS_PROV_P_AUTO_IDS;
			rc = get_bool(l, v, &pr->auto_security_ids);
		} else if (!strcmp(k, "read_existing")) {
			bit = LWBS_PROV_P_READ_EXISTING;
			rc = get_bool(l, v, &pr->read_existing);
		} else if (!strcmp(k, "keep_existing")) {
			bit = LWBS_PROV_P_KEEP_EXISTING;
			rc = get_bool(l, v, &pr->keep_existing);
		} else if (!strcmp(k, "write")) {
			static const char *const w[] = {"per-instance", "per-object"};
			int x = 0;
			bit = LWBS_PROV_P_WRITE;
			if (!(rc = get_enum(l, v, w, 2, "write must be per-instance or per-object", &x)))
				pr->write_per_object = x == 1;
		} else if (!strcmp(k, "pack")) {
			bit = LWBS_PROV_P_PACK;
			rc = get_bool(l, v, &pr->allow_pack);
		} else {
			return unknown_key(l, &kv, overlay ? "overrides" : "profile");
		}
		if (rc)
			return rc;
		pr->set |= bit;
	}
	if (rc)
		return rc;
	if (!overlay && !pr->name)
		return fail(l, m, "profile needs name");
	return 0;
}

/* ---------- devices ---------- */

static int get_ident(struct ld *l, const yaml_node_t *n, const char *what, size_t min, size_t max, bool plus,
		     const char **out)
{
	const char *s;
	size_t len;

	if (n->type != YAML_SCALAR_NODE)
		return fail(l, n, "%s: expected digits", what);
	s = sval(n);
	len = slen(n);
	if (plus && len && s[0] == '+') {
		s++;
		len--;
	}
	if (len < min || len > max || !is_digits(s, len)) {
		if (min == max)
			return fail(l, n, "%s must be %zu digits", what, min);
		return fail(l, n, "%s must be %zu..%zu digits", what, min, max);
	}
	return get_str(l, n, false, out);
}

static int parse_device(struct ld *l, yaml_node_t *m, struct lwbs_prov_device *d)
{
	struct map_it it;
	struct kv kv;
	int rc;

	memset(d, 0, sizeof(*d));
	d->loc = loc_of(l, m);
	if ((rc = map_begin(l, m, "device", &it)))
		return rc;
	while ((rc = map_next(l, &it, &kv)) > 0) {
		const char *k = kv.key;
		yaml_node_t *v = kv.v;

		if (!strcmp(k, "endpoint")) {
			if (!(rc = get_str(l, v, false, &d->ident[LWBS_IDENT_ENDPOINT])) && slen(v) > 255)
				rc = fail(l, v, "endpoint longer than 255 bytes");
		} else if (!strcmp(k, "profile")) {
			rc = get_str(l, v, false, &d->profile_name);
		} else if (!strcmp(k, "imsi")) {
			rc = get_ident(l, v, "imsi", 5, 15, false, &d->ident[LWBS_IDENT_IMSI]);
		} else if (!strcmp(k, "msisdn")) {
			rc = get_ident(l, v, "msisdn", 1, 15, true, &d->ident[LWBS_IDENT_MSISDN]);
		} else if (!strcmp(k, "imei") || !strcmp(k, "imeisv")) {
			bool sv = k[4] == 's';
			if (d->ident[LWBS_IDENT_IMEI])
				return fail(l, kv.k, "give either imei or imeisv");
			rc = get_ident(l, v, k, sv ? 16 : 15, sv ? 16 : 15, false, &d->ident[LWBS_IDENT_IMEI]);
		} else if (!strcmp(k, "psk_identity")) {
			rc = get_str(l, v, false, &d->ident[LWBS_IDENT_PSK_ID]);
		} else if (!strcmp(k, "psk_key")) {
			rc = get_bytes(l, v, true, true, &d->psk_key);
		} else if (!strcmp(k, "cert_subject")) {
			rc = get_str(l, v, false, &d->ident[LWBS_IDENT_CERT_SUBJECT]);
		} else if (!strcmp(k, "batch")) {
			rc = get_str(l, v, false, &d->batch);
		} else if (!strcmp(k, "overrides")) {
			d->overrides = arr_alloc(l, 1, sizeof(*d->overrides));
			if (!d->overrides)
				return nomem(l);
			rc = parse_profile(l, v, true, d->overrides);
		} else {
			return unknown_key(l, &kv, "device");
		}
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	if (!d->ident[LWBS_IDENT_ENDPOINT])
		return fail(l, m, "device needs endpoint");
	if (!d->profile_name)
		return fail(l, m, "device needs profile");
	if (d->psk_key.len && !d->ident[LWBS_IDENT_PSK_ID])
		return fail(l, m, "psk_key without psk_identity");
	return 0;
}

/* ---------- documents and files ---------- */

static int add_profile(struct ld *l, yaml_node_t *m)
{
	struct lwbs_prov *p = l->p;
	struct lwbs_prov_profile *pr = arr_alloc(l, 1, sizeof(*pr));
	int rc;

	if (!pr)
		return nomem(l);
	if ((rc = parse_profile(l, m, false, pr)))
		return rc;
	for (size_t i = 0; i < p->n_profiles; i++)
		if (!strcmp(p->profiles[i]->name, pr->name)) {
			const struct lwbs_prov_loc *o = &p->profiles[i]->loc;
			return fail(l, m, "profile \"%s\" already defined at %s:%" PRIu32, pr->name, p->files[o->file],
				    o->line);
		}
	if (p->n_profiles == p->cap_profiles) {
		size_t nc = p->cap_profiles ? p->cap_profiles * 2 : 16;
		void *na = realloc(p->profiles, nc * sizeof(*p->profiles));
		if (!na)
			return nomem(l);
		p->profiles = na;
		p->cap_profiles = nc;
	}
	p->profiles[p->n_profiles++] = pr;
	return 0;
}

static int add_device(struct ld *l, yaml_node_t *m)
{
	struct lwbs_prov *p = l->p;
	int rc;

	if (p->n_devices == p->cap_devices) {
		size_t nc = p->cap_devices ? p->cap_devices * 2 : 256;
		void *na = realloc(p->devices, nc * sizeof(*p->devices));
		if (!na)
			return nomem(l);
		p->devices = na;
		p->cap_devices = nc;
	}
	if ((rc = parse_device(l, m, &p->devices[p->n_devices])))
		return rc;
	p->n_devices++;
	return 0;
}

/* One auto-enrolment template: {plmn, apn, profile}. */
static int add_template(struct ld *l, yaml_node_t *m)
{
	struct lwbs_prov *p = l->p;
	struct lwbs_prov_template t = {.loc = loc_of(l, m)};
	struct map_it it;
	struct kv kv;
	int rc;

	if ((rc = map_begin(l, m, "template", &it)))
		return rc;
	while ((rc = map_next(l, &it, &kv)) > 0) {
		if (!strcmp(kv.key, "plmn")) {
			if ((rc = get_str(l, kv.v, false, &t.plmn)))
				return rc;
			if ((strlen(t.plmn) != 5 && strlen(t.plmn) != 6) || !is_digits(t.plmn, strlen(t.plmn)))
				return fail(l, kv.v, "plmn: MCC+MNC, 5 or 6 digits (quote it)");
		} else if (!strcmp(kv.key, "apn")) {
			if ((rc = get_str(l, kv.v, false, &t.apn)))
				return rc;
		} else if (!strcmp(kv.key, "profile")) {
			if ((rc = get_str(l, kv.v, false, &t.profile_name)))
				return rc;
		} else {
			return unknown_key(l, &kv, "template (plmn, apn, profile)");
		}
	}
	if (rc)
		return rc;
	if (!t.profile_name)
		return fail(l, m, "template needs profile");
	if (p->n_templates == p->cap_templates) {
		size_t nc = p->cap_templates ? p->cap_templates * 2 : 8;
		void *na = realloc(p->templates, nc * sizeof(*p->templates));
		if (!na)
			return nomem(l);
		p->templates = na;
		p->cap_templates = nc;
	}
	p->templates[p->n_templates++] = t;
	return 0;
}

static int load_doc(struct ld *l, yaml_node_t *root)
{
	struct map_it it;
	struct kv kv;
	int rc;

	if (root->type == YAML_SCALAR_NODE && !slen(root))
		return 0; /* empty document */
	if ((rc = map_begin(l, root, "top level: profiles and devices", &it)))
		return rc;
	while ((rc = map_next(l, &it, &kv)) > 0) {
		int (*fn)(struct ld *, yaml_node_t *);

		if (!strcmp(kv.key, "profiles")) {
			fn = add_profile;
		} else if (!strcmp(kv.key, "devices")) {
			fn = add_device;
		} else if (!strcmp(kv.key, "templates")) {
			fn = add_template;
			l->p->has_templates = true;
		} else {
			return unknown_key(l, &kv, "the top level (profiles, devices, templates)");
		}
		if (kv.v->type == YAML_SCALAR_NODE && !slen(kv.v))
			continue; /* "devices:" with nothing */
		if ((rc = want(l, kv.v, YAML_SEQUENCE_NODE, "a list")))
			return rc;
		for (yaml_node_item_t *i = kv.v->data.sequence.items.start; i < kv.v->data.sequence.items.top; i++) {
			yaml_node_t *e;
			if ((rc = get(l, kv.v, *i, &e)) || (rc = fn(l, e)))
				return rc;
		}
	}
	return rc;
}

static void wipe_doc(yaml_document_t *doc)
{
	for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE)
			OPENSSL_cleanse(n->data.scalar.value, n->data.scalar.length);
}

static int add_file_name(struct lwbs_prov *p, const char *name, uint32_t *out)
{
	void *na = realloc(p->files, (p->n_files + 1) * sizeof(*p->files));
	char *s;

	if (!na)
		return -ENOMEM;
	p->files = na;
	s = lwbs_arena_strdup(p->arena, name);
	if (!s)
		return -ENOMEM;
	p->files[p->n_files] = s;
	*out = (uint32_t)p->n_files++;
	return 0;
}

/* Walks one parsed document into p. */
static int walk_parsed(struct ld *l, yaml_document_t *doc)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	int rc;

	l->doc = doc;
	l->n_nodes = (size_t)(doc->nodes.top - doc->nodes.start);
	l->seen = calloc(l->n_nodes ? l->n_nodes : 1, 1);
	if (!l->seen) {
		rc = nomem(l);
	} else {
		l->seen[0] = 1; /* the root */
		rc = load_doc(l, root);
	}
	free(l->seen);
	l->seen = NULL;
	l->doc = NULL;
	return rc;
}

static int syntax_error(struct ld *l, size_t line, size_t column, const char *problem, const char *context)
{
	struct lwbs_prov_loc loc = {l->file, (uint32_t)line + 1, (uint32_t)column + 1};

	lwbs_prov_errf(l->err, l->cap, l->p, &loc, "YAML: %s%s%s", problem ? problem : "syntax error",
		       context ? " " : "", context ? context : "");
	return LWBS_ESYNTAX;
}

/* Starts loading a file named name into p: l is set up for it. */
static int begin_file(struct lwbs_prov *p, struct ld *l, const char *name, const char *base_dir, char *err,
		      size_t err_cap)
{
	*l = (struct ld){.p = p, .base_dir = base_dir, .err = err, .cap = err_cap};
	if (err && err_cap)
		err[0] = 0;
	if (p->failed || p->finished) {
		snprintf(err, err_cap, "%s: provisioning set already failed or finished", name);
		return -EINVAL;
	}
	if (add_file_name(p, name, &l->file)) {
		snprintf(err, err_cap, "%s: out of memory", name);
		p->failed = true;
		return -ENOMEM;
	}
	return 0;
}

int lwbs_prov_load_buffer(struct lwbs_prov *p, const char *name, const void *buf, size_t len,
			  const char *base_dir, char *err, size_t err_cap)
{
	yaml_parser_t parser;
	struct ld l;
	int rc;

	if ((rc = begin_file(p, &l, name, base_dir, err, err_cap)))
		return rc;
	if (!yaml_parser_initialize(&parser)) {
		p->failed = true;
		return nomem(&l);
	}
	yaml_parser_set_input_string(&parser, buf, len);
	for (;;) {
		yaml_document_t doc;

		if (!yaml_parser_load(&parser, &doc)) {
			rc = syntax_error(&l, parser.problem_mark.line, parser.problem_mark.column, parser.problem,
					  parser.context);
			break;
		}
		if (!yaml_document_get_root_node(&doc)) {
			yaml_document_delete(&doc);
			break;
		}
		rc = walk_parsed(&l, &doc);
		wipe_doc(&doc);
		yaml_document_delete(&doc);
		if (rc)
			break;
	}
	yaml_parser_delete(&parser);
	if (rc)
		p->failed = true;
	return rc;
}

/* The whole file into *buf (caller wipes and frees); err filled on failure. */
static int read_file(const char *path, char **out, size_t *out_len, char *err, size_t err_cap)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;

	if (!f) {
		int e = errno ? errno : EIO;
		snprintf(err, err_cap, "%s: %s", path, strerror(e));
		return -e;
	}
	for (;;) {
		if (len == cap) {
			size_t nc = cap ? cap * 2 : 65536;
			char *nb;
			if (nc > MAX_FILE_BYTES) {
				rc = -EFBIG;
				snprintf(err, err_cap, "%s: larger than %u MiB", path, MAX_FILE_BYTES >> 20);
				break;
			}
			nb = malloc(nc);
			if (!nb) {
				rc = -ENOMEM;
				snprintf(err, err_cap, "%s: out of memory", path);
				break;
			}
			if (len)
				memcpy(nb, buf, len);
			if (buf)
				OPENSSL_cleanse(buf, len);
			free(buf);
			buf = nb;
			cap = nc;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			if (ferror(f)) {
				rc = -EIO;
				snprintf(err, err_cap, "%s: read error", path);
			}
			break;
		}
	}
	fclose(f);
	if (rc) {
		if (buf)
			OPENSSL_cleanse(buf, len);
		free(buf);
		return rc;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

/* The directory of path, for relative `file:` references (caller frees). */
static char *dir_of(const char *path)
{
	char *dir = strdup(path), *slash;

	if (!dir)
		return NULL;
	slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir ? 1 : 0] = 0;
	else
		strcpy(dir, ".");
	return dir;
}

int lwbs_prov_load_file(struct lwbs_prov *p, const char *path, char *err, size_t err_cap)
{
	char *buf = NULL, *dir;
	size_t len = 0;
	int rc;

	if ((rc = read_file(path, &buf, &len, err, err_cap))) {
		p->failed = true;
		return rc;
	}
	dir = dir_of(path);
	if (!dir) {
		rc = -ENOMEM;
		snprintf(err, err_cap, "%s: out of memory", path);
	} else {
		rc = lwbs_prov_load_buffer(p, path, buf, len, dir, err, err_cap);
	}
	free(dir);
	if (rc)
		p->failed = true;
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

/* ---------- many files: parsing thread + walking caller ---------- */

/* What the parsing thread hands over, in file order: a document, the end
 * of a file, or a failure (reading: msg; YAML: mark and problem). */
enum parsed_kind { PARSED_DOC, PARSED_END, PARSED_READ_ERR, PARSED_SYNTAX_ERR };

struct parsed {
	enum parsed_kind kind;
	int file;
	yaml_document_t doc;
	int rc;
	size_t line, column;
	const char *problem, *context; /* libyaml's static strings */
	char msg[256];
};

#define PARSED_QUEUE 4

struct parse_pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct parsed q[PARSED_QUEUE];
	size_t head, n;
	/* Walked documents, handed back: the thread that allocated them wipes
	 * and frees them (cheaper for malloc than freeing them here). */
	yaml_document_t dead[2 * PARSED_QUEUE];
	size_t n_dead;
	bool stop; /* set by the caller: the thread drops what it has and ends */
	char *const *paths;
	int n_paths;
};

/* Queues *x (the thread); false when told to stop (x not queued). */
static bool pipe_push(struct parse_pipe *pp, const struct parsed *x)
{
	bool ok;

	pthread_mutex_lock(&pp->mu);
	while (pp->n == PARSED_QUEUE && !pp->stop)
		pthread_cond_wait(&pp->cv, &pp->mu);
	ok = !pp->stop;
	if (ok) {
		pp->q[(pp->head + pp->n) % PARSED_QUEUE] = *x;
		pp->n++;
		pthread_cond_broadcast(&pp->cv);
	}
	pthread_mutex_unlock(&pp->mu);
	return ok;
}

static void pipe_pop(struct parse_pipe *pp, struct parsed *x)
{
	pthread_mutex_lock(&pp->mu);
	while (!pp->n)
		pthread_cond_wait(&pp->cv, &pp->mu);
	*x = pp->q[pp->head];
	pp->head = (pp->head + 1) % PARSED_QUEUE;
	pp->n--;
	pthread_cond_broadcast(&pp->cv);
	pthread_mutex_unlock(&pp->mu);
}

static void drop_doc(yaml_document_t *doc)
{
	wipe_doc(doc);
	yaml_document_delete(doc);
}

/* The thread: frees the documents handed back. */
static void drop_dead(struct parse_pipe *pp)
{
	yaml_document_t dead[2 * PARSED_QUEUE];
	size_t n;

	pthread_mutex_lock(&pp->mu);
	n = pp->n_dead;
	memcpy(dead, pp->dead, n * sizeof(dead[0]));
	pp->n_dead = 0;
	pthread_mutex_unlock(&pp->mu);
	for (size_t i = 0; i < n; i++)
		drop_doc(&dead[i]);
}

/* The caller: hands a walked document back (or frees it when the thread
 * has a backlog). */
static void give_back(struct parse_pipe *pp, yaml_document_t *doc)
{
	bool taken = false;

	pthread_mutex_lock(&pp->mu);
	if (pp->n_dead < 2 * PARSED_QUEUE) {
		pp->dead[pp->n_dead++] = *doc;
		taken = true;
	}
	pthread_mutex_unlock(&pp->mu);
	if (!taken)
		drop_doc(doc);
}

/* The parsing thread: reads and parses each file; ends after the last
 * file, the first failure, or when told to stop. */
static void *parse_files(void *arg)
{
	struct parse_pipe *pp = arg;

	for (int k = 0; k < pp->n_paths; k++) {
		struct parsed x = {.kind = PARSED_END, .file = k};
		yaml_parser_t parser;
		char *buf = NULL;
		size_t len = 0;
		bool go = true;

		if ((x.rc = read_file(pp->paths[k], &buf, &len, x.msg, sizeof(x.msg)))) {
			x.kind = PARSED_READ_ERR;
			pipe_push(pp, &x);
			return NULL;
		}
		if (!yaml_parser_initialize(&parser)) {
			x.kind = PARSED_READ_ERR;
			x.rc = -ENOMEM;
			snprintf(x.msg, sizeof(x.msg), "%s: out of memory", pp->paths[k]);
			go = false;
		} else {
			yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
			while (go) {
				drop_dead(pp);
				if (!yaml_parser_load(&parser, &x.doc)) {
					x.kind = PARSED_SYNTAX_ERR;
					x.line = parser.problem_mark.line;
					x.column = parser.problem_mark.column;
					x.problem = parser.problem;
					x.context = parser.context;
					go = false;
					break;
				}
				if (!yaml_document_get_root_node(&x.doc)) {
					yaml_document_delete(&x.doc);
					break;
				}
				x.kind = PARSED_DOC;
				if (!pipe_push(pp, &x)) {
					drop_doc(&x.doc);
					go = false;
				}
				x.kind = PARSED_END;
			}
			yaml_parser_delete(&parser);
		}
		OPENSSL_cleanse(buf, len);
		free(buf);
		if (!pipe_push(pp, &x) || !go)
			return NULL;
	}
	return NULL;
}

int lwbs_prov_load_files(struct lwbs_prov *p, char *const *paths, int n, lwbs_prov_file_fn *done, void *arg,
			 char *err, size_t err_cap)
{
	struct parse_pipe pp = {.paths = paths, .n_paths = n};
	struct ld l = {0};
	char *dir = NULL;
	pthread_t th;
	int cur = -1, rc = 0;

	if (n <= 0)
		return 0;
	if (p->failed || p->finished) {
		snprintf(err, err_cap, "%s: provisioning set already failed or finished", paths[0]);
		return -EINVAL;
	}
	pthread_mutex_init(&pp.mu, NULL);
	pthread_cond_init(&pp.cv, NULL);
	if (pthread_create(&th, NULL, parse_files, &pp)) {
		pthread_cond_destroy(&pp.cv);
		pthread_mutex_destroy(&pp.mu);
		for (int k = 0; k < n && !rc; k++)
			if (!(rc = lwbs_prov_load_file(p, paths[k], err, err_cap)) && done)
				done(arg, k + 1);
		return rc;
	}
	while (!rc) {
		struct parsed x;

		pipe_pop(&pp, &x);
		if (x.file != cur) {
			cur = x.file;
			free(dir);
			if (!(dir = dir_of(paths[cur]))) {
				snprintf(err, err_cap, "%s: out of memory", paths[cur]);
				rc = -ENOMEM;
			} else {
				rc = begin_file(p, &l, paths[cur], dir, err, err_cap);
			}
			if (rc) {
				if (x.kind == PARSED_DOC)
					drop_doc(&x.doc);
				break;
			}
		}
		switch (x.kind) {
		case PARSED_DOC:
			rc = walk_parsed(&l, &x.doc);
			give_back(&pp, &x.doc);
			break;
		case PARSED_END:
			if (done)
				done(arg, (size_t)cur + 1);
			if (cur == n - 1)
				goto out;
			break;
		case PARSED_READ_ERR:
			snprintf(err, err_cap, "%s", x.msg);
			rc = x.rc;
			break;
		case PARSED_SYNTAX_ERR:
			rc = syntax_error(&l, x.line, x.column, x.problem, x.context);
			break;
		}
	}
	/* failed: stop the thread and drop what it queued */
	pthread_mutex_lock(&pp.mu);
	pp.stop = true;
	pthread_cond_broadcast(&pp.cv);
	pthread_mutex_unlock(&pp.mu);
out:
	pthread_join(th, NULL);
	for (; pp.n; pp.n--, pp.head = (pp.head + 1) % PARSED_QUEUE)
		if (pp.q[pp.head].kind == PARSED_DOC)
			drop_doc(&pp.q[pp.head].doc);
	drop_dead(&pp);
	pthread_cond_destroy(&pp.cv);
	pthread_mutex_destroy(&pp.mu);
	free(dir);
	if (rc)
		p->failed = true;
	return rc;
}

/* ---------- create / destroy ---------- */

struct lwbs_prov *lwbs_prov_create(void)
{
	struct lwbs_prov *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->arena = lwbs_arena_create(1u << 16);
	if (!p->arena) {
		free(p);
		return NULL;
	}
	return p;
}

void lwbs_prov_destroy(struct lwbs_prov *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_secrets; i++)
		OPENSSL_cleanse(p->secrets[i].ptr, p->secrets[i].len);
	lwbs_prov_index_free(p->index);
	free(p->secrets);
	free(p->profiles);
	free(p->devices);
	free(p->templates);
	free(p->sorted_profiles);
	free(p->files);
	lwbs_arena_destroy(p->arena);
	free(p);
}
