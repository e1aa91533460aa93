/* lwbsd — the radius: configuration section (conf_radius.h). */
#include "conf_radius.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rctx {
	yaml_document_t *doc;
	const char *file, *dir;
	struct lwbs_radius_conf *c;
	char *err;
	size_t cap;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct rctx *x, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(x->err, x->cap, "%s:%zu:%zu: %s", x->file, n->start_mark.line + 1, n->start_mark.column + 1,
		 msg);
	return -EINVAL;
}

static yaml_node_t *node(struct rctx *x, int id)
{
	return yaml_document_get_node(x->doc, id);
}

static int str(struct rctx *x, const yaml_node_t *n, const char **out)
{
	*out = "";
	if (n->type != YAML_SCALAR_NODE)
		return fail(x, n, "a string expected");
	*out = (const char *)n->data.scalar.value;
	return 0;
}

static int uint_in(struct rctx *x, const yaml_node_t *n, unsigned long long min, unsigned long long max,
		   unsigned long long *out)
{
	const char *s;
	char *end;
	int r = str(x, n, &s);

	if (r)
		return r;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || v < min || v > max)
		return fail(x, n, "an integer in %llu..%llu expected, got \"%s\"", min, max, s);
	*out = v;
	return 0;
}

#define FOR_PAIRS(map, p) \
	for (yaml_node_pair_t *p = (map)->data.mapping.pairs.start; p < (map)->data.mapping.pairs.top; p++)
#define FOR_ITEMS(seq, it) \
	for (yaml_node_item_t *it = (seq)->data.sequence.items.start; it < (seq)->data.sequence.items.top; it++)

static int key(struct rctx *x, yaml_node_pair_t *p, const char **k, yaml_node_t **kn, yaml_node_t **vn)
{
	*kn = node(x, p->key);
	*vn = node(x, p->value);
	return str(x, *kn, k);
}

static char *path_of(struct rctx *x, const char *s)
{
	char *p;

	if (s[0] == '/' || !strcmp(x->dir, "."))
		return strdup(s);
	return asprintf(&p, "%s/%s", x->dir, s) < 0 ? NULL : p;
}

/* A non-empty path (relative ones against the file's directory) into *dst,
 * replacing what was there. */
static int path_in(struct rctx *x, const yaml_node_t *vn, char **dst)
{
	const char *s;
	int r;

	if ((r = str(x, vn, &s)))
		return r;
	if (!*s)
		return fail(x, vn, "empty path");
	free(*dst);
	if (!(*dst = path_of(x, s)))
		return -ENOMEM;
	return 0;
}

static int parse_listen(struct rctx *x, yaml_node_t *map, struct lwbs_radius_listen *l)
{
	const char *k, *addr = NULL;
	yaml_node_t *kn, *vn, *an = map;
	unsigned long long v;
	int r;

	if (map->type != YAML_MAPPING_NODE)
		return fail(x, map, "a mapping {address, port} expected");
	l->port = LWBS_RADIUS_ACCT_PORT;
	FOR_PAIRS(map, p) {
		if ((r = key(x, p, &k, &kn, &vn)))
			return r;
		if (!strcmp(k, "address")) {
			if ((r = str(x, vn, &addr)))
				return r;
			an = vn;
		} else if (!strcmp(k, "port")) {
			if ((r = uint_in(x, vn, 1, 65535, &v)))
				return r;
			l->port = (uint16_t)v;
		} else {
			return fail(x, kn, "unknown key \"%s\" in radius listen", k);
		}
	}
	if (!addr)
		return fail(x, map, "radius listen without address");
	struct sockaddr_in *v4 = (struct sockaddr_in *)&l->addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&l->addr;
	if (strlen(addr) >= sizeof(l->address))
		return fail(x, an, "\"%s\" is not an IPv4 or IPv6 address", addr);
	if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(l->port);
		l->addr_len = sizeof(*v4);
	} else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(l->port);
		l->addr_len = sizeof(*v6);
	} else {
		return fail(x, an, "\"%s\" is not an IPv4 or IPv6 address", addr);
	}
	strcpy(l->address, addr);
	return 0;
}

/* The first line of path, without its line end. */
static int read_secret(struct rctx *x, yaml_node_t *vn, const char *name, struct lwbs_radius_nas *n)
{
	char *path = path_of(x, name), line[512];
	FILE *f;
	int r = 0;

	if (!path)
		return -ENOMEM;
	f = fopen(path, "re");
	if (!f) {
		r = fail(x, vn, "secret_file %s: %s", path, strerror(errno));
		free(path);
		return r;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	line[strcspn(line, "\r\n")] = 0;
	if (!line[0])
		r = fail(x, vn, "secret_file %s: empty first line", path);
	else if (!(n->secret = strdup(line)))
		r = -ENOMEM;
	else
		n->secret_len = strlen(line);
	OPENSSL_cleanse(line, sizeof(line));
	free(path);
	return r;
}

static int parse_nas(struct rctx *x, yaml_node_t *map, struct lwbs_radius_nas *n)
{
	const char *k, *s, *addr = NULL;
	yaml_node_t *kn, *vn, *an = map, *sn = NULL;
	int r;

	if (map->type != YAML_MAPPING_NODE)
		return fail(x, map, "a mapping {address, secret | secret_file} expected");
	FOR_PAIRS(map, p) {
		if ((r = key(x, p, &k, &kn, &vn)))
			return r;
		if (!strcmp(k, "address")) {
			if ((r = str(x, vn, &addr)))
				return r;
			an = vn;
		} else if (!strcmp(k, "secret") || !strcmp(k, "secret_file")) {
			if (sn)
				return fail(x, kn, "a NAS has one secret or secret_file");
			sn = vn;
			if ((r = str(x, vn, &s)))
				return r;
			if (!strcmp(k, "secret_file")) {
				if ((r = read_secret(x, vn, s, n)))
					return r;
			} else if (!*s) {
				return fail(x, vn, "empty secret");
			} else if (!(n->secret = strdup(s))) {
				return -ENOMEM;
			} else {
				n->secret_len = strlen(s);
			}
		} else {
			return fail(x, kn, "unknown key \"%s\" in radius nas", k);
		}
	}
	if (!addr)
		return fail(x, map, "radius nas without address");
	if (!sn)
		return fail(x, map, "radius nas %s without secret or secret_file", addr);
	if (strlen(addr) >= sizeof(n->name) || lwbs_radius_parse_prefix(addr, n->addr, &n->plen))
		return fail(x, an, "\"%s\" is not an IP address or prefix", addr);
	strcpy(n->name, addr);
	return 0;
}

static size_t seq_len(const yaml_node_t *seq)
{
	return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

static int default_listen(struct lwbs_radius_conf *c)
{
	static const char *const addrs[] = {"0.0.0.0", "::"};

	c->listen = calloc(2, sizeof(*c->listen));
	if (!c->listen)
		return -ENOMEM;
	for (int i = 0; i < 2; i++) {
		struct lwbs_radius_listen *l = &c->listen[i];

		strcpy(l->address, addrs[i]);
		l->port = LWBS_RADIUS_ACCT_PORT;
		if (i == 0) {
			struct sockaddr_in *v4 = (struct sockaddr_in *)&l->addr;
			v4->sin_family = AF_INET;
			v4->sin_port = htons(l->port);
			l->addr_len = sizeof(*v4);
		} else {
			struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&l->addr;
			v6->sin6_family = AF_INET6;
			v6->sin6_port = htons(l->port);
			l->addr_len = sizeof(*v6);
		}
	}
	c->n_listen = 2;
	return 0;
}

int lwbs_conf_radius_parse(yaml_document_t *doc, yaml_node_t *map, const char *file, const char *dir,
			   struct lwbs_radius_conf *out, char *err, size_t err_cap)
{
	struct rctx x = {.doc = doc, .file = file, .dir = dir, .c = out, .err = err, .cap = err_cap};
	yaml_node_t *kn, *vn, *nas = NULL, *dsn = NULL;
	unsigned long long v;
	const char *k;
	int r;

	lwbs_radius_conf_clear(out);
	out->enabled = true;
	out->log_interval_s = 60;
	if (map->type != YAML_MAPPING_NODE)
		return fail(&x, map, "a mapping expected");
	FOR_PAIRS(map, p) {
		if ((r = key(&x, p, &k, &kn, &vn)))
			return r;
		if (!strcmp(k, "listen")) {
			if (vn->type != YAML_SEQUENCE_NODE || seq_len(vn) == 0)
				return fail(&x, vn, "a non-empty list of {address, port} expected");
			free(out->listen);
			out->listen = calloc(seq_len(vn), sizeof(*out->listen));
			if (!out->listen)
				return -ENOMEM;
			out->n_listen = 0;
			FOR_ITEMS(vn, it) {
				if ((r = parse_listen(&x, node(&x, *it), &out->listen[out->n_listen])))
					return r;
				out->n_listen++;
			}
		} else if (!strcmp(k, "nas")) {
			if (vn->type != YAML_SEQUENCE_NODE || seq_len(vn) == 0)
				return fail(&x, vn, "a non-empty list of {address, secret} expected");
			nas = vn;
			out->nas = calloc(seq_len(vn), sizeof(*out->nas));
			if (!out->nas)
				return -ENOMEM;
			FOR_ITEMS(vn, it) {
				/* counted first: clear() wipes a half-read secret */
				out->n_nas++;
				if ((r = parse_nas(&x, node(&x, *it), &out->nas[out->n_nas - 1])))
					return r;
			}
		} else if (!strcmp(k, "journal")) {
			if ((r = path_in(&x, vn, &out->journal)))
				return r;
		} else if (!strcmp(k, "dsn_file")) {
			if ((r = path_in(&x, vn, &out->dsn_file)))
				return r;
			dsn = vn;
		} else if (!strcmp(k, "log_interval")) {
			if ((r = uint_in(&x, vn, 1, 86400, &v)))
				return r;
			out->log_interval_s = (unsigned)v;
		} else if (!strcmp(k, "max_batch")) {
			if ((r = uint_in(&x, vn, 1, 65536, &v)))
				return r;
			out->max_batch = (unsigned)v;
		} else if (!strcmp(k, "max_age")) {
			if ((r = uint_in(&x, vn, 0, 365 * 86400ull, &v)))
				return r;
			out->max_age_s = (unsigned)v;
		} else if (!strcmp(k, "journal_compact")) {
			if ((r = uint_in(&x, vn, 4096, 1ull << 40, &v)))
				return r;
			out->journal_compact = (size_t)v;
		} else {
			return fail(&x, kn, "unknown key \"%s\" in radius", k);
		}
	}
	if (!nas)
		return fail(&x, map, "radius needs a nas list (address and shared secret of each gateway)");
	if (dsn && out->journal)
		return fail(&x, dsn, "radius: journal or dsn_file, not both");
	if (!out->listen && (r = default_listen(out)))
		return r;
	return 0;
}
