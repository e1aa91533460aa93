/* lwbs — the embedded store's state journal (include/lwbs/store_state.h).
 *
 * In memory: the enrolled devices and the credentials in arrays, found by
 * linear-probing hash tables of indexes (one per identity kind, one for
 * endpoint+ssid). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "lwbs/hex.h"
#include "lwbs/store_state.h"

struct ix {
	uint32_t *slot; /* item index + 1, 0 = empty */
	size_t cap;     /* power of two */
};

struct lwbs_store_state {
	int fd; /* -1: read-only */
	struct lwbs_store_state_device *dev;
	size_t n_dev, cap_dev;
	struct lwbs_store_state_cred *cred;
	size_t n_cred, cap_cred;
	struct ix dix[LWBS_IDENT_COUNT];
	struct ix cix;
};

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

#define FNV0 0xcbf29ce484222325ull

/* The key of an identity as indexed: IMEI on 14 digits, MSISDN without '+'. */
static void ident_key(enum lwbs_ident_kind k, const char **v, size_t *len)
{
	if (k == LWBS_IDENT_MSISDN && *len && (*v)[0] == '+') {
		(*v)++;
		(*len)--;
	}
	if (k == LWBS_IDENT_IMEI && *len > 14)
		*len = 14;
}

static bool dev_match(const struct lwbs_store_state_device *d, enum lwbs_ident_kind k, const char *v, size_t len)
{
	const char *dv = d->ident[k];
	size_t dl;

	if (!dv)
		return false;
	dl = strlen(dv);
	ident_key(k, &dv, &dl);
	return dl == len && !memcmp(dv, v, len);
}

static int ix_grow(struct ix *x, size_t n_items)
{
	size_t nc = x->cap ? x->cap : 16;
	uint32_t *ns;

	if ((n_items + 1) * 2 <= x->cap)
		return 0;
	while ((n_items + 1) * 2 > nc)
		nc *= 2;
	ns = calloc(nc, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	free(x->slot);
	x->slot = ns;
	x->cap = nc;
	return 1; /* caller re-inserts everything */
}

static void dix_put(struct lwbs_store_state *st, enum lwbs_ident_kind k, size_t i)
{
	const char *v = st->dev[i].ident[k];
	size_t len, s;

	if (!v)
		return;
	len = strlen(v);
	ident_key(k, &v, &len);
	s = fnv(v, len, FNV0) & (st->dix[k].cap - 1);
	while (st->dix[k].slot[s])
		s = (s + 1) & (st->dix[k].cap - 1);
	st->dix[k].slot[s] = (uint32_t)i + 1;
}

static uint64_t cred_hash(const char *ep, uint16_t ssid)
{
	return fnv(&ssid, sizeof(ssid), fnv(ep, strlen(ep), FNV0));
}

static void cix_put(struct lwbs_store_state *st, size_t i)
{
	size_t s = cred_hash(st->cred[i].endpoint, st->cred[i].ssid) & (st->cix.cap - 1);

	while (st->cix.slot[s])
		s = (s + 1) & (st->cix.cap - 1);
	st->cix.slot[s] = (uint32_t)i + 1;
}

const struct lwbs_store_state_device *lwbs_store_state_find(const struct lwbs_store_state *st,
							    enum lwbs_ident_kind k, const char *value, size_t len)
{
	const struct ix *x;
	size_t s;

	if (!st || (unsigned)k >= LWBS_IDENT_COUNT || !value)
		return NULL;
	x = &st->dix[k];
	if (!x->cap)
		return NULL;
	ident_key(k, &value, &len);
	for (s = fnv(value, len, FNV0) & (x->cap - 1); x->slot[s]; s = (s + 1) & (x->cap - 1))
		if (dev_match(&st->dev[x->slot[s] - 1], k, value, len))
			return &st->dev[x->slot[s] - 1];
	return NULL;
}

const struct lwbs_store_state_cred *lwbs_store_state_cred(const struct lwbs_store_state *st, const char *endpoint,
							  uint16_t ssid)
{
	size_t s;

	if (!st || !st->cix.cap)
		return NULL;
	for (s = cred_hash(endpoint, ssid) & (st->cix.cap - 1); st->cix.slot[s]; s = (s + 1) & (st->cix.cap - 1)) {
		const struct lwbs_store_state_cred *c = &st->cred[st->cix.slot[s] - 1];
		if (c->ssid == ssid && !strcmp(c->endpoint, endpoint))
			return c;
	}
	return NULL;
}

size_t lwbs_store_state_n_creds(const struct lwbs_store_state *st)
{
	return st ? st->n_cred : 0;
}

const struct lwbs_store_state_cred *lwbs_store_state_cred_at(const struct lwbs_store_state *st, size_t i)
{
	return st && i < st->n_cred ? &st->cred[i] : NULL;
}

size_t lwbs_store_state_n_devices(const struct lwbs_store_state *st)
{
	return st ? st->n_dev : 0;
}

/* ---- in-memory updates (no I/O) ---- */

static int mem_enrol(struct lwbs_store_state *st, const char *const ident[LWBS_IDENT_COUNT], const char *profile,
		     int64_t ts)
{
	struct lwbs_store_state_device d = {.ts_ms = ts};
	int rc;

	if (st->n_dev == st->cap_dev) {
		size_t nc = st->cap_dev ? st->cap_dev * 2 : 16;
		void *na = realloc(st->dev, nc * sizeof(*st->dev));
		if (!na)
			return -ENOMEM;
		st->dev = na;
		st->cap_dev = nc;
	}
	for (int k = 0; k < LWBS_IDENT_COUNT; k++)
		if (ident[k] && !(d.ident[k] = strdup(ident[k])))
			goto nomem;
	if (!(d.profile = strdup(profile)))
		goto nomem;
	st->dev[st->n_dev++] = d;
	for (int k = 0; k < LWBS_IDENT_COUNT; k++) {
		if ((rc = ix_grow(&st->dix[k], st->n_dev)) < 0) {
			st->n_dev--;
			goto nomem;
		}
		if (rc) {
			for (size_t i = 0; i + 1 < st->n_dev; i++)
				dix_put(st, (enum lwbs_ident_kind)k, i);
		}
		dix_put(st, (enum lwbs_ident_kind)k, st->n_dev - 1);
	}
	return 0;
nomem:
	for (int k = 0; k < LWBS_IDENT_COUNT; k++)
		free(d.ident[k]);
	free(d.profile);
	return -ENOMEM;
}

static void cred_free(struct lwbs_store_state_cred *c)
{
	if (c->key)
		OPENSSL_cleanse(c->key, c->key_len);
	free(c->key);
	free(c->endpoint);
	free(c->identity);
}

static int mem_cred(struct lwbs_store_state *st, const char *endpoint, uint16_t ssid, const char *identity,
		    const uint8_t *key, size_t key_len, int64_t ts)
{
	struct lwbs_store_state_cred c = {.ssid = ssid, .key_len = key_len, .ts_ms = ts};
	struct lwbs_store_state_cred *old = (struct lwbs_store_state_cred *)lwbs_store_state_cred(st, endpoint, ssid);
	int rc;

	c.endpoint = strdup(endpoint);
	c.identity = strdup(identity);
	c.key = malloc(key_len ? key_len : 1);
	if (!c.endpoint || !c.identity || !c.key) {
		cred_free(&c);
		return -ENOMEM;
	}
	memcpy(c.key, key, key_len);
	if (old) {
		cred_free(old);
		*old = c;
		return 0;
	}
	if (st->n_cred == st->cap_cred) {
		size_t nc = st->cap_cred ? st->cap_cred * 2 : 16;
		void *na = realloc(st->cred, nc * sizeof(*st->cred));
		if (!na) {
			cred_free(&c);
			return -ENOMEM;
		}
		st->cred = na;
		st->cap_cred = nc;
	}
	if ((rc = ix_grow(&st->cix, st->n_cred + 1)) < 0) {
		cred_free(&c);
		return rc;
	}
	st->cred[st->n_cred++] = c;
	if (rc) {
		for (size_t i = 0; i + 1 < st->n_cred; i++)
			cix_put(st, i);
	}
	cix_put(st, st->n_cred - 1);
	return 0;
}

/* ---- line format ---- */

struct line {
	char *buf;
	size_t len, cap;
};

static int line_put(struct line *l, const char *s, size_t n)
{
	if (l->len + n + 1 > l->cap) {
		size_t nc = (l->len + n + 1) * 2;
		char *nb = malloc(nc);
		if (!nb)
			return -ENOMEM;
		if (l->len)
			memcpy(nb, l->buf, l->len);
		if (l->buf)
			OPENSSL_cleanse(l->buf, l->cap);
		free(l->buf);
		l->buf = nb;
		l->cap = nc;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	l->buf[l->len] = 0;
	return 0;
}

static int line_kv(struct line *l, const char *key, const char *val)
{
	static const char hex[] = "0123456789abcdef";
	int rc = line_put(l, " ", 1);

	if (!rc)
		rc = line_put(l, key, strlen(key));
	if (!rc)
		rc = line_put(l, "=", 1);
	for (const unsigned char *p = (const unsigned char *)val; !rc && *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '%' || *p == '=') {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			rc = line_put(l, e, 3);
		} else {
			rc = line_put(l, (const char *)p, 1);
		}
	}
	return rc;
}

/* Unescapes s in place; -1 for a bad escape or an escaped NUL. */
static int unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '%') {
			int hi = lwbs_hex_digit(s[1]), lo = hi < 0 ? -1 : lwbs_hex_digit(s[2]);
			if (hi < 0 || lo < 0 || (hi | lo) == 0)
				return -1;
			*o++ = (char)(hi << 4 | lo);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
	return 0;
}

static int append(struct lwbs_store_state *st, struct line *l)
{
	size_t off = 0;
	off_t before;

	if (st->fd < 0)
		return -EROFS;
	if (line_put(l, "\n", 1))
		return -ENOMEM;
	before = lseek(st->fd, 0, SEEK_END);
	while (off < l->len) {
		ssize_t w = write(st->fd, l->buf + off, l->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fdatasync(st->fd))
		goto fail;
	return 0;
fail:
	if (before >= 0 && ftruncate(st->fd, before) == 0)
		(void)fdatasync(st->fd);
	return -EIO;
}

int lwbs_store_state_enrol(struct lwbs_store_state *st, const char *const ident[LWBS_IDENT_COUNT],
			   const char *profile, int64_t now_ms)
{
	static const char *const names[LWBS_IDENT_COUNT] = {
		[LWBS_IDENT_IMSI] = "imsi", [LWBS_IDENT_MSISDN] = "msisdn", [LWBS_IDENT_IMEI] = "imei"};
	struct line l = {0};
	char ts[24];
	int rc;

	if (!ident[LWBS_IDENT_ENDPOINT] || !profile)
		return -EINVAL;
	for (int k = 0; k < LWBS_IDENT_COUNT; k++) {
		if (!ident[k])
			continue;
		if (k != LWBS_IDENT_ENDPOINT && !names[k])
			return -EINVAL;
		if (lwbs_store_state_find(st, k, ident[k], strlen(ident[k])))
			return -EEXIST;
	}
	snprintf(ts, sizeof(ts), "%" PRId64, now_ms);
	rc = line_put(&l, "enrol", 5);
	if (!rc)
		rc = line_kv(&l, "ts", ts);
	if (!rc)
		rc = line_kv(&l, "profile", profile);
	if (!rc)
		rc = line_kv(&l, "endpoint", ident[LWBS_IDENT_ENDPOINT]);
	for (int k = 1; !rc && k < LWBS_IDENT_COUNT; k++)
		if (ident[k])
			rc = line_kv(&l, names[k], ident[k]);
	if (!rc)
		rc = append(st, &l);
	free(l.buf);
	return rc ? rc : mem_enrol(st, ident, profile, now_ms);
}

int lwbs_store_state_put_cred(struct lwbs_store_state *st, const char *endpoint, uint16_t ssid,
			      const char *identity, const uint8_t *key, size_t key_len, int64_t now_ms)
{
	static const char hex[] = "0123456789abcdef";
	struct line l = {0};
	char ts[24], ss[8], *kh = malloc(key_len * 2 + 1);
	int rc;

	if (!kh)
		return -ENOMEM;
	for (size_t i = 0; i < key_len; i++) {
		kh[2 * i] = hex[key[i] >> 4];
		kh[2 * i + 1] = hex[key[i] & 15];
	}
	kh[2 * key_len] = 0;
	snprintf(ts, sizeof(ts), "%" PRId64, now_ms);
	snprintf(ss, sizeof(ss), "%u", ssid);
	rc = line_put(&l, "cred", 4);
	if (!rc)
		rc = line_kv(&l, "ts", ts);
	if (!rc)
		rc = line_kv(&l, "endpoint", endpoint);
	if (!rc)
		rc = line_kv(&l, "ssid", ss);
	if (!rc)
		rc = line_kv(&l, "identity", identity);
	if (!rc)
		rc = line_kv(&l, "key", kh);
	if (!rc)
		rc = append(st, &l);
	OPENSSL_cleanse(kh, key_len * 2);
	free(kh);
	if (l.buf)
		OPENSSL_cleanse(l.buf, l.cap);
	free(l.buf);
	return rc ? rc : mem_cred(st, endpoint, ssid, identity, key, key_len, now_ms);
}

/* ---- replay ---- */

/* Parses one line (NUL-terminated, modified in place) into st. */
static int replay_line(struct lwbs_store_state *st, char *s, const char **why)
{
	const char *ident[LWBS_IDENT_COUNT] = {0}, *profile = NULL, *identity = NULL, *key = NULL, *ts = NULL,
		   *ssid = NULL;
	char *save = NULL, *kind = strtok_r(s, " ", &save), *tok;
	uint8_t kb[64];
	size_t kl;
	int rc;

	if (!kind) {
		*why = "empty line";
		return -EBADMSG;
	}
	while ((tok = strtok_r(NULL, " ", &save))) {
		char *eq = strchr(tok, '=');
		const char **slot;
		if (!eq) {
			*why = "field without '='";
			return -EBADMSG;
		}
		*eq = 0;
		if (unescape(eq + 1)) {
			*why = "bad escape";
			return -EBADMSG;
		}
		if (!strcmp(tok, "ts"))
			slot = &ts;
		else if (!strcmp(tok, "profile"))
			slot = &profile;
		else if (!strcmp(tok, "endpoint"))
			slot = &ident[LWBS_IDENT_ENDPOINT];
		else if (!strcmp(tok, "imsi"))
			slot = &ident[LWBS_IDENT_IMSI];
		else if (!strcmp(tok, "msisdn"))
			slot = &ident[LWBS_IDENT_MSISDN];
		else if (!strcmp(tok, "imei"))
			slot = &ident[LWBS_IDENT_IMEI];
		else if (!strcmp(tok, "ssid"))
			slot = &ssid;
		else if (!strcmp(tok, "identity"))
			slot = &identity;
		else if (!strcmp(tok, "key"))
			slot = &key;
		else {
			*why = "unknown field";
			return -EBADMSG;
		}
		if (*slot) {
			*why = "field given twice";
			return -EBADMSG;
		}
		*slot = eq + 1;
	}
	if (!ts || !ident[LWBS_IDENT_ENDPOINT] || !ident[LWBS_IDENT_ENDPOINT][0]) {
		*why = "missing ts or endpoint";
		return -EBADMSG;
	}
	if (!strcmp(kind, "enrol")) {
		if (!profile || ssid || identity || key) {
			*why = "bad enrol record";
			return -EBADMSG;
		}
		for (int k = 0; k < LWBS_IDENT_COUNT; k++)
			if (ident[k] && lwbs_store_state_find(st, k, ident[k], strlen(ident[k]))) {
				*why = "device enrolled twice";
				return -EBADMSG;
			}
		rc = mem_enrol(st, ident, profile, strtoll(ts, NULL, 10));
	} else if (!strcmp(kind, "cred")) {
		char *end;
		unsigned long sv = ssid ? strtoul(ssid, &end, 10) : 0;
		if (!ssid || *end || sv < 1 || sv > 65534 || !identity || !key || profile) {
			*why = "bad cred record";
			return -EBADMSG;
		}
		kl = strlen(key);
		if (kl % 2 || kl / 2 < 1 || kl / 2 > sizeof(kb)) {
			*why = "bad key length";
			return -EBADMSG;
		}
		for (size_t i = 0; i < kl / 2; i++) {
			int hi = lwbs_hex_digit(key[2 * i]), lo = lwbs_hex_digit(key[2 * i + 1]);
			if (hi < 0 || lo < 0) {
				*why = "bad key hex";
				OPENSSL_cleanse(kb, sizeof(kb));
				return -EBADMSG;
			}
			kb[i] = (uint8_t)(hi << 4 | lo);
		}
		rc = mem_cred(st, ident[LWBS_IDENT_ENDPOINT], (uint16_t)sv, identity, kb, kl / 2, strtoll(ts, NULL, 10));
		OPENSSL_cleanse(kb, sizeof(kb));
	} else {
		*why = "unknown record";
		return -EBADMSG;
	}
	if (rc)
		*why = "out of memory";
	return rc;
}

static int load(const char *path, bool writable, struct lwbs_store_state **out, char *err, size_t cap)
{
	struct lwbs_store_state *st = calloc(1, sizeof(*st));
	char *text = NULL;
	size_t len = 0, tcap = 0, good = 0;
	unsigned lineno = 1;
	int fd, rc = 0;

	if (!st) {
		snprintf(err, cap, "out of memory");
		return -ENOMEM;
	}
	st->fd = -1;
	fd = writable ? open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		if (!writable && rc == -ENOENT) {
			*out = st;
			return 0;
		}
		snprintf(err, cap, "%s: %s", path, strerror(-rc));
		free(st);
		return rc;
	}
	for (;;) {
		ssize_t r;
		if (len + 4096 + 1 > tcap) {
			size_t nc = tcap ? tcap * 2 : 65536;
			char *nt = malloc(nc);
			if (!nt) {
				rc = -ENOMEM;
				snprintf(err, cap, "%s: out of memory", path);
				goto out;
			}
			if (len)
				memcpy(nt, text, len);
			if (text)
				OPENSSL_cleanse(text, len);
			free(text);
			text = nt;
			tcap = nc;
		}
		r = read(fd, text + len, tcap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			snprintf(err, cap, "%s: %s", path, strerror(-rc));
			goto out;
		}
		if (!r)
			break;
		len += (size_t)r;
	}
	while (good < len) {
		char *nl = memchr(text + good, '\n', len - good);
		const char *why = NULL;
		if (!nl)
			break; /* torn last line */
		*nl = 0;
		if (memchr(text + good, 0, (size_t)(nl - text - good))) {
			rc = -EBADMSG;
			why = "NUL byte";
		} else {
			rc = replay_line(st, text + good, &why);
		}
		if (rc) {
			snprintf(err, cap, "%s:%u: %s", path, lineno, why);
			goto out;
		}
		good = (size_t)(nl - text) + 1;
		lineno++;
	}
	if (writable && good < len && (ftruncate(fd, (off_t)good) || fdatasync(fd))) {
		rc = -errno;
		snprintf(err, cap, "%s: cannot truncate a torn record: %s", path, strerror(-rc));
		goto out;
	}
out:
	if (text)
		OPENSSL_cleanse(text, len);
	free(text);
	if (rc) {
		close(fd);
		lwbs_store_state_destroy(st);
		return rc;
	}
	if (writable)
		st->fd = fd;
	else
		close(fd);
	*out = st;
	return 0;
}

int lwbs_store_state_open(const char *path, struct lwbs_store_state **out, char *err, size_t err_cap)
{
	return load(path, true, out, err, err_cap);
}

int lwbs_store_state_read(const char *path, struct lwbs_store_state **out, char *err, size_t err_cap)
{
	return load(path, false, out, err, err_cap);
}

void lwbs_store_state_destroy(struct lwbs_store_state *st)
{
	if (!st)
		return;
	if (st->fd >= 0)
		close(st->fd);
	for (size_t i = 0; i < st->n_dev; i++) {
		for (int k = 0; k < LWBS_IDENT_COUNT; k++)
			free(st->dev[i].ident[k]);
		free(st->dev[i].profile);
	}
	for (size_t i = 0; i < st->n_cred; i++)
		cred_free(&st->cred[i]);
	for (int k = 0; k < LWBS_IDENT_COUNT; k++)
		free(st->dix[k].slot);
	free(st->cix.slot);
	free(st->dev);
	free(st->cred);
	free(st);
}
