/* lwbsd — configuration loader (libyaml document API). */
#include "conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "conf_radius.h"
#include "log.h"

struct ctx {
	const char *file;
	yaml_document_t *doc;
	struct lwbs_conf *c;
	char *err;
	size_t err_cap;
	yaml_node_t *audit_to_node, *store_node; /* for checks across sections */
};

__attribute__((format(printf, 3, 4)))
static int fail(struct ctx *x, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(x->err, x->err_cap, "%s:%zu:%zu: %s", x->file, n ? n->start_mark.line + 1 : 1,
		 n ? n->start_mark.column + 1 : 1, msg);
	return -EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static int want(struct ctx *x, const yaml_node_t *n, yaml_node_type_t t, const char *what)
{
	if (n->type != t)
		return fail(x, n, "%s expected", what);
	return 0;
}

static int get_str(struct ctx *x, const yaml_node_t *n, const char **out)
{
	int r = want(x, n, YAML_SCALAR_NODE, "a string");

	if (r)
		return r;
	*out = scalar(n);
	return 0;
}

static int get_uint(struct ctx *x, const yaml_node_t *n, unsigned long long min, unsigned long long max,
		    unsigned long long *out)
{
	const char *s;
	char *end;
	unsigned long long v;
	int r = get_str(x, n, &s);

	if (r)
		return r;
	if (*s < '0' || *s > '9')
		return fail(x, n, "a non-negative integer expected, got \"%s\"", s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end) {
		/* size suffixes for byte counts */
		unsigned long long mul = 1;

		if (!strcmp(end, "K") || !strcmp(end, "KiB"))
			mul = 1024;
		else if (!strcmp(end, "M") || !strcmp(end, "MiB"))
			mul = 1024 * 1024;
		else
			return fail(x, n, "a non-negative integer expected, got \"%s\"", s);
		if (v > ULLONG_MAX / mul)
			errno = ERANGE;
		v *= mul;
	}
	if (errno || v < min || v > max)
		return fail(x, n, "value %s out of range %llu..%llu", s, min, max);
	*out = v;
	return 0;
}

static int get_bool(struct ctx *x, const yaml_node_t *n, bool *out)
{
	const char *s;
	int r = get_str(x, n, &s);

	if (r)
		return r;
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off")) {
		*out = false;
		return 0;
	}
	return fail(x, n, "true or false expected, got \"%s\"", s);
}

/* A number in min..max that fits an unsigned (a count, seconds or ms). */
static int get_unsigned(struct ctx *x, const yaml_node_t *n, unsigned long long min, unsigned long long max,
			unsigned *out)
{
	unsigned long long v;
	int r = get_uint(x, n, min, max, &v);

	if (!r)
		*out = (unsigned)v;
	return r;
}

struct choice {
	const char *name;
	int value;
};

/* A scalar naming one of the choices (the list ends with a NULL name); an
 * unknown name fails with "<what>, not \"<name>\"". */
static int get_choice(struct ctx *x, const yaml_node_t *n, const struct choice *ch, const char *what, int *out)
{
	const char *s;
	int r = get_str(x, n, &s);

	if (r)
		return r;
	for (; ch->name; ch++) {
		if (!strcmp(s, ch->name)) {
			*out = ch->value;
			return 0;
		}
	}
	return fail(x, n, "%s, not \"%s\"", what, s);
}

/* Path relative to the config file's directory unless absolute. */
static int resolve(struct ctx *x, const yaml_node_t *n, char **out)
{
	const char *s;
	int r = get_str(x, n, &s);
	char *p;

	if (r)
		return r;
	if (!*s)
		return fail(x, n, "empty path");
	if (s[0] == '/' || !strcmp(x->c->dir, "."))
		p = strdup(s);
	else if (asprintf(&p, "%s/%s", x->c->dir, s) < 0)
		p = NULL;
	if (!p)
		return -ENOMEM;
	free(*out);
	*out = p;
	return 0;
}

static int parse_addr(const char *s, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		*len = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		*len = sizeof(*v6);
		return 0;
	}
	return -EINVAL;
}

#define FOR_PAIRS(x, map, p) \
	for (yaml_node_pair_t *p = (map)->data.mapping.pairs.start; p < (map)->data.mapping.pairs.top; p++)

static yaml_node_t *node(struct ctx *x, int id)
{
	return yaml_document_get_node(x->doc, id);
}

/* Key node of a pair, checked to be a scalar. */
static int key_of(struct ctx *x, yaml_node_pair_t *p, const char **k, yaml_node_t **kn, yaml_node_t **vn)
{
	*kn = node(x, p->key);
	*vn = node(x, p->value);
	*k = "";
	if ((*kn)->type != YAML_SCALAR_NODE)
		return fail(x, *kn, "a key must be a string");
	*k = scalar(*kn);
	return 0;
}

/* One key of a section: 0, a negative code, or 1 for a key it does not
 * know. */
typedef int key_fn(struct ctx *x, const char *k, yaml_node_t *kn, yaml_node_t *vn, void *arg);

/* Each key of the mapping through fn; section names it in the error for an
 * unknown key. */
static int each_key(struct ctx *x, yaml_node_t *map, const char *section, key_fn *fn, void *arg)
{
	const char *k;
	yaml_node_t *kn, *vn;
	int r;

	if ((r = want(x, map, YAML_MAPPING_NODE, "a mapping")))
		return r;
	FOR_PAIRS(x, map, p) {
		if ((r = key_of(x, p, &k, &kn, &vn)))
			return r;
		r = fn(x, k, kn, vn, arg);
		if (r > 0)
			return fail(x, kn, "unknown key \"%s\" in %s", k, section);
		if (r)
			return r;
	}
	return 0;
}

/* accept: [nosec, psk, x509] */
static int parse_accept(struct ctx *x, yaml_node_t *seq, unsigned *out)
{
	unsigned acc = 0;
	const char *s;
	int r;

	if ((r = want(x, seq, YAML_SEQUENCE_NODE, "a list of security modes")))
		return r;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *n = node(x, *it);

		if ((r = get_str(x, n, &s)))
			return r;
		if (!strcmp(s, "nosec"))
			acc |= LWBS_CONF_ACCEPT_NOSEC;
		else if (!strcmp(s, "psk"))
			acc |= LWBS_CONF_ACCEPT_PSK;
		else if (!strcmp(s, "x509"))
			acc |= LWBS_CONF_ACCEPT_X509;
		else if (!strcmp(s, "rpk"))
			return fail(x, n, "rpk is not supported by libcoap 4.3.1 with OpenSSL (see docs/lwbsd.md, DTLS)");
		else
			return fail(x, n, "security mode must be nosec, psk or x509, not \"%s\"", s);
	}
	if (!acc)
		return fail(x, seq, "accept needs at least one security mode");
	*out = acc;
	return 0;
}

/* x509: {cert, key, ca, identity} */
static int x509_key(struct ctx *x, const char *k, yaml_node_t *kn, yaml_node_t *vn, void *arg)
{
	static const struct choice subjects[] = {
		{"cn", 0}, {"san", 1}, {"serial", 2}, {"dn", 3}, {NULL, 0},
	};
	struct lwbs_conf_x509 *o = arg;

	(void)kn;
	if (!strcmp(k, "cert"))
		return resolve(x, vn, &o->cert);
	if (!strcmp(k, "key"))
		return resolve(x, vn, &o->key);
	if (!strcmp(k, "ca"))
		return resolve(x, vn, &o->ca);
	if (!strcmp(k, "identity"))
		return get_choice(x, vn, subjects, "identity must be cn, san, serial or dn", &o->identity);
	return 1;
}

static int parse_x509(struct ctx *x, yaml_node_t *map, struct lwbs_conf_x509 *o)
{
	int r = each_key(x, map, "x509", x509_key, o);

	if (r)
		return r;
	if (!o->cert || !o->key || !o->ca)
		return fail(x, map, "x509 needs cert, key and ca");
	return 0;
}

/* handshake_limit: {max_incomplete, window, block} */
static int hs_limit_key(struct ctx *x, const char *k, yaml_node_t *kn, yaml_node_t *vn, void *arg)
{
	struct lwbs_conf_listener *l = arg;

	(void)kn;
	if (!strcmp(k, "max_incomplete"))
		return get_unsigned(x, vn, 0, 1000000, &l->hs_max_incomplete);
	if (!strcmp(k, "window"))
		return get_unsigned(x, vn, 1, 86400, &l->hs_window_s);
	if (!strcmp(k, "block"))
		return get_unsigned(x, vn, 0, 86400, &l->hs_block_s);
	return 1;
}

static int parse_hs_limit(struct ctx *x, yaml_node_t *map, struct lwbs_conf_listener *l)
{
	return each_key(x, map, "handshake_limit", hs_limit_key, l);
}

/* unknown_limit: {max, window, block} */
static int unknown_limit_key(struct ctx *x, const char *k, yaml_node_t *kn, yaml_node_t *vn, void *arg)
{
	struct lwbs_conf_listener *l = arg;

	(void)kn;
	if (!strcmp(k, "max"))
		return get_unsigned(x, vn, 0, 1000000, &l->unknown_max);
	if (!strcmp(k, "window"))
		return get_unsigned(x, vn, 1, 86400, &l->unknown_window_s);
	if (!strcmp(k, "block"))
		return get_unsigned(x, vn, 1, 86400, &l->unknown_block_s);
	return 1;
}

/* A list of strings (or one string) into a new array. */
static int parse_str_list(struct ctx *x, yaml_node_t *vn, char ***out, size_t *n_out)
{
	size_t n = vn->type == YAML_SEQUENCE_NODE ? (size_t)(vn->data.sequence.items.top - vn->data.sequence.items.start) : 1;
	char **v;
	const char *s;
	int r;

	if (vn->type != YAML_SEQUENCE_NODE && vn->type != YAML_SCALAR_NODE)
		return fail(x, vn, "a list of strings expected");
	for (size_t i = 0; i < *n_out; i++)
		free((*out)[i]);
	free(*out);
	*out = NULL;
	*n_out = 0;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*out = v;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = vn->type == YAML_SEQUENCE_NODE ? node(x, vn->data.sequence.items.start[i]) : vn;

		if ((r = get_str(x, it, &s)))
			return r;
		if (!*s)
			return fail(x, it, "empty string");
		v[i] = strdup(s);
		if (!v[i])
			return -ENOMEM;
		*n_out = i + 1;
	}
	return 0;
}

static void identity_clear(struct lwbs_conf_identity *p)
{
	for (size_t i = 0; i < p->n_trusted_apns; i++)
		free(p->trusted_apns[i]);
	free(p->trusted_apns);
	for (size_t i = 0; i < p->n_allowed_plmns; i++)
		free(p->allowed_plmns[i]);
	free(p->allowed_plmns);
	memset(p, 0, sizeof(*p));
}

/* policy: {trusted_apns, allowed_plmns, allow_roaming, max_binding_age,
 * match_endpoint, auto_enrol} of a trusted listener (docs/identity.md) */
static int policy_key(struct ctx *x, const char *k, yaml_node_t *kn, yaml_node_t *vn, void *arg)
{
	struct lwbs_conf_identity *p = arg;
	int r;

	(void)kn;
	if (!strcmp(k, "trusted_apns"))
		return parse_str_list(x, vn, &p->trusted_apns, &p->n_trusted_apns);
	if (!strcmp(k, "allowed_plmns")) {
		r = parse_str_list(x, vn, &p->allowed_plmns, &p->n_allowed_plmns);
		for (size_t i = 0; !r && i < p->n_allowed_plmns; i++) {
			size_t len = strlen(p->allowed_plmns[i]);

			if ((len != 5 && len != 6) || strspn(p->allowed_plmns[i], "0123456789") != len)
				r = fail(x, vn, "a PLMN is MCC+MNC, 5 or 6 digits, not \"%s\"", p->allowed_plmns[i]);
		}
		return r;
	}
	if (!strcmp(k, "allow_roaming"))
		return get_bool(x, vn, &p->allow_roaming);
	if (!strcmp(k, "max_binding_age"))
		return get_unsigned(x, vn, 1, 100u * 86400, &p->max_binding_age_s);
	if (!strcmp(k, "match_endpoint"))
		return get_bool(x, vn, &p->match_endpoint);
	if (!strcmp(k, "auto_enrol"))
		return get_bool(x, vn, &p->auto_enrol);
	return 1;
}

static int parse_policy(struct ctx *x, yaml_node_t *map, struct lwbs_conf_identity *p)
{
	return each_key(x, map, "policy", policy_key, p);
}

/* NoSec (udp, tcp) only where the network stands for the devices
 * (docs/identity.md): trusted, and how devices are identified there. */
static int check_trust(struct ctx *x, yaml_node_t *map, const struct lwbs_conf_listener *l, const char *transport,
		       yaml_node_t *trusted_node, yaml_node_t *identify_node, yaml_node_t *policy_node,
		       yaml_node_t *unknown_node)
{
	if (l->accept != LWBS_CONF_ACCEPT_NOSEC) {
		if (trusted_node)
			return fail(x, trusted_node, "trusted applies to NoSec listeners (udp, tcp): a %s device "
				    "proves its identity in the handshake", transport);
		if (identify_node || policy_node)
			return fail(x, identify_node ? identify_node : policy_node,
				    "\"%s\" applies to trusted NoSec listeners (udp, tcp)",
				    scalar(identify_node ? identify_node : policy_node));
		if (unknown_node)
			return fail(x, unknown_node, "unknown_limit applies to NoSec listeners (udp, tcp): on %s an "
				    "unknown identity fails the handshake (handshake_limit)", transport);
		return 0;
	}
	if (!l->trusted)
		return fail(x, trusted_node ? trusted_node : map,
			    "a NoSec listener (transport %s) believes whoever reaches it: it needs trusted: true, "
			    "with identify: network on the private APN (docs/identity.md) or identify: endpoint "
			    "on a closed lab network; else use transport dtls", transport);
	if (l->identify == LWBS_CONF_IDENTIFY_NETWORK &&
	    (l->transport != LWBS_CONF_TRANSPORT_UDP || l->stack != LWBS_CONF_STACK_NATIVE))
		return fail(x, identify_node ? identify_node : map,
			    "identify: network (the default: RADIUS binding and policy) needs transport udp and "
			    "stack native; write identify: endpoint for a closed lab network");
	if (policy_node && l->identify != LWBS_CONF_IDENTIFY_NETWORK)
		return fail(x, policy_node, "policy applies to identify: network");
	return 0;
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int parse_listener(struct ctx *x, yaml_node_t *map, struct lwbs_conf_listener *l)
{
	const char *address = NULL, *k, *s;
	yaml_node_t *kn, *vn, *addr_node = map, *stack_node = NULL, *accept_node = NULL, *tls_node = NULL;
	yaml_node_t *policy_node = NULL, *rcvbuf_node = NULL, *trusted_node = NULL, *identify_node = NULL;
	yaml_node_t *unknown_node = NULL;
	static const struct choice stacks[] = {
		{"native", LWBS_CONF_STACK_NATIVE}, {"libcoap", LWBS_CONF_STACK_LIBCOAP}, {NULL, 0},
	};
	static const struct choice identifies[] = {
		{"network", LWBS_CONF_IDENTIFY_NETWORK}, {"endpoint", LWBS_CONF_IDENTIFY_ENDPOINT}, {NULL, 0},
	};
	const char *transport_name = "udp";
	unsigned long long v;
	bool port_set = false;
	int r, choice;

	if ((r = want(x, map, YAML_MAPPING_NODE, "a listener mapping")))
		return r;
	l->port = 5683;
	l->receive_buffer = 4u << 20;
	l->trusted = false;
	l->identify = LWBS_CONF_IDENTIFY_NETWORK;
	l->stack = LWBS_CONF_STACK_NATIVE;
	l->transport = LWBS_CONF_TRANSPORT_UDP;
	l->hs_max_incomplete = 20;
	l->hs_window_s = 60;
	l->hs_block_s = 60;
	l->unknown_max = 20;
	l->unknown_window_s = 60;
	l->unknown_block_s = 60;
	l->identity.max_binding_age_s = LWBS_CONF_DEFAULT_BINDING_AGE;
	l->identity.match_endpoint = true;
	FOR_PAIRS(x, map, p) {
		if ((r = key_of(x, p, &k, &kn, &vn)))
			return r;
		if (!strcmp(k, "address")) {
			if ((r = get_str(x, vn, &address)))
				return r;
			addr_node = vn;
		} else if (!strcmp(k, "port")) {
			if ((r = get_uint(x, vn, 0, 65535, &v)))
				return r;
			l->port = (uint16_t)v;
			port_set = true;
		} else if (!strcmp(k, "transport")) {
			if ((r = get_str(x, vn, &s)))
				return r;
			if (!strcmp(s, "udp"))
				l->transport = LWBS_CONF_TRANSPORT_UDP;
			else if (!strcmp(s, "dtls"))
				l->transport = LWBS_CONF_TRANSPORT_DTLS;
			else if (!strcmp(s, "tcp"))
				l->transport = LWBS_CONF_TRANSPORT_TCP;
			else if (!strcmp(s, "tls"))
				l->transport = LWBS_CONF_TRANSPORT_TLS;
			else
				return fail(x, vn, "transport \"%s\" is not supported (udp, dtls, tcp or tls)", s);
			transport_name = s;
		} else if (!strcmp(k, "accept")) {
			if ((r = parse_accept(x, vn, &l->accept)))
				return r;
			accept_node = vn;
		} else if (!strcmp(k, "x509")) {
			if ((r = parse_x509(x, vn, &l->x509)))
				return r;
			tls_node = kn;
		} else if (!strcmp(k, "handshake_limit")) {
			if ((r = parse_hs_limit(x, vn, l)))
				return r;
			tls_node = kn;
		} else if (!strcmp(k, "receive_buffer")) {
			if ((r = get_uint(x, vn, 4096, 1ull << 30, &v)))
				return r;
			l->receive_buffer = (size_t)v;
			rcvbuf_node = kn;
		} else if (!strcmp(k, "trusted")) {
			if ((r = get_bool(x, vn, &l->trusted)))
				return r;
			trusted_node = kn;
		} else if (!strcmp(k, "identify")) {
			if ((r = get_choice(x, vn, identifies, "identify must be network or endpoint", &choice)))
				return r;
			l->identify = choice;
			identify_node = kn;
		} else if (!strcmp(k, "unknown_limit")) {
			if ((r = each_key(x, vn, "unknown_limit", unknown_limit_key, l)))
				return r;
			unknown_node = kn;
		} else if (!strcmp(k, "policy")) {
			if ((r = parse_policy(x, vn, &l->identity)))
				return r;
			policy_node = kn;
		} else if (!strcmp(k, "stack")) {
			if ((r = get_choice(x, vn, stacks, "stack must be native or libcoap", &choice)))
				return r;
			l->stack = choice;
			stack_node = vn;
		} else {
			return fail(x, kn, "unknown key \"%s\" in listener", k);
		}
	}
	if (!address)
		return fail(x, map, "listener without address");
	if (l->transport == LWBS_CONF_TRANSPORT_TCP || l->transport == LWBS_CONF_TRANSPORT_TLS) {
		/* RFC 8323: libcoap only; TCP buffers are per connection */
		if (stack_node && l->stack != LWBS_CONF_STACK_LIBCOAP)
			return fail(x, stack_node, "transport %s needs stack: libcoap", transport_name);
		l->stack = LWBS_CONF_STACK_LIBCOAP;
		if (rcvbuf_node)
			return fail(x, rcvbuf_node, "receive_buffer applies to udp and dtls listeners");
	}
	if (l->transport == LWBS_CONF_TRANSPORT_TLS && tls_node && !strcmp(scalar(tls_node), "handshake_limit"))
		return fail(x, tls_node, "handshake_limit applies to dtls listeners");
	if (l->transport == LWBS_CONF_TRANSPORT_DTLS || l->transport == LWBS_CONF_TRANSPORT_TLS) {
		if (!port_set)
			l->port = 5684;
		if (stack_node && l->stack != LWBS_CONF_STACK_LIBCOAP)
			return fail(x, stack_node, "transport %s needs stack: libcoap", transport_name);
		l->stack = LWBS_CONF_STACK_LIBCOAP;
		if (!l->accept)
			l->accept = LWBS_CONF_ACCEPT_PSK | (l->x509.cert ? LWBS_CONF_ACCEPT_X509 : 0);
		if (l->accept & LWBS_CONF_ACCEPT_NOSEC)
			return fail(x, accept_node, "a %s listener accepts psk and x509, not nosec", transport_name);
		if ((l->accept & LWBS_CONF_ACCEPT_X509) && !l->x509.cert)
			return fail(x, map, "accept: x509 needs an x509 block (cert, key, ca)");
	} else {
		if (!l->accept)
			l->accept = LWBS_CONF_ACCEPT_NOSEC;
		if (l->accept != LWBS_CONF_ACCEPT_NOSEC)
			return fail(x, accept_node, "a %s listener accepts only nosec", transport_name);
		if (tls_node)
			return fail(x, tls_node, "\"%s\" needs transport: dtls or tls", scalar(tls_node));
	}
	if (strlen(address) >= sizeof(l->address) || parse_addr(address, l->port, &l->addr, &l->addr_len))
		return fail(x, addr_node, "\"%s\" is not an IPv4 or IPv6 address", address);
	strcpy(l->address, address);
	return check_trust(x, map, l, transport_name, trusted_node, identify_node, policy_node, unknown_node);
}

static bool secure(const struct lwbs_conf_listener *l)
{
	return l->transport == LWBS_CONF_TRANSPORT_DTLS || l->transport == LWBS_CONF_TRANSPORT_TLS;
}

/* A NoSec listener served by libcoap (one context: one unknown_limit). */
static bool libcoap_nosec(const struct lwbs_conf_listener *l)
{
	return !secure(l) && l->stack == LWBS_CONF_STACK_LIBCOAP;
}

static int parse_listeners(struct ctx *x, yaml_node_t *seq)
{
	size_t n;
	int r;

	if ((r = want(x, seq, YAML_SEQUENCE_NODE, "a list of listeners")))
		return r;
	n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	if (n == 0)
		return fail(x, seq, "at least one listener is needed");
	for (size_t i = 0; i < x->c->n_listeners; i++) {
		identity_clear(&x->c->listeners[i].identity);
		free(x->c->listeners[i].x509.cert);
		free(x->c->listeners[i].x509.key);
		free(x->c->listeners[i].x509.ca);
	}
	free(x->c->listeners);
	x->c->n_listeners = 0;
	x->c->listeners = calloc(n, sizeof(*x->c->listeners));
	if (!x->c->listeners)
		return -ENOMEM;
	x->c->n_listeners = n;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *ln = node(x, seq->data.sequence.items.start[i]);
		struct lwbs_conf_listener *l = &x->c->listeners[i];

		r = parse_listener(x, ln, l);
		if (r)
			return r;
		/* one libcoap context: one certificate set (dtls and tls) and
		 * one limit (dtls) */
		for (size_t j = 0; j < i && secure(l); j++) {
			const struct lwbs_conf_listener *o = &x->c->listeners[j];
			bool both_dtls = o->transport == LWBS_CONF_TRANSPORT_DTLS &&
					 l->transport == LWBS_CONF_TRANSPORT_DTLS;

			if (!secure(o))
				continue;
			if ((o->x509.cert && l->x509.cert &&
			     (!same_str(o->x509.cert, l->x509.cert) || !same_str(o->x509.key, l->x509.key) ||
			      !same_str(o->x509.ca, l->x509.ca) || o->x509.identity != l->x509.identity)) ||
			    (both_dtls && (o->hs_max_incomplete != l->hs_max_incomplete ||
					   o->hs_window_s != l->hs_window_s || o->hs_block_s != l->hs_block_s)))
				return fail(x, ln, "dtls and tls listeners share one x509 block, dtls listeners one "
					    "handshake_limit (write them the same on each)");
		}
		for (size_t j = 0; j < i && libcoap_nosec(l); j++) {
			const struct lwbs_conf_listener *o = &x->c->listeners[j];

			if (libcoap_nosec(o) && (o->unknown_max != l->unknown_max ||
						 o->unknown_window_s != l->unknown_window_s ||
						 o->unknown_block_s != l->unknown_block_s))
				return fail(x, ln, "NoSec listeners of the libcoap stack (tcp, udp with stack: "
					    "libcoap) share one unknown_limit (write it the same on each)");
		}
	}
	return 0;
}

/* Keys of the store section that the checks after it look at. */
struct store_keys {
	yaml_node_t *files, *pg_key, *journal_key;
};

static int store_key(struct ctx *x, const char *k, yaml_node_t *kn, yaml_node_t *vn, void *arg)
{
	static const struct choice types[] = {
		{"embedded", LWBS_CONF_STORE_EMBEDDED},
		{"postgresql", LWBS_CONF_STORE_POSTGRESQL},
		{"postgres", LWBS_CONF_STORE_POSTGRESQL},
		{NULL, 0},
	};
	struct store_keys *sk = arg;
	struct lwbs_conf *c = x->c;
	int r, type;

	if (!strcmp(k, "type")) {
		if ((r = get_choice(x, vn, types, "store type must be embedded or postgresql", &type)))
			return r;
		c->store_type = type;
		return 0;
	}
	if (!strcmp(k, "files")) {
		if ((r = want(x, vn, YAML_SEQUENCE_NODE, "a list of files")))
			return r;
		sk->files = vn;
		return 0;
	}
	if (!strcmp(k, "state_journal")) {
		sk->journal_key = kn;
		r = resolve(x, vn, &c->state_journal);
	} else if (!strcmp(k, "dsn_file")) {
		r = resolve(x, vn, &c->pg_dsn_file);
	} else if (!strcmp(k, "password_file")) {
		r = resolve(x, vn, &c->pg_password_file);
	} else if (!strcmp(k, "pool")) {
		r = get_unsigned(x, vn, 1, 64, &c->pg_pool);
	} else if (!strcmp(k, "queue")) {
		r = get_unsigned(x, vn, 1, 1000000, &c->pg_queue);
	} else if (!strcmp(k, "statement_timeout")) {
		r = get_unsigned(x, vn, 1, 3600000, &c->pg_statement_timeout_ms);
	} else if (!strcmp(k, "connect_timeout")) {
		r = get_unsigned(x, vn, 1, 3600000, &c->pg_connect_timeout_ms);
	} else if (!strcmp(k, "lookup_timeout")) {
		r = get_unsigned(x, vn, 1, 3600000, &c->pg_lookup_timeout_ms);
	} else {
		return 1;
	}
	if (r)
		return r;
	if (kn != sk->journal_key)
		sk->pg_key = kn;
	return 0;
}

static int parse_store(struct ctx *x, yaml_node_t *map)
{
	struct lwbs_conf *c = x->c;
	struct store_keys sk = {0};
	yaml_node_t *files;
	int r;

	if ((r = each_key(x, map, "store", store_key, &sk)))
		return r;
	files = sk.files;
	if (c->store_type == LWBS_CONF_STORE_POSTGRESQL) {
		if (files)
			return fail(x, files, "a postgresql store takes no files (lwbsctl provision apply fills it)");
		if (sk.journal_key)
			return fail(x, sk.journal_key, "state_journal needs the embedded store");
		return 0;
	}
	if (sk.pg_key)
		return fail(x, sk.pg_key, "\"%s\" needs type: postgresql", scalar(sk.pg_key));
	if (!files)
		return fail(x, map, "store needs files");
	size_t n = (size_t)(files->data.sequence.items.top - files->data.sequence.items.start);
	c->store_files = calloc(n ? n : 1, sizeof(char *));
	if (!c->store_files)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *fn = node(x, files->data.sequence.items.start[i]);

		r = resolve(x, fn, &c->store_files[i]);
		if (r)
			return r;
		c->n_store_files = i + 1;
		if (access(c->store_files[i], R_OK) < 0)
			return fail(x, fn, "cannot read %s: %s", c->store_files[i], strerror(errno));
	}
	return 0;
}

static int session_key(struct ctx *x, const char *k, yaml_node_t *kn, yaml_node_t *vn, void *arg)
{
	(void)kn;
	(void)arg;
	if (!strcmp(k, "timeout"))
		return get_unsigned(x, vn, 1, 86400, &x->c->session_timeout_s);
	if (!strcmp(k, "max_sessions"))
		return get_unsigned(x, vn, 1, 10000000, &x->c->max_sessions);
	if (!strcmp(k, "shutdown_grace"))
		return get_unsigned(x, vn, 0, 3600, &x->c->shutdown_grace_s);
	if (!strcmp(k, "ack_delay")) /* well under ACK_TIMEOUT (2 s) */
		return get_unsigned(x, vn, 0, 1000, &x->c->ack_delay_ms);
	return 1;
}

static int parse_session(struct ctx *x, yaml_node_t *map)
{
	return each_key(x, map, "session", session_key, NULL);
}

static int audit_key(struct ctx *x, const char *k, yaml_node_t *kn, yaml_node_t *vn, void *arg)
{
	static const struct choice targets[] = {{"file", false}, {"store", true}, {NULL, 0}};
	static const struct choice fsyncs[] = {
		{"batch", LWBS_CONF_FSYNC_BATCH},
		{"always", LWBS_CONF_FSYNC_ALWAYS},
		{"never", LWBS_CONF_FSYNC_NEVER},
		{NULL, 0},
	};
	int r, v;

	(void)kn;
	(void)arg;
	if (!strcmp(k, "file"))
		return resolve(x, vn, &x->c->audit_file);
	if (!strcmp(k, "to")) {
		if ((r = get_choice(x, vn, targets, "audit to must be file or store", &v)))
			return r;
		x->c->audit_to_store = v;
		x->audit_to_node = vn;
		return 0;
	}
	if (!strcmp(k, "queue"))
		return get_unsigned(x, vn, 1, 10000000, &x->c->audit_queue);
	if (!strcmp(k, "fsync")) {
		if ((r = get_choice(x, vn, fsyncs, "fsync must be batch, always or never", &v)))
			return r;
		x->c->audit_fsync = v;
		return 0;
	}
	return 1;
}

static int parse_audit(struct ctx *x, yaml_node_t *map)
{
	return each_key(x, map, "audit", audit_key, NULL);
}

static int parse_level(struct ctx *x, yaml_node_t *vn, int *out)
{
	enum lwbs_log_level lv;
	const char *s;
	int r = get_str(x, vn, &s);

	if (r)
		return r;
	if (lwbs_log_level_parse(s, &lv))
		return fail(x, vn, "log level must be error, warning, info or debug, not \"%s\"", s);
	*out = (int)lv;
	return 0;
}

static int log_key(struct ctx *x, const char *k, yaml_node_t *kn, yaml_node_t *vn, void *arg)
{
	static const struct choice formats[] = {{"text", false}, {"json", true}, {NULL, 0}};
	const char *s;
	int r, json;

	(void)kn;
	(void)arg;
	if (!strcmp(k, "level"))
		return parse_level(x, vn, &x->c->log_level);
	if (!strcmp(k, "coap_level"))
		return parse_level(x, vn, &x->c->coap_log_level);
	if (!strcmp(k, "file")) {
		if ((r = get_str(x, vn, &s)))
			return r;
		if (!strcmp(s, "stderr")) {
			free(x->c->log_file);
			x->c->log_file = NULL;
			return 0;
		}
		return resolve(x, vn, &x->c->log_file);
	}
	if (!strcmp(k, "format")) {
		if ((r = get_choice(x, vn, formats, "log format must be text or json", &json)))
			return r;
		x->c->log_json = json;
		return 0;
	}
	return 1;
}

static int parse_log(struct ctx *x, yaml_node_t *map)
{
	return each_key(x, map, "log", log_key, NULL);
}

/* "127.0.0.1:9464", "[::1]:9464" */
static int metrics_key(struct ctx *x, const char *k, yaml_node_t *kn, yaml_node_t *vn, void *arg)
{
	char host[64];
	const char *colon, *h, *s;
	size_t hl;
	char *end;
	unsigned long port;
	int r;

	(void)kn;
	(void)arg;
	if (strcmp(k, "listen"))
		return 1;
	if ((r = get_str(x, vn, &s)))
		return r;
	colon = strrchr(s, ':');
	if (!colon)
		return fail(x, vn, "metrics listen must be address:port");
	h = s;
	hl = (size_t)(colon - s);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	port = strtoul(colon + 1, &end, 10);
	if (hl == 0 || hl >= sizeof(host) || *end || colon[1] == '\0' || port > 65535)
		return fail(x, vn, "metrics listen must be address:port, not \"%s\"", s);
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (parse_addr(host, (uint16_t)port, &x->c->metrics_addr, &x->c->metrics_addr_len))
		return fail(x, vn, "\"%s\" is not an IPv4 or IPv6 address", host);
	if (strlen(s) >= sizeof(x->c->metrics_listen))
		return fail(x, vn, "metrics listen too long");
	strcpy(x->c->metrics_listen, s);
	x->c->metrics = true;
	return 0;
}

static int parse_metrics(struct ctx *x, yaml_node_t *map)
{
	return each_key(x, map, "metrics", metrics_key, NULL);
}

/* What the chosen store can serve. */
static int check_store_use(struct ctx *x)
{
	const struct lwbs_conf *c = x->c;
	bool pg = c->store_type == LWBS_CONF_STORE_POSTGRESQL;

	if (c->audit_to_store && !pg)
		return fail(x, x->audit_to_node, "audit to: store needs store type: postgresql");
	if (c->audit_to_store && c->audit_file)
		return fail(x, x->audit_to_node, "audit goes to the store or to a file, not both");
	for (size_t i = 0; i < c->n_listeners; i++) {
		const struct lwbs_conf_listener *l = &c->listeners[i];

		if (pg && l->stack == LWBS_CONF_STACK_LIBCOAP)
			return fail(x, x->store_node,
				    "listener %s port %u: the postgresql store answers lookups later, which the libcoap "
				    "front end (stack: libcoap, every dtls listener) cannot wait for; use stack: native "
				    "or the embedded store",
				    l->address, l->port);
		if (l->identity.auto_enrol && !pg && !c->state_journal)
			return fail(x, x->store_node,
				    "listener %s port %u: auto_enrol needs a state_journal (embedded store) or the "
				    "postgresql store",
				    l->address, l->port);
	}
	return 0;
}

static int parse_root(struct ctx *x, yaml_node_t *root)
{
	const char *k;
	yaml_node_t *kn, *vn;
	bool have_store = false, have_listeners = false;
	int r;

	if (!root)
		return fail(x, NULL, "empty configuration");
	if ((r = want(x, root, YAML_MAPPING_NODE, "a mapping at the top level")))
		return r;
	FOR_PAIRS(x, root, p) {
		if ((r = key_of(x, p, &k, &kn, &vn)))
			return r;
		if (!strcmp(k, "listeners")) {
			have_listeners = true;
			r = parse_listeners(x, vn);
		}
		else if (!strcmp(k, "store")) {
			if (have_store)
				return fail(x, kn, "duplicate key \"store\"");
			have_store = true;
			x->store_node = vn;
			r = parse_store(x, vn);
		} else if (!strcmp(k, "session"))
			r = parse_session(x, vn);
		else if (!strcmp(k, "audit"))
			r = parse_audit(x, vn);
		else if (!strcmp(k, "log"))
			r = parse_log(x, vn);
		else if (!strcmp(k, "metrics"))
			r = parse_metrics(x, vn);
		else if (!strcmp(k, "radius"))
			r = lwbs_conf_radius_parse(x->doc, vn, x->file, x->c->dir, &x->c->radius, x->err, x->err_cap);
		else
			r = fail(x, kn, "unknown key \"%s\"", k);
		if (r)
			return r;
	}
	if (!have_store)
		return fail(x, root, "missing \"store\" section");
	if (!have_listeners)
		return fail(x, root, "missing \"listeners\" section");
	return check_store_use(x);
}

static void set_defaults(struct lwbs_conf *c)
{
	c->session_timeout_s = 247;
	c->max_sessions = 100000;
	c->shutdown_grace_s = 5;
	c->ack_delay_ms = 50;
	c->audit_fsync = LWBS_CONF_FSYNC_BATCH;
	c->log_level = LWBS_LOG_INFO;
	c->coap_log_level = LWBS_LOG_WARN;
}

int lwbs_conf_load(const char *path, struct lwbs_conf **out, char *err, size_t err_cap)
{
	struct lwbs_conf *c = calloc(1, sizeof(*c));
	struct ctx x = {.file = path, .err = err, .err_cap = err_cap};
	yaml_parser_t parser;
	yaml_document_t doc;
	FILE *f = NULL;
	const char *slash;
	int r;

	if (!c)
		goto nomem;
	c->path = strdup(path);
	slash = strrchr(path, '/');
	c->dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	if (!c->path || !c->dir)
		goto nomem;
	set_defaults(c);
	x.c = c;
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		snprintf(err, err_cap, "%s:1:1: cannot open: %s", path, strerror(errno));
		goto fail;
	}
	if (!yaml_parser_initialize(&parser))
		goto nomem;
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, err_cap, "%s:%zu:%zu: %s%s%s", path, parser.problem_mark.line + 1,
			 parser.problem_mark.column + 1, parser.problem ? parser.problem : "YAML error",
			 parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		r = -EINVAL;
		goto fail;
	}
	x.doc = &doc;
	r = parse_root(&x, yaml_document_get_root_node(&doc));
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (r) {
		if (r == -ENOMEM)
			snprintf(err, err_cap, "%s:1:1: out of memory", path);
		goto fail;
	}
	fclose(f);
	*out = c;
	return 0;
nomem:
	snprintf(err, err_cap, "%s:1:1: out of memory", path);
	r = -ENOMEM;
fail:
	if (f)
		fclose(f);
	lwbs_conf_destroy(c);
	return r;
}

void lwbs_conf_destroy(struct lwbs_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_store_files; i++)
		free(c->store_files[i]);
	free(c->store_files);
	for (size_t i = 0; i < c->n_listeners; i++) {
		identity_clear(&c->listeners[i].identity);
		free(c->listeners[i].x509.cert);
		free(c->listeners[i].x509.key);
		free(c->listeners[i].x509.ca);
	}
	free(c->listeners);
	free(c->audit_file);
	free(c->state_journal);
	free(c->pg_dsn_file);
	free(c->pg_password_file);
	lwbs_radius_conf_clear(&c->radius);
	free(c->log_file);
	free(c->dir);
	free(c->path);
	free(c);
}
