/* lwbs-dhcpd — YAML configuration (libyaml document API). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "lwbs/hex.h"
#include "dhcpd.h"

/* RFC 5612: the private enterprise number reserved for documentation. */
#define DEFAULT_ENTERPRISE 32473

void dhcpd_conf_defaults(struct dhcpd_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->n_v4 = 1;
	c->v4[0].s_addr = htonl(INADDR_ANY);
	c->n_v6 = 1;
	c->v6[0] = in6addr_any;
	c->v4_port = LWBS_DHCP4_SERVER_PORT;
	c->v6_port = LWBS_DHCP6_SERVER_PORT;
	c->receive_buffer = 4 << 20;
	c->carrier.type = LWBS_DHCP_CARRIER_VIVSO;
	c->carrier.enterprise = DEFAULT_ENTERPRISE;
	c->carrier.suboption = 1;
	c->rate = 20;
	c->burst = 40;
	c->subs.refresh = 5;
}

struct ld {
	const char *path;
	yaml_document_t *doc;
	char *err;
	size_t errlen;
};

static int fail(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(l->err, l->errlen, "%s:%zu:%zu: %s", l->path, n->start_mark.line + 1,
		 n->start_mark.column + 1, msg);
	return -EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int get_str(struct ld *l, const yaml_node_t *n, const char **out)
{
	const char *s = scalar(n);
	if (!s)
		return fail(l, n, "expected a scalar");
	*out = s;
	return 0;
}

static int get_uint(struct ld *l, const yaml_node_t *n, unsigned long min, unsigned long max,
		    unsigned long *out)
{
	const char *s = scalar(n);
	char *end;
	if (!s || !*s || *s == '-')
		return fail(l, n, "expected an unsigned integer");
	errno = 0;
	unsigned long v = strtoul(s, &end, 0);
	if (errno || *end)
		return fail(l, n, "expected an unsigned integer, got \"%s\"", s);
	if (v < min || v > max)
		return fail(l, n, "%lu is outside %lu..%lu", v, min, max);
	*out = v;
	return 0;
}

static int get_u32(struct ld *l, const yaml_node_t *n, unsigned long min, unsigned long max,
		   uint32_t *out)
{
	unsigned long u;
	int rc = get_uint(l, n, min, max, &u);
	if (!rc)
		*out = (uint32_t)u;
	return rc;
}

static int get_u16(struct ld *l, const yaml_node_t *n, uint16_t *out)
{
	uint32_t u;
	int rc = get_u32(l, n, 1, 65535, &u);
	if (!rc)
		*out = (uint16_t)u;
	return rc;
}

/* A URI of 1..LWBS_DHCP_URI_MAX_OPTION bytes, copied with its NUL into dst. */
static int get_uri(struct ld *l, const yaml_node_t *n, char *dst, size_t *len)
{
	const char *s = NULL;
	int rc = get_str(l, n, &s);
	if (rc)
		return rc;
	size_t slen = strlen(s);
	if (slen == 0 || slen > LWBS_DHCP_URI_MAX_OPTION)
		return fail(l, n, "uri must be 1..%d bytes", LWBS_DHCP_URI_MAX_OPTION);
	memcpy(dst, s, slen + 1);
	*len = slen;
	return 0;
}

static int get_bool(struct ld *l, const yaml_node_t *n, bool *out)
{
	const char *s = scalar(n);
	if (s && (!strcmp(s, "true") || !strcmp(s, "yes"))) {
		*out = true;
		return 0;
	}
	if (s && (!strcmp(s, "false") || !strcmp(s, "no"))) {
		*out = false;
		return 0;
	}
	return fail(l, n, "expected true or false");
}

/* Calls fn for each item of a sequence. */
typedef int (*item_fn)(struct ld *l, const yaml_node_t *n, struct dhcpd_conf *c, unsigned i);

static int each(struct ld *l, const yaml_node_t *n, struct dhcpd_conf *c, unsigned max,
		unsigned *count, item_fn fn)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(l, n, "expected a list");
	unsigned i = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++, i++) {
		const yaml_node_t *v = yaml_document_get_node(l->doc, *it);
		if (i == max)
			return fail(l, v, "at most %u entries", max);
		int rc = fn(l, v, c, i);
		if (rc)
			return rc;
	}
	*count = i;
	return 0;
}

static int v4_item(struct ld *l, const yaml_node_t *n, struct dhcpd_conf *c, unsigned i)
{
	const char *s = scalar(n);
	if (!s || inet_pton(AF_INET, s, &c->v4[i]) != 1)
		return fail(l, n, "expected an IPv4 address");
	return 0;
}

static int v6_item(struct ld *l, const yaml_node_t *n, struct dhcpd_conf *c, unsigned i)
{
	const char *s = scalar(n);
	if (!s || inet_pton(AF_INET6, s, &c->v6[i]) != 1)
		return fail(l, n, "expected an IPv6 address");
	return 0;
}

static int if_item(struct ld *l, const yaml_node_t *n, struct dhcpd_conf *c, unsigned i)
{
	const char *s = scalar(n);
	if (!s || !*s || strlen(s) >= IF_NAMESIZE)
		return fail(l, n, "expected an interface name");
	strcpy(c->ifs[i], s);
	return 0;
}

#define FOR_PAIRS(l, n, k, v)                                                              \
	for (yaml_node_pair_t *_p = (n)->data.mapping.pairs.start;                         \
	     _p < (n)->data.mapping.pairs.top &&                                          \
	     ((k) = yaml_document_get_node((l)->doc, _p->key),                            \
	     (v) = yaml_document_get_node((l)->doc, _p->value), 1);                       \
	     _p++)

static int want_map(struct ld *l, const yaml_node_t *n)
{
	return n->type == YAML_MAPPING_NODE ? 0 : fail(l, n, "expected a mapping");
}

static int load_listen(struct ld *l, const yaml_node_t *n, struct dhcpd_conf *c)
{
	const yaml_node_t *k, *v;
	unsigned long u;
	int rc = want_map(l, n);
	if (rc)
		return rc;
	FOR_PAIRS(l, n, k, v) {
		const char *key = scalar(k);
		if (!key)
			return fail(l, k, "expected a key");
		if (!strcmp(key, "v4"))
			rc = each(l, v, c, DHCPD_MAX_ADDRS, &c->n_v4, v4_item);
		else if (!strcmp(key, "v6"))
			rc = each(l, v, c, DHCPD_MAX_ADDRS, &c->n_v6, v6_item);
		else if (!strcmp(key, "interfaces"))
			rc = each(l, v, c, DHCPD_MAX_IFS, &c->n_ifs, if_item);
		else if (!strcmp(key, "v4_port"))
			rc = get_u16(l, v, &c->v4_port);
		else if (!strcmp(key, "v6_port"))
			rc = get_u16(l, v, &c->v6_port);
		else if (!strcmp(key, "v6_accept_unicast")) {
			rc = get_bool(l, v, &c->v6_accept_unicast);
		} else if (!strcmp(key, "receive_buffer")) {
			if (!(rc = get_uint(l, v, 0, 1 << 30, &u)))
				c->receive_buffer = (int)u;
		} else {
			return fail(l, k, "unknown key \"%s\" in listen", key);
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int load_carrier(struct ld *l, const yaml_node_t *n, struct dhcpd_conf *c)
{
	const yaml_node_t *k, *v, *type_node = n;
	const char *type = NULL;
	bool has_v4 = false, has_v6 = false;
	unsigned long u;
	int rc = want_map(l, n);
	if (rc)
		return rc;
	FOR_PAIRS(l, n, k, v) {
		const char *key = scalar(k);
		if (!key)
			return fail(l, k, "expected a key");
		if (!strcmp(key, "type")) {
			rc = get_str(l, v, &type);
			type_node = v;
		} else if (!strcmp(key, "enterprise")) {
			rc = get_u32(l, v, 1, UINT32_MAX, &c->carrier.enterprise);
		} else if (!strcmp(key, "suboption")) {
			if (!(rc = get_uint(l, v, 1, 254, &u)))
				c->carrier.suboption = (uint8_t)u;
		} else if (!strcmp(key, "v4_code")) {
			/* Codes the responder itself uses or that frame options. */
			if (!(rc = get_uint(l, v, 1, 254, &u)) &&
			    (u == 52 || u == 53 || u == 54 || u == 55 || u == 61))
				rc = fail(l, v, "option %lu is used by DHCP itself", u);
			if (!rc)
				c->carrier.v4_code = (uint8_t)u;
			has_v4 = true;
		} else if (!strcmp(key, "v6_code")) {
			if (!(rc = get_uint(l, v, 1, 65535, &u)) && (u == 1 || u == 2 || u == 9))
				rc = fail(l, v, "option %lu is used by DHCPv6 itself", u);
			if (!rc)
				c->carrier.v6_code = (uint16_t)u;
			has_v6 = true;
		} else {
			return fail(l, k, "unknown key \"%s\" in carrier", key);
		}
		if (rc)
			return rc;
	}
	if (!type || !strcmp(type, "vivso")) {
		c->carrier.type = LWBS_DHCP_CARRIER_VIVSO;
	} else if (!strcmp(type, "option")) {
		if (!has_v4 || !has_v6)
			return fail(l, n, "carrier type option needs v4_code and v6_code");
		c->carrier.type = LWBS_DHCP_CARRIER_OPTION;
	} else {
		return fail(l, type_node, "carrier type must be vivso or option");
	}
	return 0;
}

static int load_duid(struct ld *l, const yaml_node_t *n, struct dhcpd_conf *c)
{
	const char *s = scalar(n);
	size_t len = 0;
	if (!s)
		return fail(l, n, "expected a hex string");
	while (*s) {
		if (*s == ':') {
			s++;
			continue;
		}
		int hi = lwbs_hex_digit(s[0]), lo = hi < 0 ? -1 : lwbs_hex_digit(s[1]);
		if (lo < 0)
			return fail(l, n, "duid must be hex digits (optionally colon-separated)");
		if (len == sizeof(c->duid))
			return fail(l, n, "duid is longer than %zu bytes", sizeof(c->duid));
		c->duid[len++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	if (len < 2)
		return fail(l, n, "duid needs at least 2 bytes");
	c->duid_len = len;
	return 0;
}

static int load_rate(struct ld *l, const yaml_node_t *n, struct dhcpd_conf *c)
{
	const yaml_node_t *k, *v;
	int rc = want_map(l, n);
	if (rc)
		return rc;
	FOR_PAIRS(l, n, k, v) {
		const char *key = scalar(k);
		if (key && !strcmp(key, "per_second"))
			rc = get_u32(l, v, 0, 1000000, &c->rate);
		else if (key && !strcmp(key, "burst"))
			rc = get_u32(l, v, 1, 1000000, &c->burst);
		else
			return fail(l, k, "unknown key in rate_limit");
		if (rc)
			return rc;
	}
	return 0;
}

static int load_by_plmn(struct ld *l, const yaml_node_t *n, struct dhcpd_conf *c)
{
	const yaml_node_t *k, *v;
	int rc = want_map(l, n);
	if (rc)
		return rc;
	c->subs.n_plmn = 0;
	FOR_PAIRS(l, n, k, v) {
		const char *key = scalar(k);
		size_t klen = key ? strlen(key) : 0;
		if (klen < 5 || klen > 6 || strspn(key, "0123456789") != klen)
			return fail(l, k, "by_plmn keys are MCC-MNC, 5 or 6 digits");
		for (unsigned i = 0; i < c->subs.n_plmn; i++)
			if (!strcmp(c->subs.by_plmn[i].plmn, key))
				return fail(l, k, "PLMN %s listed twice", key);
		if (c->subs.n_plmn == DHCPD_MAX_PLMNS)
			return fail(l, k, "at most %d PLMNs", DHCPD_MAX_PLMNS);
		struct dhcpd_plmn_uri *e = &c->subs.by_plmn[c->subs.n_plmn];
		if ((rc = get_uri(l, v, e->uri, &e->uri_len)))
			return rc;
		memcpy(e->plmn, key, klen + 1);
		c->subs.n_plmn++;
	}
	return 0;
}

static int load_subs(struct ld *l, const yaml_node_t *n, struct dhcpd_conf *c)
{
	const yaml_node_t *k, *v;
	int rc = want_map(l, n);
	if (rc)
		return rc;
	FOR_PAIRS(l, n, k, v) {
		const char *key = scalar(k), *s = NULL;
		if (key && !strcmp(key, "journal")) {
			if ((rc = get_str(l, v, &s)))
				return rc;
			if (strlen(s) >= sizeof(c->subs.journal))
				return fail(l, v, "journal path longer than %zu bytes",
					    sizeof(c->subs.journal) - 1);
			strcpy(c->subs.journal, s);
		} else if (key && !strcmp(key, "refresh")) {
			rc = get_u32(l, v, 1, 3600, &c->subs.refresh);
		} else if (key && !strcmp(key, "by_plmn")) {
			rc = load_by_plmn(l, v, c);
		} else {
			return fail(l, k, "unknown key in subscribers");
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int load_root(struct ld *l, const yaml_node_t *n, struct dhcpd_conf *c)
{
	const yaml_node_t *k, *v, *uri_node = NULL, *subs_node = NULL;
	int rc = want_map(l, n);
	if (rc)
		return rc;
	FOR_PAIRS(l, n, k, v) {
		const char *key = scalar(k);
		if (!key)
			return fail(l, k, "expected a key");
		if (!strcmp(key, "listen")) {
			rc = load_listen(l, v, c);
		} else if (!strcmp(key, "uri")) {
			if (!(rc = get_uri(l, v, c->uri, &c->uri_len)))
				uri_node = v;
		} else if (!strcmp(key, "carrier")) {
			rc = load_carrier(l, v, c);
		} else if (!strcmp(key, "always_send")) {
			rc = get_bool(l, v, &c->always_send);
		} else if (!strcmp(key, "server_id")) {
			const char *s = scalar(v);
			if (s && !*s) {
				c->has_server_id = false;
			} else if (!s || inet_pton(AF_INET, s, c->server_id) != 1) {
				return fail(l, v, "server_id must be an IPv4 address");
			} else {
				c->has_server_id = true;
			}
		} else if (!strcmp(key, "duid")) {
			const char *s = scalar(v);
			if (s && !*s)
				c->duid_len = 0;
			else
				rc = load_duid(l, v, c);
		} else if (!strcmp(key, "rate_limit")) {
			rc = load_rate(l, v, c);
		} else if (!strcmp(key, "subscribers")) {
			rc = load_subs(l, v, c);
			subs_node = v;
		} else {
			return fail(l, k, "unknown key \"%s\"", key);
		}
		if (rc)
			return rc;
	}
	if (!c->uri_len)
		return fail(l, n, "uri is required");
	if (c->carrier.type == LWBS_DHCP_CARRIER_VIVSO && c->uri_len > LWBS_DHCP_URI_MAX_VIVSO)
		return fail(l, uri_node, "uri longer than %d bytes does not fit option 125",
			    LWBS_DHCP_URI_MAX_VIVSO);
	if (!c->n_v4 && !c->n_v6)
		return fail(l, n, "listen: neither v4 nor v6 addresses");
	if (subs_node && !c->subs.journal[0])
		return fail(l, subs_node, "subscribers needs a journal");
	for (unsigned i = 0; i < c->subs.n_plmn; i++)
		if (c->carrier.type == LWBS_DHCP_CARRIER_VIVSO &&
		    c->subs.by_plmn[i].uri_len > LWBS_DHCP_URI_MAX_VIVSO)
			return fail(l, subs_node, "the uri of PLMN %s does not fit option 125 (%d bytes)",
				    c->subs.by_plmn[i].plmn, LWBS_DHCP_URI_MAX_VIVSO);
	return 0;
}

int dhcpd_conf_load(const char *path, struct dhcpd_conf *c, char *err, size_t errlen)
{
	yaml_parser_t p;
	yaml_document_t doc;
	struct dhcpd_conf tmp = *c;
	struct ld l = {path, &doc, err, errlen};
	FILE *f = fopen(path, "rb");
	int rc;

	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s:0:0: %s", path, strerror(errno));
		return rc;
	}
	if (!yaml_parser_initialize(&p)) {
		fclose(f);
		snprintf(err, errlen, "%s:0:0: out of memory", path);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&p, f);
	if (!yaml_parser_load(&p, &doc)) {
		snprintf(err, errlen, "%s:%zu:%zu: %s", path, p.problem_mark.line + 1,
			 p.problem_mark.column + 1, p.problem ? p.problem : "YAML error");
		yaml_parser_delete(&p);
		fclose(f);
		return -EINVAL;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		snprintf(err, errlen, "%s:1:1: empty configuration", path);
		rc = -EINVAL;
	} else {
		rc = load_root(&l, root, &tmp);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	fclose(f);
	if (rc == 0)
		*c = tmp;
	return rc;
}
